//! The triage rules (docs/triage.md#rules-and-policy): what each class looks like in a
//! report's text, weighed against the evidence that the report is genuine.
//!
//! This folder owns the rules; `classify.rs` runs them and decides. Per message:
//! [`text::Text`] prepares the bounded text and its word index once; [`evidence`]
//! finds what a genuine report has (versions, steps, requests, payloads, traces, code
//! locations, analysis), searching the built-in [`evidence_lists`]; [`scanner`]
//! measures the shape of pasted scanner output; [`noise`] scores each noise class from
//! the policy's phrases and that shape, and says when the evidence outweighs it.
//! [`defaults`] holds the organisation's default phrase lists.
//!
//! Matching is plain: whole words, case-insensitive, one binary search per phrase; a
//! few substring searches for payloads; one pass over lines and one over tokens, all
//! bounded. No regular expressions, no allocation per phrase.

pub mod defaults;
pub mod evidence;
pub mod evidence_lists;
pub mod noise;
pub mod scanner;
pub mod text;
