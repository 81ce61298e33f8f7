//! The SMTP receiver: the sans-I/O [`Session`] under a tokio accept loop, bounded so
//! that no client can hold the door shut for others. DATA is answered 250 only after
//! the message is committed; 552 above the size limit.
//!
//! The bounds ([`SmtpLimits`], docs/operations.md "Mail"): a cap on sessions at once,
//! overall and per client address; a time limit on each session that no NOOP or RSET
//! extends; an idle timeout per command; an intake budget per client and per envelope
//! sender ([`crate::budget`]). A client over a cap is told `421` and the connection is
//! closed at once, instead of waiting unseen in the listen queue while idle sessions
//! hold every slot.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::MailError;
use crate::budget::{Budget, BudgetLimits};
use crate::ingest::Ingestor;
use crate::smtp::{Session, Step};

/// Longest command line or data fragment handed to the session at once.
const MAX_PIECE: usize = 64 * 1024;
/// How long a refusal (`421`) may take to write before the connection is dropped.
const REFUSAL_WRITE: Duration = Duration::from_secs(2);

/// The receiver's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpLimits {
    /// Sessions served at once, from all clients; one more is answered 421.
    pub max_sessions: usize,
    /// Sessions at once from one client address (an IPv6 client: its /64).
    pub max_per_client: usize,
    /// The longest a session may last, however busy; then 421 and closed.
    pub session_limit: Duration,
    /// The longest wait for the next command or data line (RFC 5321 §4.5.3.2 asks
    /// for 5 minutes); then 421 and closed.
    pub idle_timeout: Duration,
    /// Messages per client and per envelope sender before 451.
    pub budget: BudgetLimits,
}

impl Default for SmtpLimits {
    /// 128 sessions, 16 per client, 10 minutes a session, 5 minutes idle, and the
    /// default budget.
    fn default() -> Self {
        Self {
            max_sessions: 128,
            max_per_client: 16,
            session_limit: Duration::from_secs(600),
            idle_timeout: Duration::from_secs(300),
            budget: BudgetLimits::default(),
        }
    }
}

/// The sessions open per client, shared by the accept loop and the sessions.
#[derive(Debug, Clone, Default)]
struct Clients(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One admitted session: gives its slots back when dropped.
struct Admission {
    _slot: OwnedSemaphorePermit,
    clients: Clients,
    client: IpAddr,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut map = self
            .clients
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.client);
            }
        }
    }
}

/// Whom a connection is counted against: the address, or for IPv6 its /64 (one
/// machine often has a whole /64 to pick from).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Serves SMTP on `listener` with the default [`SmtpLimits`] until `shutdown`
/// completes.
pub async fn serve(
    listener: TcpListener,
    ingestor: Ingestor,
    hostname: String,
    shutdown: impl Future<Output = ()>,
) {
    serve_with(
        listener,
        ingestor,
        hostname,
        SmtpLimits::default(),
        shutdown,
    )
    .await;
}

/// Serves SMTP on `listener` within `limits` until `shutdown` completes. Connections
/// in flight finish their current command; a message being committed is committed
/// before its reply.
pub async fn serve_with(
    listener: TcpListener,
    ingestor: Ingestor,
    hostname: String,
    limits: SmtpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_sessions.max(1)));
    let clients = Clients::default();
    let budget = Budget::new(limits.budget);
    let hostname: Arc<str> = hostname.into();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, typically: let sessions end before trying again.
                tracing::warn!(error = %e, "accepting an SMTP connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let client = client_key(peer.ip());
        let admission = admit(&slots, &clients, client, &limits);
        let ingestor = ingestor.clone();
        let hostname = Arc::clone(&hostname);
        let budget = budget.clone();
        tokio::spawn(async move {
            let admission = match admission {
                Ok(a) => a,
                Err(why) => {
                    tracing::info!(%peer, why, "SMTP connection refused");
                    return refuse(stream, &hostname, why).await;
                }
            };
            let session = Served {
                ingestor: &ingestor,
                hostname: &hostname,
                limits: &limits,
                budget: &budget,
                client,
            };
            if let Err(e) = session.run(stream).await {
                tracing::debug!(%peer, error = %e, "SMTP connection ended");
            }
            drop(admission);
        });
    }
}

/// A slot overall and one for `client`, or the reason for a 421.
fn admit(
    slots: &Arc<Semaphore>,
    clients: &Clients,
    client: IpAddr,
    limits: &SmtpLimits,
) -> Result<Admission, &'static str> {
    let mut map = clients.0.lock().unwrap_or_else(PoisonError::into_inner);
    let open = map.get(&client).copied().unwrap_or(0);
    if open >= limits.max_per_client.max(1) {
        return Err("Too many connections from your address");
    }
    let slot = Arc::clone(slots)
        .try_acquire_owned()
        .map_err(|_| "Too many connections")?;
    map.insert(client, open + 1);
    Ok(Admission {
        _slot: slot,
        clients: clients.clone(),
        client,
    })
}

