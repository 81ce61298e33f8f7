//! A blocking SMTP client session for the benchmarks' mail load: one thread per
//! connection, each sending message after message on its session.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Session {
    pub fn open(addr: SocketAddr) -> Session {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut s = Session {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        assert_eq!(s.reply(), 220);
        assert_eq!(s.command("EHLO bench.example"), 250);
        s
    }

    /// The code of the next reply, after every line of a multi-line one.
    fn reply(&mut self) -> u16 {
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "closed");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].parse().unwrap();
            }
        }
    }

    fn command(&mut self, line: &str) -> u16 {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
        self.reply()
    }

    /// One message; the code given at the end of DATA. `raw` has no line that starts
    /// with a dot.
    pub fn send(&mut self, from: &str, to: &str, raw: &str) -> u16 {
        assert_eq!(self.command(&format!("MAIL FROM:<{from}>")), 250);
        assert_eq!(self.command(&format!("RCPT TO:<{to}>")), 250);
        assert_eq!(self.command("DATA"), 354);
        self.writer.write_all(raw.as_bytes()).unwrap();
        self.command(".")
    }

    pub fn quit(mut self) {
        let _ = self.command("QUIT");
    }
}

/// A new report by mail of about the size of the API benchmark's body.
pub fn report_mail(from: &str, to: &str, message_id: &str, i: usize) -> String {
    let body = "A realistic paragraph of analysis. ".repeat(60);
    format!(
        "From: Bench Researcher <{from}>\r\nTo: {to}\r\nSubject: Bench report {i}: \
         deserialization in the REST API\r\nMessage-ID: <{message_id}>\r\n\
         Date: Thu, 03 Dec 2026 10:00:00 +0000\r\n\r\nSteps to reproduce:\r\n{body}\r\n"
    )
}
