//! The Requirement aggregate: a client's technical requirement and every
//! vendor bid on it, up to the award — the design's "actors own … vendor
//! bids". One stream per requirement (`requirement-{id}`); the contract
//! opened by an award has the requirement's id (`contract-{id}`).
//!
//! Pure domain logic split by job, like the Content aggregate:
//! [`command`] (what it is asked, why it refuses), [`decide`] (one
//! function per command), [`rules`] (field limits and normalisation).
//! What the aggregate cannot see comes in with the command: whether the
//! bidding vendor has a profile and is at capacity (the service reads the
//! vendors and requirements views), whether the caller is an admin. The
//! caller and the time come from the [`CommandContext`].
//!
//! Life: posted (open for bids until `bidding_closes_at`), edited while no
//! bid was ever placed, then only extended; awarded to one live bid (the
//! others declined in the same append) or cancelled (every live bid
//! released). Two awards racing are decided one after the other by the
//! instance's actor: the second finds the requirement awarded.

mod command;
mod decide;
pub mod rules;
mod service;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use agora_events::Timestamp;
use agora_events::domain::requirement::{
    BidTerms, RequirementAwarded, RequirementEvent, RequirementTerms,
};

pub use command::{
    BidStanding, NewBid, NewTerms, RequirementCommand, RequirementError, TermsPatch,
};
pub use service::{NewRequirement, RequirementService, RequirementServiceError};

use crate::aggregate::{Aggregate, CommandContext};

/// Where a requirement is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Taking bids until its window closes; may be awarded or cancelled.
    Open,
    /// Awarded to this vendor: the contract has the requirement's id.
    Awarded(String),
    /// Cancelled: nothing more happens.
    Cancelled,
}

/// A posted requirement's terms and who posted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    /// The client.
    pub client_id: String,
    /// The terms in force.
    pub terms: RequirementTerms,
    /// When it was posted.
    pub posted_at: Timestamp,
    /// When bidding closes.
    pub bidding_closes_at: Timestamp,
}

/// A requirement's decision state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    posting: Option<Posting>,
    stage: Stage,
    /// Live bids by vendor.
    bids: BTreeMap<String, BidTerms>,
    /// Bids ever placed (withdrawn ones too): editing stops at the first.
    bids_ever: u64,
    /// The award, once awarded (what its contract opens with).
    award: Option<RequirementAwarded>,
}

impl Default for Requirement {
    fn default() -> Self {
        Self {
            posting: None,
            stage: Stage::Open,
            bids: BTreeMap::new(),
            bids_ever: 0,
            award: None,
        }
    }
}

impl Requirement {
    /// The posting, once posted.
    pub fn posting(&self) -> Option<&Posting> {
        self.posting.as_ref()
    }

    /// Where it is.
    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// The live bid of `vendor_id`.
    pub fn bid(&self, vendor_id: &str) -> Option<&BidTerms> {
        self.bids.get(vendor_id)
    }

    /// The award, once awarded: the facts its contract opens with.
    pub fn awarded(&self) -> Option<&RequirementAwarded> {
        self.award.as_ref()
    }

    /// Live bids, by vendor.
    pub fn bids(&self) -> impl Iterator<Item = (&str, &BidTerms)> + '_ {
        self.bids.iter().map(|(v, b)| (v.as_str(), b))
    }

    fn evolve(&mut self, event: &RequirementEvent) {
        match event {
            RequirementEvent::Posted(e) => {
                self.posting = Some(Posting {
                    client_id: e.client_id.clone(),
                    terms: e.terms.clone(),
                    posted_at: e.posted_at,
                    bidding_closes_at: e.bidding_closes_at,
                });
            }
            RequirementEvent::Edited(e) => {
                if let Some(posting) = &mut self.posting {
                    posting.terms = e.terms.clone();
                    posting.bidding_closes_at = e.bidding_closes_at;
                }
            }
            RequirementEvent::Extended(e) => {
                if let Some(posting) = &mut self.posting {
                    posting.terms.deadline_days = e.deadline_days;
                    posting.terms.bidding_days = e.bidding_days;
                    posting.bidding_closes_at = e.bidding_closes_at;
                }
            }
            RequirementEvent::Cancelled(_) => {
                self.stage = Stage::Cancelled;
                self.bids.clear();
            }
            RequirementEvent::BidPlaced(e) => {
                self.bids_ever = self.bids_ever.saturating_add(1);
                self.bids.insert(e.vendor_id.clone(), e.terms.clone());
            }
            RequirementEvent::BidRevised(e) => {
                self.bids.insert(e.vendor_id.clone(), e.terms.clone());
            }
            RequirementEvent::BidWithdrawn(e) => {
                self.bids.remove(&e.vendor_id);
            }
            RequirementEvent::Awarded(e) => {
                self.stage = Stage::Awarded(e.vendor_id.clone());
                self.award = Some(e.clone());
            }
            RequirementEvent::BidDeclined(e) => {
                self.bids.remove(&e.vendor_id);
            }
        }
    }
}

impl Aggregate for Requirement {
    type Command = RequirementCommand;
    type Event = RequirementEvent;
    type Error = RequirementError;
    const CATEGORY: &'static str = "requirement";

    fn handle(
        &self,
        command: &RequirementCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<RequirementEvent>, RequirementError> {
        match command {
            RequirementCommand::Post { terms } => self.post(ctx, terms),
            RequirementCommand::Edit { patch } => self.edit(ctx, patch),
            RequirementCommand::Cancel { reason, by_admin } => self.cancel(ctx, reason, *by_admin),
            RequirementCommand::Bid { bid, standing } => self.place_bid(ctx, bid, *standing),
            RequirementCommand::Revise { bid, standing } => self.revise_bid(ctx, bid, *standing),
            RequirementCommand::Withdraw {
                vendor_id,
                by_admin,
            } => self.withdraw_bid(ctx, vendor_id, *by_admin),
            RequirementCommand::Award { vendor_id } => self.award(ctx, vendor_id),
        }
    }

    fn apply(&mut self, event: &RequirementEvent) {
        self.evolve(event);
    }
}
