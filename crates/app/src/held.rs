//! Held mail: bounces and auto-replies that belong to no report, for the organisation
//! team only (anyone else gets `NotFound`, as for a page that does not exist).

use embargo_domain::access::{Actor, Member};
use embargo_store::{HeldMailInfo, HeldState, MAX_HELD_LISTED};
use jiff::Timestamp;

use crate::App;
use crate::error::{Error, Result};

impl App {
    /// The held mails in `filter`, newest first, and how many are still held.
    pub async fn held_mails(
        &self,
        member: &Member,
        filter: HeldState,
    ) -> Result<(Vec<HeldMailInfo>, i64)> {
        require_org_team(member)?;
        let list = self.store().held_mails(filter, MAX_HELD_LISTED).await?;
        Ok((list, self.store().held_count().await?))
    }

    /// Discards a held mail (audited).
    pub async fn discard_held(&self, member: &Member, id: i64) -> Result<()> {
        require_org_team(member)?;
        Ok(self
            .store()
            .discard_held(
                id,
                member.id,
                &Actor::Member(member.clone()).audit_name(),
                Timestamp::now(),
            )
            .await?)
    }
}

pub(crate) fn require_org_team(member: &Member) -> Result<()> {
    if member.org_team {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
