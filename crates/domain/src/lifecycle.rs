//! The report lifecycle: given a report, an actor and a command, decide the change.
//!
//! `decide` is the only place that knows which step may follow which (seed 002), who
//! may take it, what the reporter and the teams are told, and what is audited. The
//! store applies a `Change` atomically; nothing here touches the outside world.

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::DomainError;
use crate::access::{Access, Actor, access};
use crate::cna::{CnaRecord, RecordState};
use crate::ids::{CveId, Email, ProjectId, ReportId};
use crate::intake::NewReport;
use crate::policy::Policy;
use crate::record::{Announcement, RecordDraft};
use crate::report::{
    AuditEntry, Channel, Deadlines, MessageKind, NewMessage, Notice, NoticeKind, OutgoingMail,
    ProjectRef, Report, Reporter,
};
use crate::state::ReportState;
use crate::text::{MAX_DESCRIPTION_BYTES, required_line, required_text};

/// Addresses and names a change needs to write its mails.
#[derive(Debug, Clone)]
pub struct Contacts {
    pub org_name: String,
    /// The organisation security team (the CNA); copied on what the seeds say.
    pub org_security: Email,
    /// The handling team's list: the project's security list, its private list, or
    /// the organisation team when no project is known.
    pub team: Email,
    /// Where the reporter follows the report: the private status link.
    pub status_url: Option<String>,
}

/// What a person (or the API) asks to do with a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Acknowledge {
        message: Option<String>,
    },
    Reject {
        reason: String,
    },
    Accept {
        disclosure_date: Date,
        message: Option<String>,
    },
    RequestCve {
        summary: String,
    },
    AssignCve {
        cve: CveId,
    },
    SendDraft {
        message: Option<String>,
    },
    RecordFix {
        fix_ref: String,
        release_ref: String,
    },
    Announce,
    /// Routes an unrouted (or misrouted) report to `project`, whose team is told at
    /// `team`: the domain does not know projects' addresses, so the caller gives it (the
    /// project's security list, else the organisation address).
    Route {
        project: ProjectRef,
        team: Email,
    },
    Reply {
        body: String,
    },
    Note {
        body: String,
    },
    ReporterReply {
        body: String,
    },
    /// Saves the thin record (the first API's shape); same as `SaveRecord` of its upgrade.
    UpdateRecord {
        record: RecordDraft,
    },
    /// Saves the full record; the record becomes (or stays) DRAFT.
    SaveRecord {
        record: CnaRecord,
    },
    /// Moves the CVE record to another state (see `cna` for who may do what).
    /// `problems` are the caller's validation findings (the CVE JSON 5 lint, which the
    /// domain cannot run itself); any of them keeps the record in DRAFT.
    MoveRecord {
        to: RecordState,
        reason: Option<String>,
        problems: Vec<String>,
    },
}

/// The fields of an API or form transition request, before they are checked.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TransitionRequest {
    pub to: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub disclosure_date: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub cve: Option<String>,
    #[serde(default)]
    pub fix_ref: Option<String>,
    #[serde(default)]
    pub release_ref: Option<String>,
}

