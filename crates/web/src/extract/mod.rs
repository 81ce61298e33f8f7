//! Extractors: who is asking (session cookie or bearer token), and request bodies
//! whose rejections speak the error policy.

mod auth;
mod body;

pub use auth::{Auth, bearer_only, session_cookie};
pub use body::{ApiJson, PageForm};
