//! The audit API: the event history as recorded, for auditors and admins
//! (the routes' policy), read-only.
//!
//! - `GET /v1/audit/events?from_position=&limit=&type=&stream_prefix=&from_time=&to_time=`:
//!   `$all` in global order, filtered; a page ends after `limit` matches or
//!   after [`MAX_SCAN_PER_PAGE`] events looked at, and `next_position` (a
//!   log position: stable, the log is append-only) continues it.
//! - `GET /v1/audit/streams/{stream}?from_version=&limit=`: one stream in
//!   version order; `next_version` continues it.
//!
//! Each event comes with its metadata (stream, version, position, id,
//! type, schema version, recorded at, correlation, causation, actor) and
//! its payload as JSON with every sealed personal field shown as
//! `"[sealed]"`. With `Accept: application/x-ndjson` the answer is one
//! event per line over the whole range up to the head as it was when the
//! request came (`limit` ignored), read from the log [`NDJSON_CHUNK`]
//! events at a time and written as it is read, never held whole.
//!
//! Every audit read is itself recorded before it is answered: an
//! `AuditLogRead` (reader, route, path and query, time) on the stream
//! `audit-{reader id}`; a read that cannot be recorded is not answered.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::user::Principal;
use agora_events::domain::DomainEvent as _;
use agora_events::domain::audit::{AuditEvent, AuditLogRead, audit_stream};
use agora_events::domain::json::payload_json;
use agora_events::{
    EventMetadata, EventStore as _, ExpectedVersion, LogStore, ReadDirection, RecordedEvent,
    StreamName, Timestamp,
};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Authenticated;
use super::fields;
use super::problem::{ApiError, ProblemKind};
use crate::timefmt::rfc3339;

/// Largest audit page.
pub(crate) const MAX_AUDIT_PAGE: usize = 1000;
/// Page size without `limit`.
const DEFAULT_AUDIT_PAGE: usize = 100;
/// Most events one page of `GET /v1/audit/events` looks at, matching or
/// not: the bound on a filtered page's work.
pub(crate) const MAX_SCAN_PER_PAGE: usize = 10_000;
/// Events read from the log at a time while streaming NDJSON.
pub(crate) const NDJSON_CHUNK: usize = 1000;
/// The NDJSON media type.
pub(crate) const NDJSON: &str = "application/x-ndjson";
/// Longest request target an `AuditLogRead` keeps, in bytes.
const MAX_TARGET_BYTES: usize = 2048;

/// Query of `GET /v1/audit/events`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// First position to look at (default 0).
    from_position: Option<u64>,
    /// Most events in the page, 1 to 1000 (default 100).
    #[schemars(with = "Option<fields::AuditLimit>")]
    limit: Option<usize>,
    /// Only events of this type.
    #[serde(rename = "type")]
    #[schemars(with = "Option<fields::EventType>")]
    event_type: Option<String>,
    /// Only events of streams whose name starts with this.
    #[schemars(with = "Option<fields::StreamPrefix>")]
    stream_prefix: Option<String>,
    /// Only events recorded at or after this time.
    #[schemars(with = "Option<fields::Time>")]
    from_time: Option<String>,
    /// Only events recorded before this time.
    #[schemars(with = "Option<fields::Time>")]
    to_time: Option<String>,
}

/// Query of `GET /v1/audit/streams/{stream}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamQuery {
    /// First version to read (default 0).
    from_version: Option<u64>,
    /// Most events in the page, 1 to 1000 (default 100).
    #[schemars(with = "Option<fields::AuditLimit>")]
    limit: Option<usize>,
}

/// One recorded event, as auditors see it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct AuditEventView {
    /// Global position in `$all`.
    position: u64,
    /// The stream it belongs to.
    stream: String,
    /// Its 0-based version within the stream.
    version: u64,
    /// The event's id (UUID).
    id: String,
    /// Its type name.
    #[serde(rename = "type")]
    event_type: String,
    /// The schema version its payload was written with.
    schema_version: u32,
    /// When the store committed it, RFC 3339.
    recorded_at: String,
    /// The same, in microseconds since the Unix epoch.
    recorded_at_micros: i64,
    /// Groups the events of one original request.
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<String>,
    /// The message that directly caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    causation_id: Option<String>,
    /// Who it was written for.
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_id: Option<String>,
    /// The payload as JSON (`schemas/events/{type}.v{N}.json`, upcast to
    /// the current version), sealed personal fields as `"[sealed]"`;
    /// `null` if this build cannot decode it (see `payload_error`).
    payload: serde_json::Value,
    /// Why the payload could not be shown, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_error: Option<String>,
}

