//! Owners (docs/process.md#owners): a member takes a report, assigns it to another
//! member of the team handling it, or releases it. Who the owner may be is the
//! domain's rule; this module finds the member the request names.

use embargo_domain::access::Actor;
use embargo_domain::lifecycle::Command;
use embargo_domain::report::Report;
use serde::Deserialize;

use crate::App;
use crate::error::{Error, Result};

/// Who is to own the report, as the API and the report page send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerRequest {
    /// `me` to take it, a team member's e-mail address to assign it, or `none` to
    /// release it.
    pub owner: String,
}

impl App {
    /// Gives `report` the owner `req` names, or releases it.
    pub async fn set_owner(
        &self,
        actor: &Actor,
        report: &Report,
        req: &OwnerRequest,
    ) -> Result<Report> {
        let me = actor
            .member()
            .ok_or_else(|| Error::Forbidden("only the handling team can do this".into()))?;
        let owner = match req.owner.trim() {
            "" => {
                return Err(Error::invalid(
                    "owner",
                    "is empty: me, a team member's address, or none",
                ));
            }
            "none" => None,
            "me" => Some(me.clone()),
            address => Some(self.member_by_email(address).await?.ok_or_else(|| {
                Error::invalid(
                    "owner",
                    "is not the address of a member (me, a team member's address, or none)",
                )
            })?),
        };
        self.act(actor, report, Command::SetOwner { owner }).await
    }
}
