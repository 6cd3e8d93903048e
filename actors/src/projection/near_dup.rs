//! The near-duplicate index: every published item's text and its MinHash
//! signature, for the verification pipeline to compare a text against the
//! published catalog.
//!
//! Search is exact (every published item is compared), which takes well
//! under a millisecond per thousand items for MinHash and, for the
//! embedding cosine the pipeline adds, about 0.1 ms per thousand 384-d
//! vectors. Past ~100k published items an approximate index takes over:
//! LSH banding of these same signatures for MinHash, and an HNSW graph for
//! the embeddings (neither is needed below that size).
//!
//! The state is a pure fold of content events (texts and signatures are
//! deterministic), so replays give identical snapshots; embeddings need a
//! model and are cached outside the projection by the pipeline.

use std::collections::BTreeMap;

use agora_events::domain::content::{Body, ContentKind, LazyContentEvent};
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};
use crate::models::verify::minhash::Signature;

/// One item as the index keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedItem {
    /// What kind of item.
    pub kind: ContentKind,
    /// Declared language tag.
    pub language: String,
    /// Title, summary and body as one text ([`item_text`]).
    pub text: String,
    /// MinHash signature of `text`.
    pub signature: Signature,
    /// Whether it is published now (only published items are compared).
    pub published: bool,
}

/// A published item similar to a query text.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    /// The item's id.
    pub content_id: String,
    /// Estimated Jaccard similarity of the shingle sets, in [0, 1].
    pub similarity: f32,
}

/// Every drafted item's text; published ones are searchable.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct NearDupView {
    items: BTreeMap<String, IndexedItem>,
}

/// The text of an item as verified and indexed: title, summary and body
/// (chapter titles and bodies in order), one per line.
pub fn item_text(title: &str, summary: &str, body: &Body) -> String {
    let mut text = String::with_capacity(title.len() + summary.len() + 64);
    text.push_str(title);
    text.push('\n');
    text.push_str(summary);
    match body {
        Body::Text(t) => {
            text.push('\n');
            text.push_str(t);
        }
        Body::Chapters(chapters) => {
            for chapter in chapters {
                text.push('\n');
                text.push_str(&chapter.title);
                text.push('\n');
                text.push_str(&chapter.body);
            }
        }
    }
    text
}

impl NearDupView {
    /// The item `id`, published or not.
    pub fn get(&self, id: &str) -> Option<&IndexedItem> {
        self.items.get(id)
    }

    /// Published items (other than `exclude`) whose estimated similarity
    /// to `signature` is at least `min_similarity`, most similar first, at
    /// most `limit`.
    pub fn similar(
        &self,
        signature: &Signature,
        exclude: &str,
        min_similarity: f32,
        limit: usize,
    ) -> Vec<Match> {
        let mut found: Vec<Match> = self
            .published()
            .filter(|(id, _)| *id != exclude)
            .filter_map(|(id, item)| {
                let similarity = signature.similarity(&item.signature);
                (similarity >= min_similarity).then(|| Match {
                    content_id: id.to_owned(),
                    similarity,
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then_with(|| a.content_id.cmp(&b.content_id))
        });
        found.truncate(limit);
        found
    }

    /// Every published item, by id.
    pub fn published(&self) -> impl Iterator<Item = (&str, &IndexedItem)> {
        self.items
            .iter()
            .filter(|(_, item)| item.published)
            .map(|(id, item)| (id.as_str(), item))
    }

    fn reindex(item: &mut IndexedItem, title: &str, summary: &str, body: &Body) {
        item.text = item_text(title, summary, body);
        item.signature = Signature::of(&item.text);
    }
}

/// Title, summary and body of the items being indexed (to rebuild the text
/// after an edit that changes one of them).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Parts {
    title: String,
    summary: String,
    body: Option<Body>,
}

/// The projection's state: the index and the parts it is built from.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct NearDupProjection {
    view: NearDupView,
    parts: BTreeMap<String, Parts>,
}

impl NearDupProjection {
    /// The index.
    pub fn view(&self) -> &NearDupView {
        &self.view
    }
}

