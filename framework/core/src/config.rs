//! Configuration definitions in Kafka Connect's style: every key a plugin accepts is declared
//! once, with its type, default, importance and documentation. The declaration drives
//! validation (no I/O, naming the key at fault), the validate endpoint's response and the
//! typed getters plugins read their settings with.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};

/// A connector's or transform's settings: string keys to string values, as Kafka Connect.
pub type Settings = BTreeMap<String, String>;

/// The type of a configuration value, with Kafka Connect's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigType {
    /// Free text.
    String,
    /// A 32-bit integer.
    Int,
    /// A 64-bit integer.
    Long,
    /// A floating-point number.
    Double,
    /// `true` or `false`.
    Boolean,
    /// A comma-separated list.
    List,
    /// A class name or alias.
    Class,
    /// A secret; never echoed back.
    Password,
}

impl ConfigType {
    /// Kafka Connect's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "STRING",
            Self::Int => "INT",
            Self::Long => "LONG",
            Self::Double => "DOUBLE",
            Self::Boolean => "BOOLEAN",
            Self::List => "LIST",
            Self::Class => "CLASS",
            Self::Password => "PASSWORD",
        }
    }
}

/// How much a user should care about a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Importance {
    /// Most users set it.
    High,
    /// Some users set it.
    Medium,
    /// Rarely changed.
    Low,
}

impl Importance {
    /// Kafka Connect's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Medium => "MEDIUM",
            Self::Low => "LOW",
        }
    }
}

/// A check on a value beyond its type. It sees only the value: no I/O.
#[derive(Clone)]
pub enum Check {
    /// No check.
    None,
    /// A number within inclusive bounds.
    Range(i64, i64),
    /// One of the listed values (case-sensitive).
    OneOf(&'static [&'static str]),
    /// Not empty after trimming.
    NonEmpty,
    /// A legal Kafka topic name.
    TopicName,
    /// Any rule of the plugin's own; returns a message naming what is wrong.
    Custom(Rule),
}

/// A plugin's own check of one value: `Err` carries a message naming what is wrong.
pub type Rule = Arc<dyn Fn(&str) -> std::result::Result<(), String> + Send + Sync>;

/// One declared configuration key.
#[derive(Clone)]
pub struct ConfigKey {
    /// The key.
    pub name: String,
    /// Its type.
    pub kind: ConfigType,
    /// The default as text; `None` makes the key required.
    pub default: Option<String>,
    /// How much it matters.
    pub importance: Importance,
    /// What it does, shown by the validate endpoint.
    pub doc: String,
    /// The group it is shown in.
    pub group: String,
    /// Extra check.
    pub check: Check,
}

impl ConfigKey {
    /// A required key.
    pub fn required(name: impl Into<String>, kind: ConfigType, doc: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind,
            default: None,
            importance: Importance::High,
            doc: doc.into(),
            group: "Common".into(),
            check: Check::None,
        }
    }

    /// An optional key with a default (an empty default means "unset").
    pub fn optional(
        name: impl Into<String>,
        kind: ConfigType,
        default: impl Into<String>,
        doc: impl Into<String>,
    ) -> Self {
        Self {
            default: Some(default.into()),
            importance: Importance::Medium,
            ..Self::required(name, kind, doc)
        }
    }

    /// Sets the extra check.
    pub fn check(mut self, check: Check) -> Self {
        self.check = check;
        self
    }

    /// Sets the group.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// Sets the importance.
    pub fn importance(mut self, importance: Importance) -> Self {
        self.importance = importance;
        self
    }

    /// Checks one value against this key's type and check; the message names the key.
    pub fn check_value(&self, value: &str) -> std::result::Result<(), String> {
        self.check_type(value)?;
        match &self.check {
            Check::None => Ok(()),
            Check::Range(min, max) => match value.trim().parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => Ok(()),
                _ => Err(format!(
                    "Invalid value {value} for configuration {}: must be between {min} and {max}",
                    self.name
                )),
            },
            Check::OneOf(allowed) if allowed.contains(&value.trim()) => Ok(()),
            Check::OneOf(allowed) => Err(format!(
                "Invalid value {value} for configuration {}: must be one of {}",
                self.name,
                allowed.join(", ")
            )),
            Check::NonEmpty if value.trim().is_empty() => Err(format!(
                "Invalid value for configuration {}: must not be empty",
                self.name
            )),
            Check::NonEmpty => Ok(()),
            Check::TopicName => check_topic_name(value.trim())
                .map_err(|m| format!("Invalid value {value} for configuration {}: {m}", self.name)),
            Check::Custom(rule) => rule(value)
                .map_err(|m| format!("Invalid value {value} for configuration {}: {m}", self.name)),
        }
    }

    fn check_type(&self, value: &str) -> std::result::Result<(), String> {
        let v = value.trim();
        let ok = match self.kind {
            ConfigType::Int => v.parse::<i32>().is_ok(),
            ConfigType::Long => v.parse::<i64>().is_ok(),
            ConfigType::Double => v.parse::<f64>().is_ok(),
            ConfigType::Boolean => {
                v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false")
            }
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "Invalid value {value} for configuration {}: expected {}",
                self.name,
                self.kind.as_str().to_lowercase()
            ))
        }
    }
}

/// The declared keys of one plugin.
#[derive(Clone, Default)]
pub struct ConfigDef {
    /// Keys in declaration order.
    pub keys: Vec<ConfigKey>,
}

