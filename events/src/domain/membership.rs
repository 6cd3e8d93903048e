//! Events of the membership Plan aggregate: one membership plan offered by
//! a creator or by the platform (a period and a price), and every
//! membership of it — started, renewed, cancelled, expired — on the plan's
//! stream.
//!
//! Every payment event ([`MembershipStarted`], [`MembershipRenewed`])
//! carries the money paid and its revenue shares, split at the moment of
//! payment by [`split_sale`](super::revenue::split_sale) with the platform
//! fee in force then, so a ledger books each payment from the event alone.
//!
//! A member has access to the content the plan covers (all of a creator's
//! content for a creator plan, all content for a platform plan) from a
//! [`MembershipStarted`] until the [`MembershipExpired`] that ends it.
//! Renewals and expiries are decided when the (possibly manual) clock
//! passes a period's end, so they are facts with the time they happened.
//!
//! Payloads are bincode, where enum variants are stored by position: the
//! variant order of [`PlanOwner`] is part of the schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use super::revenue::{Account, RevenueShare};
use crate::domain::content::Money;
use crate::model::Timestamp;

/// Who offers a plan, and so who is paid for it and whose content it covers.
///
/// Externally tagged (`"platform"`, `{"creator": ID}`): bincode cannot read
/// the adjacently tagged form, so HTTP bodies use their own shape.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PlanOwner {
    /// The platform: the plan covers every item of every creator.
    Platform,
    /// A creator, by user id: the plan covers every item of that creator.
    Creator(String),
}

impl PlanOwner {
    /// The account a payment for the plan is sold by.
    pub fn seller(&self) -> Account {
        match self {
            Self::Platform => Account::Platform,
            Self::Creator(id) => Account::Creator(id.clone()),
        }
    }

    /// Whether a plan of this owner covers content by `creator_id`.
    pub fn covers(&self, creator_id: &str) -> bool {
        match self {
            Self::Platform => true,
            Self::Creator(id) => id == creator_id,
        }
    }
}

/// A creator (for themselves) or an admin (for the platform) offered a new
/// membership plan.
///
/// Guarantees: the first event of every plan stream, and only there; the
/// title is trimmed, 1–200 characters without control characters;
/// `period_days` is within the aggregate's limits; the currency is three
/// uppercase ASCII letters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanOffered {
    /// The plan's id (the aggregate id).
    pub plan_id: String,
    /// Who offers it.
    pub owner: PlanOwner,
    /// The plan's name.
    pub title: String,
    /// Length of one membership period, in days.
    pub period_days: u32,
    /// What one period costs.
    pub price: Money,
    /// When it was offered.
    pub offered_at: Timestamp,
    /// Who offered it (the creator, or the admin for a platform plan).
    pub offered_by: String,
}

/// The plan's price changed: later payments (new memberships and renewals)
/// pay it; payments already made keep what they paid.
///
/// Guarantees: the plan is not withdrawn; the price differs from the
/// previous one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanPriceChanged {
    /// The plan.
    pub plan_id: String,
    /// The new price of one period.
    pub price: Money,
    /// When it changed.
    pub changed_at: Timestamp,
}

/// The plan was withdrawn for good: nobody subscribes any more and no
/// membership renews; members keep access until their period ends.
///
/// Guarantees: the plan was not withdrawn before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanWithdrawn {
    /// The plan.
    pub plan_id: String,
    /// When it was withdrawn.
    pub withdrawn_at: Timestamp,
}

/// A user became a member and paid the first period.
///
/// Guarantees: the plan was offered and not withdrawn; the member is not
/// the plan's creator and had no membership of it that was not expired;
/// `payment_id` is unique within the plan; `paid` is the plan's price at
/// that time and `shares` add up to `paid.amount_cents`;
/// `period_start < period_end`, `period_end - period_start` is the plan's
/// period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MembershipStarted {
    /// The plan.
    pub plan_id: String,
    /// The member (a user id).
    pub member_id: String,
    /// This payment's id, unique within the plan.
    pub payment_id: String,
    /// What the member paid for the first period.
    pub paid: Money,
    /// How the payment is split between seller and platform.
    pub shares: Vec<RevenueShare>,
    /// Start of the paid period (when the membership started).
    pub period_start: Timestamp,
    /// End of the paid period (exclusive).
    pub period_end: Timestamp,
}