/// Says 421 and closes, without waiting long for a client that does not read.
async fn refuse(mut stream: TcpStream, hostname: &str, why: &str) {
    let reply = format!("421 4.7.0 {hostname} {why}; try again later\r\n");
    let _ = tokio::time::timeout(REFUSAL_WRITE, async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

/// One admitted session and what it needs.
struct Served<'a> {
    ingestor: &'a Ingestor,
    hostname: &'a str,
    limits: &'a SmtpLimits,
    budget: &'a Budget,
    client: IpAddr,
}

impl Served<'_> {
    async fn run(&self, stream: TcpStream) -> std::io::Result<()> {
        // Replies are small and each one is awaited by the client: never hold one back.
        stream.set_nodelay(true)?;
        let deadline = Instant::now() + self.limits.session_limit;
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::with_capacity(MAX_PIECE, read);
        let mut session = Session::new(self.hostname, self.ingestor.limits().max_message_bytes);
        self.send(&mut write, &session.greeting()).await?;
        let mut piece = Vec::with_capacity(1024);
        loop {
            // The session's own clock: commands (NOOP, RSET, …) answered in time do
            // not move it, so a client cannot keep a slot for ever.
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return self.close(&mut write, "Session time limit reached").await;
            }
            piece.clear();
            let wait = self.limits.idle_timeout.min(left);
            let Ok(read) = tokio::time::timeout(wait, read_piece(&mut reader, &mut piece)).await
            else {
                let why = if wait < self.limits.idle_timeout {
                    "Session time limit reached"
                } else {
                    "Idle too long"
                };
                return self.close(&mut write, why).await;
            };
            if !read? {
                return Ok(());
            }
            match session.feed(&piece) {
                Step::Nothing => {}
                Step::Reply(reply) => self.send(&mut write, &reply).await?,
                Step::Close(reply) => {
                    self.send(&mut write, &reply).await?;
                    return write.shutdown().await;
                }
                Step::Deliver(envelope, data) => {
                    let reply = self.deliver(&envelope, &data).await;
                    self.send(&mut write, &reply).await?;
                }
            }
        }
    }

    /// The budget, then the intake; the reply to the end of DATA.
    async fn deliver(&self, envelope: &crate::smtp::Envelope, data: &[u8]) -> String {
        let now = std::time::Instant::now();
        if let Err(wait) = self.budget.take(self.client, &envelope.mail_from, now) {
            tracing::info!(client = %self.client, "mail over the intake budget: 451");
            return format!(
                "451 4.7.1 Too many messages from your address or sender; try again in {} s\r\n",
                wait.as_secs().max(1)
            );
        }
        match self.ingestor.ingest(data, Some(envelope)).await {
            Ok(outcome) => {
                tracing::info!(?outcome, bytes = data.len(), "mail taken over SMTP");
                "250 2.0.0 Ok: taken\r\n".to_string()
            }
            Err(e) => {
                let error = embargo_app::outbox::redact_addresses(&e.to_string());
                tracing::warn!(%error, "mail not taken over SMTP");
                smtp_reply(&e)
            }
        }
    }

    /// Writes `reply`; a client that does not read its replies is idle too.
    async fn send(&self, write: &mut OwnedWriteHalf, reply: &str) -> std::io::Result<()> {
        tokio::time::timeout(self.limits.idle_timeout, write.write_all(reply.as_bytes()))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "not reading"))?
    }

    /// Says 421 with `why` and closes.
    async fn close(&self, write: &mut OwnedWriteHalf, why: &str) -> std::io::Result<()> {
        let reply = format!("421 4.4.2 {} {why}; closing\r\n", self.hostname);
        let _ = tokio::time::timeout(REFUSAL_WRITE, write.write_all(reply.as_bytes())).await;
        let _ = tokio::time::timeout(REFUSAL_WRITE, write.shutdown()).await;
        Ok(())
    }
}

/// The SMTP reply for a message that was not taken.
pub fn smtp_reply(e: &MailError) -> String {
    let one_line = |s: String| s.replace(['\r', '\n'], " ");
    match e {
        MailError::TooLarge { limit, .. } => {
            format!("552 5.3.4 Message too big: the limit is {limit} bytes\r\n")
        }
        MailError::TooComplex(why) => format!("552 5.3.4 {}\r\n", one_line(why.clone())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), IpAddr::from([192, 0, 2, 1]));
    }

    #[test]
    fn admission_caps_per_client_and_overall() {
        let limits = SmtpLimits {
            max_sessions: 3,
            max_per_client: 2,
            ..SmtpLimits::default()
        };
        let slots = Arc::new(Semaphore::new(3));
        let clients = Clients::default();
        let one = IpAddr::from([192, 0, 2, 1]);
        let two = IpAddr::from([192, 0, 2, 2]);
        let a = admit(&slots, &clients, one, &limits).ok();
        let b = admit(&slots, &clients, one, &limits).ok();
        assert!(a.is_some() && b.is_some());
        assert_eq!(
            admit(&slots, &clients, one, &limits).err(),
            Some("Too many connections from your address")
        );
        let c = admit(&slots, &clients, two, &limits).ok();
        assert!(c.is_some());
        assert_eq!(
            admit(&slots, &clients, two, &limits).err(),
            Some("Too many connections")
        );
        drop(a);
        assert!(
            admit(&slots, &clients, one, &limits).is_ok(),
            "a slot given back is free again"
        );
    }
}
