//! Reads: streams, `$all`, versions and the head — and finding where in
//! `$all` a read may start.
//!
//! EventStoreDB positions are byte offsets in its transaction log, and the
//! server refuses to read or subscribe from an offset that is not the start
//! of a record ("invalid position"). Callers, written against a dense log,
//! ask for `last.position + 1`; [`anchor`] turns any number into a position
//! the server accepts and from which nothing at or after the asked one is
//! missed: a position this process has already seen (the common case), else
//! the asked position or the one before it if the server accepts them, else
//! a backward scan from the head.

use std::time::Duration;

use kurrentdb::{
    Error, Position, ReadAllOptions, ReadStreamOptions, StreamPosition, SubscriptionFilter,
};

use super::Inner;
use super::cache::Written;
use super::conn::CallError;
use super::convert::{self, EsdbEvent};
use crate::error::StoreResult;
use crate::model::{ReadDirection, RecordedEvent, StreamName};

/// Deadline of one read request (reads are streaming calls, which kurrentdb
/// gives no deadline by default).
pub(super) const READ_DEADLINE: Duration = Duration::from_secs(30);
/// Events per `$all` request of `read_all`.
const PAGE: usize = 1024;
/// Events per request when scanning `$all` backwards.
const SCAN_PAGE: usize = 256;
/// The largest revision EventStoreDB can hold (revisions are `i64` on the
/// server; larger numbers mean "no stream", "any", … there).
const MAX_REVISION: u64 = i64::MAX as u64;

/// Where a read or subscription of `$all` starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Anchor {
    /// The beginning of `$all`.
    Start,
    /// The position of a record in `$all`. Either it is below the asked
    /// position, or no event lies between the asked position and it.
    At(u64),
}

/// The server-side filter of `$all` reads and subscriptions: user streams
/// only. (System *types* in user streams, such as link events, are dropped
/// on our side by [`convert::is_system`].)
pub(super) fn user_streams() -> SubscriptionFilter {
    SubscriptionFilter::on_stream_name().regex("^[^$]")
}

/// The `$all` position of a record at commit position `position` (commit and
/// prepare positions are equal for every event written over gRPC).
pub(super) fn all_position(position: u64) -> StreamPosition<Position> {
    StreamPosition::Position(Position {
        commit: position,
        prepare: position,
    })
}

/// Up to `count` events of a stream from `from`; a missing stream reads as
/// empty.
pub(super) async fn stream_events(
    inner: &Inner,
    stream: &str,
    from: StreamPosition<u64>,
    direction: ReadDirection,
    count: usize,
) -> Result<Vec<EsdbEvent>, CallError> {
    let options = ReadStreamOptions::default()
        .position(from)
        .max_count(count)
        .deadline(READ_DEADLINE);
    let options = match direction {
        ReadDirection::Forward => options.forwards(),
        ReadDirection::Backward => options.backwards(),
    };
    let events = inner
        .conn
        .call(|client| {
            let options = options.clone();
            let stream = stream.to_owned();
            async move {
                let mut reader = match client.read_stream(stream, &options).await {
                    Ok(reader) => reader,
                    Err(Error::ResourceNotFound) => return Ok(Vec::new()),
                    Err(e) => return Err(e),
                };
                let mut out = Vec::new();
                loop {
                    match reader.next().await {
                        Ok(Some(resolved)) => out.extend(resolved.event),
                        Ok(None) => return Ok(out),
                        Err(Error::ResourceNotFound) => return Ok(Vec::new()),
                        Err(e) => return Err(e),
                    }
                }
            }
        })
        .await?;
    for event in &events {
        remember(inner, event);
    }
    Ok(events)
}

