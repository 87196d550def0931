//! `sluice bench`: how fast the sink loop drains a topic, next to a bare rdkafka consumer.
//!
//! It loads `--records` JSON records of about `--size` bytes into a topic of
//! `--partitions` partitions, then drains the topic twice, each time in a fresh child
//! process so that CPU time and peak RSS are each drain's own: once with a bare rdkafka
//! `BaseConsumer` that only counts messages, once through Sluice's sink loop (JSON
//! converter, batching, offset tracking and commits) into a sink that only counts. Both
//! use one consumer and start their clocks at the first record. Without
//! `--bootstrap-servers` the embedded broker runs as a third process, so its CPU is in
//! neither figure.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use serde_json::json;
use sluice_core::config::{ConfigDef, Settings};
use sluice_core::connector::{ConnectorKind, ConnectorPlugin, SinkTask, WriteOutcome};
use sluice_core::Record;
use sluice_runtime::stores::memory::{MemoryConfigStore, MemoryOffsetStore, MemoryStatusStore};
use sluice_runtime::worker::{Worker, WorkerParts};
use sluice_runtime::worker_config::WorkerConfig;

/// Options of `sluice bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Records to load and drain.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Partitions of the topic.
    #[arg(long, default_value_t = 16)]
    pub partitions: i32,
    /// Approximate size of each JSON record in bytes.
    #[arg(long, default_value_t = 300)]
    pub size: usize,
    /// Use this Kafka cluster instead of an embedded broker in a child process.
    #[arg(long)]
    pub bootstrap_servers: Option<String>,
    /// Port for the embedded broker.
    #[arg(long, default_value_t = 19099)]
    pub broker_port: u16,
    /// `fetch.wait.max.ms` of both drains' consumers.
    #[arg(long, default_value_t = 10)]
    pub fetch_wait_ms: u32,
    /// Rounds of the two drains, alternating; the table shows each drain's median round.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

/// Options of the hidden `sluice bench-drain` child.
#[derive(Debug, Clone, clap::Args)]
pub struct DrainArgs {
    /// `bare` or `sluice`.
    #[arg(long)]
    pub mode: String,
    /// Kafka cluster.
    #[arg(long)]
    pub bootstrap_servers: String,
    /// Topic to drain.
    #[arg(long)]
    pub topic: String,
    /// Records to wait for.
    #[arg(long)]
    pub expect: u64,
    /// `fetch.wait.max.ms` of the consumer.
    #[arg(long, default_value_t = 10)]
    pub fetch_wait_ms: u32,
}

/// What one drain measured.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct DrainResult {
    /// `bare` or `sluice`.
    pub mode: String,
    /// Records drained.
    pub records: u64,
    /// Wall time from the first record to the last.
    pub seconds: f64,
    /// CPU time (user + system) of the process over the same span.
    pub cpu_seconds: f64,
    /// Peak resident set size of the process, in MiB.
    pub peak_rss_mib: f64,
}

/// Runs the benchmark and prints the table.
pub async fn run(args: BenchArgs) -> Result<(), String> {
    let mut broker = None;
    let bootstrap = match &args.bootstrap_servers {
        Some(b) => b.clone(),
        None => {
            let (child, addr) = spawn_broker(args.broker_port).await?;
            broker = Some(child);
            addr
        }
    };
    let result = measure(&args, &bootstrap).await;
    if let Some(mut child) = broker {
        let _ = child.kill().await;
    }
    let (bare, sluice) = result?;
    print_table(&args, bare, sluice);
    Ok(())
}

/// Loads the topic, then drains it `rounds` times each way, alternating so that a noisy
/// neighbour slows both kinds alike; returns each kind's rounds.
async fn measure(
    args: &BenchArgs,
    bootstrap: &str,
) -> Result<(Vec<DrainResult>, Vec<DrainResult>), String> {
    let topic = format!("bench-{}", std::process::id());
    crate::quickstart::create_topic(bootstrap, &topic, (args.partitions, 1)).await?;
    let loaded = load(bootstrap, &topic, args.records, args.size)?;
    eprintln!("loaded {loaded} records into {topic}");
    let (mut bare, mut sluice) = (Vec::new(), Vec::new());
    for round in 1..=args.rounds.max(1) {
        for (mode, results) in [("bare", &mut bare), ("sluice", &mut sluice)] {
            let r = drain_child(mode, args, bootstrap, &topic, loaded).await?;
            eprintln!(
                "round {round}: {mode} {:.0} records/s, {:.2} CPU-s",
                r.records as f64 / r.seconds,
                r.cpu_seconds
            );
            results.push(r);
        }
    }
    Ok((bare, sluice))
}

