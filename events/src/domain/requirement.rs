//! Events of the Requirement aggregate: a client's technical requirement
//! (one stream per requirement, `requirement-{id}`) and every vendor bid on
//! it, up to the award that names the contract.
//!
//! A requirement is posted, may be edited until its first bid, then only
//! extended (delivery deadline, bidding window); it ends awarded (one bid
//! wins, every other live bid is declined) or cancelled (every live bid is
//! released). A vendor has at most one live bid, revised or withdrawn
//! while bidding is open.
//!
//! Payloads are bincode, where enum variants are stored by position: the
//! variant order of [`Visibility`] is part of the schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use super::money::Money;
use crate::model::Timestamp;

/// Who sees a requirement and its bids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone sees the requirement and its bids; every vendor may bid.
    Public,
    /// Only the invited vendors (besides the client, admins and auditors)
    /// see it and may bid.
    Invited,
    /// Everyone sees the requirement and every vendor may bid, but until
    /// the award a vendor sees only its own bid, and bid amounts are shown
    /// to the client alone.
    Sealed,
}

/// A budget range in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Budget {
    /// Least the client expects to pay, in minor units.
    pub min_cents: u64,
    /// Most the client expects to pay, in minor units (at least `min_cents`).
    pub max_cents: u64,
    /// ISO 4217 code.
    pub currency: String,
}

/// What a requirement asks for: the part a client edits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementTerms {
    /// Short title.
    pub title: String,
    /// What is to be built.
    pub description: String,
    /// Required skill tags, trimmed, lowercased, deduplicated, sorted.
    pub skills: Vec<String>,
    /// The budget range.
    pub budget: Budget,
    /// Days the work may take from the award.
    pub deadline_days: u32,
    /// Days bids are taken, counted from the posting.
    pub bidding_days: u32,
    /// Who sees it.
    pub visibility: Visibility,
    /// The invited vendors (only for [`Visibility::Invited`]; sorted).
    pub invited: Vec<String>,
}

/// One step of a bid's milestone plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Milestone {
    /// What is delivered.
    pub title: String,
    /// What it costs, in the bid's currency's minor units.
    pub amount_cents: u64,
    /// The day after the award it is due (1 to the bid's delivery days).
    pub due_day: u32,
}

/// What a vendor offers: the part of a bid it revises.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidTerms {
    /// The whole price (in the budget's currency).
    pub price: Money,
    /// Days from the award to delivery.
    pub delivery_days: u32,
    /// The proposal text.
    pub proposal: String,
    /// The milestone plan; amounts add up to the price exactly.
    pub milestones: Vec<Milestone>,
}

/// A client posted a requirement.
///
/// Guarantees: the first event of every requirement stream, and only
/// there; the poster held the client role; the terms passed every field
/// rule of the aggregate (title, description, skills, budget by
/// [`Money::check`] with `min_cents <= max_cents`, days, invited list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementPosted {
    /// The requirement (the aggregate id).
    pub requirement_id: String,
    /// The client who posted it.
    pub client_id: String,
    /// What it asks for.
    pub terms: RequirementTerms,
    /// When bidding closes: `posted_at` plus `terms.bidding_days`.
    pub bidding_closes_at: Timestamp,
    /// When it was posted.
    pub posted_at: Timestamp,
}

/// The client edited a requirement that had no bid yet.
///
/// Guarantees: no bid was ever placed; the requirement was open; the new
/// terms passed the same rules as a posting and differ from the old ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementEdited {
    /// The requirement.
    pub requirement_id: String,
    /// The terms from now on (all of them).
    pub terms: RequirementTerms,
    /// When bidding closes now.
    pub bidding_closes_at: Timestamp,
    /// When it was edited.
    pub edited_at: Timestamp,
}

/// The client extended a requirement that already had bids: a later
/// delivery deadline or a longer bidding window, nothing else.
///
/// Guarantees: the requirement was open; neither value is smaller than
/// before and at least one is larger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementExtended {
    /// The requirement.
    pub requirement_id: String,
    /// Days the work may take from the award.
    pub deadline_days: u32,
    /// Days bids are taken, counted from the posting.
    pub bidding_days: u32,
    /// When bidding closes now.
    pub bidding_closes_at: Timestamp,
    /// When it was extended.
    pub extended_at: Timestamp,
}

