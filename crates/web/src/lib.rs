//! Embargo's web front end: public pages, the team UI and the `/api/v1` JSON API,
//! HTTP only: each handler extracts its input, makes one call on the application
//! layer ([`embargo_app::App`]) and renders what it returns.

mod diff;
mod error;
mod extract;
pub mod limit;
pub mod metrics;
mod router;
mod routes;
mod state;
mod views;
mod xml;

pub use error::AppError;
pub use router::router;
pub use state::{AppState, WebConfig};
