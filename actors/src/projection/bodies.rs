//! The bodies of content items, by id: what owners read. Kept apart from
//! the catalog so listings never carry (or copy) the texts, and so the one
//! place that hands a body out can check who asks.

use std::collections::BTreeMap;

use agora_events::domain::content::{Body, LazyContentEvent};
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};

/// Every item's current body.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BodiesView {
    bodies: BTreeMap<String, Body>,
}

impl BodiesView {
    /// The body of item `id`, if it was drafted.
    pub fn get(&self, id: &str) -> Option<&Body> {
        self.bodies.get(id)
    }
}

impl Projection for BodiesView {
    const NAME: &'static str = "bodies";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        match event.content() {
            Some((id, LazyContentEvent::Drafted(e))) => {
                self.bodies.insert(id.to_owned(), e.get()?.body.clone());
            }
            Some((id, LazyContentEvent::DraftEdited(e))) => {
                if let Some(body) = &e.get()?.body {
                    self.bodies.insert(id.to_owned(), body.clone());
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agora_events::Timestamp;
    use agora_events::domain::content::{ContentDrafted, ContentEvent, ContentKind, DraftEdited};

    use super::super::content_stream::testing::Log;
    use super::*;

    #[test]
    fn an_edit_replaces_the_body_and_other_edits_keep_it() {
        let mut log = Log::default();
        let mut view = BodiesView::default();
        let drafted = ContentEvent::Drafted(ContentDrafted {
            content_id: "c1".into(),
            creator_id: "u1".into(),
            kind: ContentKind::Article,
            title: "T".into(),
            summary: String::new(),
            body: Body::Text("first".into()),
            tags: vec![],
            language: "en".into(),
            drafted_at: Timestamp(0),
        });
        let edit = |body: Option<Body>, title: Option<String>| {
            ContentEvent::DraftEdited(DraftEdited {
                kind: None,
                title,
                summary: None,
                body,
                tags: None,
                language: None,
                edited_at: Timestamp(1),
            })
        };
        for event in [
            drafted,
            edit(Some(Body::Text("second".into())), None),
            edit(None, Some("New".into())),
        ] {
            view.apply(&log.record("c1", &event)).expect("applies");
        }
        assert_eq!(view.get("c1"), Some(&Body::Text("second".into())));
        assert_eq!(view.get("c2"), None);
    }
}
