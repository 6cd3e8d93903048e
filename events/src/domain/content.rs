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

use super::content_models::{ContentDraftGenerated, ContentVerified};
use super::domain_events;
use super::revenue::{Account, RevenueShare};
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

pub use super::money::Money;

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
/// Schema version 2 (current) adds `shares`: how the price was split at the
/// moment of sale. Version 1 events (written before revenue splits existed,
/// when the whole price went to the creator and the platform took no fee)
/// are upcast with empty `shares`; [`ContentPurchased::shares_for`] turns
/// that into the rule of the time.
///
/// Guarantees: the item was published and not retired; the buyer is not the
/// creator and had no live (unrefunded) purchase of it; `purchase_id` was
/// never used on this item before; `price` is the item's price at that time;
/// `partner_id` is the partner credited with the sale (the partner that
/// listed the item, if one did); `shares` (version 2) were made by
/// [`split_sale`](super::revenue::split_sale): they add up to the price,
/// none is zero, so a non-free sale always has at least one.
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
    /// The partner platform credited with the sale, if any.
    pub partner_id: Option<String>,
    /// The split of the price between creator, platform and partner, fixed
    /// at the moment of sale (empty for free sales and for version-1 events).
    pub shares: Vec<RevenueShare>,
}

impl ContentPurchased {
    /// The shares of this sale, given the item's creator: the recorded
    /// shares, or for a version-1 sale (a price but no shares) the whole
    /// price to the creator, as was the rule then.
    ///
    /// Guarantees: the result adds up to `price.amount_cents`.
    pub fn shares_for(&self, creator_id: &str) -> Vec<RevenueShare> {
        if self.shares.is_empty() && self.price.amount_cents > 0 {
            return vec![RevenueShare {
                account: Account::Creator(creator_id.to_owned()),
                amount_cents: self.price.amount_cents,
            }];
        }
        self.shares.clone()
    }
}

/// [`ContentPurchased`] as schema version 1 wrote it (no `shares`: the
/// whole price went to the creator).
#[derive(Deserialize, JsonSchema)]
struct ContentPurchasedV1 {
    buyer_id: String,
    price: Money,
    purchase_id: String,
    purchased_at: Timestamp,
    partner_id: Option<String>,
}

impl From<ContentPurchasedV1> for ContentPurchased {
    fn from(v1: ContentPurchasedV1) -> Self {
        Self {
            buyer_id: v1.buyer_id,
            price: v1.price,
            purchase_id: v1.purchase_id,
            purchased_at: v1.purchased_at,
            partner_id: v1.partner_id,
            shares: Vec::new(),
        }
    }
}

/// A partner platform listed the item through a catalog import: it is
/// credited with (and takes its share of) every sale of the item.
///
/// Guarantees: recorded right after the item's [`ContentDrafted`], in the
/// same append, and never again on this stream; `external_id` is the item's
/// id in the partner's own catalog (1–64 of `A-Za-z0-9_-.:`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContentListedByPartner {
    /// The partner that listed the item.
    pub partner_id: String,
    /// The item's id in the partner's catalog.
    pub external_id: String,
    /// When it was listed.
    #[schemars(with = "i64")]
    pub listed_at: Timestamp,
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

