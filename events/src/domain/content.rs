//! Events of the Content aggregate: one content item (an article, a course or
//! a column) from its draft to its retirement, with every purchase, refund,
//! rating, review, check-in and comment recorded on its stream.
//!
//! Each event is a fact the aggregate already checked: a reader (projection,
//! auditor) can trust the guarantees written on each type without checking
//! them again. Payloads are bincode, where enum variants are stored by
//! position: the variant order of [`ContentKind`] and [`Body`] is part of the
//! schema (new variants go at the end, and need a new schema version of the
//! events that carry them).
//!
//! Memberships are not here: a member's access to an item comes from the
//! Membership aggregate, never from a [`ContentPurchased`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema::EventSchema;
use super::{DomainDecodeError, DomainEvent, decode_v1};
use crate::codec;
use crate::model::Timestamp;

/// What kind of item a piece of content is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    /// A single piece, read once.
    Article,
    /// A course followed day by day; learners check in on it.
    Course,
    /// A column: a series of pieces under one title.
    Column,
}

/// One chapter of a structured body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Chapter {
    /// The chapter's title: trimmed, not empty, no control characters.
    pub title: String,
    /// The chapter's text (may be empty while drafting).
    pub body: String,
}

/// The body of a content item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Body {
    /// One text.
    Text(String),
    /// Chapters, in reading order.
    Chapters(Vec<Chapter>),
}

/// An amount of money in the smallest unit of a currency.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// Amount in cents (the currency's minor unit); 0 means free.
    pub amount_cents: u64,
    /// ISO 4217 code: exactly three uppercase ASCII letters (`"CNY"`).
    pub currency: String,
}

/// A creator started a new content item as a draft.
///
/// Guarantees: the first event of every content stream, and only there; the
/// title is trimmed, 1–200 characters; the summary, body, tags and language
/// are within the aggregate's limits; tags are trimmed and without repeats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContentDrafted {
    /// The content item's id (the aggregate id).
    pub content_id: String,
    /// The user who drafted it; the only one who may change it.
    pub creator_id: String,
    /// What kind of item it is.
    pub kind: ContentKind,
    /// The title.
    pub title: String,
    /// A short summary (may be empty).
    pub summary: String,
    /// The body (may be empty while drafting; publishing needs one).
    pub body: Body,
    /// Tags, in the creator's order.
    pub tags: Vec<String>,
    /// Language tag (BCP 47 shape, e.g. `en`, `zh-CN`).
    pub language: String,
    /// When the draft was accepted.
    pub drafted_at: Timestamp,
}

/// The creator changed a draft; absent fields are unchanged.
///
/// Guarantees: recorded only before the item was ever published or retired,
/// and only by its creator; at least
/// one field is present, and each present field differs from its previous
/// value and obeys the same rules as in [`ContentDrafted`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DraftEdited {
    /// The new kind.
    pub kind: Option<ContentKind>,
    /// The new title.
    pub title: Option<String>,
    /// The new summary.
    pub summary: Option<String>,
    /// The new body.
    pub body: Option<Body>,
    /// The new tags (all of them).
    pub tags: Option<Vec<String>>,
    /// The new language.
    pub language: Option<String>,
    /// When the edit was accepted.
    pub edited_at: Timestamp,
}

/// The creator set the price future purchases pay.
///
/// Guarantees: the item is not retired; the price differs from the previous
/// one; the currency is three uppercase ASCII letters. Past purchases keep
/// the price they paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PriceSet {
    /// The new price.
    pub price: Money,
    /// When it was set.
    pub set_at: Timestamp,
}

/// The creator made the item visible and purchasable.
///
/// Guarantees: the item was not published or retired; it has a title, a
/// non-empty body and a price. After the first one, the item's text can no
/// longer be edited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContentPublished {
    /// When it was published.
    pub published_at: Timestamp,
}

/// The creator hid a published item: no new purchases or comments; owners
/// keep their entitlement. It may be published again.
///
/// Guarantees: the item was published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContentUnpublished {
    /// When it was unpublished.
    pub unpublished_at: Timestamp,
}

/// The creator withdrew the item for good: it is never published, priced,
/// edited or sold again; owners keep their entitlement.
///
/// Guarantees: the item was not retired before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContentRetired {
    /// When it was retired.
    pub retired_at: Timestamp,
}

