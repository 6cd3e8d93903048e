//! The contracts read model: every contract with its milestones and their
//! escrow (funded, released, refunded, held), its reviews; an index of
//! submissions by their automatic-acceptance time (so the sweeper finds
//! due ones without scanning every contract); and each user's standing —
//! open and completed contracts (a vendor's load) and the review scores
//! their reputation is computed from.
//!
//! Everything kept is integers (sums of scores, minor units), so a rebuild
//! is byte-identical; the Bayesian average is computed when asked, with the
//! prior the caller passes in (settings). Amounts are added with
//! saturating arithmetic: no event the write side accepted can stop it.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::Timestamp;
use agora_events::domain::DomainEvent;
use agora_events::domain::contract::{ContractEvent, Party};
use agora_events::domain::money::Money;
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};
use crate::contract::MilestoneStage;

/// One milestone as the read side sees it, with its escrow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneCard {
    /// Its index (from 0).
    pub index: u32,
    /// What is delivered.
    pub title: String,
    /// What it pays, in minor units.
    pub amount_cents: u64,
    /// Due, in days after the contract opened.
    pub due_day: u32,
    /// Where it is.
    pub stage: MilestoneStage,
    /// Put in escrow by the client.
    pub funded_cents: u64,
    /// Released from escrow to the vendor (before the platform's fee).
    pub released_cents: u64,
    /// Refunded from escrow to the client.
    pub refunded_cents: u64,
    /// In escrow now: funded − released − refunded.
    pub held_cents: u64,
    /// The platform's fee taken from what was released.
    pub fee_cents: u64,
    /// When it was funded.
    pub funded_at: Option<Timestamp>,
    /// When it was last submitted.
    pub submitted_at: Option<Timestamp>,
    /// When the pending submission is accepted automatically.
    pub auto_accept_at: Option<Timestamp>,
    /// Times the client sent it back for changes.
    pub changes_requested: u32,
    /// Who disputed it, if it was.
    pub disputed_by: Option<Party>,
    /// When it was accepted or resolved.
    pub settled_at: Option<Timestamp>,
    /// Whether the acceptance was automatic.
    pub accepted_automatically: bool,
}

/// One review on a contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCard {
    /// Which side wrote it.
    pub by: Party,
    /// The reviewer.
    pub reviewer_id: String,
    /// The reviewed party.
    pub reviewee_id: String,
    /// 1–5.
    pub quality: u8,
    /// 1–5.
    pub communication: u8,
    /// 1–5.
    pub timeliness: u8,
    /// The text (may be empty).
    pub text: String,
    /// When.
    pub reviewed_at: Timestamp,
}

/// One contract as the read side sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCard {
    /// The contract's id (= the requirement's).
    pub id: String,
    /// The requirement awarded.
    pub requirement_id: String,
    /// The client.
    pub client_id: String,
    /// The vendor.
    pub vendor_id: String,
    /// The price.
    pub price: Money,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// When it was completed, if it was.
    pub completed_at: Option<Timestamp>,
    /// The milestones, in order.
    pub milestones: Vec<MilestoneCard>,
    /// The reviews, in the order written.
    pub reviews: Vec<ReviewCard>,
    /// The aggregate version this card reflects (the HTTP `ETag`).
    pub version: u64,
}

/// A contract's escrow, summed over its milestones (`u128`: no sum of
/// `u64` amounts overflows it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EscrowTotals {
    /// Put in escrow.
    pub funded: u128,
    /// Released to the vendor.
    pub released: u128,
    /// Refunded to the client.
    pub refunded: u128,
    /// Held now.
    pub held: u128,
}

impl ContractCard {
    /// Whether `user_id` is the client or the vendor.
    pub fn is_party(&self, user_id: &str) -> bool {
        user_id == self.client_id || user_id == self.vendor_id
    }

    /// The escrow summed over the milestones.
    pub fn escrow(&self) -> EscrowTotals {
        let mut totals = EscrowTotals::default();
        for m in &self.milestones {
            totals.funded += u128::from(m.funded_cents);
            totals.released += u128::from(m.released_cents);
            totals.refunded += u128::from(m.refunded_cents);
            totals.held += u128::from(m.held_cents);
        }
        totals
    }
}

