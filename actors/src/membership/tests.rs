//! Stories of the Plan aggregate: offering, pricing, subscribing,
//! renewing, cancelling and expiring, each as given / when / then.

use agora_events::Timestamp;
use agora_events::domain::content::Money;
use agora_events::domain::membership::{
    MembershipCancelled, MembershipEvent, MembershipExpired, MembershipRenewed, MembershipStarted,
    PlanOffered, PlanOwner, PlanPriceChanged, PlanWithdrawn,
};
use agora_events::domain::money::MoneyError;
use agora_events::domain::revenue::{Account, RevenueShare, SplitError};
use proptest::prelude::*;

use super::*;
use crate::aggregate::testing::Story;

const PLAN: &str = "pl1";
const CREATOR: &str = "cora";
const MEMBER: &str = "lin";
const ADMIN: &str = "root";
const DAY: i64 = 86_400_000_000;
const T0: Timestamp = Timestamp(1_700_000_000_000_000);
const FEE_BPS: u32 = 2_000;

fn at(days: i64) -> Timestamp {
    Timestamp(T0.0 + days * DAY)
}

fn cny(amount_cents: u64) -> Money {
    Money {
        amount_cents,
        currency: "CNY".into(),
    }
}

/// The creator's 80 % / platform's 20 % of `cents`.
fn creator_shares(cents: u64) -> Vec<RevenueShare> {
    let platform = cents / 5;
    vec![
        RevenueShare {
            account: Account::Creator(CREATOR.into()),
            amount_cents: cents - platform,
        },
        RevenueShare {
            account: Account::Platform,
            amount_cents: platform,
        },
    ]
}

fn story(actor: &str, now: Timestamp) -> Story<Plan> {
    Story::new(PLAN).by(actor).at(now)
}

fn offered(owner: PlanOwner) -> MembershipEvent {
    MembershipEvent::PlanOffered(PlanOffered {
        plan_id: PLAN.into(),
        offered_by: match &owner {
            PlanOwner::Platform => ADMIN.into(),
            PlanOwner::Creator(id) => id.clone(),
        },
        owner,
        title: "Gold".into(),
        period_days: 30,
        price: cny(1_000),
        offered_at: T0,
    })
}

fn creator_plan() -> MembershipEvent {
    offered(PlanOwner::Creator(CREATOR.into()))
}

fn started(member: &str, n: u32, start: Timestamp, cents: u64) -> MembershipEvent {
    MembershipEvent::Started(MembershipStarted {
        plan_id: PLAN.into(),
        member_id: member.into(),
        payment_id: format!("{PLAN}.{member}.{n}"),
        paid: cny(cents),
        shares: creator_shares(cents),
        period_start: start,
        period_end: Timestamp(start.0 + 30 * DAY),
    })
}

fn renewed(n: u32, start_day: i64, now: Timestamp, cents: u64) -> MembershipEvent {
    MembershipEvent::Renewed(MembershipRenewed {
        plan_id: PLAN.into(),
        member_id: MEMBER.into(),
        payment_id: format!("{PLAN}.{MEMBER}.{n}"),
        paid: cny(cents),
        shares: creator_shares(cents),
        period_start: at(start_day),
        period_end: at(start_day + 30),
        renewed_at: now,
    })
}

fn cancelled(now: Timestamp, until_day: i64) -> MembershipEvent {
    MembershipEvent::Cancelled(MembershipCancelled {
        plan_id: PLAN.into(),
        member_id: MEMBER.into(),
        access_until: at(until_day),
        cancelled_at: now,
        cancelled_by: MEMBER.into(),
    })
}

fn subscribe(member: &str) -> MembershipCommand {
    MembershipCommand::Subscribe {
        member_id: member.into(),
        platform_fee_bps: FEE_BPS,
    }
}

fn sweep() -> MembershipCommand {
    MembershipCommand::Sweep {
        platform_fee_bps: FEE_BPS,
    }
}

fn offer(owner: PlanOwner, by_admin: bool) -> MembershipCommand {
    MembershipCommand::OfferPlan {
        owner,
        title: "  Gold ".into(),
        period_days: 30,
        price: cny(1_000),
        by_admin,
    }
}

#[test]
fn a_creator_offers_a_plan_for_themselves() {
    story(CREATOR, T0)
        .when(&offer(PlanOwner::Creator(CREATOR.into()), false))
        .then_events(&[creator_plan()]);
}

#[test]
fn only_admins_offer_platform_plans() {
    story(CREATOR, T0)
        .when(&offer(PlanOwner::Platform, false))
        .then_error(&MembershipError::PlatformPlanNeedsAdmin);
    story(ADMIN, T0)
        .when(&offer(PlanOwner::Platform, true))
        .then_events(&[offered(PlanOwner::Platform)]);
}

