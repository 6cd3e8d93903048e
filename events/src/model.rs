//! The values that cross the [`EventStore`](crate::EventStore) contract:
//! events proposed for appending, events as recorded, expected versions and
//! append results.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreError;

/// Longest stream name accepted, in bytes.
pub const MAX_STREAM_NAME_BYTES: usize = 512;
/// Longest event type name accepted, in bytes.
pub const MAX_EVENT_TYPE_BYTES: usize = 256;
/// Longest actor id accepted in [`EventMetadata`], in bytes.
pub const MAX_ACTOR_ID_BYTES: usize = 256;

/// The name of a stream: 1 to [`MAX_STREAM_NAME_BYTES`] bytes of UTF-8 with
/// no control characters, not starting with `$` (reserved for system
/// streams such as `$all`).
///
/// Guarantees: a value of this type always satisfies those rules.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamName(String);

impl StreamName {
    /// Checks `name` and wraps it, or says which rule it breaks.
    pub fn new(name: impl Into<String>) -> Result<Self, StoreError> {
        let name = name.into();
        let problem = if name.is_empty() {
            Some("is empty")
        } else if name.len() > MAX_STREAM_NAME_BYTES {
            Some("is longer than 512 bytes")
        } else if name.starts_with('$') {
            Some("starts with '$', which is reserved for system streams")
        } else if name.chars().any(char::is_control) {
            Some("contains a control character")
        } else {
            None
        };
        match problem {
            Some(reason) => Err(StoreError::InvalidStreamName { name, reason }),
            None => Ok(Self(name)),
        }
    }

    /// Wraps a name read back from the store, which was checked when written.
    pub(crate) fn trusted(name: String) -> Self {
        Self(name)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StreamName {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<StreamName> for String {
    fn from(value: StreamName) -> Self {
        value.0
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// What the writer believes about a stream's current version when it
/// appends. A stream's *version* is the 0-based revision of its last event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// Append whatever the stream's state.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must exist (have at least one event).
    StreamExists,
    /// The stream's last event must have exactly this revision.
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream whose last revision is `current` (`None`: no stream)
    /// satisfies this expectation.
    pub fn is_satisfied_by(self, current: Option<u64>) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => current.is_none(),
            Self::StreamExists => current.is_some(),
            Self::Exact(v) => current == Some(v),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::NoStream => f.write_str("no stream"),
            Self::StreamExists => f.write_str("stream exists"),
            Self::Exact(v) => write!(f, "revision {v}"),
        }
    }
}

/// Who and what caused an event. Every field is optional; what is given is
/// stored with the event and returned unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// Groups every event caused by one original request.
    pub correlation_id: Option<Uuid>,
    /// The id of the message (command or event) that directly caused this one.
    pub causation_id: Option<Uuid>,
    /// The user or system actor on whose behalf the event was written.
    pub actor_id: Option<String>,
}

/// An event proposed for appending. The store gives it a stream revision, a
/// global position and a recorded-at time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// Unique across the whole store; the key of idempotent appends.
    pub id: Uuid,
    /// Stable type name, e.g. `UserRegistered`.
    pub event_type: String,
    /// Version of the payload's schema for this type, from 1.
    pub schema_version: u32,
    /// Correlation, causation and actor.
    pub metadata: EventMetadata,
    /// The encoded payload (see [`crate::codec`]).
    pub payload: Bytes,
}

impl NewEvent {
    /// A new event with a fresh UUID v7 id, schema version 1 and no metadata.
    pub fn new(event_type: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self {
            id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            metadata: EventMetadata::default(),
            payload: payload.into(),
        }
    }

