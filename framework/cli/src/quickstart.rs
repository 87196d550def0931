//! `sluice quickstart`: the whole path on one machine in one command.
//!
//! It starts the embedded broker (unless `--bootstrap-servers` names a cluster), creates
//! the topic, starts a worker with its REST API, registers a `datagen` source (or a `file`
//! source reading `--input`) and a `file` sink through that REST API exactly as a user
//! would, and prints a line of progress every second. On Ctrl-C (or after `--duration`)
//! the source stops first, the sink drains what the source sent, and a summary says how
//! many records were sent and written.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use serde_json::json;
use sluice_runtime::status::TargetState;
use sluice_runtime::worker_config::WorkerConfig;
use tokio::time::Instant;

use crate::modes;

/// Name of the source connector the quickstart registers.
pub const SOURCE: &str = "quickstart-source";
/// Name of the sink connector the quickstart registers.
pub const SINK: &str = "quickstart-sink";
/// Tasks of the sink connector. One: the embedded broker (tansu 0.6) cannot resume a
/// consumer from an offset inside a produced batch, which a rebalance between two tasks
/// would ask of it, so the quickstart avoids rebalances.
const SINK_TASKS: u32 = 1;

/// Options of `sluice quickstart`.
#[derive(Debug, Clone, clap::Args)]
pub struct QuickstartArgs {
    /// Use this Kafka cluster instead of the embedded broker.
    #[arg(long)]
    pub bootstrap_servers: Option<String>,
    /// Stream this file of JSON lines instead of generated page views.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Where the file sink writes.
    #[arg(long, default_value = "quickstart-output/pageviews.jsonl")]
    pub output: PathBuf,
    /// REST port.
    #[arg(long, default_value_t = 8083)]
    pub rest_port: u16,
    /// Port of the embedded broker.
    #[arg(long, default_value_t = 9092)]
    pub broker_port: u16,
    /// Topic between source and sink.
    #[arg(long, default_value = "pageviews")]
    pub topic: String,
    /// Partitions of the topic.
    #[arg(long, default_value_t = 4)]
    pub partitions: i32,
    /// Page views per second generated.
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// Stop by itself after this many seconds.
    #[arg(long)]
    pub duration: Option<u64>,
}

/// Runs the quickstart until `shutdown` completes or `--duration` passes.
pub async fn run(args: QuickstartArgs, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    let (bootstrap, broker) = match &args.bootstrap_servers {
        Some(servers) => (servers.clone(), None),
        None => start_broker(args.broker_port).await?,
    };
    create_topic(&bootstrap, &args.topic, (args.partitions, 1)).await?;
    let out_dir = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let running = modes::start(worker_config(&args, &bootstrap, &out_dir)).await?;
    let base = format!("http://{}", running.rest_addr);
    register(&base, &args).await?;
    banner(&args, &base, &bootstrap);
    progress(&running, &args, shutdown).await;
    let (sent, written) = drain(&running, SINK_TASKS).await;
    running.shutdown().await;
    if let Some(b) = broker {
        b.stop().await;
    }
    println!(
        "quickstart: the source sent {sent} records; the file sink wrote {written} records to {}",
        args.output.display()
    );
    Ok(())
}

#[cfg(feature = "embedded-broker")]
type Broker = crate::broker::BrokerHandle;

#[cfg(not(feature = "embedded-broker"))]
type Broker = NoBroker;

/// Stands in for the broker handle in builds without the embedded broker.
#[cfg(not(feature = "embedded-broker"))]
pub struct NoBroker;

trait Stop {
    async fn stop(self);
}

#[cfg(feature = "embedded-broker")]
impl Stop for crate::broker::BrokerHandle {
    async fn stop(self) {
        if let Err(e) = self.shutdown().await {
            tracing::warn!(error = %e, "embedded broker did not stop cleanly");
        }
    }
}

#[cfg(not(feature = "embedded-broker"))]
impl Stop for NoBroker {
    async fn stop(self) {}
}

#[cfg(feature = "embedded-broker")]
async fn start_broker(port: u16) -> Result<(String, Option<Broker>), String> {
    let handle = crate::broker::start(std::net::SocketAddr::from(([127, 0, 0, 1], port))).await?;
    Ok((handle.bootstrap_servers(), Some(handle)))
}

#[cfg(not(feature = "embedded-broker"))]
async fn start_broker(_port: u16) -> Result<(String, Option<Broker>), String> {
    Err("this build has no embedded broker; pass --bootstrap-servers".into())
}

