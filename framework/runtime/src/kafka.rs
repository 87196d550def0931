//! Kafka client settings: the worker's, the connector's overrides, and Sluice's defaults.
//!
//! Precedence, lowest first: Sluice's defaults, the worker's `consumer.*` / `producer.*` /
//! `admin.*` keys, the connector's `consumer.override.*` / `producer.override.*` /
//! `admin.override.*` keys, and last the keys the runtime must own (group id, manual commits).

use rdkafka::ClientConfig;
use sluice_core::config::{with_prefix, Settings};
use sluice_core::plugins::CLIENT_OVERRIDE_PREFIXES;

use crate::worker_config::WorkerConfig;

/// Which client a config is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    /// A sink task's consumer.
    Consumer,
    /// A source task's or dead-letter producer.
    Producer,
    /// Admin operations (offsets, topics).
    Admin,
}

impl ClientKind {
    fn worker_prefix(self) -> &'static str {
        match self {
            Self::Consumer => "consumer.",
            Self::Producer => "producer.",
            Self::Admin => "admin.",
        }
    }

    fn override_prefix(self) -> &'static str {
        match self {
            Self::Consumer => "consumer.override.",
            Self::Producer => "producer.override.",
            Self::Admin => "admin.override.",
        }
    }
}

/// The consumer group of a sink connector, as Kafka Connect names it.
pub fn sink_group_id(connector: &str) -> String {
    format!("connect-{connector}")
}

/// Builds a client config for one connector.
pub fn client_config(
    worker: &WorkerConfig,
    connector: &Settings,
    kind: ClientKind,
) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", worker.bootstrap_servers());
    for (k, v) in defaults(kind) {
        config.set(*k, *v);
    }
    for (k, v) in worker.prefixed(kind.worker_prefix()) {
        // `consumer.override.*` in the worker file is not a client key.
        if !k.starts_with("override.") {
            config.set(k, v);
        }
    }
    for (k, v) in with_prefix(connector, kind.override_prefix()) {
        config.set(k, v);
    }
    config
}

fn defaults(kind: ClientKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        // librdkafka postpones a partition's next fetch by `fetch.queue.backoff.ms` (1 s by
        // default) once its prefetch queue is full. A sink that falls behind for a moment
        // then empties the queue and sits idle for the rest of that second: in the
        // benchmark this halved the drain rate. 50 ms refills the queue in time.
        // The queue itself is capped at 16 MiB instead of 64: a sink slower than its
        // fetches keeps the queue full, and each MiB of it is memory the worker holds (and
        // the host has to zero) for nothing; 16 MiB is still a fraction of a second ahead.
        ClientKind::Consumer => &[
            ("auto.offset.reset", "earliest"),
            ("fetch.queue.backoff.ms", "50"),
            ("queued.max.messages.kbytes", "16384"),
            ("enable.partition.eof", "false"),
            ("statistics.interval.ms", "1000"),
        ],
        ClientKind::Producer => &[("linger.ms", "5"), ("compression.type", "none")],
        ClientKind::Admin => &[],
    }
}

/// Checks the connector's client overrides against librdkafka's own rules, without
/// creating a client (no I/O): an unknown key or a value out of range is named here, at
/// validation, instead of failing the task when it starts.
pub fn check_overrides(settings: &Settings) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for prefix in CLIENT_OVERRIDE_PREFIXES {
        for (key, value) in with_prefix(settings, prefix) {
            let mut config = ClientConfig::new();
            config.set(&key, &value);
            let full = format!("{prefix}{key}");
            if let Err(e) = config.create_native_config() {
                problems.push((
                    full.clone(),
                    format!("Invalid value {value} for configuration {full}: {e}"),
                ));
            } else if let Some(why) = clash(prefix, &key, &value) {
                problems.push((
                    full.clone(),
                    format!("Invalid value {value} for {full}: {why}"),
                ));
            }
        }
    }
    problems
}

/// Values librdkafka accepts one key at a time but refuses when the client is created,
/// given what Sluice sets itself.
fn clash(prefix: &str, key: &str, value: &str) -> Option<&'static str> {
    let value = value.trim();
    match (prefix, key) {
        ("producer.override.", "acks") if !matches!(value, "all" | "-1") => {
            Some("source producers are idempotent, which needs acks=all")
        }
        ("consumer.override.", "partition.assignment.strategy") => value
            .split(',')
            .map(str::trim)
            .any(|s| !matches!(s, "range" | "roundrobin" | "cooperative-sticky"))
            .then_some("the strategies are range, roundrobin and cooperative-sticky"),
        _ => None,
    }
}
