//! Events of the Contract aggregate: the outsourcing contract opened from
//! an award (its id is the requirement's id: one award per requirement),
//! its milestones' escrow — funded by the client, submitted by the vendor,
//! accepted (by the client, or automatically when a submission stays
//! unanswered), sent back for changes, disputed and resolved by an admin
//! with a split — its completion and the parties' mutual reviews.
//!
//! Money moves in these events only: a funding puts a milestone's amount
//! in escrow; an acceptance releases it, split by [`RevenueShare`]s fixed
//! at that moment with the outsourcing fee in force (vendor and platform);
//! a resolution releases part to the vendor (split the same way) and
//! refunds the rest to the client. So per contract, always,
//! `funded = released + refunded + held`, and a ledger books every
//! movement from the event alone.
//!
//! Payloads are bincode, where enum variants are stored by position: the
//! variant order of [`Party`] is part of the schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use super::money::Money;
use super::revenue::RevenueShare;
use crate::model::Timestamp;

/// One side of a contract.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The client company that posted the requirement and pays.
    Client,
    /// The vendor team that won the award and delivers.
    Vendor,
}

/// One milestone of a contract, as awarded.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneTerms {
    /// What is delivered (trimmed, 1–200 characters, no control characters).
    pub title: String,
    /// What it pays, in the contract currency's minor unit (at least 1).
    pub amount_cents: u64,
    /// When it is due, in days after the contract opened.
    pub due_day: u32,
}

impl From<(String, u64, u32)> for MilestoneTerms {
    /// A milestone from `(title, amount_cents, due_day)`, as an award lists it.
    fn from((title, amount_cents, due_day): (String, u64, u32)) -> Self {
        Self {
            title,
            amount_cents,
            due_day,
        }
    }
}

/// A contract was opened from an award.
///
/// Guarantees: the first event of every contract stream, and only there;
/// client and vendor differ; there are 1 to the aggregate's limit of
/// milestones, each paying at least 1 minor unit, and their amounts add up
/// to `price.amount_cents`; the price passes `Money::check`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContractOpened {
    /// The contract's id (the aggregate id), equal to the requirement's.
    pub contract_id: String,
    /// The requirement awarded.
    pub requirement_id: String,
    /// The client (a user id).
    pub client_id: String,
    /// The vendor (a user id).
    pub vendor_id: String,
    /// The awarded price; its currency is every milestone's.
    pub price: Money,
    /// The milestones, in order (index 0 first).
    pub milestones: Vec<MilestoneTerms>,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Who opened it (the awarding client, or the system).
    pub opened_by: String,
}

/// The client put a milestone's amount in escrow.
///
/// Guarantees: the milestone was not funded before; `amount` is exactly
/// the milestone's amount in the contract's currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneFunded {
    /// The contract.
    pub contract_id: String,
    /// The milestone's index (from 0).
    pub index: u32,
    /// The amount now held in escrow.
    pub amount: Money,
    /// When it was funded.
    pub funded_at: Timestamp,
}

/// The vendor submitted a funded milestone's work for acceptance.
///
/// Guarantees: the milestone was funded and in progress (funded, or sent
/// back for changes); `auto_accept_at` is `submitted_at` plus the
/// automatic-acceptance delay in force then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneSubmitted {
    /// The contract.
    pub contract_id: String,
    /// The milestone's index.
    pub index: u32,
    /// What the vendor says about the delivery (may be empty).
    pub note: String,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// When it is accepted automatically if the client neither accepts,
    /// requests changes nor disputes it before.
    pub auto_accept_at: Timestamp,
}

/// The client sent a submitted milestone back: it is in progress again,
/// its money still in escrow.
///
/// Guarantees: the milestone was submitted (not disputed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneChangesRequested {
    /// The contract.
    pub contract_id: String,
    /// The milestone's index.
    pub index: u32,
    /// What the client wants changed (may be empty).
    pub reason: String,
    /// When.
    pub requested_at: Timestamp,
}

