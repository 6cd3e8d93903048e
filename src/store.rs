//! Opening the embedded event store from the settings, with the error
//! context an operator needs (which directory, and why it failed).

use agora_events::{LogStore, StoreError};
use anyhow::Context;

use crate::config::Settings;

/// Opens (creating if needed) the store in `settings.data_dir`, running
/// recovery. Blocking: call it before starting async work. Fails with the
/// store's own error (e.g. [`StoreError::Locked`]) inside the context.
pub(crate) fn open(settings: &Settings) -> anyhow::Result<LogStore> {
    try_open(settings)
        .with_context(|| format!("opening the event store in {}", settings.data_dir.display()))
}

/// Like [`open`], keeping the store's error type for callers that treat
/// some failures (such as corruption) as a result.
pub(crate) fn try_open(settings: &Settings) -> Result<LogStore, StoreError> {
    LogStore::open(&settings.data_dir, settings.log.clone())
}