/// One user's standing as a vendor: the contracts it delivers and the
/// reviews its clients gave it. A user who is also a client elsewhere
/// keeps that side out: its own requirements' contracts are no load, and
/// its vendors' reviews of it are no reputation as a vendor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// Contracts it delivers, opened and not completed (its current load).
    pub open_contracts: u64,
    /// Contracts it delivered to completion.
    pub completed_contracts: u64,
    /// Reviews received from clients.
    pub reviews: u64,
    /// Sum of the quality scores received.
    pub quality_sum: u64,
    /// Sum of the communication scores received.
    pub communication_sum: u64,
    /// Sum of the timeliness scores received.
    pub timeliness_sum: u64,
}

/// The prior of the Bayesian average: a user with no reviews has `mean`,
/// and `weight` reviews' worth of it pull every average towards it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReputationPrior {
    /// The prior mean score (1–5).
    pub mean: f64,
    /// How many reviews the prior counts as (≥ 0).
    pub weight: f64,
}

impl Default for ReputationPrior {
    fn default() -> Self {
        Self {
            mean: 4.0,
            weight: 10.0,
        }
    }
}

/// A user's reputation from the reviews they received.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reputation {
    /// The Bayesian average of the review scores (each review scores the
    /// mean of its three scores): `(weight · mean + Σ scores) / (weight + n)`.
    pub score: f64,
    /// Reviews received.
    pub reviews: u64,
    /// The plain mean of the review scores, if there are any.
    pub mean: Option<f64>,
    /// The plain means per dimension (quality, communication, timeliness).
    pub dimensions: Option<[f64; 3]>,
}

impl Standing {
    /// The reputation under `prior`.
    ///
    /// Guarantees: with no reviews it is the prior mean; it lies between
    /// the prior mean and the plain mean; more reviews at one mean move it
    /// closer to that mean.
    pub fn reputation(&self, prior: ReputationPrior) -> Reputation {
        let n = self.reviews as f64;
        let sum =
            (self.quality_sum as f64 + self.communication_sum as f64 + self.timeliness_sum as f64)
                / 3.0;
        let weight = prior.weight.max(0.0);
        let score = if weight + n > 0.0 {
            (weight * prior.mean + sum) / (weight + n)
        } else {
            prior.mean
        };
        let per = |s: u64| s as f64 / n;
        Reputation {
            score,
            reviews: self.reviews,
            mean: (self.reviews > 0).then(|| sum / n),
            dimensions: (self.reviews > 0).then(|| {
                [
                    per(self.quality_sum),
                    per(self.communication_sum),
                    per(self.timeliness_sum),
                ]
            }),
        }
    }
}

/// The contracts read model.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ContractsView {
    contracts: BTreeMap<String, ContractCard>,
    /// `(auto_accept_at, contract, milestone)` of every pending submission.
    due: BTreeSet<(i64, String, u32)>,
    /// Each vendor's standing, by user id.
    standings: BTreeMap<String, Standing>,
}

impl ContractsView {
    /// A contract's card.
    pub fn contract(&self, id: &str) -> Option<&ContractCard> {
        self.contracts.get(id)
    }

    /// `user_id`'s standing (all zeros for a user without contracts).
    pub fn standing(&self, user_id: &str) -> Standing {
        self.standings.get(user_id).cloned().unwrap_or_default()
    }

    /// Contracts with a submission due for automatic acceptance by `now`.
    pub fn due_contracts(&self, now: Timestamp) -> BTreeSet<String> {
        self.due
            .iter()
            .take_while(|(at, _, _)| *at <= now.0)
            .map(|(_, id, _)| id.clone())
            .collect()
    }

    fn milestone_mut(&mut self, id: &str, index: u32) -> Option<&mut MilestoneCard> {
        self.contracts
            .get_mut(id)?
            .milestones
            .get_mut(index as usize)
    }

    /// Takes milestone `index` of `id` out of the due index.
    fn undue(&mut self, id: &str, index: u32) {
        let at = self
            .milestone_mut(id, index)
            .and_then(|m| m.auto_accept_at.take());
        if let Some(at) = at {
            self.due.remove(&(at.0, id.to_owned(), index));
        }
    }

