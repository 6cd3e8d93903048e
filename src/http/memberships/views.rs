//! The wire types of `/v1/plans` and `/v1/users/{id}/memberships`.

use agora_actors::membership::MembershipStatus;
use agora_actors::projection::memberships::{MembershipCard, PaymentRecord, PlanCard};
use agora_events::Timestamp;
use agora_events::domain::content::Money;
use agora_events::domain::membership::PlanOwner;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::http::{AppState, fields};
use crate::timefmt::rfc3339;

/// An amount of money, on the wire.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoneyBody {
    /// Amount in the currency's minor unit (cents); 0 = free.
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    amount_cents: u64,
    /// ISO 4217 code, three uppercase letters (`CNY`).
    #[schemars(with = "fields::Currency")]
    currency: String,
}

impl From<MoneyBody> for Money {
    fn from(body: MoneyBody) -> Self {
        Self {
            amount_cents: body.amount_cents,
            currency: body.currency,
        }
    }
}

impl From<Money> for MoneyBody {
    fn from(money: Money) -> Self {
        Self {
            amount_cents: money.amount_cents,
            currency: money.currency,
        }
    }
}

/// A plan's owner on the wire: `{"kind": "platform"}` or `{"kind":
/// "creator", "id": CREATOR}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub(crate) enum OwnerBody {
    /// The platform: covers all content.
    Platform,
    /// A creator: covers that creator's content.
    Creator(#[schemars(with = "fields::Id")] String),
}

impl From<OwnerBody> for PlanOwner {
    fn from(body: OwnerBody) -> Self {
        match body {
            OwnerBody::Platform => Self::Platform,
            OwnerBody::Creator(id) => Self::Creator(id),
        }
    }
}

impl From<PlanOwner> for OwnerBody {
    fn from(owner: PlanOwner) -> Self {
        match owner {
            PlanOwner::Platform => Self::Platform,
            PlanOwner::Creator(id) => Self::Creator(id),
        }
    }
}

/// Body of `POST /v1/plans`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferBody {
    /// A client-chosen plan id; generated when absent.
    #[schemars(with = "Option<fields::Id>")]
    pub(crate) id: Option<String>,
    /// `{"kind": "platform"}` (admins) or `{"kind": "creator", "id":
    /// CREATOR}` (that creator); absent: the caller, as a creator.
    pub(crate) owner: Option<OwnerBody>,
    /// The plan's name.
    #[schemars(with = "fields::PlanTitle")]
    pub(crate) title: String,
    /// One period, in days (1 to 3660).
    #[schemars(with = "fields::PeriodDays")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    pub(crate) period_days: u32,
    /// What one period costs.
    pub(crate) price: MoneyBody,
}

/// A plan on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PlanView {
    id: String,
    owner: OwnerBody,
    title: String,
    period_days: u32,
    /// What the next payment (new member or renewal) pays.
    price: MoneyBody,
    offered_by: String,
    offered_at: String,
    withdrawn: bool,
    withdrawn_at: Option<String>,
    /// Memberships that are not expired.
    current_members: u64,
    version: u64,
}

impl From<PlanCard> for PlanView {
    fn from(card: PlanCard) -> Self {
        Self {
            id: card.id,
            owner: card.owner.into(),
            title: card.title,
            period_days: card.period_days,
            price: card.price.into(),
            offered_by: card.offered_by,
            offered_at: rfc3339(card.offered_at),
            withdrawn: card.withdrawn_at.is_some(),
            withdrawn_at: card.withdrawn_at.map(rfc3339),
            current_members: card.current_members,
            version: card.version,
        }
    }
}

/// A page of plans on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PlanPage {
    pub(crate) plans: Vec<PlanView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub(crate) next_after: Option<String>,
}

/// One payment on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PaymentView {
    payment_id: String,
    paid: MoneyBody,
    period_start: String,
    period_end: String,
}

impl From<PaymentRecord> for PaymentView {
    fn from(payment: PaymentRecord) -> Self {
        Self {
            payment_id: payment.payment_id,
            paid: payment.paid.into(),
            period_start: rfc3339(payment.period_start),
            period_end: rfc3339(payment.period_end),
        }
    }
}

/// A membership on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct MembershipView {
    plan_id: String,
    member_id: String,
    /// What it covers: a creator's content, or all content.
    owner: OwnerBody,
    /// `active` (renewing), `cancelled` (until the period ends) or `expired`.
    #[schemars(extend("enum" = ["active", "cancelled", "expired"]))]
    status: &'static str,
    /// Whether it gives access now.
    access: bool,
    /// Whether it will renew at the end of the period.
    renews: bool,
    started_at: String,
    period_start: String,
    period_end: String,
    cancelled_at: Option<String>,
    expired_at: Option<String>,
    /// Every payment, oldest first.
    payments: Vec<PaymentView>,
}

/// The memberships of a user or a plan on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct MembershipList {
    memberships: Vec<MembershipView>,
}

/// The answer of `GET /v1/users/{id}/memberships/coverage`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CoverageView {
    pub(crate) user_id: String,
    pub(crate) creator_id: String,
    /// Whether a membership of the user covers that creator's content now.
    pub(crate) covered: bool,
}

/// Turns membership cards into their wire shape at `now`.
pub(crate) fn membership_views(
    state: &AppState,
    cards: Vec<MembershipCard>,
    now: Timestamp,
) -> MembershipList {
    let memberships = state.memberships.view().read(|view| {
        cards
            .into_iter()
            .map(|card| {
                let access = view.gives_access(&card, now);
                let withdrawn = view
                    .plan(&card.plan_id)
                    .is_none_or(|p| p.withdrawn_at.is_some());
                MembershipView {
                    access,
                    renews: card.status == MembershipStatus::Active && !withdrawn,
                    status: match card.status {
                        MembershipStatus::Active => "active",
                        MembershipStatus::Cancelled => "cancelled",
                        MembershipStatus::Expired => "expired",
                    },
                    plan_id: card.plan_id,
                    member_id: card.member_id,
                    owner: card.owner.into(),
                    started_at: rfc3339(card.started_at),
                    period_start: rfc3339(card.period_start),
                    period_end: rfc3339(card.period_end),
                    cancelled_at: card.cancelled_at.map(rfc3339),
                    expired_at: card.expired_at.map(rfc3339),
                    payments: card.payments.into_iter().map(PaymentView::from).collect(),
                }
            })
            .collect()
    });
    MembershipList { memberships }
}