impl TransitionRequest {
    /// The command this request stands for. `cve_assigned` without a `cve` means
    /// "the next free id of the pool"; the caller resolves that first.
    pub fn command(
        &self,
        next_pool_id: impl FnOnce() -> Option<CveId>,
    ) -> Result<Command, DomainError> {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let needed = |field: &'static str, v: &Option<String>| {
            text(v).ok_or_else(|| {
                DomainError::invalid(field, format!("is required to move to {}", self.to))
            })
        };
        Ok(match ReportState::parse(self.to.trim())? {
            ReportState::Received => {
                return Err(DomainError::transition(
                    "a report cannot be moved back to received",
                ));
            }
            ReportState::Acknowledged => Command::Acknowledge {
                message: text(&self.message),
            },
            ReportState::Rejected => Command::Reject {
                reason: needed("reason", &self.reason)?,
            },
            ReportState::Accepted => {
                let d = needed("disclosure_date", &self.disclosure_date)?;
                let disclosure_date: Date = d.parse().map_err(|_| {
                    DomainError::invalid(
                        "disclosure_date",
                        format!("{d:?} is not a date (YYYY-MM-DD)"),
                    )
                })?;
                Command::Accept {
                    disclosure_date,
                    message: text(&self.message),
                }
            }
            ReportState::CveRequested => Command::RequestCve {
                summary: needed("summary", &self.summary)?,
            },
            ReportState::CveAssigned => Command::AssignCve {
                cve: match text(&self.cve) {
                    Some(c) => CveId::parse(&c)?,
                    None => next_pool_id().ok_or_else(|| {
                        DomainError::transition(
                            "the CVE pool is empty: add ids with `embargo cve pool add`",
                        )
                    })?,
                },
            },
            ReportState::ReporterReview => Command::SendDraft {
                message: text(&self.message),
            },
            ReportState::Fixed => Command::RecordFix {
                fix_ref: needed("fix_ref", &self.fix_ref)?,
                release_ref: needed("release_ref", &self.release_ref)?,
            },
            ReportState::Announced => Command::Announce,
            ReportState::Merged => {
                return Err(DomainError::transition(
                    "a report is merged into another one with the merge action, not moved to merged",
                ));
            }
        })
    }
}

/// A published advisory: created by the announcement, public from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    pub cve: CveId,
    pub report: ReportId,
    pub project: ProjectId,
    pub title: String,
    pub announcement: Announcement,
    pub record: RecordDraft,
    pub published_at: Timestamp,
}

/// Everything one decision changes, applied by the store in one transaction.
#[derive(Debug, Clone)]
pub struct Change {
    /// The report as it is after the change (its `version` is the one it was read at).
    pub report: Report,
    pub messages: Vec<NewMessage>,
    pub mails: Vec<OutgoingMail>,
    pub audit: AuditEntry,
    /// A pool id to take for this report; the store fails the change if it is not free.
    pub claim_cve: Option<CveId>,
    pub publish: Option<Advisory>,
}

impl Change {
    fn new(report: Report, audit: AuditEntry) -> Self {
        Self {
            report,
            messages: vec![],
            mails: vec![],
            audit,
            claim_cve: None,
            publish: None,
        }
    }
}

/// Whether `member` may take an id from the pool for `report`: the organisation team
/// always; a project's own team when the project is trusted (delegation as at the ASF).
pub fn may_assign_cve(member: &crate::access::Member, report: &Report) -> bool {
    member.org_team
        || report
            .project
            .as_ref()
            .is_some_and(|p| p.trusted && member.projects.contains(&p.id))
}

