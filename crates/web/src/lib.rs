//! Embargo's web front end: public pages, the team UI and the `/api/v1` JSON API,
//! all making the same domain calls through [`service`].

mod diff;
mod error;
mod extract;
pub mod limit;
pub mod password;
mod publish;
mod router;
mod routes;
mod service;
mod state;
mod views;

pub use error::AppError;
pub use router::router;
pub use state::{AppState, WebConfig};
