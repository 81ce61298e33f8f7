//! Mail taken in, whichever door it came through (the SMTP receiver or `embargo
//! ingest-mail`): what a message becomes (a report, a reply on its thread, an internal
//! note, a message held on a report or in the held-mail list), decided by the domain
//! and committed in one transaction. The mail door reads the MIME into an
//! [`InboundMail`]; the rules are in docs/mail.md.

use embargo_domain::access::{Actor, Member};
use embargo_domain::ids::{Email, ReportId};
use embargo_domain::intake::Submission;
use embargo_domain::lifecycle::{Change, Command, decide, receive};
use embargo_domain::mail::{
    HoldReason, MemberMail, NoAutoAnswer, PlainTextReason, ask_for_plain_text, hold, member_mail,
    withhold_automatic_answers,
};
use embargo_domain::report::{Channel, Report};
use embargo_domain::text::{MAX_DESCRIPTION_BYTES, MAX_LINE_CHARS};
use embargo_domain::token::Token;
use embargo_store::{
    HeldState, IncomingMail, MailEffect, MailHeaders, NewAttachment, NewHeldMail, Project, Release,
    Taken,
};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::{Error, Result};
use crate::held::require_org_team;
use crate::mail_route::route;

/// Default largest message taken (10 MiB), by either door.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// Default largest attachment whose content is kept; larger ones keep only their digest.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;
/// Below this many words of its own, a message whose attachments are rich (image,
/// PDF, HTML, video) carries its substance in them (docs/mail.md).
const SUBSTANCE_WORDS: usize = 20;
/// A report or reply that lost a race with another change is retried this often.
const CONFLICT_RETRIES: usize = 5;

/// The bounds of what a message may bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailLimits {
    pub max_message_bytes: usize,
    pub max_attachment_bytes: usize,
}

impl Default for MailLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_attachment_bytes: DEFAULT_MAX_ATTACHMENT_BYTES,
        }
    }
}

/// The envelope of one SMTP transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// The reverse path; empty for the null sender `<>` (bounces).
    pub mail_from: String,
    pub recipients: Vec<String>,
}

/// An attachment as found in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    pub content: Vec<u8>,
}

impl Attachment {
    /// Images, PDFs, HTML pages and videos: what reporters are asked to resend as
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

/// A sender as a header names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    pub address: String,
}

/// What kind of automatic message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoKind {
    /// A delivery failure report.
    Bounce,
    /// An out-of-office or other auto-reply, or a read receipt.
    AutoReply,
}

/// A bounce or an auto-reply, with the sign that gave it away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Automatic {
    pub kind: AutoKind,
    /// The header or pattern seen, e.g. `Auto-Submitted: auto-replied`.
    pub sign: &'static str,
}

impl Automatic {
    /// `bounce: …` or `auto_reply: …`: the held-mail list's reason, never content.
    pub fn reason(&self) -> String {
        let kind = match self.kind {
            AutoKind::Bounce => "bounce",
            AutoKind::AutoReply => "auto_reply",
        };
        format!("{kind}: {}", self.sign)
    }
}

/// What intake needs from one message, as the mail door read it.
#[derive(Debug, Clone, Default)]
pub struct InboundMail {
    /// Without angle brackets; a digest of the bytes when the message has none, so that
    /// the same bytes delivered twice still count once.
    pub message_id: String,
    /// The message this one answers (In-Reply-To, else the newest of References),
    /// without brackets.
    pub in_reply_to: Option<String>,
    /// In-Reply-To then References, without brackets, oldest first.
    pub thread_ids: Vec<String>,
    /// Decoded, one line.
    pub subject: String,
    pub from: Option<Sender>,
    /// To, Cc, Delivered-To and X-Original-To addresses, lower case.
    pub recipients: Vec<String>,
    /// Who wrote it: the From address, or, when a mailing list rewrote From to its own
    /// address, the author's (Reply-To, X-Original-From); `None` when unknown.
    pub author: Option<Sender>,
    /// A bounce or an auto-reply: never a report, never answered.
    pub automatic: Option<Automatic>,
    /// A sender machines must not answer (RFC 3834). Still a report; only automatic
    /// answers are withheld.
    pub no_auto_answer: Option<&'static str>,
    /// Relayed by a mailing list.
    pub list: bool,
    /// The text for reading: the plain-text bodies, or the HTML converted to text.
    pub text: String,
    /// The text without what it quotes: what a team member's reply posts.
    pub reply_text: String,
    /// There was an HTML body and no plain-text one.
    pub html_only: bool,
    pub attachments: Vec<Attachment>,
    /// From, Date and Subject as the report page lists them, read once here.
    pub headers: MailHeaders,
}

