//! When to stop serving: the first SIGINT or SIGTERM starts a graceful
//! shutdown (actix on its own treats SIGINT as a forced one).

use actix_web::rt::signal::unix::{SignalKind, signal};
use anyhow::Context;

/// Registers for SIGINT and SIGTERM now (so a signal arriving before the
/// server runs is not lost) and returns a future that resolves on the first.
pub(crate) fn on_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    Ok(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "shutting down gracefully");
    })
}