/// Creates the topic with (partitions, replication factor); an existing topic is fine.
/// Says whether it was created.
pub async fn create_topic(
    bootstrap: &str,
    topic: &str,
    (partitions, replication): (i32, i32),
) -> Result<bool, String> {
    let admin: AdminClient<DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .map_err(|e| format!("admin client: {e}"))?;
    let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(replication));
    let results = admin
        .create_topics(
            &[new],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .map_err(|e| format!("create topic {topic}: {e}"))?;
    let mut created = false;
    for r in results {
        match r {
            Ok(_) => created = true,
            Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((t, code)) => return Err(format!("create topic {t}: {code}")),
        }
    }
    Ok(created)
}

fn worker_config(
    args: &QuickstartArgs,
    bootstrap: &str,
    out_dir: &std::path::Path,
) -> WorkerConfig {
    WorkerConfig::from_pairs([
        ("bootstrap.servers", bootstrap.to_owned()),
        ("listeners", format!("http://127.0.0.1:{}", args.rest_port)),
        ("key.converter", "string".into()),
        ("value.converter", "json".into()),
        ("value.converter.schemas.enable", "false".into()),
        ("offset.flush.interval.ms", "1000".into()),
        (
            "offset.storage.file.filename",
            out_dir.join("source-offsets.json").display().to_string(),
        ),
        // Low fetch wait keeps latency low on brokers that hold a fetch for the full wait.
        ("consumer.fetch.wait.max.ms", "50".into()),
    ])
}

async fn register(base: &str, args: &QuickstartArgs) -> Result<(), String> {
    let source = match &args.input {
        Some(path) => json!({
            "connector.class": "file-source",
            "file": path.display().to_string(),
            "format": "json",
            "topic": args.topic,
        }),
        None => json!({
            "connector.class": "datagen",
            "topic": args.topic,
            "rate": args.rate.to_string(),
            "seed": "42",
        }),
    };
    let sink = json!({
        "connector.class": "file-sink",
        "topics": args.topic,
        "tasks.max": SINK_TASKS.to_string(),
        "file": args.output.display().to_string(),
    });
    let client = reqwest::Client::new();
    for (name, config) in [(SOURCE, source), (SINK, sink)] {
        let response = client
            .put(format!("{base}/connectors/{name}/config"))
            .json(&config)
            .send()
            .await
            .map_err(|e| format!("register {name}: {e}"))?;
        if !response.status().is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(format!("register {name}: {body}"));
        }
    }
    Ok(())
}

fn banner(args: &QuickstartArgs, base: &str, bootstrap: &str) {
    let what = match &args.input {
        Some(p) => format!("streaming {}", p.display()),
        None => format!("generating {} page views/s", args.rate),
    };
    println!(
        "Sluice quickstart: {what} into topic '{}' on {bootstrap}",
        args.topic
    );
    println!("  sink output:  tail -f {}", args.output.display());
    println!("  connectors:   curl -s {base}/connectors?expand=status");
    println!("  metrics:      curl -s {base}/metrics");
    println!("  stop:         Ctrl-C");
}

async fn progress(
    running: &modes::Running,
    args: &QuickstartArgs,
    shutdown: impl Future<Output = ()>,
) {
    let metrics = running.worker.metrics().clone();
    let deadline = args
        .duration
        .map(|d| Instant::now() + Duration::from_secs(d));
    let tty = std::io::stdout().is_terminal();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let (mut last_sent, mut last_written) = (0u64, 0u64);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        let sent = metrics.written_total(SOURCE, 1);
        let written = metrics.written_total(SINK, SINK_TASKS);
        let line = format!(
            "produced {sent} ({}/s)  written {written} ({}/s)  lag {}",
            sent - last_sent.min(sent),
            written - last_written.min(written),
            metrics.lag_total(SINK)
        );
        (last_sent, last_written) = (sent, written);
        if tty {
            print!("\r{line}    ");
        } else {
            println!("{line}");
        }
        let _ = std::io::stdout().flush();
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    if tty {
        println!();
    }
}

/// Stops the source, then waits (up to 30 s) until the sink has written what it sent.
async fn drain(running: &modes::Running, sink_tasks: u32) -> (u64, u64) {
    if let Err(e) = running
        .worker
        .set_target(SOURCE, TargetState::Stopped)
        .await
    {
        tracing::warn!(error = %e, "stopping the source failed");
    }
    let metrics = running.worker.metrics();
    let sent = metrics.written_total(SOURCE, 1);
    let give_up = Instant::now() + Duration::from_secs(30);
    while metrics.written_total(SINK, sink_tasks) < sent && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (sent, metrics.written_total(SINK, sink_tasks))
}