impl InboundMail {
    /// The words the sender wrote themselves (without quoted lines and the signature),
    /// to judge whether there is any substance in the text.
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

/// Reads raw bytes into an [`InboundMail`]: the mail door's parser, a port so that a
/// held mail can be read again when it is released.
pub trait MailReader: Send + Sync {
    fn read(&self, raw: &[u8]) -> Result<InboundMail>;
    /// From, Date and Subject, decoded and cut to one line each, for the report page.
    fn summary(&self, raw: &[u8]) -> MailHeaders;
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NewReport(ReportId),
    ReporterReply(ReportId),
    /// A team member's mail answering a mail the reporter got: relayed to the reporter.
    TeamReply(ReportId),
    /// A team member's mail answering anything else: kept as an internal note.
    TeamNote(ReportId),
    /// Kept on the report for the team, not relayed (a stranger, an auto-reply).
    Held(ReportId),
    /// A bounce or auto-reply on no thread: in the organisation team's held-mail list.
    HeldForReview(i64),
    /// Kept but not acted on (our own mail coming back).
    Ignored(&'static str),
    /// The same Message-ID was taken before.
    Duplicate,
}

impl App {
    /// Takes one message, read by the mail door into `mail` (`raw` is kept whole,
    /// sealed). `Ok` only once everything it caused is committed. `envelope` is the
    /// SMTP envelope when there is one (the receiver); a pipe from an MTA has none,
    /// and the recipient headers are used.
    pub async fn take_mail(
        &self,
        raw: &[u8],
        mail: &InboundMail,
        envelope: Option<&Envelope>,
        limits: &MailLimits,
    ) -> Result<Outcome> {
        let store = self.store();
        if store.mail_seen(&mail.message_id).await? {
            return Ok(Outcome::Duplicate);
        }
        if store.sent_by_us(&mail.message_id).await? {
            // Our own mail back through a list that includes us: never a report.
            return Ok(Outcome::Ignored("our own mail"));
        }
        // RFC 5321: the null reverse-path is for delivery reports.
        let automatic = mail.automatic.or_else(|| {
            envelope
                .filter(|e| e.mail_from.is_empty())
                .map(|_| Automatic {
                    kind: AutoKind::Bounce,
                    sign: "null envelope sender",
                })
        });
        // The organisation team's sender rules (app::senders): held, never answered.
        if let Some(held) = self.screen_sender(mail, raw, automatic).await? {
            return Ok(held);
        }
        let attachments = kept_attachments(&mail.attachments, limits);

        for _ in 0..CONFLICT_RETRIES {
            let now = Timestamp::now();
            let result = match (self.thread(mail).await?, automatic) {
                (Some(report), _) => {
                    self.on_thread(mail, raw, &report, automatic, &attachments, now)
                        .await
                }
                (None, Some(auto)) => return self.hold_for_review(mail, raw, auto, now).await,
                (None, None) => {
                    self.new_report(mail, raw, envelope, &attachments, now, None)
                        .await
                }
            };
            match result {
                // The report changed between reading and writing: read it again.
                Err(Error::Conflict(_)) => continue,
                other => return other,
            }
        }
        Err(Error::Unavailable(
            "the report kept changing under us; try again".into(),
        ))
    }

