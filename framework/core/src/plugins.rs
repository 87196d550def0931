//! The registry of connector, transform and predicate plugins, and the validation of a whole
//! connector configuration against it.
//!
//! Validation does no I/O. Every problem names its key. Keys nobody declared are rejected
//! unless `config.allow.unknown=true`: Kafka Connect ignores them, which is how a misspelled
//! key (`batch.seperator`) goes unnoticed in production.

use std::sync::Arc;

use crate::config::{split_list, Check, ConfigDef, ConfigKey, ConfigType, Importance, Settings};
use crate::connector::{ConnectorKind, ConnectorPlugin};
use crate::converter::CONVERTER_CLASSES;
use crate::transform::{PredicatePlugin, TransformPlugin};

/// Keys below these prefixes pass through to the Kafka clients.
pub const CLIENT_OVERRIDE_PREFIXES: &[&str] = &[
    "consumer.override.",
    "producer.override.",
    "admin.override.",
];

/// Keys a converter may take below `key.converter.`, `value.converter.`, `header.converter.`.
const CONVERTER_KEYS: &[&str] = &[
    "schemas.enable",
    "schemas.cache.size",
    "decimal.format",
    "replace.null.with.default",
    "encoding",
];

/// Every plugin this build knows.
#[derive(Clone, Default)]
pub struct Plugins {
    /// Connectors.
    pub connectors: Vec<Arc<dyn ConnectorPlugin>>,
    /// Transforms.
    pub transforms: Vec<Arc<dyn TransformPlugin>>,
    /// Predicates.
    pub predicates: Vec<Arc<dyn PredicatePlugin>>,
}

fn matches_class(name: &str, class: &str, aliases: &[&str]) -> bool {
    let simple = class.rsplit('.').next().unwrap_or(class);
    name == class || name == simple || aliases.contains(&name)
}

impl Plugins {
    /// Finds a connector by full class name, simple class name or alias.
    pub fn connector(&self, name: &str) -> Option<&Arc<dyn ConnectorPlugin>> {
        let name = name.trim();
        self.connectors
            .iter()
            .find(|p| matches_class(name, p.class(), p.aliases()))
    }

    /// Finds a transform by class name or alias.
    pub fn transform(&self, name: &str) -> Option<&Arc<dyn TransformPlugin>> {
        let name = name.trim();
        self.transforms
            .iter()
            .find(|p| matches_class(name, p.class(), p.aliases()))
    }

    /// Finds a predicate by class name or alias.
    pub fn predicate(&self, name: &str) -> Option<&Arc<dyn PredicatePlugin>> {
        let name = name.trim();
        self.predicates
            .iter()
            .find(|p| matches_class(name, p.class(), p.aliases()))
    }

    /// Validates a complete connector configuration.
    pub fn validate(&self, settings: &Settings) -> Validation {
        let mut v = Validation::new(settings);
        let common = common_def();
        v.check_def(&common, "", settings);
        let plugin = settings
            .get("connector.class")
            .and_then(|c| self.connector(c));
        match (settings.get("connector.class"), plugin) {
            (Some(c), None) => v.error(
                "connector.class",
                format!("Unknown connector class \"{c}\""),
            ),
            (_, Some(plugin)) => self.validate_plugin(&mut v, plugin.as_ref(), settings),
            (None, None) => {}
        }
        self.validate_chain(&mut v, settings);
        v.check_converter_flags(settings);
        // Without the plugin its keys are unknown too; listing them all would bury the
        // one error that matters.
        if plugin.is_some() {
            v.check_unknown(settings);
        }
        v
    }

    fn validate_plugin(
        &self,
        v: &mut Validation,
        plugin: &dyn ConnectorPlugin,
        settings: &Settings,
    ) {
        v.class = plugin.class().to_owned();
        let kind_def = match plugin.kind() {
            ConnectorKind::Sink => sink_def(),
            ConnectorKind::Source => ConfigDef::new(),
        };
        v.check_def(&kind_def, "", settings);
        if plugin.kind() == ConnectorKind::Sink {
            check_topics(v, settings);
        }
        v.check_def(&plugin.config_def(), "", settings);
        for (key, message) in plugin.validate(settings) {
            v.error(&key, message);
        }
    }