/// A membership renewed itself at the end of its period: the member paid
/// the next period.
///
/// Guarantees: the membership was not cancelled or expired and the plan
/// not withdrawn; `period_start` is the previous period's end and was
/// reached when the renewal was decided; `paid` is the plan's price at that
/// time and `shares` add up to it; `payment_id` is unique within the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MembershipRenewed {
    /// The plan.
    pub plan_id: String,
    /// The member.
    pub member_id: String,
    /// This payment's id, unique within the plan.
    pub payment_id: String,
    /// What the member paid for this period.
    pub paid: Money,
    /// How the payment is split between seller and platform.
    pub shares: Vec<RevenueShare>,
    /// Start of the new period.
    pub period_start: Timestamp,
    /// End of the new period (exclusive).
    pub period_end: Timestamp,
    /// When the renewal was decided (at or after `period_start`).
    pub renewed_at: Timestamp,
}

/// The member (or an admin) stopped auto-renewal: the membership keeps
/// access until `access_until`, then expires.
///
/// Guarantees: the membership was active and not cancelled before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MembershipCancelled {
    /// The plan.
    pub plan_id: String,
    /// The member.
    pub member_id: String,
    /// The end of the period already paid.
    pub access_until: Timestamp,
    /// When it was cancelled.
    pub cancelled_at: Timestamp,
    /// Who cancelled (the member or an admin).
    pub cancelled_by: String,
}

/// A membership ended: its period passed and it was cancelled or its plan
/// withdrawn. Access ends with it.
///
/// Guarantees: the membership was not expired before; `period_end` was
/// reached when the expiry was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MembershipExpired {
    /// The plan.
    pub plan_id: String,
    /// The member.
    pub member_id: String,
    /// The end of the last paid period: access ended then.
    pub period_end: Timestamp,
    /// When the expiry was decided (at or after `period_end`).
    pub expired_at: Timestamp,
}

domain_events! {
    /// Every event of the Plan aggregate.
    ///
    /// Type names are prefixed with `Plan` or `Membership` so they stay
    /// unique across every aggregate in `$all`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum MembershipEvent;
    /// A membership event before its payload is decoded.
    pub enum LazyMembershipEvent;
    /// See [`PlanOffered`].
    PlanOffered(PlanOffered) = "PlanOffered" version 1,
    /// See [`PlanPriceChanged`].
    PlanPriceChanged(PlanPriceChanged) = "PlanPriceChanged" version 1,
    /// See [`PlanWithdrawn`].
    PlanWithdrawn(PlanWithdrawn) = "PlanWithdrawn" version 1,
    /// See [`MembershipStarted`].
    Started(MembershipStarted) = "MembershipStarted" version 1,
    /// See [`MembershipRenewed`].
    Renewed(MembershipRenewed) = "MembershipRenewed" version 1,
    /// See [`MembershipCancelled`].
    Cancelled(MembershipCancelled) = "MembershipCancelled" version 1,
    /// See [`MembershipExpired`].
    Expired(MembershipExpired) = "MembershipExpired" version 1,
}

impl MembershipEvent {
    /// Whether `event_type` is one of this aggregate's (so a projection can
    /// skip the others without decoding them).
    pub fn is_membership_type(event_type: &str) -> bool {
        Self::TYPES.contains(&event_type)
    }

