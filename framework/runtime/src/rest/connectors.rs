//! `/connectors` and everything below it.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::config_body::{patch, settings};
use super::error::{ApiError, ApiResult, Body, Path};
use super::AppState;
use crate::status::TargetState;
use crate::worker::model::Offsets;

/// The value of every `key=...` in a raw query string.
fn query_values<'a>(query: &'a Option<String>, key: &str) -> Vec<&'a str> {
    let Some(q) = query else { return Vec::new() };
    q.split('&')
        .filter_map(|pair| {
            pair.split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
        })
        .collect()
}

/// A boolean query flag; anything but `true` is false, as Kafka Connect parses it.
fn query_flag(query: &Option<String>, key: &str) -> bool {
    query_values(query, key)
        .iter()
        .any(|v| v.eq_ignore_ascii_case("true"))
}

/// GET /connectors, with `?expand=status` and/or `?expand=info`.
pub async fn list(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<Value>> {
    let names = app.worker.names().await;
    let expand = query_values(&query, "expand");
    if expand.is_empty() {
        return Ok(Json(json!(names)));
    }
    let mut out = Map::new();
    for name in names {
        let mut entry = Map::new();
        if expand.contains(&"status") {
            if let Ok(s) = app.worker.status(&name).await {
                entry.insert("status".into(), json!(s));
            }
        }
        if expand.contains(&"info") {
            if let Ok(i) = app.worker.info(&name).await {
                entry.insert("info".into(), json!(i));
            }
        }
        out.insert(name, Value::Object(entry));
    }
    Ok(Json(Value::Object(out)))
}

/// POST /connectors with `{"name": ..., "config": {...}}`.
pub async fn create(State(app): State<AppState>, Body(body): Body<Value>) -> ApiResult<Response> {
    let name = match body.get("name") {
        Some(Value::String(n)) => n.trim().to_owned(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "\"name\" must be a string, not {other}"
            )))
        }
        None => {
            return Err(ApiError::bad_request(
                "The request body needs a \"name\" field",
            ))
        }
    };
    let config = settings(body.get("config").unwrap_or(&Value::Null), "\"config\"")?;
    let initial = match body.get("initial_state") {
        None | Some(Value::Null) => TargetState::Started,
        Some(Value::String(s)) if s == "RUNNING" => TargetState::Started,
        Some(Value::String(s)) if s == "PAUSED" => TargetState::Paused,
        Some(Value::String(s)) if s == "STOPPED" => TargetState::Stopped,
        Some(other) => {
            let m = format!("\"initial_state\" must be RUNNING, PAUSED or STOPPED, not {other}");
            return Err(ApiError::bad_request(m));
        }
    };
    let info = app.worker.create(&name, config, initial).await?;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

/// GET /connectors/{name}.
pub async fn get(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.worker.info(&name).await?).into_response())
}

/// DELETE /connectors/{name}.
pub async fn delete(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    app.worker.delete(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /connectors/{name}/config.
pub async fn get_config(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    Ok(Json(app.worker.config_of(&name).await?).into_response())
}

/// PUT /connectors/{name}/config: 201 when created, 200 when updated.
pub async fn put_config(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Response> {
    let config = settings(&body, "The connector config")?;
    let (created, info) = app.worker.put_config(&name, config).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(info)).into_response())
}

/// PATCH /connectors/{name}/config: merges; a null value removes the key.
pub async fn patch_config(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Response> {
    let changes = patch(&body, "The config patch")?;
    Ok(Json(app.worker.patch_config(&name, changes).await?).into_response())
}

/// GET /connectors/{name}/status.
pub async fn status(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.worker.status(&name).await?).into_response())
}

/// POST /connectors/{name}/restart: 204 for the plain form, 202 with the status otherwise.
pub async fn restart(
    State(app): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let include_tasks = query_flag(&query, "includeTasks");
    let only_failed = query_flag(&query, "onlyFailed");
    let status = app
        .worker
        .restart(&name, include_tasks, only_failed)
        .await?;
    if !include_tasks && !only_failed {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok((StatusCode::ACCEPTED, Json(status)).into_response())
}

/// PUT /connectors/{name}/pause.
pub async fn pause(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<StatusCode> {
    app.worker.set_target(&name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED)
}

/// PUT /connectors/{name}/resume.
pub async fn resume(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    app.worker.set_target(&name, TargetState::Started).await?;
    Ok(StatusCode::ACCEPTED)
}

/// PUT /connectors/{name}/stop.
pub async fn stop(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<StatusCode> {
    app.worker.set_target(&name, TargetState::Stopped).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /connectors/{name}/tasks.
pub async fn tasks(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.worker.tasks(&name).await?).into_response())
}

fn task_id(name: &str, id: &str) -> ApiResult<u32> {
    id.parse()
        .map_err(|_| ApiError::not_found(format!("Task {name}-{id} not found")))
}

/// GET /connectors/{name}/tasks/{id}/status.
pub async fn task_status(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = task_id(&name, &id)?;
    Ok(Json(app.worker.task_status(&name, id).await?).into_response())
}

/// POST /connectors/{name}/tasks/{id}/restart.
pub async fn restart_task(
    State(app): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = task_id(&name, &id)?;
    app.worker.restart_task(&name, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /connectors/{name}/topics.
pub async fn topics(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    let topics = app.worker.active_topics(&name).await?;
    Ok(Json(json!({ name: { "topics": topics } })).into_response())
}

/// PUT /connectors/{name}/topics/reset.
pub async fn reset_topics(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    app.worker.reset_active_topics(&name).await?;
    Ok(StatusCode::ACCEPTED)
}

/// GET /connectors/{name}/offsets.
pub async fn offsets(State(app): State<AppState>, Path(name): Path<String>) -> ApiResult<Response> {
    Ok(Json(app.worker.offsets(&name).await?).into_response())
}

/// PATCH /connectors/{name}/offsets.
pub async fn alter_offsets(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Response> {
    let offsets: Offsets = serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(format!(
            "The body must be {{\"offsets\": [{{\"partition\": ..., \"offset\": ...}}]}}: {e}"
        ))
    })?;
    app.worker.alter_offsets(&name, offsets).await?;
    Ok(
        Json(json!({"message": "The offsets for this connector have been altered successfully"}))
            .into_response(),
    )
}

/// DELETE /connectors/{name}/offsets.
pub async fn reset_offsets(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    app.worker.reset_offsets(&name).await?;
    Ok(
        Json(json!({"message": "The offsets for this connector have been reset successfully"}))
            .into_response(),
    )
}