    fn fold(&mut self, event: ContractEvent, version: u64) {
        let id = event.contract_id().to_owned();
        if let Some(card) = self.contracts.get_mut(&id) {
            card.version = version;
        }
        match event {
            ContractEvent::Opened(e) => {
                if self.contracts.contains_key(&id) {
                    return;
                }
                let standing = self.standings.entry(e.vendor_id.clone()).or_default();
                standing.open_contracts = standing.open_contracts.saturating_add(1);
                let milestones = e
                    .milestones
                    .into_iter()
                    .enumerate()
                    .map(|(i, m)| MilestoneCard {
                        index: u32::try_from(i).unwrap_or(u32::MAX),
                        title: m.title,
                        amount_cents: m.amount_cents,
                        due_day: m.due_day,
                        stage: MilestoneStage::Unfunded,
                        funded_cents: 0,
                        released_cents: 0,
                        refunded_cents: 0,
                        held_cents: 0,
                        fee_cents: 0,
                        funded_at: None,
                        submitted_at: None,
                        auto_accept_at: None,
                        changes_requested: 0,
                        disputed_by: None,
                        settled_at: None,
                        accepted_automatically: false,
                    })
                    .collect();
                self.contracts.insert(
                    id.clone(),
                    ContractCard {
                        id,
                        requirement_id: e.requirement_id,
                        client_id: e.client_id,
                        vendor_id: e.vendor_id,
                        price: e.price,
                        opened_at: e.opened_at,
                        completed_at: None,
                        milestones,
                        reviews: Vec::new(),
                        version,
                    },
                );
            }
            ContractEvent::Funded(e) => {
                if let Some(m) = self.milestone_mut(&id, e.index) {
                    m.stage = MilestoneStage::InProgress;
                    m.funded_cents = m.funded_cents.saturating_add(e.amount.amount_cents);
                    m.held_cents = m.held_cents.saturating_add(e.amount.amount_cents);
                    m.funded_at = Some(e.funded_at);
                }
            }
            ContractEvent::Submitted(e) => {
                self.undue(&id, e.index);
                if let Some(m) = self.milestone_mut(&id, e.index) {
                    m.stage = MilestoneStage::Submitted;
                    m.submitted_at = Some(e.submitted_at);
                    m.auto_accept_at = Some(e.auto_accept_at);
                    self.due.insert((e.auto_accept_at.0, id, e.index));
                }
            }
            ContractEvent::ChangesRequested(e) => {
                self.undue(&id, e.index);
                if let Some(m) = self.milestone_mut(&id, e.index) {
                    m.stage = MilestoneStage::InProgress;
                    m.changes_requested = m.changes_requested.saturating_add(1);
                }
            }
            ContractEvent::Accepted(e) => {
                self.undue(&id, e.index);
                if let Some(m) = self.milestone_mut(&id, e.index) {
                    let released = e.amount.amount_cents;
                    m.stage = MilestoneStage::Accepted;
                    m.released_cents = m.released_cents.saturating_add(released);
                    m.held_cents = m.held_cents.saturating_sub(released);
                    m.fee_cents = m.fee_cents.saturating_add(platform_part(&e.shares));
                    m.settled_at = Some(e.accepted_at);
                    m.accepted_automatically = e.automatic;
                }
            }
            ContractEvent::Disputed(e) => {
                self.undue(&id, e.index);
                if let Some(m) = self.milestone_mut(&id, e.index) {
                    m.stage = MilestoneStage::Disputed;
                    m.disputed_by = Some(e.by);
                }
            }
            ContractEvent::Resolved(e) => {
                if let Some(m) = self.milestone_mut(&id, e.index) {
                    m.stage = MilestoneStage::Resolved;
                    m.released_cents = m.released_cents.saturating_add(e.vendor_cents);
                    m.refunded_cents = m.refunded_cents.saturating_add(e.refund_cents);
                    m.held_cents = m
                        .held_cents
                        .saturating_sub(e.vendor_cents)
                        .saturating_sub(e.refund_cents);
                    m.fee_cents = m.fee_cents.saturating_add(platform_part(&e.shares));
                    m.settled_at = Some(e.resolved_at);
                }
            }
            ContractEvent::Completed(e) => {
                let Some(card) = self.contracts.get_mut(&id) else {
                    return;
                };
                if card.completed_at.is_some() {
                    return;
                }
                card.completed_at = Some(e.completed_at);
                let standing = self.standings.entry(card.vendor_id.clone()).or_default();
                standing.open_contracts = standing.open_contracts.saturating_sub(1);
                standing.completed_contracts = standing.completed_contracts.saturating_add(1);
            }
            ContractEvent::Reviewed(e) => {
                // Only a client's review of its vendor is reputation.
                if e.by == Party::Client {
                    let standing = self.standings.entry(e.reviewee_id.clone()).or_default();
                    standing.reviews = standing.reviews.saturating_add(1);
                    standing.quality_sum =
                        standing.quality_sum.saturating_add(u64::from(e.quality));
                    standing.communication_sum = standing
                        .communication_sum
                        .saturating_add(u64::from(e.communication));
                    standing.timeliness_sum = standing
                        .timeliness_sum
                        .saturating_add(u64::from(e.timeliness));
                }
                if let Some(card) = self.contracts.get_mut(&id) {
                    card.reviews.push(ReviewCard {
                        by: e.by,
                        reviewer_id: e.reviewer_id,
                        reviewee_id: e.reviewee_id,
                        quality: e.quality,
                        communication: e.communication,
                        timeliness: e.timeliness,
                        text: e.text,
                        reviewed_at: e.reviewed_at,
                    });
                }
            }
        }
    }
}

