//! `errors.tolerance` and the dead-letter topic, for every stage of a record's way.
//!
//! Kafka Connect's settings and header names: with `errors.tolerance=none` the first bad
//! record fails the task, naming the record and the stage; with `all` it is skipped, logged
//! when `errors.log.enable=true` (with its key and value as text when
//! `errors.log.include.messages=true`), and its original bytes go to
//! `errors.deadletterqueue.topic.name` when that is set. With
//! `errors.deadletterqueue.context.headers.enable=true` the dead-letter record carries
//! `__connect.errors.*` headers naming the original coordinates, the stage and the error. A
//! record's offset counts as handled only after its dead-letter copy is acknowledged.

use std::time::Duration;

use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sluice_core::{Error, Fault, Header, Origin, Result};

use crate::kafka::{client_config, ClientKind};
use crate::task::TaskEnv;

/// The stage a record failed in, with Kafka Connect's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Decoding the key.
    KeyConverter,
    /// Decoding the value.
    ValueConverter,
    /// A transform.
    Transformation,
    /// The sink's write.
    TaskPut,
    /// Encoding a source record.
    SourceConverter,
}

impl Stage {
    /// Kafka Connect's upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::Transformation => "TRANSFORMATION",
            Stage::TaskPut => "TASK_PUT",
            Stage::SourceConverter => "SOURCE_CONVERTER",
        }
    }
}

/// Applies a connector's error settings.
pub struct ErrorHandler {
    tolerate: bool,
    log: bool,
    log_messages: bool,
    dlq: Option<DeadLetterQueue>,
}

/// At most this many bytes of a skipped record's key or value are logged: enough to
/// recognise the record, not enough to flood the log with one large record.
const LOGGED_BYTES: usize = 1024;

/// Where skipped records go.
struct DeadLetterQueue {
    producer: FutureProducer,
    topic: String,
    context_headers: bool,
    /// Replication factor for creating the topic, from
    /// `errors.deadletterqueue.topic.replication.factor`.
    replication: i32,
    /// Whether the topic is known to exist (created here or found).
    ready: tokio::sync::OnceCell<()>,
    admin: rdkafka::ClientConfig,
}

impl ErrorHandler {
    /// Reads the `errors.*` settings of a task.
    pub fn new(env: &TaskEnv) -> Result<Self> {
        let s = &env.settings;
        let flag = |k: &str| {
            s.get(k)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let tolerate = s.get("errors.tolerance").is_some_and(|v| v.trim() == "all");
        let topic = s
            .get("errors.deadletterqueue.topic.name")
            .map(|t| t.trim())
            .filter(|t| !t.is_empty());
        let dlq = match topic {
            Some(topic) if tolerate => {
                let mut config = client_config(&env.worker, s, ClientKind::Producer);
                config.set("enable.idempotence", "true");
                let producer = config
                    .create()
                    .map_err(|e| Error::fatal(format!("dead-letter producer: {e}")))?;
                let replication = s
                    .get("errors.deadletterqueue.topic.replication.factor")
                    .and_then(|r| r.trim().parse().ok())
                    .unwrap_or(3);
                Some(DeadLetterQueue {
                    producer,
                    topic: topic.to_owned(),
                    context_headers: flag("errors.deadletterqueue.context.headers.enable"),
                    replication,
                    ready: tokio::sync::OnceCell::new(),
                    admin: client_config(&env.worker, s, ClientKind::Admin),
                })
            }
            _ => None,
        };
        Ok(Self {
            tolerate,
            log: flag("errors.log.enable"),
            log_messages: flag("errors.log.include.messages"),
            dlq,
        })
    }

    /// Whether bad records go to a dead-letter topic, which carries their headers.
    pub fn keeps_headers(&self) -> bool {
        self.dlq.is_some()
    }

    /// Deals with one bad record: `Ok` if it was tolerated (and dead-lettered), `Err` with the
    /// message a failed task shows if not.
    pub async fn handle(
        &self,
        env: &TaskEnv,
        stage: Stage,
        origin: &Origin,
        headers: &[Header],
        error: &Error,
    ) -> Result<()> {
        let coordinates = origin.coordinates();
        if !self.tolerate || error.fault != Fault::Data {
            return Err(Error {
                fault: error.fault,
                message: format!(
                    "Tolerance exceeded in error handler: stage {} failed for record \
                     {coordinates}: {}",
                    stage.as_str(),
                    error.message
                ),
            });
        }
        if self.log && self.log_messages {
            tracing::warn!(record = %coordinates, stage = stage.as_str(),
                error = %error.message, key = %shown(origin.raw_key()),
                value = %shown(origin.raw_value()), "record skipped");
        } else if self.log {
            tracing::warn!(record = %coordinates,
                stage = stage.as_str(), error = %error.message, "record skipped");
        }
        if let Some(dlq) = &self.dlq {
            dlq.send(env, stage, origin, headers, error).await?;
        }
        Ok(())
    }
}

/// A record's key or value for the log: `null`, or its text (bytes that are not UTF-8
/// replaced), cut after [`LOGGED_BYTES`] with the full length noted.
fn shown(bytes: Option<&[u8]>) -> String {
    let Some(bytes) = bytes else {
        return "null".to_owned();
    };
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(LOGGED_BYTES)]);
    if bytes.len() > LOGGED_BYTES {
        format!("{text}... ({} bytes)", bytes.len())
    } else {
        text.into_owned()
    }
}

