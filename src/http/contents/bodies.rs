//! Who may read what of one content item, and the body on the wire.
//!
//! - Metadata of a published item: everyone.
//! - Metadata of a draft, unpublished or retired item: its creator, admins,
//!   auditors, and anyone who may read its body (owners keep what they
//!   bought when it is hidden or retired).
//! - The body: [`may_read_body`] — the creator, admins, auditors, owners
//!   (a live, unrefunded purchase) and members of an active plan covering
//!   the published item.

use agora_actors::projection::catalog::{CatalogItem, CatalogStage};
use agora_actors::user::Principal;
use agora_events::domain::content::Body;
use agora_events::domain::user::Role;
use schemars::JsonSchema;
use serde::Serialize;

use super::super::AppState;

/// What the caller may read of an item, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Access {
    /// The caller holds a live purchase of the item.
    pub(super) owned: bool,
    /// The caller may read the body.
    pub(super) body: bool,
    /// The caller may see the item while it is not published.
    pub(super) unlisted: bool,
}

/// Whether `principal` is the item's creator, an admin or an auditor: who
/// sees everything of an item.
fn is_insider(principal: Option<&Principal>, item: &CatalogItem) -> bool {
    principal
        .is_some_and(|p| p.user_id == item.creator_id || p.has(Role::Admin) || p.has(Role::Auditor))
}

/// Whether `principal` may read `item`'s body: the creator, admins,
/// auditors, owners (`owned`: a live purchase), and — while the item is
/// published — members of an active plan covering it (the creator's plan
/// or a platform plan).
///
/// This is the one place body access is decided.
pub(super) fn may_read_body(
    state: &AppState,
    principal: Option<&Principal>,
    item: &CatalogItem,
    owned: bool,
) -> bool {
    is_insider(principal, item)
        || owned
        || (item.stage == CatalogStage::Published
            && principal.is_some_and(|p| state.memberships.covers(&p.user_id, &item.creator_id)))
}

/// Whether `principal` may see `item` while it is not published (drafts
/// only to insiders: nobody owns a draft).
pub(super) fn may_see_unlisted(
    principal: Option<&Principal>,
    item: &CatalogItem,
    body: bool,
) -> bool {
    is_insider(principal, item) || (item.stage != CatalogStage::Draft && body)
}

/// What `principal` may read of `item`.
pub(super) fn access(
    state: &AppState,
    principal: Option<&Principal>,
    item: &CatalogItem,
) -> Access {
    let owned = principal.is_some_and(|p| {
        state
            .projections
            .library
            .read(|library| library.owns(&p.user_id, &item.id))
    });
    let body = may_read_body(state, principal, item, owned);
    Access {
        owned,
        body,
        unlisted: may_see_unlisted(principal, item, body),
    }
}

/// One chapter on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct ChapterView {
    /// The chapter's title.
    title: String,
    /// The chapter's text.
    body: String,
}

/// A body on the wire: `{"text": "..."}` or `{"chapters": [...]}`, the
/// shape drafts are sent in.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum BodyView {
    /// One text.
    Text(String),
    /// Chapters in reading order.
    Chapters(Vec<ChapterView>),
}

impl From<Body> for BodyView {
    fn from(body: Body) -> Self {
        match body {
            Body::Text(text) => Self::Text(text),
            Body::Chapters(chapters) => Self::Chapters(
                chapters
                    .into_iter()
                    .map(|c| ChapterView {
                        title: c.title,
                        body: c.body,
                    })
                    .collect(),
            ),
        }
    }
}