    fn validate_chain(&self, v: &mut Validation, settings: &Settings) {
        let transforms = split_list(settings.get("transforms").map_or("", String::as_str));
        check_unique(v, "transforms", &transforms);
        for alias in &transforms {
            let prefix = format!("transforms.{alias}.");
            let def = self.transform_def(settings, &prefix, v);
            v.check_def(&def, &prefix, settings);
            if let Some(p) = settings.get(&format!("{prefix}predicate")) {
                let declared = split_list(settings.get("predicates").map_or("", String::as_str));
                if !declared.contains(p) {
                    v.error(
                        &format!("{prefix}predicate"),
                        format!("Predicate \"{p}\" is not in \"predicates\""),
                    );
                }
            }
        }
        let predicates = split_list(settings.get("predicates").map_or("", String::as_str));
        check_unique(v, "predicates", &predicates);
        for alias in &predicates {
            let prefix = format!("predicates.{alias}.");
            let def = self.predicate_def(settings, &prefix, v);
            v.check_def(&def, &prefix, settings);
        }
    }

    fn transform_def(&self, settings: &Settings, prefix: &str, v: &mut Validation) -> ConfigDef {
        let type_key = format!("{prefix}type");
        let mut def = ConfigDef::new()
            .key(ConfigKey::required(
                "type",
                ConfigType::Class,
                "The transform's class or alias.",
            ))
            .key(ConfigKey::optional(
                "predicate",
                ConfigType::String,
                "",
                "Alias of the predicate gating it.",
            ))
            .key(ConfigKey::optional(
                "negate",
                ConfigType::Boolean,
                "false",
                "Apply when the predicate is false.",
            ));
        if let Some(t) = settings.get(&type_key) {
            match self.transform(t) {
                Some(plugin) => def.keys.extend(plugin.config_def().keys),
                None => v.error(&type_key, format!("Unknown transform type \"{t}\"")),
            }
        }
        def
    }

    fn predicate_def(&self, settings: &Settings, prefix: &str, v: &mut Validation) -> ConfigDef {
        let type_key = format!("{prefix}type");
        let mut def = ConfigDef::new().key(ConfigKey::required(
            "type",
            ConfigType::Class,
            "The predicate's class or alias.",
        ));
        if let Some(t) = settings.get(&type_key) {
            match self.predicate(t) {
                Some(plugin) => def.keys.extend(plugin.config_def().keys),
                None => v.error(&type_key, format!("Unknown predicate type \"{t}\"")),
            }
        }
        def
    }
}

fn check_topics(v: &mut Validation, settings: &Settings) {
    let set = |k: &str| settings.get(k).is_some_and(|s| !s.trim().is_empty());
    match (set("topics"), set("topics.regex")) {
        (true, true) => {
            let m = "topics and topics.regex are mutually exclusive; set only one".to_string();
            v.error("topics", m.clone());
            v.error("topics.regex", m);
        }
        (false, false) => {
            let m = "Must configure one of topics or topics.regex".to_string();
            v.error("topics", m.clone());
            v.error("topics.regex", m);
        }
        (false, true) => {
            if let Err(e) = regex::Regex::new(&settings["topics.regex"]) {
                v.error("topics.regex", format!("Invalid regular expression: {e}"));
            }
        }
        (true, false) => {
            for name in settings["topics"].split(',').map(str::trim) {
                if let Err(m) = crate::config::check_topic_name(name) {
                    v.error(
                        "topics",
                        format!("Invalid value for configuration topics: {m}"),
                    );
                }
            }
        }
    }
    check_dead_letter_topic(v, settings);
}

