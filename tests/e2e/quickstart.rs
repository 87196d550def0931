//! The quickstart from the README, run for 30 s: the file sink holds exactly the records
//! the source reported sending.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::*;

/// Runs `sluice quickstart` on free ports with `args`; returns its REST port and stdout.
fn quickstart(args: &[&str]) -> (String, String) {
    let rest_port = free_port().to_string();
    let broker_port = free_port().to_string();
    let output = Command::new(sluice_bin())
        .args([
            "quickstart",
            "--rest-port",
            &rest_port,
            "--broker-port",
            &broker_port,
        ])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run quickstart");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "quickstart failed:\n{stdout}\n{stderr}"
    );
    (rest_port, stdout)
}

#[test]
fn quickstart_runs_30_seconds_and_the_sink_holds_what_was_sent() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pageviews.jsonl");
    let out_arg = out.display().to_string();
    let (rest_port, stdout) = quickstart(&["--duration", "30", "--output", &out_arg]);
    assert!(
        stdout.contains(&format!(
            "curl -s http://127.0.0.1:{rest_port}/connectors?expand=status"
        )),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("produced ")),
        "a progress line: {stdout}"
    );

    let summary = stdout
        .lines()
        .find(|l| l.starts_with("quickstart: the source sent "))
        .expect("summary line");
    let sent: usize = summary.split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!(sent > 10_000, "30 s at 1000/s sends far more than {sent}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), sent, "{summary}");
    let ids: BTreeSet<i64> = lines
        .iter()
        .map(|l| l["event_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), sent, "every event once");
    assert_eq!(
        ids.iter().next_back().copied(),
        Some(sent as i64 - 1),
        "events 0..sent"
    );
    for key in ["user_id", "url", "status", "latency_ms", "ts"] {
        assert!(
            lines[0].get(key).is_some(),
            "page view has {key}: {}",
            lines[0]
        );
    }
}

#[test]
fn quickstart_streams_a_file_of_json_lines_with_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    let text: String = (0..500)
        .map(|i| format!("{{\"id\":{i},\"kind\":\"click\"}}\n"))
        .collect();
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("out.jsonl");
    let (input_arg, out_arg) = (input.display().to_string(), out.display().to_string());
    let (_, stdout) = quickstart(&[
        "--duration",
        "8",
        "--input",
        &input_arg,
        "--output",
        &out_arg,
    ]);
    assert!(
        stdout.contains(&format!("streaming {}", input.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("the source sent 500 records; the file sink wrote 500 records"),
        "{stdout}"
    );
    let ids: BTreeSet<i64> = json_lines(&out)
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (0..500).collect::<BTreeSet<i64>>());
}
