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

use anyhow::Context;

/// A multi-threaded tokio runtime for commands that drive the store
/// asynchronously.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
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
