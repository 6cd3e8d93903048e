//! The wire types of `/v1/contracts` and `/v1/vendors/{id}/reputation`.

use agora_actors::contract::{MilestoneStage, VendorStanding};
use agora_actors::projection::contracts::{ContractCard, MilestoneCard, ReviewCard};
use agora_actors::projection::money::clamp_i64;
use agora_events::domain::contract::Party;
use agora_events::domain::money::Money;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::http::fields;
use crate::timefmt::rfc3339;

/// Body of `…/submit` (optional).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitBody {
    /// What the delivery contains (at most 2000 characters).
    #[serde(default)]
    #[schemars(with = "fields::ContractNote")]
    pub(crate) note: String,
}

/// Body of `…/request-changes` and `…/dispute` (optional).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonBody {
    /// Why (at most 2000 characters).
    #[serde(default)]
    #[schemars(with = "fields::ContractNote")]
    pub(crate) reason: String,
}

/// Body of `…/resolve`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResolveBody {
    /// The vendor's part of the milestone's escrow, in minor units (at
    /// most the milestone's amount; the fee applies); the rest is refunded
    /// to the client.
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) vendor_cents: u64,
    /// The admin's note (at most 2000 characters).
    #[serde(default)]
    #[schemars(with = "fields::ContractNote")]
    pub(crate) note: String,
}

/// Body of `POST /v1/contracts/{id}/reviews`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ContractReviewBody")]
pub(crate) struct ReviewBody {
    /// Quality of the work (or of the brief), 1–5.
    #[schemars(with = "fields::Score")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) quality: u8,
    /// Communication, 1–5.
    #[schemars(with = "fields::Score")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) communication: u8,
    /// Timeliness, 1–5.
    #[schemars(with = "fields::Score")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) timeliness: u8,
    /// Optional text (at most 4000 characters).
    #[serde(default)]
    #[schemars(with = "fields::ContractReview")]
    pub(crate) text: String,
}

/// A contract's escrow, summed over its milestones.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct EscrowView {
    /// ISO 4217 code.
    currency: String,
    /// Put in escrow by the client.
    funded_cents: i64,
    /// Released to the vendor (before the platform's fee).
    released_cents: i64,
    /// Refunded to the client.
    refunded_cents: i64,
    /// Held now; always `funded − released − refunded`.
    held_cents: i64,
}

/// One milestone and its escrow.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "ContractMilestoneView")]
pub(crate) struct MilestoneView {
    /// Its index (from 0): the `{index}` of its routes.
    index: u32,
    /// What is delivered.
    title: String,
    /// What it pays, in minor units.
    amount_cents: u64,
    /// Due, in days after the contract opened.
    due_day: u32,
    /// `unfunded`, `in_progress`, `submitted`, `disputed`, `accepted` or
    /// `resolved`.
    stage: MilestoneStage,
    /// Put in escrow.
    funded_cents: u64,
    /// Released to the vendor (before the fee).
    released_cents: u64,
    /// Refunded to the client.
    refunded_cents: u64,
    /// Held in escrow now.
    held_cents: u64,
    /// The platform's fee taken from what was released.
    fee_cents: u64,
    /// When it was funded, RFC 3339.
    funded_at: Option<String>,
    /// When it was last submitted.
    submitted_at: Option<String>,
    /// When the pending submission is accepted automatically.
    auto_accept_at: Option<String>,
    /// Times it was sent back for changes.
    changes_requested: u32,
    /// Who disputed it (`client` or `vendor`), if anyone did.
    disputed_by: Option<Party>,
    /// When it was accepted or resolved.
    settled_at: Option<String>,
    /// Whether it was accepted automatically.
    accepted_automatically: bool,
}

impl From<&MilestoneCard> for MilestoneView {
    fn from(m: &MilestoneCard) -> Self {
        Self {
            index: m.index,
            title: m.title.clone(),
            amount_cents: m.amount_cents,
            due_day: m.due_day,
            stage: m.stage,
            funded_cents: m.funded_cents,
            released_cents: m.released_cents,
            refunded_cents: m.refunded_cents,
            held_cents: m.held_cents,
            fee_cents: m.fee_cents,
            funded_at: m.funded_at.map(rfc3339),
            submitted_at: m.submitted_at.map(rfc3339),
            auto_accept_at: m.auto_accept_at.map(rfc3339),
            changes_requested: m.changes_requested,
            disputed_by: m.disputed_by,
            settled_at: m.settled_at.map(rfc3339),
            accepted_automatically: m.accepted_automatically,
        }
    }
}

