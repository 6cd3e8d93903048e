//! Reading the log: a chunked frame cursor over one segment, and the
//! `read_all` / `read_stream` paths built on it. Readers see only what the
//! writer has published to the index, so never an unacknowledged event.

use bytes::Bytes;
use uuid::Uuid;

use super::Shared;
use super::frame::{self, FRAME_HEADER_LEN, Frame, FrameError};
use super::segment::Segment;
use crate::error::{StoreError, StoreResult};
use crate::model::{EventMetadata, ReadDirection, RecordedEvent, StreamName, Timestamp};

/// Bytes read from a segment at a time by sequential scans.
pub(super) const SCAN_CHUNK: usize = 1 << 20;
/// Bytes read first when fetching one record.
const SINGLE_CHUNK: usize = 4096;

/// What a [`FrameCursor`] found next. Lives only on the stack between two
/// calls, so the size of the `Frame` variant does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Step<'a> {
    /// A valid record at this file offset.
    Frame(u64, Frame<'a>),
    /// The cursor reached its end offset exactly.
    End,
    /// The bytes at this offset are not a valid record.
    Bad { offset: u64, error: FrameError },
}

/// Walks the records of one segment between two offsets, reading the file
/// in chunks and decoding without copying.
pub(super) struct FrameCursor<'s> {
    segment: &'s Segment,
    end: u64,
    max_len: usize,
    chunk: usize,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_start: u64,
    consumed: usize,
    filled: usize,
    eof: bool,
}

impl<'s> FrameCursor<'s> {
    pub(super) fn new(
        segment: &'s Segment,
        start: u64,
        end: u64,
        max_len: usize,
        chunk: usize,
    ) -> Self {
        Self {
            segment,
            end,
            max_len,
            chunk,
            buf: Vec::new(),
            buf_start: start,
            consumed: 0,
            filled: 0,
            eof: false,
        }
    }

    /// The file offset of the next record.
    pub(super) fn offset(&self) -> u64 {
        self.buf_start + self.consumed as u64
    }

    fn filled_until(&self) -> u64 {
        self.buf_start + self.filled as u64
    }

    fn refill(&mut self, need: usize) -> StoreResult<()> {
        self.buf.copy_within(self.consumed..self.filled, 0);
        self.buf_start += self.consumed as u64;
        self.filled -= self.consumed;
        self.consumed = 0;
        let want = need.max(self.chunk);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let room = (self.buf.len() - self.filled) as u64;
        let left = self.end.saturating_sub(self.filled_until());
        let take = room.min(left) as usize;
        let at = self.filled_until();
        let got = self
            .segment
            .read_at(&mut self.buf[self.filled..self.filled + take], at)?;
        self.filled += got;
        if got < take {
            self.eof = true;
        }
        Ok(())
    }

    /// The next record, the end, or what is wrong with the bytes there.
    pub(super) fn next_frame(&mut self) -> StoreResult<Step<'_>> {
        loop {
            let avail = self.filled - self.consumed;
            if avail == 0 && self.filled_until() >= self.end {
                return Ok(Step::End);
            }
            let need = frame::declared_len(&self.buf[self.consumed..self.filled])
                .unwrap_or(FRAME_HEADER_LEN);
            if avail >= need || need > self.max_len + FRAME_HEADER_LEN {
                break;
            }
            if self.eof || self.filled_until() >= self.end {
                break;
            }
            self.refill(need)?;
        }
        let offset = self.offset();
        match frame::decode_frame(&self.buf[self.consumed..self.filled], self.max_len) {
            Ok(frame) => {
                self.consumed += frame.len;
                Ok(Step::Frame(offset, frame))
            }
            Err(error) => Ok(Step::Bad { offset, error }),
        }
    }
}

/// Turns a decoded record into an owned event.
pub(super) fn to_event(frame: &Frame<'_>) -> RecordedEvent {
    let b = &frame.body;
    RecordedEvent {
        id: Uuid::from_bytes(b.event_id),
        stream: StreamName::trusted(b.stream.to_owned()),
        version: b.version,
        position: b.position,
        event_type: b.event_type.to_owned(),
        schema_version: b.schema_version,
        recorded_at: Timestamp(b.recorded_at),
        metadata: EventMetadata {
            correlation_id: b.metadata.correlation_id.map(Uuid::from_bytes),
            causation_id: b.metadata.causation_id.map(Uuid::from_bytes),
            actor_id: b.metadata.actor_id.map(str::to_owned),
        },
        payload: Bytes::copy_from_slice(b.payload),
    }
}

