//! What every end-to-end test needs: the broker's address, unique names, a producer that
//! reports where each record landed, the group's committed offsets, a `sluice` worker in
//! its own process, and a small REST client.
//!
//! The broker is the one `tests/services.sh start` runs (tansu, in memory), on loopback at
//! `SLUICE_TEST_KAFKA_PORT` (default 19092).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

/// A record to produce: partition, key, value (`None` value: a tombstone).
pub type ToProduce<'a> = (i32, Option<&'a [u8]>, Option<&'a [u8]>);

/// A record read back: key, value and headers (as text).
pub type Consumed = (Option<Vec<u8>>, Option<Vec<u8>>, Vec<(String, String)>);

/// The broker under test, at `SLUICE_TEST_KAFKA_PORT` on loopback (as `tests/services.sh`).
pub fn bootstrap() -> String {
    let port = std::env::var("SLUICE_TEST_KAFKA_PORT").unwrap_or_else(|_| "19092".into());
    format!("127.0.0.1:{port}")
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros()
        % 1_000_000_000;
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a topic.
pub async fn create_topic(topic: &str, partitions: i32) {
    create_topic_at(&bootstrap(), topic, partitions).await
}

/// Creates a topic on the broker at `bootstrap`.
pub async fn create_topic_at(bootstrap: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create topic");
    for r in results {
        r.expect("topic created");
    }
}

/// Produces records and returns, per partition, the offsets the broker assigned (in order).
/// `records` are (partition, key, value); a `None` value is a tombstone.
pub async fn produce(topic: &str, records: &[ToProduce<'_>]) -> BTreeMap<i32, Vec<i64>> {
    produce_at(&bootstrap(), topic, records).await
}

/// [`produce`] to the broker at `bootstrap`.
pub async fn produce_at(
    bootstrap: &str,
    topic: &str,
    records: &[ToProduce<'_>],
) -> BTreeMap<i32, Vec<i64>> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        // tansu 0.6 cannot resume a consumer from an offset inside a batch (it skips to the
        // next batch), so every test record is its own batch. Real Kafka needs no such care.
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .create()
        .expect("producer");
    let mut deliveries = Vec::with_capacity(records.len());
    for (partition, key, value) in records {
        let mut r: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).partition(*partition);
        if let Some(k) = key {
            r = r.key(k);
        }
        if let Some(v) = value {
            r = r.payload(v);
        }
        deliveries.push(
            producer
                .send_result(r)
                .map_err(|(e, _)| e)
                .expect("enqueue"),
        );
    }
    let mut offsets: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for d in deliveries {
        let delivery = d
            .await
            .expect("delivery report")
            .map_err(|(e, _)| e)
            .expect("delivered");
        offsets
            .entry(delivery.partition)
            .or_default()
            .push(delivery.offset);
    }
    offsets
}

/// Produces one record with one header to partition 0.
pub async fn produce_with_header(topic: &str, value: &[u8], header: (&str, &str)) {
    use rdkafka::message::{Header, OwnedHeaders};
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("producer");
    let headers = OwnedHeaders::new().insert(Header {
        key: header.0,
        value: Some(header.1),
    });
    let record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic)
        .partition(0)
        .payload(value)
        .headers(headers);
    producer
        .send(record, Duration::from_secs(10))
        .await
        .map_err(|(e, _)| e)
        .expect("delivered");
}

/// Produces JSON values round-robin over `partitions`, returning the offsets per partition.
pub async fn produce_json(
    topic: &str,
    partitions: i32,
    values: &[Value],
) -> BTreeMap<i32, Vec<i64>> {
    let texts: Vec<Vec<u8>> = values
        .iter()
        .map(|v| serde_json::to_vec(v).unwrap())
        .collect();
    let records: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| ((i as i32) % partitions, None, Some(t.as_slice())))
        .collect();
    produce(topic, &records).await
}

/// The committed offsets of a consumer group on `topic`'s partitions (absent: none).
pub fn committed(group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    committed_at(&bootstrap(), group, topic, partitions)
}

