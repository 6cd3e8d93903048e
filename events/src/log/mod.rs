//! The embedded log store, Agora's default backend.
//!
//! Layout of a data directory:
//! - `LOCK`: held with `flock` by the one process that owns the store;
//! - `segments/NNNNNNNNNNNNNNNNNNNN.seg`: the log, see [`segment`] and [`frame`].
//!
//! Threads: one **writer thread** owns appending. Appends from any number of
//! tasks queue in a bounded channel; the writer takes every request waiting
//! (up to [`LogConfig::max_batch_bytes`]), validates and encodes them, writes
//! them with one `write` and makes them durable with one `fdatasync` — group
//! commit — and only then publishes them to the index and answers each
//! caller. Readers run on the caller's thread with `pread`, seeing only what
//! the writer has published. Subscribers get freshly committed batches
//! through a bounded broadcast buffer and read the log when they fall behind.

mod frame;
mod index;
mod lock;
mod reader;
mod recovery;
mod segment;
mod subscription;
mod verify;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};

use crate::error::{StoreError, StoreResult};
use crate::model::{
    AppendResult, ExpectedVersion, NewEvent, ReadDirection, RecordedEvent, StreamName,
};
use crate::store::{ChainReport, EventStore, EventSubscription};

pub use recovery::RecoveryReport;

use index::Index;
use segment::Segment;

/// Settings of the embedded log. Every field has a default that suits a
/// small server; see each field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A segment is closed and a new one started once it would grow past
    /// this many bytes (default 256 MiB).
    pub segment_bytes: u64,
    /// Group commit stops gathering appends once the batch holds this many
    /// encoded bytes (default 4 MiB).
    pub max_batch_bytes: usize,
    /// How long the writer waits for more appends before writing a batch,
    /// in microseconds (default 0: take what is queued, the time spent in the
    /// previous `fdatasync` already gathers the next batch).
    pub max_batch_wait_us: u64,
    /// Appends waiting for the writer before callers are held back
    /// (default 16384).
    pub queue_capacity: usize,
    /// Largest payload of one event (default 8 MiB).
    pub max_payload_bytes: usize,
    /// Most events in one append (default 10000).
    pub max_events_per_append: usize,
    /// Committed batches kept for live subscribers before a slow one falls
    /// back to reading the log (default 8192: seconds of commits under a
    /// flood, so a projection busy writing a snapshot does not fall back).
    pub live_buffer_batches: usize,
    /// Zeros written ahead of the last record, in bytes (default 8 MiB), so
    /// that commits overwrite allocated blocks instead of growing the file,
    /// which makes each `fdatasync` cheaper. 0 grows the file with every commit.
    pub preallocate_bytes: u64,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 256 << 20,
            max_batch_bytes: 4 << 20,
            max_batch_wait_us: 0,
            queue_capacity: 16_384,
            max_payload_bytes: 8 << 20,
            max_events_per_append: 10_000,
            live_buffer_batches: 8192,
            preallocate_bytes: 8 << 20,
        }
    }
}

impl LogConfig {
    /// The largest record content the framing accepts; anything above is
    /// treated as a corrupt length.
    fn max_record_len(&self) -> usize {
        self.max_payload_bytes + 64 * 1024
    }

    fn max_batch_wait(&self) -> Duration {
        Duration::from_micros(self.max_batch_wait_us)
    }
}

/// Counters for `/metrics`, monotonic since open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogStats {
    /// Events committed since open.
    pub events_appended: u64,
    /// Append calls that wrote events.
    pub appends: u64,
    /// Group commits (one `fdatasync` each).
    pub commits: u64,
    /// Bytes written to segments.
    pub bytes_written: u64,
    /// Events in the log (next global position).
    pub head: u64,
    /// Streams in the log.
    pub streams: u64,
}

#[derive(Debug, Default)]
struct Counters {
    events_appended: AtomicU64,
    appends: AtomicU64,
    commits: AtomicU64,
    bytes_written: AtomicU64,
}

/// State shared by the writer, readers and subscribers.
struct Shared {
    segments_dir: PathBuf,
    config: LogConfig,
    segments: RwLock<Vec<Arc<Segment>>>,
    index: RwLock<Index>,
    /// Taken (closed) by the writer thread when it stops.
    live: RwLock<Option<broadcast::Sender<Arc<[RecordedEvent]>>>>,
    poisoned: AtomicBool,
    counters: Counters,
}

impl Shared {
    fn segment(&self, ordinal: usize) -> Option<Arc<Segment>> {
        self.segments.read().get(ordinal).cloned()
    }
}

/// The handle that owns the writer thread and the directory lock. Dropping
/// the last [`LogStore`] clone finishes queued appends, stops the writer and
/// releases the lock.
struct WriterHandle {
    requests: Option<flume::Sender<writer::AppendRequest>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _lock: lock::DirLock,
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the log writer thread panicked");
        }
    }
}

/// The embedded, crash-safe event log. Cheap to clone; all clones share one
/// store.
///
/// Guarantees, beyond the [`EventStore`] contract:
/// - an append is acknowledged only after `fdatasync` covered its bytes;
/// - opening recovers from any crash: a torn or partially written last
///   append is cut off (and logged), a bad record anywhere else is a hard
///   [`StoreError::Corrupt`] naming its position;
/// - at most one process has a data directory open ([`StoreError::Locked`]);
/// - global positions are dense: 0, 1, 2, …
#[derive(Clone)]
pub struct LogStore {
    shared: Arc<Shared>,
    writer: Arc<WriterHandle>,
    recovery: Arc<RecoveryReport>,
}

