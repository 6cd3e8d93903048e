//! Diagnostics: `tracing` events to stderr, filtered by `RUST_LOG` when it is
//! set, else by the `log_level` setting (`AGORA_LOG_LEVEL`). Stdout is kept
//! for each command's own output.

use std::io::IsTerminal as _;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `level` is an env-filter directive such
/// as `info` or `agora=debug,actix_web=warn`.
pub(crate) fn init(level: &str) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .with_context(|| format!("invalid RUST_LOG {directives:?}"))?,
        _ => EnvFilter::try_new(level).with_context(|| format!("invalid log_level {level:?}"))?,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("starting the logger")
}