/// [`committed`] on the broker at `bootstrap`.
pub fn committed_at(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// Reads every record of a topic (for dead-letter checks): (key, value, headers).
pub fn read_topic(topic: &str, expect: usize, timeout: Duration) -> Vec<Consumed> {
    use rdkafka::message::{Headers, Message};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "20")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let deadline = Instant::now() + timeout;
    while out.len() < expect && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let headers = m
                .headers()
                .map(|hs| {
                    hs.iter()
                        .map(|h| {
                            (
                                h.key.to_owned(),
                                String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                m.key().map(<[u8]>::to_vec),
                m.payload().map(<[u8]>::to_vec),
                headers,
            ));
        }
    }
    out
}

/// Polls `check` every 100 ms until it returns `Some`, or panics with `what` after `timeout`.
pub async fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (30 s at most) until the file holds exactly `n` JSON lines.
pub async fn wait_lines(path: &Path, n: usize) {
    let what = format!("{n} lines in {}", path.display());
    wait_for(&what, Duration::from_secs(30), async || {
        (json_lines(path).len() == n).then_some(())
    })
    .await
}

/// Waits (20 s at most) until `group` has committed `offset` on partition `partition` of `topic`.
pub async fn wait_commit(group: &str, topic: &str, partition: i32, offset: i64) {
    wait_commit_at(&bootstrap(), group, topic, partition, offset).await
}

/// [`wait_commit`] on the broker at `bootstrap`.
pub async fn wait_commit_at(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) {
    let what = format!("{group} to commit {offset} on {topic}/{partition}");
    wait_for(&what, Duration::from_secs(20), async || {
        let now = committed_at(bootstrap, group, topic, partition + 1);
        (now.get(&partition) == Some(&offset)).then_some(())
    })
    .await
}

/// The lines of a file, parsed as JSON; a missing file has none.
pub fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

/// The `sluice` binary built next to this test binary (or `SLUICE_BIN`).
pub fn sluice_bin() -> PathBuf {
    if let Ok(p) = std::env::var("SLUICE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("sluice");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p sluice` first",
        bin.display()
    );
    bin
}

/// The repository's `config/` folder of example files.
pub fn config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("config")
}

/// An example `.properties` file from `config/` with some keys replaced (an empty value
/// removes the key), so the tests run the examples users copy.
pub fn example_properties(name: &str, overrides: &[(String, String)]) -> String {
    let text = std::fs::read_to_string(config_dir().join(name)).expect("example file");
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if !line.trim_start().starts_with('#') && overrides.iter().any(|(k, _)| k == key) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    for (k, v) in overrides.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(&format!("{k}={v}\n"));
    }
    out
}

