//! Reading one RFC 5322 message with mail-parser, tolerantly: every charset, encoded
//! headers, broken MIME. What comes out is plain data the rest of intake decides on.

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::MailError;

/// An attachment as found in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    pub content: Vec<u8>,
}

impl Attachment {
    /// Images, PDFs, HTML pages and videos: what seeds 000 and 001 ask to be resent as
    /// plain text when they carry the whole report.
    pub fn is_rich(&self) -> bool {
        let t = self.content_type.as_str();
        t.starts_with("image/")
            || t.starts_with("video/")
            || t == "application/pdf"
            || t == "text/html"
            || t == "application/xhtml+xml"
    }
}

/// The sender as the From header names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    pub address: String,
}

/// What intake needs from one message.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// Without angle brackets; a digest of the bytes when the message has none, so that
    /// the same bytes delivered twice still count once.
    pub message_id: String,
    /// In-Reply-To then References, without brackets, oldest first.
    pub thread_ids: Vec<String>,
    /// Decoded, one line (folding and control characters removed).
    pub subject: String,
    pub from: Option<Sender>,
    /// To, Cc, Delivered-To and X-Original-To addresses, lower case.
    pub recipients: Vec<String>,
    /// Why this looks like an automatic message (auto-reply, bounce, bulk), if it does.
    pub automatic: Option<&'static str>,
    /// The text for reading: the plain-text bodies, or the HTML converted to text.
    pub text: String,
    /// There was an HTML body and no plain-text one.
    pub html_only: bool,
    pub attachments: Vec<Attachment>,
}

impl ParsedMail {
    /// Parses `raw`; only a message with no header and no body at all is refused.
    pub fn parse(raw: &[u8]) -> Result<Self, MailError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(MailError::Refused("the message is empty".into()));
        }
        let msg = MessageParser::default().parse(raw).ok_or_else(|| {
            MailError::Refused("the message cannot be read as RFC 5322 mail".into())
        })?;
        if msg.headers().is_empty() && msg.text_body_count() == 0 && msg.attachment_count() == 0 {
            return Err(MailError::Refused(
                "the message has neither headers nor a body".into(),
            ));
        }
        let message_id = match msg.message_id().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => clean_id(id),
            None => format!(
                "sha256-{}@embargo.invalid",
                hex::encode(Sha256::digest(raw))
            ),
        };
        let mut thread_ids = ids(msg.in_reply_to());
        thread_ids.extend(ids(msg.references()));

        let from = msg.from().and_then(Address::first).and_then(|a| {
            a.address().map(|addr| Sender {
                name: a.name().map(one_line).filter(|n| !n.is_empty()),
                address: addr.trim().to_string(),
            })
        });
        let mut recipients = Vec::new();
        for addr in msg.to().into_iter().chain(msg.cc()).flat_map(Address::iter) {
            if let Some(a) = addr.address() {
                recipients.push(a.trim().to_ascii_lowercase());
            }
        }
        for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
            for value in msg.header_values(name) {
                if let Some(t) = value.as_text() {
                    recipients.push(t.trim().trim_matches(['<', '>']).to_ascii_lowercase());
                }
            }
        }

        let header_text = |name: &str| {
            msg.header(name)
                .and_then(HeaderValue::as_text)
                .map(|s| s.trim().to_ascii_lowercase())
        };
        let from_local = from
            .as_ref()
            .and_then(|s| s.address.split('@').next())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let return_path_null = msg
            .header_raw("Return-Path")
            .is_some_and(|v| v.trim() == "<>");
        let automatic = if header_text("Auto-Submitted").is_some_and(|v| v != "no") {
            Some("Auto-Submitted")
        } else if header_text("Precedence")
            .is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list"))
        {
            Some("Precedence")
        } else if msg.header("X-Autoreply").is_some() || msg.header("X-Autorespond").is_some() {
            Some("X-Autoreply")
        } else if return_path_null {
            Some("null return path")
        } else if matches!(from_local.as_str(), "mailer-daemon" | "postmaster") {
            Some("mailer-daemon")
        } else if msg.root_part().content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        }) {
            Some("delivery report")
        } else {
            None
        };

        let mut texts = Vec::new();
        let mut has_plain = false;
        let mut has_html = false;
        for (i, part) in msg.text_bodies().enumerate() {
            match &part.body {
                PartType::Text(_) => has_plain = true,
                PartType::Html(_) => has_html = true,
                _ => continue,
            }
            if let Some(t) = msg.body_text(i) {
                texts.push(t.into_owned());
            }
        }
        // A multipart/alternative offers the HTML as an alternative, not as the only body.
        has_html |= msg.html_body_count() > 0 && !has_plain;
        let text = clean_text(&texts.join("\n\n"));

        let mut attachments = Vec::new();
        for part in msg.attachments() {
            let content_type = part.content_type().map_or_else(
                || "application/octet-stream".to_string(),
                |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                    None => ct.ctype().to_ascii_lowercase(),
                },
            );
            let content = match &part.body {
                PartType::Message(m) => m.raw_message().to_vec(),
                _ => part.contents().to_vec(),
            };
            let name = part
                .attachment_name()
                .map(one_line)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("attachment-{}", attachments.len() + 1));
            attachments.push(Attachment {
                name,
                content_type,
                content,
            });
        }

        Ok(Self {
            message_id,
            thread_ids,
            subject: msg.subject().map(one_line).unwrap_or_default(),
            from,
            recipients,
            automatic,
            text,
            html_only: has_html && !has_plain,
            attachments,
        })
    }

    /// The text without quoted lines, the signature and blank lines: what the sender
    /// wrote themselves, to judge whether there is any substance in it.
    pub fn own_words(&self) -> usize {
        let mut words = 0;
        for line in self.text.lines() {
            if line == "-- " || line == "--" {
                break;
            }
            if line.trim_start().starts_with('>') {
                continue;
            }
            words += line.split_whitespace().count();
        }
        words
    }
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(500)
        .collect()
}

