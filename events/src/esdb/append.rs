//! Appends: validation, detection of earlier appends of the same ids, and an
//! optimistic write that the server checks against the revision we read.

use std::collections::{HashMap, HashSet};

use kurrentdb::{
    AppendToStreamOptions, CurrentRevision, Error, EventData, StreamPosition, StreamState,
    WriteResult,
};
use uuid::Uuid;

use super::Inner;
use super::cache::Written;
use super::conn::CallError;
use super::convert;
use super::read;
use crate::error::{StoreError, StoreResult};
use crate::model::{AppendResult, ExpectedVersion, NewEvent, ReadDirection, StreamName};

/// Largest payload of one event, as in the embedded log. The server's own
/// limit on a whole append (`MaxAppendSize`, 1 MiB by default) also applies
/// and is reported as [`StoreError::InvalidBatch`].
pub(super) const MAX_PAYLOAD_BYTES: usize = 8 << 20;
/// Most events in one append, as in the embedded log.
pub(super) const MAX_EVENTS_PER_APPEND: usize = 10_000;
/// How many of a stream's newest events are searched for the batch's ids
/// before every append.
pub(super) const REPEAT_WINDOW: usize = 32;
/// Appends with `Any` / `StreamExists` are written against the exact
/// revision just read; after this many lost races the last try lets the
/// server apply the loose expectation itself.
const ATTEMPTS: u32 = 5;
/// gRPC's `INVALID_ARGUMENT`, what the server answers an append too large.
const GRPC_INVALID_ARGUMENT: i32 = 3;

/// What the stream says about a batch before it is written.
enum Prior {
    /// Every id was written, in this stream, in this order: the original
    /// result.
    Repeat(AppendResult),
    /// None of the ids is known to be written; the stream's last revision.
    Fresh(Option<u64>),
}

/// [`EventStore::append`](crate::EventStore::append) on EventStoreDB; see
/// the module documentation of `esdb` for what it guarantees.
pub(super) async fn append(
    inner: &Inner,
    stream: &StreamName,
    expected: ExpectedVersion,
    events: &[NewEvent],
) -> StoreResult<AppendResult> {
    validate(events)?;
    let data: Vec<EventData> = events.iter().map(convert::to_event_data).collect();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = match prior(inner, stream, events).await? {
            Prior::Repeat(result) => return Ok(result),
            Prior::Fresh(current) => current,
        };
        if !expected.is_satisfied_by(current) {
            return Err(wrong_version(stream, expected, current));
        }
        let last_try = attempt >= ATTEMPTS;
        let state = match expected {
            ExpectedVersion::Any if last_try => StreamState::Any,
            ExpectedVersion::StreamExists if last_try => StreamState::StreamExists,
            _ => current.map_or(StreamState::NoStream, StreamState::StreamRevision),
        };
        match write(inner, stream, state, &data).await {
            Ok(written) => return finish(inner, stream, events, &written).await,
            Err(CallError {
                error: Error::WrongExpectedVersion { current, .. },
                ..
            }) => {
                // Someone wrote between our read and our write — perhaps this
                // very batch, sent concurrently. Look again.
                if last_try {
                    let actual = match current {
                        CurrentRevision::Current(revision) => Some(revision),
                        CurrentRevision::NoStream => None,
                    };
                    return Err(wrong_version(stream, expected, actual));
                }
            }
            Err(CallError {
                error: Error::Grpc { code, message },
                ..
            }) if i32::from(code) == GRPC_INVALID_ARGUMENT => {
                return Err(StoreError::InvalidBatch(format!(
                    "refused by EventStoreDB: {message}"
                )));
            }
            Err(failure) => return Err(inner.conn.fail(failure, "appending")),
        }
    }
}

fn wrong_version(
    stream: &StreamName,
    expected: ExpectedVersion,
    actual: Option<u64>,
) -> StoreError {
    StoreError::WrongExpectedVersion {
        stream: stream.as_str().to_owned(),
        expected,
        actual,
    }
}

/// The checks the embedded log makes before anything reaches the server,
/// plus one of EventStoreDB's: `$`-prefixed types are reserved for its own
/// events (and `read_all` / `subscribe_all` skip them).
fn validate(events: &[NewEvent]) -> StoreResult<()> {
    if events.is_empty() {
        return Err(StoreError::InvalidBatch(
            "an append needs at least one event".into(),
        ));
    }
    if events.len() > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::InvalidBatch(format!(
            "{} events exceed the limit of {MAX_EVENTS_PER_APPEND} per append",
            events.len()
        )));
    }
    let mut seen = HashSet::with_capacity(events.len());
    for event in events {
        event.validate(MAX_PAYLOAD_BYTES)?;
        if event.event_type.starts_with('$') {
            return Err(StoreError::InvalidEvent {
                id: event.id,
                reason: "event types starting with '$' are reserved for EventStoreDB's own events"
                    .into(),
            });
        }
        if !seen.insert(event.id) {
            return Err(StoreError::InvalidBatch(format!(
                "event id {} appears twice",
                event.id
            )));
        }
    }
    Ok(())
}

