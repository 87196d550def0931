//! `Filter`: drops records. Without a condition it drops every record it sees, which is how
//! Kafka Connect's Filter is used with a predicate; with `condition` it drops the records
//! that match it.

use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::transform::{Transform, TransformPlugin};
use sluice_core::{Record, Result};

use crate::condition::Condition;

/// The Filter plugin.
pub struct FilterPlugin;

impl TransformPlugin for FilterPlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.transforms.Filter"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["filter"]
    }

    fn config_def(&self) -> ConfigDef {
        let rule = Check::Custom(std::sync::Arc::new(|v: &str| {
            if v.trim().is_empty() {
                return Ok(());
            }
            Condition::parse(v).map(|_| ()).map_err(|e| e.message)
        }));
        ConfigDef::new().key(
            ConfigKey::optional(
                "condition",
                ConfigType::String,
                "",
                "Drop records matching this condition, e.g. value.type == \"heartbeat\"; \
                 empty drops every record (use a predicate to choose which).",
            )
            .check(rule),
        )
    }

    fn build(&self, settings: &Settings) -> Result<Box<dyn Transform>> {
        let def = self.config_def();
        let condition = def.view(settings, "").opt_string("condition")?;
        let condition = condition.as_deref().map(Condition::parse).transpose()?;
        Ok(Box::new(Filter { condition }))
    }
}

/// A Filter instance.
pub struct Filter {
    condition: Option<Condition>,
}

impl Transform for Filter {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        let drop = self.condition.as_ref().is_none_or(|c| c.matches(&record));
        Ok(if drop { None } else { Some(record) })
    }
}
