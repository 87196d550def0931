//! Bad records: with `errors.tolerance=none` the task fails with a readable trace and the
//! commit stays on the bad record; with `all` bad records go to the dead-letter topic with
//! Kafka Connect's headers and the rest flows (BR-14).

use std::time::Duration;

use serde_json::json;

use crate::support::*;

/// BR-14's input on one partition: ok, bad `\u12`, not JSON, ok.
async fn br14_topic() -> String {
    let topic = unique("br14");
    create_topic(&topic, 1).await;
    let values: [&[u8]; 4] = [
        br#"{"ts":1,"line_desc":"ok"}"#,
        br#"{"ts":2,"line_desc":"bad \u12"}"#,
        b"not json",
        br#"{"ts":3,"line_desc":"ok"}"#,
    ];
    let records: Vec<_> = values.iter().map(|v| (0, None, Some(*v))).collect();
    produce(&topic, &records).await;
    topic
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_record_fails_the_task_and_the_commit_stays_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let topic = br14_topic().await;
    let worker = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let out = dir.path().join("out.jsonl");
    let url = format!("{}/connectors/br14-none/config", worker.url);
    assert_eq!(
        call("PUT", &url, Some(file_sink(&topic, &out)))
            .await
            .status,
        201
    );

    let status = wait_status(&worker.url, "br14-none", "task FAILED", |s| {
        all_tasks(s, "FAILED")
    })
    .await;
    let trace = status["tasks"][0]["trace"].as_str().unwrap();
    assert!(
        trace.contains(&format!("{topic}/p0@1")),
        "trace names the record: {trace}"
    );
    assert!(
        trace.contains("VALUE_CONVERTER"),
        "trace names the stage: {trace}"
    );
    assert!(trace.contains("invalid JSON"), "trace says why: {trace}");
    assert_eq!(status["connector"]["state"], "RUNNING");
    assert_eq!(
        json_lines(&out).len(),
        1,
        "the record before the bad one is written"
    );
    assert_eq!(committed("connect-br14-none", &topic, 1).get(&0), Some(&1));

    // A restart reads from the committed offset again: it fails on the same record, and the
    // record before it is not written a second time.
    let restart = call(
        "POST",
        &format!("{}/connectors/br14-none/tasks/0/restart", worker.url),
        None,
    )
    .await;
    assert_eq!(restart.status, 204);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = wait_status(&worker.url, "br14-none", "task FAILED again", |s| {
        all_tasks(s, "FAILED")
    })
    .await;
    assert!(status["tasks"][0]["trace"]
        .as_str()
        .unwrap()
        .contains("p0@1"));
    assert_eq!(json_lines(&out).len(), 1);

    // Tolerating errors lets the task go on from exactly there.
    let mut config = file_sink(&topic, &out);
    config["errors.tolerance"] = json!("all");
    assert_eq!(call("PUT", &url, Some(config)).await.status, 200);
    wait_lines(&out, 2).await;
    assert_eq!(written_field(&out, "ts"), vec![1, 3]);
    wait_commit("connect-br14-none", &topic, 0, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerated_records_go_to_the_dead_letter_topic_with_context_headers() {
    let dir = tempfile::tempdir().unwrap();
    let topic = br14_topic().await;
    let dlq = unique("br14-dlq");
    create_topic(&dlq, 1).await;
    let worker = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let out = dir.path().join("out.jsonl");
    let mut config = file_sink(&topic, &out);
    config["errors.tolerance"] = json!("all");
    config["errors.deadletterqueue.topic.name"] = json!(dlq);
    config["errors.deadletterqueue.context.headers.enable"] = json!("true");
    config["errors.log.enable"] = json!("true");
    config["errors.log.include.messages"] = json!("true");
    let url = format!("{}/connectors/br14-all/config", worker.url);
    assert_eq!(call("PUT", &url, Some(config)).await.status, 201);

    wait_lines(&out, 2).await;
    assert_eq!(written_field(&out, "ts"), vec![1, 3]);
    wait_commit("connect-br14-all", &topic, 0, 4).await;

    let dead = read_topic(&dlq, 2, Duration::from_secs(20));
    assert_eq!(dead.len(), 2);
    assert_eq!(
        dead[0].1.as_deref(),
        Some(&br#"{"ts":2,"line_desc":"bad \u12"}"#[..]),
        "original bytes"
    );
    assert_eq!(dead[1].1.as_deref(), Some(&b"not json"[..]));
    for (i, (_, _, headers)) in dead.iter().enumerate() {
        let h = |k: &str| {
            headers
                .iter()
                .find(|(hk, _)| hk == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(h("__connect.errors.topic"), topic);
        assert_eq!(h("__connect.errors.partition"), "0");
        assert_eq!(h("__connect.errors.offset"), (i + 1).to_string());
        assert_eq!(h("__connect.errors.connector.name"), "br14-all");
        assert_eq!(h("__connect.errors.task.id"), "0");
        assert_eq!(h("__connect.errors.stage"), "VALUE_CONVERTER");
        assert_eq!(
            h("__connect.errors.exception.class.name"),
            "org.apache.kafka.connect.errors.DataException"
        );
        assert!(
            h("__connect.errors.exception.message").contains("invalid JSON"),
            "{headers:?}"
        );
    }
    let status = call(
        "GET",
        &format!("{}/connectors/br14-all/status", worker.url),
        None,
    )
    .await;
    assert!(all_tasks(&status.body, "RUNNING"), "{}", status.body);

    // errors.log.enable logs each skipped record; include.messages adds its bytes as text.
    let log = worker.log_text();
    let skipped: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("record skipped"))
        .collect();
    assert_eq!(skipped.len(), 2, "{log}");
    assert!(
        skipped[0].contains(&format!("record={topic}/p0@1"))
            && skipped[0].contains("stage=\"VALUE_CONVERTER\"")
            && skipped[0].contains(r#"value={"ts":2,"line_desc":"bad \u12"}"#),
        "{}",
        skipped[0]
    );
    assert!(
        skipped[1].contains(&format!("record={topic}/p0@2"))
            && skipped[1].contains("value=not json")
            && skipped[1].contains("key=null"),
        "{}",
        skipped[1]
    );
}

/// A dead-lettered record keeps its own headers, though the file sink reads none (so the
/// loop reads them for the dead-letter topic's sake).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lettered_record_keeps_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("dlq-headers");
    let dlq = unique("dlq-headers-dead");
    create_topic(&topic, 1).await;
    create_topic(&dlq, 1).await;
    produce_with_header(&topic, b"not json", ("trace-id", "abc")).await;
    let worker = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let mut config = file_sink(&topic, &dir.path().join("out.jsonl"));
    config["errors.tolerance"] = json!("all");
    config["errors.deadletterqueue.topic.name"] = json!(dlq);
    let url = format!("{}/connectors/dlq-headers/config", worker.url);
    assert_eq!(call("PUT", &url, Some(config)).await.status, 201);
    let dead = read_topic(&dlq, 1, Duration::from_secs(20));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].1.as_deref(), Some(&b"not json"[..]));
    assert_eq!(dead[0].2, vec![("trace-id".to_owned(), "abc".to_owned())]);
}

/// A bad record deep in a backlog: the records before it arrive in chunks that are decoded
/// while later ones are read, yet exactly those before it are written and committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_record_in_a_backlog_stops_exactly_there() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("backlog-bad");
    create_topic(&topic, 1).await;
    let texts: Vec<Vec<u8>> = (0..3000)
        .map(|i| match i {
            2000 => b"{\"id\": 2000, broken".to_vec(),
            _ => serde_json::to_vec(&json!({"id": i})).unwrap(),
        })
        .collect();
    let records: Vec<_> = texts
        .iter()
        .map(|t| (0, None, Some(t.as_slice())))
        .collect();
    produce(&topic, &records).await;

    let worker = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let out = dir.path().join("out.jsonl");
    // A name of its own: a group left by an earlier run's killed worker would hold on to
    // the partitions on tansu until its session expires.
    let name = unique("backlog-bad");
    let group = format!("connect-{name}");
    let url = format!("{}/connectors/{name}/config", worker.url);
    let mut config = file_sink(&topic, &out);
    config["batch.max.records"] = json!("300");
    assert_eq!(call("PUT", &url, Some(config.clone())).await.status, 201);

    let status = wait_status(&worker.url, &name, "task FAILED", |s| {
        all_tasks(s, "FAILED")
    })
    .await;
    let trace = status["tasks"][0]["trace"].as_str().unwrap();
    assert!(trace.contains(&format!("{topic}/p0@2000")), "{trace}");
    assert_eq!(written_field(&out, "id"), (0..2000).collect::<Vec<_>>());
    assert_eq!(committed(&group, &topic, 1).get(&0), Some(&2000));

    // Tolerated, the rest follows in order and the commit reaches the end.
    config["errors.tolerance"] = json!("all");
    assert_eq!(call("PUT", &url, Some(config)).await.status, 200);
    wait_lines(&out, 2999).await;
    let expected: Vec<i64> = (0..3000).filter(|i| *i != 2000).collect();
    assert_eq!(written_field(&out, "id"), expected);
    wait_commit(&group, &topic, 0, 3000).await;
}

/// The integer `field` of every value the file sink wrote, in file order.
fn written_field(out: &std::path::Path, field: &str) -> Vec<i64> {
    json_lines(out)
        .iter()
        .map(|l| l["value"][field].as_i64().unwrap())
        .collect()
}