/// The client (or an admin) cancelled the requirement: every live bid is
/// released, nothing more happens on it.
///
/// Guarantees: it was neither awarded nor cancelled before; `released`
/// lists exactly the vendors whose bids were live, sorted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementCancelled {
    /// The requirement.
    pub requirement_id: String,
    /// Why, as written (trimmed, may be empty).
    pub reason: String,
    /// The vendors whose live bids were released.
    pub released: Vec<String>,
    /// Who cancelled (the client or an admin).
    pub cancelled_by: String,
    /// When.
    pub cancelled_at: Timestamp,
}

/// A vendor placed its bid.
///
/// Guarantees: the requirement was open and bidding had not closed; the
/// vendor is not the client, had no live bid, could see the requirement
/// (invited, if it is invited-only) and had a profile; the terms passed
/// every rule (price by [`Money::check`] in the budget's currency,
/// milestones adding up to the price, due days within the delivery days).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidPlaced {
    /// The requirement.
    pub requirement_id: String,
    /// The bidding vendor.
    pub vendor_id: String,
    /// What it offers.
    pub terms: BidTerms,
    /// Whether the vendor's open contracts already filled its capacity
    /// when it bid (it may bid, but the client sees the mark).
    pub at_capacity: bool,
    /// When.
    pub placed_at: Timestamp,
}

/// A vendor revised its live bid.
///
/// Guarantees: as [`BidPlaced`], and the vendor had a live bid whose terms
/// differ from these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidRevised {
    /// The requirement.
    pub requirement_id: String,
    /// The vendor.
    pub vendor_id: String,
    /// The terms from now on.
    pub terms: BidTerms,
    /// Whether the vendor was at capacity when it revised.
    pub at_capacity: bool,
    /// When.
    pub revised_at: Timestamp,
}

/// A vendor withdrew its live bid while bidding was open.
///
/// Guarantees: the vendor had a live bid; the requirement was open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidWithdrawn {
    /// The requirement.
    pub requirement_id: String,
    /// The vendor.
    pub vendor_id: String,
    /// When.
    pub withdrawn_at: Timestamp,
}

/// The client awarded the requirement to one live bid: the contract
/// `contract_id` (equal to the requirement id) is to be opened with this
/// price and milestone plan.
///
/// Guarantees: the requirement was neither awarded nor cancelled; the
/// vendor had a live bid and these are its terms; the caller was the
/// client. Followed in the same append by a [`BidDeclined`] for every
/// other live bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementAwarded {
    /// The requirement.
    pub requirement_id: String,
    /// The winning vendor.
    pub vendor_id: String,
    /// The contract to open: the requirement id.
    pub contract_id: String,
    /// The winning bid's price.
    pub price: Money,
    /// The winning bid's milestone plan.
    pub milestones: Vec<Milestone>,
    /// The client.
    pub client_id: String,
    /// When.
    pub at: Timestamp,
}

/// A live bid lost: another bid was awarded.
///
/// Guarantees: recorded only right after a [`RequirementAwarded`], once
/// per other live bid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BidDeclined {
    /// The requirement.
    pub requirement_id: String,
    /// The vendor whose bid lost.
    pub vendor_id: String,
    /// When.
    pub declined_at: Timestamp,
}

domain_events! {
    /// Every event of the Requirement aggregate; type names start with
    /// `Requirement` or `Bid` and stay unique across `$all`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum RequirementEvent;
    /// A requirement event before its payload is decoded.
    pub enum LazyRequirementEvent;
    /// See [`RequirementPosted`].
    Posted(RequirementPosted) = "RequirementPosted" version 1,
    /// See [`RequirementEdited`].
    Edited(RequirementEdited) = "RequirementEdited" version 1,
    /// See [`RequirementExtended`].
    Extended(RequirementExtended) = "RequirementExtended" version 1,
    /// See [`RequirementCancelled`].
    Cancelled(RequirementCancelled) = "RequirementCancelled" version 1,
    /// See [`BidPlaced`].
    BidPlaced(BidPlaced) = "BidPlaced" version 1,
    /// See [`BidRevised`].
    BidRevised(BidRevised) = "BidRevised" version 1,
    /// See [`BidWithdrawn`].
    BidWithdrawn(BidWithdrawn) = "BidWithdrawn" version 1,
    /// See [`RequirementAwarded`].
    Awarded(RequirementAwarded) = "RequirementAwarded" version 1,
    /// See [`BidDeclined`].
    BidDeclined(BidDeclined) = "BidDeclined" version 1,
}

