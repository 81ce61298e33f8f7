//! The SMTP server protocol (RFC 5321), sans I/O: lines in, replies and messages out.
//!
//! Why not `mailin`: its `Handler::data_end` must return the reply synchronously,
//! but the reply to DATA may only be given after the message is committed to the
//! database, which is async. Here the session hands the message to the caller
//! ([`Step::Deliver`]) and the caller writes the reply once the commit is done.
//! The size limit is enforced while reading (RFC 1870 `SIZE`, 552 above it).

/// The envelope of one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// The reverse path; empty for the null sender `<>` (bounces).
    pub mail_from: String,
    pub recipients: Vec<String>,
}

/// What the caller does after feeding a piece of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write this reply (one or more CRLF-terminated lines).
    Reply(String),
    /// A whole message: store it, then write the reply that says how that went.
    Deliver(Envelope, Vec<u8>),
    /// Write this reply and close the connection.
    Close(String),
    /// Nothing to say (a line of message data).
    Nothing,
}

/// Most recipients in one transaction (RFC 5321 §4.5.3.1.8 asks servers to take 100).
pub const MAX_RECIPIENTS: usize = 100;
/// Bad commands tolerated before the connection is closed.
const MAX_ERRORS: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Command,
    Data,
}

/// One SMTP connection's protocol state.
#[derive(Debug)]
pub struct Session {
    hostname: String,
    max_size: usize,
    state: State,
    greeted: bool,
    envelope: Option<Envelope>,
    data: Vec<u8>,
    overflow: bool,
    at_line_start: bool,
    errors: u32,
}

impl Session {
    /// A session for a server called `hostname` taking messages up to `max_size` bytes.
    pub fn new(hostname: &str, max_size: usize) -> Self {
        Self {
            hostname: hostname.to_string(),
            max_size,
            state: State::Command,
            greeted: false,
            envelope: None,
            data: Vec::new(),
            overflow: false,
            at_line_start: true,
            errors: 0,
        }
    }

    pub fn greeting(&self) -> String {
        format!("220 {} ESMTP Embargo\r\n", self.hostname)
    }

    /// Whether message data is being read (the caller may use a longer read timeout).
    pub fn in_data(&self) -> bool {
        self.state == State::Data
    }

    /// Feeds one line (ending in LF) or, for over-long lines, a fragment of one (not
    /// ending in LF). Fragments are only accepted inside message data.
    pub fn feed(&mut self, piece: &[u8]) -> Step {
        match self.state {
            State::Data => self.data_piece(piece),
            State::Command if !piece.ends_with(b"\n") => {
                Step::Close("500 5.5.2 Line too long\r\n".into())
            }
            State::Command => self.command(piece),
        }
    }

    fn data_piece(&mut self, piece: &[u8]) -> Step {
        let line_start = self.at_line_start;
        self.at_line_start = piece.ends_with(b"\n");
        if line_start && (piece == b".\r\n" || piece == b".\n") {
            self.state = State::Command;
            let envelope = self.envelope.take().unwrap_or_default();
            let data = std::mem::take(&mut self.data);
            if std::mem::take(&mut self.overflow) {
                return Step::Reply(format!(
                    "552 5.3.4 Message too big: the limit is {} bytes\r\n",
                    self.max_size
                ));
            }
            return Step::Deliver(envelope, data);
        }
        // RFC 5321 §4.5.2: a leading dot of a data line was doubled by the client.
        let piece = if line_start && piece.first() == Some(&b'.') {
            &piece[1..]
        } else {
            piece
        };
        if self.overflow || self.data.len() + piece.len() > self.max_size {
            // Keep reading to the end of the data so the reply lands in step, but
            // stop storing: the message will be refused with 552.
            self.overflow = true;
            self.data = Vec::new();
        } else {
            self.data.extend_from_slice(piece);
        }
        Step::Nothing
    }

