//! The decisions of the Plan aggregate, one function per command. Checks
//! run in the order of their HTTP status: 404, 401/403, 409, then 422.

use agora_events::Timestamp;
use agora_events::domain::content::Money;
use agora_events::domain::membership::{
    MembershipCancelled, MembershipEvent, MembershipExpired, MembershipRenewed, MembershipStarted,
    PlanOffered, PlanOwner, PlanPriceChanged, PlanWithdrawn,
};
use agora_events::domain::revenue::{RevenueShare, split_sale};

use super::rules::{self, MAX_RENEWALS_PER_SWEEP};
use super::{MemberRecord, MembershipError, MembershipStatus, Plan, PlanTerms};
use crate::aggregate::CommandContext;

type Decision = Result<Vec<MembershipEvent>, MembershipError>;

/// The caller's user id, or why there is none.
fn caller(ctx: &CommandContext) -> Result<&str, MembershipError> {
    ctx.actor_id
        .as_deref()
        .ok_or(MembershipError::Unauthenticated)
}

/// The shares of a payment of `price` to `owner` with the platform fee.
fn shares(
    price: &Money,
    owner: &PlanOwner,
    platform_fee_bps: u32,
) -> Result<Vec<RevenueShare>, MembershipError> {
    split_sale(price.amount_cents, &owner.seller(), platform_fee_bps, None)
        .map_err(MembershipError::InvalidFee)
}

/// The id of a member's `n`-th payment on a plan: unique within the plan,
/// and the same on every replay of the decision.
fn payment_id(plan_id: &str, member_id: &str, n: u32) -> String {
    format!("{plan_id}.{member_id}.{n}")
}

impl Plan {
    fn offered(&self) -> Result<&PlanTerms, MembershipError> {
        self.terms.as_ref().ok_or(MembershipError::PlanNotFound)
    }

    /// Whether the caller may change the plan: admins always; the creator
    /// for their own plan.
    fn may_manage(
        &self,
        ctx: &CommandContext,
        by_admin: bool,
    ) -> Result<&PlanTerms, MembershipError> {
        let terms = self.offered()?;
        let who = caller(ctx)?;
        match &terms.owner {
            _ if by_admin => Ok(terms),
            PlanOwner::Platform => Err(MembershipError::PlatformPlanNeedsAdmin),
            PlanOwner::Creator(id) if id == who => Ok(terms),
            PlanOwner::Creator(_) => Err(MembershipError::NotPlanOwner),
        }
    }

    pub(super) fn offer(
        &self,
        ctx: &CommandContext,
        owner: &PlanOwner,
        title: &str,
        period_days: u32,
        price: &Money,
        by_admin: bool,
    ) -> Decision {
        let who = caller(ctx)?;
        match owner {
            PlanOwner::Platform if !by_admin => {
                return Err(MembershipError::PlatformPlanNeedsAdmin);
            }
            PlanOwner::Creator(id) if id != who => {
                return Err(MembershipError::OfferForAnotherCreator);
            }
            _ => {}
        }
        if self.terms.is_some() {
            return Err(MembershipError::PlanExists);
        }
        let offered = PlanOffered {
            plan_id: ctx.aggregate_id.clone(),
            owner: owner.clone(),
            title: rules::title(title)?,
            period_days: rules::period_days(period_days)?,
            price: rules::price(price)?,
            offered_at: ctx.now,
            offered_by: who.to_owned(),
        };
        Ok(vec![MembershipEvent::PlanOffered(offered)])
    }

    pub(super) fn change_price(
        &self,
        ctx: &CommandContext,
        price: &Money,
        by_admin: bool,
    ) -> Decision {
        let terms = self.may_manage(ctx, by_admin)?;
        if self.withdrawn {
            return Err(MembershipError::PlanWithdrawn);
        }
        let price = rules::price(price)?;
        if price == terms.price {
            return Ok(vec![]);
        }
        Ok(vec![MembershipEvent::PlanPriceChanged(PlanPriceChanged {
            plan_id: terms.plan_id.clone(),
            price,
            changed_at: ctx.now,
        })])
    }

    pub(super) fn withdraw(&self, ctx: &CommandContext, by_admin: bool) -> Decision {
        let terms = self.may_manage(ctx, by_admin)?;
        if self.withdrawn {
            return Err(MembershipError::PlanWithdrawn);
        }
        Ok(vec![MembershipEvent::PlanWithdrawn(PlanWithdrawn {
            plan_id: terms.plan_id.clone(),
            withdrawn_at: ctx.now,
        })])
    }

