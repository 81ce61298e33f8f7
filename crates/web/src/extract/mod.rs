//! Extractors: who is asking (session cookie or bearer token), the report they may
//! see, CSRF-checked forms, and request bodies whose rejections speak the error policy.

mod auth;
mod body;
mod team;
mod upload;

pub use auth::{Auth, bearer_only, session_cookie};
pub use body::{ApiJson, PageForm};
pub use team::{CsrfForm, NoFields, TeamReport};
pub use upload::{CsrfUpload, RawUpload, UPLOAD_LIMIT};