/// One review.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "ContractReviewView")]
pub(crate) struct ReviewView {
    /// Which side wrote it.
    by: Party,
    /// The reviewer.
    reviewer_id: String,
    /// The reviewed party.
    reviewee_id: String,
    /// 1–5.
    quality: u8,
    /// 1–5.
    communication: u8,
    /// 1–5.
    timeliness: u8,
    /// The text (may be empty).
    text: String,
    /// When, RFC 3339.
    reviewed_at: String,
}

impl From<&ReviewCard> for ReviewView {
    fn from(r: &ReviewCard) -> Self {
        Self {
            by: r.by,
            reviewer_id: r.reviewer_id.clone(),
            reviewee_id: r.reviewee_id.clone(),
            quality: r.quality,
            communication: r.communication,
            timeliness: r.timeliness,
            text: r.text.clone(),
            reviewed_at: rfc3339(r.reviewed_at),
        }
    }
}

/// A contract, for its parties, admins and auditors.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ContractView {
    /// The contract's id (= the requirement's).
    id: String,
    /// The requirement awarded.
    requirement_id: String,
    /// The client.
    client_id: String,
    /// The vendor.
    vendor_id: String,
    /// The awarded price.
    price: Money,
    /// `open` or `completed`.
    status: &'static str,
    /// When it was opened, RFC 3339.
    opened_at: String,
    /// When it was completed.
    completed_at: Option<String>,
    /// The escrow over all milestones.
    escrow: EscrowView,
    /// The milestones, in index order, each with its escrow.
    milestones: Vec<MilestoneView>,
    /// The reviews, in the order written.
    reviews: Vec<ReviewView>,
    /// The contract's version (the `ETag`).
    version: u64,
}

impl From<&ContractCard> for ContractView {
    fn from(card: &ContractCard) -> Self {
        let totals = card.escrow();
        let cents = |v: u128| clamp_i64(i128::try_from(v).unwrap_or(i128::MAX));
        Self {
            id: card.id.clone(),
            requirement_id: card.requirement_id.clone(),
            client_id: card.client_id.clone(),
            vendor_id: card.vendor_id.clone(),
            price: card.price.clone(),
            status: if card.completed_at.is_some() {
                "completed"
            } else {
                "open"
            },
            opened_at: rfc3339(card.opened_at),
            completed_at: card.completed_at.map(rfc3339),
            escrow: EscrowView {
                currency: card.price.currency.clone(),
                funded_cents: cents(totals.funded),
                released_cents: cents(totals.released),
                refunded_cents: cents(totals.refunded),
                held_cents: cents(totals.held),
            },
            milestones: card.milestones.iter().map(MilestoneView::from).collect(),
            reviews: card.reviews.iter().map(ReviewView::from).collect(),
            version: card.version,
        }
    }
}

/// A user's reputation and load as a vendor, public (its contracts as a
/// client, and its vendors' reviews of it, do not count).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ReputationView {
    /// The vendor (a user id).
    vendor_id: String,
    /// The Bayesian average of the review scores (each review scores the
    /// mean of its three): `(prior_weight · prior_mean + Σ scores) /
    /// (prior_weight + reviews)`; the prior mean without reviews.
    score: f64,
    /// Reviews received from its clients.
    reviews: u64,
    /// The plain mean of the review scores (`null`: no reviews).
    mean: Option<f64>,
    /// Plain mean of the quality scores.
    quality: Option<f64>,
    /// Plain mean of the communication scores.
    communication: Option<f64>,
    /// Plain mean of the timeliness scores.
    timeliness: Option<f64>,
    /// The prior mean (setting `reputation_prior_mean`).
    prior_mean: f64,
    /// The prior's weight in reviews (setting `reputation_prior_weight`).
    prior_weight: f64,
    /// Contracts it delivers, open now: the current load.
    open_contracts: u64,
    /// Contracts it delivered to completion.
    completed_contracts: u64,
}

impl ReputationView {
    /// The view of `vendor_id`'s standing under the prior `(mean, weight)`.
    pub(crate) fn of(vendor_id: String, standing: &VendorStanding, prior: (f64, f64)) -> Self {
        let r = standing.reputation;
        let dimension = |i: usize| r.dimensions.and_then(|d| d.get(i).copied());
        Self {
            vendor_id,
            score: r.score,
            reviews: r.reviews,
            mean: r.mean,
            quality: dimension(0),
            communication: dimension(1),
            timeliness: dimension(2),
            prior_mean: prior.0,
            prior_weight: prior.1,
            open_contracts: standing.open_contracts,
            completed_contracts: standing.completed_contracts,
        }
    }
}
