//! The team's search (docs/search.md): reading a query is the domain's
//! (`embargo_domain::search`), finding the reports is a filter of the lists
//! ([`crate::ListQuery::q`]); this module owns indexing the reports stored before the
//! search index existed.

use crate::App;
use crate::error::Result;

/// Reports indexed per transaction: small enough that a batch never holds the write
/// lock for long beside the team's own changes.
pub const BACKFILL_BATCH: u32 = 200;

impl App {
    /// Indexes every report not indexed yet (stored before the search index existed),
    /// a batch per transaction. Resumable: each batch notes how far it got, so that a
    /// restart goes on from there; once done, a call costs one small read. Returns how
    /// many reports it looked at.
    pub async fn index_unindexed_reports(&self) -> Result<u64> {
        let mut total = 0;
        loop {
            let n = self.store().backfill_search(BACKFILL_BATCH).await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }
}
