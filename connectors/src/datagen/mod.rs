//! The `datagen` source: a stream of realistic page-view events for trying Sluice out.
//!
//! Event `n` is a pure function of `(seed, n)`: with a seed the stream is the same on every
//! run, and a restart resumes at the stored sequence number. Events look like
//! `{"event_id":17,"user_id":"user-42","url":"/products/9","status":200,"latency_ms":35,
//! "ts":1700000000000}`, keyed by `user_id`; `ts` is the event time, `start.time.ms` plus
//! `n / rate` seconds, with a little jitter.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::connector::{ConnectorKind, ConnectorPlugin, SourceContext, SourceTask};
use sluice_core::{Map, Result, SourceRecord, Value};

/// Most records one poll returns.
const MAX_PER_POLL: u64 = 5_000;

const PATHS: &[&str] = &[
    "/",
    "/search",
    "/products",
    "/cart",
    "/checkout",
    "/account",
    "/help",
];

/// The datagen plugin.
pub struct DatagenPlugin;

impl ConnectorPlugin for DatagenPlugin {
    fn class(&self) -> &'static str {
        "io.sluice.connect.datagen.DatagenConnector"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["datagen"]
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .key(
                ConfigKey::required("topic", ConfigType::String, "Topic to write to.")
                    .check(Check::NonEmpty),
            )
            .key(
                ConfigKey::optional(
                    "rate",
                    ConfigType::Long,
                    "100",
                    "Records per second; 0 is as fast as possible.",
                )
                .check(Check::Range(0, 10_000_000)),
            )
            .key(ConfigKey::optional(
                "seed",
                ConfigType::Long,
                "0",
                "Seed of the generator; same seed, same stream.",
            ))
            .key(
                ConfigKey::optional(
                    "max.records",
                    ConfigType::Long,
                    "0",
                    "Stop after this many records; 0 never stops.",
                )
                .check(Check::Range(0, i64::MAX)),
            )
            .key(
                ConfigKey::optional(
                    "users",
                    ConfigType::Long,
                    "1000",
                    "Number of distinct users.",
                )
                .check(Check::Range(1, 1_000_000_000)),
            )
            .key(ConfigKey::optional(
                "start.time.ms",
                ConfigType::Long,
                "-1",
                "Event time of the first record, epoch ms; -1 is the time the task starts.",
            ))
    }

    fn task_configs(&self, settings: &Settings, _max_tasks: usize) -> Vec<Settings> {
        // One generator keeps the sequence, and so the stream, deterministic.
        vec![settings.clone()]
    }

    fn source_task(&self, settings: &Settings) -> Result<Box<dyn SourceTask>> {
        let def = self.config_def();
        let c = def.view(settings, "");
        Ok(Box::new(Datagen {
            topic: c.string("topic")?,
            rate: c.long("rate")? as u64,
            seed: c.long("seed")? as u64,
            max_records: c.long("max.records")? as u64,
            users: c.long("users")? as u64,
            start_time_ms: c.long("start.time.ms")?,
            next: 0,
            started: Instant::now(),
            first_of_run: 0,
        }))
    }
}

/// A running datagen task.
pub struct Datagen {
    topic: String,
    rate: u64,
    seed: u64,
    max_records: u64,
    users: u64,
    start_time_ms: i64,
    /// Sequence number of the next event.
    next: u64,
    started: Instant,
    /// Sequence number at which this run started, for pacing.
    first_of_run: u64,
}

impl Datagen {
    /// Builds event `n`.
    pub fn event(&self, n: u64) -> SourceRecord {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let user = format!("user-{}", rng.random_range(0..self.users));
        let path = PATHS[rng.random_range(0..PATHS.len())];
        let url = match path {
            "/products" => format!("/products/{}", rng.random_range(1..500)),
            p => p.to_owned(),
        };
        let status = match rng.random_range(0..100) {
            0..=91 => 200,
            92..=95 => 404,
            96..=97 => 500,
            _ => 302,
        };
        let latency: u32 = 5 + (rng.random::<f64>().powi(3) * 900.0) as u32;
        let spacing = if self.rate == 0 {
            1.0
        } else {
            1000.0 / self.rate as f64
        };
        let ts = self.start_time_ms + (n as f64 * spacing) as i64 + rng.random_range(0..50);
        let mut value = Map::new();
        value.insert("event_id".into(), Value::Int(n as i64));
        value.insert("user_id".into(), Value::String(user.clone()));
        value.insert("url".into(), Value::String(url));
        value.insert("status".into(), Value::Int(status));
        value.insert("latency_ms".into(), Value::Int(latency.into()));
        value.insert("ts".into(), Value::Int(ts));
        SourceRecord {
            source_partition: json!({ "generator": "pageviews" }),
            source_offset: json!({ "sequence": n + 1 }),
            topic: self.topic.clone(),
            partition: None,
            key_schema: None,
            key: Value::String(user),
            value_schema: None,
            value: Value::Map(value),
            timestamp: Some(ts),
            headers: Vec::new(),
        }
    }

    /// How many events are due now under the configured rate.
    fn due(&self) -> u64 {
        let sent = self.next - self.first_of_run;
        let mut due = if self.rate == 0 {
            MAX_PER_POLL
        } else {
            let allowed = (self.started.elapsed().as_secs_f64() * self.rate as f64) as u64;
            allowed.saturating_sub(sent).min(MAX_PER_POLL)
        };
        if self.max_records > 0 {
            due = due.min(self.max_records.saturating_sub(self.next));
        }
        due
    }
}

#[async_trait]
impl SourceTask for Datagen {
    async fn start(&mut self, context: &SourceContext) -> Result<()> {
        let partition = json!({ "generator": "pageviews" });
        self.next = context
            .offset(&partition)
            .and_then(|o| o.get("sequence"))
            .and_then(|s| s.as_u64())
            .unwrap_or(0);
        self.first_of_run = self.next;
        self.started = Instant::now();
        if self.start_time_ms < 0 {
            self.start_time_ms = chrono::Utc::now().timestamp_millis();
        }
        let (topic, sequence, rate) = (&self.topic, self.next, self.rate);
        tracing::info!(%topic, sequence, rate, "datagen starting");
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let due = self.due();
        if due == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            return Ok(Vec::new());
        }
        let records = (self.next..self.next + due)
            .map(|n| self.event(n))
            .collect();
        self.next += due;
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(seed: &str) -> Datagen {
        let mut s = Settings::new();
        s.insert("topic".into(), "pageviews".into());
        s.insert("seed".into(), seed.into());
        s.insert("start.time.ms".into(), "1700000000000".into());
        let def = DatagenPlugin.config_def();
        let c = def.view(&s, "");
        Datagen {
            topic: c.string("topic").unwrap(),
            rate: 100,
            seed: c.long("seed").unwrap() as u64,
            max_records: 0,
            users: 1000,
            start_time_ms: c.long("start.time.ms").unwrap(),
            next: 0,
            started: Instant::now(),
            first_of_run: 0,
        }
    }

    #[test]
    fn same_seed_same_stream() {
        let (a, b, c) = (task("7"), task("7"), task("8"));
        assert_eq!(a.event(41), b.event(41));
        assert_ne!(a.event(41).value, c.event(41).value);
        let v = a.event(3).value;
        assert_eq!(v.get_path("event_id"), Some(&Value::Int(3)));
        let ts = v.get_path("ts").and_then(Value::as_i64).unwrap();
        assert!((1_700_000_000_030..1_700_000_000_080).contains(&ts), "{ts}");
    }
}