/// The dead-letter topic must be a legal name and must not be one of the topics read: each
/// bad record would come back as another bad record, forever.
fn check_dead_letter_topic(v: &mut Validation, settings: &Settings) {
    const KEY: &str = "errors.deadletterqueue.topic.name";
    let Some(dlq) = settings
        .get(KEY)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
    else {
        return;
    };
    if let Err(m) = crate::config::check_topic_name(dlq) {
        v.error(KEY, format!("Invalid value for configuration {KEY}: {m}"));
        return;
    }
    let listed = split_list(settings.get("topics").map_or("", String::as_str))
        .iter()
        .any(|t| t == dlq);
    let regex = settings
        .get("topics.regex")
        .map(|r| r.trim())
        .filter(|r| !r.is_empty());
    let matched = regex
        .and_then(|r| regex::Regex::new(&format!("^(?:{r})$")).ok())
        .is_some_and(|r| r.is_match(dlq));
    if listed || matched {
        v.error(
            KEY,
            format!(
                "The dead-letter topic {dlq} may not be one of the topics this connector reads"
            ),
        );
    }
}

fn converter_check() -> Check {
    Check::Custom(Arc::new(|v: &str| {
        let v = v.trim();
        let known = v.is_empty() || CONVERTER_CLASSES.iter().any(|(a, f)| *a == v || *f == v);
        if known {
            Ok(())
        } else {
            Err("unknown converter; use json, string or bytes".into())
        }
    }))
}

/// Keys every connector takes, as Kafka Connect's `ConnectorConfig`.
pub fn common_def() -> ConfigDef {
    use ConfigType::{Boolean, Class, Int, List, Long, String as Text};
    const ERRORS: &str = "Error Handling";
    const TOLERANCE: &str = "none: a bad record fails the task; all: bad records are skipped \
                             (and sent to the dead-letter topic when one is set).";
    let name = ConfigKey::required("name", Text, "Globally unique name of the connector.");
    let tasks = ConfigKey::optional("tasks.max", Int, "1", "Maximum number of tasks.");
    let key = ConfigKey::optional(
        "key.converter",
        Class,
        "",
        "Key converter; else the worker's.",
    );
    let value = ConfigKey::optional(
        "value.converter",
        Class,
        "",
        "Value converter; else the worker's.",
    );
    let reload = ConfigKey::optional("config.action.reload", Text, "restart", "On config change.");
    let tolerance = ConfigKey::optional("errors.tolerance", Text, "none", TOLERANCE);
    ConfigDef::new()
        .key(name.check(Check::NonEmpty))
        .key(ConfigKey::required(
            "connector.class",
            Class,
            "Connector class or alias.",
        ))
        .key(
            tasks
                .check(Check::Range(1, 1024))
                .importance(Importance::High),
        )
        .key(ConfigKey::optional(
            "tasks.max.enforce",
            Boolean,
            "true",
            "For compatibility.",
        ))
        .key(key.check(converter_check()))
        .key(value.check(converter_check()))
        .key(ConfigKey::optional(
            "header.converter",
            Class,
            "",
            "Ignored: headers stay bytes.",
        ))
        .key(ConfigKey::optional(
            "transforms",
            List,
            "",
            "Transform aliases, in order.",
        ))
        .key(ConfigKey::optional(
            "predicates",
            List,
            "",
            "Predicate aliases.",
        ))
        .key(reload.check(Check::OneOf(&["none", "restart"])))
        .key(ConfigKey::optional(
            "config.allow.unknown",
            Boolean,
            "false",
            "Accept keys no plugin declares (they are ignored).",
        ))
        .key(
            ConfigKey::optional("errors.retry.timeout", Long, "0", "Retry time, ms.").group(ERRORS),
        )
        .key(
            ConfigKey::optional(
                "errors.retry.delay.max.ms",
                Long,
                "60000",
                "Longest wait, ms.",
            )
            .group(ERRORS),
        )
        .key(
            tolerance
                .check(Check::OneOf(&["none", "all"]))
                .group(ERRORS),
        )
        .key(
            ConfigKey::optional("errors.log.enable", Boolean, "false", "Log each error.")
                .group(ERRORS),
        )
        .key(
            ConfigKey::optional(
                "errors.log.include.messages",
                Boolean,
                "false",
                "Also log the key and value of each skipped record (their first KiB).",
            )
            .group(ERRORS),
        )
}

