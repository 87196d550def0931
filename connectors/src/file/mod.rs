//! Files of lines: the sink appends one JSON line per record, the source reads and tails a
//! file of text or JSON lines. Both are meant for trying Sluice out and for tests, like
//! Kafka Connect's FileStream connectors.

pub mod sink;
pub mod source;

use std::fs::Metadata;

use sluice_core::Error;

/// The config error for a path that is not a regular file, saying what it is instead.
fn not_a_file(path: &str, meta: &Metadata) -> Error {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    let what = if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    Error::config(format!("file {path} is {what}, not a file"))
}

/// Makes a FIFO in `dir` for tests, with the system's `mkfifo`.
#[cfg(test)]
fn make_fifo(dir: &std::path::Path) -> std::path::PathBuf {
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    fifo
}
