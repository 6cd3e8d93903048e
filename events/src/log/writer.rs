//! The writer thread and its group commit.
//!
//! One loop: block for the first queued append, take every other append
//! already waiting (bounded by bytes, optionally waiting a little for more),
//! stage them all into one buffer — checking expected versions and ids
//! against the index *plus* what is staged before them — then one `pwrite`
//! and one `fdatasync`, then publish to the index and answer every caller.
//! An append never spans two segments, so a crash can only tear the last one.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::oneshot;
use uuid::Uuid;

use super::Shared;
use super::frame::{self, Hash};
use super::reader;
use super::segment::{Location, SEGMENT_HEADER_LEN, Segment};
use crate::codec::{MetadataBody, RecordBody};
use crate::error::{StoreError, StoreResult};
use crate::model::{
    AppendResult, EventMetadata, ExpectedVersion, NewEvent, RecordedEvent, StreamName, Timestamp,
};

/// One append waiting for the writer.
pub(super) struct AppendRequest {
    pub(super) stream: StreamName,
    pub(super) expected: ExpectedVersion,
    pub(super) events: Vec<NewEvent>,
    pub(super) reply: oneshot::Sender<StoreResult<AppendResult>>,
}

impl AppendRequest {
    fn approx_bytes(&self) -> usize {
        self.events
            .iter()
            .map(|e| e.payload.len() + e.event_type.len() + self.stream.as_str().len() + 128)
            .sum()
    }
}

/// Where the log ends, as recovery found it.
#[derive(Debug)]
pub(super) struct Tail {
    pub(super) next_position: u64,
    pub(super) last_hash: Hash,
    /// Offset after the last record of the last segment.
    pub(super) write_offset: u64,
    /// Length of the last segment's file: past `write_offset` it holds
    /// zeros written ahead, so appends overwrite instead of growing the file.
    pub(super) file_len: u64,
    pub(super) last_timestamp: i64,
}

/// A record staged in the current group commit.
struct StagedRecord {
    request: usize,
    event: usize,
    position: u64,
    version: u64,
    location: Location,
}

/// What the current group commit has staged so far: the index as it will
/// be once the batch is durable.
#[derive(Default)]
struct Staged {
    records: Vec<StagedRecord>,
    stream_last: HashMap<String, u64>,
    ids: HashMap<Uuid, usize>,
    /// Bytes to write to the active segment at the writer's offset.
    bytes: Vec<u8>,
    /// Appends that write new events.
    appends: u64,
}

/// Where an event id was already written.
struct Written {
    stream: String,
    version: u64,
    position: u64,
    durable: bool,
}

/// The append outcome for one request of a batch.
enum Outcome {
    /// Answer now: an error, or a repeat of events already durable.
    Ready(StoreResult<AppendResult>),
    /// Answer once the batch is durable.
    AfterCommit(AppendResult),
}

pub(super) struct Writer {
    shared: Arc<Shared>,
    requests: flume::Receiver<AppendRequest>,
    active: Arc<Segment>,
    tail: Tail,
    scratch: Vec<u8>,
}

impl Writer {
    pub(super) fn new(
        shared: Arc<Shared>,
        requests: flume::Receiver<AppendRequest>,
        tail: Tail,
    ) -> Self {
        let active = shared
            .segments
            .read()
            .last()
            .cloned()
            .unwrap_or_else(|| unreachable!("recovery always leaves an active segment"));
        Self {
            shared,
            requests,
            active,
            tail,
            scratch: Vec::new(),
        }
    }

    /// Runs until every sender is gone, committing batches.
    pub(super) fn run(mut self) {
        let max_bytes = self.shared.config.max_batch_bytes;
        let max_wait = self.shared.config.max_batch_wait();
        while let Ok(first) = self.requests.recv() {
            let mut bytes = first.approx_bytes();
            let mut batch = vec![first];
            let deadline = Instant::now() + max_wait;
            while bytes < max_bytes {
                let next = match self.requests.try_recv() {
                    Ok(request) => request,
                    Err(_) if max_wait.is_zero() => break,
                    Err(_) => match self.requests.recv_deadline(deadline) {
                        Ok(request) => request,
                        Err(_) => break,
                    },
                };
                bytes += next.approx_bytes();
                batch.push(next);
            }
            self.commit(batch);
        }
        // Closing the live channel ends subscriptions once they caught up.
        self.shared.live.write().take();
    }

