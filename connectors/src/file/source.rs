//! The file source: reads a file of lines from the start and then follows it as it grows.
//!
//! Its source partition is `{"filename": <path>}` and its offset `{"position": <byte>}`, the
//! byte just after the last line handed to Kafka, as Kafka Connect's FileStreamSource. A line
//! is emitted only once its newline has been written, so a half-written line is never read.
//!
//! Each time a poll reaches the end of the file, the source looks at the path again. If the
//! file there is shorter than the position read so far (truncated), or is another file than
//! the one open (replaced, e.g. by a rename; it compares device and inode), it reopens the
//! path and reads from byte 0, logging a warning. The same happens when a task starts with a
//! stored position beyond the end of the file. While the path does not exist the open file
//! keeps being read, and the file that appears there later is read from the start.
//!
//! A truncation is seen only through the length, so it is missed when, between two polls,
//! the file is truncated and then given at least as many bytes as had been read: that looks
//! exactly like an append, and the source goes on at its old position, skipping the new
//! file's first bytes. Kafka Connect's FileStreamSource has the same limit. Replacing a file
//! by renaming a new one over it has no such limit.
//!
//! The path must name a regular file: a directory, a FIFO or a device is a config error,
//! which fails the task (a FIFO would block the open, and a device such as `/dev/zero`
//! never ends a line). A line longer than [`MAX_LINE`] fails the task too, naming where it
//! starts, rather than growing without bound.
//!
//! With `format=json` each line is parsed as JSON; a line that is not JSON fails the task
//! under `errors.tolerance=none` (after the lines before it are handed on) and is skipped
//! with a warning under `all`.

use std::fs::{File, Metadata};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use sluice_core::config::{Check, ConfigDef, ConfigKey, ConfigType, Settings};
use sluice_core::connector::{ConnectorKind, ConnectorPlugin, SourceContext, SourceTask};
use sluice_core::{json as sjson, Error, Result, SourceRecord, Value};

use super::not_a_file;
use crate::offsets;

/// How long a poll waits at the end of the file before returning empty.
const IDLE_WAIT: Duration = Duration::from_millis(100);

/// The longest line read, newline included: 16 MiB, far above any record a broker takes
/// by default (1 MiB), so a longer one is a file that is not made of lines.
const MAX_LINE: u64 = 16 << 20;

/// A complete line without its line ending, the byte position where it starts, and the
/// one just after it.
type Line = (Vec<u8>, u64, u64);

/// The file source plugin.
pub struct FileSourcePlugin;

impl ConnectorPlugin for FileSourcePlugin {
    fn class(&self) -> &'static str {
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["file-source", "FileStreamSource"]
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .key(
                ConfigKey::required("file", ConfigType::String, "Path of the file to read.")
                    .check(Check::NonEmpty),
            )
            .key(
                ConfigKey::required("topic", ConfigType::String, "Topic to write to.")
                    .check(Check::NonEmpty),
            )
            .key(
                ConfigKey::optional(
                    "batch.size",
                    ConfigType::Int,
                    "2000",
                    "Most lines per poll.",
                )
                .check(Check::Range(1, 1_000_000)),
            )
            .key(
                ConfigKey::optional(
                    "format",
                    ConfigType::String,
                    "text",
                    "text: each line is a string; json: each line is parsed as JSON.",
                )
                .check(Check::OneOf(&["text", "json"])),
            )
    }

    /// Accepts a partition `{"filename": <string>}` and an offset `{"position": <n ≥ 0>}`.
    fn check_offset(
        &self,
        partition: &serde_json::Value,
        offset: &serde_json::Value,
    ) -> std::result::Result<(), String> {
        let object = offsets::exact_object("source partition", partition, &["filename"])?;
        if !object
            .get("filename")
            .is_some_and(serde_json::Value::is_string)
        {
            return Err("\"filename\" of the source partition must be a string".to_owned());
        }
        if offset.is_null() {
            return Ok(());
        }
        let object = offsets::exact_object("source offset", offset, &["position"])?;
        offsets::non_negative_integer("source offset", object, "position").map(drop)
    }

    fn task_configs(&self, settings: &Settings, _max_tasks: usize) -> Vec<Settings> {
        // One file is one stream of lines: it cannot be split between tasks.
        vec![settings.clone()]
    }

    fn source_task(&self, settings: &Settings) -> Result<Box<dyn SourceTask>> {
        let def = self.config_def();
        let config = def.view(settings, "");
        let tolerance = settings
            .get("errors.tolerance")
            .map(String::as_str)
            .unwrap_or("none");
        Ok(Box::new(FileSource {
            path: config.string("file")?,
            topic: config.string("topic")?,
            batch_size: config.long("batch.size")? as usize,
            json: config.string("format")? == "json",
            skip_bad_lines: tolerance == "all",
            position: 0,
            reader: None,
        }))
    }
}

