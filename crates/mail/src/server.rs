//! The SMTP receiver: the sans-I/O [`Session`] under a tokio accept loop. DATA is
//! answered 250 only after the message is committed; 552 above the size limit.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::MailError;
use crate::ingest::Ingestor;
use crate::smtp::{Session, Step};

/// Longest command line or data fragment handed to the session at once.
const MAX_PIECE: usize = 64 * 1024;
/// RFC 5321 §4.5.3.2: at least 5 minutes for a command, 3 for a data block.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Connections served at once; more wait in the listen queue (the MTA in front retries).
const MAX_CONNECTIONS: usize = 64;

/// Serves SMTP on `listener` until `shutdown` completes. Connections in flight finish
/// their current command; a message being committed is committed before its reply.
pub async fn serve(
    listener: TcpListener,
    ingestor: Ingestor,
    hostname: String,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let hostname: Arc<str> = hostname.into();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => return,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let ingestor = ingestor.clone();
                let hostname = Arc::clone(&hostname);
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, &ingestor, &hostname).await {
                        tracing::debug!(%peer, error = %e, "SMTP connection ended");
                    }
                    drop(permit);
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting an SMTP connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: TcpStream, ingestor: &Ingestor, hostname: &str) -> std::io::Result<()> {
    // Replies are small and each one is awaited by the client: never hold one back.
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::with_capacity(MAX_PIECE, read);
    let mut session = Session::new(hostname, ingestor.limits().max_message_bytes);
    write.write_all(session.greeting().as_bytes()).await?;
    let mut piece = Vec::with_capacity(1024);
    loop {
        piece.clear();
        let more = tokio::time::timeout(IDLE_TIMEOUT, read_piece(&mut reader, &mut piece))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
        if !more {
            return Ok(());
        }
        match session.feed(&piece) {
            Step::Nothing => {}
            Step::Reply(reply) => write.write_all(reply.as_bytes()).await?,
            Step::Close(reply) => {
                write.write_all(reply.as_bytes()).await?;
                return write.shutdown().await;
            }
            Step::Deliver(envelope, data) => {
                let reply = match ingestor.ingest(&data, Some(&envelope)).await {
                    Ok(outcome) => {
                        tracing::info!(?outcome, bytes = data.len(), "mail taken over SMTP");
                        "250 2.0.0 Ok: taken\r\n".to_string()
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "mail not taken over SMTP");
                        smtp_reply(&e)
                    }
                };
                write.write_all(reply.as_bytes()).await?;
            }
        }
    }
}

/// The SMTP reply for a message that was not taken.
pub fn smtp_reply(e: &MailError) -> String {
    let one_line = |s: String| s.replace(['\r', '\n'], " ");
    match e {
        MailError::TooLarge { limit, .. } => {
            format!("552 5.3.4 Message too big: the limit is {limit} bytes\r\n")
        }
        MailError::Refused(why) => format!("554 5.6.0 {}\r\n", one_line(why.clone())),
        // Never the database's own words to a stranger: they may name hosts.
        e if e.is_temporary() => "451 4.3.0 Temporary failure, try again later\r\n".into(),
        MailError::App(e) => format!("554 5.6.0 {}\r\n", one_line(e.to_string())),
        MailError::Unavailable(_) => "451 4.3.0 Temporary failure, try again later\r\n".into(),
    }
}

/// Reads one line (through LF) or, when a line is longer than [`MAX_PIECE`], a
/// fragment of it. `false` at end of input (a partial line at EOF is dropped).
async fn read_piece(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    piece: &mut Vec<u8>,
) -> std::io::Result<bool> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(false);
        }
        let room = MAX_PIECE - piece.len();
        match available.iter().take(room).position(|&b| b == b'\n') {
            Some(i) => {
                piece.extend_from_slice(&available[..=i]);
                reader.consume(i + 1);
                return Ok(true);
            }
            None => {
                let n = available.len().min(room);
                piece.extend_from_slice(&available[..n]);
                reader.consume(n);
                if piece.len() >= MAX_PIECE {
                    return Ok(true);
                }
            }
        }
    }
}