#[test]
fn a_creator_cannot_offer_for_another_creator_nor_an_admin_for_a_creator() {
    story("mallory", T0)
        .when(&offer(PlanOwner::Creator(CREATOR.into()), false))
        .then_error(&MembershipError::OfferForAnotherCreator);
    story(ADMIN, T0)
        .when(&offer(PlanOwner::Creator(CREATOR.into()), true))
        .then_error(&MembershipError::OfferForAnotherCreator);
}

#[test]
fn offers_are_validated_and_happen_once() {
    let bad = |title: &str, period_days: u32, currency: &str| MembershipCommand::OfferPlan {
        owner: PlanOwner::Creator(CREATOR.into()),
        title: title.into(),
        period_days,
        price: Money {
            amount_cents: 1,
            currency: currency.into(),
        },
        by_admin: false,
    };
    story(CREATOR, T0)
        .when(&bad(" ", 30, "CNY"))
        .then_error(&MembershipError::EmptyTitle);
    story(CREATOR, T0)
        .when(&bad("Gold", 0, "CNY"))
        .then_error(&MembershipError::PeriodOutOfRange(0));
    story(CREATOR, T0)
        .when(&bad("Gold", 30, "yuan"))
        .then_error(&MembershipError::PriceOutOfRange(
            MoneyError::UnknownCurrency("yuan".into()),
        ));
    story(CREATOR, T0)
        .given([creator_plan()])
        .when(&offer(PlanOwner::Creator(CREATOR.into()), false))
        .then_error(&MembershipError::PlanExists);
    Story::<Plan>::new(PLAN)
        .when(&offer(PlanOwner::Platform, true))
        .then_error(&MembershipError::Unauthenticated);
}

#[test]
fn subscribing_pays_the_first_period_with_shares() {
    let plan = story(MEMBER, at(1))
        .given([creator_plan()])
        .when(&subscribe(MEMBER))
        .then_events(&[started(MEMBER, 1, at(1), 1_000)]);
    assert_eq!(
        plan.member(MEMBER).map(|m| m.status),
        Some(MembershipStatus::Active)
    );
}

#[test]
fn a_platform_plan_pays_the_platform_alone() {
    story(MEMBER, T0)
        .given([offered(PlanOwner::Platform)])
        .when(&subscribe(MEMBER))
        .then_check(|events| match events {
            [MembershipEvent::Started(started)] => assert_eq!(
                started.shares,
                vec![RevenueShare {
                    account: Account::Platform,
                    amount_cents: 1_000,
                }]
            ),
            other => panic!("unexpected {other:?}"),
        });
}

#[test]
fn subscribing_twice_while_active_is_refused() {
    story(MEMBER, at(5))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000)])
        .when(&subscribe(MEMBER))
        .then_error(&MembershipError::AlreadyMember);
    // Due but not swept yet: it is about to renew, so still a member.
    story(MEMBER, at(31))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000)])
        .when(&subscribe(MEMBER))
        .then_error(&MembershipError::AlreadyMember);
    // Cancelled but paid up: still a member until the period ends.
    story(MEMBER, at(10))
        .given([
            creator_plan(),
            started(MEMBER, 1, T0, 1_000),
            cancelled(at(5), 30),
        ])
        .when(&subscribe(MEMBER))
        .then_error(&MembershipError::AlreadyMember);
}

#[test]
fn the_creator_cannot_join_their_own_plan_nor_anyone_a_withdrawn_one() {
    story(CREATOR, T0)
        .given([creator_plan()])
        .when(&subscribe(CREATOR))
        .then_error(&MembershipError::OwnPlan);
    let withdrawn = MembershipEvent::PlanWithdrawn(PlanWithdrawn {
        plan_id: PLAN.into(),
        withdrawn_at: T0,
    });
    story(MEMBER, T0)
        .given([creator_plan(), withdrawn])
        .when(&subscribe(MEMBER))
        .then_error(&MembershipError::PlanWithdrawn);
    story(MEMBER, T0)
        .when(&subscribe(MEMBER))
        .then_error(&MembershipError::PlanNotFound);
}

#[test]
fn a_sweep_after_the_period_renews_at_the_current_price() {
    let repriced = MembershipEvent::PlanPriceChanged(PlanPriceChanged {
        plan_id: PLAN.into(),
        price: cny(1_500),
        changed_at: at(10),
    });
    story(ADMIN, at(31))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000), repriced])
        .when(&sweep())
        .then_events(&[renewed(2, 30, at(31), 1_500)]);
}

#[test]
fn a_sweep_before_the_period_ends_changes_nothing() {
    story(ADMIN, at(29))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000)])
        .when(&sweep())
        .then_events(&[]);
}

