//! Our events to and from EventStoreDB's.

use kurrentdb::EventData;

use super::meta;
use crate::error::{StoreError, StoreResult};
use crate::model::{NewEvent, RecordedEvent, StreamName, Timestamp};

/// An event as kurrentdb reads it.
pub(super) type EsdbEvent = kurrentdb::RecordedEvent;

/// The position EventStoreDB reports for an event whose position it does not
/// know (`Position.FromInt64(-1, -1)`).
const NO_POSITION: u64 = u64::MAX;

/// The request for appending `event`: its id is the ESDB event id, its type
/// the ESDB event type, its payload the binary data, and correlation,
/// causation, actor and schema version the JSON custom metadata.
pub(super) fn to_event_data(event: &NewEvent) -> EventData {
    EventData::binary(&event.event_type, event.payload.clone())
        .id(event.id)
        .metadata(meta::encode(&event.metadata, event.schema_version))
}

/// Whether an event is EventStoreDB's own: in a system stream, or of a
/// system type (`$`-prefixed, e.g. link events `$>` or `$metadata`).
pub(super) fn is_system(event: &EsdbEvent) -> bool {
    event.stream_id().starts_with('$') || event.event_type.starts_with('$')
}

/// The event's `$all` position, if the server reported one.
pub(super) fn known_position(event: &EsdbEvent) -> Option<u64> {
    (event.position.commit != NO_POSITION).then_some(event.position.commit)
}

/// The event's `$all` position: its commit position.
pub(super) fn position(event: &EsdbEvent) -> StoreResult<u64> {
    known_position(event).ok_or_else(|| {
        StoreError::Backend(format!(
            "EventStoreDB did not report the $all position of event {} in stream {:?}; \
             this backend needs a server that reports positions on stream reads \
             (KurrentDB, or EventStoreDB 22.10 or later)",
            event.id,
            event.stream_id()
        ))
    })
}

/// When the server committed the event, to the microsecond: the `created`
/// property is .NET ticks (100 ns) since the Unix epoch (kurrentdb's own
/// `created` field drops everything below the second).
fn recorded_at(event: &EsdbEvent) -> Timestamp {
    event
        .metadata
        .get("created")
        .and_then(|ticks| ticks.parse::<i64>().ok())
        .map_or_else(
            || Timestamp(event.created.timestamp_micros()),
            |ticks| Timestamp(ticks / 10),
        )
}

/// Our view of an event read from EventStoreDB.
pub(super) fn to_recorded(event: EsdbEvent) -> StoreResult<RecordedEvent> {
    let position = position(&event)?;
    let (metadata, schema_version) = meta::decode(&event.custom_metadata);
    Ok(RecordedEvent {
        id: event.id,
        // Names we read back were valid when written (or are another
        // client's, which we pass through rather than hide).
        stream: StreamName::trusted(event.stream_id().to_owned()),
        version: event.revision,
        position,
        recorded_at: recorded_at(&event),
        schema_version,
        metadata,
        event_type: event.event_type,
        payload: event.data,
    })
}
