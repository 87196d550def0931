//! The `datagen` source: a stream of realistic page-view events for trying Sluice out.
//!
//! Event `n` is a pure function of `(seed, n)`: with a seed the stream is the same on every
//! run, and a restart resumes at the stored sequence number. Events look like
//! `{"event_id":17,"user_id":"user-42","url":"/products/9","status":200,"latency_ms":35,
//! "ts":1700000000000}`, keyed by `user_id`; `ts` is the event time, `start.time.ms` plus
//! `n / rate` seconds, with a little jitter.
//!
//! `start.time.ms` is at most 253402300799999, the last millisecond of year 9999, and `ts`
//! saturates at `i64::MAX` rather than wrap. The sequence is a `u64`: an offset of
//! `{"sequence": 18446744073709551615}` (`u64::MAX`) is the end of the stream, and the task
//! then produces nothing more, as it does once `max.records` is reached.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::connector::{ConnectorKind, ConnectorPlugin, SourceContext, SourceTask};
use sluice_core::{Map, Result, SourceRecord, Value};

use crate::offsets;

/// Most records one poll returns.
const MAX_PER_POLL: u64 = 5_000;

/// The latest `start.time.ms` accepted: 9999-12-31T23:59:59.999Z.
const MAX_START_TIME_MS: i64 = 253_402_300_799_999;

/// The one source partition of a datagen task.
fn source_partition() -> serde_json::Value {
    json!({ "generator": "pageviews" })
}

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
            .key(
                ConfigKey::optional(
                    "start.time.ms",
                    ConfigType::Long,
                    "-1",
                    "Event time of the first record, epoch ms, at most 253402300799999 \
                     (year 9999); -1 is the time the task starts.",
                )
                .check(Check::Range(-1, MAX_START_TIME_MS)),
            )
    }

    /// Accepts the one partition this connector writes and a `sequence` of 0 or more.
    fn check_offset(
        &self,
        partition: &serde_json::Value,
        offset: &serde_json::Value,
    ) -> std::result::Result<(), String> {
        if *partition != source_partition() {
            return Err(format!(
                "the source partition must be {}, not {partition}",
                source_partition()
            ));
        }
        if offset.is_null() {
            return Ok(());
        }
        let object = offsets::exact_object("source offset", offset, &["sequence"])?;
        offsets::non_negative_integer("source offset", object, "sequence").map(drop)
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
    /// Builds event `n`. Every step saturates, so no `n` or start time can overflow.
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
        // A float-to-integer `as` saturates, and so do the additions.
        let ts = self
            .start_time_ms
            .saturating_add((n as f64 * spacing) as i64)
            .saturating_add(rng.random_range(0..50));
        let event_id = i64::try_from(n).map_or(Value::UInt(n), Value::Int);
        let mut value = Map::default();
        value.insert("event_id".into(), event_id);
        value.insert("user_id".into(), Value::from(user.as_str()));
        value.insert("url".into(), Value::from(url));
        value.insert("status".into(), Value::Int(status));
        value.insert("latency_ms".into(), Value::Int(latency.into()));
        value.insert("ts".into(), Value::Int(ts));
        SourceRecord {
            source_partition: source_partition(),
            source_offset: json!({ "sequence": n.saturating_add(1) }),
            topic: self.topic.clone(),
            partition: None,
            key_schema: None,
            key: Value::from(user),
            value_schema: None,
            value: Value::Map(value),
            timestamp: Some(ts),
            headers: Vec::new(),
        }
    }

    /// How many events are due now under the configured rate. Never more than the sequence
    /// numbers left below `u64::MAX`, so that `next + due` cannot overflow: a stream whose
    /// offset reached `u64::MAX` has ended.
    fn due(&self) -> u64 {
        let sent = self.next.saturating_sub(self.first_of_run);
        let mut due = if self.rate == 0 {
            MAX_PER_POLL
        } else {
            let allowed = (self.started.elapsed().as_secs_f64() * self.rate as f64) as u64;
            allowed.saturating_sub(sent).min(MAX_PER_POLL)
        };
        if self.max_records > 0 {
            due = due.min(self.max_records.saturating_sub(self.next));
        }
        due.min(u64::MAX - self.next)
    }
}

