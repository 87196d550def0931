//! Faults reported against similar systems, as tests under their catalogue numbers:
//! BR-02, BR-07, BR-08, BR-31 (unknown keys) and BR-37.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

fn lines_of(out: &std::path::Path) -> usize {
    json_lines(out).len()
}

/// BR-02: offsets of filtered records are committed; committed = last + 1; never past a
/// record that is batched but not yet written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn br02_filtered_offsets_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("br02");
    create_topic(&topic, 1).await;
    let heartbeats: Vec<_> = (0..100).map(|_| json!({"type": "heartbeat"})).collect();
    produce_json(&topic, 1, &heartbeats).await;
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let out = dir.path().join("out.jsonl");
    let mut config = file_sink(&topic, &out);
    config["transforms"] = json!("drop");
    config["transforms.drop.type"] = json!("Filter");
    config["transforms.drop.condition"] = json!("value.type == \"heartbeat\"");
    // A long linger keeps the orders batched, unwritten, across several commit cycles.
    config["batch.linger.ms"] = json!("6000");
    assert_eq!(
        call(
            "PUT",
            &format!("{}/connectors/br02/config", w.url),
            Some(config)
        )
        .await
        .status,
        201
    );

    let group = "connect-br02";
    wait_commit(group, &topic, 0, 100).await;
    assert_eq!(lines_of(&out), 0);
    // Records are counted even when every one is filtered and no batch is written.
    let text = metrics_text(&w.url).await;
    assert_eq!(
        metric_sum(&text, "sluice_records_read_total", "br02"),
        100.0
    );
    assert_eq!(
        metric_sum(&text, "sluice_records_filtered_total", "br02"),
        100.0
    );
    assert_eq!(
        metric_sum(&text, "sluice_records_written_total", "br02"),
        0.0
    );

    produce_json(
        &topic,
        1,
        &[
            json!({"type": "order", "id": 1}),
            json!({"type": "order", "id": 2}),
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(lines_of(&out), 0, "the orders are still batched");
    assert_eq!(
        committed(group, &topic, 1).get(&0),
        Some(&100),
        "never past a batched record"
    );

    wait_commit(group, &topic, 0, 102).await;
    let ids: Vec<_> = json_lines(&out)
        .iter()
        .map(|l| l["value"]["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(1), json!(2)]);

    let metrics_url = format!("{}/metrics", w.url);
    wait_for("lag 0 and counters", Duration::from_secs(20), async || {
        let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
        let has_lag = text.lines().any(|l| {
            l.starts_with("sluice_consumer_lag_records{") && l.contains("connector=\"br02\"")
        });
        let done = has_lag
            && metric_sum(&text, "sluice_consumer_lag_records", "br02") == 0.0
            && metric_sum(&text, "sluice_records_filtered_total", "br02") == 100.0
            && metric_sum(&text, "sluice_records_written_total", "br02") == 2.0;
        done.then_some(())
    })
    .await;
}

/// BR-07: connector name rules, config validation and a failing config store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn br07_names_validation_and_store_failures() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    std::fs::create_dir(&store_dir).unwrap();
    let store = store_dir.join("configs.json").display().to_string();
    let w = WorkerProcess::start(
        dir.path(),
        &["worker"],
        &[("config.storage.file.filename", &store)],
    )
    .await;
    let u = &w.url;
    let out = dir.path().join("out.jsonl");
    let sink = |name: Option<&str>| {
        let mut c = file_sink("br07", &out);
        if let Some(n) = name {
            c["name"] = json!(n);
        }
        c
    };

    // 1. name in the body differs from the URL.
    let a = call(
        "PUT",
        &format!("{u}/connectors/sink-a/config"),
        Some(sink(Some("sink-b"))),
    )
    .await;
    assert_eq!(a.status, 400);
    let m = a.body["message"].as_str().unwrap();
    assert!(m.contains("sink-a") && m.contains("sink-b"), "{m}");
    assert_eq!(
        call("GET", &format!("{u}/connectors/sink-a"), None)
            .await
            .status,
        404
    );
    // 2. no name in the body: the URL's.
    let a = call(
        "PUT",
        &format!("{u}/connectors/sink-a/config"),
        Some(sink(None)),
    )
    .await;
    assert_eq!(a.status, 201);
    assert_eq!(a.body["config"]["name"], "sink-a");
    // 3. blank and control characters.
    for bad in ["   ", "bad\u{7}name"] {
        let a = call(
            "POST",
            &format!("{u}/connectors"),
            Some(json!({"name": bad, "config": sink(None)})),
        )
        .await;
        assert_eq!(a.status, 400, "{bad:?}: {}", a.body);
    }
    // ...and too long to address (it could be created, then never deleted).
    let long = "n".repeat(1025);
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": long, "config": sink(None)})),
    )
    .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(
        a.body["message"],
        "Connector name is 1025 bytes long; at most 1024 are allowed"
    );
    // 4. trimmed.
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": " sink-c ", "config": sink(None)})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["name"], "sink-c");
    assert_eq!(
        call("GET", &format!("{u}/connectors/sink-c"), None)
            .await
            .status,
        200
    );
    // 5. a slash could never be addressed again.
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "a/b", "config": sink(None)})),
    )
    .await;
    assert_eq!(a.status, 400);
    // 6. validate with a required key missing: 200 with the error on that key.
    let a = call(
        "PUT",
        &format!("{u}/connector-plugins/file-sink/config/validate"),
        Some(json!({"name": "v", "topics": "t"})),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.body["error_count"].as_u64().unwrap() >= 1);
    // 7. the config store cannot be written.
    std::fs::remove_dir_all(&store_dir).unwrap();
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "sink-d", "config": sink(None)})),
    )
    .await;
    assert_eq!(a.status, 500, "{}", a.body);
    assert!(
        a.body["message"].as_str().unwrap().contains("cannot write"),
        "{}",
        a.body
    );
    let names = call("GET", &format!("{u}/connectors"), None).await.body;
    assert_eq!(names, json!(["sink-a", "sink-c"]));
}

