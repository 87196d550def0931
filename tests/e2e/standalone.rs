//! `sluice standalone` with the example files of `config/`: a datagen source and a file
//! source write into Kafka, file sinks write the records out.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_runs_the_example_connectors() {
    let dir = tempfile::tempdir().unwrap();
    let views = unique("views");
    let lines_topic = unique("lines");
    create_topic(&views, 2).await;
    create_topic(&lines_topic, 1).await;
    let errors_out = dir.path().join("errors.jsonl");
    let lines_in = dir.path().join("in.txt");
    let lines_out = dir.path().join("lines.jsonl");
    std::fs::write(&lines_in, "first line\nsecond line\n").unwrap();

    let source = example_connector(
        "datagen-source.json",
        &[("topic", &views), ("rate", "0"), ("max.records", "2000")],
    );
    let sink = example_connector(
        "file-sink.json",
        &[("topics", &views), ("file", errors_out.to_str().unwrap())],
    );
    let file_source = example_properties(
        "file-source.properties",
        &[
            ("file".into(), lines_in.display().to_string()),
            ("topic".into(), lines_topic.clone()),
        ],
    );
    let lines_sink = serde_json::json!({"name": "lines-sink", "config": {
        "connector.class": "FileStreamSink",
        "topics": lines_topic,
        "file": lines_out.display().to_string(),
        "format": "text",
    }});
    let files = [
        ("source.json", source.to_string()),
        ("sink.json", sink.to_string()),
        ("file-source.properties", file_source),
        ("lines-sink.json", lines_sink.to_string()),
    ];
    let mut args = vec!["standalone".to_owned()];
    for (name, text) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        args.push(path.display().to_string());
    }
    // WorkerProcess puts the worker file right after the mode, before the connector files.
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut worker = WorkerProcess::start(dir.path(), &args, &[]).await;

    // The file source: each line once, as a string (`format=text` writes it as it is).
    wait_for(
        "two lines through Kafka",
        Duration::from_secs(30),
        async || {
            (std::fs::read_to_string(&lines_out).unwrap_or_default() == "first line\nsecond line\n")
                .then_some(())
        },
    )
    .await;

    // The datagen stream, filtered to the non-200 responses.
    let all_views = read_topic(&views, 2000, Duration::from_secs(30));
    assert_eq!(all_views.len(), 2000);
    let errors = all_views
        .iter()
        .filter(|(_, v, _)| {
            serde_json::from_slice::<Value>(v.as_deref().unwrap()).unwrap()["status"] != 200
        })
        .count();
    assert!(
        errors > 50 && errors < 400,
        "about 8% of 2000 are errors: {errors}"
    );
    let written = wait_for(
        "the error page views",
        Duration::from_secs(30),
        async || {
            let lines = json_lines(&errors_out);
            (lines.len() >= errors).then_some(lines)
        },
    )
    .await;
    assert_eq!(written.len(), errors);
    assert!(written.iter().all(|l| l["status"] != 200));

    let status = worker.signal(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{}", worker.log_text());
    let offsets: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("offsets.json")).unwrap()).unwrap();
    assert_eq!(offsets["pageviews-source"][0]["offset"]["sequence"], 2000);
    assert_eq!(offsets["lines-source"][0]["offset"]["position"], 23);
}

/// `sluice create-topic` makes topics with the partitions asked for, and leaves an
/// existing one as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topic_makes_topics_and_leaves_existing_ones() {
    let topic = unique("made");
    let run = || {
        std::process::Command::new(sluice_bin())
            .args(["create-topic", &topic, "--partitions", "3"])
            .args(["--bootstrap-servers", &bootstrap()])
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{first:?}");
    let said = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(said, format!("created topic {topic} with 3 partition(s)\n"));
    let second = run();
    assert!(second.status.success(), "{second:?}");
    let said = String::from_utf8_lossy(&second.stdout).into_owned();
    assert_eq!(said, format!("topic {topic} exists; left as it is\n"));
    let offsets = produce(&topic, &[(2, None, Some(&b"{}"[..]))]).await;
    assert_eq!(offsets.keys().copied().collect::<Vec<_>>(), vec![2]);
}
