//! JSON and form bodies whose failures become `AppError`s (400 with serde's message,
//! 413 over the body limit, 415 for the wrong content type).

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::{Form, Json};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON body for `/api/v1`.
pub struct ApiJson<T>(pub T);

/// A form body for the HTML pages.
pub struct PageForm<T>(pub T);

fn rejection(status: StatusCode, text: String) -> AppError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(text),
        _ => AppError::BadRequest(text),
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(r) => Err(rejection(r.status(), r.body_text())),
        }
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => Ok(Self(v)),
            Err(r) => Err(rejection(r.status(), r.body_text())),
        }
    }
}
