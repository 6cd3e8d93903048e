//! The content service: the one function per use case that the HTTP layer
//! calls. It checks what the aggregate cannot see (ids from the URL),
//! generates ids, turns the refund window setting into the command's
//! field, and sends the command to the item's actor with the caller as
//! the events' actor (`EventMetadata::actor_id`, which becomes
//! `CommandContext::actor_id`).

use std::sync::Arc;
use std::time::Duration;

use agora_events::EventMetadata;
use agora_events::domain::content::{Body, ContentEvent, ContentKind, Money};
use dashmap::DashMap;
use uuid::Uuid;

use super::{
    Content, ContentCommand, ContentError, DraftChanges, GeneratedDraft, PartnerListing,
    PartnerRate, VerificationOutcome,
};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::partner::Partner;
use crate::projection::ProjectionHandle;
use crate::projection::catalog::CatalogView;
use crate::user::valid_id;

/// Why a content use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ContentServiceError {
    /// An id (named) from the request breaks the id rules (400).
    #[error("the {0} must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId(&'static str),
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<ContentError>),
    /// The share of the partner that listed the item could not be read
    /// (503 when the partner actor is unavailable, 500 otherwise).
    #[error("the share of partner {partner_id:?} could not be read: {reason}")]
    PartnerRate {
        /// The partner.
        partner_id: String,
        /// Why.
        reason: String,
    },
}

/// A new draft's fields.
#[derive(Clone, Debug)]
pub struct NewContent {
    /// A client-chosen id, or `None` to have one generated.
    pub id: Option<String>,
    /// Article, course or column.
    pub kind: ContentKind,
    /// The title.
    pub title: String,
    /// A short summary.
    pub summary: String,
    /// The body.
    pub body: Body,
    /// Tags.
    pub tags: Vec<String>,
    /// Language tag.
    pub language: String,
}

/// Who asks, and how: the caller's user id, the request's idempotency id
/// and the version it saw (`If-Match`).
#[derive(Clone, Debug)]
pub struct Request {
    /// The caller's user id (the events' actor).
    pub actor_id: String,
    /// The id derived from `Idempotency-Key`, if given.
    pub idempotency_key: Option<Uuid>,
    /// The version the caller saw, if the command is conditional.
    pub if_match: Option<u64>,
}

impl Request {
    /// A request by `actor_id`, not keyed and not conditional.
    pub fn by(actor_id: impl Into<String>) -> Self {
        Self {
            actor_id: actor_id.into(),
            idempotency_key: None,
            if_match: None,
        }
    }

    pub(crate) fn metadata(&self) -> EventMetadata {
        EventMetadata {
            correlation_id: Some(self.idempotency_key.unwrap_or_else(Uuid::now_v7)),
            causation_id: None,
            actor_id: Some(self.actor_id.clone()),
        }
    }

    /// A fresh id with `prefix`: derived from the idempotency key when
    /// given (so a repeat uses the same id), else a UUID v7.
    fn fresh_id(&self, prefix: &str) -> String {
        let uuid = self.idempotency_key.unwrap_or_else(Uuid::now_v7);
        format!("{prefix}-{}", uuid.simple())
    }
}

/// Content use cases over the Content aggregate and the catalog.
pub struct ContentService {
    registry: Registry<Content>,
    catalog: ProjectionHandle<CatalogView>,
    refund_window: Duration,
    clock: Clock,
    platform_fee_bps: u32,
    partners: Option<Arc<Registry<Partner>>>,
    /// The partner that listed each item seen so far (`None`: not listed).
    /// A listing is fixed when the item is drafted, so an answer, once
    /// known, never changes; one entry per drafted item.
    listings: DashMap<String, Option<String>>,
}

impl ContentService {
    /// A service over these parts; purchases may be refunded for
    /// `refund_window` after they were made.
    pub fn new(
        registry: Registry<Content>,
        catalog: ProjectionHandle<CatalogView>,
        refund_window: Duration,
    ) -> Self {
        Self {
            registry,
            catalog,
            refund_window,
            clock: Clock::system(),
            platform_fee_bps: 0,
            partners: None,
            listings: DashMap::new(),
        }
    }

    /// The same service splitting each sale with the platform taking
    /// `platform_fee_bps`, and reading the current share of the partner
    /// that listed an item from `partners` at the moment of sale. (Without
    /// it, sales carry no fee and partner-listed items cannot be sold.)
    pub fn with_revenue(self, platform_fee_bps: u32, partners: Arc<Registry<Partner>>) -> Self {
        Self {
            platform_fee_bps,
            partners: Some(partners),
            ..self
        }
    }