    /// Releases a held mail into a new report, by a member of the organisation team.
    /// Automatic answers stay withheld: the sender is a machine.
    pub async fn release_held(&self, by: &Member, held: i64) -> Result<ReportId> {
        require_org_team(by)?;
        let reader = self.inner.ports.mail_reader.as_ref().ok_or_else(|| {
            Error::internal("releasing held mail needs the mail reader, which is not configured")
        })?;
        let (info, raw) = self.store().held_mail(held).await?.ok_or(Error::NotFound)?;
        if info.state != HeldState::Held {
            return Err(Error::Conflict(format!(
                "this held mail was {} already",
                info.state.as_str()
            )));
        }
        let mail = reader.read(&raw)?;
        if self.store().mail_seen(&mail.message_id).await? {
            return Err(Error::Conflict(
                "another copy of this message was taken in already; discard this one".into(),
            ));
        }
        let attachments = kept_attachments(&mail.attachments, &MailLimits::default());
        let release = Release { held, by: by.id };
        let outcome = self
            .new_report(
                &mail,
                &raw,
                None,
                &attachments,
                Timestamp::now(),
                Some(release),
            )
            .await?;
        match outcome {
            Outcome::NewReport(id) => Ok(id),
            _ => Err(Error::Conflict(
                "another copy of this message was taken in already; discard this one".into(),
            )),
        }
    }

    /// A bounce or auto-reply that belongs to no report: kept for the organisation
    /// team, never answered.
    async fn hold_for_review(
        &self,
        mail: &InboundMail,
        raw: &[u8],
        auto: Automatic,
        now: Timestamp,
    ) -> Result<Outcome> {
        let reason = auto.reason();
        let held = NewHeldMail {
            message_id: &mail.message_id,
            raw,
            reason: &reason,
            from: mail.from.as_ref().map(|f| f.address.as_str()),
            subject: &mail.subject,
            received_at: now,
        };
        Ok(match self.store().hold_mail(&held).await? {
            Some(id) => Outcome::HeldForReview(id),
            None => Outcome::Duplicate,
        })
    }

    /// The report this message replies to: a Message-ID we took or sent, or the
    /// report token in the subject.
    pub(crate) async fn thread(&self, mail: &InboundMail) -> Result<Option<Report>> {
        let id = match self.store().thread_of(&mail.thread_ids).await? {
            Some(id) => Some(id),
            None => subject_token(&mail.subject),
        };
        Ok(match id {
            Some(id) => self.store().report(&id).await?,
            None => None,
        })
    }

    async fn on_thread(
        &self,
        mail: &InboundMail,
        raw: &[u8],
        report: &Report,
        automatic: Option<Automatic>,
        attachments: &[NewAttachment],
        now: Timestamp,
    ) -> Result<Outcome> {
        let project = match &report.project {
            Some(p) => self.store().project_by_id(p.id).await?,
            None => None,
        };
        let policy = self.settings().policy(project.as_ref());
        // Later mails do not repeat the status link: only its digest is stored.
        let contacts = self.settings().contacts(project.as_ref(), None);
        // A list relays its members' mail: the author, not the list, is who wrote.
        let sender = mail
            .author
            .as_ref()
            .or(mail.from.as_ref())
            .map_or("an unknown sender", |s| s.address.as_str());
        let body = body_with_attachments(&mail.text, &mail.attachments);
        let (change, disposition, outcome): (Change, &str, fn(ReportId) -> Outcome) =
            if automatic.is_some() {
                (
                    hold(report, sender, &body, HoldReason::Automatic, now, &contacts)?,
                    "held",
                    Outcome::Held,
                )
            } else if report
                .reporter
                .email
                .as_ref()
                .is_some_and(|e| e.as_str().eq_ignore_ascii_case(sender))
            {
                let actor = Actor::Reporter(report.id.clone());
                (
                    decide(
                        report,
                        Command::ReporterReply { body },
                        &actor,
                        now,
                        &policy,
                        &contacts,
                    )?,
                    "reporter_reply",
                    Outcome::ReporterReply,
                )
            } else if let Some(member) = self
                .member_by_email(sender)
                .await?
                .filter(|m| m.handles(report))
            {
                // Without the quoted thread: it may hold team-internal text, and the
                // original is kept whole anyway.
                let own = body_with_attachments(&mail.reply_text, &mail.attachments);
                let answers = self
                    .store()
                    .answers(&report.id, mail.in_reply_to.as_deref())
                    .await?;
                let (change, what) =
                    member_mail(report, &member, &own, answers, now, &policy, &contacts)?;
                match what {
                    MemberMail::Relayed => (change, "team_reply", Outcome::TeamReply),
                    MemberMail::KeptAsNote => (change, "team_note", Outcome::TeamNote),
                }
            } else {
                (
                    hold(
                        report,
                        sender,
                        &body,
                        HoldReason::UnknownSender,
                        now,
                        &contacts,
                    )?,
                    "held",
                    Outcome::Held,
                )
            };
        let taken = IncomingMail {
            message_id: &mail.message_id,
            raw,
            disposition,
            received_at: now,
            attachments,
            headers: Some(&mail.headers),
            released_from: None,
        };
        Ok(
            match self
                .store()
                .take_mail(&taken, MailEffect::Apply(&change))
                .await?
            {
                Taken::Duplicate => Outcome::Duplicate,
                Taken::Stored(_) => outcome(report.id.clone()),
            },
        )
    }

