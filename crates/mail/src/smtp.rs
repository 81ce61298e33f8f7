//! The SMTP server protocol (RFC 5321), sans I/O: lines in, replies and messages out.
//!
//! Why not `mailin`: its `Handler::data_end` must return the reply synchronously,
//! but the reply to DATA may only be given after the message is committed to the
//! database, which is async. Here the session hands the message to the caller
//! ([`Step::Deliver`]) and the caller writes the reply once the commit is done.
//! The size limit is enforced while reading (RFC 1870 `SIZE`, 552 above it).
//!
//! Only `<CRLF>.<CRLF>` ends the data (RFC 5321 §4.1.1.4). Servers that also take
//! `<LF>.<LF>` or `<LF>.<CRLF>` see the end of a message where the MTA in front of
//! them saw message text, so a sender can smuggle a second message, with an envelope
//! of its choosing, inside the first one ("SMTP smuggling", CVE-2023-51764/5/6).

/// The envelope of one transaction (the application's type: intake reads it).
pub use embargo_app::mail_intake::Envelope;

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
    /// The next data piece starts an SMTP line: the data has just begun, or the last
    /// piece ended in CRLF. Not after a bare LF, which does not end an SMTP line.
    at_line_start: bool,
    /// The last data piece was a fragment ending in CR, so a piece `\n` completes a CRLF.
    after_cr: bool,
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
            after_cr: false,
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
        self.at_line_start = piece.ends_with(b"\r\n") || (piece == b"\n" && self.after_cr);
        self.after_cr = piece.last() == Some(&b'\r');
        // The end of data is `.` CRLF on a line of its own, the CRLF before it being the
        // end of the previous line (or of DATA). `.` LF, or `.` CRLF after a bare LF, is
        // message text: an MTA in front of us that reads only CRLF as a line break (as
        // it must) relayed it as text, and ending here would run the rest of that text
        // as our commands. A client that ends its data with `.` LF waits for a reply
        // until it times out; conforming clients send CRLF.
        if line_start && piece == b".\r\n" {
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
        // RFC 5321 §4.5.2: a leading dot of a data line was doubled by the client. Only
        // at the start of an SMTP line, which is after CRLF: the client stuffed the lines
        // it sent, and text after a bare LF is, to it, the middle of a line it did not
        // stuff, so a dot there is the message's own. By the same rule the dot of a
        // `.` LF right after CRLF is a stuffing dot (the line is not `.` CRLF) and goes;
        // what follows it stays in the message either way.
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
                    self.after_cr = false;
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

    /// Feeds `input` as the server reads it: piece by piece, each through an LF.
    fn feed_stream(session: &mut Session, input: &[u8]) -> Vec<Step> {
        input
            .split_inclusive(|&b| b == b'\n')
            .map(|piece| session.feed(piece))
            .collect()
    }

    const SMUGGLED: &str = "MAIL FROM:<ceo@victim.test>\r\n\
        RCPT TO:<security@x.test>\r\n\
        DATA\r\n\
        From: ceo@victim.test\r\n\
        Subject: smuggled\r\n\
        \r\n\
        Please close EMB-0123456789AB as invalid.\r\n\
        .\r\n";

    /// One transaction whose data holds `separator` and then a whole second
    /// transaction, as a smuggling sender writes it.
    fn smuggling_attempt(separator: &str) -> String {
        format!(
            "EHLO attacker.test\r\n\
             MAIL FROM:<a@attacker.test>\r\n\
             RCPT TO:<security@x.test>\r\n\
             DATA\r\n\
             From: a@attacker.test\r\n\
             Subject: hello\r\n\
             \r\n\
             first message{separator}{SMUGGLED}QUIT\r\n"
        )
    }

    #[test]
    fn only_crlf_dot_crlf_ends_the_data_so_nothing_is_smuggled() {
        for separator in ["\n.\n", "\n.\r\n", "\r\n.\n"] {
            let mut s = Session::new("mx.test", 10_000);
            let steps = feed_stream(&mut s, smuggling_attempt(separator).as_bytes());
            let delivered: Vec<_> = steps
                .iter()
                .filter_map(|st| match st {
                    Step::Deliver(e, d) => Some((e, String::from_utf8_lossy(d).into_owned())),
                    _ => None,
                })
                .collect();
            assert_eq!(delivered.len(), 1, "{separator:?}: {steps:?}");
            let (envelope, data) = &delivered[0];
            assert_eq!(envelope.mail_from, "a@attacker.test", "{separator:?}");
            assert_eq!(envelope.recipients, vec!["security@x.test".to_string()]);
            // The smuggled transaction is text of the one message, not commands: no
            // replies to its MAIL, RCPT and DATA, and the message holds all of it.
            assert!(data.starts_with("From: a@attacker.test\r\n"), "{data:?}");
            assert!(data.contains("first message"), "{separator:?}: {data:?}");
            assert!(
                data.contains(
                    "MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<security@x.test>\r\nDATA\r\n"
                ),
                "{separator:?}: {data:?}"
            );
            assert!(
                data.ends_with(
                    "Subject: smuggled\r\n\r\nPlease close EMB-0123456789AB as invalid.\r\n"
                ),
                "{separator:?}: {data:?}"
            );
            let replies: Vec<&String> = steps
                .iter()
                .filter_map(|st| match st {
                    Step::Reply(r) => Some(r),
                    _ => None,
                })
                .collect();
            assert_eq!(replies.len(), 4, "EHLO, MAIL, RCPT, DATA only: {replies:?}");
            assert!(
                matches!(steps.last(), Some(Step::Close(r)) if r.starts_with("221")),
                "{separator:?}: after the data, QUIT is a command again: {steps:?}"
            );
        }
    }

    #[test]
    fn dots_after_a_bare_lf_are_text_and_are_not_unstuffed() {
        let mut s = Session::new("mx.test", 1000);
        feed_stream(
            &mut s,
            b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
        );
        let steps = feed_stream(&mut s, b"a\n.\n..b\n.\r\n..c\r\n.\n..d\r\n.\r\n");
        assert_eq!(
            steps.last(),
            Some(&Step::Deliver(
                Envelope {
                    mail_from: "a@b".into(),
                    recipients: vec!["c@d".into()]
                },
                // After a bare LF every dot stays; after CRLF one leading dot goes,
                // also from `.` LF, which is no end of data.
                b"a\n.\n..b\n.\r\n.c\r\n\n..d\r\n".to_vec()
            )),
            "{steps:?}"
        );
        assert_eq!(
            steps.iter().filter(|st| **st != Step::Nothing).count(),
            1,
            "{steps:?}"
        );
    }

    #[test]
    fn a_crlf_split_across_fragments_still_ends_a_line() {
        let mut s = Session::new("mx.test", 1000);
        feed_stream(
            &mut s,
            b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
        );
        // A long line cut by the reader between its CR and its LF.
        assert_eq!(s.feed(b"long line\r"), Step::Nothing);
        assert_eq!(s.feed(b"\n"), Step::Nothing);
        assert!(matches!(s.feed(b".\r\n"), Step::Deliver(_, d) if d == b"long line\r\n"),);
        // A fragment that happens to look like the end of data is in mid-line.
        let mut s = Session::new("mx.test", 1000);
        feed_stream(
            &mut s,
            b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
        );
        assert_eq!(s.feed(b"cut here"), Step::Nothing);
        assert_eq!(s.feed(b".\r\n"), Step::Nothing);
        assert!(matches!(s.feed(b".\r\n"), Step::Deliver(_, d) if d == b"cut here.\r\n"));
    }

    #[test]
    fn an_empty_message_ends_at_the_first_line() {
        let mut s = Session::new("mx.test", 1000);
        let steps = feed_stream(
            &mut s,
            b"HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n.\r\n",
        );
        assert!(
            matches!(steps.last(), Some(Step::Deliver(_, d)) if d.is_empty()),
            "{steps:?}"
        );
    }
}
