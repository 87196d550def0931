//! Killing a worker mid-stream loses nothing; stopping it with SIGTERM duplicates nothing.
//! The connector config is persisted in `config.storage.file.filename`, so the restarted
//! worker brings the connector back by itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

const RECORDS: usize = 10_000;
const PARTITIONS: i32 = 4;
/// The consumers' session timeout (librdkafka's default is 45 s).
const SESSION_TIMEOUT: Duration = Duration::from_secs(6);

/// Starts a worker with the sink, then produces the records while it runs, and returns
/// once the sink has written part of the stream. Producing one record per request (see
/// `support::produce`) takes several seconds for the whole stream, so the stream is still
/// flowing when the test interrupts the worker.
async fn start_mid_stream(
    dir: &Path,
    topic: &str,
    out: &Path,
) -> (
    WorkerProcess,
    tokio::task::JoinHandle<BTreeMap<i32, Vec<i64>>>,
) {
    create_topic(topic, PARTITIONS).await;
    let store = dir.join("configs.json").display().to_string();
    let worker = WorkerProcess::start(
        dir,
        &["worker"],
        &[
            ("config.storage.file.filename", &store),
            ("consumer.session.timeout.ms", "6000"),
        ],
    )
    .await;
    let mut config = file_sink(topic, out);
    config["batch.max.records"] = json!("50");
    let created = call(
        "PUT",
        &format!("{}/connectors/{topic}/config", worker.url),
        Some(config),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let values: Vec<_> = (0..RECORDS).map(|i| json!({"id": i})).collect();
    let producing_topic = topic.to_owned();
    let producer =
        tokio::spawn(async move { produce_json(&producing_topic, PARTITIONS, &values).await });
    wait_for(
        "part of the stream written",
        Duration::from_secs(60),
        async || (json_lines(out).len() >= 1_000).then_some(()),
    )
    .await;
    (worker, producer)
}

/// (partition, offset) of every line written.
fn coordinates(lines: &[Value]) -> Vec<(i32, i64)> {
    lines
        .iter()
        .map(|l| {
            (
                l["partition"].as_i64().unwrap() as i32,
                l["offset"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn restart_and_finish(dir: &Path, out: &Path) -> Vec<(i32, i64)> {
    let store = dir.join("configs.json").display().to_string();
    let worker = WorkerProcess::start(
        dir,
        &["worker"],
        &[
            ("config.storage.file.filename", &store),
            ("consumer.session.timeout.ms", "6000"),
        ],
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let seen = loop {
        let coords = coordinates(&json_lines(out));
        let unique: BTreeSet<_> = coords.iter().copied().collect();
        if unique.len() >= RECORDS {
            break coords;
        }
        if std::time::Instant::now() > deadline {
            let log = worker.log_text();
            let tail: Vec<_> = log
                .lines()
                .filter(|l| !l.contains("DEBUG"))
                .take(40)
                .collect();
            panic!(
                "{} of {RECORDS} records written; log:\n{}",
                unique.len(),
                tail.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(worker);
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("crash-kill");
    let out = dir.path().join("out.jsonl");
    let (mut worker, producer) = start_mid_stream(dir.path(), &topic, &out).await;
    worker.signal(libc::SIGKILL);
    // tansu 0.6 hands a restarted member no partitions while the killed member is still in
    // the group, so wait out the killed member's session (Kafka itself would rebalance).
    tokio::time::sleep(SESSION_TIMEOUT + Duration::from_secs(4)).await;
    let last_commit = committed(&format!("connect-{topic}"), &topic, PARTITIONS);
    let produced = producer.await.unwrap();
    let before_restart = json_lines(&out).len();
    assert!(
        before_restart < RECORDS,
        "the kill came after the whole stream ({before_restart} lines)"
    );

    let seen = restart_and_finish(dir.path(), &out).await;
    let expected: BTreeSet<(i32, i64)> = produced
        .iter()
        .flat_map(|(p, os)| os.iter().map(move |o| (*p, *o)))
        .collect();
    let unique: BTreeSet<(i32, i64)> = seen.iter().copied().collect();
    assert_eq!(
        unique, expected,
        "every record is in the file at least once"
    );

    let mut counts: BTreeMap<(i32, i64), usize> = BTreeMap::new();
    for c in &seen {
        *counts.entry(*c).or_default() += 1;
    }
    for ((p, o), n) in counts {
        if n > 1 {
            let from = last_commit.get(&p).copied().unwrap_or(0);
            assert!(
                o >= from,
                "p{p}@{o} written {n} times but it was before the last commit {from}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_stream_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("crash-term");
    let out = dir.path().join("out.jsonl");
    let (mut worker, producer) = start_mid_stream(dir.path(), &topic, &out).await;
    let status = worker.signal(libc::SIGTERM);
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM exits 0; log:\n{}",
        worker.log_text()
    );

    // After a clean stop the commit is exactly one past what was written.
    let written = coordinates(&json_lines(&out));
    assert!(
        written.len() < RECORDS,
        "the stop came after the whole stream"
    );
    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    for (p, o) in &written {
        let e = next.entry(*p).or_insert(0);
        *e = (*e).max(o + 1);
    }
    assert_eq!(
        committed(&format!("connect-{topic}"), &topic, PARTITIONS),
        next
    );
    let produced = producer.await.unwrap();

    let seen = restart_and_finish(dir.path(), &out).await;
    assert_eq!(seen.len(), RECORDS, "no record twice");
    let expected: BTreeSet<(i32, i64)> = produced
        .iter()
        .flat_map(|(p, os)| os.iter().map(move |o| (*p, *o)))
        .collect();
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

/// With the broker gone, SIGTERM still stops the worker within its shutdown timeout: the
/// last offset commit and the consumer's leave of the group are given up after
/// `offset.flush.timeout.ms` instead of being waited for until the broker returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_broker_gone_gives_up_the_last_commit() {
    // No periodic commit before the stop: the stop's commit is the one pending. The
    // records were written, so only their commit is lost; the next run reads them again.
    let log = stop_with_the_broker_gone("600000", BrokerProcess::kill).await;
    assert!(
        log.contains("offset commit did not finish in time"),
        "the lost commit is logged; log:\n{log}"
    );
}

/// As above, with every offset committed before the broker stopped answering: nothing is
/// left to commit, and leaving the group is what waits for the coordinator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_broker_hung_gives_up_leaving_the_group() {
    let log = stop_with_the_broker_gone("200", BrokerProcess::freeze).await;
    assert!(
        !log.contains("offset commit did not finish"),
        "every offset was committed before the stop; log:\n{log}"
    );
    assert!(
        log.contains("consumer did not leave the group in time"),
        "the abandoned close is logged; log:\n{log}"
    );
}

/// Runs a file sink on a broker of its own until 20 records are written (and, with a short
/// `flush_interval_ms`, committed), takes the broker away with `fault`, sends SIGTERM and
/// checks that the worker exits 0 within the shutdown timeout. Returns the worker's log.
async fn stop_with_the_broker_gone(
    flush_interval_ms: &str,
    fault: fn(&mut BrokerProcess),
) -> String {
    const SHUTDOWN: Duration = Duration::from_secs(3);
    let dir = tempfile::tempdir().unwrap();
    let mut broker = BrokerProcess::start().await;
    let topic = unique("gone");
    let out = dir.path().join("out.jsonl");
    create_topic_at(&broker.bootstrap, &topic, 1).await;
    let values: Vec<Vec<u8>> = (0..20)
        .map(|i| format!("{{\"id\":{i}}}").into_bytes())
        .collect();
    let records: Vec<ToProduce<'_>> = values.iter().map(|v| (0, None, Some(&v[..]))).collect();
    let produced = produce_at(&broker.bootstrap, &topic, &records).await;
    let shutdown_ms = SHUTDOWN.as_millis().to_string();
    let mut worker = WorkerProcess::start(
        dir.path(),
        &["worker"],
        &[
            ("bootstrap.servers", &broker.bootstrap),
            ("offset.flush.interval.ms", flush_interval_ms),
            ("offset.flush.timeout.ms", "1000"),
            ("task.shutdown.graceful.timeout.ms", &shutdown_ms),
        ],
    )
    .await;
    let created = call(
        "PUT",
        &format!("{}/connectors/{topic}/config", worker.url),
        Some(file_sink(&topic, &out)),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    wait_lines(&out, 20).await;
    if flush_interval_ms.parse::<u64>().unwrap() < 1_000 {
        let group = format!("connect-{topic}");
        let end = produced[&0].last().unwrap() + 1;
        wait_commit_at(&broker.bootstrap, &group, &topic, 0, end).await;
    }

    fault(&mut broker);
    let asked = std::time::Instant::now();
    let status = worker.signal(libc::SIGTERM);
    let took = asked.elapsed();
    let log = worker.log_text();
    assert_eq!(status.code(), Some(0), "SIGTERM exits 0; log:\n{log}");
    // The shutdown timeout bounds the task's stop; the rest is the process winding down.
    assert!(
        took < SHUTDOWN + Duration::from_secs(5),
        "stopping took {took:?}; log:\n{log}"
    );
    assert_eq!(json_lines(&out).len(), 20);
    log
}

/// SIGTERM while a source produces faster than the broker acknowledges: the task stores the
/// offset of every record acknowledged before the worker's shutdown timeout is up, so a
/// restart re-produces none of them. Its final wait for deliveries must end before the
/// worker gives up on the task, or nothing at all is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stores_the_offsets_a_busy_source_had_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("busy-source");
    create_topic(&topic, 1).await;
    let mut worker = WorkerProcess::start(
        dir.path(),
        &["worker"],
        &[
            // No periodic store: only the stop stores offsets.
            ("offset.flush.interval.ms", "600000"),
            ("task.shutdown.graceful.timeout.ms", "3000"),
        ],
    )
    .await;
    let name = "busy-source";
    let config = json!({"name": name, "config": {
        "connector.class": "datagen", "topic": topic, "rate": "0", "seed": "1",
        "max.records": "1000000",
        // One record per produce request: acknowledgements trail far behind the sends.
        "producer.override.linger.ms": "0",
        "producer.override.batch.num.messages": "1",
    }});
    let created = call("POST", &format!("{}/connectors", worker.url), Some(config)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let metrics_url = format!("{}/metrics", worker.url);
    let acknowledged = wait_for(
        "acknowledged deliveries",
        Duration::from_secs(30),
        async || {
            let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
            let n = metric_sum(&text, "sluice_records_written_total", name);
            (n >= 1_000.0).then_some(n as u64)
        },
    )
    .await;

    let status = worker.signal(libc::SIGTERM);
    let log = worker.log_text();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(!log.contains("did not stop in time"), "{log}");
    let offsets: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("offsets.json")).unwrap()).unwrap();
    let stored = offsets[name][0]["offset"]["sequence"].as_u64();
    assert!(
        stored.is_some_and(|s| s >= acknowledged),
        "stored {stored:?}, acknowledged before the stop {acknowledged}; log:\n{log}"
    );
}