impl ConfigDef {
    /// An empty definition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key.
    pub fn key(mut self, key: ConfigKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Looks a key up.
    pub fn get(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// Checks `settings` against these keys, reading each key at `prefix + key.name`.
    /// Returns the problems as messages naming the key; unknown keys are not its business.
    pub fn check(&self, settings: &Settings, prefix: &str) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for key in &self.keys {
            let full = format!("{prefix}{}", key.name);
            match (settings.get(&full), &key.default) {
                (Some(v), _) => {
                    if let Err(m) = key.check_value(v) {
                        problems
                            .push((full, m.replace(&key.name, &format!("{prefix}{}", key.name))));
                    }
                }
                (None, None) => problems.push((
                    full.clone(),
                    format!(
                        "Missing required configuration \"{full}\" which has no default value."
                    ),
                )),
                (None, Some(_)) => {}
            }
        }
        problems
    }

    /// Typed access to `settings` under `prefix`, with this definition's defaults.
    pub fn view<'a>(&'a self, settings: &'a Settings, prefix: &'a str) -> Config<'a> {
        Config {
            def: self,
            settings,
            prefix,
        }
    }
}

/// Typed, defaulted access to validated settings.
#[derive(Clone, Copy)]
pub struct Config<'a> {
    def: &'a ConfigDef,
    settings: &'a Settings,
    prefix: &'a str,
}

impl Config<'_> {
    /// The raw text of a declared key, or its default.
    pub fn raw(&self, name: &str) -> Result<Option<String>> {
        let key = self
            .def
            .get(name)
            .ok_or_else(|| Error::fatal(format!("configuration \"{name}\" is not declared")))?;
        let full = format!("{}{name}", self.prefix);
        let text = self
            .settings
            .get(&full)
            .cloned()
            .or_else(|| key.default.clone());
        if let Some(v) = &text {
            key.check_value(v).map_err(Error::config)?;
        }
        Ok(text)
    }

    /// A string, or an error if it is required and missing.
    pub fn string(&self, name: &str) -> Result<String> {
        self.raw(name)?.ok_or_else(|| {
            Error::config(format!(
                "Missing required configuration \"{}{name}\"",
                self.prefix
            ))
        })
    }

    /// A string that may be unset (empty means unset).
    pub fn opt_string(&self, name: &str) -> Result<Option<String>> {
        Ok(self.raw(name)?.filter(|s| !s.trim().is_empty()))
    }

    /// A 64-bit integer.
    pub fn long(&self, name: &str) -> Result<i64> {
        let text = self.string(name)?;
        text.trim()
            .parse()
            .map_err(|_| Error::config(format!("\"{name}\" must be an integer")))
    }

    /// A floating-point number.
    pub fn double(&self, name: &str) -> Result<f64> {
        let text = self.string(name)?;
        text.trim()
            .parse()
            .map_err(|_| Error::config(format!("\"{name}\" must be a number")))
    }

    /// A boolean.
    pub fn boolean(&self, name: &str) -> Result<bool> {
        Ok(self.string(name)?.trim().eq_ignore_ascii_case("true"))
    }

    /// A comma-separated list, trimmed, empty items dropped.
    pub fn list(&self, name: &str) -> Result<Vec<String>> {
        Ok(split_list(&self.raw(name)?.unwrap_or_default()))
    }
}

/// Kafka's rule for topic names: 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn check_topic_name(name: &str) -> std::result::Result<(), String> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 249 {
        return Err(format!("topic name {name:?} must have 1 to 249 characters"));
    }
    if name == "." || name == ".." {
        return Err(format!("topic name {name:?} is not allowed"));
    }
    match name.chars().find(|c| !legal(*c)) {
        Some(c) => Err(format!(
            "topic name {name:?} has {c:?}; use only a-z A-Z 0-9 . _ -"
        )),
        None => Ok(()),
    }
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The settings under `prefix`, with the prefix removed.
pub fn with_prefix(settings: &Settings, prefix: &str) -> Settings {
    settings
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .map(|rest| (rest.to_owned(), v.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .key(ConfigKey::required("file", ConfigType::String, "path").check(Check::NonEmpty))
            .key(
                ConfigKey::optional("batch.size", ConfigType::Int, "10", "n")
                    .check(Check::Range(1, 100)),
            )
    }

    #[test]
    fn problems_name_the_key() {
        let mut s = Settings::new();
        s.insert("batch.size".into(), "1000".into());
        let problems = def().check(&s, "");
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].0, "file");
        assert!(problems[0]
            .1
            .contains("Missing required configuration \"file\""));
        assert_eq!(problems[1].0, "batch.size");
        assert!(
            problems[1].1.contains("between 1 and 100"),
            "{}",
            problems[1].1
        );
    }

    #[test]
    fn prefixed_keys_are_reported_with_their_prefix() {
        let mut s = Settings::new();
        s.insert("transforms.a.batch.size".into(), "x".into());
        let problems = def().check(&s, "transforms.a.");
        assert_eq!(problems[0].0, "transforms.a.file");
        assert!(
            problems[1].1.contains("transforms.a.batch.size"),
            "{}",
            problems[1].1
        );
    }

    #[test]
    fn topic_names_follow_kafkas_rule() {
        assert!(check_topic_name("orders.v1_a-b").is_ok());
        assert!(check_topic_name("a\u{0}b").unwrap_err().contains("'\\0'"));
        assert!(check_topic_name("").is_err());
        assert!(check_topic_name("..").is_err());
        assert!(check_topic_name(&"x".repeat(250)).is_err());
    }

    #[test]
    fn getters_apply_defaults() {
        let d = def();
        let mut s = Settings::new();
        s.insert("file".into(), "/tmp/x".into());
        let c = d.view(&s, "");
        assert_eq!(c.long("batch.size").unwrap(), 10);
        assert_eq!(c.string("file").unwrap(), "/tmp/x");
        assert!(c.raw("nope").is_err());
    }
}