    /// The same service stamping commands with `clock`'s time.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The clock commands are stamped with.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The catalog read model.
    pub fn catalog(&self) -> &ProjectionHandle<CatalogView> {
        &self.catalog
    }

    /// The aggregate registry (for its actor counts).
    pub fn registry(&self) -> &Registry<Content> {
        &self.registry
    }

    /// Drafts a new item; the caller becomes its creator. The id is the
    /// client's (checked) or `c-<uuid>`, derived from the idempotency key
    /// when there is one. Returns the id and what was recorded.
    pub async fn draft(
        &self,
        new: NewContent,
        request: &Request,
    ) -> Result<(String, Executed<Content>), ContentServiceError> {
        let id = match new.id {
            Some(id) if valid_id(&id) => id,
            Some(_) => return Err(ContentServiceError::InvalidId("content id")),
            None => request.fresh_id("c"),
        };
        let command = ContentCommand::DraftContent {
            kind: new.kind,
            title: new.title,
            summary: new.summary,
            body: new.body,
            tags: new.tags,
            language: new.language,
        };
        let executed = self.execute(&id, command, request).await?;
        if !executed.events.is_empty() {
            self.listings.insert(id.clone(), None);
        }
        Ok((id, executed))
    }

    /// Changes a draft (creator only).
    pub async fn edit(
        &self,
        id: &str,
        changes: DraftChanges,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::EditDraft(changes), request)
            .await
    }

    /// Sets the price of future purchases (creator only).
    pub async fn set_price(
        &self,
        id: &str,
        price: Money,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::SetPrice { price }, request)
            .await
    }

    /// Publishes the item (creator only). With `required_score_bps` set,
    /// the current text must carry a verification scoring at least that
    /// much (see [`ContentCommand::Publish`]).
    pub async fn publish(
        &self,
        id: &str,
        required_score_bps: Option<u32>,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::Publish { required_score_bps }, request)
            .await
    }

    /// Records a draft the language model generated (creator only).
    pub async fn record_generated_draft(
        &self,
        id: &str,
        draft: GeneratedDraft,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::RecordGeneratedDraft(draft), request)
            .await
    }

    /// Records a verification of the item's current text. The caller must
    /// have checked that the requester is the creator or an admin.
    pub async fn record_verification(
        &self,
        id: &str,
        outcome: VerificationOutcome,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::RecordVerification(outcome), request)
            .await
    }

    /// Hides a published item (creator only).
    pub async fn unpublish(
        &self,
        id: &str,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::Unpublish, request).await
    }

    /// Retires the item for good (creator only).
    pub async fn retire(
        &self,
        id: &str,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::Retire, request).await
    }

    /// The caller buys the item. The purchase id is derived from the
    /// idempotency key when given (a repeat answers the first answer),
    /// else generated. Returns the purchase id and what was recorded.
    ///
    /// The sale is split at this moment: the platform fee setting, and for
    /// an item a partner listed, that partner's current share, read from
    /// the Partner aggregate before the command is sent (which partner
    /// listed the item is remembered after the first look, so an unlisted
    /// sale costs no extra lookup).
    pub async fn purchase(
        &self,
        id: &str,
        request: &Request,
    ) -> Result<(String, Executed<Content>), ContentServiceError> {
        let purchase_id = request.fresh_id("p");
        let partner = match self.listed_by(id).await? {
            Some(partner_id) => Some(self.partner_rate(partner_id).await?),
            None => None,
        };
        let command = ContentCommand::Purchase {
            buyer_id: request.actor_id.clone(),
            purchase_id: purchase_id.clone(),
            platform_fee_bps: self.platform_fee_bps,
            partner,
        };
        let executed = self.execute(id, command, request).await?;
        Ok((purchase_id, executed))
    }

    /// The partner that listed item `id`, if one did: remembered, or read
    /// from the item's aggregate (and remembered once the item exists).
    async fn listed_by(&self, id: &str) -> Result<Option<String>, ContentServiceError> {
        if let Some(known) = self.listings.get(id) {
            return Ok(known.clone());
        }
        if !valid_id(id) {
            return Err(ContentServiceError::InvalidId("content id"));
        }
        let (content, _) = self.registry.state(id).await?;
        let partner = content.listed_by().map(|(partner, _)| partner.to_owned());
        if content.is_drafted() {
            self.listings.insert(id.to_owned(), partner.clone());
        }
        Ok(partner)
    }

    /// The current share of partner `partner_id`.
    async fn partner_rate(&self, partner_id: String) -> Result<PartnerRate, ContentServiceError> {
        let failed = |reason: String| ContentServiceError::PartnerRate {
            partner_id: partner_id.clone(),
            reason,
        };
        let registry = self
            .partners
            .as_ref()
            .ok_or_else(|| failed("no partner registry is configured".into()))?;
        let (partner, _) = registry
            .state(&partner_id)
            .await
            .map_err(|e| failed(e.to_string()))?;
        let share_bps = partner
            .share_bps()
            .ok_or_else(|| failed("the partner is not registered".into()))?;
        Ok(PartnerRate {
            partner_id,
            share_bps,
        })
    }

    /// Lists (or re-lists) one item of a partner's catalog import under
    /// content id `id` (see [`ContentCommand::ImportListing`]); the caller
    /// was authorised by the partner service.
    pub async fn import_listing(
        &self,
        id: &str,
        listing: PartnerListing,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        let partner_id = listing.partner_id.clone();
        let executed = self
            .execute(id, ContentCommand::ImportListing(listing), request)
            .await?;
        let drafted = executed
            .events
            .iter()
            .any(|e| matches!(e, ContentEvent::Drafted(_)));
        if drafted {
            self.listings.insert(id.to_owned(), Some(partner_id));
        }
        Ok(executed)
    }

    /// The caller refunds their purchase, within the refund window.
    pub async fn refund(
        &self,
        id: &str,
        purchase_id: &str,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        if !valid_id(purchase_id) {
            return Err(ContentServiceError::InvalidId("purchase id"));
        }
        let window_micros = u64::try_from(self.refund_window.as_micros()).unwrap_or(u64::MAX);
        let command = ContentCommand::Refund {
            purchase_id: purchase_id.to_owned(),
            window_micros,
        };
        self.execute(id, command, request).await
    }

    /// The caller (an owner, or a member whose plan covers the creator
    /// `member_of`) rates the item.
    pub async fn rate(
        &self,
        id: &str,
        stars: u8,
        member_of: Option<String>,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::Rate { stars, member_of }, request)
            .await
    }

    /// The caller (an owner, or a member whose plan covers the creator
    /// `member_of`) reviews the item.
    pub async fn review(
        &self,
        id: &str,
        text: String,
        member_of: Option<String>,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::Review { text, member_of }, request)
            .await
    }

    /// The caller (an owner of a course, or a member whose plan covers the
    /// creator `member_of`) checks in for today.
    pub async fn check_in(
        &self,
        id: &str,
        note: Option<String>,
        member_of: Option<String>,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        self.execute(id, ContentCommand::CheckIn { note, member_of }, request)
            .await
    }

    /// The caller comments on the item or replies to `parent_id`. The
    /// comment id is derived from the idempotency key when given, else
    /// generated. Returns the comment id and what was recorded.
    pub async fn comment(
        &self,
        id: &str,
        text: String,
        parent_id: Option<String>,
        is_question: bool,
        request: &Request,
    ) -> Result<(String, Executed<Content>), ContentServiceError> {
        if parent_id.as_deref().is_some_and(|p| !valid_id(p)) {
            return Err(ContentServiceError::InvalidId("parent id"));
        }
        let comment_id = request.fresh_id("k");
        let command = ContentCommand::PostComment {
            comment_id: comment_id.clone(),
            parent_id,
            text,
            is_question,
        };
        let executed = self.execute(id, command, request).await?;
        Ok((comment_id, executed))
    }

    /// The creator marks `answer_id` as the answer to question `comment_id`.
    pub async fn mark_answer(
        &self,
        id: &str,
        comment_id: &str,
        answer_id: &str,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        if !valid_id(comment_id) {
            return Err(ContentServiceError::InvalidId("comment id"));
        }
        if !valid_id(answer_id) {
            return Err(ContentServiceError::InvalidId("answer id"));
        }
        let command = ContentCommand::MarkAnswer {
            comment_id: comment_id.to_owned(),
            answer_id: answer_id.to_owned(),
        };
        self.execute(id, command, request).await
    }

    async fn execute(
        &self,
        id: &str,
        command: ContentCommand,
        request: &Request,
    ) -> Result<Executed<Content>, ContentServiceError> {
        if !valid_id(id) {
            return Err(ContentServiceError::InvalidId("content id"));
        }
        let execute = Execute {
            command,
            expected_version: request.if_match.map(Some),
            idempotency_key: request.idempotency_key,
            metadata: request.metadata(),
            now: self.clock.now(),
        };
        Ok(self.registry.execute(id, execute).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_requests_derive_stable_ids() {
        let key = Uuid::now_v7();
        let request = Request {
            idempotency_key: Some(key),
            ..Request::by("u1")
        };
        assert_eq!(request.fresh_id("p"), request.fresh_id("p"));
        assert!(valid_id(&request.fresh_id("p")));
        let unkeyed = Request::by("u1");
        assert_ne!(unkeyed.fresh_id("p"), unkeyed.fresh_id("p"));
    }
}
