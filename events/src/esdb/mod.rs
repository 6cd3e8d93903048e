//! The [`EventStore`] contract over EventStoreDB / KurrentDB (gRPC, through
//! the `kurrentdb` client crate), for deployments that outgrow one machine:
//! a 3-node cluster replicates every append to a majority before
//! acknowledging it (see `ops/esdb/`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), agora_events::StoreError> {
//! use agora_events::esdb::EsdbStore;
//! use agora_events::{EventStore, ExpectedVersion, NewEvent, StreamName};
//!
//! let store = EsdbStore::connect("esdb://node1:2113,node2:2113,node3:2113?tls=false").await?;
//! let stream = StreamName::new("user-42")?;
//! store
//!     .append(&stream, ExpectedVersion::NoStream, vec![NewEvent::new("UserRegistered", b"...".to_vec())])
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Mapping
//!
//! - Our event id is the ESDB event id, our event type the ESDB event type,
//!   the payload the event's binary data (content type
//!   `application/octet-stream`). Correlation id, causation id, actor id and
//!   schema version are the ESDB *custom metadata*, a JSON object
//!   (`$correlationId`, `$causationId`, `actorId`, `schemaVersion`).
//!   `recorded_at` is the server's `created` time.
//! - A global position is the event's ESDB *commit position* (for events
//!   written over gRPC it equals the prepare position). Positions increase
//!   in commit order but are **not dense**: they are byte offsets in the
//!   server's log.
//! - `read_all` and `subscribe_all` leave out EventStoreDB's own events:
//!   those of system streams (`$`-prefixed names) and those of system types
//!   (`$`-prefixed, e.g. link events). Appending an event whose type starts
//!   with `$` is refused ([`StoreError::InvalidEvent`]). `read_stream` returns
//!   a stream as it is.
//! - [`EventStore::verify_chain`] is [`StoreError::Unsupported`]: the server
//!   keeps no hash chain.
//! - Every failure of the server or of the connection is
//!   [`StoreError::Backend`]; an append larger than the server's
//!   `MaxAppendSize` (1 MiB by default) is [`StoreError::InvalidBatch`].
//!
//! # Guarantees, compared with the embedded log
//!
//! The same as the embedded log:
//! - an append is atomic (one ESDB append), and written only if the stream
//!   satisfies the expectation; a mismatch is
//!   [`StoreError::WrongExpectedVersion`] with the stream's actual version;
//! - an acknowledged append is durable — on a majority of the cluster's
//!   nodes rather than `fdatasync`ed on one disk;
//! - `read_all` accepts any `from_position` (inclusive): EventStoreDB
//!   refuses to read from a number that is not the start of a record, so the
//!   backend starts from a known event position at or below it (every
//!   position it returned before, so `last.position + 1` costs nothing; else
//!   the asked one or the one before it if the server accepts them; else it
//!   scans `$all` backwards from the head to find one);
//! - `subscribe_all(p)` delivers every user event at or after `p`: catch-up,
//!   then live, in commit order, without gap or duplicate (the server's
//!   catch-up subscription does the switch), and a slow consumer never makes
//!   the server buffer for it;
//! - reads see every acknowledged append (read-your-writes) as long as the
//!   connection prefers the leader, which is kurrentdb's default
//!   (`nodePreference=leader`); with follower reads they may lag.
//!
//! Weaker than the embedded log:
//! - **Idempotency is best effort.** Before every append the backend looks
//!   for the batch's ids (1) in what this process remembers — ids it
//!   appended or read from a stream, the last 65 536 of them — and (2) among
//!   the stream's 32 newest events, and, when one of them sits in the target
//!   stream, (3) at the revisions an exact repeat would occupy. Found there as
//!   an exact repeat (every id, this stream, consecutive revisions in batch
//!   order), the append writes nothing and returns the original
//!   [`AppendResult`]; found otherwise (mixed with new ids, reordered, or in
//!   another stream), it is [`StoreError::DuplicateEventId`]. Not found — an
//!   id written by *another process* to *another stream*, or to this stream
//!   more than 32 events ago — the batch is written again: EventStoreDB
//!   itself only rejects an id at the exact revision it expects, and allows
//!   the same id in different streams. The search runs against the state the
//!   write is then checked against (the write carries the exact revision
//!   read), so concurrent repeats of one batch still write it once.
//! - Subscriptions end when the last [`EsdbStore`] handle is dropped, at
//!   once (the embedded log first delivers what the log holds).
//! - Positions are sparse (see above) and events appended by other clients
//!   in explicit (TCP-era) transactions are not supported.
//!
//! Costs: an append is two round trips (the check, then the write; three
//! when an id of the batch is found in the stream). `Any` and
//! `StreamExists` appends are written against the revision just read and
//! retried on a lost race; after five lost races the last try lets the
//! server apply `Any` / `StreamExists` itself (and its own, cache-based,
//! idempotency check).
//!
//! # Connection
//!
//! [`EsdbStore::connect`] takes a standard connection string (`esdb://`,
//! `esdb+discover://`, `kurrentdb://`, … with `tls`, `nodePreference`,
//! credentials, …). Unless the string sets them, discovery is bounded
//! (`maxDiscoverAttempts=2`, `discoveryInterval=100`, `gossipTimeout=1000`)
//! so that a missing server fails within about a second rather than hanging;
//! `connect` then reads the head of `$all` once, which checks that a node
//! answers and that the credentials may read `$all`. A client whose
//! connection broke is replaced by a new one that discovers the cluster
//! again on the next call (kurrentdb 1.2 clients neither recover from a
//! failed first connection nor rediscover after losing their node). Needs
//! KurrentDB, or EventStoreDB 22.10 or later (positions on stream reads).

