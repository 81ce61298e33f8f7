//! `embargo sender block|throttle|lift|list`: the organisation team's sender rules from
//! the command line, each one call to the application layer's `senders` use cases, as
//! the member `--by` names (only the organisation team may).

use anyhow::{Result, bail};
use embargo_app::App;
use embargo_app::model::SenderRuleInfo;
use embargo_app::senders::SenderRuleRequest;
use embargo_domain::access::Member;
use embargo_domain::senders::SenderAction;

use crate::cli::{DataArgs, SenderCommand};
use crate::config::Settings;

async fn open(data: &DataArgs) -> Result<App> {
    let settings = Settings::load(data, None)?;
    let store = settings.open_store().await?;
    crate::init::ensure_initialised(&store, &settings).await?;
    crate::wiring::build(&settings, store, false).await
}

/// The member `--by` names; only an organisation-team member may act on sender rules.
async fn member(app: &App, by: &str) -> Result<Member> {
    match app.member_by_email(by.trim()).await? {
        Some(m) if m.org_team => Ok(m),
        Some(_) => bail!("{by} is not on the organisation team; only they manage sender rules"),
        None => bail!("no user {by}; --by names an organisation-team member"),
    }
}

pub async fn run(data: &DataArgs, command: SenderCommand) -> Result<()> {
    let app = open(data).await?;
    match command {
        SenderCommand::Block {
            pattern,
            reason,
            by,
        } => {
            let req = SenderRuleRequest {
                pattern,
                action: "block".into(),
                per_day: None,
                reason,
            };
            let rule = app.add_sender_rule(&member(&app, &by).await?, &req).await?;
            println!("Added rule #{}: {}", rule.id, line(&rule));
        }
        SenderCommand::Throttle {
            pattern,
            per_day,
            reason,
            by,
        } => {
            let req = SenderRuleRequest {
                pattern,
                action: "throttle".into(),
                per_day,
                reason,
            };
            let rule = app.add_sender_rule(&member(&app, &by).await?, &req).await?;
            println!("Added rule #{}: {}", rule.id, line(&rule));
        }
        SenderCommand::Lift { id, reason, by } => {
            let rule = app
                .lift_sender_rule(&member(&app, &by).await?, id, &reason)
                .await?;
            println!("Lifted rule #{}: {}", rule.id, line(&rule));
        }
        SenderCommand::List { lifted, by } => {
            let rules = app.sender_rules(&member(&app, &by).await?, lifted).await?;
            if rules.is_empty() {
                println!("No rules {}.", if lifted { "lifted" } else { "in force" });
            }
            for rule in rules {
                println!("#{}\t{}", rule.id, line(&rule));
            }
        }
    }
    Ok(())
}

/// `mallory@example.com  block  reason (by ada@example.org, 2026-06-01 10:00 UTC)`.
fn line(rule: &SenderRuleInfo) -> String {
    let action = match rule.action {
        SenderAction::Block => "block".to_string(),
        SenderAction::Throttle { per_day } => format!("throttle to {per_day} a day"),
    };
    let mut text = format!(
        "{}\t{action}\t{} (by {}, {})",
        rule.pattern,
        rule.reason,
        rule.created_by,
        rule.created_at.strftime("%Y-%m-%d %H:%M UTC")
    );
    if let (Some(at), Some(by)) = (rule.lifted_at, &rule.lifted_by) {
        text.push_str(&format!(
            "; lifted by {by}, {}: {}",
            at.strftime("%Y-%m-%d %H:%M UTC"),
            rule.lift_reason.as_deref().unwrap_or("")
        ));
    }
    text
}