/// Keys every sink takes, as Kafka Connect's `SinkConnectorConfig`, plus the batcher's.
pub fn sink_def() -> ConfigDef {
    let s = ConfigType::String;
    ConfigDef::new()
        .key(ConfigKey::optional(
            "topics",
            ConfigType::List,
            "",
            "Topics to read.",
        ))
        .key(ConfigKey::optional(
            "topics.regex",
            s,
            "",
            "Regular expression of topics to read.",
        ))
        .key(
            ConfigKey::optional(
                "errors.deadletterqueue.topic.name",
                s,
                "",
                "Dead-letter topic for records that fail (with errors.tolerance=all).",
            )
            .group("Error Handling"),
        )
        .key(
            ConfigKey::optional(
                "errors.deadletterqueue.topic.replication.factor",
                ConfigType::Int,
                "3",
                "Replication factor of the dead-letter topic when created.",
            )
            .group("Error Handling"),
        )
        .key(
            ConfigKey::optional(
                "errors.deadletterqueue.context.headers.enable",
                ConfigType::Boolean,
                "false",
                "Add __connect.errors.* headers to dead-letter records.",
            )
            .group("Error Handling"),
        )
        .key(
            ConfigKey::optional(
                "batch.max.records",
                ConfigType::Int,
                "500",
                "Most records per sink write.",
            )
            .check(Check::Range(1, 1_000_000))
            .group("Batching"),
        )
        .key(
            ConfigKey::optional(
                "batch.max.bytes",
                ConfigType::Int,
                "1048576",
                "Most bytes per sink write.",
            )
            .check(Check::Range(1, 1 << 30))
            .group("Batching"),
        )
        .key(
            ConfigKey::optional(
                "batch.linger.ms",
                ConfigType::Int,
                "50",
                "How long a partial batch waits for more records before it is written.",
            )
            .check(Check::Range(0, 3_600_000))
            .group("Batching"),
        )
}

/// The outcome of validating one key.
#[derive(Clone)]
pub struct ConfigResult {
    /// The key's definition; `None` for a key nobody declared.
    pub definition: Option<ConfigKey>,
    /// The key.
    pub name: String,
    /// The value given, if any.
    pub value: Option<String>,
    /// Problems found, each naming the key.
    pub errors: Vec<String>,
}

/// The outcome of validating a connector configuration.
#[derive(Clone)]
pub struct Validation {
    /// The connector class validated against (as given when unknown).
    pub class: String,
    /// One entry per declared or given key.
    pub configs: Vec<ConfigResult>,
    /// Position of each key in `configs`, so that large configs validate in linear time.
    index: std::collections::HashMap<String, usize>,
}

impl Validation {
    fn new(settings: &Settings) -> Self {
        let class = settings.get("connector.class").cloned().unwrap_or_default();
        Self {
            class,
            configs: Vec::new(),
            index: std::collections::HashMap::new(),
        }
    }

    /// Number of problems across all keys.
    pub fn error_count(&self) -> usize {
        self.configs.iter().map(|c| c.errors.len()).sum()
    }

    /// Every problem, in order.
    pub fn errors(&self) -> Vec<String> {
        self.configs
            .iter()
            .flat_map(|c| c.errors.iter().cloned())
            .collect()
    }

    /// The groups of the declared keys, in first-seen order.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for g in self
            .configs
            .iter()
            .filter_map(|c| c.definition.as_ref().map(|d| &d.group))
        {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        groups
    }

    fn check_def(&mut self, def: &ConfigDef, prefix: &str, settings: &Settings) {
        let problems = def.check(settings, prefix);
        for key in &def.keys {
            let name = format!("{prefix}{}", key.name);
            if self.index.contains_key(&name) {
                continue;
            }
            let mut definition = key.clone();
            definition.name = name.clone();
            let errors = problems
                .iter()
                .filter(|(k, _)| *k == name)
                .map(|(_, m)| m.clone())
                .collect();
            let value = settings.get(&name).cloned();
            self.push(ConfigResult {
                definition: Some(definition),
                name,
                value,
                errors,
            });
        }
    }

    fn push(&mut self, result: ConfigResult) {
        self.index.insert(result.name.clone(), self.configs.len());
        self.configs.push(result);
    }

