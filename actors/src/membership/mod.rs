//! Memberships: a creator (for their own content) or the platform (for all
//! content) offers a plan — a period and a price — and members pay it
//! period by period while it renews.
//!
//! The consistency boundary is the **Plan** aggregate: its stream holds
//! the plan's terms and every membership of it (member id = user id), so
//! "one current membership per member and plan" and "renew at the price in
//! force" are decided in one place. Pure domain logic:
//! [`Plan::handle`](crate::aggregate::Aggregate::handle) decides from the
//! state, the command and the [`CommandContext`] (caller and clock),
//! [`Plan::apply`](crate::aggregate::Aggregate::apply) evolves the state.
//!
//! Time is an input: a membership's period ends at a fixed time, and the
//! [`MembershipCommand::Sweep`] command, sent by the [`sweeper`] whenever
//! the clock ticks or is moved, renews or expires what ended by then.
//! Access is answered from the memberships projection
//! ([`crate::projection::memberships`]) by [`MembershipService::covers`].

mod command;
mod decide;
mod rules;
mod service;
pub mod sweeper;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use agora_events::Timestamp;
use agora_events::domain::content::Money;
use agora_events::domain::membership::{MembershipEvent, PlanOwner};

pub use command::{MembershipCommand, MembershipError};
pub use rules::{MAX_PERIOD_DAYS, MAX_RENEWALS_PER_SWEEP, MAX_TITLE_CHARS, MIN_PERIOD_DAYS};
pub use service::{
    Caller, MembershipConfig, MembershipService, MembershipServiceError, NewPlan, SWEEPER_ACTOR,
    SweepReport,
};

use crate::aggregate::{Aggregate, CommandContext};

/// Where one member's membership of a plan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MembershipStatus {
    /// Paid up and renewing at the end of each period.
    Active,
    /// Paid up until the period ends, then it expires.
    Cancelled,
    /// Over: no access. The member may subscribe again.
    Expired,
}

/// A plan's terms, as offered and repriced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanTerms {
    /// The plan's id.
    pub plan_id: String,
    /// Who offers it.
    pub owner: PlanOwner,
    /// Its name.
    pub title: String,
    /// One period, in days.
    pub period_days: u32,
    /// What the next payment costs.
    pub price: Money,
}

/// One member's membership, as the aggregate remembers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberRecord {
    /// Where it is.
    pub status: MembershipStatus,
    /// Start of the paid period.
    pub period_start: Timestamp,
    /// End of the paid period (exclusive).
    pub period_end: Timestamp,
    /// Payments this member ever made on this plan (across re-subscriptions).
    pub payments: u32,
}

/// A membership plan's decision state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    terms: Option<PlanTerms>,
    withdrawn: bool,
    members: BTreeMap<String, MemberRecord>,
}

impl Plan {
    /// The plan's terms, once offered.
    pub fn terms(&self) -> Option<&PlanTerms> {
        self.terms.as_ref()
    }

    /// Whether the plan was withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn
    }

    /// The membership of `member_id`, expired ones included.
    pub fn member(&self, member_id: &str) -> Option<&MemberRecord> {
        self.members.get(member_id)
    }

    /// Every membership, in member order.
    pub fn members(&self) -> impl Iterator<Item = (&str, &MemberRecord)> + '_ {
        self.members.iter().map(|(id, m)| (id.as_str(), m))
    }

    fn evolve(&mut self, event: &MembershipEvent) {
        match event {
            MembershipEvent::PlanOffered(e) => {
                self.terms = Some(PlanTerms {
                    plan_id: e.plan_id.clone(),
                    owner: e.owner.clone(),
                    title: e.title.clone(),
                    period_days: e.period_days,
                    price: e.price.clone(),
                });
            }
            MembershipEvent::PlanPriceChanged(e) => {
                if let Some(terms) = &mut self.terms {
                    terms.price = e.price.clone();
                }
            }
            MembershipEvent::PlanWithdrawn(_) => self.withdrawn = true,
            MembershipEvent::Started(e) => {
                let payments = self.members.get(&e.member_id).map_or(0, |m| m.payments);
                self.members.insert(
                    e.member_id.clone(),
                    MemberRecord {
                        status: MembershipStatus::Active,
                        period_start: e.period_start,
                        period_end: e.period_end,
                        payments: payments.saturating_add(1),
                    },
                );
            }
            MembershipEvent::Renewed(e) => {
                if let Some(member) = self.members.get_mut(&e.member_id) {
                    member.period_start = e.period_start;
                    member.period_end = e.period_end;
                    member.payments = member.payments.saturating_add(1);
                }
            }
            MembershipEvent::Cancelled(e) => {
                if let Some(member) = self.members.get_mut(&e.member_id) {
                    member.status = MembershipStatus::Cancelled;
                }
            }
            MembershipEvent::Expired(e) => {
                if let Some(member) = self.members.get_mut(&e.member_id) {
                    member.status = MembershipStatus::Expired;
                }
            }
        }
    }
}

impl Aggregate for Plan {
    type Command = MembershipCommand;
    type Event = MembershipEvent;
    type Error = MembershipError;
    const CATEGORY: &'static str = "plan";

    fn handle(
        &self,
        command: &MembershipCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<MembershipEvent>, MembershipError> {
        match command {
            MembershipCommand::OfferPlan {
                owner,
                title,
                period_days,
                price,
                by_admin,
            } => self.offer(ctx, owner, title, *period_days, price, *by_admin),
            MembershipCommand::ChangePrice { price, by_admin } => {
                self.change_price(ctx, price, *by_admin)
            }
            MembershipCommand::Withdraw { by_admin } => self.withdraw(ctx, *by_admin),
            MembershipCommand::Subscribe {
                member_id,
                platform_fee_bps,
            } => self.subscribe(ctx, member_id, *platform_fee_bps),
            MembershipCommand::Cancel {
                member_id,
                by_admin,
            } => self.cancel(ctx, member_id, *by_admin),
            MembershipCommand::Sweep { platform_fee_bps } => self.sweep(ctx, *platform_fee_bps),
        }
    }

    fn apply(&mut self, event: &MembershipEvent) {
        self.evolve(event);
    }
}
