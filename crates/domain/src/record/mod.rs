//! The CVE record: [`CnaRecord`], the one model of what the team writes for one CVE. It
//! is the source of the CVE JSON 5 CNA container, the announcement and the advisory in
//! every format, and it is what a report keeps (`Report::cna_record`) and an advisory
//! publishes.
//!
//! - `model`: [`CnaRecord`] itself;
//! - `product`: its affected products ([`AffectedProduct`]), each with its package URL;
//! - `versions`: their version ranges ([`VersionRange`]) and the line people write one as;
//! - `parts`: its other parts (severity, credits, CWEs, references, timeline) and their lines;
//! - `shapes`: the JSON shapes it is read from, today's and the single-product one;
//! - `check`: what it must say before it is announced ([`CnaRecord::problems`]);
//! - `state`: [`RecordState`], RESERVED → DRAFT → REVIEW → READY → PUBLISHED and
//!   REJECTED, and how it meets the report's lifecycle;
//! - `announcement`: the ASF announcement written from it ([`CnaRecord::announcement`]).
//!
//! Records stored by earlier versions (title, description, one product, ranges without
//! inclusive bounds, bare reference URLs) read as a [`CnaRecord`] as they are: every
//! field may be left out, a reference may be a bare URL, and the single product of the
//! earlier shape becomes the record's one product. The store relies on this to upgrade
//! what it kept in those shapes.

mod announcement;
mod check;
mod model;
mod parts;
mod product;
mod shapes;
mod state;
mod versions;

pub use announcement::{Announcement, announcement_subject};
pub use check::Problem;
pub use model::{CnaRecord, MAX_RECORD_DESCRIPTION};
pub use parts::{Credit, CreditKind, Cwe, REFERENCE_TAGS, Reference, Severity, TimelineEntry};
pub use product::{AffectedProduct, versionless_purl};
pub use state::RecordState;
pub use versions::{VersionChange, VersionRange, VersionStatus};
