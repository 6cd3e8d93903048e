//! Reading Content events off `$all`, for the projections that fold them.

use agora_events::RecordedEvent;
use agora_events::domain::DomainEvent;
use agora_events::domain::content::ContentEvent;

use crate::aggregate::Aggregate;
use crate::content::Content;

/// The content id and the decoded event if `event` is on a content stream;
/// `Ok(None)` for any other stream; `Err` if a content event does not
/// decode (the projection then stops at it).
pub(super) fn content_event(event: &RecordedEvent) -> Result<Option<(&str, ContentEvent)>, String> {
    let Some(id) = event
        .stream
        .as_str()
        .strip_prefix(Content::CATEGORY)
        .and_then(|s| s.strip_prefix('-'))
    else {
        return Ok(None);
    };
    let decoded = ContentEvent::from_recorded(event).map_err(|e| e.to_string())?;
    Ok(Some((id, decoded)))
}

/// Like [`content_event`], but only for the event types in `wanted` (type
/// names as recorded, e.g. [`ContentEvent::PURCHASED`]): any other event is
/// `Ok(None)` without decoding its payload, so a projection that folds a
/// few kinds does not parse every comment and review.
pub(super) fn content_event_of<'e>(
    event: &'e RecordedEvent,
    wanted: &[&str],
) -> Result<Option<(&'e str, ContentEvent)>, String> {
    if !wanted.contains(&event.event_type.as_str()) {
        return Ok(None);
    }
    content_event(event)
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
        let decoded = content_event_of(&event, &[ContentEvent::RATED]).expect("decodes");
        assert_eq!(decoded, Some(("rust", rated())));
        // Not wanted: not even parsed, so a bad payload does not matter.
        event.payload = b"not json".to_vec().into();
        assert_eq!(
            content_event_of(&event, &[ContentEvent::PURCHASED]),
            Ok(None)
        );
        assert!(content_event_of(&event, &[ContentEvent::RATED]).is_err());
    }
}