/// The round with the median rate.
fn median(mut rounds: Vec<DrainResult>) -> DrainResult {
    rounds.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let middle = rounds.len() / 2;
    rounds.swap_remove(middle)
}

async fn spawn_broker(port: u16) -> Result<(tokio::process::Child, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let addr = format!("127.0.0.1:{port}");
    let child = tokio::process::Command::new(exe)
        .args(["broker", "--listen", &addr])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("start broker: {e}"))?;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return Ok((child, addr));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("broker did not listen on {addr}"))
}

/// Counts successful deliveries.
struct Deliveries(AtomicU64);

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_ok() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Produces the records and returns how many were acknowledged.
fn load(bootstrap: &str, topic: &str, records: u64, size: usize) -> Result<u64, String> {
    let producer: ThreadedProducer<Deliveries> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("queue.buffering.max.messages", "200000")
        .create_with_context(Deliveries(AtomicU64::new(0)))
        .map_err(|e| format!("producer: {e}"))?;
    for n in 0..records {
        let value = record(n, size);
        let key = format!("user-{}", n % 1000);
        let mut r = BaseRecord::to(topic).key(&key).payload(&value);
        loop {
            match producer.send(r) {
                Ok(()) => break,
                Err((_, back)) => {
                    r = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(120))
        .map_err(|e| format!("flush: {e}"))?;
    Ok(producer.context().0.load(Ordering::Relaxed))
}

fn record(n: u64, size: usize) -> Vec<u8> {
    let mut v =
        json!({"event_id": n, "user_id": format!("user-{}", n % 1000), "url": "/products/42",
        "status": 200, "latency_ms": n % 900, "ts": 1_700_000_000_000u64 + n, "pad": ""})
        .to_string();
    let pad = size.saturating_sub(v.len());
    v.truncate(v.len() - 2);
    v.push_str(&"x".repeat(pad));
    v.push_str("\"}");
    v.into_bytes()
}

async fn drain_child(
    mode: &str,
    args: &BenchArgs,
    bootstrap: &str,
    topic: &str,
    expect: u64,
) -> Result<DrainResult, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let expect_text = expect.to_string();
    let fetch_wait = args.fetch_wait_ms.to_string();
    let out = tokio::process::Command::new(exe)
        .args([
            "bench-drain",
            "--mode",
            mode,
            "--bootstrap-servers",
            bootstrap,
            "--topic",
            topic,
            "--expect",
            &expect_text,
            "--fetch-wait-ms",
            &fetch_wait,
        ])
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|e| format!("bench-drain {mode}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line).map_err(|e| format!("bench-drain {mode} printed {line:?}: {e}"))
}

fn print_table(args: &BenchArgs, bare: Vec<DrainResult>, sluice: Vec<DrainResult>) {
    let (bare, sluice) = (&median(bare), &median(sluice));
    println!(
        "{} records of ~{} bytes, {} partitions, median of {} rounds",
        bare.records,
        args.size,
        args.partitions,
        args.rounds.max(1)
    );
    println!(
        "{:<28} {:>12} {:>16} {:>14}",
        "drain", "records/s", "CPU-s per 1M", "peak RSS MiB"
    );
    for r in [bare, sluice] {
        let rate = r.records as f64 / r.seconds;
        let cpu = r.cpu_seconds / (r.records as f64 / 1e6);
        let name = if r.mode == "bare" {
            "bare rdkafka BaseConsumer"
        } else {
            "sluice sink loop"
        };
        println!(
            "{name:<28} {rate:>12.0} {cpu:>16.2} {:>14.1}",
            r.peak_rss_mib
        );
    }
    let ratio = (sluice.records as f64 / sluice.seconds) / (bare.records as f64 / bare.seconds);
    println!("sluice / bare rate: {ratio:.2}");
}

/// `sluice bench-drain`: one drain, printed as one JSON line.
pub async fn drain(args: DrainArgs) -> Result<(), String> {
    let result = match args.mode.as_str() {
        "bare" => tokio::task::spawn_blocking(move || drain_bare(&args))
            .await
            .map_err(|e| e.to_string())??,
        "sluice" => drain_sluice(&args).await?,
        other => return Err(format!("unknown mode {other}; use bare or sluice")),
    };
    println!(
        "{}",
        serde_json::to_string(&result).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn drain_bare(args: &DrainArgs) -> Result<DrainResult, String> {
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &args.bootstrap_servers)
        .set("group.id", format!("bench-bare-{}", std::process::id()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", args.fetch_wait_ms.to_string())
        // The same fetch settings as Sluice's consumers, so only the framework differs.
        .set("fetch.queue.backoff.ms", "50")
        .set("queued.max.messages.kbytes", "16384")
        .create()
        .map_err(|e| format!("consumer: {e}"))?;
    consumer
        .subscribe(&[&args.topic])
        .map_err(|e| e.to_string())?;
    let mut count = 0u64;
    let mut bytes = 0usize;
    let mut start = None;
    let give_up = Instant::now() + Duration::from_secs(600);
    while count < args.expect && Instant::now() < give_up {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            start.get_or_insert_with(|| (Instant::now(), cpu_seconds()));
            bytes += m.payload_len();
            count += 1;
        }
    }
    std::hint::black_box(bytes);
    Ok(finish("bare", count, start))
}

fn finish(mode: &str, records: u64, start: Option<(Instant, f64)>) -> DrainResult {
    let (t0, c0) = start.unwrap_or((Instant::now(), cpu_seconds()));
    DrainResult {
        mode: mode.to_owned(),
        records,
        seconds: t0.elapsed().as_secs_f64(),
        cpu_seconds: cpu_seconds() - c0,
        peak_rss_mib: peak_rss_mib(),
    }
}

/// When the counting sink saw its first record, and how many it has seen.
struct Counter {
    count: AtomicU64,
    start: OnceLock<(Instant, f64)>,
}

static COUNTER: Counter = Counter {
    count: AtomicU64::new(0),
    start: OnceLock::new(),
};

/// A sink that only counts: it measures the runtime, not a target system.
struct CountingSinkPlugin;

impl ConnectorPlugin for CountingSinkPlugin {
    fn class(&self) -> &'static str {
        "io.sluice.bench.CountingSink"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["bench-counter"]
    }
    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Sink
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn sink_task(&self, _settings: &Settings) -> sluice_core::Result<Box<dyn SinkTask>> {
        Ok(Box::new(CountingSink))
    }
}

struct CountingSink;

#[async_trait]
impl SinkTask for CountingSink {
    /// It counts records, as the file sink writes them: without their headers.
    fn reads_headers(&self) -> bool {
        false
    }

    async fn write(&mut self, batch: &[Record]) -> sluice_core::Result<WriteOutcome> {
        COUNTER
            .start
            .get_or_init(|| (Instant::now(), cpu_seconds()));
        let fields: usize = batch
            .iter()
            .map(|r| r.value.as_map().map_or(0, |m| m.len()))
            .sum();
        std::hint::black_box(fields);
        COUNTER
            .count
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(WriteOutcome::all_written())
    }
}

async fn drain_sluice(args: &DrainArgs) -> Result<DrainResult, String> {
    let mut plugins = crate::plugins::all();
    plugins.connectors.push(Arc::new(CountingSinkPlugin));
    let fetch_wait = args.fetch_wait_ms.to_string();
    let config = WorkerConfig::from_pairs([
        ("bootstrap.servers", args.bootstrap_servers.as_str()),
        ("offset.flush.interval.ms", "1000"),
        ("consumer.fetch.wait.max.ms", fetch_wait.as_str()),
        ("key.converter", "string"),
        ("value.converter", "json"),
        ("value.converter.schemas.enable", "false"),
    ]);
    let worker = Worker::new(WorkerParts {
        config,
        plugins,
        configs: Arc::new(MemoryConfigStore::default()),
        offsets: Arc::new(MemoryOffsetStore::default()),
        statuses: Arc::new(MemoryStatusStore::default()),
        worker_id: "bench:0".into(),
    })
    .map_err(|e| e.to_string())?;
    let mut settings = Settings::new();
    settings.insert("connector.class".into(), "bench-counter".into());
    settings.insert("topics".into(), args.topic.clone());
    settings.insert("batch.max.records".into(), "1000".into());
    let name = format!("bench-{}", std::process::id());
    worker
        .put_config(&name, settings)
        .await
        .map_err(|e| e.to_string())?;
    let give_up = Instant::now() + Duration::from_secs(600);
    while COUNTER.count.load(Ordering::Relaxed) < args.expect && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let result = finish(
        "sluice",
        COUNTER.count.load(Ordering::Relaxed),
        COUNTER.start.get().copied(),
    );
    worker.shutdown().await;
    Ok(result)
}

/// User plus system CPU time of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Peak resident set size of this process, from /proc (VmHWM).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