impl From<&RecordedEvent> for AuditEventView {
    fn from(e: &RecordedEvent) -> Self {
        let (payload, payload_error) =
            match payload_json(&e.event_type, e.schema_version, &e.payload) {
                Ok(json) => (json, None),
                Err(error) => (serde_json::Value::Null, Some(error.to_string())),
            };
        Self {
            position: e.position,
            stream: e.stream.to_string(),
            version: e.version,
            id: e.id.to_string(),
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            recorded_at: rfc3339(e.recorded_at),
            recorded_at_micros: e.recorded_at.0,
            correlation_id: e.metadata.correlation_id.map(|u| u.to_string()),
            causation_id: e.metadata.causation_id.map(|u| u.to_string()),
            actor_id: e.metadata.actor_id.clone(),
            payload,
            payload_error,
        }
    }
}

/// A page of `$all`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct EventPage {
    /// The matching events, in global order.
    events: Vec<AuditEventView>,
    /// The position to continue from (`from_position` of the next page).
    next_position: u64,
    /// Whether the log held nothing after this page when it was read
    /// (later pages may still come as events are appended).
    complete: bool,
}

/// A page of one stream.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct StreamPage {
    /// The stream.
    stream: String,
    /// Its events, in version order.
    events: Vec<AuditEventView>,
    /// The version to continue from (`from_version` of the next page).
    next_version: u64,
    /// Whether the stream held nothing after this page when it was read.
    complete: bool,
}

/// The filters of `GET /v1/audit/events`, parsed.
#[derive(Clone, Debug)]
struct Filter {
    event_type: Option<String>,
    stream_prefix: Option<String>,
    from_time: Option<Timestamp>,
    to_time: Option<Timestamp>,
}

impl Filter {
    fn parse(query: &EventsQuery) -> Result<Self, ApiError> {
        let time = |t: &Option<String>| {
            t.as_deref()
                .map(crate::timefmt::parse_time)
                .transpose()
                .map_err(ApiError::from)
        };
        Ok(Self {
            event_type: query.event_type.clone(),
            stream_prefix: query.stream_prefix.clone(),
            from_time: time(&query.from_time)?,
            to_time: time(&query.to_time)?,
        })
    }

    fn matches(&self, event: &RecordedEvent) -> bool {
        self.event_type
            .as_ref()
            .is_none_or(|t| *t == event.event_type)
            && self
                .stream_prefix
                .as_ref()
                .is_none_or(|p| event.stream.as_str().starts_with(p.as_str()))
            && self.from_time.is_none_or(|t| event.recorded_at >= t)
            && self.to_time.is_none_or(|t| event.recorded_at < t)
    }
}

/// Whether the request asks for NDJSON.
fn wants_ndjson(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(NDJSON))
}

/// Records that `reader` read `route` (the request's target), on
/// `audit-{reader}`, before the read is answered.
pub(crate) async fn record_read(
    state: &AppState,
    reader: &Principal,
    route: &str,
    request: &HttpRequest,
) -> Result<(), ApiError> {
    let mut target = request.uri().to_string();
    if target.len() > MAX_TARGET_BYTES {
        let mut cut = MAX_TARGET_BYTES;
        while !target.is_char_boundary(cut) {
            cut -= 1;
        }
        target.truncate(cut);
    }
    let event = AuditEvent::Read(AuditLogRead {
        reader: reader.user_id.clone(),
        route: route.to_owned(),
        target,
        read_at: state.clock.now(),
    });
    let metadata = EventMetadata {
        actor_id: Some(reader.user_id.clone()),
        ..EventMetadata::default()
    };
    let event = event
        .to_new_event(metadata)
        .map_err(|e| ApiError::new(ProblemKind::Internal, e.to_string()))?;
    let stream = StreamName::new(audit_stream(&reader.user_id))?;
    state
        .store
        .append(&stream, ExpectedVersion::Any, vec![event])
        .await?;
    Ok(())
}

/// `GET /v1/audit/events`.
pub(crate) async fn events(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = Filter::parse(&query)?;
    let limit = page_size(query.limit)?;
    let from = query.from_position.unwrap_or(0);
    record_read(&state, &auth.0, "GET /v1/audit/events", &request).await?;
    if wants_ndjson(&request) {
        let end = state.store.head_position().await?.map_or(0, |h| h + 1);
        return Ok(ndjson(all_lines(state.store.clone(), from, end, filter)));
    }
    let mut events = Vec::new();
    let mut next = from;
    let mut scanned = 0;
    let mut complete = false;
    while events.len() < limit && scanned < MAX_SCAN_PER_PAGE {
        let want = (MAX_SCAN_PER_PAGE - scanned).min(NDJSON_CHUNK);
        let chunk = state.store.read_all(next, want).await?;
        if chunk.is_empty() {
            complete = true;
            break;
        }
        for event in &chunk {
            scanned += 1;
            next = event.position.saturating_add(1);
            if filter.matches(event) {
                events.push(AuditEventView::from(event));
                if events.len() == limit {
                    break;
                }
            }
        }
    }
    if !complete {
        complete = state.store.head_position().await?.is_none_or(|h| h < next);
    }
    Ok(HttpResponse::Ok().json(EventPage {
        events,
        next_position: next,
        complete,
    }))
}