/// BR-08: restart semantics. Both tasks of the connector fail on a bad record (a failed
/// task's partitions move to the other task, which then meets the same record, as in
/// Kafka Connect); a healthy connector shows which tasks a restart leaves alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn br08_restart_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let u = &w.url;

    let good = unique("br08-good");
    create_topic(&good, 2).await;
    let mut healthy = file_sink(&good, &dir.path().join("good.jsonl"));
    healthy["tasks.max"] = json!("2");
    assert_eq!(
        call(
            "PUT",
            &format!("{u}/connectors/healthy/config"),
            Some(healthy)
        )
        .await
        .status,
        201
    );
    wait_status(u, "healthy", "RUNNING", |s| all_tasks(s, "RUNNING")).await;
    let a = call(
        "POST",
        &format!("{u}/connectors/healthy/restart?includeTasks=true&onlyFailed=true"),
        None,
    )
    .await;
    assert_eq!(a.status, 202);
    assert_eq!(
        a.body["connector"]["state"], "RUNNING",
        "not failed, not restarted"
    );
    assert!(
        all_tasks(&a.body, "RUNNING"),
        "no task restarted: {}",
        a.body
    );

    let bad = unique("br08-bad");
    create_topic(&bad, 1).await;
    produce(
        &bad,
        &[(0, None, Some(b"{\"ok\":1}")), (0, None, Some(b"{broken"))],
    )
    .await;
    let mut failing = file_sink(&bad, &dir.path().join("bad.jsonl"));
    failing["tasks.max"] = json!("2");
    assert_eq!(
        call(
            "PUT",
            &format!("{u}/connectors/br08-a/config"),
            Some(failing)
        )
        .await
        .status,
        201
    );
    let failed = wait_status(u, "br08-a", "a FAILED task", |s| {
        s["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["state"] == "FAILED")
    })
    .await;
    let failed_ids: Vec<Value> = failed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "FAILED")
        .map(|t| t["id"].clone())
        .collect();

    // 1. only failed tasks restart; the answer shows them RESTARTING.
    let a = call(
        "POST",
        &format!("{u}/connectors/br08-a/restart?includeTasks=true&onlyFailed=true"),
        None,
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["connector"]["state"], "RUNNING");
    for t in a.body["tasks"].as_array().unwrap() {
        let expected = if failed_ids.contains(&t["id"]) {
            "RESTARTING"
        } else {
            "RUNNING"
        };
        assert!(
            t["state"] == expected || t["state"] == "FAILED",
            "task {} is {}, expected {expected}",
            t["id"],
            t["state"]
        );
        if failed_ids.contains(&t["id"]) {
            assert_eq!(t["state"], "RESTARTING");
        }
    }
    // The restarted task meets the bad record again; the status stays consistent.
    let again = wait_status(u, "br08-a", "FAILED again", |s| {
        s["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["state"] == "FAILED")
    })
    .await;
    assert_eq!(again["connector"]["state"], "RUNNING");
    // 2. the plain form restarts the connector only: 204, empty body.
    let a = call("POST", &format!("{u}/connectors/br08-a/restart"), None).await;
    assert_eq!((a.status, a.body), (204, Value::Null));
    // 3. unknown connector.
    let a = call(
        "POST",
        &format!("{u}/connectors/nope/restart?includeTasks=true"),
        None,
    )
    .await;
    assert_eq!(a.status, 404);
}