    async fn new_report(
        &self,
        mail: &InboundMail,
        raw: &[u8],
        envelope: Option<&Envelope>,
        attachments: &[NewAttachment],
        now: Timestamp,
        release: Option<Release>,
    ) -> Result<Outcome> {
        let projects = self.store().list_projects().await?;
        let mut recipients: Vec<String> = envelope
            .map(|e| {
                e.recipients
                    .iter()
                    .map(|r| r.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        recipients.extend(mail.recipients.iter().cloned());
        let project = route(
            &recipients,
            &self.settings().organisation.security_email,
            &projects,
        );

        let mut description = body_with_attachments(&mail.text, &mail.attachments);
        if description.len() > MAX_DESCRIPTION_BYTES {
            let note = "\n\n[The text is longer than a report holds and was cut here; the whole message is kept.]";
            description.truncate(floor_char_boundary(
                &description,
                MAX_DESCRIPTION_BYTES - note.len(),
            ));
            description.push_str(note);
        }
        let title = if mail.subject.is_empty() {
            "(no subject)".to_string()
        } else {
            truncate_chars(&mail.subject, MAX_LINE_CHARS)
        };
        let submission = Submission {
            project: project.map(|p| p.slug.as_str().to_string()),
            title,
            description,
            affected_versions: None,
            reporter_name: mail
                .author
                .as_ref()
                .and_then(|s| s.name.as_deref())
                .map(|n| truncate_chars(n, MAX_LINE_CHARS)),
            // An address the domain does not accept is no address: no receipt, and the
            // team answers through the status page only. A list's own address is never
            // the reporter's (`author` is `None` then).
            reporter_email: mail
                .author
                .as_ref()
                .filter(|s| Email::parse(&s.address).is_ok())
                .map(|s| s.address.clone()),
            credit: None,
        };
        let new = submission.parse()?;
        let token = Token::generate();
        let status_url = format!(
            "{}/status/{}",
            self.settings().base_url.trim_end_matches('/'),
            token.expose()
        );
        let contacts = self.settings().contacts(project, Some(status_url));
        let policy = self.settings().policy(project);
        let mut change = receive(
            new,
            ReportId::generate(),
            project.map(Project::as_ref),
            Channel::Email,
            now,
            &policy,
            &contacts,
        )?;
        if mail.attachments.iter().any(Attachment::is_rich) && mail.own_words() < SUBSTANCE_WORDS {
            ask_for_plain_text(&mut change, PlainTextReason::AttachmentOnly);
        } else if mail.html_only {
            ask_for_plain_text(&mut change, PlainTextReason::HtmlOnly);
        }
        self.triage_new(&mut change, project, &policy, &contacts)
            .await?;
        // RFC 3834: no machine answers a machine or a list; the author is answered
        // directly when the list kept their address.
        if release.is_some() || mail.no_auto_answer.is_some() {
            withhold_automatic_answers(&mut change, NoAutoAnswer::AutomaticSender);
        } else if mail.list && mail.author.is_none() {
            withhold_automatic_answers(&mut change, NoAutoAnswer::ListWithoutAuthor);
        }
        if let Some(r) = release {
            change.audit.detail.push_str(&format!(
                "; released from held mail #{} by user #{}",
                r.held, r.by.0
            ));
        }
        let taken = IncomingMail {
            message_id: &mail.message_id,
            raw,
            disposition: "new_report",
            received_at: now,
            attachments,
            headers: Some(&mail.headers),
            released_from: release,
        };
        let effect = MailEffect::NewReport {
            change: &change,
            status_token: &token.digest(),
        };
        Ok(match self.store().take_mail(&taken, effect).await? {
            Taken::Duplicate => Outcome::Duplicate,
            Taken::Stored(_) => Outcome::NewReport(change.report.id.clone()),
        })
    }
}

/// The attachments to store: content kept up to the limit, the digest always.
fn kept_attachments(found: &[Attachment], limits: &MailLimits) -> Vec<NewAttachment> {
    found
        .iter()
        .map(|a| NewAttachment {
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: a.content.len() as u64,
            sha256: hex::encode(Sha256::digest(&a.content)),
            content: (a.content.len() <= limits.max_attachment_bytes).then(|| a.content.clone()),
        })
        .collect()
}

/// `[EMB-XXXXXXXXXXXX]` anywhere in a subject (our subjects carry it so replies thread).
pub fn subject_token(subject: &str) -> Option<ReportId> {
    let upper = subject.to_ascii_uppercase();
    let mut rest = upper.as_str();
    while let Some(i) = rest.find("EMB-") {
        let candidate: String = rest[i..].chars().take(16).collect();
        if let Ok(id) = ReportId::parse(&candidate) {
            return Some(id);
        }
        rest = &rest[i + 4..];
    }
    None
}

/// The text to show, with the attachments named (never rendered: downloadable by the
/// team only); a placeholder when the message has no text at all.
fn body_with_attachments(text: &str, attachments: &[Attachment]) -> String {
    let mut body = if text.trim().is_empty() {
        "(The message has no text.)".to_string()
    } else {
        text.to_string()
    };
    if !attachments.is_empty() {
        body.push_str("\n\n[Attachments kept for the team: ");
        let list: Vec<String> = attachments
            .iter()
            .map(|a| format!("{} ({}, {} bytes)", a.name, a.content_type, a.content.len()))
            .collect();
        body.push_str(&list.join("; "));
        body.push(']');
    }
    body
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_tokens_are_found() {
        assert_eq!(
            subject_token("Re: [EMB-0123456789AB] Report received").map(|i| i.to_string()),
            Some("EMB-0123456789AB".into())
        );
        assert_eq!(
            subject_token("re: [emb-0123456789ab] x").map(|i| i.to_string()),
            Some("EMB-0123456789AB".into())
        );
        assert_eq!(
            subject_token("EMB-short EMB-0123456789AB").map(|i| i.to_string()),
            Some("EMB-0123456789AB".into())
        );
        assert_eq!(subject_token("XSS in login"), None);
    }

    #[test]
    fn bodies_name_their_attachments() {
        let a = Attachment {
            name: "poc.png".into(),
            content_type: "image/png".into(),
            content: vec![0; 3],
        };
        assert_eq!(
            body_with_attachments("", std::slice::from_ref(&a)),
            "(The message has no text.)\n\n[Attachments kept for the team: poc.png (image/png, 3 bytes)]"
        );
        assert_eq!(body_with_attachments("hi", &[]), "hi");
    }
}
