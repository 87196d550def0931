//! `/connector-plugins`: what plugins exist, and validating a config against one.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};
use sluice_core::config::ConfigKey;
use sluice_core::plugins::{ConfigResult, Validation};

use super::config_body::settings;
use super::error::{ApiError, ApiResult, Body, Path};
use super::AppState;

/// GET /connector-plugins; `?connectorsOnly=false` adds transforms and predicates.
pub async fn list(State(app): State<AppState>, RawQuery(query): RawQuery) -> Json<Value> {
    let plugins = app.worker.plugins();
    let mut out: Vec<Value> = plugins
        .connectors
        .iter()
        .map(|p| json!({"class": p.class(), "type": p.kind().as_str(), "version": p.version()}))
        .collect();
    let connectors_only = !query
        .as_deref()
        .unwrap_or("")
        .contains("connectorsOnly=false");
    if !connectors_only {
        let version = env!("CARGO_PKG_VERSION");
        out.extend(
            plugins
                .transforms
                .iter()
                .map(|p| json!({"class": p.class(), "type": "transformation", "version": version})),
        );
        out.extend(
            plugins
                .predicates
                .iter()
                .map(|p| json!({"class": p.class(), "type": "predicate", "version": version})),
        );
    }
    Json(Value::Array(out))
}

/// GET /connector-plugins/{plugin}/config: the plugin's declared keys.
pub async fn config_def(
    State(app): State<AppState>,
    Path(plugin): Path<String>,
) -> ApiResult<Json<Value>> {
    let plugins = app.worker.plugins();
    let def = if let Some(c) = plugins.connector(&plugin) {
        c.config_def()
    } else if let Some(t) = plugins.transform(&plugin) {
        t.config_def()
    } else if let Some(p) = plugins.predicate(&plugin) {
        p.config_def()
    } else {
        return Err(ApiError::not_found(format!("Unknown plugin {plugin}")));
    };
    Ok(Json(Value::Array(
        def.keys.iter().map(|k| definition(k, 0)).collect(),
    )))
}

/// PUT /connector-plugins/{plugin}/config/validate.
pub async fn validate(
    State(app): State<AppState>,
    Path(plugin): Path<String>,
    Body(body): Body<Value>,
) -> ApiResult<Json<Value>> {
    let mut config = settings(&body, "The connector config")?;
    let plugins = app.worker.plugins();
    let Some(wanted) = plugins.connector(&plugin) else {
        return Err(ApiError::not_found(format!(
            "Unknown connector plugin {plugin}"
        )));
    };
    if let Some(given) = config.get("connector.class") {
        if plugins.connector(given).map(|p| p.class()) != Some(wanted.class()) {
            return Err(ApiError::bad_request(format!(
                "Included connector type {given} does not match request type {plugin}"
            )));
        }
    }
    config.insert("connector.class".into(), wanted.class().to_owned());
    Ok(Json(validation_body(&app.worker.validate(&config))))
}

/// Kafka Connect's validate response.
fn validation_body(v: &Validation) -> Value {
    let configs: Vec<Value> = v
        .configs
        .iter()
        .enumerate()
        .map(|(i, c)| config_entry(c, i))
        .collect();
    json!({
        "name": v.class,
        "error_count": v.error_count(),
        "groups": v.groups(),
        "configs": configs,
    })
}

fn config_entry(c: &ConfigResult, order: usize) -> Value {
    let definition = match &c.definition {
        Some(d) => definition(d, order),
        None => json!({
            "name": c.name, "type": "STRING", "required": false, "default_value": null,
            "importance": "LOW", "documentation": "Not a configuration of this connector.",
            "group": null, "width": "NONE", "display_name": c.name, "dependents": [], "order": -1,
        }),
    };
    let secret = c
        .definition
        .as_ref()
        .is_some_and(|d| d.kind == sluice_core::config::ConfigType::Password);
    let value = if secret {
        c.value.as_ref().map(|_| "[hidden]".to_owned())
    } else {
        c.value.clone()
    };
    json!({
        "definition": definition,
        "value": {
            "name": c.name,
            "value": value,
            "recommended_values": [],
            "errors": c.errors,
            "visible": true,
        },
    })
}

fn definition(d: &ConfigKey, order: usize) -> Value {
    json!({
        "name": d.name,
        "type": d.kind.as_str(),
        "required": d.default.is_none(),
        "default_value": d.default,
        "importance": d.importance.as_str(),
        "documentation": d.doc,
        "group": d.group,
        "width": "NONE",
        "display_name": d.name,
        "dependents": [],
        "order": order,
    })
}
