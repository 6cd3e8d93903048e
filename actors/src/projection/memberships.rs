//! The memberships read model: every plan's public card, every membership
//! with its payments, an index of each user's memberships (so access checks
//! touch only that user's plans) and an index of periods by their end (so
//! the sweeper finds due plans without scanning every membership).
//!
//! Access ([`MembershipsView::covers`]) is decided against a time the caller
//! passes in: a membership gives access while it is not expired and its
//! period has not ended — or has ended but will renew (it is neither
//! cancelled nor on a withdrawn plan), so a member never loses access in
//! the moment between the end of a period and the sweep that renews it.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::Timestamp;
use agora_events::domain::DomainEvent;
use agora_events::domain::content::Money;
use agora_events::domain::membership::{MembershipEvent, PlanOwner};
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};
use crate::membership::MembershipStatus;

/// Most plans one listing page returns.
pub const MAX_PLAN_PAGE: usize = 100;

/// One plan as the read side sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCard {
    /// The plan's id.
    pub id: String,
    /// Who offers it.
    pub owner: PlanOwner,
    /// Its name.
    pub title: String,
    /// One period, in days.
    pub period_days: u32,
    /// The price the next payment pays.
    pub price: Money,
    /// Who offered it.
    pub offered_by: String,
    /// When it was offered.
    pub offered_at: Timestamp,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<Timestamp>,
    /// Memberships that are not expired.
    pub current_members: u64,
    /// Payments ever made on it (first periods and renewals).
    pub payments: u64,
    /// The aggregate version this card reflects (the HTTP `ETag`).
    pub version: u64,
}

/// One payment of a membership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// The payment's id, unique within the plan.
    pub payment_id: String,
    /// What was paid.
    pub paid: Money,
    /// The period it paid for.
    pub period_start: Timestamp,
    /// End of that period (exclusive).
    pub period_end: Timestamp,
}

/// One member's membership of one plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipCard {
    /// The plan.
    pub plan_id: String,
    /// The member.
    pub member_id: String,
    /// The plan's owner (what the membership covers).
    pub owner: PlanOwner,
    /// Where it is.
    pub status: MembershipStatus,
    /// When the current (or last) membership started.
    pub started_at: Timestamp,
    /// Start of the paid period.
    pub period_start: Timestamp,
    /// End of the paid period (exclusive).
    pub period_end: Timestamp,
    /// When it was cancelled, if it was.
    pub cancelled_at: Option<Timestamp>,
    /// When it expired, if it did.
    pub expired_at: Option<Timestamp>,
    /// Every payment, oldest first (across re-subscriptions).
    pub payments: Vec<PaymentRecord>,
}

/// Whose plans a listing shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Every plan.
    #[default]
    Any,
    /// Platform plans only.
    Platform,
    /// Creator plans only.
    AnyCreator,
    /// The plans of this creator only.
    Creator(String),
}

impl OwnerFilter {
    fn admits(&self, owner: &PlanOwner) -> bool {
        match (self, owner) {
            (Self::Any, _) | (Self::Platform, PlanOwner::Platform) => true,
            (Self::AnyCreator, PlanOwner::Creator(_)) => true,
            (Self::Creator(wanted), PlanOwner::Creator(id)) => wanted == id,
            _ => false,
        }
    }
}

/// A listing request.
#[derive(Clone, Debug, Default)]
pub struct PlanQuery {
    /// Whose plans.
    pub owner: OwnerFilter,
    /// Whether withdrawn plans are listed too.
    pub include_withdrawn: bool,
    /// Page size, 1 to [`MAX_PLAN_PAGE`].
    pub limit: usize,
    /// List plans with ids after this one (the previous page's `next_after`).
    pub after: Option<String>,
}

/// One page of plans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanPage {
    /// The plans, in id order.
    pub plans: Vec<PlanCard>,
    /// Where the next page starts (`PlanQuery::after`); `None` on the last page.
    pub next_after: Option<String>,
}

/// The memberships read model.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct MembershipsView {
    plans: BTreeMap<String, PlanCard>,
    /// Memberships by plan, then member.
    memberships: BTreeMap<String, BTreeMap<String, MembershipCard>>,
    /// Plans each user has a membership of (expired ones included).
    by_member: BTreeMap<String, BTreeSet<String>>,
    /// `(period end, plan, member)` of every membership not expired.
    due: BTreeSet<(i64, String, String)>,
}

impl MembershipsView {
    /// A plan's card.
    pub fn plan(&self, plan_id: &str) -> Option<&PlanCard> {
        self.plans.get(plan_id)
    }