    /// The plan the event is about.
    pub fn plan_id(&self) -> &str {
        match self {
            Self::PlanOffered(e) => &e.plan_id,
            Self::PlanPriceChanged(e) => &e.plan_id,
            Self::PlanWithdrawn(e) => &e.plan_id,
            Self::Started(e) => &e.plan_id,
            Self::Renewed(e) => &e.plan_id,
            Self::Cancelled(e) => &e.plan_id,
            Self::Expired(e) => &e.plan_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::DomainEvent;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    fn shares() -> Vec<RevenueShare> {
        vec![
            RevenueShare {
                account: Account::Creator("c1".into()),
                amount_cents: 800,
            },
            RevenueShare {
                account: Account::Platform,
                amount_cents: 200,
            },
        ]
    }

    fn every_event() -> Vec<MembershipEvent> {
        vec![
            MembershipEvent::PlanOffered(PlanOffered {
                plan_id: "pl1".into(),
                owner: PlanOwner::Creator("c1".into()),
                title: "月度会员".into(),
                period_days: 30,
                price: cny(1_000),
                offered_at: Timestamp(1),
                offered_by: "c1".into(),
            }),
            MembershipEvent::PlanOffered(PlanOffered {
                plan_id: "pl2".into(),
                owner: PlanOwner::Platform,
                title: "All access".into(),
                period_days: 365,
                price: cny(0),
                offered_at: Timestamp(2),
                offered_by: "root".into(),
            }),
            MembershipEvent::PlanPriceChanged(PlanPriceChanged {
                plan_id: "pl1".into(),
                price: cny(1_500),
                changed_at: Timestamp(3),
            }),
            MembershipEvent::PlanWithdrawn(PlanWithdrawn {
                plan_id: "pl1".into(),
                withdrawn_at: Timestamp(4),
            }),
            MembershipEvent::Started(MembershipStarted {
                plan_id: "pl1".into(),
                member_id: "u2".into(),
                payment_id: "pl1.u2.1".into(),
                paid: cny(1_000),
                shares: shares(),
                period_start: Timestamp(5),
                period_end: Timestamp(6),
            }),
            MembershipEvent::Renewed(MembershipRenewed {
                plan_id: "pl1".into(),
                member_id: "u2".into(),
                payment_id: "pl1.u2.2".into(),
                paid: cny(1_000),
                shares: shares(),
                period_start: Timestamp(6),
                period_end: Timestamp(7),
                renewed_at: Timestamp(8),
            }),
            MembershipEvent::Cancelled(MembershipCancelled {
                plan_id: "pl1".into(),
                member_id: "u2".into(),
                access_until: Timestamp(7),
                cancelled_at: Timestamp(6),
                cancelled_by: "u2".into(),
            }),
            MembershipEvent::Expired(MembershipExpired {
                plan_id: "pl1".into(),
                member_id: "u2".into(),
                period_end: Timestamp(7),
                expired_at: Timestamp(9),
            }),
        ]
    }

    #[test]
    fn membership_events_round_trip() {
        let mut names = std::collections::BTreeSet::new();
        for event in every_event() {
            names.insert(event.event_type());
            assert!(MembershipEvent::is_membership_type(event.event_type()));
            assert_eq!(event.schema_version(), 1);
            let bytes = event.encode_payload().unwrap_or_default();
            let back = MembershipEvent::decode(event.event_type(), event.schema_version(), &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert_eq!(names.len(), MembershipEvent::TYPES.len());
        assert!(MembershipEvent::decode("PlanOffered", 2, &[]).is_err());
        assert!(MembershipEvent::decode("ContentDrafted", 1, &[]).is_err());
        assert!(!MembershipEvent::is_membership_type("ContentPurchased"));
    }

    #[test]
    fn owners_cover_their_creators_and_sell_as_their_account() {
        let creator = PlanOwner::Creator("c1".into());
        assert!(creator.covers("c1"));
        assert!(!creator.covers("c2"));
        assert!(PlanOwner::Platform.covers("anyone"));
        assert_eq!(creator.seller(), Account::Creator("c1".into()));
        assert_eq!(PlanOwner::Platform.seller(), Account::Platform);
    }

    proptest! {
        #[test]
        fn renewals_round_trip_for_any_payment(
            member in "[a-z0-9]{1,16}",
            cents in any::<u64>(),
            start in any::<i64>(),
            length in 0i64..1_000_000_000,
            platform_seller: bool,
        ) {
            let owner = if platform_seller { PlanOwner::Platform } else { PlanOwner::Creator("c".into()) };
            let shares = super::super::revenue::split_sale(cents, &owner.seller(), 2_000, None)
                .unwrap_or_default();
            let event = MembershipEvent::Renewed(MembershipRenewed {
                plan_id: "p".into(),
                member_id: member.clone(),
                payment_id: format!("p.{member}.2"),
                paid: cny(cents),
                shares,
                period_start: Timestamp(start),
                period_end: Timestamp(start.saturating_add(length)),
                renewed_at: Timestamp(start),
            });
            let bytes = event.encode_payload().unwrap_or_default();
            let back = MembershipEvent::decode(event.event_type(), 1, &bytes);
            prop_assert_eq!(back.ok(), Some(event));
        }
    }
}
