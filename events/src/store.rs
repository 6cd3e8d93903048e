//! The `EventStore` contract that every backend implements and everything
//! above the store is written against.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;

use crate::error::StoreResult;
use crate::model::{
    AppendResult, ExpectedVersion, NewEvent, ReadDirection, RecordedEvent, StreamName,
};

/// A stream of committed events from [`EventStore::subscribe_all`].
pub type EventSubscription = Pin<Box<dyn Stream<Item = StoreResult<RecordedEvent>> + Send>>;

/// The outcome of walking the hash chain over `$all`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    /// Position of the first record checked.
    pub from_position: u64,
    /// Number of records whose hash and link were checked.
    pub checked: u64,
    /// Hash of the last record checked (the auditor's next checkpoint).
    pub last_hash: Option<[u8; 32]>,
    /// The first break found, if any.
    pub first_break: Option<ChainBreak>,
}

/// Where and why the hash chain broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// Global position of the record that does not verify.
    pub position: u64,
    /// What did not match.
    pub reason: String,
}

/// An append-only store of events grouped in streams, with one global order
/// (`$all`).
///
/// Guarantees every backend gives (checked by the shared contract tests):
/// - `append` is atomic: all events of the batch are written, or none;
/// - an expectation mismatch is [`StoreError::WrongExpectedVersion`](crate::StoreError::WrongExpectedVersion)
///   and writes nothing;
/// - repeating a batch whose ids were all written (same stream, same order)
///   returns the original [`AppendResult`] and writes nothing;
/// - an acknowledged append is durable;
/// - reads and subscriptions only ever see committed events, in commit order;
/// - [`subscribe_all`](Self::subscribe_all) catches up and goes live with no
///   gap and no duplicate.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to `stream` if the stream's version satisfies
    /// `expected`. Returns the revisions and position written.
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> StoreResult<AppendResult>;

    /// Reads up to `max` events of `stream` starting at revision
    /// `from_version` (inclusive) in `direction`. A missing stream reads as
    /// empty.
    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
        direction: ReadDirection,
    ) -> StoreResult<Vec<RecordedEvent>>;

    /// Reads up to `max` events of `$all` whose position is at least
    /// `from_position`, in global order.
    async fn read_all(&self, from_position: u64, max: usize) -> StoreResult<Vec<RecordedEvent>>;

    /// The revision of the stream's last event, `None` if it has none.
    async fn stream_version(&self, stream: &StreamName) -> StoreResult<Option<u64>>;

    /// The position of the last committed event in `$all`, `None` if empty.
    async fn head_position(&self) -> StoreResult<Option<u64>>;

    /// Every committed event whose position is at least `from_position`:
    /// first those already in the log, then live ones as they commit, with no
    /// gap and no duplicate. A slow consumer never makes the writer buffer:
    /// it falls behind and reads from the log. The stream ends only on error
    /// or when the store closes.
    fn subscribe_all(&self, from_position: u64) -> EventSubscription;

    /// Walks the hash chain of `$all` from `from_position`, trusting
    /// `trusted_prev_hash` (an auditor's checkpoint) as the hash before it
    /// when given. Backends without a chain answer
    /// [`StoreError::Unsupported`](crate::StoreError::Unsupported).
    async fn verify_chain(
        &self,
        from_position: u64,
        trusted_prev_hash: Option<[u8; 32]>,
    ) -> StoreResult<ChainReport> {
        let _ = (from_position, trusted_prev_hash);
        Err(crate::StoreError::Unsupported("hash-chain verification"))
    }
}
