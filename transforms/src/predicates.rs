//! Kafka Connect's predicates: `TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`.

use std::sync::Arc;

use regex::Regex;
use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::transform::{Predicate, PredicatePlugin};
use sluice_core::{Error, Record, Result};

/// `TopicNameMatches`: the record's topic matches `pattern` in full.
pub struct TopicNameMatchesPlugin;

struct TopicNameMatches(Regex);

impl Predicate for TopicNameMatches {
    fn test(&self, record: &Record) -> bool {
        self.0.is_match(&record.topic)
    }
}

impl PredicatePlugin for TopicNameMatchesPlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["topic-name-matches"]
    }

    fn config_def(&self) -> ConfigDef {
        let rule = Check::Custom(Arc::new(|v: &str| {
            Regex::new(v).map(|_| ()).map_err(|e| e.to_string())
        }));
        ConfigDef::new().key(
            ConfigKey::required(
                "pattern",
                ConfigType::String,
                "Regular expression for topic names.",
            )
            .check(rule),
        )
    }

    fn build(&self, settings: &Settings) -> Result<Arc<dyn Predicate>> {
        let def = self.config_def();
        let pattern = def.view(settings, "").string("pattern")?;
        // Kafka Connect matches the whole name, so anchor the pattern.
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| Error::config(format!("pattern: {e}")))?;
        Ok(Arc::new(TopicNameMatches(regex)))
    }
}

/// `HasHeaderKey`: the record has at least one header named `name`.
pub struct HasHeaderKeyPlugin;

struct HasHeaderKey(String);

impl Predicate for HasHeaderKey {
    fn test(&self, record: &Record) -> bool {
        record.headers.iter().any(|h| h.key == self.0)
    }
}

impl PredicatePlugin for HasHeaderKeyPlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.transforms.predicates.HasHeaderKey"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["has-header-key"]
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().key(
            ConfigKey::required("name", ConfigType::String, "Header key to look for.")
                .check(Check::NonEmpty),
        )
    }

    fn build(&self, settings: &Settings) -> Result<Arc<dyn Predicate>> {
        let def = self.config_def();
        Ok(Arc::new(HasHeaderKey(
            def.view(settings, "").string("name")?,
        )))
    }
}

/// `RecordIsTombstone`: the record's value is null.
pub struct RecordIsTombstonePlugin;

struct RecordIsTombstone;

impl Predicate for RecordIsTombstone {
    fn test(&self, record: &Record) -> bool {
        record.is_tombstone()
    }
}

impl PredicatePlugin for RecordIsTombstonePlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["record-is-tombstone"]
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn build(&self, _settings: &Settings) -> Result<Arc<dyn Predicate>> {
        Ok(Arc::new(RecordIsTombstone))
    }
}
