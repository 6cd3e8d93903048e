//! Opening the store: the time `LogStore::open` takes to scan every segment
//! (CRC, links, sequence) and rebuild the stream and id index, then the time
//! closing it takes.

use std::time::Instant;

use serde::Serialize;

use super::{Report, grouped, log_bytes, megabytes, per_second};
use crate::config::Settings;
use crate::store;

/// What opening found and how long it took.
#[derive(Debug, Serialize)]
pub(super) struct OpenReport {
    events: u64,
    streams: u64,
    segments: usize,
    log_bytes: u64,
    /// Wall time of `LogStore::open`.
    open_seconds: f64,
    /// The store's own measure of its recovery.
    recovery_seconds: f64,
    events_per_second: f64,
    close_seconds: f64,
    /// Peak resident memory of the process, in MiB (Linux only).
    peak_rss_mib: Option<f64>,
}

/// Opens the store, times it, closes it.
pub(super) fn run(settings: &Settings) -> anyhow::Result<OpenReport> {
    let started = Instant::now();
    let store = store::open(settings)?;
    let open_seconds = started.elapsed().as_secs_f64();
    let recovery = store.recovery_report().clone();
    let closing = Instant::now();
    drop(store);
    let close_seconds = closing.elapsed().as_secs_f64();
    Ok(OpenReport {
        events: recovery.events,
        streams: recovery.streams,
        segments: recovery.segments,
        log_bytes: log_bytes(&settings.data_dir)?,
        open_seconds,
        recovery_seconds: recovery.duration.as_secs_f64(),
        events_per_second: per_second(recovery.events as f64, open_seconds),
        close_seconds,
        peak_rss_mib: peak_rss_mib(),
    })
}

/// `VmHWM` from `/proc/self/status`.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

impl Report for OpenReport {
    fn rows(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "bench open",
                "LogStore::open: recovery scan and index rebuild".into(),
            ),
            ("events", grouped(self.events as f64)),
            ("streams", grouped(self.streams as f64)),
            (
                "segments",
                format!("{} ({})", self.segments, megabytes(self.log_bytes as f64)),
            ),
            ("open seconds", format!("{:.3}", self.open_seconds)),
            ("events/s", grouped(self.events_per_second)),
            ("close seconds", format!("{:.3}", self.close_seconds)),
            (
                "peak RSS",
                self.peak_rss_mib
                    .map_or_else(|| "n/a".into(), |m| format!("{m:.0} MiB")),
            ),
        ]
    }
}
