//! Reading one RFC 5322 message with mail-parser, tolerantly: every charset, encoded
//! headers, broken MIME. What comes out is plain data the rest of intake decides on.

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::MailError;

pub use embargo_app::mail_intake::{Attachment, AutoKind, Automatic, InboundMail, Sender};
use embargo_app::model::MailHeaders;

/// Subject prefixes of out-of-office replies of the common mail systems, lower case.
const AUTO_REPLY_SUBJECTS: [&str; 8] = [
    "automatic reply:",
    "autoreply:",
    "auto-reply:",
    "out of office:",
    "out of office reply",
    "abwesenheitsnotiz",
    "r\u{e9}ponse automatique",
    "respuesta autom\u{e1}tica",
];

/// What the headers say about who sent a message and whether a machine may answer it.
struct Signs {
    author: Option<Sender>,
    automatic: Option<Automatic>,
    no_auto_answer: Option<&'static str>,
    list: bool,
}

impl Signs {
    fn read(msg: &mail_parser::Message<'_>, from: Option<&Sender>) -> Self {
        let header_text = |name: &str| {
            msg.header(name)
                .and_then(HeaderValue::as_text)
                .map(|s| s.trim().to_ascii_lowercase())
        };
        let has = |name: &str| msg.header(name).is_some();
        let from_local = from
            .and_then(|s| s.address.split('@').next())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let subject = msg.subject().map(str::to_lowercase).unwrap_or_default();
        let auto_submitted = header_text("Auto-Submitted").filter(|v| v != "no");
        let precedence = header_text("Precedence").unwrap_or_default();
        let report_type = msg.root_part().content_type().and_then(|ct| {
            (ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report")))
            .then(|| {
                ct.attribute("report-type")
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            })
        });

        let bounce = if msg
            .header_raw("Return-Path")
            .is_some_and(|v| v.trim() == "<>")
        {
            Some("null return path")
        } else if matches!(from_local.as_str(), "mailer-daemon" | "postmaster") {
            Some("mailer-daemon sender")
        } else if report_type.as_deref() == Some("delivery-status") {
            Some("delivery status report")
        } else {
            None
        };
        let auto_reply = if auto_submitted.as_deref() == Some("auto-replied") {
            Some("Auto-Submitted: auto-replied")
        } else if has("X-Autoreply") || has("X-Autorespond") {
            Some("X-Autoreply")
        } else if report_type.as_deref() == Some("disposition-notification") {
            Some("read receipt")
        } else if AUTO_REPLY_SUBJECTS.iter().any(|p| subject.starts_with(p)) {
            Some("out-of-office subject")
        } else {
            None
        };
        let automatic = bounce
            .map(|sign| Automatic {
                kind: AutoKind::Bounce,
                sign,
            })
            .or(auto_reply.map(|sign| Automatic {
                kind: AutoKind::AutoReply,
                sign,
            }));

        let no_auto_answer = if auto_submitted.is_some() {
            Some("Auto-Submitted")
        } else if matches!(precedence.as_str(), "bulk" | "junk") {
            Some("Precedence: bulk/junk")
        } else if matches!(
            from_local.replace(['-', '_', '.'], "").as_str(),
            "noreply" | "donotreply" | "notifications" | "notification"
        ) {
            Some("no-reply sender")
        } else {
            None
        };
        let list_post = msg
            .header_raw("List-Post")
            .and_then(|v| {
                let v = v.trim();
                let start = v.to_ascii_lowercase().find("mailto:")? + "mailto:".len();
                v[start..].split(['>', '?', ',']).next().map(str::trim)
            })
            .map(str::to_ascii_lowercase);
        let list = precedence == "list"
            || list_post.is_some()
            || [
                "List-Id",
                "Mailing-List",
                "X-Mailing-List",
                "List-Unsubscribe",
            ]
            .iter()
            .any(|h| has(h));
        Self {
            author: author(msg, from, list, list_post.as_deref()),
            automatic,
            no_auto_answer,
            list,
        }
    }
}

/// The message's author. A list that rewrites From to its own address (as lists do for
/// senders whose domain publishes a strict DMARC policy) keeps the author in
/// `X-Original-From` or `Reply-To`; without either the author is unknown, and the list
/// address is never taken for the reporter's.
fn author(
    msg: &mail_parser::Message<'_>,
    from: Option<&Sender>,
    list: bool,
    list_post: Option<&str>,
) -> Option<Sender> {
    let first = |name: &str| -> Option<Sender> {
        let value = msg.header(name)?;
        let addr = match value {
            HeaderValue::Address(a) => a.first()?.clone(),
            _ => return None,
        };
        Some(Sender {
            name: addr.name().map(one_line).filter(|n| !n.is_empty()),
            address: addr.address()?.trim().to_string(),
        })
    };
    let from = from?;
    let rewritten = list
        && (list_post.is_some_and(|p| p.eq_ignore_ascii_case(&from.address))
            || from
                .name
                .as_deref()
                .is_some_and(|n| n.to_ascii_lowercase().contains(" via ")));
    if !rewritten {
        return Some(from.clone());
    }
    let original = msg
        .header_raw("X-Original-From")
        .and_then(|raw| {
            let header = format!("From: {}\r\n\r\n", raw.trim());
            let parsed = MessageParser::default().parse(header.as_bytes())?;
            let a = parsed.from()?.first()?;
            Some(Sender {
                name: a.name().map(one_line).filter(|n| !n.is_empty()),
                address: a.address()?.trim().to_string(),
            })
        })
        .or_else(|| first("Reply-To"));
    original.filter(|o| {
        !list_post.is_some_and(|p| p.eq_ignore_ascii_case(&o.address))
            && !o.address.eq_ignore_ascii_case(&from.address)
    })
}

/// The bounds of a message's structure. Each part and each attachment costs a row,
/// a write and a line on the report page; a message of 300,000 tiny parts under the
/// size limit once held the database for seconds. Above a bound the message is
/// refused whole, before anything is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// MIME parts in all, nested messages' parts included.
    pub max_parts: usize,
    /// Attachments kept (each one a stored file the team may download).
    pub max_attachments: usize,
}