    /// Adds a problem found outside the plugins (the runtime's own checks).
    pub fn add_error(&mut self, key: &str, message: String) {
        self.error(key, message);
    }

    fn error(&mut self, key: &str, message: String) {
        match self.index.get(key) {
            Some(&i) => self.configs[i].errors.push(message),
            None => self.push(ConfigResult {
                definition: None,
                name: key.to_owned(),
                value: None,
                errors: vec![message],
            }),
        }
    }

    /// Converter settings that must be booleans.
    fn check_converter_flags(&mut self, settings: &Settings) {
        for (key, value) in settings {
            let flag = ["key.converter.", "value.converter.", "header.converter."]
                .iter()
                .filter_map(|p| key.strip_prefix(p))
                .any(|rest| rest == "schemas.enable" || rest == "replace.null.with.default");
            let v = value.trim();
            if flag && !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                self.error(
                    key,
                    format!(
                        "Invalid value {value} for configuration {key}: expected true or false"
                    ),
                );
            }
        }
    }

    fn check_unknown(&mut self, settings: &Settings) {
        let allow = settings
            .get("config.allow.unknown")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        for (key, value) in settings {
            if self.index.contains_key(key) || is_passthrough(key) {
                continue;
            }
            let errors = if allow {
                Vec::new()
            } else {
                vec![format!(
                    "Unknown configuration key \"{key}\"; check its spelling, or set \
                     config.allow.unknown=true to accept it"
                )]
            };
            self.push(ConfigResult {
                definition: None,
                name: key.clone(),
                value: Some(value.clone()),
                errors,
            });
        }
    }
}

fn is_passthrough(key: &str) -> bool {
    if CLIENT_OVERRIDE_PREFIXES
        .iter()
        .any(|p| key.starts_with(p) && key.len() > p.len())
    {
        return true;
    }
    ["key.converter.", "value.converter.", "header.converter."]
        .iter()
        .filter_map(|p| key.strip_prefix(p))
        .any(|rest| CONVERTER_KEYS.contains(&rest))
}