/// A new report: the receipt for the reporter, the notice to the team, the audit line.
pub fn receive(
    new: NewReport,
    id: ReportId,
    project: Option<ProjectRef>,
    channel: Channel,
    now: Timestamp,
    policy: &Policy,
    contacts: &Contacts,
) -> Result<Change, DomainError> {
    let cal = policy.calendar()?;
    let report = Report {
        id,
        project,
        state: ReportState::Received,
        title: new.title,
        description: new.description,
        affected_versions: new.affected_versions,
        reporter: Reporter {
            name: new.reporter_name,
            email: new.reporter_email,
            credit: new.credit,
        },
        channel,
        received_at: now,
        acknowledged_at: None,
        accepted_at: None,
        announced_at: None,
        deadlines: Deadlines {
            acknowledge_by: Some(cal.add_working_days(now, policy.acknowledge_working_days)),
            ..Deadlines::default()
        },
        discussants: vec![],
        disclosure_date: None,
        cve_summary: None,
        cve: None,
        fix_ref: None,
        release_ref: None,
        record: None,
        cna_record: None,
        record_state: None,
        merged_into: None,
        split_from: None,
        version: 0,
    };
    let routed_to = match &report.project {
        Some(p) => format!("the {} security team", p.name),
        None => format!(
            "the {} security team, who will route it to the right project",
            contacts.org_name
        ),
    };
    let receipt = format!(
        "Thank you for your report. It has been received and forwarded to {routed_to}.\n\
         A member of the team will acknowledge it within {} working days.\n\
         Please keep it private until it is announced.",
        policy.acknowledge_working_days
    );
    let mut change = Change::new(
        report.clone(),
        AuditEntry {
            at: now,
            actor: "reporter".into(),
            action: "received".into(),
            detail: format!(
                "via {}; routed to {}",
                channel.as_str(),
                report
                    .project
                    .as_ref()
                    .map_or("organisation team".to_string(), |p| format!(
                        "project {}",
                        p.slug
                    ))
            ),
        },
    );
    change.messages.push(system_message(&receipt));
    if let Some(email) = &report.reporter.email {
        let link = contacts
            .status_url
            .as_ref()
            .map(|u| format!("\n\nFollow it, read the team's answers and reply here (keep this link private):\n{u}\n"))
            .unwrap_or_default();
        change.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc: vec![],
            subject: subject(&report, "Report received"),
            body: format!("{receipt}{link}"),
            notice: Some(Notice::new(
                NoticeKind::Receipt,
                [
                    (
                        "status_url",
                        contacts.status_url.clone().unwrap_or_default(),
                    ),
                    ("routed_to", routed_to.clone()),
                    (
                        "acknowledge_working_days",
                        policy.acknowledge_working_days.to_string(),
                    ),
                ],
            )),
        });
    }
    change.mails.push(OutgoingMail {
        to: vec![contacts.team.clone()],
        cc: cc_org(contacts),
        subject: subject(&report, &format!("New report: {}", report.title)),
        body: format!(
            "A new report was received via {}. Read it, answer the reporter and move it on in Embargo.\n\
             Acknowledge by: {}",
            channel.as_str(),
            report.deadlines.acknowledge_by.map(|t| t.to_string()).unwrap_or_default()
        ),
        notice: Some(Notice::new(
            NoticeKind::NewReport,
            [
                ("channel", channel.as_str().to_string()),
                (
                    "acknowledge_by",
                    report
                        .deadlines
                        .acknowledge_by
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                ),
            ],
        )),
    });
    Ok(change)
}