/// Up to `count` events of `$all` from `from`, all of them or only those of
/// user streams.
pub(super) async fn all_events(
    inner: &Inner,
    from: StreamPosition<Position>,
    direction: ReadDirection,
    count: usize,
    user_only: bool,
) -> Result<Vec<EsdbEvent>, CallError> {
    let options = ReadAllOptions::default()
        .position(from)
        .max_count(count)
        .deadline(READ_DEADLINE);
    let options = match direction {
        ReadDirection::Forward => options.forwards(),
        ReadDirection::Backward => options.backwards(),
    };
    let options = if user_only {
        options.filter(user_streams())
    } else {
        options
    };
    let events = inner
        .conn
        .call(|client| {
            let options = options.clone();
            async move {
                let mut reader = client.read_all(&options).await?;
                let mut out = Vec::new();
                while let Some(resolved) = reader.next().await? {
                    out.extend(resolved.event);
                }
                Ok(out)
            }
        })
        .await?;
    for event in &events {
        if let Some(position) = convert::known_position(event) {
            inner.positions.insert(position);
        }
    }
    Ok(events)
}

/// Records what an event read from a stream tells: its position is real,
/// its id was written there.
fn remember(inner: &Inner, event: &EsdbEvent) {
    let position = convert::known_position(event);
    if let Some(position) = position {
        inner.positions.insert(position);
    }
    inner.ids.insert(
        event.id,
        Written {
            stream: event.stream_id().to_owned(),
            version: event.revision,
            position,
        },
    );
}

/// [`EventStore::read_stream`](crate::EventStore::read_stream).
pub(super) async fn read_stream(
    inner: &Inner,
    stream: &StreamName,
    from_version: u64,
    max: usize,
    direction: ReadDirection,
) -> StoreResult<Vec<RecordedEvent>> {
    let fail = |failure| inner.conn.fail(failure, "reading a stream");
    let name = stream.as_str();
    if max == 0 {
        return Ok(Vec::new());
    }
    let events = match direction {
        ReadDirection::Forward if from_version > MAX_REVISION => Vec::new(),
        ReadDirection::Forward => stream_events(
            inner,
            name,
            StreamPosition::Position(from_version),
            direction,
            max,
        )
        .await
        .map_err(fail)?,
        ReadDirection::Backward if from_version >= MAX_REVISION => {
            stream_events(inner, name, StreamPosition::End, direction, max)
                .await
                .map_err(fail)?
        }
        ReadDirection::Backward => {
            let events = stream_events(
                inner,
                name,
                StreamPosition::Position(from_version),
                direction,
                max,
            )
            .await
            .map_err(fail)?;
            if events.first().is_some_and(|e| e.revision == from_version) {
                events
            } else {
                // `from_version` is past the end (the server does not clamp
                // it): read from the end, as the contract says.
                let mut events = stream_events(inner, name, StreamPosition::End, direction, max)
                    .await
                    .map_err(fail)?;
                events.retain(|e| e.revision <= from_version);
                events
            }
        }
    };
    events.into_iter().map(convert::to_recorded).collect()
}

/// [`EventStore::stream_version`](crate::EventStore::stream_version).
pub(super) async fn stream_version(inner: &Inner, stream: &StreamName) -> StoreResult<Option<u64>> {
    let last = stream_events(
        inner,
        stream.as_str(),
        StreamPosition::End,
        ReadDirection::Backward,
        1,
    )
    .await
    .map_err(|failure| inner.conn.fail(failure, "reading a stream version"))?;
    Ok(last.first().map(|e| e.revision))
}