/// A header value for one line: folding, tabs and control characters become single spaces.
pub fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Body text as the domain accepts it: `\n` line ends, no control characters other
/// than newline and tab (terminal escapes in pasted logs would otherwise refuse the
/// whole report).
pub fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A reply's own text: without the quoted message below an attribution line ("On …
/// wrote:", possibly wrapped over two lines, or "-----Original Message-----") and
/// without `>` lines. The text unchanged if nothing of its own would be left.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let attribution = |i: usize| -> bool {
        let line = lines[i].trim();
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("-----original message-----") {
            return true;
        }
        if !lower.ends_with("wrote:") && !lower.ends_with("writes:") {
            return false;
        }
        // "On Mon, 1 Jan 2026, Ann <ann@example.org> wrote:", or its second half.
        lower.starts_with("on ")
            || (i > 0 && lines[i - 1].trim().to_ascii_lowercase().starts_with("on "))
            || lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with('>'))
    };
    let mut end = lines.len();
    for i in 0..lines.len() {
        if attribution(i) {
            // A wrapped attribution starts on the line before.
            end = if i > 0
                && !lines[i].trim().to_ascii_lowercase().starts_with("on ")
                && lines[i - 1].trim().to_ascii_lowercase().starts_with("on ")
            {
                i - 1
            } else {
                i
            };
            break;
        }
    }
    let own: Vec<&str> = lines[..end]
        .iter()
        .filter(|l| !l.trim_start().starts_with('>'))
        .copied()
        .collect();
    let own = own.join("\n").trim_end().to_string();
    if own.trim().is_empty() {
        text.to_string()
    } else {
        own
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_plain_message_is_read() {
        let raw = b"From: Ann =?utf-8?q?Researcher_=C3=A9?= <ann@example.net>\r\n\
To: security@example.org\r\nSubject: =?UTF-8?B?WFNTIGluIGxvZ2luIOKAlCDmvI/mtJ4=?=\r\n  folded\r\n\
Message-ID: <abc@example.net>\r\nIn-Reply-To: <x@embargo>\r\nReferences: <a@b> <x@embargo>\r\n\r\nHello,\r\nthe bug.\r\n";
        let m = ParsedMail::parse(raw).unwrap();
        assert_eq!(m.message_id, "abc@example.net");
        assert_eq!(m.subject, "XSS in login \u{2014} \u{6f0f}\u{6d1e} folded");
        assert_eq!(
            m.from.as_ref().unwrap().name.as_deref(),
            Some("Ann Researcher \u{e9}")
        );
        assert_eq!(m.from.as_ref().unwrap().address, "ann@example.net");
        assert_eq!(m.thread_ids, vec!["x@embargo", "a@b", "x@embargo"]);
        assert_eq!(m.recipients, vec!["security@example.org"]);
        assert_eq!(m.text, "Hello,\nthe bug.");
        assert!(m.automatic.is_none());
        assert!(!m.html_only);
    }

    #[test]
    fn legacy_charsets_are_decoded() {
        let mut raw = b"From: a@example.net\r\nSubject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n".to_vec();
        raw.extend_from_slice(&[0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]);
        let m = ParsedMail::parse(&raw).unwrap();
        assert_eq!(m.subject, "\u{65e5}\u{672c}\u{8a9e}");
        assert_eq!(m.text, "\u{65e5}\u{672c}\u{8a9e}");
    }

    #[test]
    fn html_only_mail_is_converted_and_flagged() {
        let raw =
            b"From: a@example.net\r\nContent-Type: text/html\r\n\r\n<p>The <b>bug</b> is here</p>";
        let m = ParsedMail::parse(raw).unwrap();
        assert!(m.html_only);
        assert!(m.text.contains("The bug is here"), "{}", m.text);
    }

    #[test]
    fn attachments_and_broken_mime_are_tolerated() {
        let raw = b"From: a@example.net\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n\
Content-Type: text/plain\r\n\r\nsee attached\r\n--XX\r\nContent-Type: application/pdf; name=\"r\xc3\xa9port.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX\r\nContent-Type: image/png\r\n\r\n\x89PNG truncated without end boundary";
        let m = ParsedMail::parse(raw).unwrap();
        assert_eq!(m.text, "see attached");
        assert_eq!(m.attachments.len(), 2);
        assert_eq!(m.attachments[0].content_type, "application/pdf");
        assert_eq!(m.attachments[0].content, b"%PDF-1.4\n");
        assert!(m.attachments.iter().all(Attachment::is_rich));
        assert_eq!(m.own_words(), 2);
    }

    #[test]
    fn automatic_mail_is_recognised() {
        for header in [
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "Return-Path: <>",
            "X-Autoreply: yes",
            "From: MAILER-DAEMON@mx.example.net",
        ] {
            let raw = format!("{header}\r\nSubject: away\r\n\r\nI am away\r\n");
            assert!(
                ParsedMail::parse(raw.as_bytes())
                    .unwrap()
                    .automatic
                    .is_some(),
                "{header}"
            );
        }
        let raw = b"Auto-Submitted: no\r\nFrom: a@example.net\r\n\r\nhi\r\n";
        assert!(ParsedMail::parse(raw).unwrap().automatic.is_none());
    }

    #[test]
    fn no_message_id_gets_a_stable_digest_and_empty_input_is_refused() {
        let raw = b"From: a@example.net\r\n\r\nbody\r\n";
        assert_eq!(
            ParsedMail::parse(raw).unwrap().message_id,
            ParsedMail::parse(raw).unwrap().message_id
        );
        assert!(matches!(
            ParsedMail::parse(b" \r\n"),
            Err(MailError::Refused(_))
        ));
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(
            clean_text("a\x1b[31mred\r\nb\x0c"),
            "a\u{FFFD}[31mred\nb\u{FFFD}"
        );
        assert_eq!(one_line(" a\r\n\tb  c "), "a b c");
    }

    #[test]
    fn quoted_text_is_stripped_from_replies() {
        assert_eq!(
            strip_quoted(
                "Fixed in 1.2.\n\nOn Sat, 21 Nov 2026 at 10:00, Rita <rita@example.net> wrote:\n> the bug\n> more\n"
            ),
            "Fixed in 1.2."
        );
        assert_eq!(
            strip_quoted(
                "Thanks.\nOn Sat, 21 Nov 2026 at 10:00, Rita\n<rita@example.net> wrote:\n> x\n"
            ),
            "Thanks."
        );
        assert_eq!(
            strip_quoted("> point one\nagreed\n> point two\nalso\n"),
            "agreed\nalso"
        );
        assert_eq!(
            strip_quoted("Yes.\n-----Original Message-----\nFrom: x\n"),
            "Yes."
        );
        assert_eq!(strip_quoted("> only quotes\n"), "> only quotes\n");
        assert_eq!(
            strip_quoted("Plain text, nothing quoted."),
            "Plain text, nothing quoted."
        );
    }
}
