//! Events as a group's projections read them: the recorded event, and its
//! content payload decoded once for all of them.

use std::sync::OnceLock;

use agora_events::RecordedEvent;
use agora_events::domain::DomainEvent;
use agora_events::domain::content::ContentEvent;

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

    /// The content id and the decoded event if the event is on a content
    /// stream; `Ok(None)` for any other stream; `Err` if a content event
    /// does not decode (the projection then stops at it).
    pub(crate) fn content(&self) -> Result<Option<(&'e str, &ContentEvent)>, String> {
        let Some(id) = self.content_id else {
            return Ok(None);
        };
        let decoded = self
            .content
            .get_or_init(|| ContentEvent::from_recorded(self.recorded).map_err(|e| e.to_string()));
        match decoded {
            Ok(event) => Ok(Some((id, event))),
            Err(e) => Err(e.clone()),
        }
    }

    /// Like [`SharedEvent::content`], but only for the event types in
    /// `wanted` (type names as recorded, e.g. [`ContentEvent::PURCHASED`]):
    /// any other event is `Ok(None)` without looking at its payload.
    pub(crate) fn content_of(
        &self,
        wanted: &[&str],
    ) -> Result<Option<(&'e str, &ContentEvent)>, String> {
        if !wanted.contains(&self.recorded.event_type.as_str()) {
            return Ok(None);
        }
        self.content()
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
    fn a_wanted_type_is_decoded_and_others_are_passed_over_unread() {
        let mut log = Log::default();
        let mut event = log.record("rust", &rated());
        let shared = SharedEvent::new(&event);
        let decoded = shared.content_of(&[ContentEvent::RATED]).expect("decodes");
        assert_eq!(decoded, Some(("rust", &rated())));
        // Not wanted: not even parsed, so a bad payload does not matter.
        event.payload = b"not json".to_vec().into();
        let shared = SharedEvent::new(&event);
        assert_eq!(shared.content_of(&[ContentEvent::PURCHASED]), Ok(None));
        assert!(shared.content_of(&[ContentEvent::RATED]).is_err());
        // The failure is kept: asking again gives it again.
        assert!(shared.content().is_err());
    }

    #[test]
    fn events_off_content_streams_are_none() {
        let mut event = Log::default().record("rust", &rated());
        event.stream = agora_events::StreamName::new("user-ann").expect("stream name");
        assert_eq!(SharedEvent::new(&event).content(), Ok(None));
    }
}