    fn command(&mut self, line: &[u8]) -> Step {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches(['\r', '\n']);
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim()),
            None => (line.to_ascii_uppercase(), ""),
        };
        let reply = match verb.as_str() {
            "HELO" => {
                self.greeted = true;
                self.envelope = None;
                format!("250 {}\r\n", self.hostname)
            }
            "EHLO" => {
                self.greeted = true;
                self.envelope = None;
                format!(
                    "250-{}\r\n250-PIPELINING\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n",
                    self.hostname, self.max_size
                )
            }
            "MAIL" => self.mail(arg),
            "RCPT" => self.rcpt(arg),
            "DATA" => match &self.envelope {
                Some(e) if !e.recipients.is_empty() => {
                    self.state = State::Data;
                    self.data.clear();
                    self.overflow = false;
                    self.at_line_start = true;
                    "354 End data with <CR><LF>.<CR><LF>\r\n".into()
                }
                Some(_) => self.error("503 5.5.1 RCPT first"),
                None => self.error("503 5.5.1 MAIL first"),
            },
            "RSET" => {
                self.envelope = None;
                "250 2.0.0 Ok\r\n".into()
            }
            "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => return Step::Close("221 2.0.0 Bye\r\n".into()),
            "VRFY" => "252 2.5.2 Cannot VRFY user\r\n".into(),
            _ => self.error("500 5.5.1 Command not recognised"),
        };
        if self.errors > MAX_ERRORS {
            return Step::Close("421 4.7.0 Too many errors\r\n".into());
        }
        Step::Reply(reply)
    }

    fn mail(&mut self, arg: &str) -> String {
        if !self.greeted {
            return self.error("503 5.5.1 Say EHLO first");
        }
        if self.envelope.is_some() {
            return self.error("503 5.5.1 Nested MAIL command");
        }
        let Some(rest) = strip_prefix_ci(arg, "FROM:") else {
            return self.error("501 5.5.4 Syntax: MAIL FROM:<address>");
        };
        let (path, params) = path_and_params(rest);
        for param in params.split_whitespace() {
            if let Some(size) = strip_prefix_ci(param, "SIZE=")
                && size.parse::<u64>().is_ok_and(|s| s > self.max_size as u64)
            {
                return format!(
                    "552 5.3.4 Message too big: the limit is {} bytes\r\n",
                    self.max_size
                );
            }
        }
        self.envelope = Some(Envelope {
            mail_from: path,
            recipients: Vec::new(),
        });
        "250 2.1.0 Ok\r\n".into()
    }

    fn rcpt(&mut self, arg: &str) -> String {
        let Some(rest) = strip_prefix_ci(arg, "TO:") else {
            return self.error("501 5.5.4 Syntax: RCPT TO:<address>");
        };
        let (path, _) = path_and_params(rest);
        let Some(envelope) = self.envelope.as_mut() else {
            return self.error("503 5.5.1 MAIL first");
        };
        if path.is_empty() {
            return self.error("501 5.1.3 Empty recipient");
        }
        if envelope.recipients.len() >= MAX_RECIPIENTS {
            return "452 4.5.3 Too many recipients\r\n".into();
        }
        envelope.recipients.push(path);
        "250 2.1.5 Ok\r\n".into()
    }

    fn error(&mut self, reply: &str) -> String {
        self.errors += 1;
        format!("{reply}\r\n")
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    s.get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .map(|_| s[prefix.len()..].trim_start())
}

