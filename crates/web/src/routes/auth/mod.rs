//! Signing in and out, and first-time password setup through a one-time link.

pub mod login;
pub mod logout;
pub mod setup;