/// A running file source task.
pub struct FileSource {
    path: String,
    topic: String,
    batch_size: usize,
    json: bool,
    skip_bad_lines: bool,
    /// Byte position after the last complete line read.
    position: u64,
    reader: Option<BufReader<File>>,
}

impl FileSource {
    fn partition(&self) -> serde_json::Value {
        json!({ "filename": self.path })
    }

    /// An I/O failure on the file, which may pass (a permission being fixed, a full disk).
    fn io_error(&self, e: std::io::Error) -> Error {
        Error::transient(format!("file {}: {e}", self.path))
    }

    /// Opens the file at the current position, or returns `None` while it does not exist.
    fn reader(&mut self) -> Result<Option<&mut BufReader<File>>> {
        if self.reader.is_none() {
            // Looked at before the open, because opening a FIFO waits for a writer.
            match std::fs::metadata(&self.path) {
                Ok(meta) if !meta.is_file() && !meta.is_dir() => {
                    return Err(not_a_file(&self.path, &meta));
                }
                _ => {}
            }
            let mut file = match File::open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(self.io_error(e)),
            };
            let meta = file.metadata().map_err(|e| self.io_error(e))?;
            if !meta.is_file() {
                // Retrying cannot help, so this is the user's to fix.
                return Err(not_a_file(&self.path, &meta));
            }
            if meta.len() < self.position {
                self.restart("file is shorter than the stored position", meta.len());
            }
            file.seek(SeekFrom::Start(self.position))
                .map_err(|e| self.io_error(e))?;
            self.reader = Some(BufReader::with_capacity(256 * 1024, file));
        }
        Ok(self.reader.as_mut())
    }

    /// Forgets the open file so that the next read opens the path again at byte 0.
    fn restart(&mut self, reason: &str, len: u64) {
        let (file, position) = (&self.path, self.position);
        tracing::warn!(%file, position, len, reason, "reading the file from the start");
        self.position = 0;
        self.reader = None;
    }

    /// Reads up to `batch_size` complete lines; at the end of the file, if the path was
    /// truncated or replaced meanwhile, starts over on it from byte 0.
    fn read_lines(&mut self) -> Result<Vec<Line>> {
        let (lines, at_end) = self.read_batch()?;
        if at_end && self.restart_if_replaced()? && lines.is_empty() {
            return Ok(self.read_batch()?.0);
        }
        Ok(lines)
    }

    /// Reads up to `batch_size` complete lines from the open file, and says whether it
    /// stopped at the end of the file (or at a line still being written).
    fn read_batch(&mut self) -> Result<(Vec<Line>, bool)> {
        let batch_size = self.batch_size;
        let mut position = self.position;
        let Some(reader) = self.reader()? else {
            return Ok((Vec::new(), false));
        };
        let mut lines = Vec::new();
        let (mut at_end, mut reopen) = (false, false);
        while lines.len() < batch_size {
            let mut line = match read_line(reader, position) {
                Ok(Some(line)) => line,
                Ok(None) => {
                    at_end = true;
                    break;
                }
                Err(e) if lines.is_empty() => return Err(e),
                // Hand on the lines before; the next read starts at the failing line.
                Err(_) => {
                    reopen = true;
                    break;
                }
            };
            let start = position;
            position = position.saturating_add(line.len() as u64);
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push((line, start, position));
        }
        self.position = position;
        if reopen {
            self.reader = None;
        }
        Ok((lines, at_end))
    }

    /// At the end of the file: reopens the path from byte 0 if the file there is shorter
    /// than what was read (truncated) or is not the open file (replaced). Returns whether it
    /// did. A missing path changes nothing: the open file may still grow, or a new one
    /// appear later.
    fn restart_if_replaced(&mut self) -> Result<bool> {
        let Some(reader) = &self.reader else {
            return Ok(false);
        };
        let open = reader.get_ref().metadata().map_err(|e| self.io_error(e))?;
        let now = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.io_error(e)),
        };
        let reason = if !same_file(&open, &now) {
            "file was replaced"
        } else if now.len() < self.position {
            "file was truncated"
        } else {
            return Ok(false);
        };
        self.restart(reason, now.len());
        Ok(true)
    }

    fn to_record(&self, line: &[u8], position: u64) -> Result<Option<SourceRecord>> {
        let value = if self.json {
            match sjson::parse(line) {
                Ok(v) => v,
                Err(e) if self.skip_bad_lines => {
                    let file = &self.path;
                    tracing::warn!(%file, position, error = %e, "skipping a line that is not JSON");
                    return Ok(None);
                }
                Err(e) => {
                    return Err(e.context(format!("{} line ending at byte {position}", self.path)))
                }
            }
        } else {
            Value::String(String::from_utf8_lossy(line).into())
        };
        Ok(Some(SourceRecord {
            source_partition: self.partition(),
            source_offset: json!({ "position": position }),
            topic: self.topic.clone(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            timestamp: None,
            headers: Vec::new(),
        }))
    }
}

