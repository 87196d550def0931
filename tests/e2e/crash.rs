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