/// The platform's part of a release.
fn platform_part(shares: &[agora_events::domain::revenue::RevenueShare]) -> u64 {
    shares
        .iter()
        .filter(|s| s.account == agora_events::domain::revenue::Account::Platform)
        .fold(0u64, |sum, s| sum.saturating_add(s.amount_cents))
}

impl Projection for ContractsView {
    const NAME: &'static str = "contracts";
    /// 2: standings count a user's vendor side only.
    const VERSION: u32 = 2;

    fn apply_shared(&mut self, shared: &SharedEvent<'_>) -> Result<(), String> {
        let event = shared.recorded();
        if !ContractEvent::is_contract_type(&event.event_type) {
            return Ok(());
        }
        let decoded = ContractEvent::from_recorded(event).map_err(|e| e.to_string())?;
        self.fold(decoded, event.version);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(reviews: &[(u8, u8, u8)]) -> Standing {
        let mut s = Standing::default();
        for (q, c, t) in reviews {
            s.reviews += 1;
            s.quality_sum += u64::from(*q);
            s.communication_sum += u64::from(*c);
            s.timeliness_sum += u64::from(*t);
        }
        s
    }

    #[test]
    fn one_five_star_review_does_not_beat_fifty_at_four_point_eight() {
        let prior = ReputationPrior::default();
        let lucky = standing(&[(5, 5, 5)]).reputation(prior);
        // Fifty reviews averaging 4.8: forty 5-5-5 and ten 4-4-4.
        let mut many = vec![(5, 5, 5); 40];
        many.extend(vec![(4, 4, 4); 10]);
        let steady = standing(&many).reputation(prior);
        assert_eq!(steady.mean, Some(4.8));
        assert_eq!(lucky.mean, Some(5.0));
        assert!(
            steady.score > lucky.score,
            "{} should beat {}",
            steady.score,
            lucky.score
        );
        // (10 · 4 + 5) / 11 and (10 · 4 + 240) / 60.
        assert!((lucky.score - 45.0 / 11.0).abs() < 1e-12);
        assert!((steady.score - 280.0 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn submissions_are_due_until_answered_and_load_counts_open_contracts() {
        use agora_events::domain::contract::{
            ContractCompleted, ContractOpened, MilestoneAccepted, MilestoneFunded,
            MilestoneSubmitted, MilestoneTerms,
        };
        let cny = |amount_cents| Money {
            amount_cents,
            currency: "CNY".into(),
        };
        let mut view = ContractsView::default();
        let events = [
            ContractEvent::Opened(ContractOpened {
                contract_id: "r1".into(),
                requirement_id: "r1".into(),
                client_id: "c".into(),
                vendor_id: "v".into(),
                price: cny(100),
                milestones: vec![MilestoneTerms::from(("m".to_owned(), 100, 1))],
                opened_at: Timestamp(0),
                opened_by: "c".into(),
            }),
            ContractEvent::Funded(MilestoneFunded {
                contract_id: "r1".into(),
                index: 0,
                amount: cny(100),
                funded_at: Timestamp(1),
            }),
            ContractEvent::Submitted(MilestoneSubmitted {
                contract_id: "r1".into(),
                index: 0,
                note: String::new(),
                submitted_at: Timestamp(2),
                auto_accept_at: Timestamp(10),
            }),
        ];
        for (version, event) in events.into_iter().enumerate() {
            view.fold(event, version as u64);
        }
        assert!(view.due_contracts(Timestamp(9)).is_empty());
        assert_eq!(view.due_contracts(Timestamp(10)).len(), 1);
        assert_eq!(view.standing("v").open_contracts, 1);
        view.fold(
            ContractEvent::Accepted(MilestoneAccepted {
                contract_id: "r1".into(),
                index: 0,
                amount: cny(100),
                shares: vec![],
                automatic: true,
                accepted_at: Timestamp(10),
            }),
            3,
        );
        view.fold(
            ContractEvent::Completed(ContractCompleted {
                contract_id: "r1".into(),
                completed_at: Timestamp(10),
            }),
            4,
        );
        assert!(view.due_contracts(Timestamp(i64::MAX)).is_empty());
        let standing = view.standing("v");
        assert_eq!(
            (standing.open_contracts, standing.completed_contracts),
            (0, 1)
        );
        let card = view.contract("r1").expect("card");
        assert_eq!(card.version, 4);
        assert_eq!(card.escrow().held, 0);
        assert_eq!(card.escrow().released, 100);
    }

    /// Regression: a user who is a client in one contract and the vendor in
    /// another had both counted as its vendor load, and its vendors'
    /// reviews of it counted as its reputation as a vendor.
    #[test]
    fn standing_counts_only_the_vendor_side_of_a_user() {
        use agora_events::domain::contract::{ContractOpened, ContractReviewed, MilestoneTerms};
        let opened = |id: &str, client: &str, vendor: &str| {
            ContractEvent::Opened(ContractOpened {
                contract_id: id.into(),
                requirement_id: id.into(),
                client_id: client.into(),
                vendor_id: vendor.into(),
                price: Money {
                    amount_cents: 100,
                    currency: "CNY".into(),
                },
                milestones: vec![MilestoneTerms::from(("m".to_owned(), 100, 1))],
                opened_at: Timestamp(0),
                opened_by: client.into(),
            })
        };
        let reviewed = |id: &str, by: Party, reviewer: &str, reviewee: &str| {
            ContractEvent::Reviewed(ContractReviewed {
                contract_id: id.into(),
                by,
                reviewer_id: reviewer.into(),
                reviewee_id: reviewee.into(),
                quality: 2,
                communication: 2,
                timeliness: 2,
                text: String::new(),
                reviewed_at: Timestamp(1),
            })
        };
        let mut view = ContractsView::default();
        // "x" buys from "v" in r1 and delivers to "c" in r2.
        view.fold(opened("r1", "x", "v"), 0);
        view.fold(opened("r2", "c", "x"), 0);
        view.fold(reviewed("r1", Party::Vendor, "v", "x"), 1);
        view.fold(reviewed("r2", Party::Client, "c", "x"), 1);
        let x = view.standing("x");
        assert_eq!((x.open_contracts, x.reviews), (1, 1));
        assert_eq!(view.standing("c"), Standing::default());
        assert_eq!(view.standing("v").open_contracts, 1);
    }

    #[test]
    fn no_reviews_is_the_prior_and_a_zero_weight_is_the_plain_mean() {
        let prior = ReputationPrior {
            mean: 3.5,
            weight: 5.0,
        };
        let none = Standing::default().reputation(prior);
        assert_eq!(none.score, 3.5);
        assert_eq!(none.mean, None);
        let plain = standing(&[(5, 4, 3)]).reputation(ReputationPrior {
            mean: 3.0,
            weight: 0.0,
        });
        assert_eq!(plain.score, 4.0);
        assert_eq!(plain.dimensions, Some([5.0, 4.0, 3.0]));
    }
}