impl RequirementEvent {
    /// The requirement the event is about.
    pub fn requirement_id(&self) -> &str {
        match self {
            Self::Posted(e) => &e.requirement_id,
            Self::Edited(e) => &e.requirement_id,
            Self::Extended(e) => &e.requirement_id,
            Self::Cancelled(e) => &e.requirement_id,
            Self::BidPlaced(e) => &e.requirement_id,
            Self::BidRevised(e) => &e.requirement_id,
            Self::BidWithdrawn(e) => &e.requirement_id,
            Self::Awarded(e) => &e.requirement_id,
            Self::BidDeclined(e) => &e.requirement_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    #[test]
    fn requirement_events_round_trip() {
        let terms = RequirementTerms {
            title: "支付系统".into(),
            description: "A payment gateway".into(),
            skills: vec!["rust".into()],
            budget: Budget {
                min_cents: 100,
                max_cents: 200,
                currency: "CNY".into(),
            },
            deadline_days: 30,
            bidding_days: 7,
            visibility: Visibility::Sealed,
            invited: vec![],
        };
        let bid = BidTerms {
            price: cny(150),
            delivery_days: 20,
            proposal: "We did this before.".into(),
            milestones: vec![Milestone {
                title: "all".into(),
                amount_cents: 150,
                due_day: 20,
            }],
        };
        let events = [
            RequirementEvent::Posted(RequirementPosted {
                requirement_id: "r1".into(),
                client_id: "c".into(),
                terms: terms.clone(),
                bidding_closes_at: Timestamp(7),
                posted_at: Timestamp(0),
            }),
            RequirementEvent::Edited(RequirementEdited {
                requirement_id: "r1".into(),
                terms,
                bidding_closes_at: Timestamp(8),
                edited_at: Timestamp(1),
            }),
            RequirementEvent::Extended(RequirementExtended {
                requirement_id: "r1".into(),
                deadline_days: 40,
                bidding_days: 9,
                bidding_closes_at: Timestamp(9),
                extended_at: Timestamp(2),
            }),
            RequirementEvent::BidPlaced(BidPlaced {
                requirement_id: "r1".into(),
                vendor_id: "v".into(),
                terms: bid.clone(),
                at_capacity: true,
                placed_at: Timestamp(3),
            }),
            RequirementEvent::BidRevised(BidRevised {
                requirement_id: "r1".into(),
                vendor_id: "v".into(),
                terms: bid.clone(),
                at_capacity: false,
                revised_at: Timestamp(4),
            }),
            RequirementEvent::BidWithdrawn(BidWithdrawn {
                requirement_id: "r1".into(),
                vendor_id: "v".into(),
                withdrawn_at: Timestamp(5),
            }),
            RequirementEvent::Awarded(RequirementAwarded {
                requirement_id: "r1".into(),
                vendor_id: "v".into(),
                contract_id: "r1".into(),
                price: bid.price.clone(),
                milestones: bid.milestones,
                client_id: "c".into(),
                at: Timestamp(6),
            }),
            RequirementEvent::BidDeclined(BidDeclined {
                requirement_id: "r1".into(),
                vendor_id: "w".into(),
                declined_at: Timestamp(6),
            }),
            RequirementEvent::Cancelled(RequirementCancelled {
                requirement_id: "r1".into(),
                reason: "budget cut".into(),
                released: vec!["v".into()],
                cancelled_by: "c".into(),
                cancelled_at: Timestamp(7),
            }),
        ];
        for event in events {
            assert_eq!(event.requirement_id(), "r1");
            let bytes = event.encode_payload().unwrap_or_default();
            let back = RequirementEvent::decode(event.event_type(), 1, &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert_eq!(RequirementEvent::TYPES.len(), 9);
        assert!(RequirementEvent::decode("RequirementPosted", 2, &[]).is_err());
    }
}