#[test]
fn a_sweep_long_after_renews_period_after_period() {
    story(ADMIN, at(65))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000)])
        .when(&sweep())
        .then_events(&[renewed(2, 30, at(65), 1_000), renewed(3, 60, at(65), 1_000)]);
}

#[test]
fn a_clock_far_ahead_is_caught_up_over_several_sweeps() {
    let far = at(30 * (i64::from(MAX_RENEWALS_PER_SWEEP) + 10));
    let first = story(ADMIN, far)
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000)])
        .when(&sweep())
        .then_check(|events| assert_eq!(events.len(), MAX_RENEWALS_PER_SWEEP as usize));
    let mut given = vec![creator_plan(), started(MEMBER, 1, T0, 1_000)];
    given.extend(first);
    story(ADMIN, far)
        .given(given)
        .when(&sweep())
        .then_check(|events| assert_eq!(events.len(), 10));
}

#[test]
fn a_cancelled_membership_keeps_access_then_expires() {
    story(MEMBER, at(3))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000)])
        .when(&MembershipCommand::Cancel {
            member_id: MEMBER.into(),
            by_admin: false,
        })
        .then_events(&[cancelled(at(3), 30)]);
    let plan = story(ADMIN, at(30))
        .given([
            creator_plan(),
            started(MEMBER, 1, T0, 1_000),
            cancelled(at(3), 30),
        ])
        .when(&sweep())
        .then_events(&[MembershipEvent::Expired(MembershipExpired {
            plan_id: PLAN.into(),
            member_id: MEMBER.into(),
            period_end: at(30),
            expired_at: at(30),
        })]);
    assert_eq!(
        plan.member(MEMBER).map(|m| m.status),
        Some(MembershipStatus::Expired)
    );
}

#[test]
fn a_withdrawn_plan_stops_renewing() {
    let withdrawn = MembershipEvent::PlanWithdrawn(PlanWithdrawn {
        plan_id: PLAN.into(),
        withdrawn_at: at(2),
    });
    story(ADMIN, at(40))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000), withdrawn])
        .when(&sweep())
        .then_check(|events| {
            assert!(matches!(events, [MembershipEvent::Expired(e)] if e.period_end == at(30)));
        });
}

#[test]
fn only_the_member_or_an_admin_cancels_and_only_once() {
    let given = [creator_plan(), started(MEMBER, 1, T0, 1_000)];
    let cancel = |by_admin| MembershipCommand::Cancel {
        member_id: MEMBER.into(),
        by_admin,
    };
    story("mallory", at(1))
        .given(given.clone())
        .when(&cancel(false))
        .then_error(&MembershipError::NotMemberOrAdmin);
    story(ADMIN, at(1))
        .given(given)
        .when(&cancel(true))
        .then_check(|events| assert_eq!(events.len(), 1));
    story(MEMBER, at(2))
        .given([
            creator_plan(),
            started(MEMBER, 1, T0, 1_000),
            cancelled(at(1), 30),
        ])
        .when(&cancel(false))
        .then_error(&MembershipError::AlreadyCancelled);
    story(MEMBER, at(2))
        .given([creator_plan()])
        .when(&cancel(false))
        .then_error(&MembershipError::NotMember(MEMBER.into()));
}

#[test]
fn an_expired_member_may_subscribe_again_with_a_fresh_payment_id() {
    let expired = MembershipEvent::Expired(MembershipExpired {
        plan_id: PLAN.into(),
        member_id: MEMBER.into(),
        period_end: at(30),
        expired_at: at(31),
    });
    story(MEMBER, at(40))
        .given([
            creator_plan(),
            started(MEMBER, 1, T0, 1_000),
            cancelled(at(1), 30),
            expired,
        ])
        .when(&subscribe(MEMBER))
        .then_events(&[started(MEMBER, 2, at(40), 1_000)]);
}

#[test]
fn a_cancelled_and_ended_membership_is_expired_before_a_new_one_starts() {
    story(MEMBER, at(40))
        .given([creator_plan(), started(MEMBER, 1, T0, 1_000), cancelled(at(1), 30)])
        .when(&subscribe(MEMBER))
        .then_check(|events| {
            assert!(matches!(
                events,
                [MembershipEvent::Expired(_), MembershipEvent::Started(s)] if s.payment_id == "pl1.lin.2"
            ));
        });
}