impl std::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore")
            .field("dir", &self.shared.segments_dir)
            .finish_non_exhaustive()
    }
}

impl LogStore {
    /// Opens (creating if needed) the store in `dir`, recovering from the log.
    /// Blocking: call it before starting async work, or in `spawn_blocking`.
    pub fn open(dir: impl AsRef<Path>, config: LogConfig) -> StoreResult<Self> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io(format!("creating {}", dir.display()), e))?;
        let dir_lock = lock::DirLock::acquire(dir)?;
        let segments_dir = dir.join("segments");
        std::fs::create_dir_all(&segments_dir)
            .map_err(|e| StoreError::io(format!("creating {}", segments_dir.display()), e))?;

        let recovered = recovery::recover(&segments_dir, &config)?;
        let (live, _) = broadcast::channel(config.live_buffer_batches.max(1));
        let (requests, receiver) = flume::bounded(config.queue_capacity.max(1));
        let shared = Arc::new(Shared {
            segments_dir,
            config,
            segments: RwLock::new(recovered.segments),
            index: RwLock::new(recovered.index),
            live: RwLock::new(Some(live)),
            poisoned: AtomicBool::new(false),
            counters: Counters::default(),
        });
        let writer = writer::Writer::new(Arc::clone(&shared), receiver, recovered.tail);
        let thread = std::thread::Builder::new()
            .name("agora-log-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StoreError::io("starting the log writer thread", e))?;
        Ok(Self {
            shared,
            writer: Arc::new(WriterHandle {
                requests: Some(requests),
                thread: Some(thread),
                _lock: dir_lock,
            }),
            recovery: Arc::new(recovered.report),
        })
    }

    /// What recovery found and did when this store was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// Counters since open, and the log's size.
    pub fn stats(&self) -> LogStats {
        let c = &self.shared.counters;
        let index = self.shared.index.read();
        LogStats {
            events_appended: c.events_appended.load(Ordering::Relaxed),
            appends: c.appends.load(Ordering::Relaxed),
            commits: c.commits.load(Ordering::Relaxed),
            bytes_written: c.bytes_written.load(Ordering::Relaxed),
            head: index.head(),
            streams: index.stream_count() as u64,
        }
    }

    /// Whether an earlier I/O failure stopped appends (see [`StoreError::Poisoned`]).
    pub fn is_poisoned(&self) -> bool {
        self.shared.poisoned.load(Ordering::Acquire)
    }

    /// Walks the hash chain as [`EventStore::verify_chain`] does, but over
    /// at most `max` records (bounded work, resumable from the report's
    /// position and last hash). Runs on the caller's thread.
    pub fn verify_chain_bounded(
        &self,
        from_position: u64,
        trusted_prev_hash: Option<[u8; 32]>,
        max: u64,
    ) -> StoreResult<ChainReport> {
        verify::verify_chain(&self.shared, from_position, trusted_prev_hash, max)
    }

    /// The chain hash of the record at `position` (checked against its
    /// contents), `None` past the head.
    pub fn hash_at(&self, position: u64) -> StoreResult<Option<[u8; 32]>> {
        let report = verify::verify_chain(&self.shared, position, None, 1)?;
        if let Some(broken) = report.first_break {
            return Err(StoreError::Corrupt {
                position: broken.position,
                file: self.shared.segments_dir.clone(),
                offset: 0,
                reason: broken.reason,
            });
        }
        Ok(report.last_hash)
    }
}

#[async_trait]
impl EventStore for LogStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> StoreResult<AppendResult> {
        let sender = self.writer.requests.as_ref().ok_or(StoreError::Closed)?;
        let (reply, answer) = oneshot::channel();
        let request = writer::AppendRequest {
            stream: stream.clone(),
            expected,
            events,
            reply,
        };
        sender
            .send_async(request)
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
        direction: ReadDirection,
    ) -> StoreResult<Vec<RecordedEvent>> {
        reader::read_stream(&self.shared, stream, from_version, max, direction)
    }

    async fn read_all(&self, from_position: u64, max: usize) -> StoreResult<Vec<RecordedEvent>> {
        reader::read_all(&self.shared, from_position, max)
    }

    async fn stream_version(&self, stream: &StreamName) -> StoreResult<Option<u64>> {
        Ok(self.shared.index.read().stream_last(stream.as_str()))
    }

    async fn head_position(&self) -> StoreResult<Option<u64>> {
        Ok(self.shared.index.read().head().checked_sub(1))
    }

    fn subscribe_all(&self, from_position: u64) -> EventSubscription {
        subscription::subscribe_all(Arc::clone(&self.shared), from_position)
    }

    async fn verify_chain(
        &self,
        from_position: u64,
        trusted_prev_hash: Option<[u8; 32]>,
    ) -> StoreResult<ChainReport> {
        verify::verify_chain(&self.shared, from_position, trusted_prev_hash, u64::MAX)
    }
}