/// Reads one complete line, newline included, or returns `None` at the end of the file or
/// of what is written so far; then the reader is put back at `position`, the start of the
/// incomplete line, to read it again next time. A line longer than [`MAX_LINE`] is an error.
fn read_line(reader: &mut BufReader<File>, position: u64) -> Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::transient(format!("file read: {e}")))?;
    if n > 0 && line.last() == Some(&b'\n') {
        return Ok(Some(line));
    }
    if n as u64 >= MAX_LINE {
        return Err(Error::data(format!(
            "the line starting at byte {position} is longer than {} MiB",
            MAX_LINE >> 20
        )));
    }
    reader
        .seek(SeekFrom::Start(position))
        .map_err(|e| Error::transient(format!("file seek: {e}")))?;
    Ok(None)
}

/// Whether two stats are of the same file: same device, same inode.
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[async_trait]
impl SourceTask for FileSource {
    async fn start(&mut self, context: &SourceContext) -> Result<()> {
        let stored = context
            .offset(&self.partition())
            .and_then(|o| o.get("position"))
            .and_then(|p| p.as_u64());
        self.position = stored.unwrap_or(0);
        tracing::info!(file = %self.path, position = self.position, "file source starting");
        Ok(())
    }

    async fn poll(&mut self) -> Result<Vec<SourceRecord>> {
        let lines = self.read_lines()?;
        if lines.is_empty() {
            tokio::time::sleep(IDLE_WAIT).await;
            return Ok(Vec::new());
        }
        let mut records = Vec::with_capacity(lines.len());
        for (line, start, end) in &lines {
            match self.to_record(line, *end) {
                Ok(record) => records.extend(record),
                // Hand on the lines before the bad one; the next poll reads it again and
                // fails then.
                Err(_) if !records.is_empty() => {
                    self.position = *start;
                    self.reader = None;
                    return Ok(records);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn task(path: &str, format: &str) -> Box<dyn SourceTask> {
        let mut s = Settings::new();
        s.insert("file".into(), path.into());
        s.insert("topic".into(), "t".into());
        s.insert("format".into(), format.into());
        FileSourcePlugin.source_task(&s).unwrap()
    }

    #[tokio::test]
    async fn reads_complete_lines_and_resumes_from_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let mut f = File::create(&path).unwrap();
        f.write_all(b"one\ntwo\nthr").unwrap();
        let mut t = task(path.to_str().unwrap(), "text");
        t.start(&SourceContext::default()).await.unwrap();
        let got = t.poll().await.unwrap();
        let values: Vec<_> = got.iter().map(|r| r.value.clone()).collect();
        assert_eq!(values, vec![Value::from("one"), Value::from("two")]);
        assert_eq!(got[1].source_offset, json!({"position": 8}));
        f.write_all(b"ee\n").unwrap();
        let got = t.poll().await.unwrap();
        assert_eq!(got[0].value, Value::from("three"));

        let mut context = SourceContext::default();
        let partition = json!({"filename": path.to_str().unwrap()});
        context
            .offsets
            .insert(partition.to_string(), json!({"position": 4}));
        let mut again = task(path.to_str().unwrap(), "text");
        again.start(&context).await.unwrap();
        let got = again.poll().await.unwrap();
        assert_eq!(got[0].value, Value::from("two"));
    }

    #[tokio::test]
    async fn a_bad_json_line_fails_naming_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, b"{\"a\":1}\nnot json\n").unwrap();
        let mut t = task(path.to_str().unwrap(), "json");
        t.start(&SourceContext::default()).await.unwrap();
        assert_eq!(poll_lines(&mut t).await.len(), 1);
        let err = t.poll().await.unwrap_err();
        assert!(
            err.message.contains("line ending at byte 17"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn lines_before_a_bad_one_are_handed_on_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.json");
        std::fs::write(&path, b"{\"a\":1}\n{\"a\":2}\nnot json\n").unwrap();
        let mut t = task(path.to_str().unwrap(), "json");
        t.start(&SourceContext::default()).await.unwrap();
        let got = poll_lines(&mut t).await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].1, json!({"position": 16}));
        let err = t.poll().await.unwrap_err();
        assert!(
            err.message.contains("line ending at byte 25"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn a_fifo_or_a_device_is_a_config_error_and_never_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = super::super::make_fifo(dir.path());
        for (path, what) in [
            (fifo.to_str().unwrap(), "a FIFO"),
            ("/dev/zero", "a device"),
        ] {
            let mut t = task(path, "text");
            t.start(&SourceContext::default()).await.unwrap();
            let err = t.poll().await.unwrap_err();
            assert_eq!(err.fault, sluice_core::Fault::Config);
            assert_eq!(err.message, format!("file {path} is {what}, not a file"));
        }
    }

    #[tokio::test]
    async fn a_line_longer_than_the_limit_fails_naming_where_it_starts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let mut text = b"short\n".to_vec();
        text.resize(text.len() + MAX_LINE as usize + 10, b'x');
        std::fs::write(&path, &text).unwrap();
        let mut t = task(path.to_str().unwrap(), "text");
        t.start(&SourceContext::default()).await.unwrap();
        assert_eq!(poll_lines(&mut t).await.len(), 1);
        let err = t.poll().await.unwrap_err();
        assert_eq!(err.fault, sluice_core::Fault::Data);
        assert_eq!(
            err.message,
            "the line starting at byte 6 is longer than 16 MiB"
        );
    }

    /// Polls once and returns the lines as strings with their offsets' positions.
    async fn poll_lines(t: &mut Box<dyn SourceTask>) -> Vec<(Value, serde_json::Value)> {
        let got = t.poll().await.unwrap();
        got.into_iter()
            .map(|r| (r.value, r.source_offset))
            .collect()
    }

    #[tokio::test]
    async fn a_directory_is_a_config_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let mut t = task(&path, "text");
        t.start(&SourceContext::default()).await.unwrap();
        let err = t.poll().await.unwrap_err();
        assert_eq!(err.fault, sluice_core::Fault::Config);
        assert_eq!(
            err.message,
            format!("file {path} is a directory, not a file")
        );
    }

    #[tokio::test]
    async fn truncated_and_rewritten_between_polls_is_read_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"line-one\nline-two\n").unwrap();
        let mut t = task(path.to_str().unwrap(), "text");
        t.start(&SourceContext::default()).await.unwrap();
        assert_eq!(poll_lines(&mut t).await.len(), 2);

