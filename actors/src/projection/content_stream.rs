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
