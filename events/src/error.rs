//! The one error type of the event store. Each variant's doc says how a
//! caller should handle it.

use std::path::PathBuf;

use uuid::Uuid;

use crate::model::ExpectedVersion;

/// Everything that can go wrong talking to an event store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream's version is not what the append expected; nothing was
    /// written. Reload the stream and retry the command (HTTP 409).
    #[error("wrong expected version on stream {stream:?}: expected {expected}, actual {}", display_actual(*.actual))]
    WrongExpectedVersion {
        /// The stream appended to.
        stream: String,
        /// What the append expected.
        expected: ExpectedVersion,
        /// The stream's last revision, `None` if it does not exist.
        actual: Option<u64>,
    },

    /// Some event ids of the batch were already written elsewhere (another
    /// stream, another order, or mixed with new ids); nothing was written.
    /// A caller bug or a replay of a different command: do not retry (HTTP 409).
    #[error(
        "event id {id} was already written at position {position}; the batch is not an exact repeat of an earlier append"
    )]
    DuplicateEventId {
        /// The first offending id.
        id: Uuid,
        /// Where that id was first written.
        position: u64,
    },

    /// The stream name breaks a naming rule. Fix the input (HTTP 400).
    #[error("invalid stream name {name:?}: it {reason}")]
    InvalidStreamName {
        /// The rejected name.
        name: String,
        /// The rule it breaks.
        reason: &'static str,
    },

    /// An event of the batch is malformed (type, schema version, size). Fix
    /// the input (HTTP 400).
    #[error("invalid event {id}: {reason}")]
    InvalidEvent {
        /// The event's id.
        id: Uuid,
        /// What is wrong.
        reason: String,
    },

    /// The batch as a whole is malformed (empty, too large, repeated ids).
    /// Fix the input (HTTP 400).
    #[error("invalid batch: {0}")]
    InvalidBatch(String),

    /// The log holds a record that fails its checksum, or breaks the
    /// sequence, somewhere other than a torn tail. The store refuses to
    /// guess: restore from a replica or backup (operator action).
    #[error("corrupt log at position {position} ({file}, byte {offset}): {reason}")]
    Corrupt {
        /// The global position of the bad record (the position expected there).
        position: u64,
        /// The segment file.
        file: PathBuf,
        /// The byte offset of the record within the file.
        offset: u64,
        /// What check failed.
        reason: String,
    },

    /// Another process holds the data directory. Stop it or pick another
    /// directory (start-up error).
    #[error("data directory {0} is locked by another process")]
    Locked(PathBuf),

    /// An earlier write or sync failed, so the store no longer knows what is
    /// durable and refuses further appends. Reopen the store, which recovers
    /// from the log (HTTP 503).
    #[error("the store stopped accepting appends after an I/O failure; reopen it to recover")]
    Poisoned,

    /// The store is shutting down or closed. Retry against a live node (HTTP 503).
    #[error("the event store is closed")]
    Closed,

    /// The backend cannot do this (e.g. hash-chain verification on a backend
    /// without a chain). Use a backend that can (HTTP 501).
    #[error("not supported by this backend: {0}")]
    Unsupported(&'static str),

    /// Reading or writing the disk failed. Transient ones may be retried
    /// (HTTP 503); persistent ones need an operator.
    #[error("I/O error {context}: {source}")]
    Io {
        /// What the store was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A remote backend failed or could not be reached. Retry later (HTTP 503).
    #[error("backend error: {0}")]
    Backend(String),
}

fn display_actual(actual: Option<u64>) -> String {
    match actual {
        Some(v) => format!("revision {v}"),
        None => "no stream".to_string(),
    }
}

impl StoreError {
    /// Wraps an I/O error with what the store was doing.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand for results of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