impl Projection for NearDupProjection {
    const NAME: &'static str = "near_dup";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let Some((id, event)) = event.content() else {
            return Ok(());
        };
        match event {
            LazyContentEvent::Drafted(e) => {
                let e = e.get()?;
                let text = item_text(&e.title, &e.summary, &e.body);
                let signature = Signature::of(&text);
                self.view.items.insert(
                    id.to_owned(),
                    IndexedItem {
                        kind: e.kind,
                        language: e.language.clone(),
                        text,
                        signature,
                        published: false,
                    },
                );
                self.parts.insert(
                    id.to_owned(),
                    Parts {
                        title: e.title.clone(),
                        summary: e.summary.clone(),
                        body: Some(e.body.clone()),
                    },
                );
            }
            LazyContentEvent::DraftEdited(e) => {
                let e = e.get()?;
                let (Some(item), Some(parts)) =
                    (self.view.items.get_mut(id), self.parts.get_mut(id))
                else {
                    return Ok(());
                };
                if let Some(kind) = e.kind {
                    item.kind = kind;
                }
                if let Some(language) = &e.language {
                    item.language.clone_from(language);
                }
                if e.title.is_none() && e.summary.is_none() && e.body.is_none() {
                    return Ok(());
                }
                if let Some(title) = &e.title {
                    parts.title.clone_from(title);
                }
                if let Some(summary) = &e.summary {
                    parts.summary.clone_from(summary);
                }
                if let Some(body) = &e.body {
                    parts.body = Some(body.clone());
                }
                let body = parts.body.clone().unwrap_or(Body::Text(String::new()));
                NearDupView::reindex(item, &parts.title, &parts.summary, &body);
            }
            LazyContentEvent::Published(_) => {
                if let Some(item) = self.view.items.get_mut(id) {
                    item.published = true;
                }
            }
            LazyContentEvent::Unpublished(_) | LazyContentEvent::Retired(_) => {
                if let Some(item) = self.view.items.get_mut(id) {
                    item.published = false;
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
    use agora_events::domain::content::{
        ContentDrafted, ContentEvent, ContentPublished, ContentUnpublished, DraftEdited,
    };

    use super::super::content_stream::testing::Log;
    use super::*;

    const TEXT: &str = "Ownership is Rust's most unique feature and has deep implications \
                        for the rest of the language.";

    fn drafted(body: &str) -> ContentEvent {
        ContentEvent::Drafted(ContentDrafted {
            content_id: "x".into(),
            creator_id: "u1".into(),
            kind: ContentKind::Article,
            title: "Ownership".into(),
            summary: String::new(),
            body: Body::Text(body.into()),
            tags: vec![],
            language: "en".into(),
            drafted_at: Timestamp(0),
        })
    }

    #[test]
    fn only_published_items_are_found_and_edits_reindex() {
        let mut log = Log::default();
        let mut p = NearDupProjection::default();
        let published = ContentEvent::Published(ContentPublished {
            published_at: Timestamp(1),
        });
        for (id, event) in [
            ("c1", drafted(TEXT)),
            (
                "c2",
                drafted("Something else entirely, about cooking rice well."),
            ),
            ("c1", published.clone()),
            ("c2", published),
        ] {
            p.apply(&log.record(id, &event)).expect("applies");
        }
        let query = Signature::of(&item_text("Ownership", "", &Body::Text(TEXT.into())));
        let found = p.view().similar(&query, "c9", 0.5, 10);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].content_id, "c1");
        assert!(found[0].similarity > 0.99);
        // The item itself is excluded when asked.
        assert!(p.view().similar(&query, "c1", 0.5, 10).is_empty());
        // Unpublishing removes it from the search.
        let hidden = ContentEvent::Unpublished(ContentUnpublished {
            unpublished_at: Timestamp(2),
        });
        p.apply(&log.record("c1", &hidden)).expect("applies");
        assert!(p.view().similar(&query, "c9", 0.5, 10).is_empty());
        // An edit of the body changes the indexed text.
        let edit = ContentEvent::DraftEdited(DraftEdited {
            kind: None,
            title: None,
            summary: None,
            body: Some(Body::Text(TEXT.into())),
            tags: None,
            language: None,
            edited_at: Timestamp(3),
        });
        p.apply(&log.record("c2", &edit)).expect("applies");
        let found = p.view().similar(&query, "c9", 0.5, 10);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].content_id, "c2");
    }
}
