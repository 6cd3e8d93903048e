//! The wire types of `/v1/requirements`.

use agora_actors::projection::requirements::{
    BidCard, BidStatus, RequirementCard, RequirementStatus,
};
use agora_events::Timestamp;
use agora_events::domain::requirement::{Budget, Milestone, Visibility};
use serde::{Deserialize, Serialize};

use crate::http::fields;
use crate::http::vendors::views::AmountBody;
use crate::timefmt::rfc3339;

/// A budget range on the wire.
#[derive(Clone, Debug, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetBody {
    /// Least expected, in minor units.
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) min_cents: u64,
    /// Most expected, in minor units (at least `min_cents`, at most 10^12).
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) max_cents: u64,
    /// ISO 4217 code; bids are priced in it.
    #[schemars(with = "fields::Currency")]
    pub(crate) currency: String,
}

impl From<BudgetBody> for Budget {
    fn from(b: BudgetBody) -> Self {
        Self {
            min_cents: b.min_cents,
            max_cents: b.max_cents,
            currency: b.currency,
        }
    }
}

impl From<Budget> for BudgetBody {
    fn from(b: Budget) -> Self {
        Self {
            min_cents: b.min_cents,
            max_cents: b.max_cents,
            currency: b.currency,
        }
    }
}

/// Body of `POST /v1/requirements`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostBody {
    /// A chosen id (1–64 of `A-Za-z0-9_-.:`); generated when absent.
    #[schemars(with = "Option<fields::Id>")]
    pub(crate) id: Option<String>,
    /// Short title (1–200 characters).
    #[schemars(with = "fields::RequirementTitle")]
    pub(crate) title: String,
    /// What is to be built (1–20,000 characters).
    #[schemars(with = "fields::RequirementText")]
    pub(crate) description: String,
    /// Required skills (at most 30; lowercased).
    #[serde(default)]
    #[schemars(with = "fields::RequirementSkills")]
    pub(crate) skills: Vec<String>,
    /// The budget range.
    pub(crate) budget: BudgetBody,
    /// Days the work may take from the award (1–3660).
    #[schemars(with = "fields::Days")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) deadline_days: u32,
    /// Days bids are taken from now (1–365).
    #[schemars(with = "fields::BiddingDays")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) bidding_days: u32,
    /// `public`, `invited` (only the `invited` vendors) or `sealed` (bids
    /// hidden from other vendors, amounts from all but the client, until
    /// award).
    pub(crate) visibility: Visibility,
    /// The invited vendors (only with `"visibility": "invited"`, 1–200).
    #[serde(default)]
    #[schemars(with = "fields::Invited")]
    pub(crate) invited: Vec<String>,
}

/// Body of `PATCH /v1/requirements/{id}`: the fields to change. After the
/// first bid only `deadline_days` and `bidding_days`, and only upwards.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchBody {
    /// New title.
    #[schemars(with = "Option<fields::RequirementTitle>")]
    pub(crate) title: Option<String>,
    /// New description.
    #[schemars(with = "Option<fields::RequirementText>")]
    pub(crate) description: Option<String>,
    /// New skills.
    #[schemars(with = "Option<fields::RequirementSkills>")]
    pub(crate) skills: Option<Vec<String>>,
    /// New budget.
    pub(crate) budget: Option<BudgetBody>,
    /// New delivery deadline in days from the award.
    #[schemars(with = "Option<fields::Days>")]
    #[serde(default, deserialize_with = "crate::http::fields::integral_opt")]
    pub(crate) deadline_days: Option<u32>,
    /// New bidding window in days from the posting.
    #[schemars(with = "Option<fields::BiddingDays>")]
    #[serde(default, deserialize_with = "crate::http::fields::integral_opt")]
    pub(crate) bidding_days: Option<u32>,
    /// New visibility.
    pub(crate) visibility: Option<Visibility>,
    /// New invited vendors.
    #[schemars(with = "Option<fields::Invited>")]
    pub(crate) invited: Option<Vec<String>>,
}