/// An example connector file from `config/` with some config keys replaced.
pub fn example_connector(name: &str, overrides: &[(&str, &str)]) -> Value {
    let text = std::fs::read_to_string(config_dir().join(name)).expect("example file");
    let mut v: Value = serde_json::from_str(&text).expect("example is JSON");
    for (k, val) in overrides {
        v["config"][*k] = Value::String(val.to_string());
    }
    v
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `sluice` worker in its own process.
pub struct WorkerProcess {
    /// The child process.
    pub child: Child,
    /// Base URL of its REST API.
    pub url: String,
    /// Its log file.
    pub log: PathBuf,
}

impl WorkerProcess {
    /// Starts `sluice <args>` with a worker file in `dir` and waits for REST to answer.
    pub async fn start(dir: &Path, mode_args: &[&str], extra: &[(&str, &str)]) -> Self {
        Self::start_wrapped(dir, &[], mode_args, extra).await
    }

    /// As [`Self::start`], run through `wrapper` (a command and its arguments, such as a
    /// shell that sets a resource limit and then runs the rest of its arguments).
    pub async fn start_wrapped(
        dir: &Path,
        wrapper: &[&str],
        mode_args: &[&str],
        extra: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let worker_file = dir.join("worker.properties");
        let mut overrides = vec![
            ("bootstrap.servers".to_owned(), bootstrap()),
            ("listeners".to_owned(), format!("http://127.0.0.1:{port}")),
            ("offset.flush.interval.ms".to_owned(), "500".to_owned()),
            ("config.storage.file.filename".to_owned(), String::new()),
            (
                "offset.storage.file.filename".to_owned(),
                dir.join("offsets.json").display().to_string(),
            ),
            ("consumer.fetch.wait.max.ms".to_owned(), "20".to_owned()),
        ];
        overrides.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        overrides.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        std::fs::write(
            &worker_file,
            example_properties("worker.properties", &overrides),
        )
        .unwrap();
        let log = dir.join(format!("worker-{port}.log"));
        let mut args: Vec<String> = vec![mode_args[0].to_owned()];
        if mode_args[0] == "worker" {
            args.push("--config".into());
        }
        args.push(worker_file.display().to_string());
        args.extend(mode_args[1..].iter().map(|s| s.to_string()));
        let bin = sluice_bin().display().to_string();
        let command: Vec<&str> = wrapper
            .iter()
            .copied()
            .chain(std::iter::once(bin.as_str()))
            .chain(args.iter().map(String::as_str))
            .collect();
        let child = Command::new(command[0])
            .args(&command[1..])
            .env("RUST_LOG", "info,sluice_runtime=debug,tansu=warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start sluice");
        let url = format!("http://127.0.0.1:{port}");
        let w = Self { child, url, log };
        let probe = w.url.clone();
        let client = reqwest::Client::new();
        let log_path = w.log.clone();
        wait_for(
            &format!("worker REST at {probe} (log {})", log_path.display()),
            Duration::from_secs(30),
            async || {
                client
                    .get(format!("{probe}/health"))
                    .send()
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
            },
        )
        .await;
        w
    }

    /// Sends a signal and waits for the exit status.
    pub fn signal(&mut self, signal: i32) -> std::process::ExitStatus {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        self.child.wait().expect("wait for worker")
    }

    /// The worker's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A broker of the test's own (`sluice broker`, in memory), for tests that stop it.
pub struct BrokerProcess {
    child: Child,
    /// Its `host:port`.
    pub bootstrap: String,
}

impl BrokerProcess {
    /// Starts a broker on a free port and waits until it accepts connections.
    pub async fn start() -> Self {
        let bootstrap = format!("127.0.0.1:{}", free_port());
        let child = Command::new(sluice_bin())
            .args(["broker", "--listen", &bootstrap])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sluice broker");
        let addr = bootstrap.clone();
        wait_for(
            &format!("broker at {addr}"),
            Duration::from_secs(30),
            async || tokio::net::TcpStream::connect(&addr).await.ok(),
        )
        .await;
        Self { child, bootstrap }
    }

    /// Stops the broker without closing its connections, as a hung host or a network
    /// partition would: requests get no answer at all.
    pub fn freeze(&mut self) {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGSTOP) };
    }

    /// Kills the broker at once, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A REST answer: status and parsed body (null when empty or not JSON).
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body as JSON.
    pub body: Value,
}

/// Calls the REST API.
pub async fn call(method: &str, url: &str, body: Option<Value>) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client.request(method, url);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("REST call");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// Calls the REST API with a raw body.
pub async fn call_raw(method: &str, url: &str, body: &str) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = client
        .request(method, url)
        .body(body.to_owned())
        .send()
        .await
        .expect("REST call");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// Waits until a connector's status satisfies `check`, returning it.
pub async fn wait_status(
    url: &str,
    name: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let status_url = format!("{url}/connectors/{name}/status");
    wait_for(what, Duration::from_secs(30), async || {
        let a = call("GET", &status_url, None).await;
        (a.status == 200 && check(&a.body)).then_some(a.body)
    })
    .await
}

/// Whether every task of a status body is in `state`.
pub fn all_tasks(status: &Value, state: &str) -> bool {
    status["tasks"]
        .as_array()
        .is_some_and(|t| !t.is_empty() && t.iter().all(|t| t["state"] == state))
}

/// A file sink config for `topics`, writing to `file` with metadata.
pub fn file_sink(topics: &str, file: &Path) -> Value {
    serde_json::json!({
        "connector.class": "file-sink",
        "topics": topics,
        "file": file.display().to_string(),
        "include.metadata": "true",
        "batch.linger.ms": "20",
    })
}

/// The worker's `/metrics` text.
pub async fn metrics_text(url: &str) -> String {
    let answer = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("GET /metrics");
    answer.text().await.expect("metrics text")
}

/// Sums the samples of a metric for one connector in Prometheus text.
pub fn metric_sum(text: &str, name: &str, connector: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.starts_with(&format!("{name}{{")) && l.contains(&format!("connector=\"{connector}\""))
        })
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}