    /// One page of plans, in id order.
    pub fn list(&self, query: &PlanQuery) -> PlanPage {
        let start = match &query.after {
            Some(after) => std::ops::Bound::Excluded(after.clone()),
            None => std::ops::Bound::Unbounded,
        };
        let limit = query.limit.clamp(1, MAX_PLAN_PAGE);
        let mut plans: Vec<PlanCard> = self
            .plans
            .range((start, std::ops::Bound::Unbounded))
            .map(|(_, card)| card)
            .filter(|card| query.owner.admits(&card.owner))
            .filter(|card| query.include_withdrawn || card.withdrawn_at.is_none())
            .take(limit + 1)
            .cloned()
            .collect();
        let more = plans.len() > limit;
        plans.truncate(limit);
        let next_after = more.then(|| plans.last().map(|p| p.id.clone())).flatten();
        PlanPage { plans, next_after }
    }

    /// The memberships of a plan, in member order.
    pub fn members(&self, plan_id: &str) -> Vec<MembershipCard> {
        self.memberships
            .get(plan_id)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// `user_id`'s memberships, expired ones included, in plan order.
    pub fn memberships_of(&self, user_id: &str) -> Vec<MembershipCard> {
        self.by_member
            .get(user_id)
            .into_iter()
            .flatten()
            .filter_map(|plan| self.memberships.get(plan)?.get(user_id))
            .cloned()
            .collect()
    }

    /// Whether `card` gives access at `now` (see the module doc).
    pub fn gives_access(&self, card: &MembershipCard, now: Timestamp) -> bool {
        match card.status {
            MembershipStatus::Expired => false,
            MembershipStatus::Cancelled => now < card.period_end,
            MembershipStatus::Active => {
                let renews = self
                    .plans
                    .get(&card.plan_id)
                    .is_some_and(|p| p.withdrawn_at.is_none());
                now < card.period_end || renews
            }
        }
    }

    /// Whether `user_id` holds, at `now`, a membership covering content by
    /// `creator_id`: of a plan of that creator, or of a platform plan. Looks
    /// only at the user's own memberships.
    pub fn covers(&self, user_id: &str, creator_id: &str, now: Timestamp) -> bool {
        let Some(plans) = self.by_member.get(user_id) else {
            return false;
        };
        plans.iter().any(|plan| {
            self.memberships
                .get(plan)
                .and_then(|m| m.get(user_id))
                .is_some_and(|card| card.owner.covers(creator_id) && self.gives_access(card, now))
        })
    }

    /// Plans with a membership whose period ended by `now` and that is not
    /// expired yet: the plans a sweep at `now` has work on.
    pub fn due_plans(&self, now: Timestamp) -> BTreeSet<String> {
        self.due
            .iter()
            .take_while(|(end, _, _)| *end <= now.0)
            .map(|(_, plan, _)| plan.clone())
            .collect()
    }

    fn card_mut(&mut self, plan_id: &str, member_id: &str) -> Option<&mut MembershipCard> {
        self.memberships.get_mut(plan_id)?.get_mut(member_id)
    }

    /// Moves a membership's entry in the due index from `old` to `new`.
    fn reschedule(&mut self, plan: &str, member: &str, old: Option<i64>, new: Option<i64>) {
        if let Some(old) = old {
            self.due.remove(&(old, plan.to_owned(), member.to_owned()));
        }
        if let Some(new) = new {
            self.due.insert((new, plan.to_owned(), member.to_owned()));
        }
    }

    fn fold(&mut self, event: MembershipEvent, version: u64) {
        let plan_id = event.plan_id().to_owned();
        if let Some(card) = self.plans.get_mut(&plan_id) {
            card.version = version;
        }
        match event {
            MembershipEvent::PlanOffered(e) => {
                self.plans.insert(
                    plan_id.clone(),
                    PlanCard {
                        id: plan_id,
                        owner: e.owner,
                        title: e.title,
                        period_days: e.period_days,
                        price: e.price,
                        offered_by: e.offered_by,
                        offered_at: e.offered_at,
                        withdrawn_at: None,
                        current_members: 0,
                        payments: 0,
                        version,
                    },
                );
            }
            MembershipEvent::PlanPriceChanged(e) => {
                if let Some(card) = self.plans.get_mut(&plan_id) {
                    card.price = e.price;
                }
            }
            MembershipEvent::PlanWithdrawn(e) => {
                if let Some(card) = self.plans.get_mut(&plan_id) {
                    card.withdrawn_at = Some(e.withdrawn_at);
                }
            }
            MembershipEvent::Started(e) => {
                let Some(plan) = self.plans.get_mut(&plan_id) else {
                    return;
                };
                plan.current_members += 1;
                plan.payments += 1;
                let owner = plan.owner.clone();
                let payment = PaymentRecord {
                    payment_id: e.payment_id,
                    paid: e.paid,
                    period_start: e.period_start,
                    period_end: e.period_end,
                };
                let members = self.memberships.entry(plan_id.clone()).or_default();
                let mut payments = members
                    .remove(&e.member_id)
                    .map(|old| old.payments)
                    .unwrap_or_default();
                payments.push(payment);
                members.insert(
                    e.member_id.clone(),
                    MembershipCard {
                        plan_id: plan_id.clone(),
                        member_id: e.member_id.clone(),
                        owner,
                        status: MembershipStatus::Active,
                        started_at: e.period_start,
                        period_start: e.period_start,
                        period_end: e.period_end,
                        cancelled_at: None,
                        expired_at: None,
                        payments,
                    },
                );
                self.by_member
                    .entry(e.member_id.clone())
                    .or_default()
                    .insert(plan_id.clone());
                self.reschedule(&plan_id, &e.member_id, None, Some(e.period_end.0));
            }
            MembershipEvent::Renewed(e) => {
                if let Some(plan) = self.plans.get_mut(&plan_id) {
                    plan.payments += 1;
                }
                let Some(card) = self.card_mut(&plan_id, &e.member_id) else {
                    return;
                };
                let old = card.period_end.0;
                card.period_start = e.period_start;
                card.period_end = e.period_end;
                card.payments.push(PaymentRecord {
                    payment_id: e.payment_id,
                    paid: e.paid,
                    period_start: e.period_start,
                    period_end: e.period_end,
                });
                self.reschedule(&plan_id, &e.member_id, Some(old), Some(e.period_end.0));
            }
            MembershipEvent::Cancelled(e) => {
                if let Some(card) = self.card_mut(&plan_id, &e.member_id) {
                    card.status = MembershipStatus::Cancelled;
                    card.cancelled_at = Some(e.cancelled_at);
                }
            }
            MembershipEvent::Expired(e) => {
                let Some(card) = self.card_mut(&plan_id, &e.member_id) else {
                    return;
                };
                card.status = MembershipStatus::Expired;
                card.expired_at = Some(e.expired_at);
                let old = card.period_end.0;
                if let Some(plan) = self.plans.get_mut(&plan_id) {
                    plan.current_members = plan.current_members.saturating_sub(1);
                }
                self.reschedule(&plan_id, &e.member_id, Some(old), None);
            }
        }
    }
}

impl Projection for MembershipsView {
    const NAME: &'static str = "memberships";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let event = event.recorded();
        if !MembershipEvent::is_membership_type(&event.event_type) {
            return Ok(());
        }
        let decoded = MembershipEvent::from_recorded(event).map_err(|e| e.to_string())?;
        self.fold(decoded, event.version);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use agora_events::domain::membership::{
        MembershipCancelled, MembershipExpired, MembershipRenewed, MembershipStarted, PlanOffered,
        PlanWithdrawn,
    };