/// A buyer bought the item on its own and is entitled to it from now on,
/// until a [`PurchaseRefunded`] of the same `purchase_id`.
///
/// Guarantees: the item was published and not retired; the buyer is not the
/// creator and had no live (unrefunded) purchase of it; `purchase_id` was
/// never used on this item before; `price` is the item's price at that time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContentPurchased {
    /// Who bought it.
    pub buyer_id: String,
    /// What they paid.
    pub price: Money,
    /// The purchase's id, unique within this item.
    pub purchase_id: String,
    /// When the purchase was accepted.
    pub purchased_at: Timestamp,
    /// The partner platform the sale came through, if any.
    pub partner_id: Option<String>,
}

/// A purchase was refunded: the buyer's entitlement from it ends and its
/// money goes back.
///
/// Guarantees: the purchase exists, belongs to `buyer_id`, was not refunded
/// before, and the refund was asked by the buyer within the caller's refund
/// window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PurchaseRefunded {
    /// The refunded purchase.
    pub purchase_id: String,
    /// Its buyer.
    pub buyer_id: String,
    /// When the refund was accepted.
    pub refunded_at: Timestamp,
}

/// An owner rated the item. Each user has at most one rating: a later one
/// replaces the earlier.
///
/// Guarantees: the user owned the item at the time; `stars` is 1 to 5 and
/// differs from the user's previous rating.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContentRated {
    /// Who rated.
    pub user_id: String,
    /// 1 (worst) to 5 (best).
    pub stars: u8,
    /// When the rating was accepted.
    pub rated_at: Timestamp,
}

/// An owner wrote a review. Each user has at most one review: a later one
/// replaces the earlier.
///
/// Guarantees: the user owned the item at the time; the text is trimmed,
/// 1–5000 characters, and differs from the user's previous review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewWritten {
    /// Who wrote it.
    pub user_id: String,
    /// The review.
    pub text: String,
    /// When it was accepted.
    pub written_at: Timestamp,
}

/// An owner of a course recorded a day of progress (打卡). Streaks are
/// derived from the days.
///
/// Guarantees: the item is a course the user owned at the time; at most one
/// check-in per user per `day`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckedIn {
    /// Who checked in.
    pub user_id: String,
    /// The day, counted in whole days since the Unix epoch (UTC).
    pub day: u32,
    /// What they did that day, trimmed, if anything.
    pub note: Option<String>,
    /// When the check-in was accepted (within `day`).
    pub checked_in_at: Timestamp,
}

/// Someone commented on the item, or replied in a thread.
///
/// Guarantees: the item was published; `comment_id` was never used on this
/// item before; `parent_id`, if any, names an earlier comment of this item;
/// the text is trimmed, 1–5000 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommentPosted {
    /// The comment's id, unique within this item.
    pub comment_id: String,
    /// Who wrote it.
    pub author_id: String,
    /// The comment it replies to (`None` starts a thread).
    pub parent_id: Option<String>,
    /// The comment.
    pub text: String,
    /// Whether it asks a question the creator may mark an answer to.
    pub is_question: bool,
    /// When it was accepted.
    pub posted_at: Timestamp,
}

/// The creator marked a reply as the answer to a question. A question has
/// at most one marked answer: a later mark replaces the earlier.
///
/// Guarantees: marked by the creator; `comment_id` is a question of this
/// item; `answer_id` is a
/// comment in its thread (a reply to it, directly or through other replies)
/// and differs from the previously marked answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AnswerMarked {
    /// The question.
    pub comment_id: String,
    /// The reply marked as its answer.
    pub answer_id: String,
    /// When the mark was accepted.
    pub marked_at: Timestamp,
}

