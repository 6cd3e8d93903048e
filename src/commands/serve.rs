//! `agora serve`: open the store, serve HTTP until a signal, close the store.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use anyhow::Context;

use crate::config::Settings;
use crate::http::{self, AppState};
use crate::store;

/// How long to wait, after the server stopped, for its workers to release
/// their handles on the store.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Runs the server; returns once it stopped and the store is closed.
pub(crate) fn run(settings: &Settings, demo: bool) -> anyhow::Result<ExitCode> {
    let store = store::open(settings)?;
    actix_web::rt::System::new().block_on(async move {
        let state = web::Data::new(AppState::start(settings, store)?);
        state
            .domain
            .open_awarded_contracts(&state.store, state.read_wait)
            .await;
        if demo {
            crate::demo::seed(&state.domain).await?;
        }
        let served = http::serve(state.clone(), settings)
            .await
            .context("serving HTTP");
        close(state);
        served.map(|()| ExitCode::SUCCESS)
    })
}

/// Drops the last handle on the store, which finishes queued appends, stops
/// the writer thread and releases the directory lock. Worker threads drop
/// their copies as they wind down, so this waits (briefly) for them.
fn close(state: web::Data<AppState>) {
    let mut state = state.into_inner();
    let deadline = Instant::now() + CLOSE_WAIT;
    loop {
        match Arc::try_unwrap(state) {
            Ok(last) => {
                drop(last);
                tracing::info!("event store closed");
                return;
            }
            Err(shared) if Instant::now() < deadline => {
                state = shared;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => {
                // Every acknowledged append is already durable; the lock goes with the process.
                tracing::warn!(
                    "HTTP workers still hold the event store; leaving it to process exit"
                );
                return;
            }
        }
    }
}