impl DeadLetterQueue {
    /// Creates the topic with one partition if it does not exist, as Kafka Connect does.
    /// A failure is only logged: the topic may exist, or the broker may create it.
    async fn ensure_topic(&self) {
        use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
        let admin: AdminClient<rdkafka::client::DefaultClientContext> = match self.admin.create() {
            Ok(a) => a,
            Err(e) => return tracing::warn!(error = %e, "dead-letter admin client"),
        };
        let topic = NewTopic::new(&self.topic, 1, TopicReplication::Fixed(self.replication));
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        match admin.create_topics(&[topic], &options).await {
            Ok(results) => {
                for r in results {
                    match r {
                        Ok(t) => tracing::info!(topic = %t, "dead-letter topic created"),
                        Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((t, code)) => {
                            let why = "dead-letter topic not created";
                            tracing::warn!(topic = %t, error = %code, "{why}")
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(topic = %self.topic, error = %e, "dead-letter topic not created")
            }
        }
    }

    async fn send(
        &self,
        env: &TaskEnv,
        stage: Stage,
        origin: &Origin,
        headers: &[Header],
        error: &Error,
    ) -> Result<()> {
        self.ready.get_or_init(|| self.ensure_topic()).await;
        let mut out = OwnedHeaders::new();
        for h in headers {
            out = out.insert(KafkaHeader {
                key: &h.key,
                value: h.value.as_deref(),
            });
        }
        if self.context_headers {
            out = context_headers(out, env, stage, origin, error);
        }
        let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(&self.topic).headers(out);
        if let Some(k) = origin.raw_key() {
            record = record.key(k);
        }
        if let Some(v) = origin.raw_value() {
            record = record.payload(v);
        }
        self.producer
            .send(record, Duration::from_secs(60))
            .await
            .map(|_| ())
            .map_err(|(e, _)| Error::fatal(format!("dead-letter topic {}: {e}", self.topic)))
    }
}

fn context_headers(
    out: OwnedHeaders,
    env: &TaskEnv,
    stage: Stage,
    origin: &Origin,
    error: &Error,
) -> OwnedHeaders {
    let partition = origin.tp.partition.to_string();
    let offset = origin.offset.to_string();
    let task = env.task.to_string();
    let pairs: [(&str, &str); 8] = [
        ("__connect.errors.topic", &origin.tp.topic),
        ("__connect.errors.partition", &partition),
        ("__connect.errors.offset", &offset),
        ("__connect.errors.connector.name", &env.connector),
        ("__connect.errors.task.id", &task),
        ("__connect.errors.stage", stage.as_str()),
        (
            "__connect.errors.exception.class.name",
            error.fault.kafka_connect_class(),
        ),
        ("__connect.errors.exception.message", &error.message),
    ];
    pairs.iter().fold(out, |h, (k, v)| {
        h.insert(KafkaHeader {
            key: k,
            value: Some(v.as_bytes()),
        })
    })
}
