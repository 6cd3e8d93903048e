//! The Content aggregate: one article, course or column from draft to
//! retirement — price, publishing, purchases (entitlements) and refunds,
//! ratings, reviews, check-ins, comments and Q&A.
//!
//! Pure domain logic: [`Content::handle`](crate::aggregate::Aggregate::handle)
//! decides from the state, the command and the [`CommandContext`] (caller
//! and clock), [`Content::apply`](crate::aggregate::Aggregate::apply)
//! evolves the state. Field limits are the `MAX_*` constants of this
//! module; commands are checked in the order of their HTTP status (404,
//! 401/403, 409, then 422).
//!
//! Ownership: a user owns an item while they hold a purchase of it that was
//! not refunded. The creator is not an owner (they cannot buy, rate or check
//! in on their own item). Access through a membership is decided outside
//! this aggregate.

mod command;
mod decide;
mod decide_models;
mod evolve;
mod rules;
mod service;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use agora_events::Timestamp;
use agora_events::domain::content::{Body, ContentEvent, ContentKind, Money};
use agora_events::domain::revenue::RevenueShare;

pub use command::{
    ContentCommand, ContentError, DraftChanges, GeneratedDraft, PartnerListing, PartnerRate,
    VerificationOutcome,
};
pub use rules::{
    MAX_BODY_BYTES, MAX_CHECK_IN_NOTE_CHARS, MAX_COMMENT_CHARS, MAX_LANGUAGE_CHARS,
    MAX_REVIEW_CHARS, MAX_STARS, MAX_SUMMARY_CHARS, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS,
    MICROS_PER_DAY, MIN_STARS, day_of, has_text,
};
pub use service::{ContentService, ContentServiceError, NewContent, Request};

use crate::aggregate::{Aggregate, CommandContext};

/// Where a content item is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ContentStage {
    /// Nothing was drafted under this id.
    #[default]
    NotDrafted,
    /// Drafted, never published: the creator may edit it.
    Draft,
    /// Visible and purchasable.
    Published,
    /// Published once, hidden now; may be published again.
    Unpublished,
    /// Withdrawn for good.
    Retired,
}

/// One purchase of the item, as the aggregate remembers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseRecord {
    /// Who bought.
    pub buyer_id: String,
    /// What they paid.
    pub price: Money,
    /// When.
    pub purchased_at: Timestamp,
    /// Through which partner platform, if any.
    pub partner_id: Option<String>,
    /// How its price was split at the moment of sale (for a version-1 sale:
    /// the whole price to the creator).
    pub shares: Vec<RevenueShare>,
    /// When it was refunded, if it was.
    pub refunded_at: Option<Timestamp>,
}

/// The item's descriptive fields.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    creator_id: String,
    kind: ContentKind,
    title: String,
    summary: String,
    body: Body,
    tags: Vec<String>,
    language: String,
}

/// A comment, as far as decisions need it (its text lives in the events).
#[derive(Clone, Debug, PartialEq, Eq)]
struct CommentNode {
    parent_id: Option<String>,
    is_question: bool,
    answer_id: Option<String>,
}

/// A content item's decision state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    stage: ContentStage,
    ever_published: bool,
    details: Option<Details>,
    price: Option<Money>,
    /// Every purchase, by purchase id.
    purchases: BTreeMap<String, PurchaseRecord>,
    /// Owners: buyer id → their live (unrefunded) purchase id.
    entitlements: BTreeMap<String, String>,
    /// Stars by user.
    ratings: BTreeMap<String, u8>,
    /// Review text by user.
    reviews: BTreeMap<String, String>,
    /// Check-in days by user.
    check_ins: BTreeMap<String, BTreeSet<u32>>,
    /// Comments by id.
    comments: BTreeMap<String, CommentNode>,
    /// The partner that listed the item and its external id, if one did.
    listing: Option<(String, String)>,
    /// The score (basis points) of the last verification of the current
    /// text; an edit of the draft forgets it.
    verified_score_bps: Option<u32>,
}

impl Content {
    /// Where the item is in its life.
    pub fn stage(&self) -> ContentStage {
        self.stage
    }

    /// Whether the item was drafted.
    pub fn is_drafted(&self) -> bool {
        self.details.is_some()
    }

    /// Whether the item is visible and purchasable now.
    pub fn is_published(&self) -> bool {
        self.stage == ContentStage::Published
    }

    /// Whether the item is retired.
    pub fn is_retired(&self) -> bool {
        self.stage == ContentStage::Retired
    }

    /// Whether the item was ever published (its text is then fixed).
    pub fn was_ever_published(&self) -> bool {
        self.ever_published
    }

    /// The creator, once drafted.
    pub fn creator_id(&self) -> Option<&str> {
        self.details.as_ref().map(|d| d.creator_id.as_str())
    }

    /// The kind, once drafted.
    pub fn kind(&self) -> Option<ContentKind> {
        self.details.as_ref().map(|d| d.kind)
    }

    /// The title (empty before drafting).
    pub fn title(&self) -> &str {
        self.details.as_ref().map_or("", |d| d.title.as_str())
    }

    /// The summary (empty before drafting).
    pub fn summary(&self) -> &str {
        self.details.as_ref().map_or("", |d| d.summary.as_str())
    }

    /// The body, once drafted.
    pub fn body(&self) -> Option<&Body> {
        self.details.as_ref().map(|d| &d.body)
    }

    /// The tags (empty before drafting).
    pub fn tags(&self) -> &[String] {
        self.details.as_ref().map_or(&[], |d| d.tags.as_slice())
    }

    /// The language tag (empty before drafting).
    pub fn language(&self) -> &str {
        self.details.as_ref().map_or("", |d| d.language.as_str())
    }

