//! Every REST endpoint with its status codes, bodies and error shape.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

fn is_error(a: &Answer, status: u16) -> bool {
    a.status == status && a.body["error_code"] == status && a.body["message"].is_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_lifecycle_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let topic = unique("rest");
    create_topic(&topic, 2).await;
    produce_json(&topic, 2, &[json!({"n": 1}), json!({"n": 2})]).await;
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let u = &w.url;
    let out = dir.path().join("out.jsonl");

    let root = call("GET", &format!("{u}/"), None).await;
    assert_eq!(root.status, 200);
    assert_eq!(root.body["version"], env!("CARGO_PKG_VERSION"));
    assert!(root.body.get("kafka_cluster_id").is_some());
    assert_eq!(
        call("GET", &format!("{u}/health"), None).await.body["status"],
        "healthy"
    );
    assert_eq!(
        call("GET", &format!("{u}/connectors"), None).await.body,
        json!([])
    );

    // Create, duplicate, read back.
    let body = json!({"name": "s1", "config": file_sink(&topic, &out)});
    let created = call("POST", &format!("{u}/connectors"), Some(body.clone())).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["name"], "s1");
    assert_eq!(created.body["type"], "sink");
    assert_eq!(created.body["config"]["name"], "s1");
    assert_eq!(
        created.body["tasks"],
        json!([{"connector": "s1", "task": 0}])
    );
    assert!(is_error(
        &call("POST", &format!("{u}/connectors"), Some(body)).await,
        409
    ));
    assert_eq!(
        call("GET", &format!("{u}/connectors"), None).await.body,
        json!(["s1"])
    );
    // A trailing slash names the same resource, as in Kafka Connect.
    let slashed = call("GET", &format!("{u}/connectors/"), None).await;
    assert_eq!((slashed.status, slashed.body), (200, json!(["s1"])));
    let slashed = call("GET", &format!("{u}/connectors/s1/config/"), None).await;
    assert_eq!(slashed.body["connector.class"], "file-sink");
    let info = call("GET", &format!("{u}/connectors/s1"), None).await;
    assert_eq!(info.body["config"]["topics"], topic.as_str());
    let config = call("GET", &format!("{u}/connectors/s1/config"), None).await;
    assert_eq!(config.body["connector.class"], "file-sink");
    let tasks = call("GET", &format!("{u}/connectors/s1/tasks"), None).await;
    assert_eq!(tasks.body[0]["id"], json!({"connector": "s1", "task": 0}));
    assert_eq!(tasks.body[0]["config"]["topics"], topic.as_str());

    let status = wait_status(u, "s1", "RUNNING", |s| all_tasks(s, "RUNNING")).await;
    assert_eq!(status["name"], "s1");
    assert_eq!(status["type"], "sink");
    assert_eq!(status["connector"]["state"], "RUNNING");
    assert!(status["connector"]["worker_id"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    let task = call("GET", &format!("{u}/connectors/s1/tasks/0/status"), None).await;
    assert_eq!(
        (
            task.status,
            task.body["id"].clone(),
            task.body["state"].clone()
        ),
        (200, json!(0), json!("RUNNING"))
    );
    assert!(is_error(
        &call("GET", &format!("{u}/connectors/s1/tasks/7/status"), None).await,
        404
    ));
    assert!(is_error(
        &call("GET", &format!("{u}/connectors/s1/tasks/x/status"), None).await,
        404
    ));

    // Expanded listings.
    let expanded = call(
        "GET",
        &format!("{u}/connectors?expand=status&expand=info"),
        None,
    )
    .await;
    assert_eq!(
        expanded.body["s1"]["status"]["connector"]["state"],
        "RUNNING"
    );
    assert_eq!(expanded.body["s1"]["info"]["type"], "sink");
    let info_only = call("GET", &format!("{u}/connectors?expand=info"), None).await;
    assert!(info_only.body["s1"].get("status").is_none());

    // Active topics once records flowed.
    wait_for("two records", Duration::from_secs(30), async || {
        (json_lines(&out).len() == 2).then_some(())
    })
    .await;
    let topics = call("GET", &format!("{u}/connectors/s1/topics"), None).await;
    assert_eq!(topics.body, json!({"s1": {"topics": [topic]}}));
    assert_eq!(
        call("PUT", &format!("{u}/connectors/s1/topics/reset"), None)
            .await
            .status,
        202
    );
    assert_eq!(
        call("GET", &format!("{u}/connectors/s1/topics"), None)
            .await
            .body,
        json!({"s1": {"topics": []}})
    );

    // Update: PUT 200 on existing, PATCH merges and removes.
    let mut changed = file_sink(&topic, &out);
    changed["batch.max.records"] = json!("10");
    let put = call("PUT", &format!("{u}/connectors/s1/config"), Some(changed)).await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["config"]["batch.max.records"], "10");
    let patched = call(
        "PATCH",
        &format!("{u}/connectors/s1/config"),
        Some(json!({"batch.max.records": null, "batch.linger.ms": "5"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert!(patched.body["config"].get("batch.max.records").is_none());
    assert_eq!(patched.body["config"]["batch.linger.ms"], "5");
    assert!(is_error(
        &call(
            "PATCH",
            &format!("{u}/connectors/nope/config"),
            Some(json!({"a": "b"}))
        )
        .await,
        404
    ));

    // Pause, resume, stop: 202, 202, 204.
    assert_eq!(
        call("PUT", &format!("{u}/connectors/s1/pause"), None)
            .await
            .status,
        202
    );
    wait_status(u, "s1", "PAUSED", |s| {
        s["connector"]["state"] == "PAUSED" && all_tasks(s, "PAUSED")
    })
    .await;
    assert_eq!(
        call("PUT", &format!("{u}/connectors/s1/resume"), None)
            .await
            .status,
        202
    );
    wait_status(u, "s1", "RUNNING again", |s| all_tasks(s, "RUNNING")).await;
    assert_eq!(
        call("PUT", &format!("{u}/connectors/s1/stop"), None)
            .await
            .status,
        204
    );
    let stopped = wait_status(u, "s1", "STOPPED", |s| s["connector"]["state"] == "STOPPED").await;
    assert_eq!(stopped["tasks"], json!([]));
    // A stopped connector has no tasks, as in Kafka Connect.
    let tasks = call("GET", &format!("{u}/connectors/s1/tasks"), None).await;
    assert_eq!((tasks.status, tasks.body), (200, json!([])));
    assert_eq!(
        call("GET", &format!("{u}/connectors/s1"), None).await.body["tasks"],
        json!([])
    );
    let restart = call("POST", &format!("{u}/connectors/s1/tasks/0/restart"), None).await;
    assert!(is_error(&restart, 404), "{}", restart.body);
    assert_eq!(
        call("PUT", &format!("{u}/connectors/s1/resume"), None)
            .await
            .status,
        202
    );
    wait_status(u, "s1", "RUNNING after stop", |s| all_tasks(s, "RUNNING")).await;

    // Restarts: plain 204, with tasks 202, unknown 404.
    let plain = call("POST", &format!("{u}/connectors/s1/restart"), None).await;
    assert_eq!((plain.status, plain.body.clone()), (204, Value::Null));
    let with_tasks = call(
        "POST",
        &format!("{u}/connectors/s1/restart?includeTasks=true"),
        None,
    )
    .await;
    assert_eq!(with_tasks.status, 202);
    assert_eq!(with_tasks.body["tasks"][0]["state"], "RESTARTING");
    assert_eq!(with_tasks.body["connector"]["state"], "RESTARTING");
    wait_status(u, "s1", "RUNNING after restart", |s| {
        all_tasks(s, "RUNNING")
    })
    .await;
    assert_eq!(
        call("POST", &format!("{u}/connectors/s1/tasks/0/restart"), None)
            .await
            .status,
        204
    );
    assert!(is_error(
        &call("POST", &format!("{u}/connectors/s1/tasks/3/restart"), None).await,
        404
    ));

    // Unknown connector, unknown path, wrong method.
    for (m, path) in [
        ("GET", "nope"),
        ("GET", "nope/status"),
        ("GET", "nope/config"),
        ("DELETE", "nope"),
        ("PUT", "nope/pause"),
        ("POST", "nope/restart"),
        ("GET", "nope/offsets"),
        ("GET", "nope/topics"),
    ] {
        assert!(
            is_error(&call(m, &format!("{u}/connectors/{path}"), None).await, 404),
            "{m} {path}"
        );
    }
    assert!(is_error(
        &call("GET", &format!("{u}/no/such/path"), None).await,
        404
    ));
    assert!(is_error(
        &call("DELETE", &format!("{u}/connector-plugins"), None).await,
        405
    ));

    // Delete.
    assert_eq!(
        call("DELETE", &format!("{u}/connectors/s1"), None)
            .await
            .status,
        204
    );
    assert!(is_error(
        &call("GET", &format!("{u}/connectors/s1"), None).await,
        404
    ));
    assert_eq!(
        call("GET", &format!("{u}/connectors"), None).await.body,
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_configs_are_4xx_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let u = &w.url;
    let out = dir.path().join("out.jsonl");

    for body in [
        "",
        "{",
        "[1,2]",
        "{\"name\": 5, \"config\": {}}",
        "{\"config\": {}}",
        "{\"name\":\"a\",\"config\":{\"topics\":[1]}}",
    ] {
        let a = call_raw("POST", &format!("{u}/connectors"), body).await;
        assert!(is_error(&a, 400), "{body:?} -> {} {}", a.status, a.body);
    }
    let a = call_raw("PUT", &format!("{u}/connectors/x/config"), "not json").await;
    assert!(is_error(&a, 400));
    assert!(
        a.body["message"].as_str().unwrap().contains("Invalid JSON"),
        "{}",
        a.body
    );
    // A body over the limit is 413; a path that is not UTF-8 is 400; both in the JSON shape.
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(3 << 20));
    let a = call_raw("POST", &format!("{u}/connectors"), &huge).await;
    assert!(is_error(&a, 413), "{} {}", a.status, a.body);
    let a = call("GET", &format!("{u}/connectors/%FF"), None).await;
    assert!(is_error(&a, 400), "{} {}", a.status, a.body);

    // Invalid config: 400 naming the key.
    let mut config = file_sink("t", &out);
    config["tasks.max"] = json!("zero");
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "bad", "config": config})),
    )
    .await;
    assert!(is_error(&a, 400));
    assert!(
        a.body["message"].as_str().unwrap().contains("tasks.max"),
        "{}",
        a.body
    );
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "bad", "config": {"connector.class": "file-sink", "topics": "t"}})),
    )
    .await;
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("Missing required configuration \"file\""),
        "{}",
        a.body
    );
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "bad", "config": {"connector.class": "nope"}})),
    )
    .await;
    assert!(
        is_error(&a, 400) && a.body["message"].as_str().unwrap().contains("nope"),
        "{}",
        a.body
    );
    let a = call(
        "POST",
        &format!("{u}/connectors"),
        Some(json!({"name": "bad", "config": {"connector.class": "file-sink", "file": "/tmp/x"}})),
    )
    .await;
    assert!(
        a.body["message"].as_str().unwrap().contains("topics"),
        "{}",
        a.body
    );
    assert_eq!(
        call("GET", &format!("{u}/connectors"), None).await.body,
        json!([]),
        "nothing was created"
    );

    // Offsets body errors.
    let a = call(
        "PATCH",
        &format!("{u}/connectors/nope/offsets"),
        Some(json!({"offsets": 3})),
    )
    .await;
    assert!(is_error(&a, 400), "{}", a.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let w = WorkerProcess::start(dir.path(), &["worker"], &[]).await;
    let u = &w.url;
    let plugins = call("GET", &format!("{u}/connector-plugins"), None).await;
    let classes: Vec<_> = plugins
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["class"].as_str().unwrap().to_owned())
        .collect();
    assert!(classes.contains(&"org.apache.kafka.connect.file.FileStreamSinkConnector".to_owned()));
    assert!(classes.contains(&"io.sluice.connect.datagen.DatagenConnector".to_owned()));
    assert!(!classes.iter().any(|c| c.contains("transforms")));
    let all = call(
        "GET",
        &format!("{u}/connector-plugins?connectorsOnly=false"),
        None,
    )
    .await;
    assert!(all
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["type"] == "transformation"));
    let def = call(
        "GET",
        &format!("{u}/connector-plugins/file-sink/config"),
        None,
    )
    .await;
    assert_eq!(def.body[0]["name"], "file");
    assert_eq!(def.body[0]["required"], true);
    let def = call(
        "GET",
        &format!("{u}/connector-plugins/TopicNameMatches/config"),
        None,
    )
    .await;
    assert_eq!(def.status, 200, "{}", def.body);
    assert_eq!(def.body[0]["name"], "pattern");

    // A config missing a required key: 200 with the error on that key.
    let a = call(
        "PUT",
        &format!("{u}/connector-plugins/file-sink/config/validate"),
        Some(json!({"name": "v", "topics": "t"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["name"],
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    );
    assert_eq!(a.body["error_count"], 1);
    let file = a.body["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "file")
        .unwrap();
    assert_eq!(
        file["value"]["errors"][0],
        "Missing required configuration \"file\" which has no default value."
    );
    assert_eq!(file["definition"]["type"], "STRING");
    assert!(a.body["groups"]
        .as_array()
        .unwrap()
        .contains(&json!("Common")));

    let ok = call(
        "PUT",
        &format!("{u}/connector-plugins/FileStreamSink/config/validate"),
        Some(json!({"name": "v", "topics": "t", "file": "/tmp/v"})),
    )
    .await;
    assert_eq!(ok.body["error_count"], 0, "{}", ok.body);
    let mismatch = call(
        "PUT",
        &format!("{u}/connector-plugins/file-sink/config/validate"),
        Some(json!({"connector.class": "datagen", "name": "v"})),
    )
    .await;
    assert!(is_error(&mismatch, 400));
    assert!(is_error(
        &call(
            "PUT",
            &format!("{u}/connector-plugins/nope/config/validate"),
            Some(json!({}))
        )
        .await,
        404
    ));
}