    /// Replaces the metadata.
    pub fn with_metadata(mut self, metadata: EventMetadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Replaces the schema version.
    pub fn with_schema_version(mut self, version: u32) -> Self {
        self.schema_version = version;
        self
    }

    /// Checks the event's own fields (not its place in a stream): a type of
    /// 1 to [`MAX_EVENT_TYPE_BYTES`] bytes without control characters, a schema
    /// version from 1, an actor id of at most [`MAX_ACTOR_ID_BYTES`] bytes and
    /// a payload of at most `max_payload_bytes`. Every backend calls it before
    /// writing anything.
    pub fn validate(&self, max_payload_bytes: usize) -> Result<(), StoreError> {
        let bad = |reason: String| {
            Err(StoreError::InvalidEvent {
                id: self.id,
                reason,
            })
        };
        if self.event_type.is_empty() || self.event_type.len() > MAX_EVENT_TYPE_BYTES {
            return bad(format!(
                "event type must be 1 to {MAX_EVENT_TYPE_BYTES} bytes long"
            ));
        }
        if self.event_type.chars().any(char::is_control) {
            return bad("event type contains a control character".into());
        }
        if self.schema_version == 0 {
            return bad("schema version starts at 1".into());
        }
        if let Some(actor) = &self.metadata.actor_id
            && actor.len() > MAX_ACTOR_ID_BYTES
        {
            return bad(format!(
                "actor id is longer than {MAX_ACTOR_ID_BYTES} bytes"
            ));
        }
        if self.payload.len() > max_payload_bytes {
            return bad(format!(
                "payload of {} bytes exceeds the limit of {max_payload_bytes}",
                self.payload.len()
            ));
        }
        Ok(())
    }
}

/// Microseconds since the Unix epoch, UTC.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Self {
        Self::from(SystemTime::now())
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_micros(self.0 as u64)
        } else {
            UNIX_EPOCH - Duration::from_micros(self.0.unsigned_abs())
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Self(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
            Err(e) => Self(-i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX)),
        }
    }
}

/// An event as the store recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedEvent {
    /// The id it was appended with.
    pub id: Uuid,
    /// The stream it belongs to.
    pub stream: StreamName,
    /// Its 0-based revision within the stream.
    pub version: u64,
    /// Its global position in `$all`: strictly increasing in commit order.
    /// The embedded log numbers events 0, 1, 2, … without gaps; other
    /// backends only promise that positions increase.
    pub position: u64,
    /// Stable type name.
    pub event_type: String,
    /// Version of the payload's schema.
    pub schema_version: u32,
    /// When the store committed it.
    pub recorded_at: Timestamp,
    /// Correlation, causation and actor.
    pub metadata: EventMetadata,
    /// The payload bytes exactly as appended.
    pub payload: Bytes,
}

/// What a successful append wrote (or, for an idempotent repeat, what the
/// original append wrote).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppendResult {
    /// Revision of the batch's first event.
    pub first_version: u64,
    /// The revision the next event appended to this stream will get
    /// (the batch's last revision + 1).
    pub next_version: u64,
    /// Global position of the batch's last event.
    pub position: u64,
}

impl AppendResult {
    /// The expectation to pass for an append that must directly follow this one.
    pub fn expected_next(&self) -> ExpectedVersion {
        ExpectedVersion::Exact(self.next_version - 1)
    }
}

/// Which way [`read_stream`](crate::EventStore::read_stream) walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadDirection {
    /// From `from_version` towards newer revisions.
    Forward,
    /// From `from_version` towards older revisions; `u64::MAX` starts at the end.
    Backward,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_follow_the_rules() {
        assert!(StreamName::new("user-1").is_ok());
        assert!(StreamName::new("").is_err());
        assert!(StreamName::new("$all").is_err());
        assert!(StreamName::new("a\nb").is_err());
        assert!(StreamName::new("x".repeat(513)).is_err());
        assert!(StreamName::new("内容-42").is_ok());
    }

    #[test]
    fn expected_versions_match_states() {
        assert!(ExpectedVersion::NoStream.is_satisfied_by(None));
        assert!(!ExpectedVersion::NoStream.is_satisfied_by(Some(0)));
        assert!(ExpectedVersion::StreamExists.is_satisfied_by(Some(3)));
        assert!(!ExpectedVersion::StreamExists.is_satisfied_by(None));
        assert!(ExpectedVersion::Exact(3).is_satisfied_by(Some(3)));
        assert!(!ExpectedVersion::Exact(3).is_satisfied_by(Some(4)));
        assert!(ExpectedVersion::Any.is_satisfied_by(None));
    }

    #[test]
    fn timestamps_round_trip_through_system_time() {
        let t = Timestamp(1_700_000_000_123_456);
        assert_eq!(Timestamp::from(t.to_system_time()), t);
    }
}