/// BR-31: a misspelled key is rejected, naming it, unless unknown keys are allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn br31_unknown_keys_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let u = &w.url;
    let mut config = file_sink("br31", &dir.path().join("out.jsonl"));
    config["name"] = json!("typo");
    config["batch.seperator"] = json!(",");
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "typo", "config": config.clone()})),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("Unknown configuration key \"batch.seperator\""),
        "{}",
        a.body
    );
    let v = call(
        "PUT",
        &format!("{u}/connector-plugins/file-sink/config/validate"),
        Some(config.clone()),
    )
    .await;
    assert_eq!(v.body["error_count"], 1);
    let entry = v.body["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "batch.seperator")
        .unwrap();
    assert!(entry["value"]["errors"][0]
        .as_str()
        .unwrap()
        .contains("batch.seperator"));
    config["config.allow.unknown"] = json!("true");
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "typo", "config": config})),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
}

/// BR-37: offsets survive delete and re-create; reset only when stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn br37_offsets_survive_recreate_and_reset_needs_stop() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("br37");
    create_topic(&topic, 1).await;
    let values: Vec<_> = (0..10).map(|i| json!({"i": i})).collect();
    produce_json(&topic, 1, &values).await;
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let u = &w.url;
    let out = dir.path().join("out.jsonl");
    let body = json!({"name": "br37", "config": file_sink(&topic, &out)});
    assert_eq!(
        call("POST", &format!("{u}/connectors"), Some(body.clone()))
            .await
            .status,
        201
    );
    wait_lines(&out, 10).await;
    wait_commit("connect-br37", &topic, 0, 10).await;

    // 1. delete and re-create: it resumes at 10; only the new record is written.
    assert_eq!(
        call("DELETE", &format!("{u}/connectors/br37"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        call("POST", &format!("{u}/connectors"), Some(body))
            .await
            .status,
        201
    );
    produce_json(&topic, 1, &[json!({"i": 10})]).await;
    wait_lines(&out, 11).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(lines_of(&out), 11, "no redelivery after re-create");
    wait_commit("connect-br37", &topic, 0, 11).await;

    // 2. reset while running: refused, nothing changes.
    let a = call("DELETE", &format!("{u}/connectors/br37/offsets"), None).await;
    assert_eq!(a.status, 400);
    assert!(
        a.body["message"].as_str().unwrap().contains("STOPPED"),
        "{}",
        a.body
    );
    assert_eq!(committed("connect-br37", &topic, 1).get(&0), Some(&11));

    // 4. (before the reset) the offsets as Kafka Connect shows them.
    let offsets = call("GET", &format!("{u}/connectors/br37/offsets"), None).await;
    assert_eq!(
        offsets.body,
        json!({"offsets": [{
            "partition": {"kafka_topic": topic, "kafka_partition": 0},
            "offset": {"kafka_offset": 11},
        }]})
    );

    // 3. stop, reset, resume: read again from the start.
    assert_eq!(
        call("PUT", &format!("{u}/connectors/br37/stop"), None)
            .await
            .status,
        204
    );
    let a = call("DELETE", &format!("{u}/connectors/br37/offsets"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["message"],
        "The offsets for this connector have been reset successfully"
    );
    assert_eq!(
        call("GET", &format!("{u}/connectors/br37/offsets"), None)
            .await
            .body,
        json!({"offsets": []})
    );
    assert_eq!(
        call("PUT", &format!("{u}/connectors/br37/resume"), None)
            .await
            .status,
        202
    );
    wait_lines(&out, 22).await;

    // Altering needs STOPPED too, and then sets the position.
    let patch = json!({"offsets": [{
        "partition": {"kafka_topic": topic, "kafka_partition": 0},
        "offset": {"kafka_offset": 5},
    }]});
    assert_eq!(
        call(
            "PATCH",
            &format!("{u}/connectors/br37/offsets"),
            Some(patch.clone())
        )
        .await
        .status,
        400
    );
    assert_eq!(
        call("PUT", &format!("{u}/connectors/br37/stop"), None)
            .await
            .status,
        204
    );
    let a = call(
        "PATCH",
        &format!("{u}/connectors/br37/offsets"),
        Some(patch),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(committed("connect-br37", &topic, 1).get(&0), Some(&5));
    assert_eq!(
        call("PUT", &format!("{u}/connectors/br37/resume"), None)
            .await
            .status,
        202
    );
    wait_lines(&out, 28).await;
}