/// Body of `POST /v1/requirements/{id}/cancel` (optional).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CancelBody {
    /// Why (kept in the event; at most 1000 characters).
    #[serde(default)]
    #[schemars(with = "fields::CancelReason")]
    pub(crate) reason: String,
}

/// One milestone of a bid on the wire.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MilestoneBody {
    /// What is delivered (1–200 characters).
    #[schemars(with = "fields::MilestoneTitle")]
    pub(crate) title: String,
    /// What it costs, in the price's minor units (at least 1).
    #[schemars(with = "fields::MilestoneCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) amount_cents: u64,
    /// Day after the award it is due (1 to `delivery_days`).
    #[schemars(with = "fields::DueDay")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) due_day: u32,
}

/// Body of `POST /v1/requirements/{id}/bids` and
/// `PUT /v1/requirements/{id}/bids/{vendor_id}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BidBody {
    /// The whole price, in the budget's currency.
    pub(crate) price: AmountBody,
    /// Days from the award to delivery (1–3660).
    #[schemars(with = "fields::Days")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) delivery_days: u32,
    /// The proposal (1–20,000 characters).
    #[schemars(with = "fields::RequirementText")]
    pub(crate) proposal: String,
    /// 1–50 milestones whose amounts add up to the price exactly.
    #[schemars(length(min = 1, max = agora_actors::requirement::rules::MAX_MILESTONES))]
    pub(crate) milestones: Vec<MilestoneBody>,
}

impl MilestoneBody {
    pub(crate) fn into_milestone(self) -> Milestone {
        Milestone {
            title: self.title,
            amount_cents: self.amount_cents,
            due_day: self.due_day,
        }
    }
}

/// Body of `POST /v1/requirements/{id}/award`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AwardBody {
    /// The vendor whose live bid wins.
    #[schemars(with = "fields::Id")]
    pub(crate) vendor_id: String,
}

/// Where a requirement is, as answered.
#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StatusView {
    /// Taking bids.
    Open,
    /// Bidding window over; not awarded or cancelled yet.
    Closed,
    /// Awarded (see `contract_id`).
    Awarded,
    /// Cancelled.
    Cancelled,
}

fn status_of(card: &RequirementCard, now: Timestamp) -> StatusView {
    match card.status {
        RequirementStatus::Open if card.bidding_open(now) => StatusView::Open,
        RequirementStatus::Open => StatusView::Closed,
        RequirementStatus::Awarded => StatusView::Awarded,
        RequirementStatus::Cancelled => StatusView::Cancelled,
    }
}

/// A requirement as read.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RequirementView {
    /// The requirement's id.
    pub(crate) id: String,
    /// Its client.
    pub(crate) client_id: String,
    /// Title.
    pub(crate) title: String,
    /// Description.
    pub(crate) description: String,
    /// Required skills.
    pub(crate) skills: Vec<String>,
    /// The budget range.
    pub(crate) budget: BudgetBody,
    /// Days the work may take from the award.
    pub(crate) deadline_days: u32,
    /// Days bids are taken from the posting.
    pub(crate) bidding_days: u32,
    /// Who sees it.
    pub(crate) visibility: Visibility,
    /// The invited vendors (shown to the client, admins and auditors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) invited: Option<Vec<String>>,
    /// When it was posted (RFC 3339).
    pub(crate) posted_at: String,
    /// When bidding closes (RFC 3339).
    pub(crate) bidding_closes_at: String,
    /// `open`, `closed`, `awarded` or `cancelled`, now.
    pub(crate) status: StatusView,
    /// Live bids.
    pub(crate) live_bids: usize,
    /// The winning vendor, once awarded.
    pub(crate) awarded_to: Option<String>,
    /// The contract the award opened (the requirement's id), once awarded.
    pub(crate) contract_id: Option<String>,
    /// The aggregate's version (the `ETag`).
    pub(crate) version: u64,
}

