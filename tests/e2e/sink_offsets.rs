//! The sink loop writes every record once, in offset order per partition, and commits one
//! past the last offset of each partition.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_records_land_in_order_and_commit_last_plus_one() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("orders");
    create_topic(&topic, 4).await;
    let values: Vec<_> = (0..10_000)
        .map(|i| json!({"id": i, "amount": i * 3}))
        .collect();
    let produced = produce_json(&topic, 4, &values).await;
    assert_eq!(produced.values().map(Vec::len).sum::<usize>(), 10_000);

    let worker = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let out = dir.path().join("out.jsonl");
    let mut config = file_sink(&topic, &out);
    config["tasks.max"] = json!("2");
    let created = call(
        "POST",
        &format!("{}/connectors", worker.url),
        Some(json!({"name": "orders-sink", "config": config})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);

    let lines = wait_for("10000 lines", Duration::from_secs(60), async || {
        let lines = json_lines(&out);
        (lines.len() >= 10_000).then_some(lines)
    })
    .await;
    assert_eq!(lines.len(), 10_000, "no record twice");

    // Per partition: exactly the produced offsets, in order.
    let mut written: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for l in &lines {
        written
            .entry(l["partition"].as_i64().unwrap() as i32)
            .or_default()
            .push(l["offset"].as_i64().unwrap());
    }
    assert_eq!(written, produced);
    let ids: std::collections::BTreeSet<i64> = lines
        .iter()
        .map(|l| l["value"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 10_000);

    // Committed = one past the last delivered offset of each partition.
    let expected: BTreeMap<i32, i64> = produced
        .iter()
        .map(|(p, o)| (*p, o.last().unwrap() + 1))
        .collect();
    let group = "connect-orders-sink";
    let got = wait_for(
        "commits of every partition",
        Duration::from_secs(20),
        async || {
            let c = committed(group, &topic, 4);
            (c == expected).then_some(c)
        },
    )
    .await;
    assert_eq!(got, expected);

    // The REST view of the same offsets (KIP-875 shape).
    let offsets = call(
        "GET",
        &format!("{}/connectors/orders-sink/offsets", worker.url),
        None,
    )
    .await;
    assert_eq!(offsets.status, 200);
    let mut rest: BTreeMap<i32, i64> = BTreeMap::new();
    for o in offsets.body["offsets"].as_array().unwrap() {
        assert_eq!(o["partition"]["kafka_topic"], topic.as_str());
        rest.insert(
            o["partition"]["kafka_partition"].as_i64().unwrap() as i32,
            o["offset"]["kafka_offset"].as_i64().unwrap(),
        );
    }
    assert_eq!(rest, expected);

    // Metrics count what was read and written.
    let metrics = metrics_text(&worker.url).await;
    let read: f64 = metric_sum(&metrics, "sluice_records_read_total", "orders-sink");
    let written_total: f64 = metric_sum(&metrics, "sluice_records_written_total", "orders-sink");
    assert_eq!(read, 10_000.0);
    assert_eq!(written_total, 10_000.0);
}
