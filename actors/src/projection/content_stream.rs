//! Events as a group's projections read them: the recorded event, and its
//! content payload decoded once for all of them, and only if one of them
//! reads it.
//!
//! A projection says what it folds with one `match` on the
//! [`LazyContentEvent`] from [`SharedEvent::content`]: an arm that calls
//! `get()` on its payload folds that event type (and decodes it); an arm
//! that does not skips the type without reading its payload. There is no
//! list of folded types beside the `match` to forget.

use std::sync::OnceLock;

use agora_events::RecordedEvent;
use agora_events::domain::content::{ContentEvent, LazyContentEvent};
use agora_events::domain::{DecodeOnce, DomainEvent};

use crate::aggregate::Aggregate;
use crate::content::Content;

/// An event handed to every projection of a group. Several projections
/// fold Content events (catalog, library, dashboard, ledger, …): the first
/// that asks decodes the payload, the others borrow the result, so a
/// purchase is parsed once however many read models it feeds. Safe to
/// share across the group's threads.
pub struct SharedEvent<'e> {
    recorded: &'e RecordedEvent,
    /// The content id (`None`: not a content stream).
    content_id: Option<&'e str>,
    content: OnceLock<Result<ContentEvent, String>>,
}

impl<'e> SharedEvent<'e> {
    /// `recorded`, not decoded yet.
    pub fn new(recorded: &'e RecordedEvent) -> Self {
        let content_id = recorded
            .stream
            .as_str()
            .strip_prefix(Content::CATEGORY)
            .and_then(|s| s.strip_prefix('-'));
        Self {
            recorded,
            content_id,
            content: OnceLock::new(),
        }
    }

    /// The event as the store recorded it.
    pub fn recorded(&self) -> &'e RecordedEvent {
        self.recorded
    }

    /// The content id if the event is on a content stream.
    pub(crate) fn content_id(&self) -> Option<&'e str> {
        self.content_id
    }

    /// The content id and the event, its payload not decoded yet, if the
    /// event is on a content stream and of a content type (`None`
    /// otherwise). A projection matches on the event and reads the
    /// payloads it folds: the first read of a group decodes, the others
    /// borrow the result.
    pub(crate) fn content(&self) -> Option<(&'e str, LazyContentEvent<'_>)> {
        let id = self.content_id?;
        Some((id, LazyContentEvent::new(&self.recorded.event_type, self)?))
    }
}

impl DecodeOnce<ContentEvent> for SharedEvent<'_> {
    /// The content event, decoded on first use; `Err` if it does not decode
    /// (a projection that reads it then stops at it).
    fn decoded(&self) -> Result<&ContentEvent, String> {
        self.content
            .get_or_init(|| ContentEvent::from_recorded(self.recorded).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Builds recorded content events for projection tests.
#[cfg(test)]
pub(crate) mod testing {
    use agora_events::domain::DomainEvent;
    use agora_events::domain::content::ContentEvent;
    use agora_events::{EventMetadata, RecordedEvent, StreamName, Timestamp};

    /// A log of content events, numbered as the store would.
    #[derive(Default)]
    pub(crate) struct Log {
        position: u64,
        versions: std::collections::BTreeMap<String, u64>,
    }

    impl Log {
        /// `event` recorded next on content `id`'s stream.
        pub(crate) fn record(&mut self, id: &str, event: &ContentEvent) -> RecordedEvent {
            let version = self.versions.entry(id.to_owned()).or_insert(0);
            let recorded = RecordedEvent {
                id: uuid::Uuid::now_v7(),
                stream: StreamName::new(format!("content-{id}")).expect("stream name"),
                version: *version,
                position: self.position,
                event_type: event.event_type().to_owned(),
                schema_version: event.schema_version(),
                recorded_at: Timestamp(0),
                metadata: EventMetadata::default(),
                payload: event.encode_payload().expect("encodes").into(),
            };
            *version += 1;
            self.position += 1;
            recorded
        }
    }
}

#[cfg(test)]
mod tests {
    use agora_events::Timestamp;
    use agora_events::domain::content::{ContentEvent, ContentRated};

    use super::testing::Log;
    use super::*;

    fn rated() -> ContentEvent {
        ContentEvent::Rated(ContentRated {
            user_id: "ann".into(),
            stars: 4,
            rated_at: Timestamp(0),
        })
    }

    #[test]
    fn a_payload_is_decoded_when_read_and_only_once() {
        let mut log = Log::default();
        let event = log.record("rust", &rated());
        let shared = SharedEvent::new(&event);
        let Some(("rust", LazyContentEvent::Rated(rating))) = shared.content() else {
            panic!("a rating on a content stream");
        };
        assert!(shared.content.get().is_none(), "not decoded before read");
        let ContentEvent::Rated(expected) = rated() else {
            panic!("rated() is a rating");
        };
        assert_eq!(rating.get(), Ok(&expected));
        // Every later read borrows the one decoded event.
        let Some((_, LazyContentEvent::Rated(again))) = shared.content() else {
            panic!("a rating on a content stream");
        };
        assert!(std::ptr::eq(
            again.get().expect("decoded"),
            rating.get().expect("decoded")
        ));
    }

    #[test]
    fn a_payload_not_read_is_not_decoded_and_a_bad_one_fails_each_read() {
        let mut log = Log::default();
        let mut event = log.record("rust", &rated());
        event.payload = b"not bincode".to_vec().into();
        let shared = SharedEvent::new(&event);
        // The type is known without the payload.
        let Some((_, LazyContentEvent::Rated(rating))) = shared.content() else {
            panic!("a rating on a content stream");
        };
        assert!(shared.content.get().is_none());
        let failure = rating.get().expect_err("a bad payload");
        // The failure is kept: asking again gives it again.
        assert_eq!(rating.get(), Err(failure));
    }

    #[test]
    fn events_off_content_streams_are_none() {
        let mut event = Log::default().record("rust", &rated());
        event.stream = agora_events::StreamName::new("user-ann").expect("stream name");
        assert!(SharedEvent::new(&event).content().is_none());
        // Nor are events of a type no content event has.
        let mut event = Log::default().record("rust", &rated());
        event.event_type = "UserRegistered".into();
        assert!(SharedEvent::new(&event).content().is_none());
    }
}