/// Finds where the batch's ids were already written — in this process's
/// memory of ids, among the stream's newest [`REPEAT_WINDOW`] events, and
/// at the revisions an exact repeat would occupy — and decides as the
/// embedded log does: nothing written → fresh; all written here in this
/// order → repeat; anything else → [`StoreError::DuplicateEventId`].
async fn prior(inner: &Inner, stream: &StreamName, events: &[NewEvent]) -> StoreResult<Prior> {
    let fail = |failure| {
        inner
            .conn
            .fail(failure, "checking the stream before appending")
    };
    let name = stream.as_str();
    let n = events.len();
    let index: HashMap<Uuid, usize> = events.iter().enumerate().map(|(k, e)| (e.id, k)).collect();
    let mut written: Vec<Option<Written>> = events.iter().map(|e| inner.ids.get(&e.id)).collect();

    let tail = read::stream_events(
        inner,
        name,
        StreamPosition::End,
        ReadDirection::Backward,
        REPEAT_WINDOW,
    )
    .await
    .map_err(fail)?;
    let current = tail.first().map(|e| e.revision);
    for event in &tail {
        if let Some(&k) = index.get(&event.id) {
            written[k] = Some(here(name, event));
        }
    }

    // If an id sits in this stream, read the revisions the whole batch would
    // occupy were it an exact repeat.
    let layout_start = written.iter().enumerate().find_map(|(k, w)| {
        w.as_ref()
            .filter(|w| w.stream == name)
            .and_then(|w| w.version.checked_sub(k as u64))
    });
    if let Some(start) = layout_start {
        let layout = read::stream_events(
            inner,
            name,
            StreamPosition::Position(start),
            ReadDirection::Forward,
            n,
        )
        .await
        .map_err(fail)?;
        for event in &layout {
            let k = event
                .revision
                .checked_sub(start)
                .and_then(|k| usize::try_from(k).ok());
            if let Some(k) = k
                && k < n
                && event.id == events[k].id
            {
                written[k] = Some(here(name, event));
            }
        }
    }

    let Some((first_index, first)) = written
        .iter()
        .enumerate()
        .find_map(|(k, w)| w.as_ref().map(|w| (k, w)))
    else {
        return Ok(Prior::Fresh(current));
    };
    let exact = written.iter().enumerate().all(|(k, w)| {
        w.as_ref()
            .is_some_and(|w| w.stream == name && w.version == first.version + k as u64)
    });
    if !exact {
        return Err(StoreError::DuplicateEventId {
            id: events[first_index].id,
            position: position_of(inner, first).await?,
        });
    }
    let last = written[n - 1].as_ref().unwrap_or(first);
    Ok(Prior::Repeat(AppendResult {
        first_version: first.version,
        next_version: first.version + n as u64,
        position: position_of(inner, last).await?,
    }))
}

fn here(stream: &str, event: &convert::EsdbEvent) -> Written {
    Written {
        stream: stream.to_owned(),
        version: event.revision,
        position: convert::known_position(event),
    }
}

/// The `$all` position of a written event, read from its stream if not
/// known.
async fn position_of(inner: &Inner, written: &Written) -> StoreResult<u64> {
    if let Some(position) = written.position {
        return Ok(position);
    }
    let found = read::stream_events(
        inner,
        &written.stream,
        StreamPosition::Position(written.version),
        ReadDirection::Forward,
        1,
    )
    .await
    .map_err(|failure| inner.conn.fail(failure, "reading an event's position"))?;
    match found.first() {
        Some(event) if event.revision == written.version => convert::position(event),
        _ => Err(StoreError::Backend(format!(
            "event {} of stream {:?} is gone from EventStoreDB",
            written.version, written.stream
        ))),
    }
}

async fn write(
    inner: &Inner,
    stream: &StreamName,
    state: StreamState,
    data: &[EventData],
) -> Result<WriteResult, CallError> {
    let options = AppendToStreamOptions::default().stream_state(state);
    inner
        .conn
        .call(|client| {
            let options = options.clone();
            let data = data.to_vec();
            let stream = stream.as_str().to_owned();
            async move { client.append_to_stream(stream, &options, data).await }
        })
        .await
}

/// The result of a successful write, remembered for later repeats.
async fn finish(
    inner: &Inner,
    stream: &StreamName,
    events: &[NewEvent],
    written: &WriteResult,
) -> StoreResult<AppendResult> {
    let n = events.len() as u64;
    // Despite its name, kurrentdb's `next_expected_version` is the stream's
    // revision after the write: the batch's last revision.
    let last = written.next_expected_version;
    let Some(first) = (last + 1).checked_sub(n) else {
        return Err(StoreError::Backend(format!(
            "EventStoreDB reported revision {last} after an append of {n} events"
        )));
    };
    let commit = written.position.commit;
    let position = if commit == 0 || commit == u64::MAX {
        // No position: the server acknowledged an earlier identical append
        // without finding its position. Read it.
        let at = Written {
            stream: stream.as_str().to_owned(),
            version: last,
            position: None,
        };
        position_of(inner, &at).await?
    } else {
        commit
    };
    inner.positions.insert(position);
    for (k, event) in events.iter().enumerate() {
        let version = first + k as u64;
        inner.ids.insert(
            event.id,
            Written {
                stream: stream.as_str().to_owned(),
                version,
                position: (version == last).then_some(position),
            },
        );
    }
    Ok(AppendResult {
        first_version: first,
        next_version: last + 1,
        position,
    })
}