/// [`EventStore::read_all`](crate::EventStore::read_all): from the anchor of
/// `from`, in pages, dropping what lies below `from` and system events.
pub(super) async fn read_all(
    inner: &Inner,
    from: u64,
    max: usize,
) -> StoreResult<Vec<RecordedEvent>> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let mut start = match anchor(inner, from).await? {
        Anchor::Start => StreamPosition::Start,
        Anchor::At(position) => all_position(position),
    };
    // Everything below this was either asked not to be read or already seen.
    let mut next = from;
    let mut out = Vec::new();
    loop {
        // One more than needed: a page re-reads the event it starts at.
        let want = (max - out.len()).min(PAGE) + 1;
        let page = all_events(inner, start, ReadDirection::Forward, want, true)
            .await
            .map_err(|failure| inner.conn.fail(failure, "reading $all"))?;
        let got = page.len();
        let mut last = None;
        for event in page {
            let position = convert::position(&event)?;
            last = Some(position);
            if position < next {
                continue;
            }
            next = position.saturating_add(1);
            if convert::is_system(&event) {
                continue;
            }
            out.push(convert::to_recorded(event)?);
            if out.len() == max {
                return Ok(out);
            }
        }
        match last {
            Some(position) if got == want => start = all_position(position),
            _ => return Ok(out),
        }
    }
}

/// The position of the last event of `$all`: the last of any kind, or the
/// last of a user stream and type.
pub(super) async fn last_position(inner: &Inner, user_only: bool) -> StoreResult<Option<u64>> {
    let fail = |failure| inner.conn.fail(failure, "reading the head of $all");
    let page_size = if user_only { 64 } else { 1 };
    let mut from = StreamPosition::End;
    loop {
        // Backward reads are unfiltered: filtered backward reads of $all
        // are not supported by every server version.
        let page = all_events(inner, from, ReadDirection::Backward, page_size, false)
            .await
            .map_err(fail)?;
        for event in &page {
            if !user_only || !convert::is_system(event) {
                return convert::position(event).map(Some);
            }
        }
        match page.last() {
            Some(event) if page.len() == page_size => {
                from = all_position(convert::position(event)?);
            }
            _ => return Ok(None),
        }
    }
}

/// The position of the first record of `$all` at or after `position`:
/// `Some(None)` if there is none, `None` if the server refused (typically
/// because `position` is not the start of a record).
async fn first_at_or_after(inner: &Inner, position: u64) -> Option<Option<u64>> {
    let page = all_events(
        inner,
        all_position(position),
        ReadDirection::Forward,
        1,
        false,
    )
    .await
    .ok()?;
    match page.first() {
        None => Some(None),
        Some(event) => convert::known_position(event).map(Some),
    }
}

/// Where to read or subscribe from to see every event at or after `from`;
/// see the module doc.
pub(super) async fn anchor(inner: &Inner, from: u64) -> StoreResult<Anchor> {
    if from == 0 {
        return Ok(Anchor::Start);
    }
    if inner.positions.contains(from) {
        return Ok(Anchor::At(from));
    }
    if inner.positions.contains(from - 1) {
        return Ok(Anchor::At(from - 1));
    }
    for candidate in [from, from - 1] {
        match first_at_or_after(inner, candidate).await {
            Some(Some(position)) if position >= candidate => return Ok(Anchor::At(position)),
            Some(None) => {
                // `$all` ends before `candidate`: start after its last record.
                return match last_position(inner, false).await? {
                    None => Ok(Anchor::Start),
                    Some(head) if head < from => Ok(Anchor::At(head)),
                    // Events arrived meanwhile.
                    Some(_) => scan_back(inner, from).await,
                };
            }
            _ => {}
        }
    }
    scan_back(inner, from).await
}

/// The last record of `$all` below `from`, found by reading backwards from
/// the head.
async fn scan_back(inner: &Inner, from: u64) -> StoreResult<Anchor> {
    let fail = |failure| inner.conn.fail(failure, "finding a position in $all");
    let mut cursor = StreamPosition::End;
    loop {
        let page = all_events(inner, cursor, ReadDirection::Backward, SCAN_PAGE, false)
            .await
            .map_err(fail)?;
        for event in &page {
            let position = convert::position(event)?;
            if position < from {
                return Ok(Anchor::At(position));
            }
        }
        match page.last() {
            Some(event) if page.len() == SCAN_PAGE => {
                cursor = all_position(convert::position(event)?);
            }
            _ => return Ok(Anchor::Start),
        }
    }
}
