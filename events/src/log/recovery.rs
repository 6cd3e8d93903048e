//! Opening the log after a clean stop or a crash: scan every segment, check
//! each record (CRC, body, position sequence, hash links, stream revisions,
//! unique ids), rebuild the index, and cut off a torn tail.
//!
//! A record that fails is a *torn tail* — cut off and logged — when it is in
//! the last segment and nothing durable follows it: either nothing valid
//! follows at all, or what follows was written in the same group commit
//! (which was therefore never acknowledged). Anything else is corruption of
//! acknowledged data and a hard [`StoreError::Corrupt`].
//! A trailing append whose last record is missing is cut off too, so an
//! append is always all or nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::LogConfig;
use super::frame::{self, Frame, GENESIS_HASH, Hash};
use super::index::Index;
use super::reader::{FrameCursor, Step};
use super::segment::{self, Location, SEGMENT_HEADER_LEN, Segment};
use super::writer::Tail;
use crate::error::{StoreError, StoreResult};

/// Bytes read at a time while scanning on open.
const RECOVERY_CHUNK: usize = 8 << 20;

/// What opening the log found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecoveryReport {
    /// Segment files in the log.
    pub segments: usize,
    /// Events in the log after recovery.
    pub events: u64,
    /// Streams in the log after recovery.
    pub streams: u64,
    /// Bytes cut off the end of the last segment (a torn tail).
    pub truncated_bytes: u64,
    /// Valid records cut off because their append was incomplete.
    pub dropped_records: u64,
    /// The file and offset where the tail was cut, if it was.
    pub truncated_at: Option<(PathBuf, u64)>,
    /// Time spent opening.
    pub duration: Duration,
}

/// The rebuilt state handed to the store.
pub(super) struct Recovered {
    pub(super) index: Index,
    pub(super) segments: Vec<Arc<Segment>>,
    pub(super) tail: Tail,
    pub(super) report: RecoveryReport,
}

/// A record of an append whose last record has not been seen yet.
struct Pending {
    position: u64,
    location: Location,
    stream: String,
    version: u64,
    id: Uuid,
    remaining: u32,
}

struct Scan {
    index: Index,
    next_position: u64,
    last_hash: Hash,
    last_timestamp: i64,
    pending: Vec<Pending>,
    /// Hash of the last pending record.
    pending_hash: Hash,
}

impl Scan {
    fn chain_hash(&self) -> Hash {
        if self.pending.is_empty() {
            self.last_hash
        } else {
            self.pending_hash
        }
    }

    /// An append ended with the record of this hash and time.
    fn commit_tail(&mut self, hash: Hash, recorded_at: i64) {
        self.last_hash = hash;
        self.last_timestamp = self.last_timestamp.max(recorded_at);
        self.next_position = self.index.head();
    }

    /// Checks one record against everything before it; `Err(reason)` if it
    /// does not belong there.
    fn accept(&mut self, ordinal: u32, offset: u64, frame: &Frame<'_>) -> Result<(), String> {
        let b = &frame.body;
        let expected_position = self.next_position + self.pending.len() as u64;
        if b.position != expected_position {
            return Err(format!("record holds position {}", b.position));
        }
        if frame.prev_hash != self.chain_hash() {
            return Err("hash chain broken: previous-hash does not match the record before".into());
        }
        if let Some(last) = self.pending.last()
            && (b.stream != last.stream || b.batch_remaining + 1 != last.remaining)
        {
            return Err("an append's records are interleaved with another's".into());
        }
        let id = Uuid::from_bytes(b.event_id);
        if b.batch_remaining == 0 && self.pending.is_empty() {
            // A one-event append: straight into the index (which checks the
            // revision and the id's novelty), no copy.
            self.index.push(
                b.position,
                Location::new(ordinal, offset),
                b.stream,
                b.version,
                id,
            )?;
            self.commit_tail(frame.hash, b.recorded_at);
            return Ok(());
        }
        let base = self.index.stream_last(b.stream).map_or(0, |v| v + 1);
        let expected_version = base + self.pending.len() as u64;
        if b.version != expected_version {
            return Err(format!(
                "stream {:?} revision {} where {expected_version} was due",
                b.stream, b.version
            ));
        }
        if self.index.id_position(&id).is_some() || self.pending.iter().any(|p| p.id == id) {
            return Err(format!("event id {id} written twice"));
        }
        self.pending.push(Pending {
            position: b.position,
            location: Location::new(ordinal, offset),
            stream: b.stream.to_owned(),
            version: b.version,
            id,
            remaining: b.batch_remaining,
        });
        if b.batch_remaining == 0 {
            for p in self.pending.drain(..) {
                self.index
                    .push(p.position, p.location, &p.stream, p.version, p.id)?;
            }
            self.commit_tail(frame.hash, b.recorded_at);
        } else {
            self.pending_hash = frame.hash;
        }
        Ok(())
    }
}

