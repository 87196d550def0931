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

#[cfg(test)]
mod tests {
    use sluice_core::{Map, Value};

    use super::*;

    fn record(value: Value) -> Record {
        Record::new("t", 0, 0, Value::Null, value)
    }

    fn typed(kind: &str) -> Value {
        let mut m = Map::default();
        m.insert("type".into(), Value::from(kind));
        m.insert("n".into(), Value::Int(1));
        Value::Map(m)
    }

    fn filter(condition: Option<&str>) -> Box<dyn Transform> {
        let mut s = Settings::new();
        if let Some(c) = condition {
            s.insert("condition".into(), c.into());
        }
        FilterPlugin.build(&s).unwrap()
    }

    #[test]
    fn drops_only_matching_records() {
        let mut f = filter(Some(r#"value.type == "heartbeat""#));
        assert!(f.apply(record(typed("heartbeat"))).unwrap().is_none());
        assert!(f.apply(record(typed("order"))).unwrap().is_some());
        assert!(
            f.apply(record(Value::Null)).unwrap().is_some(),
            "a tombstone has no type"
        );
        let mut f = filter(Some("value.n != 1.0"));
        assert!(
            f.apply(record(typed("x"))).unwrap().is_some(),
            "1 equals 1.0"
        );
    }

    #[test]
    fn without_a_condition_everything_is_dropped() {
        assert!(filter(None)
            .apply(record(typed("order")))
            .unwrap()
            .is_none());
    }
}
