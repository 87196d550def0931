//! The REST layer's one error type, turned into Kafka Connect's
//! `{"error_code": N, "message": "..."}` body in one place, and the extractors for a JSON
//! body and for path segments, which answer what they cannot read with that body too
//! instead of axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::worker::WorkerError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for the client.
    pub message: String,
}

impl ApiError {
    /// A 400 answer.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// A 404 answer.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl From<WorkerError> for ApiError {
    fn from(e: WorkerError) -> Self {
        let (status, message) = match e {
            WorkerError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            WorkerError::AlreadyExists(m) | WorkerError::Conflict(m) => (StatusCode::CONFLICT, m),
            WorkerError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            WorkerError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        Self { status, message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            // Client mistakes are the client's to read; server failures are ours to log.
            let (status, message) = (self.status.as_u16(), &self.message);
            tracing::error!(status, %message, "request failed");
        }
        let body = json!({ "error_code": self.status.as_u16(), "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

/// A JSON request body. Any content type is accepted, as curl users often send none.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The rejection's own status: 413 for a body over the limit, 400 otherwise.
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError {
                status: e.status(),
                message: format!("Cannot read the request body: {e}"),
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "The request body is empty; a JSON object was expected",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::bad_request(format!("Invalid JSON in the request body: {e}")))
    }
}

/// Path segments, decoded. A segment that is not valid percent-encoded UTF-8 is a 400
/// with a JSON body.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| Path(t))
            .map_err(|e| ApiError {
                status: e.status(),
                message: e.body_text(),
            })
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