/// `GET /v1/audit/streams/{stream}`.
pub(crate) async fn stream(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    name: web::Path<String>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let stream = StreamName::new(name.into_inner())?;
    let limit = page_size(query.limit)?;
    let from = query.from_version.unwrap_or(0);
    record_read(&state, &auth.0, "GET /v1/audit/streams/{stream}", &request).await?;
    if wants_ndjson(&request) {
        let end = state
            .store
            .stream_version(&stream)
            .await?
            .map_or(0, |v| v + 1);
        return Ok(ndjson(stream_lines(state.store.clone(), stream, from, end)));
    }
    let mut read = state
        .store
        .read_stream(&stream, from, limit + 1, ReadDirection::Forward)
        .await?;
    let complete = read.len() <= limit;
    read.truncate(limit);
    let next_version = read.last().map_or(from, |e| e.version.saturating_add(1));
    Ok(HttpResponse::Ok().json(StreamPage {
        stream: stream.to_string(),
        events: read.iter().map(AuditEventView::from).collect(),
        next_version,
        complete,
    }))
}

/// The page size asked for, within 1 to [`MAX_AUDIT_PAGE`].
fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(DEFAULT_AUDIT_PAGE);
    if (1..=MAX_AUDIT_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("limit must be 1 to {MAX_AUDIT_PAGE}"),
        ))
    }
}

/// A chunk of NDJSON lines, or the error that ends the stream (the
/// connection then closes before the end: a client sees the cut).
type Chunk = Result<Bytes, std::io::Error>;

/// An error of the store or the encoder while streaming.
fn cut(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// The answer streaming `lines`.
fn ndjson(lines: impl futures::Stream<Item = Chunk> + 'static) -> HttpResponse {
    HttpResponse::Ok().content_type(NDJSON).streaming(lines)
}

/// One NDJSON line per event of `chunk` that `keep` keeps.
fn lines(chunk: &[RecordedEvent], keep: impl Fn(&RecordedEvent) -> bool) -> Chunk {
    let mut out = Vec::new();
    for event in chunk.iter().filter(|e| keep(e)) {
        serde_json::to_writer(&mut out, &AuditEventView::from(event)).map_err(cut)?;
        out.push(b'\n');
    }
    Ok(Bytes::from(out))
}

/// The events of `$all` from `from` to before `end` that `filter` keeps,
/// as NDJSON, read [`NDJSON_CHUNK`] at a time.
fn all_lines(
    store: LogStore,
    from: u64,
    end: u64,
    filter: Filter,
) -> impl futures::Stream<Item = Chunk> {
    futures::stream::try_unfold(from, move |next| {
        let store = store.clone();
        let filter = filter.clone();
        async move {
            if next >= end {
                return Ok(None);
            }
            let want = usize::try_from(end - next).map_or(NDJSON_CHUNK, |n| n.min(NDJSON_CHUNK));
            let chunk = store.read_all(next, want).await.map_err(cut)?;
            let Some(last) = chunk.last() else {
                return Ok(None);
            };
            let after = last.position.saturating_add(1);
            let text = lines(&chunk, |e| e.position < end && filter.matches(e))?;
            Ok(Some((text, after)))
        }
    })
}

/// The events of `stream` from version `from` to before `end`, as NDJSON.
fn stream_lines(
    store: LogStore,
    stream: StreamName,
    from: u64,
    end: u64,
) -> impl futures::Stream<Item = Chunk> {
    futures::stream::try_unfold(from, move |next| {
        let store = store.clone();
        let stream = stream.clone();
        async move {
            if next >= end {
                return Ok(None);
            }
            let chunk = store
                .read_stream(&stream, next, NDJSON_CHUNK, ReadDirection::Forward)
                .await
                .map_err(cut)?;
            let Some(last) = chunk.last() else {
                return Ok(None);
            };
            let after = last.version.saturating_add(1);
            let text = lines(&chunk, |e| e.version < end)?;
            Ok(Some((text, after)))
        }
    })
}
