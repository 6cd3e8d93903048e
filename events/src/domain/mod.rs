//! Domain events: plain serde types grouped by aggregate, each with a stable
//! type name and a schema version, and the [`DomainEvent`] trait that turns
//! them into store events and back (upcasting old versions on the way in).
//!
//! Each aggregate declares its events in one table (`domain_events!`, in
//! `declare.rs`): a row per event type gives its variant, payload, type
//! name, schema version and upcasters, and the enum, the [`DomainEvent`]
//! impl, the list of type names, the payload schemas and the lazy enum
//! projections match on ([`LazyPayload`]) are generated from it.

pub mod audit;
pub mod content;
pub mod content_models;
pub mod contract;
mod declare;
pub mod json;
pub mod membership;
pub mod money;
pub mod partner;
pub mod recommender;
pub mod requirement;
pub mod revenue;
pub mod schema;
pub mod user;
pub mod vendor;

use crate::codec::{self, DecodeError};
use crate::model::{EventMetadata, NewEvent, RecordedEvent};
pub(crate) use declare::domain_events;
pub use declare::{DecodeOnce, LazyPayload};

/// Why a recorded event could not be turned into a domain event.
#[derive(Debug, thiserror::Error)]
pub enum DomainDecodeError {
    /// The type name is not one this aggregate knows.
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    /// The type is known but not this schema version (written by a newer
    /// build): upgrade before reading this log.
    #[error("event type {event_type:?} has no schema version {version} in this build")]
    UnknownVersion {
        /// The type name.
        event_type: String,
        /// The unknown version.
        version: u32,
    },
    /// The payload does not decode as its type.
    #[error(transparent)]
    Payload(#[from] DecodeError),
}

/// A domain event type (usually an enum over one aggregate's events).
///
/// Guarantees: `decode(e.event_type(), e.schema_version(), &encode(e)) == e`,
/// and every schema version ever written stays decodable (old versions are
/// upcast to the current shape).
pub trait DomainEvent: Sized + Send + Sync + 'static {
    /// The stable type name of this event.
    fn event_type(&self) -> &'static str;

    /// The schema version this build writes for this event's type.
    fn schema_version(&self) -> u32 {
        1
    }

    /// The payload bytes.
    fn encode_payload(&self) -> Result<Vec<u8>, codec::EncodeError>;

    /// Rebuilds the event from a type name, schema version and payload.
    fn decode(
        event_type: &str,
        schema_version: u32,
        payload: &[u8],
    ) -> Result<Self, DomainDecodeError>;

    /// A store event for this domain event with a fresh id.
    fn to_new_event(&self, metadata: EventMetadata) -> Result<NewEvent, codec::EncodeError> {
        Ok(NewEvent::new(self.event_type(), self.encode_payload()?)
            .with_schema_version(self.schema_version())
            .with_metadata(metadata))
    }

    /// The domain event recorded in `event`.
    fn from_recorded(event: &RecordedEvent) -> Result<Self, DomainDecodeError> {
        Self::decode(&event.event_type, event.schema_version, &event.payload)
    }
}