/// Decides what `command` does to `report`, or why it may not.
pub fn decide(
    report: &Report,
    command: Command,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
    contacts: &Contacts,
) -> Result<Change, DomainError> {
    let level = access(actor, report);
    if level == Access::None {
        return Err(DomainError::Forbidden("no such report".into()));
    }
    let is_reporter_command = matches!(command, Command::ReporterReply { .. });
    if is_reporter_command != (level == Access::Reporter) {
        return Err(DomainError::Forbidden(if is_reporter_command {
            "only the reporter can reply as the reporter".into()
        } else {
            "only the handling team can do this".into()
        }));
    }
    let member = actor.member();
    let member_name = member.map_or("Reporter".to_string(), |m| m.name.clone());
    let mut next = report.clone();
    let audit = |action: &str, detail: String| AuditEntry {
        at: now,
        actor: actor.audit_name(),
        action: action.into(),
        detail,
    };
    let transition_audit =
        |to: ReportState| audit("transition", format!("{} -> {}", report.state, to));
    let require = |ok: bool, why: &str| {
        if ok {
            Ok(())
        } else {
            Err(DomainError::transition(why.to_string()))
        }
    };
    let not_terminal = || {
        require(
            !report.state.is_terminal(),
            &format!(
                "the report is {}; nothing more can happen to it",
                report.state
            ),
        )
    };

    let change = match command {
        Command::Acknowledge { message } => {
            require(
                report.state == ReportState::Received,
                &format!(
                    "only a received report can be acknowledged; this one is {}",
                    report.state
                ),
            )?;
            next.state = ReportState::Acknowledged;
            next.acknowledged_at = Some(now);
            next.deadlines.discuss_by =
                Some(now + SignedDuration::from_hours(i64::from(policy.discuss_hours)));
            let body = message.unwrap_or_else(|| {
                "Thank you for your report. We have received it and are looking into it; we will keep you informed here.".into()
            });
            let mut c = Change::new(next.clone(), transition_audit(ReportState::Acknowledged));
            tell_reporter(
                &mut c,
                &member_name,
                member.map(|m| m.id),
                "Acknowledged",
                &body,
                contacts,
                true,
            );
            notice_last(
                &mut c,
                contacts,
                Notice::new(NoticeKind::Acknowledged, [("message", body.clone())]),
            );
            c
        }
        Command::Reject { reason } => {
            not_terminal()?;
            require(
                report.cve.is_none() || report.record_state() == Some(RecordState::Rejected),
                "a CVE is assigned to this report; reject the CVE with the organisation team first",
            )?;
            let reason = required_text("reason", &reason, MAX_DESCRIPTION_BYTES)?;
            next.state = ReportState::Rejected;
            let mut c = Change::new(next.clone(), transition_audit(ReportState::Rejected));
            let body = format!(
                "After investigation the team does not consider this a vulnerability:\n\n{reason}"
            );
            tell_reporter(
                &mut c,
                &member_name,
                member.map(|m| m.id),
                "Not a vulnerability",
                &body,
                contacts,
                true,
            );
            notice_last(
                &mut c,
                contacts,
                Notice::new(NoticeKind::Rejected, [("reason", reason.clone())]),
            );
            c
        }
        Command::Accept {
            disclosure_date,
            message,
        } => {
            require(
                report.state == ReportState::Acknowledged,
                &format!(
                    "only an acknowledged report can be accepted; this one is {}{}",
                    report.state,
                    if report.state == ReportState::Received {
                        " (acknowledge it first)"
                    } else {
                        ""
                    }
                ),
            )?;
            require(
                report.project.is_some(),
                "route the report to a project before accepting it",
            )?;
            let cal = policy.calendar()?;
            if disclosure_date < cal.local_date(now) {
                return Err(DomainError::invalid(
                    "disclosure_date",
                    format!("{disclosure_date} is in the past"),
                ));
            }
            next.state = ReportState::Accepted;
            next.accepted_at = Some(now);
            next.disclosure_date = Some(disclosure_date);
            next.deadlines.announce_by =
                Some(now + SignedDuration::from_hours(24 * i64::from(policy.announce_days)));
            let message = message.unwrap_or_else(|| {
                "The team has accepted your report as a vulnerability and is working on a fix."
                    .into()
            });
            let body = format!("{message}\n\nPlanned disclosure date: {disclosure_date}.");
            let mut c = Change::new(next.clone(), transition_audit(ReportState::Accepted));
            c.audit
                .detail
                .push_str(&format!("; disclosure {disclosure_date}"));
            tell_reporter(
                &mut c,
                &member_name,
                member.map(|m| m.id),
                "Accepted",
                &body,
                contacts,
                false,
            );
            notice_last(
                &mut c,
                contacts,
                Notice::new(
                    NoticeKind::Accepted,
                    [
                        ("message", message),
                        ("disclosure_date", disclosure_date.to_string()),
                    ],
                ),
            );
            c
        }
        Command::RequestCve { summary } => {
            require(
                report.state == ReportState::Accepted,
                &format!(
                    "a CVE can be requested for an accepted report; this one is {}",
                    report.state
                ),
            )?;
            let summary = required_line("summary", &summary)?;
            next.state = ReportState::CveRequested;
            next.cve_summary = Some(summary.clone());
            let mut c = Change::new(next.clone(), transition_audit(ReportState::CveRequested));
            c.mails.push(OutgoingMail {
                to: vec![contacts.org_security.clone()],
                cc: vec![contacts.team.clone()],
                subject: subject(report, "CVE request"),
                body: format!("CVE request for {}:\n\n{summary}", project_name(report)),
                notice: Some(Notice::new(
                    NoticeKind::CveRequest,
                    [("summary", summary.clone())],
                )),
            });
            c
        }
        Command::AssignCve { cve } => {
            require(
                member.is_some_and(|m| may_assign_cve(m, report)),
                "only the organisation security team, or the team of a trusted project, \
                 assigns CVE ids; request one (cve_requested) and the organisation team assigns it",
            )
            .map_err(|e| DomainError::Forbidden(e.to_string()))?;
            require(
                matches!(
                    report.state,
                    ReportState::Accepted | ReportState::CveRequested
                ),
                &format!(
                    "a CVE is assigned to an accepted report; this one is {}",
                    report.state
                ),
            )?;
            next.state = ReportState::CveAssigned;
            next.cve = Some(cve.clone());
            let mut c = Change::new(next.clone(), transition_audit(ReportState::CveAssigned));
            c.audit.detail.push_str(&format!("; {cve}"));
            c.claim_cve = Some(cve.clone());
            c.mails.push(OutgoingMail {
                to: vec![contacts.team.clone()],
                cc: cc_org(contacts),
                subject: subject(report, &format!("{cve} assigned")),
                body: format!("{cve} is assigned to this report. Write its record in Embargo."),
                notice: Some(Notice::new(
                    NoticeKind::CveAssigned,
                    [("cve", cve.to_string())],
                )),
            });
            tell_reporter(
                &mut c,
                &member_name,
                member.map(|m| m.id),
                "CVE assigned",
                &format!(
                    "The vulnerability has been assigned {cve}. It stays private until it is announced."
                ),
                contacts,
                false,
            );
            notice_last(
                &mut c,
                contacts,
                Notice::new(NoticeKind::CveAssignedReporter, [("cve", cve.to_string())]),
            );
            c
        }
        Command::SendDraft { message } => {
            require(
                report.state == ReportState::CveAssigned,
                &format!(
                    "the draft goes to the reporter once a CVE is assigned; this report is {}",
                    report.state
                ),
            )?;
            let record = complete_record(report)?;
            let cve = report
                .cve
                .clone()
                .ok_or_else(|| DomainError::transition("no CVE is assigned"))?;
            let draft = record.announcement(&cve);
            next.state = ReportState::ReporterReview;
            let mut c = Change::new(next.clone(), transition_audit(ReportState::ReporterReview));
            let message = message.unwrap_or_else(|| {
                "Please review the draft announcement below and tell us if anything should change."
                    .into()
            });
            let body = format!(
                "{message}\n\n--- Draft announcement ---\nSubject: {}\n\n{}",
                draft.subject, draft.body
            );
            tell_reporter(
                &mut c,
                &member_name,
                member.map(|m| m.id),
                "Draft announcement for your review",
                &body,
                contacts,
                false,
            );
            notice_last(
                &mut c,
                contacts,
                Notice::new(
                    NoticeKind::Draft,
                    [
                        ("message", message),
                        ("draft_subject", draft.subject.clone()),
                        ("draft_body", draft.body.clone()),
                    ],
                ),
            );
            c
        }
        Command::RecordFix {
            fix_ref,
            release_ref,
        } => {
            require(
                matches!(
                    report.state,
                    ReportState::ReporterReview | ReportState::Fixed
                ),
                &format!(
                    "the fix is recorded after the reporter has seen the draft (reporter_review); this report is {}",
                    report.state
                ),
            )?;
            next.state = ReportState::Fixed;
            next.fix_ref = Some(required_line("fix_ref", &fix_ref)?);
            next.release_ref = Some(required_line("release_ref", &release_ref)?);
            Change::new(next.clone(), transition_audit(ReportState::Fixed))
        }
        Command::Announce => {
            require(
                report.state == ReportState::Fixed,
                &format!(
                    "a report is announced once its fix is released (fixed); this one is {}",
                    report.state
                ),
            )?;
            let record = complete_record(report)?;
            require(
                report.record_state() != Some(RecordState::Rejected),
                "the CVE of this report is rejected; there is nothing to announce",
            )?;
            let cve = report
                .cve
                .clone()
                .ok_or_else(|| DomainError::transition("no CVE is assigned"))?;
            let project = report
                .project
                .as_ref()
                .ok_or_else(|| DomainError::transition("the report has no project"))?;
            let text = record.announcement(&cve);
            next.state = ReportState::Announced;
            next.announced_at = Some(now);
            let mut c = Change::new(next.clone(), transition_audit(ReportState::Announced));
            c.audit.detail.push_str(&format!("; {cve} published"));
            // seed 002 step 16: the reporter, the project's security list and the
            // organisation; release-announcement lists are configured with mail (issue #3).
            let mut to = vec![contacts.team.clone()];
            if let Some(e) = &report.reporter.email {
                to.push(e.clone());
            }
            c.mails.push(OutgoingMail {
                to,
                cc: cc_org(contacts),
                subject: text.subject.clone(),
                body: text.body.clone(),
                notice: Some(Notice::new(
                    NoticeKind::Announcement,
                    [("cve", cve.to_string())],
                )),
            });
            c.messages.push(system_message(&format!(
                "The vulnerability has been announced as {cve}."
            )));
            c.publish = Some(Advisory {
                cve,
                report: report.id.clone(),
                project: project.id,
                title: record.title.clone(),
                announcement: text,
                record: record.to_draft(),
                published_at: now,
            });
            c
        }
        Command::Route { project, team } => {
            require(
                member.is_some_and(|m| m.org_team),
                "only the organisation security team routes reports",
            )
            .map_err(|e| DomainError::Forbidden(e.to_string()))?;
            not_terminal()?;
            require(
                !report.state.is_accepted(),
                "an accepted report stays with its project",
            )?;
            let detail = format!("to project {}", project.slug);
            let name = project.name.clone();
            next.project = Some(project);
            let mut c = Change::new(next.clone(), audit("route", detail));
            c.messages.push(system_message(&format!(
                "Your report has been forwarded to the {name} security team."
            )));
            // Issue 3: the forwarded-to-project notice. For the project's team this is a
            // new report, so it is the `new_report` notice (a site's template for new
            // reports words it too), copied to the organisation as every routing is.
            let acknowledge_by = next
                .deadlines
                .acknowledge_by
                .map(|t| t.to_string())
                .unwrap_or_default();
            let cc = if team == contacts.org_security {
                vec![]
            } else {
                vec![contacts.org_security.clone()]
            };
            c.mails.push(OutgoingMail {
                to: vec![team],
                cc,
                subject: subject(&next, &format!("New report: {}", next.title)),
                body: format!(
                    "The {} security team forwarded this report to the {name} security team. \
                     Read it, answer the reporter and move it on in Embargo.\n\
                     Acknowledge by: {acknowledge_by}",
                    contacts.org_name
                ),
                notice: Some(Notice::new(
                    NoticeKind::NewReport,
                    [
                        ("channel", next.channel.as_str().to_string()),
                        ("acknowledge_by", acknowledge_by.clone()),
                    ],
                )),
            });
            c
        }
        Command::Reply { body } => {
            let body = required_text("body", &body, MAX_DESCRIPTION_BYTES)?;
            let mut c = Change::new(next.clone(), audit("reply", "to the reporter".into()));
            tell_reporter(
                &mut c,
                &member_name,
                member.map(|m| m.id),
                "Message from the security team",
                &body,
                contacts,
                false,
            );
            c
        }
        Command::Note { body } => {
            let body = required_text("body", &body, MAX_DESCRIPTION_BYTES)?;
            if let Some(m) = member
                && !next.discussants.contains(&m.id)
            {
                next.discussants.push(m.id);
            }
            let mut c = Change::new(next.clone(), audit("note", "internal".into()));
            c.messages.push(NewMessage {
                kind: MessageKind::Note,
                author: member.map(|m| m.id),
                author_label: member_name,
                body,
            });
            c
        }
        Command::ReporterReply { body } => {
            let body = required_text("body", &body, MAX_DESCRIPTION_BYTES)?;
            let mut c = Change::new(next.clone(), audit("reporter_reply", String::new()));
            c.messages.push(NewMessage {
                kind: MessageKind::Reporter,
                author: None,
                author_label: "Reporter".into(),
                body: body.clone(),
            });
            c.mails.push(OutgoingMail {
                to: vec![contacts.team.clone()],
                cc: vec![],
                subject: subject(report, "Reply from the reporter"),
                body,
                notice: None,
            });
            c
        }
        Command::UpdateRecord { record } => {
            return decide(
                report,
                Command::SaveRecord {
                    record: record.into(),
                },
                actor,
                now,
                policy,
                contacts,
            );
        }
        Command::SaveRecord { record } => {
            require(
                report.state.is_accepted() && report.state != ReportState::Announced,
                &format!(
                    "the record is written for an accepted, unannounced report; this one is {}",
                    report.state
                ),
            )?;
            let before = report.record_state();
            require(
                !matches!(before, Some(RecordState::Published | RecordState::Rejected)),
                &format!(
                    "the record is {}; it can no longer be edited",
                    before.map_or("", RecordState::label)
                ),
            )?;
            if record.title.trim().is_empty() && record.description.trim().is_empty() {
                return Err(DomainError::invalid(
                    "title",
                    "a record needs at least a title or a description",
                ));
            }
            next.record = Some(record.to_draft());
            next.cna_record = Some(record);
            next.record_state = Some(RecordState::Draft);
            let detail = match before {
                // An edit invalidates the review the record had.
                Some(s @ (RecordState::Review | RecordState::Ready)) => {
                    format!("updated; {s} -> DRAFT")
                }
                _ => "updated".into(),
            };
            Change::new(next.clone(), audit("record", detail))
        }
        Command::MoveRecord {
            to,
            reason,
            problems,
        } => {
            let from = report
                .record_state()
                .ok_or_else(|| DomainError::transition("no CVE is assigned to this report yet"))?;
            let org = member.is_some_and(|m| m.org_team);
            let org_only = |what: &str| {
                require(org, &format!("only the organisation security team {what}"))
                    .map_err(|e| DomainError::Forbidden(e.to_string()))
            };
            let no_problems = || -> Result<(), DomainError> {
                let record = report.cve_record().ok_or_else(|| {
                    DomainError::transition("write the vulnerability record first")
                })?;
                let all: Vec<String> = record
                    .problems()
                    .iter()
                    .map(ToString::to_string)
                    .chain(problems.iter().cloned())
                    .collect();
                match all.as_slice() {
                    [] => Ok(()),
                    [one] => Err(DomainError::transition(format!(
                        "the record cannot leave DRAFT until this is fixed: {one}"
                    ))),
                    [first, rest @ ..] => Err(DomainError::transition(format!(
                        "the record cannot leave DRAFT until its problems are fixed: {first} (and {} more)",
                        rest.len()
                    ))),
                }
            };
            let wrong = || {
                DomainError::transition(format!(
                    "a {from} record cannot be moved to {}",
                    to.label()
                ))
            };
            match to {
                RecordState::Reserved => return Err(wrong()),
                RecordState::Draft => {
                    org_only("sends a record back to DRAFT; edit and save it instead")?;
                    require(
                        matches!(from, RecordState::Review | RecordState::Ready),
                        &wrong().to_string(),
                    )?;
                }
                RecordState::Review => {
                    require(from == RecordState::Draft, &wrong().to_string())?;
                    require(
                        report.cve.is_some(),
                        "a CVE id is assigned before its record is reviewed",
                    )?;
                    no_problems()?;
                }
                RecordState::Ready => {
                    org_only("marks a record READY")?;
                    require(
                        from == RecordState::Review,
                        &format!(
                            "a {from} record cannot be marked READY; the project submits it for review first"
                        ),
                    )?;
                    no_problems()?;
                }
                RecordState::Published => {
                    org_only("publishes records to the CVE Program")?;
                    require(
                        from == RecordState::Ready,
                        &format!("a {from} record cannot be published; it must be READY"),
                    )?;
                    require(
                        report.state == ReportState::Announced,
                        "a record is published once the vulnerability is announced; nothing is public before that",
                    )?;
                }
                RecordState::Rejected => {
                    org_only("rejects CVE ids")?;
                    require(
                        from != RecordState::Rejected,
                        "the CVE id is already rejected",
                    )?;
                }
            }
            let reason = reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(String::from);
            if to == RecordState::Rejected && reason.is_none() {
                return Err(DomainError::invalid(
                    "reason",
                    "say why the CVE id is rejected (e.g. \"duplicate of CVE-...\")",
                ));
            }
            next.record_state = Some(to);
            let mut c = Change::new(
                next.clone(),
                audit("record_state", format!("{from} -> {}", to.label())),
            );
            if let Some(reason) = reason {
                let body = required_text("reason", &reason, MAX_DESCRIPTION_BYTES)?;
                c.messages.push(NewMessage {
                    kind: MessageKind::Note,
                    author: member.map(|m| m.id),
                    author_label: member_name.clone(),
                    body: format!("Record {from} -> {}: {body}", to.label()),
                });
            }
            if matches!(to, RecordState::Review | RecordState::Ready) {
                let (who, what) = if to == RecordState::Review {
                    (contacts.org_security.clone(), "submitted for review")
                } else {
                    (
                        contacts.team.clone(),
                        "marked READY by the organisation team",
                    )
                };
                c.mails.push(OutgoingMail {
                    to: vec![who],
                    cc: vec![],
                    notice: None,
                    subject: subject(report, &format!("Record {what}")),
                    body: format!(
                        "The record of {} was {what}. Read it in Embargo.",
                        report
                            .cve
                            .as_ref()
                            .map_or("this report".into(), ToString::to_string)
                    ),
                });
            }
            c
        }
    };
    Ok(change)
}

