//! Catalog imports: the items of one `POST /v1/partners/{id}/catalog`, each
//! checked and listed on its own, and what became of each.
//!
//! An item becomes the content item `p-{partner}-{external_id}` (see
//! [`content_id_for`]): importing the same external id again is an
//! idempotent upsert — the same item unchanged records nothing, a new price
//! is recorded, a different text is refused (a published item's text is
//! fixed).

use agora_events::domain::content::{Body, ContentKind, Money};

use crate::content::ContentServiceError;
use crate::user::valid_id;

/// Limits of one catalog import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSettings {
    /// Most items one call may carry (more: the whole call is refused).
    pub max_items: usize,
    /// Items listed at once: bounds the concurrent content commands of one
    /// call so thousands finish fast without flooding the actors.
    pub concurrency: usize,
    /// Largest request body of one import, in bytes (enforced by the HTTP
    /// layer, which reads the body).
    pub max_body_bytes: usize,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            max_items: 5_000,
            concurrency: 64,
            max_body_bytes: 32 << 20,
        }
    }
}

/// One item of an import, as the partner sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportItem {
    /// The item's id in the partner's catalog.
    pub external_id: String,
    /// The creator credited with it; `None`: the partner's own user.
    pub creator_id: Option<String>,
    /// Article, course or column.
    pub kind: ContentKind,
    /// The title.
    pub title: String,
    /// A short summary.
    pub summary: String,
    /// The body (needs some text: imported items are published at once).
    pub body: Body,
    /// Tags.
    pub tags: Vec<String>,
    /// Language tag.
    pub language: String,
    /// The price.
    pub price: Money,
}

/// Why one item of an import was not listed; the other items are not
/// affected.
#[derive(Debug, thiserror::Error)]
pub enum ImportItemError {
    /// The item is not an item object (missing or mistyped fields) (400).
    #[error("the item is malformed: {0}")]
    Malformed(String),
    /// The external id is not 1–64 of `A-Za-z0-9_-.:`, or too long to make
    /// a content id with the partner's id (422).
    #[error(
        "the external id must be 1 to 64 characters of A-Z a-z 0-9 _ - . : and fit a content id p-PARTNER-EXTERNAL of at most 64"
    )]
    InvalidExternalId,
    /// The named creator is not a known user with the creator role (422).
    #[error("creator {0:?} is not a known user with the creator role")]
    UnknownCreator(String),
    /// The content aggregate refused or failed (see the error).
    #[error(transparent)]
    Content(#[from] ContentServiceError),
}

/// What an item's import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportStatus {
    /// A new item was listed and published.
    Created,
    /// A listed item got its new price.
    Updated,
    /// The item was listed already, exactly like this.
    Unchanged,
}

/// A listed item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Its content id.
    pub content_id: String,
    /// What the import did.
    pub status: ImportStatus,
    /// The content's version after the import.
    pub version: Option<u64>,
    /// Position of the last event written, if any.
    pub position: Option<u64>,
}

/// The result of one item, in the order the items came.
#[derive(Debug)]
pub struct ImportOutcome {
    /// The item's 0-based index in the request.
    pub index: usize,
    /// Its external id, when the item had one.
    pub external_id: Option<String>,
    /// What became of it.
    pub result: Result<Imported, ImportItemError>,
}

/// The content id of `external_id` from `partner_id`: `p-{partner}-{external}`,
/// or `None` when that is not a valid id (bad characters, over 64).
pub fn content_id_for(partner_id: &str, external_id: &str) -> Option<String> {
    if !valid_id(external_id) {
        return None;
    }
    let id = format!("p-{partner_id}-{external_id}");
    valid_id(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_join_partner_and_external_id() {
        assert_eq!(content_id_for("acme", "42").as_deref(), Some("p-acme-42"));
        assert_eq!(content_id_for("acme", "a b"), None);
        assert_eq!(content_id_for("acme", ""), None);
        assert_eq!(content_id_for("acme", &"x".repeat(60)), None);
    }
}
