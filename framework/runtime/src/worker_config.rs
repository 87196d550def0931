//! The worker's own configuration, read from a Java-style `.properties` file as Kafka
//! Connect's `connect-standalone.properties` / `connect-distributed.properties`.
//!
//! Keys Sluice reads: `bootstrap.servers`, `listeners` (or `rest.port`),
//! `rest.advertised.host.name`,
//! `key.converter` / `value.converter` and their `.schemas.enable`, `offset.flush.interval.ms`,
//! `offset.flush.timeout.ms`,
//! `offset.storage.file.filename`, `config.storage.file.filename`,
//! `task.shutdown.graceful.timeout.ms`,
//! and every `consumer.*` / `producer.*` / `admin.*` key, passed to the Kafka clients.
//! Other keys (`plugin.path`, `group.id` in standalone mode) are accepted and ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sluice_core::config::{with_prefix, Settings};
use sluice_core::{Error, Result};

/// A worker's settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// All keys as given.
    pub props: Settings,
}

impl WorkerConfig {
    /// Reads a `.properties` file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::config(format!("worker config {}: {e}", path.display())))?;
        let map = java_properties::read(std::io::BufReader::new(file))
            .map_err(|e| Error::config(format!("worker config {}: {e}", path.display())))?;
        Ok(Self {
            props: map.into_iter().collect(),
        })
    }

    /// Builds a config from key-value pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            props: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.props
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    fn millis(&self, key: &str, default: u64) -> Result<Duration> {
        match self.get(key) {
            None => Ok(Duration::from_millis(default)),
            Some(v) => v.parse().map(Duration::from_millis).map_err(|_| {
                Error::config(format!(
                    "worker config {key}: \"{v}\" is not a number of milliseconds"
                ))
            }),
        }
    }

    /// The Kafka cluster to connect to.
    pub fn bootstrap_servers(&self) -> &str {
        self.get("bootstrap.servers").unwrap_or("localhost:9092")
    }

    /// The address the REST API listens on, from `listeners` (first entry) or `rest.port`.
    pub fn rest_listen(&self) -> Result<std::net::SocketAddr> {
        let text = match (self.get("listeners"), self.get("rest.port")) {
            (Some(l), _) => l.split(',').next().unwrap_or("").trim().to_owned(),
            (None, Some(p)) => format!("http://0.0.0.0:{p}"),
            (None, None) => "http://0.0.0.0:8083".to_owned(),
        };
        let addr = text.strip_prefix("http://").unwrap_or(&text);
        let addr = if addr.starts_with(':') {
            format!("0.0.0.0{addr}")
        } else {
            addr.to_owned()
        };
        let addr = addr.replace("localhost", "127.0.0.1");
        addr.parse().map_err(|_| {
            Error::config(format!(
                "worker config listeners: cannot listen on \"{text}\""
            ))
        })
    }

    /// The worker's id as shown in status responses (`host:port`).
    pub fn worker_id(&self, listen: std::net::SocketAddr) -> String {
        let host = self
            .get("rest.advertised.host.name")
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if listen.ip().is_unspecified() {
                    "127.0.0.1".to_owned()
                } else {
                    listen.ip().to_string()
                }
            });
        format!("{host}:{}", listen.port())
    }

    /// Checks what every task would otherwise find wrong later, one task at a time: the
    /// default converters and the durations. A worker with a bad file should not start.
    pub fn check(&self) -> Result<()> {
        for (key, class) in [
            ("key.converter", self.key_converter()),
            ("value.converter", self.value_converter()),
        ] {
            sluice_core::converter::build(class, &self.prefixed(&format!("{key}.")))
                .map_err(|e| Error::config(format!("worker config {key}: {}", e.message)))?;
        }
        self.offset_flush_interval()?;
        self.offset_flush_timeout()?;
        self.shutdown_timeout()?;
        Ok(())
    }

    /// The worker-wide key converter class.
    pub fn key_converter(&self) -> &str {
        self.get("key.converter")
            .unwrap_or("org.apache.kafka.connect.json.JsonConverter")
    }

    /// The worker-wide value converter class.
    pub fn value_converter(&self) -> &str {
        self.get("value.converter")
            .unwrap_or("org.apache.kafka.connect.json.JsonConverter")
    }

    /// Settings below `prefix` (such as `key.converter.`), prefix removed.
    pub fn prefixed(&self, prefix: &str) -> BTreeMap<String, String> {
        with_prefix(&self.props, prefix)
    }

    /// How often offsets are committed (Kafka Connect's `offset.flush.interval.ms`).
    pub fn offset_flush_interval(&self) -> Result<Duration> {
        self.millis("offset.flush.interval.ms", 10_000)
    }

    /// How long one offset commit may take (Kafka Connect's `offset.flush.timeout.ms`,
    /// 5 s by default). A commit still unanswered then is given up for this round.
    pub fn offset_flush_timeout(&self) -> Result<Duration> {
        self.millis("offset.flush.timeout.ms", 5_000)
    }

    /// How long a task gets to stop gracefully.
    pub fn shutdown_timeout(&self) -> Result<Duration> {
        self.millis("task.shutdown.graceful.timeout.ms", 10_000)
    }

    /// Where source offsets are stored in standalone mode.
    pub fn offset_file(&self) -> Option<PathBuf> {
        self.get("offset.storage.file.filename").map(PathBuf::from)
    }

    /// Where connector configs are stored so that a restart brings them back.
    pub fn config_file(&self) -> Option<PathBuf> {
        self.get("config.storage.file.filename").map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_and_worker_id() {
        let c = WorkerConfig::from_pairs([("listeners", "http://localhost:18083")]);
        let addr = c.rest_listen().unwrap();
        assert_eq!(addr.to_string(), "127.0.0.1:18083");
        assert_eq!(c.worker_id(addr), "127.0.0.1:18083");
        let c = WorkerConfig::from_pairs([("rest.port", "9000")]);
        assert_eq!(c.rest_listen().unwrap().port(), 9000);
        assert!(
            WorkerConfig::from_pairs([("listeners", "http://nowhere:x")])
                .rest_listen()
                .is_err()
        );
    }

    #[test]
    fn check_finds_a_bad_default_converter_before_any_task_does() {
        let c = WorkerConfig::from_pairs([("value.converter", "nosuch")]);
        let err = c.check().unwrap_err();
        assert_eq!(err.fault, sluice_core::Fault::Config);
        assert!(
            err.message.starts_with("worker config value.converter: ")
                && err.message.contains("nosuch"),
            "{}",
            err.message
        );
        assert!(WorkerConfig::from_pairs([("a", "b")]).check().is_ok());
    }

    #[test]
    fn bad_interval_names_the_key() {
        let c = WorkerConfig::from_pairs([("offset.flush.interval.ms", "soon")]);
        let err = c.offset_flush_interval().unwrap_err();
        assert!(
            err.message.contains("offset.flush.interval.ms"),
            "{}",
            err.message
        );
    }
}
