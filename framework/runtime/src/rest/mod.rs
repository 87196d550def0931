//! The REST API: Kafka Connect's paths, bodies, status codes and error shape, plus
//! `/health` and `/metrics`.
//!
//! [`router`] builds the whole API over a worker, so tests can drive it without a socket.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::json;

use crate::worker::Worker;

mod config_body;
pub mod connectors;
pub mod error;
pub mod plugins;

use error::ApiError;

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    /// The worker.
    pub worker: Worker,
    /// The Kafka cluster's id, if the broker told it.
    pub cluster_id: Option<String>,
}

/// Builds the API.
pub fn router(state: AppState) -> Router {
    use connectors as c;
    Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/connectors", get(c::list).post(c::create))
        .route("/connectors/{name}", get(c::get).delete(c::delete))
        .route(
            "/connectors/{name}/config",
            get(c::get_config).put(c::put_config).patch(c::patch_config),
        )
        .route("/connectors/{name}/status", get(c::status))
        .route(
            "/connectors/{name}/restart",
            axum::routing::post(c::restart),
        )
        .route("/connectors/{name}/pause", put(c::pause))
        .route("/connectors/{name}/resume", put(c::resume))
        .route("/connectors/{name}/stop", put(c::stop))
        .route("/connectors/{name}/tasks", get(c::tasks))
        .route("/connectors/{name}/tasks/{id}/status", get(c::task_status))
        .route(
            "/connectors/{name}/tasks/{id}/restart",
            axum::routing::post(c::restart_task),
        )
        .route("/connectors/{name}/topics", get(c::topics))
        .route("/connectors/{name}/topics/reset", put(c::reset_topics))
        .route(
            "/connectors/{name}/offsets",
            get(c::offsets)
                .patch(c::alter_offsets)
                .delete(c::reset_offsets),
        )
        .route("/connector-plugins", get(plugins::list))
        .route(
            "/connector-plugins/{plugin}/config",
            get(plugins::config_def),
        )
        .route(
            "/connector-plugins/{plugin}/config/validate",
            put(plugins::validate),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn root(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commit": option_env!("SLUICE_COMMIT").unwrap_or("unknown"),
        "kafka_cluster_id": app.cluster_id,
    }))
}

/// The message of a healthy worker, as Kafka Connect words it.
const READY: &str = "Worker has completed startup and is ready to handle requests.";

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "healthy", "message": READY}))
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let body = app.worker.render_metrics().await;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

async fn not_found() -> ApiError {
    ApiError::not_found("HTTP 404 Not Found")
}

async fn method_not_allowed() -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "HTTP 405 Method Not Allowed".into(),
    }
}

/// Serves the API on `listener` until `shutdown` completes. A trailing slash is dropped
/// before routing, so `/connectors/` is `/connectors`, as Kafka Connect answers it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = tower_http::normalize_path::NormalizePath::trim_trailing_slash(router(state));
    let app = axum::ServiceExt::<axum::extract::Request>::into_make_service(app);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