    /// The price future purchases pay, once set.
    pub fn price(&self) -> Option<&Money> {
        self.price.as_ref()
    }

    /// Whether `user_id` owns the item: they hold a purchase of it that was
    /// not refunded. The creator is not an owner.
    pub fn owns(&self, user_id: &str) -> bool {
        self.entitlements.contains_key(user_id)
    }

    /// Whether `user_id` may read the item through this aggregate: its
    /// creator or an owner. (Members are checked by the membership side.)
    pub fn can_read(&self, user_id: &str) -> bool {
        self.creator_id() == Some(user_id) || self.owns(user_id)
    }

    /// The live purchase that makes `user_id` an owner.
    pub fn entitlement_of(&self, user_id: &str) -> Option<&str> {
        self.entitlements.get(user_id).map(String::as_str)
    }

    /// The current owners, in id order.
    pub fn owners(&self) -> impl Iterator<Item = &str> + '_ {
        self.entitlements.keys().map(String::as_str)
    }

    /// A purchase by id (refunded ones included).
    pub fn purchase(&self, purchase_id: &str) -> Option<&PurchaseRecord> {
        self.purchases.get(purchase_id)
    }

    /// The current rating of `user_id`, 1 to 5.
    pub fn rating_of(&self, user_id: &str) -> Option<u8> {
        self.ratings.get(user_id).copied()
    }

    /// Every current rating: (user, stars), in user order.
    pub fn ratings(&self) -> impl Iterator<Item = (&str, u8)> + '_ {
        self.ratings.iter().map(|(u, s)| (u.as_str(), *s))
    }

    /// The current review of `user_id`.
    pub fn review_of(&self, user_id: &str) -> Option<&str> {
        self.reviews.get(user_id).map(String::as_str)
    }

    /// Whether `user_id` checked in on `day` (see [`day_of`]).
    pub fn checked_in_on(&self, user_id: &str, day: u32) -> bool {
        self.check_ins
            .get(user_id)
            .is_some_and(|days| days.contains(&day))
    }

    /// The streak of `user_id`: how many consecutive days end at their
    /// latest check-in (0 if they never checked in).
    pub fn streak_of(&self, user_id: &str) -> u32 {
        let Some(days) = self.check_ins.get(user_id) else {
            return 0;
        };
        let Some(&latest) = days.last() else {
            return 0;
        };
        let mut streak = 0;
        for &day in days.iter().rev() {
            if latest.checked_sub(streak) != Some(day) {
                break;
            }
            streak += 1;
        }
        streak
    }

    /// Whether a comment with this id exists.
    pub fn has_comment(&self, comment_id: &str) -> bool {
        self.comments.contains_key(comment_id)
    }

    /// The partner that listed the item, and the item's id in that
    /// partner's catalog, if a partner listed it.
    pub fn listed_by(&self) -> Option<(&str, &str)> {
        self.listing
            .as_ref()
            .map(|(partner, external)| (partner.as_str(), external.as_str()))
    }

    /// The score, in basis points, of the last verification of the current
    /// text (`None`: never verified, or edited since).
    pub fn verified_score_bps(&self) -> Option<u32> {
        self.verified_score_bps
    }

    /// The answer marked on question `comment_id`, if any.
    pub fn answer_of(&self, comment_id: &str) -> Option<&str> {
        self.comments
            .get(comment_id)
            .and_then(|c| c.answer_id.as_deref())
    }
}

impl Aggregate for Content {
    type Command = ContentCommand;
    type Event = ContentEvent;
    type Error = ContentError;
    const CATEGORY: &'static str = "content";

    fn handle(
        &self,
        command: &ContentCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<ContentEvent>, ContentError> {
        match command {
            ContentCommand::DraftContent {
                kind,
                title,
                summary,
                body,
                tags,
                language,
            } => self.draft(
                ctx,
                decide::NewDraft {
                    kind: *kind,
                    title,
                    summary,
                    body,
                    tags,
                    language,
                },
            ),
            ContentCommand::EditDraft(changes) => self.edit(ctx, changes),
            ContentCommand::SetPrice { price } => self.set_price(ctx, price),
            ContentCommand::Publish { required_score_bps } => {
                self.publish(ctx, *required_score_bps)
            }
            ContentCommand::Unpublish => self.unpublish(ctx),
            ContentCommand::Retire => self.retire(ctx),
            ContentCommand::Purchase {
                buyer_id,
                purchase_id,
                platform_fee_bps,
                partner,
            } => self.buy(
                ctx,
                buyer_id,
                purchase_id,
                *platform_fee_bps,
                partner.as_ref(),
            ),
            ContentCommand::Refund {
                purchase_id,
                window_micros,
            } => self.refund(ctx, purchase_id, *window_micros),
            ContentCommand::Rate { stars, member_of } => {
                self.rate(ctx, *stars, member_of.as_deref())
            }
            ContentCommand::Review { text, member_of } => {
                self.review(ctx, text, member_of.as_deref())
            }
            ContentCommand::CheckIn { note, member_of } => {
                self.check_in(ctx, note.as_deref(), member_of.as_deref())
            }
            ContentCommand::PostComment {
                comment_id,
                parent_id,
                text,
                is_question,
            } => self.post_comment(ctx, comment_id, parent_id.as_deref(), text, *is_question),
            ContentCommand::MarkAnswer {
                comment_id,
                answer_id,
            } => self.mark_answer(ctx, comment_id, answer_id),
            ContentCommand::ImportListing(listing) => self.import_listing(ctx, listing),
            ContentCommand::RecordGeneratedDraft(draft) => self.record_draft(ctx, draft),
            ContentCommand::RecordVerification(outcome) => self.record_verification(ctx, outcome),
        }
    }

    fn apply(&mut self, event: &ContentEvent) {
        self.evolve(event);
    }
}
