//! Handlers, one module per area: public pages, sign-in, the team UI and `/api/v1`.

pub mod api;
pub mod auth;
pub mod public;
pub mod team;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;

/// Renders a page with status 200.
pub fn html<T: Template>(t: &T) -> Result<Response, AppError> {
    Ok(Html(t.render()?).into_response())
}

/// Renders a page with another status (a form shown again with its error).
pub fn html_with_status<T: Template>(status: StatusCode, t: &T) -> Result<Response, AppError> {
    Ok((status, Html(t.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

/// The page for an error; says no more than the error's public message.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let t = ErrorPage {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("Error"),
        message,
    };
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page template");
            (status, message.to_string()).into_response()
        }
    }
}

/// A project as lists of links show it.
#[derive(Debug, Clone)]
pub struct ProjectLink {
    pub slug: String,
    pub name: String,
}

impl From<&embargo_app::model::Project> for ProjectLink {
    fn from(p: &embargo_app::model::Project) -> Self {
        Self {
            slug: p.slug.to_string(),
            name: p.name.clone(),
        }
    }
}
