//! Rebuilding a projection from the log alone, for `agora replay` and for
//! auditors: the rebuilt state must encode byte for byte like the snapshot
//! the live runner saved at the same checkpoint.

use std::path::Path;

use agora_events::EventStore;

use super::{Projection, ProjectionError, snapshot};

/// Events read per step.
const PAGE: usize = 4096;

/// What a replay found.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReplayReport {
    /// The projection's name.
    pub projection: &'static str,
    /// Events folded.
    pub events: u64,
    /// Position of the last event folded.
    pub checkpoint: Option<u64>,
    /// Whether the live snapshot matched the rebuild at its checkpoint
    /// (`None`: there was no usable snapshot to compare).
    pub snapshot_matches: Option<bool>,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Reading the log failed.
    #[error("reading the log: {0}")]
    Store(#[from] agora_events::StoreError),
    /// An event could not be folded.
    #[error("projection {projection} cannot fold the event at position {position}: {reason}")]
    Apply {
        /// The projection.
        projection: &'static str,
        /// The event's position.
        position: u64,
        /// What went wrong.
        reason: String,
    },
    /// Writing the new snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] ProjectionError),
    /// The state could not be encoded.
    #[error("encoding the {0} snapshot failed: {1}")]
    Encode(&'static str, String),
}

/// Folds the whole log into a fresh `P`. Compares with the snapshot in
/// `dir` at its checkpoint, and with `write` replaces that snapshot by the
/// rebuilt one (the live runner must not be running then).
pub async fn replay<P: Projection>(
    store: &dyn EventStore,
    dir: &Path,
    write: bool,
) -> Result<ReplayReport, ReplayError> {
    let stored = std::fs::read(snapshot::path_for::<P>(dir)).ok();
    let stored_checkpoint = stored
        .as_deref()
        .and_then(snapshot::decode::<P>)
        .map(|(checkpoint, _)| checkpoint);
    let mut state = P::default();
    let mut report = ReplayReport {
        projection: P::NAME,
        events: 0,
        checkpoint: None,
        snapshot_matches: None,
    };
    let compare = |state: &P, checkpoint: Option<u64>| -> Result<Option<bool>, ReplayError> {
        let bytes =
            snapshot::encode(checkpoint, state).map_err(|e| ReplayError::Encode(P::NAME, e))?;
        Ok(Some(stored.as_deref() == Some(bytes.as_slice())))
    };
    if stored_checkpoint == Some(None) {
        report.snapshot_matches = compare(&state, None)?;
    }
    let mut from = 0;
    loop {
        let page = store.read_all(from, PAGE).await?;
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        for event in &page {
            state.apply(event).map_err(|reason| ReplayError::Apply {
                projection: P::NAME,
                position: event.position,
                reason,
            })?;
            report.events += 1;
            report.checkpoint = Some(event.position);
            if stored_checkpoint == Some(Some(event.position)) {
                report.snapshot_matches = compare(&state, report.checkpoint)?;
            }
        }
    }
    if write {
        let bytes = snapshot::encode(report.checkpoint, &state)
            .map_err(|e| ReplayError::Encode(P::NAME, e))?;
        std::fs::create_dir_all(dir).map_err(|source| ProjectionError::Io {
            context: format!("creating {}", dir.display()),
            source,
        })?;
        snapshot::write(dir, P::NAME, &bytes)?;
    }
    Ok(report)
}
