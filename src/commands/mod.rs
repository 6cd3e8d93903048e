//! One module per subcommand (bar `bench`, which has its own folder). Each
//! `run` takes the merged settings and its own flags, writes its report to
//! stdout and returns the process exit status.

pub(crate) mod admin;
pub(crate) mod config;
pub(crate) mod eval;
pub(crate) mod import;
pub(crate) mod info;
pub(crate) mod replay;
pub(crate) mod seed;
pub(crate) mod serve;
pub(crate) mod verify;

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::config::Settings;

/// A multi-threaded tokio runtime for commands that drive the store
/// asynchronously.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The settings for a bulk load (`seed`, `import`): the recommender does
/// not train while the rows go in; the server retrains when it starts.
pub(crate) fn bulk_load_settings(settings: &Settings) -> Settings {
    let mut settings = settings.clone();
    settings.recommender.train_on_start = false;
    settings.recommender.retrain_after_interactions = 0;
    settings.recommender.retrain_interval_secs = 0;
    settings
}

/// Prints a bulk load's report (pretty JSON with `json`, else `summary`)
/// and the quoted refusals on stderr; failure when `refused` is not 0.
pub(crate) fn finish_bulk_load<R: Serialize>(
    json: bool,
    report: &R,
    summary: impl FnOnce(&R) -> String,
    refused: u64,
    refusals: &[String],
) -> anyhow::Result<ExitCode> {
    if json {
        print(&serde_json::to_string_pretty(report).context("encoding the report")?)?;
    } else {
        print(&summary(report))?;
    }
    for refusal in refusals {
        eprintln!("refused: {refusal}");
    }
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes `text` and a newline to stdout, failing (rather than panicking,
/// as `println!` does) when stdout is closed.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .context("writing to stdout")
}
