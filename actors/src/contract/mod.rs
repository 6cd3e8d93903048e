//! Contracts: the outsourcing contract a client's award opens with the
//! winning vendor, its milestones' escrow, disputes, completion and the
//! parties' mutual reviews.
//!
//! The consistency boundary is the **Contract** aggregate, one stream per
//! contract (`contract-{id}`; the id is the awarded requirement's id, so
//! one award makes at most one contract). Pure domain logic:
//! [`Contract::handle`](crate::aggregate::Aggregate::handle) decides from
//! the state, the command and the [`CommandContext`] (caller and clock),
//! [`Contract::apply`](crate::aggregate::Aggregate::apply) evolves it.
//!
//! A milestone moves `unfunded → in_progress` (the client funds it: the
//! amount goes into escrow) `→ submitted` (the vendor delivers) and then
//! `→ accepted` (the client accepts, or nobody answered for the
//! automatic-acceptance delay: the escrow is released to the vendor minus
//! the outsourcing fee), back `→ in_progress` (the client requests
//! changes), or `→ disputed` (either side) `→ resolved` (an admin splits
//! the escrow between vendor and client). When every milestone is accepted
//! or resolved the contract is complete and each side may review the other
//! once.
//!
//! Time is an input: a submission records when it is accepted
//! automatically, and [`ContractCommand::Sweep`], sent by the [`sweeper`]
//! whenever the clock ticks or is moved, accepts what is due by then. The
//! contracts projection ([`crate::projection::contracts`]) indexes the due
//! submissions, so the sweep survives restarts: nothing lives only in
//! memory.

mod command;
mod decide;
mod rules;
mod service;
pub mod sweeper;
#[cfg(test)]
mod tests;

use agora_events::Timestamp;
use agora_events::domain::contract::{ContractEvent, MilestoneTerms, Party};
use agora_events::domain::money::Money;
use serde::{Deserialize, Serialize};

pub use command::{ContractCommand, ContractError};
pub use rules::{
    MAX_DUE_DAY, MAX_MILESTONES, MAX_NOTE_CHARS, MAX_REVIEW_CHARS, MAX_SCORE, MAX_TITLE_CHARS,
    MIN_SCORE,
};
pub use service::{
    ContractConfig, ContractService, ContractServiceError, OpenContract, SWEEPER_ACTOR,
    SweepReport, VendorStanding,
};

use crate::aggregate::{Aggregate, CommandContext};

/// Where a milestone is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStage {
    /// Not funded yet: the vendor does not start it.
    Unfunded,
    /// Funded (its amount in escrow); the vendor works on it.
    InProgress,
    /// Delivered, waiting for the client (or the automatic acceptance).
    Submitted,
    /// Under dispute, waiting for an admin.
    Disputed,
    /// Accepted: the escrow was released to the vendor.
    Accepted,
    /// Resolved by an admin: the escrow was split.
    Resolved,
}

impl MilestoneStage {
    /// Whether the milestone is settled (accepted or resolved): nothing
    /// more happens to it.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Accepted | Self::Resolved)
    }

    /// The stage's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unfunded => "unfunded",
            Self::InProgress => "in_progress",
            Self::Submitted => "submitted",
            Self::Disputed => "disputed",
            Self::Accepted => "accepted",
            Self::Resolved => "resolved",
        }
    }
}

/// A contract's terms, as opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractTerms {
    /// The contract's id.
    pub contract_id: String,
    /// The requirement awarded.
    pub requirement_id: String,
    /// The client.
    pub client_id: String,
    /// The vendor.
    pub vendor_id: String,
    /// The price.
    pub price: Money,
    /// The milestones.
    pub milestones: Vec<MilestoneTerms>,
}

impl ContractTerms {
    /// Which side `user_id` is on, if any.
    pub fn party_of(&self, user_id: &str) -> Option<Party> {
        if user_id == self.client_id {
            Some(Party::Client)
        } else if user_id == self.vendor_id {
            Some(Party::Vendor)
        } else {
            None
        }
    }
}