#[async_trait]
impl SourceTask for Datagen {
    async fn start(&mut self, context: &SourceContext) -> Result<()> {
        self.next = context
            .offset(&source_partition())
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
        // `due` leaves room below u64::MAX, so this does not saturate in practice.
        let end = self.next.saturating_add(due);
        let records = (self.next..end).map(|n| self.event(n)).collect();
        self.next = end;
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

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let mut s = Settings::new();
        s.insert("topic".into(), "pageviews".into());
        for (k, v) in pairs {
            s.insert((*k).into(), (*v).into());
        }
        s
    }

    fn context_at(sequence: u64) -> SourceContext {
        let mut context = SourceContext::default();
        let offset = json!({ "sequence": sequence });
        context
            .offsets
            .insert(source_partition().to_string(), offset);
        context
    }

    #[test]
    fn a_start_time_beyond_year_9999_is_a_config_error() {
        let s = settings(&[("start.time.ms", "9223372036854775807")]);
        let err = DatagenPlugin.source_task(&s).err().unwrap();
        assert_eq!(
            err.message,
            "Invalid value 9223372036854775807 for configuration start.time.ms: \
             must be between -1 and 253402300799999"
        );
        assert_eq!(err.fault, sluice_core::Fault::Config);
        let s = settings(&[("start.time.ms", "253402300799999")]);
        assert!(DatagenPlugin.source_task(&s).is_ok());
    }

    #[test]
    fn the_last_sequence_numbers_saturate_instead_of_overflowing() {
        let mut t = task("1");
        t.start_time_ms = MAX_START_TIME_MS;
        let record = t.event(u64::MAX);
        assert_eq!(record.timestamp, Some(i64::MAX));
        assert_eq!(
            record.value.get_path("event_id"),
            Some(&Value::UInt(u64::MAX))
        );
        assert_eq!(record.source_offset, json!({ "sequence": u64::MAX }));
    }

    #[tokio::test]
    async fn a_stream_ends_at_sequence_u64_max() {
        let s = settings(&[("rate", "0")]);
        let mut t = DatagenPlugin.source_task(&s).unwrap();
        t.start(&context_at(u64::MAX - 2)).await.unwrap();
        let got = t.poll().await.unwrap();
        let offsets: Vec<_> = got.iter().map(|r| r.source_offset.clone()).collect();
        let (a, b) = (u64::MAX - 1, u64::MAX);
        assert_eq!(
            offsets,
            vec![json!({ "sequence": a }), json!({ "sequence": b })]
        );
        assert!(t.poll().await.unwrap().is_empty());

        let mut t = DatagenPlugin.source_task(&s).unwrap();
        t.start(&context_at(u64::MAX)).await.unwrap();
        assert!(t.poll().await.unwrap().is_empty());
    }

    #[test]
    fn offset_check_accepts_a_sequence_or_a_reset() {
        let p = source_partition();
        let check = |partition: &_, offset: &_| DatagenPlugin.check_offset(partition, offset);
        assert_eq!(check(&p, &json!({ "sequence": 0 })), Ok(()));
        assert_eq!(check(&p, &json!({ "sequence": u64::MAX })), Ok(()));
        assert_eq!(check(&p, &json!(null)), Ok(()));
        assert_eq!(
            check(&p, &json!({ "sequence": -1 })).unwrap_err(),
            "\"sequence\" of the source offset must be a non-negative integer, not -1"
        );
        assert_eq!(
            check(&p, &json!({ "position": 3 })).unwrap_err(),
            "the source offset must have the key \"sequence\""
        );
        assert_eq!(
            check(&json!({ "generator": "clicks" }), &json!(null)).unwrap_err(),
            "the source partition must be {\"generator\":\"pageviews\"}, \
             not {\"generator\":\"clicks\"}"
        );
    }
}