#[test]
fn prices_change_only_by_the_owner_or_an_admin_and_only_when_different() {
    let change = |cents, by_admin| MembershipCommand::ChangePrice {
        price: cny(cents),
        by_admin,
    };
    story("mallory", T0)
        .given([creator_plan()])
        .when(&change(2_000, false))
        .then_error(&MembershipError::NotPlanOwner);
    story(CREATOR, T0)
        .given([creator_plan()])
        .when(&change(1_000, false))
        .then_events(&[]);
    story(CREATOR, T0)
        .given([offered(PlanOwner::Platform)])
        .when(&change(2_000, false))
        .then_error(&MembershipError::PlatformPlanNeedsAdmin);
    story(ADMIN, T0)
        .given([creator_plan()])
        .when(&MembershipCommand::Withdraw { by_admin: true })
        .then_check(|events| assert_eq!(events.len(), 1));
}

#[test]
fn offers_and_price_changes_stay_under_the_money_ceiling() {
    let offer_at = |cents| MembershipCommand::OfferPlan {
        owner: PlanOwner::Creator(CREATOR.into()),
        title: "Gold".into(),
        period_days: 30,
        price: cny(cents),
        by_admin: false,
    };
    story(CREATOR, T0)
        .when(&offer_at(u64::MAX))
        .then_error(&MembershipError::PriceOutOfRange(
            MoneyError::AboveCeiling { amount: u64::MAX },
        ));
    story(CREATOR, T0)
        .when(&offer_at(Money::MAX_MINOR_UNITS))
        .then_check(|events| assert_eq!(events.len(), 1));
    let change = |price: Money| MembershipCommand::ChangePrice {
        price,
        by_admin: false,
    };
    story(CREATOR, T0)
        .given([creator_plan()])
        .when(&change(cny(Money::MAX_MINOR_UNITS + 1)))
        .then_error(&MembershipError::PriceOutOfRange(
            MoneyError::AboveCeiling {
                amount: Money::MAX_MINOR_UNITS + 1,
            },
        ));
    story(CREATOR, T0)
        .given([creator_plan()])
        .when(&change(Money {
            amount_cents: 100,
            currency: "ZZZ".into(),
        }))
        .then_error(&MembershipError::PriceOutOfRange(
            MoneyError::UnknownCurrency("ZZZ".into()),
        ));
}

#[test]
fn an_invalid_fee_setting_is_refused_not_recorded() {
    story(MEMBER, T0)
        .given([creator_plan()])
        .when(&MembershipCommand::Subscribe {
            member_id: MEMBER.into(),
            platform_fee_bps: 20_000,
        })
        .then_error(&MembershipError::InvalidFee(SplitError::RatesAboveWhole {
            platform_bps: 20_000,
            partner_bps: 0,
        }));
}

proptest! {
    /// Whatever the price changes and sweeps, every payment's shares add up
    /// to what was paid, payment ids never repeat, and periods chain
    /// without gaps.
    #[test]
    fn payments_balance_and_periods_chain(
        prices in proptest::collection::vec(0u64..1_000_000, 1..6),
        sweep_days in proptest::collection::vec(1i64..200, 1..6),
    ) {
        let mut plan = Plan::default();
        let mut events = vec![creator_plan()];
        let ctx = |now: Timestamp, actor: &str| CommandContext {
            aggregate_id: PLAN.into(),
            now,
            actor_id: Some(actor.into()),
        };
        plan.apply(&events[0]);
        let start = plan.handle(&subscribe(MEMBER), &ctx(T0, MEMBER));
        prop_assert!(start.is_ok());
        for e in start.unwrap_or_default() {
            plan.apply(&e);
            events.push(e);
        }
        let mut now = T0;
        for (price, days) in prices.iter().zip(&sweep_days) {
            let change = MembershipCommand::ChangePrice { price: cny(*price), by_admin: false };
            for e in plan.handle(&change, &ctx(now, CREATOR)).unwrap_or_default() {
                plan.apply(&e);
                events.push(e);
            }
            now = Timestamp(now.0 + days * DAY);
            for e in plan.handle(&sweep(), &ctx(now, ADMIN)).unwrap_or_default() {
                plan.apply(&e);
                events.push(e);
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        let mut last_end = None;
        for event in &events {
            let (id, paid, shares, start, end) = match event {
                MembershipEvent::Started(e) => (&e.payment_id, &e.paid, &e.shares, e.period_start, e.period_end),
                MembershipEvent::Renewed(e) => (&e.payment_id, &e.paid, &e.shares, e.period_start, e.period_end),
                _ => continue,
            };
            prop_assert!(ids.insert(id.clone()), "payment id {} repeated", id);
            let total: u64 = shares.iter().map(|s| s.amount_cents).sum();
            prop_assert_eq!(total, paid.amount_cents);
            if let Some(last) = last_end {
                prop_assert_eq!(start, last);
            }
            prop_assert!(start < end);
            last_end = Some(end);
        }
        prop_assert!(
            last_end.is_some_and(|end| now < end),
            "the last period covers the last sweep: {:?} at {:?}",
            last_end,
            now
        );
    }
}