/// Every event of the Content aggregate.
///
/// Type names are prefixed with `Content` so they stay unique across every
/// aggregate in `$all`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentEvent {
    /// See [`ContentDrafted`].
    Drafted(ContentDrafted),
    /// See [`DraftEdited`].
    DraftEdited(DraftEdited),
    /// See [`PriceSet`].
    PriceSet(PriceSet),
    /// See [`ContentPublished`].
    Published(ContentPublished),
    /// See [`ContentUnpublished`].
    Unpublished(ContentUnpublished),
    /// See [`ContentRetired`].
    Retired(ContentRetired),
    /// See [`ContentPurchased`].
    Purchased(ContentPurchased),
    /// See [`PurchaseRefunded`].
    PurchaseRefunded(PurchaseRefunded),
    /// See [`ContentRated`].
    Rated(ContentRated),
    /// See [`ReviewWritten`].
    ReviewWritten(ReviewWritten),
    /// See [`CheckedIn`].
    CheckedIn(CheckedIn),
    /// See [`CommentPosted`].
    CommentPosted(CommentPosted),
    /// See [`AnswerMarked`].
    AnswerMarked(AnswerMarked),
}

impl DomainEvent for ContentEvent {
    fn event_type(&self) -> &'static str {
        match self {
            Self::Drafted(_) => "ContentDrafted",
            Self::DraftEdited(_) => "ContentDraftEdited",
            Self::PriceSet(_) => "ContentPriceSet",
            Self::Published(_) => "ContentPublished",
            Self::Unpublished(_) => "ContentUnpublished",
            Self::Retired(_) => "ContentRetired",
            Self::Purchased(_) => "ContentPurchased",
            Self::PurchaseRefunded(_) => "ContentPurchaseRefunded",
            Self::Rated(_) => "ContentRated",
            Self::ReviewWritten(_) => "ContentReviewWritten",
            Self::CheckedIn(_) => "ContentCheckedIn",
            Self::CommentPosted(_) => "ContentCommentPosted",
            Self::AnswerMarked(_) => "ContentAnswerMarked",
        }
    }

    fn encode_payload(&self) -> Result<Vec<u8>, codec::EncodeError> {
        match self {
            Self::Drafted(e) => codec::encode_payload(e),
            Self::DraftEdited(e) => codec::encode_payload(e),
            Self::PriceSet(e) => codec::encode_payload(e),
            Self::Published(e) => codec::encode_payload(e),
            Self::Unpublished(e) => codec::encode_payload(e),
            Self::Retired(e) => codec::encode_payload(e),
            Self::Purchased(e) => codec::encode_payload(e),
            Self::PurchaseRefunded(e) => codec::encode_payload(e),
            Self::Rated(e) => codec::encode_payload(e),
            Self::ReviewWritten(e) => codec::encode_payload(e),
            Self::CheckedIn(e) => codec::encode_payload(e),
            Self::CommentPosted(e) => codec::encode_payload(e),
            Self::AnswerMarked(e) => codec::encode_payload(e),
        }
    }

    fn decode(event_type: &str, version: u32, payload: &[u8]) -> Result<Self, DomainDecodeError> {
        let (t, v, p) = (event_type, version, payload);
        Ok(match event_type {
            "ContentDrafted" => Self::Drafted(decode_v1(t, v, p)?),
            "ContentDraftEdited" => Self::DraftEdited(decode_v1(t, v, p)?),
            "ContentPriceSet" => Self::PriceSet(decode_v1(t, v, p)?),
            "ContentPublished" => Self::Published(decode_v1(t, v, p)?),
            "ContentUnpublished" => Self::Unpublished(decode_v1(t, v, p)?),
            "ContentRetired" => Self::Retired(decode_v1(t, v, p)?),
            "ContentPurchased" => Self::Purchased(decode_v1(t, v, p)?),
            "ContentPurchaseRefunded" => Self::PurchaseRefunded(decode_v1(t, v, p)?),
            "ContentRated" => Self::Rated(decode_v1(t, v, p)?),
            "ContentReviewWritten" => Self::ReviewWritten(decode_v1(t, v, p)?),
            "ContentCheckedIn" => Self::CheckedIn(decode_v1(t, v, p)?),
            "ContentCommentPosted" => Self::CommentPosted(decode_v1(t, v, p)?),
            "ContentAnswerMarked" => Self::AnswerMarked(decode_v1(t, v, p)?),
            other => return Err(DomainDecodeError::UnknownType(other.to_owned())),
        })
    }
}