/// One milestone's decision state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MilestoneState {
    /// Where it is.
    pub stage: MilestoneStage,
    /// When a submission is accepted automatically (while submitted).
    pub auto_accept_at: Option<Timestamp>,
    /// Minor units in escrow now.
    pub held_cents: u64,
}

/// A contract's decision state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contract {
    terms: Option<ContractTerms>,
    milestones: Vec<MilestoneState>,
    completed: bool,
    reviewed: Vec<Party>,
}

impl Contract {
    /// The terms, once opened.
    pub fn terms(&self) -> Option<&ContractTerms> {
        self.terms.as_ref()
    }

    /// The milestones' states, in order.
    pub fn milestones(&self) -> &[MilestoneState] {
        &self.milestones
    }

    /// Whether every milestone was accepted or resolved.
    pub fn is_completed(&self) -> bool {
        self.completed
    }

    /// Whether `party` reviewed the other side.
    pub fn reviewed_by(&self, party: Party) -> bool {
        self.reviewed.contains(&party)
    }

    fn milestone_mut(&mut self, index: u32) -> Option<&mut MilestoneState> {
        self.milestones.get_mut(index as usize)
    }

    fn evolve(&mut self, event: &ContractEvent) {
        match event {
            ContractEvent::Opened(e) => {
                self.milestones = e
                    .milestones
                    .iter()
                    .map(|_| MilestoneState {
                        stage: MilestoneStage::Unfunded,
                        auto_accept_at: None,
                        held_cents: 0,
                    })
                    .collect();
                self.terms = Some(ContractTerms {
                    contract_id: e.contract_id.clone(),
                    requirement_id: e.requirement_id.clone(),
                    client_id: e.client_id.clone(),
                    vendor_id: e.vendor_id.clone(),
                    price: e.price.clone(),
                    milestones: e.milestones.clone(),
                });
            }
            ContractEvent::Funded(e) => {
                if let Some(m) = self.milestone_mut(e.index) {
                    m.stage = MilestoneStage::InProgress;
                    m.held_cents = e.amount.amount_cents;
                }
            }
            ContractEvent::Submitted(e) => {
                if let Some(m) = self.milestone_mut(e.index) {
                    m.stage = MilestoneStage::Submitted;
                    m.auto_accept_at = Some(e.auto_accept_at);
                }
            }
            ContractEvent::ChangesRequested(e) => {
                if let Some(m) = self.milestone_mut(e.index) {
                    m.stage = MilestoneStage::InProgress;
                    m.auto_accept_at = None;
                }
            }
            ContractEvent::Accepted(e) => {
                if let Some(m) = self.milestone_mut(e.index) {
                    m.stage = MilestoneStage::Accepted;
                    m.auto_accept_at = None;
                    m.held_cents = 0;
                }
            }
            ContractEvent::Disputed(e) => {
                if let Some(m) = self.milestone_mut(e.index) {
                    m.stage = MilestoneStage::Disputed;
                    m.auto_accept_at = None;
                }
            }
            ContractEvent::Resolved(e) => {
                if let Some(m) = self.milestone_mut(e.index) {
                    m.stage = MilestoneStage::Resolved;
                    m.held_cents = 0;
                }
            }
            ContractEvent::Completed(_) => self.completed = true,
            ContractEvent::Reviewed(e) => {
                if !self.reviewed.contains(&e.by) {
                    self.reviewed.push(e.by);
                }
            }
        }
    }
}

impl Aggregate for Contract {
    type Command = ContractCommand;
    type Event = ContractEvent;
    type Error = ContractError;
    const CATEGORY: &'static str = "contract";

    fn handle(
        &self,
        command: &ContractCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<ContractEvent>, ContractError> {
        self.decide(command, ctx)
    }

    fn apply(&mut self, event: &ContractEvent) {
        self.evolve(event);
    }
}