domain_events! {
    /// Every event of the Content aggregate.
    ///
    /// Type names are prefixed with `Content` so they stay unique across
    /// every aggregate in `$all`.
    #[derive(Clone, Debug, PartialEq)]
    pub enum ContentEvent;
    /// A content event before its payload is decoded: what a projection
    /// matches on, reading (and so decoding) only the payloads it folds.
    pub enum LazyContentEvent;
    /// See [`ContentDrafted`].
    Drafted(ContentDrafted) = "ContentDrafted" version 1,
    /// See [`DraftEdited`].
    DraftEdited(DraftEdited) = "ContentDraftEdited" version 1,
    /// See [`PriceSet`].
    PriceSet(PriceSet) = "ContentPriceSet" version 1,
    /// See [`ContentPublished`].
    Published(ContentPublished) = "ContentPublished" version 1,
    /// See [`ContentUnpublished`].
    Unpublished(ContentUnpublished) = "ContentUnpublished" version 1,
    /// See [`ContentRetired`].
    Retired(ContentRetired) = "ContentRetired" version 1,
    /// See [`ContentPurchased`].
    Purchased(ContentPurchased) = "ContentPurchased" version 2
        upcast { 1 => ContentPurchasedV1 },
    /// See [`PurchaseRefunded`].
    PurchaseRefunded(PurchaseRefunded) = "ContentPurchaseRefunded" version 1,
    /// See [`ContentRated`].
    Rated(ContentRated) = "ContentRated" version 1,
    /// See [`ReviewWritten`].
    ReviewWritten(ReviewWritten) = "ContentReviewWritten" version 1,
    /// See [`CheckedIn`].
    CheckedIn(CheckedIn) = "ContentCheckedIn" version 1,
    /// See [`CommentPosted`].
    CommentPosted(CommentPosted) = "ContentCommentPosted" version 1,
    /// See [`AnswerMarked`].
    AnswerMarked(AnswerMarked) = "ContentAnswerMarked" version 1,
    /// See [`ContentListedByPartner`].
    ListedByPartner(ContentListedByPartner) = "ContentListedByPartner" version 1,
    /// See [`ContentDraftGenerated`].
    DraftGenerated(ContentDraftGenerated) = "ContentDraftGenerated" version 1,
    /// See [`ContentVerified`].
    Verified(ContentVerified) = "ContentVerified" version 1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;
    use crate::domain::DomainEvent;
    use crate::domain::content_models::{DraftParams, Finding, FindingKind, ModelVersion};

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
                shares: vec![],
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
            ContentEvent::ListedByPartner(ContentListedByPartner {
                partner_id: "partner-1".into(),
                external_id: "ext-9".into(),
                listed_at: Timestamp(14),
            }),
            ContentEvent::DraftGenerated(ContentDraftGenerated {
                requested_by: "u1".into(),
                prompt: "An outline".into(),
                text: "草稿 draft".into(),
                model: "smollm2@abc".into(),
                params: DraftParams {
                    max_tokens: 64,
                    temperature: 0.7,
                    top_k: 40,
                    top_p: 0.9,
                    seed: 7,
                    repetition_penalty: 1.1,
                    no_repeat_ngram: 0,
                },
                tokens: 12,
                prompt_tokens: 30,
                finish: "stop".into(),
                duration_ms: 1_500,
                generated_at: Timestamp(15),
            }),
            ContentEvent::Verified(ContentVerified {
                requested_by: "admin".into(),
                score: 0.75,
                findings: vec![Finding {
                    kind: FindingKind::ContactLeak,
                    message: "an e-mail address".into(),
                    penalty: 0.25,
                    evidence: Some("a***@example.com".into()),
                }],
                model_versions: vec![ModelVersion {
                    name: "paraphrase-MiniLM-L3-v2.onnx".into(),
                    sha256: "00ff".into(),
                }],
                verified_at: Timestamp(16),
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
            let expected_version = if event.event_type() == "ContentPurchased" {
                2
            } else {
                1
            };
            assert_eq!(event.schema_version(), expected_version);
            let bytes = event.encode_payload().unwrap_or_default();
            let back = ContentEvent::decode(event.event_type(), event.schema_version(), &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert_eq!(names.len(), 16);
        assert_eq!(names, ContentEvent::TYPES.iter().copied().collect());
        assert!(ContentEvent::decode("ContentDrafted", 2, &[]).is_err());
        assert!(ContentEvent::decode("UserRegistered", 1, &[]).is_err());
    }

    /// A `ContentPurchased` exactly as schema version 1 wrote it.
    #[derive(Serialize)]
    struct PurchasedV1<'a> {
        buyer_id: &'a str,
        price: Money,
        purchase_id: &'a str,
        purchased_at: Timestamp,
        partner_id: Option<&'a str>,
    }

    #[test]
    fn version_1_purchases_upcast_to_the_whole_price_for_the_creator() {
        let v1 = PurchasedV1 {
            buyer_id: "u2",
            price: cny(990),
            purchase_id: "p1",
            purchased_at: Timestamp(7),
            partner_id: None,
        };
        let bytes = codec::encode_payload(&v1).unwrap_or_default();
        let decoded = ContentEvent::decode("ContentPurchased", 1, &bytes);
        let Ok(ContentEvent::Purchased(purchased)) = decoded else {
            panic!("a v1 purchase decodes: {decoded:?}");
        };
        assert_eq!(purchased.buyer_id, "u2");
        assert_eq!(purchased.price, cny(990));
        assert!(purchased.shares.is_empty());
        assert_eq!(
            purchased.shares_for("c1"),
            vec![RevenueShare {
                account: Account::Creator("c1".into()),
                amount_cents: 990,
            }]
        );
        // A v1 payload is not a v2 payload, and unknown versions are refused.
        assert!(ContentEvent::decode("ContentPurchased", 2, &bytes).is_err());
        assert!(ContentEvent::decode("ContentPurchased", 3, &bytes).is_err());
    }

    #[test]
    fn version_2_purchases_keep_their_shares() {
        let purchased = ContentPurchased {
            buyer_id: "u2".into(),
            price: cny(1_000),
            purchase_id: "p1".into(),
            purchased_at: Timestamp(7),
            partner_id: Some("acme".into()),
            shares: vec![
                RevenueShare {
                    account: Account::Creator("c1".into()),
                    amount_cents: 700,
                },
                RevenueShare {
                    account: Account::Platform,
                    amount_cents: 200,
                },
                RevenueShare {
                    account: Account::Partner("acme".into()),
                    amount_cents: 100,
                },
            ],
        };
        assert_eq!(purchased.shares_for("ignored"), purchased.shares);
        let event = ContentEvent::Purchased(purchased);
        let bytes = event.encode_payload().unwrap_or_default();
        assert_eq!(
            ContentEvent::decode("ContentPurchased", 2, &bytes).ok(),
            Some(event)
        );
    }
}