    use super::*;

    const DAY: i64 = 86_400_000_000;

    fn cny(amount_cents: u64) -> Money {
        Money {
            amount_cents,
            currency: "CNY".into(),
        }
    }

    fn view(events: Vec<MembershipEvent>) -> MembershipsView {
        let mut view = MembershipsView::default();
        for (version, event) in events.into_iter().enumerate() {
            view.fold(event, version as u64);
        }
        view
    }

    fn offered(plan: &str, owner: PlanOwner) -> MembershipEvent {
        MembershipEvent::PlanOffered(PlanOffered {
            plan_id: plan.into(),
            owner,
            title: "Gold".into(),
            period_days: 30,
            price: cny(1_000),
            offered_at: Timestamp(0),
            offered_by: "c1".into(),
        })
    }

    fn started(plan: &str, member: &str) -> MembershipEvent {
        MembershipEvent::Started(MembershipStarted {
            plan_id: plan.into(),
            member_id: member.into(),
            payment_id: format!("{plan}.{member}.1"),
            paid: cny(1_000),
            shares: vec![],
            period_start: Timestamp(0),
            period_end: Timestamp(30 * DAY),
        })
    }

    #[test]
    fn a_creator_plan_covers_only_its_creator_while_the_membership_lasts() {
        let mut view = view(vec![
            offered("p1", PlanOwner::Creator("c1".into())),
            started("p1", "u1"),
        ]);
        assert!(view.covers("u1", "c1", Timestamp(DAY)));
        assert!(!view.covers("u1", "c2", Timestamp(DAY)));
        assert!(!view.covers("u2", "c1", Timestamp(DAY)));
        // Due, not swept yet, renewing: still covered.
        assert!(view.covers("u1", "c1", Timestamp(31 * DAY)));
        assert_eq!(view.due_plans(Timestamp(31 * DAY)).len(), 1);
        assert!(view.due_plans(Timestamp(DAY)).is_empty());
        view.fold(
            MembershipEvent::Renewed(MembershipRenewed {
                plan_id: "p1".into(),
                member_id: "u1".into(),
                payment_id: "p1.u1.2".into(),
                paid: cny(1_000),
                shares: vec![],
                period_start: Timestamp(30 * DAY),
                period_end: Timestamp(60 * DAY),
                renewed_at: Timestamp(31 * DAY),
            }),
            2,
        );
        assert!(view.due_plans(Timestamp(31 * DAY)).is_empty());
        view.fold(
            MembershipEvent::Cancelled(MembershipCancelled {
                plan_id: "p1".into(),
                member_id: "u1".into(),
                access_until: Timestamp(60 * DAY),
                cancelled_at: Timestamp(32 * DAY),
                cancelled_by: "u1".into(),
            }),
            3,
        );
        assert!(view.covers("u1", "c1", Timestamp(59 * DAY)));
        assert!(!view.covers("u1", "c1", Timestamp(60 * DAY)));
        view.fold(
            MembershipEvent::Expired(MembershipExpired {
                plan_id: "p1".into(),
                member_id: "u1".into(),
                period_end: Timestamp(60 * DAY),
                expired_at: Timestamp(61 * DAY),
            }),
            4,
        );
        assert!(view.due_plans(Timestamp(100 * DAY)).is_empty());
        let cards = view.memberships_of("u1");
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].status, MembershipStatus::Expired);
        assert_eq!(cards[0].payments.len(), 2);
        assert_eq!(view.plan("p1").map(|p| p.current_members), Some(0));
        assert_eq!(view.plan("p1").map(|p| p.version), Some(4));
    }

    #[test]
    fn listings_page_by_id() {
        let view = view(vec![
            offered("a", PlanOwner::Creator("c1".into())),
            offered("b", PlanOwner::Platform),
            offered("c", PlanOwner::Creator("c2".into())),
            offered("d", PlanOwner::Creator("c1".into())),
        ]);
        let page = |owner, after: Option<&str>| {
            view.list(&PlanQuery {
                owner,
                include_withdrawn: false,
                limit: 1,
                after: after.map(str::to_owned),
            })
        };
        let first = page(OwnerFilter::Creator("c1".into()), None);
        assert_eq!(first.plans[0].id, "a");
        assert_eq!(first.next_after.as_deref(), Some("a"));
        let second = page(OwnerFilter::Creator("c1".into()), Some("a"));
        assert_eq!(second.plans[0].id, "d");
        assert_eq!(second.next_after, None);
        assert_eq!(page(OwnerFilter::AnyCreator, Some("a")).plans[0].id, "c");
    }

    #[test]
    fn the_view_survives_a_snapshot_round_trip() {
        let mut view = view(vec![
            offered("p1", PlanOwner::Creator("c1".into())),
            started("p1", "u1"),
        ]);
        view.fold(offered("p2", PlanOwner::Platform), 0);
        let bytes = agora_events::codec::encode_payload(&view).unwrap_or_default();
        let back: Result<MembershipsView, _> = agora_events::codec::decode_payload(&bytes);
        let back = back.map_err(|e| panic!("{e}")).ok();
        let back = back.unwrap_or_default();
        assert!(back.covers("u1", "c1", Timestamp(DAY)));
        assert_eq!(
            back.plan("p2").map(|p| p.owner.clone()),
            Some(PlanOwner::Platform)
        );
        assert_eq!(
            agora_events::codec::encode_payload(&back).unwrap_or_default(),
            bytes
        );
    }

    #[test]
    fn a_platform_plan_covers_everyone_and_stops_renewing_when_withdrawn() {
        let view = view(vec![
            offered("p2", PlanOwner::Platform),
            started("p2", "u1"),
            MembershipEvent::PlanWithdrawn(PlanWithdrawn {
                plan_id: "p2".into(),
                withdrawn_at: Timestamp(DAY),
            }),
        ]);
        assert!(view.covers("u1", "anyone", Timestamp(2 * DAY)));
        assert!(!view.covers("u1", "anyone", Timestamp(30 * DAY)));
        let listed = |owner, include_withdrawn| {
            view.list(&PlanQuery {
                owner,
                include_withdrawn,
                limit: 10,
                after: None,
            })
            .plans
            .len()
        };
        assert_eq!(listed(OwnerFilter::Any, false), 0);
        assert_eq!(listed(OwnerFilter::Platform, true), 1);
        assert_eq!(listed(OwnerFilter::AnyCreator, true), 0);
    }
}