/// `<a@b> SIZE=1` → (`a@b`, `SIZE=1`); tolerates a missing pair of brackets.
fn path_and_params(s: &str) -> (String, &str) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('<')
        && let Some((path, params)) = rest.split_once('>')
    {
        return (path.trim().to_string(), params);
    }
    match s.split_once(' ') {
        Some((path, params)) => (path.to_string(), params),
        None => (s.to_string(), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(session: &mut Session, lines: &[&str]) -> Vec<Step> {
        lines.iter().map(|l| session.feed(l.as_bytes())).collect()
    }

    #[test]
    fn a_transaction_delivers_the_unstuffed_message() {
        let mut s = Session::new("mx.test", 1000);
        let steps = run(
            &mut s,
            &[
                "EHLO c\r\n",
                "MAIL FROM:<a@b.test> SIZE=20\r\n",
                "RCPT TO:<security@x.test>\r\n",
                "DATA\r\n",
                "Subject: x\r\n",
                "\r\n",
                "..dot\r\n",
                ".\r\n",
            ],
        );
        assert!(matches!(&steps[0], Step::Reply(r) if r.contains("SIZE 1000")));
        assert_eq!(
            steps[3],
            Step::Reply("354 End data with <CR><LF>.<CR><LF>\r\n".into())
        );
        assert_eq!(
            steps[7],
            Step::Deliver(
                Envelope {
                    mail_from: "a@b.test".into(),
                    recipients: vec!["security@x.test".into()]
                },
                b"Subject: x\r\n\r\n.dot\r\n".to_vec()
            )
        );
        // The transaction is over: a new one needs MAIL again.
        assert!(matches!(s.feed(b"DATA\r\n"), Step::Reply(r) if r.starts_with("503")));
    }

    #[test]
    fn too_big_is_552_at_mail_or_at_the_end_of_data() {
        let mut s = Session::new("mx.test", 10);
        let steps = run(&mut s, &["HELO c\r\n", "MAIL FROM:<> SIZE=11\r\n"]);
        assert!(matches!(&steps[1], Step::Reply(r) if r.starts_with("552")));
        let steps = run(
            &mut s,
            &[
                "MAIL FROM:<>\r\n",
                "RCPT TO:<a@b.test>\r\n",
                "DATA\r\n",
                "0123456789abc\r\n",
                ".\r\n",
            ],
        );
        assert!(
            matches!(&steps[4], Step::Reply(r) if r.starts_with("552")),
            "{steps:?}"
        );
        // The session goes on after a refusal.
        let steps = run(
            &mut s,
            &[
                "MAIL FROM:<>\r\n",
                "RCPT TO:<a@b.test>\r\n",
                "DATA\r\n",
                "ok\r\n",
                ".\r\n",
            ],
        );
        assert!(
            matches!(&steps[4], Step::Deliver(e, d) if e.mail_from.is_empty() && d == b"ok\r\n")
        );
    }

    #[test]
    fn sequence_errors_and_quit() {
        let mut s = Session::new("mx.test", 10);
        assert!(matches!(s.feed(b"MAIL FROM:<a@b>\r\n"), Step::Reply(r) if r.starts_with("503")));
        assert!(matches!(s.feed(b"HELO x\r\n"), Step::Reply(_)));
        assert!(matches!(s.feed(b"RCPT TO:<a@b>\r\n"), Step::Reply(r) if r.starts_with("503")));
        assert!(matches!(s.feed(b"BOGUS\r\n"), Step::Reply(r) if r.starts_with("500")));
        assert!(matches!(s.feed(b"long line without end"), Step::Close(r) if r.starts_with("500")));
        assert!(matches!(s.feed(b"QUIT\r\n"), Step::Close(r) if r.starts_with("221")));
    }

    #[test]
    fn long_data_lines_arrive_in_fragments() {
        let mut s = Session::new("mx.test", 100);
        run(
            &mut s,
            &[
                "HELO c\r\n",
                "MAIL FROM:<a@b>\r\n",
                "RCPT TO:<c@d>\r\n",
                "DATA\r\n",
            ],
        );
        assert_eq!(s.feed(b".abc"), Step::Nothing);
        assert_eq!(s.feed(b".def\r\n"), Step::Nothing);
        assert_eq!(
            s.feed(b".\r\n"),
            Step::Deliver(
                Envelope {
                    mail_from: "a@b".into(),
                    recipients: vec!["c@d".into()]
                },
                b"abc.def\r\n".to_vec()
            )
        );
    }
}