impl RequirementView {
    /// The view of `card` at `now`; `full` shows the invited list.
    pub(crate) fn of(card: RequirementCard, now: Timestamp, full: bool) -> Self {
        let status = status_of(&card, now);
        let live_bids = card.live_bids();
        let contract_id = card.awarded_to.as_ref().map(|_| card.id.clone());
        Self {
            status,
            live_bids,
            contract_id,
            id: card.id,
            client_id: card.client_id,
            title: card.terms.title,
            description: card.terms.description,
            skills: card.terms.skills,
            budget: card.terms.budget.into(),
            deadline_days: card.terms.deadline_days,
            bidding_days: card.terms.bidding_days,
            visibility: card.terms.visibility,
            invited: full.then_some(card.terms.invited),
            posted_at: rfc3339(card.posted_at),
            bidding_closes_at: rfc3339(card.bidding_closes_at),
            awarded_to: card.awarded_to,
            version: card.version,
        }
    }
}

/// One page of requirements.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RequirementPageView {
    /// The requirements, in order.
    pub(crate) requirements: Vec<RequirementView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub(crate) next_cursor: Option<String>,
}

/// One milestone as read; `amount_cents` is null where amounts are hidden.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "BidMilestoneView")]
pub(crate) struct MilestoneView {
    /// What is delivered.
    pub(crate) title: String,
    /// What it costs (null: hidden from this caller).
    pub(crate) amount_cents: Option<u64>,
    /// Day after the award it is due.
    pub(crate) due_day: u32,
}

/// One bid as read.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct BidView {
    /// The vendor.
    pub(crate) vendor_id: String,
    /// `live`, `withdrawn`, `declined`, `released` or `awarded`.
    #[schemars(with = "String")]
    pub(crate) status: BidStatus,
    /// The price (null: hidden from this caller).
    pub(crate) price: Option<AmountBody>,
    /// Days from the award to delivery.
    pub(crate) delivery_days: u32,
    /// The proposal.
    pub(crate) proposal: String,
    /// The milestone plan.
    pub(crate) milestones: Vec<MilestoneView>,
    /// Whether the vendor's awarded work filled its capacity when it bid.
    pub(crate) at_capacity: bool,
    /// When it was placed (RFC 3339).
    pub(crate) placed_at: String,
    /// When it last changed (RFC 3339).
    pub(crate) updated_at: String,
    /// Revisions since it was placed.
    pub(crate) revisions: u32,
}

impl BidView {
    /// The view of `bid`, with its amounts when `amounts`.
    pub(crate) fn of(bid: BidCard, amounts: bool) -> Self {
        Self {
            vendor_id: bid.vendor_id,
            status: bid.status,
            price: amounts.then(|| bid.terms.price.into()),
            delivery_days: bid.terms.delivery_days,
            proposal: bid.terms.proposal,
            milestones: bid
                .terms
                .milestones
                .into_iter()
                .map(|m| MilestoneView {
                    title: m.title,
                    amount_cents: amounts.then_some(m.amount_cents),
                    due_day: m.due_day,
                })
                .collect(),
            at_capacity: bid.at_capacity,
            placed_at: rfc3339(bid.placed_at),
            updated_at: rfc3339(bid.updated_at),
            revisions: bid.revisions,
        }
    }
}

/// The bids of a requirement, as this caller may see them.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct BidsView {
    /// The requirement.
    pub(crate) requirement_id: String,
    /// Its visibility.
    pub(crate) visibility: Visibility,
    /// Whether the bids are sealed for this caller now: only its own bid
    /// is listed (a vendor), or amounts are hidden (admins, auditors).
    pub(crate) sealed: bool,
    /// Live bids in all (also those not listed).
    pub(crate) live_bids: usize,
    /// The bids this caller sees, by vendor id.
    pub(crate) bids: Vec<BidView>,
    /// With `rank=true`: the live bids scored and ordered, best first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ranking: Option<super::ranking::RankingView>,
    /// The requirement's version.
    pub(crate) version: u64,
}