fn corrupt(path: &Path, position: u64, offset: u64, reason: String) -> StoreError {
    StoreError::Corrupt {
        position,
        file: path.to_path_buf(),
        offset,
        reason,
    }
}

/// Scans the log in `dir` and rebuilds the store's state, creating the
/// first segment of an empty log.
pub(super) fn recover(dir: &Path, config: &LogConfig) -> StoreResult<Recovered> {
    let started = Instant::now();
    let files = segment::list_segments(dir)?;
    let mut report = RecoveryReport::default();
    let mut scan = Scan {
        index: Index::default(),
        next_position: 0,
        last_hash: GENESIS_HASH,
        last_timestamp: i64::MIN,
        pending: Vec::new(),
        pending_hash: GENESIS_HASH,
    };
    let mut segments = Vec::with_capacity(files.len() + 1);
    let mut write_offset = SEGMENT_HEADER_LEN;
    let mut tail_file_len = SEGMENT_HEADER_LEN;
    let count = files.len();
    for (ordinal, (first_position, path)) in files.into_iter().enumerate() {
        let is_last = ordinal + 1 == count;
        let ordinal = ordinal as u32;
        if first_position != scan.next_position {
            return Err(corrupt(
                &path,
                scan.next_position,
                0,
                format!(
                    "segment starts at position {first_position}, expected {}",
                    scan.next_position
                ),
            ));
        }
        let segment = match Segment::open(path.clone(), ordinal, first_position) {
            Ok(segment) => segment,
            Err(e) if is_last && file_len(&path) <= SEGMENT_HEADER_LEN => {
                // A crash while creating the segment: it never held a record.
                tracing::warn!(file = %path.display(), error = %e, "replacing a segment torn while it was created");
                std::fs::remove_file(&path)
                    .map_err(|e| StoreError::io(format!("removing {}", path.display()), e))?;
                segment::sync_dir(dir)?;
                Segment::create(dir, ordinal, first_position)?
            }
            Err(e) => return Err(e),
        };
        let end = segment.file_len()?;
        let good_end = scan_segment(&segment, end, is_last, config, &mut scan)?;
        tail_file_len = end;
        // Zeros written ahead by the writer are not a torn tail: keep them.
        if good_end < end && !only_zeros(&segment, good_end, end)? {
            tail_file_len = good_end;
            report.truncated_bytes = end - good_end;
            report.dropped_records = scan.pending.len() as u64;
            report.truncated_at = Some((path.clone(), good_end));
            tracing::warn!(
                file = %path.display(),
                offset = good_end,
                bytes = end - good_end,
                records = scan.pending.len(),
                next_position = scan.next_position,
                "cutting off a torn tail: these bytes were never acknowledged"
            );
            segment.truncate(good_end)?;
        }
        scan.pending.clear();
        segment.set_committed_len(good_end);
        write_offset = good_end;
        segments.push(Arc::new(segment));
    }
    if segments.is_empty() {
        segments.push(Arc::new(Segment::create(dir, 0, 0)?));
        write_offset = SEGMENT_HEADER_LEN;
        tail_file_len = SEGMENT_HEADER_LEN;
    }
    report.segments = segments.len();
    report.events = scan.index.head();
    report.streams = scan.index.stream_count() as u64;
    report.duration = started.elapsed();
    tracing::info!(
        events = report.events,
        streams = report.streams,
        segments = report.segments,
        ms = report.duration.as_millis() as u64,
        "event log opened"
    );
    Ok(Recovered {
        tail: Tail {
            next_position: scan.next_position,
            last_hash: scan.last_hash,
            write_offset,
            file_len: tail_file_len,
            last_timestamp: scan.last_timestamp,
        },
        index: scan.index,
        segments,
        report,
    })
}