    pub(super) fn subscribe(
        &self,
        ctx: &CommandContext,
        member_id: &str,
        platform_fee_bps: u32,
    ) -> Decision {
        let terms = self.offered()?;
        caller(ctx)?;
        if self.withdrawn {
            return Err(MembershipError::PlanWithdrawn);
        }
        if terms.owner == PlanOwner::Creator(member_id.to_owned()) {
            return Err(MembershipError::OwnPlan);
        }
        let mut events = Vec::new();
        let mut payments = 0;
        if let Some(member) = self.members.get(member_id) {
            payments = member.payments;
            match member.status {
                MembershipStatus::Expired => {}
                // Paid up, or due and about to renew: a member already.
                MembershipStatus::Active => return Err(MembershipError::AlreadyMember),
                MembershipStatus::Cancelled if ctx.now < member.period_end => {
                    return Err(MembershipError::AlreadyMember);
                }
                // Cancelled and over, but not swept yet: expire it first.
                MembershipStatus::Cancelled => {
                    events.push(expired(terms, member_id, member, ctx.now));
                }
            }
        }
        let paid = terms.price.clone();
        events.push(MembershipEvent::Started(MembershipStarted {
            plan_id: terms.plan_id.clone(),
            member_id: member_id.to_owned(),
            payment_id: payment_id(&terms.plan_id, member_id, payments.saturating_add(1)),
            shares: shares(&paid, &terms.owner, platform_fee_bps)?,
            paid,
            period_start: ctx.now,
            period_end: rules::period_end(ctx.now, terms.period_days),
        }));
        Ok(events)
    }

    pub(super) fn cancel(&self, ctx: &CommandContext, member_id: &str, by_admin: bool) -> Decision {
        let terms = self.offered()?;
        let who = caller(ctx)?;
        if who != member_id && !by_admin {
            return Err(MembershipError::NotMemberOrAdmin);
        }
        let member = self
            .members
            .get(member_id)
            .filter(|m| m.status != MembershipStatus::Expired)
            .ok_or_else(|| MembershipError::NotMember(member_id.to_owned()))?;
        if member.status == MembershipStatus::Cancelled {
            return Err(MembershipError::AlreadyCancelled);
        }
        Ok(vec![MembershipEvent::Cancelled(MembershipCancelled {
            plan_id: terms.plan_id.clone(),
            member_id: member_id.to_owned(),
            access_until: member.period_end,
            cancelled_at: ctx.now,
            cancelled_by: who.to_owned(),
        })])
    }

    /// Renews or expires every membership whose period ended by `ctx.now`,
    /// in member order; a renewed period that also ended renews again, up
    /// to [`MAX_RENEWALS_PER_SWEEP`] times per member.
    pub(super) fn sweep(&self, ctx: &CommandContext, platform_fee_bps: u32) -> Decision {
        let Some(terms) = &self.terms else {
            return Ok(vec![]);
        };
        let mut events = Vec::new();
        for (member_id, member) in &self.members {
            if member.status == MembershipStatus::Expired || ctx.now < member.period_end {
                continue;
            }
            if member.status == MembershipStatus::Cancelled || self.withdrawn {
                events.push(expired(terms, member_id, member, ctx.now));
                continue;
            }
            let mut period_end = member.period_end;
            let mut payments = member.payments;
            for _ in 0..MAX_RENEWALS_PER_SWEEP {
                if ctx.now < period_end {
                    break;
                }
                let next_end = rules::period_end(period_end, terms.period_days);
                payments = payments.saturating_add(1);
                let paid = terms.price.clone();
                events.push(MembershipEvent::Renewed(MembershipRenewed {
                    plan_id: terms.plan_id.clone(),
                    member_id: member_id.clone(),
                    payment_id: payment_id(&terms.plan_id, member_id, payments),
                    shares: shares(&paid, &terms.owner, platform_fee_bps)?,
                    paid,
                    period_start: period_end,
                    period_end: next_end,
                    renewed_at: ctx.now,
                }));
                period_end = next_end;
            }
        }
        Ok(events)
    }
}

/// The expiry of `member`'s membership, decided at `now`.
fn expired(
    terms: &PlanTerms,
    member_id: &str,
    member: &MemberRecord,
    now: Timestamp,
) -> MembershipEvent {
    MembershipEvent::Expired(MembershipExpired {
        plan_id: terms.plan_id.clone(),
        member_id: member_id.to_owned(),
        period_end: member.period_end,
        expired_at: now,
    })
}
