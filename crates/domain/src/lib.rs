//! Embargo's domain: the rules of private vulnerability handling, free of I/O.
//!
//! Everything here is a pure function of its inputs (the clock and randomness are
//! passed in or confined to token generation), so the web, mail and CLI front ends
//! all ask the same questions and get the same answers.

pub mod access;
pub mod calendar;
pub mod cna;
pub mod error;
pub mod ids;
pub mod intake;
pub mod lifecycle;
pub mod mail;
pub mod policy;
pub mod record;
pub mod report;
pub mod state;
pub mod text;
pub mod token;
// Re-exported as `lifecycle::TransitionRequest` until it moves to the application crate.
mod transition_request;

pub use error::DomainError;

/// An enum's `strum::VariantArray::VARIANTS` as the array its `ALL` constant is.
const fn variants<T: Copy, const N: usize>(all: &[T]) -> [T; N] {
    match all.as_array() {
        Some(all) => *all,
        None => panic!("`ALL` has one element per variant"),
    }
}