/// An alias listed twice would name one set of keys for two stages; Kafka Connect refuses
/// it too.
fn check_unique(v: &mut Validation, key: &str, aliases: &[String]) {
    for (i, alias) in aliases.iter().enumerate() {
        if aliases[..i].contains(alias) {
            v.error(key, format!("Duplicate alias provided: \"{alias}\""));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigKey;
    use crate::connector::ConnectorPlugin;

    struct Sink;

    impl ConnectorPlugin for Sink {
        fn class(&self) -> &'static str {
            "org.example.TestSinkConnector"
        }
        fn aliases(&self) -> &'static [&'static str] {
            &["test-sink"]
        }
        fn kind(&self) -> ConnectorKind {
            ConnectorKind::Sink
        }
        fn config_def(&self) -> ConfigDef {
            ConfigDef::new().key(ConfigKey::required("url", ConfigType::String, "Where to."))
        }
    }

    fn plugins() -> Plugins {
        Plugins {
            connectors: vec![Arc::new(Sink)],
            ..Plugins::default()
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn errors_of(v: &Validation, key: &str) -> Vec<String> {
        v.configs
            .iter()
            .filter(|c| c.name == key)
            .flat_map(|c| c.errors.clone())
            .collect()
    }

    #[test]
    fn classes_resolve_by_full_name_simple_name_and_alias() {
        let p = plugins();
        for name in [
            "org.example.TestSinkConnector",
            "TestSinkConnector",
            "test-sink",
            " test-sink ",
        ] {
            assert!(p.connector(name).is_some(), "{name}");
        }
        assert!(p.connector("TestSink").is_none());
    }

    #[test]
    fn a_valid_config_has_no_errors() {
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("topics", "t"),
            ("url", "x"),
            ("consumer.override.fetch.wait.max.ms", "20"),
            ("value.converter.schemas.enable", "false"),
        ]));
        assert_eq!(v.errors(), Vec::<String>::new());
    }

    #[test]
    fn unknown_keys_are_errors_unless_allowed() {
        let base = [
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("topics", "t"),
            ("url", "x"),
        ];
        let mut s = settings(&base);
        s.insert("batch.seperator".into(), ",".into());
        s.insert("value.converter.nope".into(), "1".into());
        let v = plugins().validate(&s);
        assert_eq!(v.error_count(), 2);
        assert!(errors_of(&v, "batch.seperator")[0].contains("Unknown configuration key"));
        s.insert("config.allow.unknown".into(), "true".into());
        assert_eq!(plugins().validate(&s).error_count(), 0);
    }

    #[test]
    fn topics_and_topics_regex_are_exclusive_and_one_is_needed() {
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("url", "x"),
        ]));
        assert_eq!(
            errors_of(&v, "topics"),
            vec!["Must configure one of topics or topics.regex"]
        );
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("url", "x"),
            ("topics", "t"),
            ("topics.regex", "t.*"),
        ]));
        assert!(errors_of(&v, "topics.regex")[0].contains("mutually exclusive"));
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("url", "x"),
            ("topics.regex", "(unclosed"),
        ]));
        assert!(errors_of(&v, "topics.regex")[0].contains("Invalid regular expression"));
    }

    #[test]
    fn topic_names_and_the_dead_letter_topic_are_checked() {
        let base = [
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("url", "x"),
        ];
        let mut s = settings(&base);
        s.insert("topics".into(), "t1, ,bad\u{0}name".into());
        let v = plugins().validate(&s);
        assert_eq!(errors_of(&v, "topics").len(), 2, "{:?}", v.errors());
        let mut s = settings(&base);
        s.insert("topics".into(), "t1".into());
        s.insert("errors.deadletterqueue.topic.name".into(), "t1".into());
        let v = plugins().validate(&s);
        let dlq = errors_of(&v, "errors.deadletterqueue.topic.name");
        assert!(dlq[0].contains("may not be one of"), "{dlq:?}");
        let mut s = settings(&base);
        s.insert("topics.regex".into(), "t.*".into());
        s.insert("errors.deadletterqueue.topic.name".into(), "t-dlq".into());
        assert_eq!(plugins().validate(&s).error_count(), 1);
        s.insert("errors.deadletterqueue.topic.name".into(), "dlq".into());
        s.insert("value.converter.schemas.enable".into(), "maybe".into());
        let v = plugins().validate(&s);
        assert!(
            errors_of(&v, "value.converter.schemas.enable")[0].contains("expected true or false")
        );
    }

    #[test]
    fn transforms_name_their_keys() {
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("topics", "t"),
            ("url", "x"),
            ("transforms", "f,g"),
            ("transforms.f.type", "NoSuchTransform"),
            ("transforms.f.predicate", "p"),
        ]));
        assert!(errors_of(&v, "transforms.f.type")[0].contains("Unknown transform type"));
        assert!(errors_of(&v, "transforms.f.predicate")[0].contains("not in \"predicates\""));
        assert!(errors_of(&v, "transforms.g.type")[0].contains("Missing required configuration"));
    }

    #[test]
    fn an_alias_listed_twice_is_an_error() {
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("topics", "t"),
            ("url", "x"),
            ("transforms", "f, f"),
            ("transforms.f.type", "Filter"),
        ]));
        assert_eq!(
            errors_of(&v, "transforms"),
            vec!["Duplicate alias provided: \"f\"".to_owned()]
        );
    }

    #[test]
    fn unknown_class_and_missing_required_keys() {
        let v = plugins().validate(&settings(&[("connector.class", "nope"), ("topic", "t")]));
        assert!(
            errors_of(&v, "topic").is_empty(),
            "keys of an unknown plugin are not named"
        );
        assert!(errors_of(&v, "connector.class")[0].contains("Unknown connector class \"nope\""));
        assert!(errors_of(&v, "name")[0].contains("Missing required configuration \"name\""));
        let v = plugins().validate(&settings(&[
            ("name", "a"),
            ("connector.class", "test-sink"),
            ("topics", "t"),
        ]));
        assert_eq!(errors_of(&v, "url").len(), 1);
        assert_eq!(v.groups()[0], "Common");
    }
}