    fn commit(&mut self, batch: Vec<AppendRequest>) {
        if self.shared.poisoned.load(Ordering::Acquire) {
            for request in batch {
                let _ = request.reply.send(Err(StoreError::Poisoned));
            }
            return;
        }
        let now = Timestamp::now().0.max(self.tail.last_timestamp);
        let mut staged = Staged::default();
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut failure = None;
        for (i, request) in batch.iter().enumerate() {
            let outcome = match self.stage(i, request, &batch, now, &mut staged) {
                Ok(outcome) => outcome,
                Err(e @ StoreError::Io { .. }) => {
                    failure = Some(e.to_string());
                    Outcome::Ready(Err(e))
                }
                Err(e) => Outcome::Ready(Err(e)),
            };
            outcomes.push(outcome);
        }
        if failure.is_none()
            && !staged.records.is_empty()
            && let Err(e) = self.write_and_sync(&staged.bytes)
        {
            failure = Some(e.to_string());
        }
        if let Some(reason) = failure {
            tracing::error!(%reason, "log write failed; refusing further appends until reopened");
            self.shared.poisoned.store(true, Ordering::Release);
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                let answer = match outcome {
                    Outcome::Ready(Err(e)) => Err(e),
                    _ => Err(StoreError::Poisoned),
                };
                let _ = request.reply.send(answer);
            }
            return;
        }
        if !staged.records.is_empty() {
            self.publish(&batch, &staged, now);
        }
        for (request, outcome) in batch.into_iter().zip(outcomes) {
            let answer = match outcome {
                Outcome::Ready(answer) => answer,
                Outcome::AfterCommit(result) => Ok(result),
            };
            let _ = request.reply.send(answer);
        }
    }

    /// Checks one request against the index and what is staged before it,
    /// and stages its records.
    fn stage(
        &mut self,
        i: usize,
        request: &AppendRequest,
        batch: &[AppendRequest],
        now: i64,
        staged: &mut Staged,
    ) -> StoreResult<Outcome> {
        let config = &self.shared.config;
        let events = &request.events;
        if events.is_empty() {
            return Err(StoreError::InvalidBatch(
                "an append needs at least one event".into(),
            ));
        }
        if events.len() > config.max_events_per_append {
            return Err(StoreError::InvalidBatch(format!(
                "{} events exceed the limit of {} per append",
                events.len(),
                config.max_events_per_append
            )));
        }
        let mut seen = std::collections::HashSet::with_capacity(events.len());
        for event in events {
            event.validate(config.max_payload_bytes)?;
            if !seen.insert(event.id) {
                return Err(StoreError::InvalidBatch(format!(
                    "event id {} appears twice",
                    event.id
                )));
            }
        }
        if let Some(outcome) = self.repeat_of_earlier_append(request, batch, staged)? {
            return Ok(outcome);
        }

        let stream = request.stream.as_str();
        let current = match staged.stream_last.get(stream) {
            Some(last) => Some(*last),
            None => self.shared.index.read().stream_last(stream),
        };
        if !request.expected.is_satisfied_by(current) {
            return Err(StoreError::WrongExpectedVersion {
                stream: stream.to_owned(),
                expected: request.expected,
                actual: current,
            });
        }

        // Encode into scratch first: the append must fit one segment.
        let first_version = current.map_or(0, |v| v + 1);
        let first_position = self.tail.next_position + staged.records.len() as u64;
        self.scratch.clear();
        let mut offsets = Vec::with_capacity(events.len());
        let mut hash = self.tail_hash(staged);
        for (k, event) in events.iter().enumerate() {
            offsets.push(self.scratch.len() as u64);
            let body = record_body(
                event,
                stream,
                first_position + k as u64,
                first_version + k as u64,
                now,
                (events.len() - 1 - k) as u32,
                self.tail.next_position,
            );
            hash = frame::encode_frame(&body, &hash, &mut self.scratch);
        }
        let needed = self.scratch.len() as u64;
        let mut base = self.tail.write_offset + staged.bytes.len() as u64;
        if base + needed > config.segment_bytes && base > SEGMENT_HEADER_LEN {
            if SEGMENT_HEADER_LEN + needed > config.segment_bytes {
                return Err(StoreError::InvalidBatch(format!(
                    "an append of {needed} bytes does not fit in one segment of {} bytes",
                    config.segment_bytes
                )));
            }
            self.roll(staged, first_position)?;
            base = SEGMENT_HEADER_LEN;
        }
        for (k, event) in events.iter().enumerate() {
            staged.records.push(StagedRecord {
                request: i,
                event: k,
                position: first_position + k as u64,
                version: first_version + k as u64,
                location: Location::new(self.active.ordinal, base + offsets[k]),
            });
            staged.ids.insert(event.id, staged.records.len() - 1);
        }
        staged.bytes.extend_from_slice(&self.scratch);
        let last = first_version + events.len() as u64 - 1;
        staged.stream_last.insert(stream.to_owned(), last);
        staged.appends += 1;
        Ok(Outcome::AfterCommit(AppendResult {
            first_version,
            next_version: last + 1,
            position: first_position + events.len() as u64 - 1,
        }))
    }

    /// The hash the next staged record links to.
    fn tail_hash(&self, staged: &Staged) -> Hash {
        staged
            .bytes
            .len()
            .checked_sub(frame::HASH_LEN)
            .map_or(self.tail.last_hash, |at| {
                let mut h = [0; frame::HASH_LEN];
                h.copy_from_slice(&staged.bytes[at..]);
                h
            })
    }

    /// Where an event id was already written: staged in this batch or durable.
    fn find_written(
        &self,
        id: &Uuid,
        batch: &[AppendRequest],
        staged: &Staged,
    ) -> StoreResult<Option<Written>> {
        if let Some(&k) = staged.ids.get(id) {
            let r = &staged.records[k];
            return Ok(Some(Written {
                stream: batch[r.request].stream.as_str().to_owned(),
                version: r.version,
                position: r.position,
                durable: false,
            }));
        }
        let position = self.shared.index.read().id_position(id);
        let Some(position) = position else {
            return Ok(None);
        };
        let old = reader::read_at_position(&self.shared, position)?;
        Ok(old.map(|old| Written {
            stream: old.stream.as_str().to_owned(),
            version: old.version,
            position,
            durable: true,
        }))
    }

    /// Decides whether `request` repeats an append already written (durable
    /// or staged in this batch). `Ok(None)`: all its ids are new.
    fn repeat_of_earlier_append(
        &self,
        request: &AppendRequest,
        batch: &[AppendRequest],
        staged: &Staged,
    ) -> StoreResult<Option<Outcome>> {
        let mut written = Vec::with_capacity(request.events.len());
        for event in &request.events {
            written.push(self.find_written(&event.id, batch, staged)?);
        }
        let Some((first_id, first)) = request
            .events
            .iter()
            .zip(&written)
            .find_map(|(e, w)| w.as_ref().map(|w| (e.id, w)))
        else {
            return Ok(None);
        };
        let exact_repeat = written.iter().enumerate().all(|(k, w)| {
            w.as_ref().is_some_and(|w| {
                w.stream == request.stream.as_str()
                    && w.version == first.version + k as u64
                    && w.position == first.position + k as u64
            })
        });
        if !exact_repeat {
            return Err(StoreError::DuplicateEventId {
                id: first_id,
                position: first.position,
            });
        }
        let n = request.events.len() as u64;
        let result = AppendResult {
            first_version: first.version,
            next_version: first.version + n,
            position: first.position + n - 1,
        };
        let all_durable = written.iter().flatten().all(|w| w.durable);
        Ok(Some(if all_durable {
            Outcome::Ready(Ok(result))
        } else {
            Outcome::AfterCommit(result)
        }))
    }

    /// Makes what is staged so far durable in the active segment, then
    /// starts a new segment whose first record will be `first_position`.
    fn roll(&mut self, staged: &mut Staged, first_position: u64) -> StoreResult<()> {
        let ctx = |e| StoreError::io("writing the log before a segment roll", e);
        if !staged.bytes.is_empty() {
            self.write_records(&staged.bytes).map_err(ctx)?;
            self.tail.write_offset += staged.bytes.len() as u64;
            self.shared
                .counters
                .bytes_written
                .fetch_add(staged.bytes.len() as u64, Ordering::Relaxed);
            self.tail.last_hash = self.tail_hash(staged);
            staged.bytes.clear();
        }
        self.active.sync_data().map_err(ctx)?;
        // A closed segment ends exactly after its last record: cut the
        // zeros written ahead before the next segment exists.
        if self.tail.file_len > self.tail.write_offset {
            self.active.truncate(self.tail.write_offset)?;
        }
        // Fully written and durable: readers may read it all (they still stop
        // at the index head, which moves only when the batch is published).
        self.active.set_committed_len(self.tail.write_offset);
        let ordinal = self.active.ordinal + 1;
        let segment = Arc::new(Segment::create(
            &self.shared.segments_dir,
            ordinal,
            first_position,
        )?);
        self.shared.segments.write().push(Arc::clone(&segment));
        self.active = segment;
        self.tail.write_offset = SEGMENT_HEADER_LEN;
        self.tail.file_len = SEGMENT_HEADER_LEN;
        Ok(())
    }

    /// Writes `bytes` at the write offset (without moving it), first writing
    /// zeros ahead when the file is too short, so most commits overwrite
    /// already-allocated blocks and `fdatasync` has no file size to record.
    fn write_records(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let end = self.tail.write_offset + bytes.len() as u64;
        if end > self.tail.file_len {
            let ahead = self.shared.config.preallocate_bytes;
            let target =
                end.max((self.tail.file_len + ahead).min(self.shared.config.segment_bytes));
            static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
            let mut at = end;
            while at < target {
                let n = (target - at).min(ZEROS.len() as u64) as usize;
                self.active.write_at(&ZEROS[..n], at)?;
                at += n as u64;
            }
            self.tail.file_len = target;
        }
        self.active.write_at(bytes, self.tail.write_offset)
    }

    fn write_and_sync(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if !bytes.is_empty() {
            self.write_records(bytes)?;
        }
        self.active.sync_data()?;
        self.tail.write_offset += bytes.len() as u64;
        self.shared
            .counters
            .bytes_written
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Makes durable records visible: index, committed lengths, live subscribers.
    fn publish(&mut self, batch: &[AppendRequest], staged: &Staged, now: i64) {
        {
            let mut index = self.shared.index.write();
            for r in &staged.records {
                let request = &batch[r.request];
                let pushed = index.push(
                    r.position,
                    r.location,
                    request.stream.as_str(),
                    r.version,
                    request.events[r.event].id,
                );
                debug_assert!(pushed.is_ok(), "staged records were checked: {pushed:?}");
            }
            self.active.set_committed_len(self.tail.write_offset);
        }
        self.tail.next_position += staged.records.len() as u64;
        self.tail.last_hash = self.tail_hash(staged);
        self.tail.last_timestamp = now;
        let counters = &self.shared.counters;
        counters
            .events_appended
            .fetch_add(staged.records.len() as u64, Ordering::Relaxed);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters
            .appends
            .fetch_add(staged.appends, Ordering::Relaxed);
        let live = self.shared.live.read();
        if let Some(live) = live.as_ref().filter(|l| l.receiver_count() > 0) {
            let events: Vec<RecordedEvent> = staged
                .records
                .iter()
                .map(|r| {
                    let request = &batch[r.request];
                    let event = &request.events[r.event];
                    RecordedEvent {
                        id: event.id,
                        stream: request.stream.clone(),
                        version: r.version,
                        position: r.position,
                        event_type: event.event_type.clone(),
                        schema_version: event.schema_version,
                        recorded_at: Timestamp(now),
                        metadata: event.metadata.clone(),
                        payload: event.payload.clone(),
                    }
                })
                .collect();
            let _ = live.send(Arc::from(events));
        }
    }
}

fn record_body<'a>(
    event: &'a NewEvent,
    stream: &'a str,
    position: u64,
    version: u64,
    now: i64,
    batch_remaining: u32,
    commit: u64,
) -> RecordBody<'a> {
    let EventMetadata {
        correlation_id,
        causation_id,
        actor_id,
    } = &event.metadata;
    RecordBody {
        position,
        version,
        event_id: event.id.into_bytes(),
        recorded_at: now,
        schema_version: event.schema_version,
        batch_remaining,
        commit,
        stream,
        event_type: &event.event_type,
        metadata: MetadataBody {
            correlation_id: correlation_id.map(Uuid::into_bytes),
            causation_id: causation_id.map(Uuid::into_bytes),
            actor_id: actor_id.as_deref(),
        },
        payload: &event.payload,
    }
}