fn corrupt(segment: &Segment, position: u64, offset: u64, reason: String) -> StoreError {
    StoreError::Corrupt {
        position,
        file: segment.path.clone(),
        offset,
        reason,
    }
}

/// Reads up to `max` committed events from `from` on, in order.
pub(super) fn read_all(shared: &Shared, from: u64, max: usize) -> StoreResult<Vec<RecordedEvent>> {
    let mut out = Vec::with_capacity(max.min(4096));
    let mut next = from;
    while out.len() < max {
        let (location, head, segment) = {
            let index = shared.index.read();
            let head = index.head();
            let Some(location) = index.location(next) else {
                break;
            };
            let Some(segment) = shared.segment(location.segment()) else {
                break;
            };
            (location, head, segment)
        };
        // Everything below `head` is committed; the segment's committed
        // length was read after it, so it covers at least those records.
        let end = segment.committed_len();
        let chunk = SCAN_CHUNK
            .min((end - location.offset()) as usize)
            .max(FRAME_HEADER_LEN);
        let mut cursor = FrameCursor::new(
            &segment,
            location.offset(),
            end,
            shared.config.max_record_len(),
            chunk,
        );
        while out.len() < max && next < head {
            match cursor.next_frame()? {
                Step::Frame(offset, frame) => {
                    if frame.body.position != next {
                        let reason = format!("record holds position {}", frame.body.position);
                        return Err(corrupt(&segment, next, offset, reason));
                    }
                    out.push(to_event(&frame));
                    next += 1;
                }
                Step::End => break,
                Step::Bad { offset, error } => {
                    return Err(corrupt(&segment, next, offset, error.to_string()));
                }
            }
        }
        if next >= head {
            break;
        }
    }
    Ok(out)
}

/// Reads the one committed event at `position`.
pub(super) fn read_at_position(
    shared: &Shared,
    position: u64,
) -> StoreResult<Option<RecordedEvent>> {
    let location = shared.index.read().location(position);
    let Some(location) = location else {
        return Ok(None);
    };
    let Some(segment) = shared.segment(location.segment()) else {
        return Ok(None);
    };
    let end = segment.committed_len();
    let mut cursor = FrameCursor::new(
        &segment,
        location.offset(),
        end,
        shared.config.max_record_len(),
        SINGLE_CHUNK,
    );
    match cursor.next_frame()? {
        Step::Frame(offset, frame) if frame.body.position == position => {
            let _ = offset;
            Ok(Some(to_event(&frame)))
        }
        Step::Frame(offset, frame) => Err(corrupt(
            &segment,
            position,
            offset,
            format!("record holds position {}", frame.body.position),
        )),
        Step::End => Err(corrupt(
            &segment,
            position,
            location.offset(),
            "index points past the end".into(),
        )),
        Step::Bad { offset, error } => Err(corrupt(&segment, position, offset, error.to_string())),
    }
}

/// Reads up to `max` events of a stream from a revision, either way.
pub(super) fn read_stream(
    shared: &Shared,
    stream: &StreamName,
    from_version: u64,
    max: usize,
    direction: ReadDirection,
) -> StoreResult<Vec<RecordedEvent>> {
    let positions: Vec<u64> = {
        let index = shared.index.read();
        let Some(all) = index.stream_positions(stream.as_str()) else {
            return Ok(Vec::new());
        };
        let len = all.len() as u64;
        match direction {
            ReadDirection::Forward => {
                if from_version >= len {
                    return Ok(Vec::new());
                }
                let start = from_version as usize;
                let stop = start.saturating_add(max).min(all.len());
                all[start..stop].to_vec()
            }
            ReadDirection::Backward => {
                let last = from_version.min(len.saturating_sub(1)) as usize;
                if len == 0 {
                    return Ok(Vec::new());
                }
                let start = (last + 1).saturating_sub(max);
                all[start..=last].iter().rev().copied().collect()
            }
        }
    };
    let mut out = Vec::with_capacity(positions.len());
    for position in positions {
        match read_at_position(shared, position)? {
            Some(event) => out.push(event),
            None => break,
        }
    }
    Ok(out)
}
