//! `agora bench`: measure the event store on this machine.
//!
//! - [`write`]: an append flood in the spirit of EventStoreDB's `WRFL` test;
//! - [`read`]: a read flood over `$all` (paged reads or a catch-up subscription);
//! - [`open`]: how long opening the store (recovery and index rebuild) takes;
//! - [`http`]: a mixed read/command load over HTTP against a running server;
//! - [`recommender`]: the factorizer at scale on synthetic power-law data
//!   (seconds per ALS iteration, peak memory, top-k latency).
//! - [`assignment`]: the exact global assignment of bids on a synthetic
//!   tender (solve time, optimum, greedy gap);
//! - [`ranking`]: ranking one requirement's bids with real embeddings,
//!   cold and cached.
//!
//! Each prints a small table, or JSON with `--json`. The figures and the
//! exact commands for this repository's machine are in `benches/RESULTS.md`.

pub(crate) mod assignment;
pub(crate) mod http;
mod open;
pub(crate) mod ranking;
mod read;
pub(crate) mod recommender;
mod write;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::cli::BenchCommand;
use crate::commands::print;
use crate::config::Settings;

/// Runs one benchmark and prints its report.
pub(crate) fn run(settings: &Settings, command: &BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Write(args) => report(&write::run(settings, args)?, args.json),
        BenchCommand::Read(args) => report(&read::run(settings, args)?, args.json),
        BenchCommand::Open(args) => report(&open::run(settings)?, args.json),
        BenchCommand::Http(args) => report(&http::run(args)?, args.json),
        BenchCommand::Recommender(args) => report(&recommender::run(args)?, args.json),
        BenchCommand::Assignment(args) => report(&assignment::run(args)?, args.json),
        BenchCommand::Ranking(args) => report(&ranking::run(args)?, args.json),
    }
}

/// A benchmark's result, printable for people or as JSON.
trait Report: Serialize {
    /// Rows of `(label, value)` for people.
    fn rows(&self) -> Vec<(&'static str, String)>;
}

fn report(result: &impl Report, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        print(&serde_json::to_string_pretty(result)?)?;
    } else {
        let rows = result.rows();
        let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
        let text: Vec<String> = rows
            .iter()
            .map(|(label, value)| format!("{label:<width$}  {value}"))
            .collect();
        print(&text.join("\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `count / seconds`, 0 when no time passed.
fn per_second(count: f64, seconds: f64) -> f64 {
    if seconds > 0.0 { count / seconds } else { 0.0 }
}

/// A count with thousands separators, rounded: `1234567.8` → `1,234,568`.
pub(crate) fn grouped(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes as megabytes (10^6), two decimals.
fn megabytes(bytes: f64) -> String {
    format!("{:.2} MB", bytes / 1e6)
}

/// Total size of the log's segment files under `data_dir/segments`.
fn log_bytes(data_dir: &Path) -> anyhow::Result<u64> {
    let dir = data_dir.join("segments");
    let mut total = 0;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        if entry.path().extension().is_some_and(|e| e == "seg") {
            total += entry
                .metadata()
                .with_context(|| format!("reading size of {}", entry.path().display()))?
                .len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0.0), "0");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(1000.0), "1,000");
        assert_eq!(grouped(1_234_567.8), "1,234,568");
    }
}