/// A submitted milestone was accepted: its escrow is released, split
/// between the vendor and the platform's fee.
///
/// Guarantees: the milestone was submitted (not disputed); `shares` add up
/// to `amount.amount_cents`, the milestone's amount; `automatic` is true
/// when the client did not answer before `auto_accept_at` and `accepted_at`
/// is at or after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneAccepted {
    /// The contract.
    pub contract_id: String,
    /// The milestone's index.
    pub index: u32,
    /// The amount released from escrow.
    pub amount: Money,
    /// How it is split (vendor, platform), fixed now.
    pub shares: Vec<RevenueShare>,
    /// Whether the acceptance was automatic.
    pub automatic: bool,
    /// When.
    pub accepted_at: Timestamp,
}

/// A party opened a dispute on a submitted milestone: neither acceptance
/// nor automatic acceptance happens until an admin resolves it.
///
/// Guarantees: the milestone was submitted and not disputed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MilestoneDisputed {
    /// The contract.
    pub contract_id: String,
    /// The milestone's index.
    pub index: u32,
    /// Which side opened it.
    pub by: Party,
    /// Why (may be empty).
    pub reason: String,
    /// When.
    pub disputed_at: Timestamp,
}

/// An admin resolved a dispute: `vendor_cents` of the escrow is released
/// to the vendor (split with the platform's fee as `shares`), the rest,
/// `refund_cents`, refunded to the client.
///
/// Guarantees: the milestone was disputed; `vendor_cents + refund_cents`
/// is the milestone's amount; `shares` add up to `vendor_cents`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DisputeResolved {
    /// The contract.
    pub contract_id: String,
    /// The milestone's index.
    pub index: u32,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// Released to the vendor (before the fee).
    pub vendor_cents: u64,
    /// Refunded to the client.
    pub refund_cents: u64,
    /// How `vendor_cents` is split (vendor, platform), fixed now.
    pub shares: Vec<RevenueShare>,
    /// The admin's note (may be empty).
    pub note: String,
    /// When.
    pub resolved_at: Timestamp,
    /// The admin who resolved it.
    pub resolved_by: String,
}

/// Every milestone was accepted or resolved: the contract is complete and
/// the parties may review each other.
///
/// Guarantees: recorded once, in the same append as the last acceptance or
/// resolution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContractCompleted {
    /// The contract.
    pub contract_id: String,
    /// When.
    pub completed_at: Timestamp,
}

/// One party reviewed the other after completion.
///
/// Guarantees: the contract was completed; each party reviews once; the
/// three scores are 1–5; the text is trimmed, at most the aggregate's
/// limit, without control characters other than newlines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContractReviewed {
    /// The contract.
    pub contract_id: String,
    /// The side that wrote it.
    pub by: Party,
    /// The reviewer (a user id).
    pub reviewer_id: String,
    /// The party reviewed (a user id).
    pub reviewee_id: String,
    /// Quality of the work (or of the brief, for a client), 1–5.
    pub quality: u8,
    /// Communication, 1–5.
    pub communication: u8,
    /// Timeliness (of delivery, or of payments and answers), 1–5.
    pub timeliness: u8,
    /// Optional text (may be empty).
    pub text: String,
    /// When.
    pub reviewed_at: Timestamp,
}

domain_events! {
    /// Every event of the Contract aggregate; type names are prefixed with
    /// `Contract` so they stay unique across `$all`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum ContractEvent;
    /// A contract event before its payload is decoded.
    pub enum LazyContractEvent;
    /// See [`ContractOpened`].
    Opened(ContractOpened) = "ContractOpened" version 1,
    /// See [`MilestoneFunded`].
    Funded(MilestoneFunded) = "ContractMilestoneFunded" version 1,
    /// See [`MilestoneSubmitted`].
    Submitted(MilestoneSubmitted) = "ContractMilestoneSubmitted" version 1,
    /// See [`MilestoneChangesRequested`].
    ChangesRequested(MilestoneChangesRequested) = "ContractMilestoneChangesRequested" version 1,
    /// See [`MilestoneAccepted`].
    Accepted(MilestoneAccepted) = "ContractMilestoneAccepted" version 1,
    /// See [`MilestoneDisputed`].
    Disputed(MilestoneDisputed) = "ContractMilestoneDisputed" version 1,
    /// See [`DisputeResolved`].
    Resolved(DisputeResolved) = "ContractDisputeResolved" version 1,
    /// See [`ContractCompleted`].
    Completed(ContractCompleted) = "ContractCompleted" version 1,
    /// See [`ContractReviewed`].
    Reviewed(ContractReviewed) = "ContractReviewed" version 1,
}