/// The record, checked complete: announcing or drafting needs every required field.
fn complete_record(report: &Report) -> Result<CnaRecord, DomainError> {
    let record = report
        .cve_record()
        .ok_or_else(|| DomainError::transition("write the vulnerability record first"))?;
    if let Some(p) = record.problems().first() {
        return Err(DomainError::transition(format!(
            "the record is not complete: {p}"
        )));
    }
    Ok(record)
}

fn system_message(body: &str) -> NewMessage {
    NewMessage {
        kind: MessageKind::System,
        author: None,
        author_label: "Embargo".into(),
        body: body.into(),
    }
}

/// A message for the reporter: on their status page, and by mail if they gave an
/// address. `copy_org` follows seed 002 steps 4 and 6 (acknowledgement and rejection
/// are copied to the security lists).
fn tell_reporter(
    change: &mut Change,
    author: &str,
    author_id: Option<crate::ids::UserId>,
    topic: &str,
    body: &str,
    contacts: &Contacts,
    copy_org: bool,
) {
    change.messages.push(NewMessage {
        kind: MessageKind::Team,
        author: author_id,
        author_label: author.into(),
        body: body.into(),
    });
    if let Some(email) = &change.report.reporter.email {
        let mut cc = vec![contacts.team.clone()];
        if copy_org {
            cc.extend(cc_org(contacts));
        }
        cc.dedup();
        let link = contacts
            .status_url
            .as_ref()
            .map(|u| format!("\n\n-- \nFollow and answer here: {u}"))
            .unwrap_or_default();
        change.mails.push(OutgoingMail {
            to: vec![email.clone()],
            cc,
            subject: subject(&change.report, topic),
            body: format!("{body}{link}"),
            notice: None,
        });
    }
}

/// Marks the mail [`tell_reporter`] just queued (if the reporter gave an address) as
/// `notice`, with the status link it carries.
fn notice_last(change: &mut Change, contacts: &Contacts, mut notice: Notice) {
    let reporter = change.report.reporter.email.clone();
    if let Some(mail) = change.mails.last_mut()
        && mail.notice.is_none()
        && reporter.is_some_and(|r| mail.to.first() == Some(&r))
    {
        notice.vars.insert(
            "status_url".into(),
            contacts.status_url.clone().unwrap_or_default(),
        );
        mail.notice = Some(notice);
    }
}

fn cc_org(contacts: &Contacts) -> Vec<Email> {
    if contacts.org_security == contacts.team {
        vec![]
    } else {
        vec![contacts.org_security.clone()]
    }
}

/// Subjects carry the report id so that replies thread; never the title to outsiders.
fn subject(report: &Report, topic: &str) -> String {
    format!("[{}] {}", report.id, topic)
}

fn project_name(report: &Report) -> String {
    report
        .project
        .as_ref()
        .map_or("an unrouted report".into(), |p| p.name.clone())
}

mod combine;
pub use combine::{Merge, Split, may_merge, may_split, merge, split};

#[cfg(test)]
mod tests;