/// The payload schema of every content event type and version.
pub fn schemas() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<ContentDrafted>("ContentDrafted", 1),
        EventSchema::of::<DraftEdited>("ContentDraftEdited", 1),
        EventSchema::of::<PriceSet>("ContentPriceSet", 1),
        EventSchema::of::<ContentPublished>("ContentPublished", 1),
        EventSchema::of::<ContentUnpublished>("ContentUnpublished", 1),
        EventSchema::of::<ContentRetired>("ContentRetired", 1),
        EventSchema::of::<ContentPurchased>("ContentPurchased", 1),
        EventSchema::of::<PurchaseRefunded>("ContentPurchaseRefunded", 1),
        EventSchema::of::<ContentRated>("ContentRated", 1),
        EventSchema::of::<ReviewWritten>("ContentReviewWritten", 1),
        EventSchema::of::<CheckedIn>("ContentCheckedIn", 1),
        EventSchema::of::<CommentPosted>("ContentCommentPosted", 1),
        EventSchema::of::<AnswerMarked>("ContentAnswerMarked", 1),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    #[test]
    fn content_events_round_trip() {
        let events = [
            ContentEvent::Drafted(ContentDrafted {
                content_id: "c1".into(),
                creator_id: "u1".into(),
                kind: ContentKind::Course,
                title: "Rust in 30 days".into(),
                summary: "From zero to actors".into(),
                body: Body::Chapters(vec![Chapter {
                    title: "Day 1".into(),
                    body: "Ownership".into(),
                }]),
                tags: vec!["rust".into(), "编程".into()],
                language: "zh-CN".into(),
                drafted_at: Timestamp(1),
            }),
            ContentEvent::DraftEdited(DraftEdited {
                kind: Some(ContentKind::Article),
                title: None,
                summary: Some(String::new()),
                body: Some(Body::Text("text".into())),
                tags: Some(vec![]),
                language: None,
                edited_at: Timestamp(2),
            }),
            ContentEvent::PriceSet(PriceSet {
                price: cny(9_900),
                set_at: Timestamp(3),
            }),
            ContentEvent::Published(ContentPublished {
                published_at: Timestamp(4),
            }),
            ContentEvent::Unpublished(ContentUnpublished {
                unpublished_at: Timestamp(5),
            }),
            ContentEvent::Retired(ContentRetired {
                retired_at: Timestamp(6),
            }),
            ContentEvent::Purchased(ContentPurchased {
                buyer_id: "u2".into(),
                price: cny(0),
                purchase_id: "p1".into(),
                purchased_at: Timestamp(7),
                partner_id: Some("partner-1".into()),
            }),
            ContentEvent::PurchaseRefunded(PurchaseRefunded {
                purchase_id: "p1".into(),
                buyer_id: "u2".into(),
                refunded_at: Timestamp(8),
            }),
            ContentEvent::Rated(ContentRated {
                user_id: "u2".into(),
                stars: 5,
                rated_at: Timestamp(9),
            }),
            ContentEvent::ReviewWritten(ReviewWritten {
                user_id: "u2".into(),
                text: "好".into(),
                written_at: Timestamp(10),
            }),
            ContentEvent::CheckedIn(CheckedIn {
                user_id: "u2".into(),
                day: 19_700,
                note: None,
                checked_in_at: Timestamp(11),
            }),
            ContentEvent::CommentPosted(CommentPosted {
                comment_id: "k1".into(),
                author_id: "u3".into(),
                parent_id: Some("k0".into()),
                text: "Why?".into(),
                is_question: true,
                posted_at: Timestamp(12),
            }),
            ContentEvent::AnswerMarked(AnswerMarked {
                comment_id: "k1".into(),
                answer_id: "k2".into(),
                marked_at: Timestamp(13),
            }),
        ];
        let mut names = std::collections::BTreeSet::new();
        let listed: Vec<_> = schemas()
            .iter()
            .map(|s| (s.event_type, s.version))
            .collect();
        for event in events {
            assert!(names.insert(event.event_type()), "type names are unique");
            assert!(
                listed.contains(&(event.event_type(), event.schema_version())),
                "{} has no schema listed",
                event.event_type()
            );
            assert_eq!(event.schema_version(), 1);
            let bytes = event.encode_payload().unwrap_or_default();
            let back = ContentEvent::decode(event.event_type(), event.schema_version(), &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert_eq!(names.len(), 13);
        assert!(ContentEvent::decode("ContentDrafted", 2, &[]).is_err());
        assert!(ContentEvent::decode("UserRegistered", 1, &[]).is_err());
    }
}