/// Whether `[from, to)` of the segment holds nothing but zero bytes.
fn only_zeros(segment: &Segment, from: u64, to: u64) -> StoreResult<bool> {
    let mut buf = vec![0u8; 1 << 20];
    let mut at = from;
    while at < to {
        let want = ((to - at) as usize).min(buf.len());
        let got = segment.read_at(&mut buf[..want], at)?;
        if got == 0 {
            break;
        }
        if buf[..got].iter().any(|b| *b != 0) {
            return Ok(false);
        }
        at += got as u64;
    }
    Ok(true)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Scans one segment into `scan`. Returns the offset after the last
/// complete append; in the last segment, anything after it is a torn tail.
fn scan_segment(
    segment: &Segment,
    end: u64,
    is_last: bool,
    config: &LogConfig,
    scan: &mut Scan,
) -> StoreResult<u64> {
    let max_len = config.max_record_len();
    let mut cursor = FrameCursor::new(segment, SEGMENT_HEADER_LEN, end, max_len, RECOVERY_CHUNK);
    let mut good_end = SEGMENT_HEADER_LEN;
    loop {
        let expected = scan.next_position + scan.pending.len() as u64;
        match cursor.next_frame()? {
            Step::Frame(offset, frame) => {
                let len = frame.len as u64;
                scan.accept(segment.ordinal, offset, &frame)
                    .map_err(|reason| corrupt(&segment.path, expected, offset, reason))?;
                if scan.pending.is_empty() {
                    good_end = offset + len;
                }
            }
            Step::End => break,
            Step::Bad { offset, error } => {
                let durable_follows = if is_last {
                    later_commit_follows(segment, offset, end, max_len, expected)?
                } else {
                    true
                };
                if durable_follows {
                    return Err(corrupt(&segment.path, expected, offset, error.to_string()));
                }
                break;
            }
        }
    }
    if !is_last && (good_end != end || !scan.pending.is_empty()) {
        let position = scan.next_position;
        return Err(corrupt(
            &segment.path,
            position,
            good_end,
            "a closed segment ends inside an append".into(),
        ));
    }
    Ok(good_end)
}

/// After a bad record at `bad_offset` (expected to hold position `expected`),
/// looks for any valid record further on that was written by a later group
/// commit. Its presence proves the bad record had been made durable (commits
/// are written one after another, each after the previous one's `fdatasync`),
/// so the damage is corruption, not a torn write.
fn later_commit_follows(
    segment: &Segment,
    bad_offset: u64,
    end: u64,
    max_len: usize,
    expected: u64,
) -> StoreResult<bool> {
    if only_zeros(segment, bad_offset, end)? {
        return Ok(false);
    }
    let len = (end - bad_offset) as usize;
    let mut rest = vec![0; len];
    let got = segment.read_at(&mut rest, bad_offset)?;
    rest.truncate(got);
    let mut start = 1;
    while start < rest.len() {
        let Some(declared) = frame::declared_len(&rest[start..]) else {
            break;
        };
        if declared <= rest.len() - start
            && declared <= max_len + frame::FRAME_HEADER_LEN
            && let Ok(frame) = frame::decode_frame(&rest[start..], max_len)
            && frame.body.position > expected
        {
            if frame.body.commit > expected {
                return Ok(true);
            }
            start += frame.len;
            continue;
        }
        start += 1;
    }
    Ok(false)
}
