//! Embargo's domain: the rules of private vulnerability handling, free of I/O.
//!
//! Everything here is a pure function of its inputs (the clock and randomness are
//! passed in or confined to token generation), so the web, mail and CLI front ends
//! all ask the same questions and get the same answers.

pub mod access;
pub mod advisory;
pub mod announce;
pub mod blind;
pub mod calendar;
pub mod clocks;
pub mod error;
pub mod ids;
pub mod intake;
pub mod lifecycle;
pub mod mail;
pub mod next_step;
pub mod policy;
pub mod record;
pub mod report;
pub mod search;
pub mod senders;
pub mod state;
pub mod stats;
pub mod text;
pub mod token;
pub mod triage;
pub mod vex;

pub use error::DomainError;

/// An enum's `strum::VariantArray::VARIANTS` as the array its `ALL` constant is.
const fn variants<T: Copy, const N: usize>(all: &[T]) -> [T; N] {
    match all.as_array() {
        Some(all) => *all,
        None => panic!("`ALL` has one element per variant"),
    }
}

#[cfg(test)]
mod tests {
    use crate::record::{CreditKind, RecordState, Severity, VersionStatus};
    use crate::report::{Channel, MessageKind, NoticeKind};
    use crate::state::ReportState;
    use crate::triage::{TriageClass, TriageStatus};

    fn serde_name(v: impl serde::Serialize) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The names strum derives are the ones serde writes, and `parse` reads them back.
    #[test]
    fn enum_names_are_the_serde_names() {
        for v in ReportState::ALL {
            assert_eq!(
                (
                    serde_name(v).as_str(),
                    ReportState::parse(v.as_str()).unwrap()
                ),
                (v.as_str(), v)
            );
        }
        for v in RecordState::ALL {
            assert_eq!(
                (
                    serde_name(v).as_str(),
                    RecordState::parse(v.as_str()).unwrap()
                ),
                (v.as_str(), v)
            );
        }
        for v in VersionStatus::ALL {
            assert_eq!(
                (
                    serde_name(v).as_str(),
                    VersionStatus::parse("status", v.as_str()).unwrap()
                ),
                (v.as_str(), v)
            );
        }
        for v in Severity::ALL {
            assert_eq!(
                (serde_name(v).as_str(), Severity::parse(v.as_str()).unwrap()),
                (v.as_str(), v)
            );
        }
        for v in CreditKind::ALL {
            assert_eq!(serde_name(v).replace('_', " "), v.cve_name());
            assert_eq!(CreditKind::parse(&serde_name(v)).unwrap(), v);
            assert_eq!(CreditKind::parse(v.cve_name()).unwrap(), v);
        }
        for v in [Channel::Web, Channel::Api, Channel::Email] {
            assert_eq!(
                (serde_name(v).as_str(), Channel::parse(v.as_str())),
                (v.as_str(), Some(v))
            );
        }
        for v in [
            MessageKind::Reporter,
            MessageKind::Team,
            MessageKind::Note,
            MessageKind::System,
        ] {
            assert_eq!(
                (serde_name(v).as_str(), MessageKind::parse(v.as_str())),
                (v.as_str(), Some(v))
            );
        }
        for v in NoticeKind::ALL {
            assert_eq!(serde_name(v), v.as_str());
        }
        assert_eq!(NoticeKind::ALL.len(), 25);
        for v in TriageClass::ALL {
            assert_eq!(
                (
                    serde_name(v).as_str(),
                    TriageClass::parse(v.as_str()).unwrap()
                ),
                (v.as_str(), v)
            );
        }
        for v in TriageStatus::ALL {
            assert_eq!(serde_name(v), v.as_str());
        }
        let err = TriageClass::parse("noise").unwrap_err().to_string();
        assert!(err.contains("users_list_question"), "{err}");
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!(MessageKind::parse("Note"), None);
        let err = Severity::parse("Severe").unwrap_err().to_string();
        assert!(
            err.contains(r#""Severe" is not one of low, moderate, important, critical"#),
            "{err}"
        );
        let err = RecordState::parse(" Done ").unwrap_err().to_string();
        assert!(err.contains(r#""done" is not a record state (one of: reserved, draft, review, ready, published, rejected)"#), "{err}");
        let err = CreditKind::parse("Remediation_Tester")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(r#""remediation tester" is not a credit type"#),
            "{err}"
        );
    }
}
