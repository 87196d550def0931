//! Building a connector's converters and transform chain from its settings.

use std::sync::Arc;

use sluice_core::config::{split_list, with_prefix, Settings};
use sluice_core::converter::{self, Converter};
use sluice_core::plugins::Plugins;
use sluice_core::transform::{Chain, Step};
use sluice_core::{Error, Result};

use crate::worker_config::WorkerConfig;

/// Which converter.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    /// `key.converter`.
    Key,
    /// `value.converter`.
    Value,
}

/// Builds the key or value converter: the connector's class if it sets one, else the
/// worker's; its settings are the worker's `<side>.converter.*` overlaid by the connector's.
pub fn converter(
    worker: &WorkerConfig,
    settings: &Settings,
    side: Side,
) -> Result<Arc<dyn Converter>> {
    let (key, default) = match side {
        Side::Key => ("key.converter", worker.key_converter()),
        Side::Value => ("value.converter", worker.value_converter()),
    };
    let class = settings
        .get(key)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .unwrap_or(default);
    let prefix = format!("{key}.");
    let mut converter_settings = worker.prefixed(&prefix);
    converter_settings.extend(with_prefix(settings, &prefix));
    converter::build(class, &converter_settings).map_err(|e| e.context(key))
}

/// Builds the transform chain named by `transforms`, with its predicates.
pub fn chain(plugins: &Plugins, settings: &Settings) -> Result<Chain> {
    let mut chain = Chain::default();
    for alias in split_list(settings.get("transforms").map_or("", String::as_str)) {
        let prefix = format!("transforms.{alias}.");
        let own = with_prefix(settings, &prefix);
        let class = own
            .get("type")
            .ok_or_else(|| Error::config(format!("{prefix}type is not set")))?;
        let plugin = plugins
            .transform(class)
            .ok_or_else(|| Error::config(format!("{prefix}type: unknown transform \"{class}\"")))?;
        let transform = plugin
            .build(&own)
            .map_err(|e| e.context(format!("transform {alias}")))?;
        let predicate = match own
            .get("predicate")
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
        {
            Some(name) => Some((
                predicate(plugins, settings, name)?,
                own.get("negate").is_some_and(|n| n.trim() == "true"),
            )),
            None => None,
        };
        chain.steps.push(Step {
            alias,
            transform,
            predicate,
        });
    }
    Ok(chain)
}

fn predicate(
    plugins: &Plugins,
    settings: &Settings,
    name: &str,
) -> Result<Arc<dyn sluice_core::transform::Predicate>> {
    let prefix = format!("predicates.{name}.");
    let own = with_prefix(settings, &prefix);
    let class = own
        .get("type")
        .ok_or_else(|| Error::config(format!("{prefix}type is not set")))?;
    let plugin = plugins
        .predicate(class)
        .ok_or_else(|| Error::config(format!("{prefix}type: unknown predicate \"{class}\"")))?;
    plugin
        .build(&own)
        .map_err(|e| e.context(format!("predicate {name}")))
}