impl ContractEvent {
    /// Whether `event_type` is one of this aggregate's (so a projection can
    /// skip the others without decoding them).
    pub fn is_contract_type(event_type: &str) -> bool {
        Self::TYPES.contains(&event_type)
    }

    /// The contract the event is about.
    pub fn contract_id(&self) -> &str {
        match self {
            Self::Opened(e) => &e.contract_id,
            Self::Funded(e) => &e.contract_id,
            Self::Submitted(e) => &e.contract_id,
            Self::ChangesRequested(e) => &e.contract_id,
            Self::Accepted(e) => &e.contract_id,
            Self::Disputed(e) => &e.contract_id,
            Self::Resolved(e) => &e.contract_id,
            Self::Completed(e) => &e.contract_id,
            Self::Reviewed(e) => &e.contract_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;
    use crate::domain::revenue::Account;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    fn every_event() -> Vec<ContractEvent> {
        let shares = vec![
            RevenueShare {
                account: Account::Vendor("v1".into()),
                amount_cents: 900,
            },
            RevenueShare {
                account: Account::Platform,
                amount_cents: 100,
            },
        ];
        vec![
            ContractEvent::Opened(ContractOpened {
                contract_id: "r1".into(),
                requirement_id: "r1".into(),
                client_id: "c1".into(),
                vendor_id: "v1".into(),
                price: cny(1_000),
                milestones: vec![MilestoneTerms {
                    title: "原型".into(),
                    amount_cents: 1_000,
                    due_day: 14,
                }],
                opened_at: Timestamp(1),
                opened_by: "c1".into(),
            }),
            ContractEvent::Funded(MilestoneFunded {
                contract_id: "r1".into(),
                index: 0,
                amount: cny(1_000),
                funded_at: Timestamp(2),
            }),
            ContractEvent::Submitted(MilestoneSubmitted {
                contract_id: "r1".into(),
                index: 0,
                note: "done".into(),
                submitted_at: Timestamp(3),
                auto_accept_at: Timestamp(4),
            }),
            ContractEvent::ChangesRequested(MilestoneChangesRequested {
                contract_id: "r1".into(),
                index: 0,
                reason: "fix the login".into(),
                requested_at: Timestamp(5),
            }),
            ContractEvent::Accepted(MilestoneAccepted {
                contract_id: "r1".into(),
                index: 0,
                amount: cny(1_000),
                shares: shares.clone(),
                automatic: true,
                accepted_at: Timestamp(6),
            }),
            ContractEvent::Disputed(MilestoneDisputed {
                contract_id: "r1".into(),
                index: 0,
                by: Party::Vendor,
                reason: "unpaid".into(),
                disputed_at: Timestamp(7),
            }),
            ContractEvent::Resolved(DisputeResolved {
                contract_id: "r1".into(),
                index: 0,
                currency: "CNY".into(),
                vendor_cents: 1_000,
                refund_cents: 0,
                shares,
                note: String::new(),
                resolved_at: Timestamp(8),
                resolved_by: "root".into(),
            }),
            ContractEvent::Completed(ContractCompleted {
                contract_id: "r1".into(),
                completed_at: Timestamp(9),
            }),
            ContractEvent::Reviewed(ContractReviewed {
                contract_id: "r1".into(),
                by: Party::Client,
                reviewer_id: "c1".into(),
                reviewee_id: "v1".into(),
                quality: 5,
                communication: 4,
                timeliness: 3,
                text: "good".into(),
                reviewed_at: Timestamp(10),
            }),
        ]
    }

    #[test]
    fn contract_events_round_trip() {
        let mut names = std::collections::BTreeSet::new();
        for event in every_event() {
            names.insert(event.event_type());
            assert!(ContractEvent::is_contract_type(event.event_type()));
            assert_eq!(event.contract_id(), "r1");
            let bytes = event.encode_payload().unwrap_or_default();
            let back = ContractEvent::decode(event.event_type(), 1, &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert_eq!(names.len(), ContractEvent::TYPES.len());
        assert!(ContractEvent::decode("ContractOpened", 2, &[]).is_err());
        assert!(!ContractEvent::is_contract_type("PlanOffered"));
    }
}