impl Default for ParseLimits {
    /// 500 parts and 50 attachments: far above what people send (a few parts, a
    /// handful of screenshots or logs), far below what costs the database.
    fn default() -> Self {
        Self {
            max_parts: 500,
            max_attachments: 50,
        }
    }
}

/// Every MIME part of `msg`, counting the parts of attached messages, stopping
/// early once past `limit` (the count is then `limit + 1`).
fn count_parts(msg: &mail_parser::Message<'_>, limit: usize) -> usize {
    let mut n = 0;
    for part in &msg.parts {
        n += 1;
        if let PartType::Message(inner) = &part.body {
            n += count_parts(inner, limit.saturating_sub(n));
        }
        if n > limit {
            return limit + 1;
        }
    }
    n
}

/// Reads `raw` within the default [`ParseLimits`].
pub fn parse(raw: &[u8]) -> Result<InboundMail, MailError> {
    parse_bounded(raw, &ParseLimits::default())
}

/// Reads `raw`; a message with no header and no body at all is refused, and so is
/// one beyond `limits` ([`MailError::TooComplex`]).
pub fn parse_bounded(raw: &[u8], limits: &ParseLimits) -> Result<InboundMail, MailError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(MailError::Refused("the message is empty".into()));
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| MailError::Refused("the message cannot be read as RFC 5322 mail".into()))?;
    if msg.headers().is_empty() && msg.text_body_count() == 0 && msg.attachment_count() == 0 {
        return Err(MailError::Refused(
            "the message has neither headers nor a body".into(),
        ));
    }
    if count_parts(&msg, limits.max_parts) > limits.max_parts {
        return Err(MailError::TooComplex(format!(
            "the message has more MIME parts than the limit of {}",
            limits.max_parts
        )));
    }
    let attachment_count = msg.attachment_count();
    if attachment_count > limits.max_attachments {
        return Err(MailError::TooComplex(format!(
            "the message has {attachment_count} attachments; the limit is {}",
            limits.max_attachments
        )));
    }
    // Cleaned before the emptiness check: an id of control characters only would
    // otherwise become "", and every later such message would be taken for a copy of
    // the first and dropped (found by tests/fuzz.rs).
    let message_id = match msg.message_id().map(clean_id).filter(|s| !s.is_empty()) {
        Some(id) => id,
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

    let signs = Signs::read(&msg, from.as_ref());

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

    // The message this one answers: In-Reply-To, else the newest reference.
    let in_reply_to = ids(msg.in_reply_to())
        .pop()
        .or_else(|| ids(msg.references()).pop());
    Ok(InboundMail {
        message_id,
        in_reply_to,
        thread_ids,
        subject: msg.subject().map(one_line).unwrap_or_default(),
        from,
        recipients,
        author: signs.author,
        automatic: signs.automatic,
        no_auto_answer: signs.no_auto_answer,
        list: signs.list,
        reply_text: crate::quote::strip_quoted(&text),
        text,
        html_only: has_html && !has_plain,
        attachments,
        headers: mail_summary(raw),
    })
}

/// From, Date and Subject of a received message, for the report page's list; the
/// header values are decoded and cut to one line of a readable length.
pub fn mail_summary(raw: &[u8]) -> MailHeaders {
    let one_line = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect()
    };
    let Some(msg) = mail_parser::MessageParser::default().parse_headers(raw) else {
        return MailHeaders::default();
    };
    let from = msg
        .from()
        .and_then(|a| a.first())
        .map(|a| match (a.name(), a.address()) {
            (Some(n), Some(addr)) => format!("{n} <{addr}>"),
            (None, Some(addr)) => addr.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .unwrap_or_default();
    let date = msg.date().map(|d| d.to_rfc3339()).unwrap_or_default();
    let subject = msg.subject().unwrap_or_default();
    MailHeaders {
        from: one_line(&from),
        date: one_line(&date),
        subject: one_line(subject),
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

#[cfg(test)]
mod tests;
