//! `agora info`: open the store and print what recovery found and the
//! store's counters, as JSON.

use std::process::ExitCode;

use agora_events::{LogStats, LogStore, RecoveryReport};
use serde_json::json;

use super::print;
use crate::config::Settings;
use crate::store;

/// Prints the report.
pub(crate) fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = store::open(settings)?;
    let report = describe(settings, &store);
    drop(store);
    print(&serde_json::to_string_pretty(&report)?)?;
    Ok(ExitCode::SUCCESS)
}

/// The JSON document.
fn describe(settings: &Settings, store: &LogStore) -> serde_json::Value {
    json!({
        "data_dir": settings.data_dir,
        "recovery": recovery_json(store.recovery_report()),
        "stats": stats_json(&store.stats()),
    })
}

/// The recovery report, with the duration in seconds.
pub(crate) fn recovery_json(report: &RecoveryReport) -> serde_json::Value {
    json!({
        "segments": report.segments,
        "events": report.events,
        "streams": report.streams,
        "truncated_bytes": report.truncated_bytes,
        "dropped_records": report.dropped_records,
        "truncated_at": report.truncated_at.as_ref().map(|(file, offset)| json!({ "file": file, "offset": offset })),
        "open_seconds": report.duration.as_secs_f64(),
    })
}

fn stats_json(stats: &LogStats) -> serde_json::Value {
    json!({
        "events": stats.head,
        "head_position": stats.head.checked_sub(1),
        "streams": stats.streams,
        "events_appended": stats.events_appended,
        "appends": stats.appends,
        "commits": stats.commits,
        "bytes_written": stats.bytes_written,
    })
}
