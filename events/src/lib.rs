//! # agora-events
//!
//! Agora's source of truth: every state change is an event appended to an
//! event store, and everything else is rebuilt from it.
//!
//! - [`EventStore`]: the contract — optimistic-concurrency appends, exact
//!   idempotency by event id, stream and `$all` reads, gap-free catch-up
//!   subscriptions, hash-chain verification.
//! - [`LogStore`]: the default backend, an embedded crash-safe log
//!   (segments, CRC32C, BLAKE3 hash chain, group-committed `fdatasync`,
//!   torn-tail recovery, single-writer lock).
//! - `esdb::EsdbStore` (feature `esdb`): the same contract over
//!   EventStoreDB / KurrentDB.
//! - [`codec`]: the one place values become bytes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), agora_events::StoreError> {
//! use agora_events::{EventStore, ExpectedVersion, LogConfig, LogStore, NewEvent, StreamName};
//!
//! let store = LogStore::open("./data", LogConfig::default())?;
//! let stream = StreamName::new("user-42")?;
//! let written = store
//!     .append(&stream, ExpectedVersion::NoStream, vec![NewEvent::new("UserRegistered", b"...".to_vec())])
//!     .await?;
//! assert_eq!(written.first_version, 0);
//! # Ok(()) }
//! ```

pub mod codec;
pub mod domain;
mod error;
pub mod log;
mod model;
pub mod personal;
mod store;

#[cfg(feature = "esdb")]
pub mod esdb;

pub use error::{StoreError, StoreResult};
pub use log::{LogConfig, LogStats, LogStore, RecoveryReport};
pub use model::{
    AppendResult, EventMetadata, ExpectedVersion, MAX_ACTOR_ID_BYTES, MAX_EVENT_TYPE_BYTES,
    MAX_STREAM_NAME_BYTES, NewEvent, ReadDirection, RecordedEvent, StreamName, Timestamp,
};
pub use store::{ChainBreak, ChainReport, EventStore, EventSubscription};