mod append;
mod cache;
mod conn;
mod convert;
mod meta;
mod read;
mod settings;
mod subscribe;

use std::sync::Arc;

use async_trait::async_trait;
use kurrentdb::{ClientSettings, ClientSettingsParseError, StreamPosition};
use tokio::sync::watch;

use crate::error::{StoreError, StoreResult};
use crate::model::{
    AppendResult, ExpectedVersion, NewEvent, ReadDirection, RecordedEvent, StreamName,
};
use crate::store::{EventStore, EventSubscription};

use cache::{KnownIds, KnownPositions};
use conn::Connection;

/// What every handle and subscription shares.
struct Inner {
    conn: Connection,
    positions: KnownPositions,
    ids: KnownIds,
}

/// An [`EventStore`] on an EventStoreDB / KurrentDB server or cluster. Cheap
/// to clone; all clones share one connection. See the [module
/// documentation](self) for how its guarantees compare with the embedded
/// log's.
#[derive(Clone)]
pub struct EsdbStore {
    inner: Arc<Inner>,
    /// Dropped with the last handle, which ends open subscriptions.
    open: Arc<watch::Sender<()>>,
}

impl std::fmt::Debug for EsdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsdbStore")
            .field("url", &self.inner.conn.display())
            .finish_non_exhaustive()
    }
}

impl EsdbStore {
    /// Connects to the server or cluster `url` (a connection string such as
    /// `esdb://localhost:2113?tls=false`), failing with
    /// [`StoreError::Backend`] if it is malformed, no node answers within
    /// the (bounded) discovery time, or its credentials may not read `$all`.
    /// Must be called inside a tokio runtime.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let display = settings::redact(url);
        let full = settings::with_bounded_discovery(url);
        let parsed: ClientSettings = full.parse().map_err(|e: ClientSettingsParseError| {
            StoreError::Backend(format!(
                "invalid EventStoreDB connection string {display}: {}",
                settings::scrub(&e.to_string(), &[url, &full])
            ))
        })?;
        let context = format!("connecting to {display}");
        let inner = Arc::new(Inner {
            conn: Connection::new(parsed, display)?,
            positions: KnownPositions::new(cache::POSITIONS_CAPACITY),
            ids: KnownIds::new(cache::IDS_CAPACITY),
        });
        read::all_events(
            &inner,
            StreamPosition::End,
            ReadDirection::Backward,
            1,
            false,
        )
        .await
        .map_err(|failure| inner.conn.fail(failure, &context))?;
        let (_, client) = inner.conn.client();
        if let Ok(info) = client.server_info().await {
            let version = info.version();
            if version.major() > 0 && version < (22, 10) {
                tracing::warn!(
                    %version,
                    "EventStoreDB before 22.10 does not report positions on stream reads; \
                     appends and stream reads will fail"
                );
            }
        }
        let (open, _) = watch::channel(());
        Ok(Self {
            inner,
            open: Arc::new(open),
        })
    }
}

#[async_trait]
impl EventStore for EsdbStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> StoreResult<AppendResult> {
        append::append(&self.inner, stream, expected, &events).await
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
        direction: ReadDirection,
    ) -> StoreResult<Vec<RecordedEvent>> {
        read::read_stream(&self.inner, stream, from_version, max, direction).await
    }

    async fn read_all(&self, from_position: u64, max: usize) -> StoreResult<Vec<RecordedEvent>> {
        read::read_all(&self.inner, from_position, max).await
    }

    async fn stream_version(&self, stream: &StreamName) -> StoreResult<Option<u64>> {
        read::stream_version(&self.inner, stream).await
    }

    async fn head_position(&self) -> StoreResult<Option<u64>> {
        read::last_position(&self.inner, true).await
    }

    fn subscribe_all(&self, from_position: u64) -> EventSubscription {
        subscribe::subscribe_all(
            Arc::clone(&self.inner),
            self.open.subscribe(),
            from_position,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn connecting_to_a_closed_port_fails_fast() {
        let result = tokio::time::timeout(
            Duration::from_secs(30),
            EsdbStore::connect("esdb://127.0.0.1:1?tls=false"),
        )
        .await
        .expect("connect must give up, not hang");
        match result {
            Err(StoreError::Backend(message)) => {
                assert!(message.contains("127.0.0.1:1"), "{message}");
            }
            other => panic!("expected a backend error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_malformed_connection_string_is_refused_without_leaking_the_password() {
        let result = EsdbStore::connect("http://admin:s3cret@node1:2113").await;
        match result {
            Err(StoreError::Backend(message)) => assert!(!message.contains("s3cret"), "{message}"),
            other => panic!("expected a backend error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_client_is_renewed_after_a_failed_connection() {
        let inner = Inner {
            conn: Connection::new(
                settings::with_bounded_discovery("esdb://127.0.0.1:1?tls=false")
                    .parse()
                    .expect("parses"),
                "test".into(),
            )
            .expect("client"),
            positions: KnownPositions::new(8),
            ids: KnownIds::new(8),
        };
        for _ in 0..2 {
            let (generation, _) = inner.conn.client();
            let failure = read::all_events(
                &inner,
                StreamPosition::End,
                ReadDirection::Backward,
                1,
                false,
            )
            .await
            .expect_err("nothing listens there");
            // Every failure is a connection failure, never "closed" from a
            // client that died on the previous one.
            assert!(
                matches!(failure.error, kurrentdb::Error::GrpcConnectionError(_)),
                "{:?}",
                failure.error
            );
            assert_eq!(failure.generation, generation);
            let _ = inner.conn.fail(failure, "test");
            assert_eq!(inner.conn.client().0, generation + 1);
        }
    }
}