        // `: > f; printf 'new1\nnew2\n' >> f`: the same inode, shorter than position 18.
        File::create(&path).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"new1\nnew2\n").unwrap();
        let expected = vec![
            (Value::from("new1"), json!({"position": 5})),
            (Value::from("new2"), json!({"position": 10})),
        ];
        assert_eq!(poll_lines(&mut t).await, expected);
    }

    #[tokio::test]
    async fn a_file_renamed_over_the_path_is_read_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"a\nb\n").unwrap();
        let mut t = task(path.to_str().unwrap(), "text");
        t.start(&SourceContext::default()).await.unwrap();
        assert_eq!(poll_lines(&mut t).await.len(), 2);

        // Longer than the old position, so only the inode tells it from an append.
        let next = dir.path().join("in.txt.new");
        std::fs::write(&next, b"first\nsecond\n").unwrap();
        std::fs::rename(&next, &path).unwrap();
        let expected = vec![
            (Value::from("first"), json!({"position": 6})),
            (Value::from("second"), json!({"position": 13})),
        ];
        assert_eq!(poll_lines(&mut t).await, expected);
    }

    #[tokio::test]
    async fn a_removed_file_keeps_its_position_until_a_new_one_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        std::fs::write(&path, b"a\n").unwrap();
        let mut t = task(path.to_str().unwrap(), "text");
        t.start(&SourceContext::default()).await.unwrap();
        assert_eq!(poll_lines(&mut t).await.len(), 1);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(poll_lines(&mut t).await, vec![]);
        std::fs::write(&path, b"b\n").unwrap();
        let expected = vec![(Value::from("b"), json!({"position": 2}))];
        assert_eq!(poll_lines(&mut t).await, expected);
    }

    #[test]
    fn offset_check_wants_a_filename_and_a_position() {
        let check = |partition: &_, offset: &_| FileSourcePlugin.check_offset(partition, offset);
        let p = json!({"filename": "/tmp/in.txt"});
        assert_eq!(check(&p, &json!({"position": 0})), Ok(()));
        assert_eq!(check(&p, &json!(null)), Ok(()));
        assert_eq!(
            check(&p, &json!({"position": -4})).unwrap_err(),
            "\"position\" of the source offset must be a non-negative integer, not -4"
        );
        assert_eq!(
            check(&p, &json!({"position": "12"})).unwrap_err(),
            "\"position\" of the source offset must be a non-negative integer, not \"12\""
        );
        assert_eq!(
            check(&json!({"filename": 7}), &json!(null)).unwrap_err(),
            "\"filename\" of the source partition must be a string"
        );
        assert_eq!(
            check(&json!({"filename": "f", "x": 1}), &json!(null)).unwrap_err(),
            "the source partition has the unexpected key \"x\"; it takes only \"filename\""
        );
        assert_eq!(
            check(&json!(["f"]), &json!(null)).unwrap_err(),
            "the source partition must be a JSON object, not [\"f\"]"
        );
    }
}
