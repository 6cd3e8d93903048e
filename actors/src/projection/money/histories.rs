//! Any history the write side accepts keeps the read models over money
//! running and exact: random commands go through the Content and Plan
//! aggregates (prices up to and beyond the ceiling, in several currencies,
//! purchases with fees and partners, refunds, memberships with renewals),
//! the accepted events are recorded as the store would, and the ledger,
//! dashboard and memberships projections fold them. Prices an old log may
//! hold (any `u64`, written before the ceiling) are injected as recorded
//! events too. Every fold must succeed, and every figure must equal the
//! same figure computed from the accepted events alone.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::domain::DomainEvent;
use agora_events::domain::content::{ContentEvent, Money, PriceSet};
use agora_events::domain::membership::{MembershipEvent, PlanOwner};
use agora_events::domain::revenue::{Account, BPS_SCALE, RevenueShare};
use agora_events::{EventMetadata, RecordedEvent, StreamName, Timestamp};
use proptest::prelude::*;

use super::Sums;
use crate::aggregate::{Aggregate, CommandContext};
use crate::content::{Content, ContentCommand, MICROS_PER_DAY, PartnerRate};
use crate::membership::{MembershipCommand, Plan};
use crate::projection::Projection;
use crate::projection::dashboard::DashboardView;
use crate::projection::ledger::LedgerView;
use crate::projection::memberships::MembershipsView;

const ITEMS: usize = 3;
const PLANS: usize = 2;
const CREATORS: [&str; 2] = ["cora", "chen"];
const BUYERS: [&str; 3] = ["lin", "mo", "ana"];
const CURRENCIES: [&str; 4] = ["CNY", "JPY", "KWD", "XYZ"];
const PARTNER: &str = "acme";
const T0: i64 = 1_700_000_000_000_000;
const HOUR: i64 = 3_600_000_000;

fn item_id(item: usize) -> String {
    format!("i{item}")
}

fn plan_id(plan: usize) -> String {
    format!("pl{plan}")
}

fn creator_of(index: usize) -> &'static str {
    CREATORS[index % CREATORS.len()]
}

/// One step of a random history.
#[derive(Clone, Copy, Debug)]
enum Op {
    Draft {
        item: usize,
    },
    SetPrice {
        item: usize,
        amount: u64,
        currency: usize,
    },
    /// A price an old log holds: recorded as it was, never checked.
    LegacyPrice {
        item: usize,
        amount: u64,
    },
    Publish {
        item: usize,
    },
    Unpublish {
        item: usize,
    },
    Buy {
        item: usize,
        buyer: usize,
        fee_bps: u32,
        partner_bps: Option<u32>,
    },
    Refund {
        item: usize,
        buyer: usize,
    },
    Offer {
        plan: usize,
        amount: u64,
        currency: usize,
    },
    ChangePlanPrice {
        plan: usize,
        amount: u64,
        currency: usize,
    },
    Subscribe {
        plan: usize,
        member: usize,
        fee_bps: u32,
    },
    Cancel {
        plan: usize,
        member: usize,
    },
    /// Time passes by `days`, then the plan settles due memberships.
    Sweep {
        plan: usize,
        days: u8,
        fee_bps: u32,
    },
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0u64..100_000,
        1 => Just(Money::MAX_MINOR_UNITS),
        1 => Just(Money::MAX_MINOR_UNITS + 1),
        1 => Just(i64::MAX as u64),
        1 => Just(u64::MAX),
    ]
}

fn fee() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(2_000u32), 0u32..=BPS_SCALE]
}

fn op() -> impl Strategy<Value = Op> {
    let item = 0..ITEMS;
    let plan = 0..PLANS;
    let buyer = 0..BUYERS.len();
    let currency = 0..CURRENCIES.len();
    prop_oneof![
        2 => item.clone().prop_map(|item| Op::Draft { item }),
        3 => (item.clone(), amount(), currency.clone())
            .prop_map(|(item, amount, currency)| Op::SetPrice { item, amount, currency }),
        1 => (item.clone(), prop_oneof![Just(u64::MAX), Just(i64::MAX as u64), any::<u64>()])
            .prop_map(|(item, amount)| Op::LegacyPrice { item, amount }),
        2 => item.clone().prop_map(|item| Op::Publish { item }),
        1 => item.clone().prop_map(|item| Op::Unpublish { item }),
        6 => (item.clone(), buyer.clone(), fee(), proptest::option::of(0u32..=BPS_SCALE))
            .prop_map(|(item, buyer, fee_bps, partner_bps)| Op::Buy {
                item,
                buyer,
                fee_bps,
                partner_bps: partner_bps.map(|p| p.min(BPS_SCALE - fee_bps)),
            }),
        2 => (item, buyer.clone()).prop_map(|(item, buyer)| Op::Refund { item, buyer }),
        2 => (plan.clone(), amount(), currency.clone())
            .prop_map(|(plan, amount, currency)| Op::Offer { plan, amount, currency }),
        1 => (plan.clone(), amount(), currency)
            .prop_map(|(plan, amount, currency)| Op::ChangePlanPrice { plan, amount, currency }),
        3 => (plan.clone(), buyer.clone(), fee())
            .prop_map(|(plan, member, fee_bps)| Op::Subscribe { plan, member, fee_bps }),
        1 => (plan.clone(), buyer).prop_map(|(plan, member)| Op::Cancel { plan, member }),
        2 => (plan, 0u8..70, fee())
            .prop_map(|(plan, days, fee_bps)| Op::Sweep { plan, days, fee_bps }),
    ]
}

/// The write side and the read side of one random history.
struct World {
    now: i64,
    position: u64,
    versions: BTreeMap<String, u64>,
    contents: BTreeMap<String, Content>,
    plans: BTreeMap<String, Plan>,
    ledger: LedgerView,
    dashboard: DashboardView,
    memberships: MembershipsView,
    /// What the accepted events say the ledger must hold.
    expected: Expected,
}

/// Figures computed from the accepted events alone.
#[derive(Default)]
struct Expected {
    balances: BTreeMap<Account, Sums>,
    /// Shares of each purchase, by `(item, purchase id)`, for its refund.
    purchases: BTreeMap<(String, String), (String, Vec<RevenueShare>, Money)>,
    /// Gross, refunded, and the creator's own shares net of refunds, by
    /// creator (content sales only).
    gross: BTreeMap<String, Sums>,
    refunded: BTreeMap<String, Sums>,
    earned: BTreeMap<String, Sums>,
    /// Payments by plan.
    payments: BTreeMap<String, u64>,
    /// Sales above the price ceiling.
    above_ceiling: u64,
}

impl Expected {
    fn book(&mut self, shares: &[RevenueShare], currency: &str, sign: i128) {
        for share in shares {
            let sums = self.balances.entry(share.account.clone()).or_default();
            *sums.entry(currency.to_owned()).or_default() += sign * i128::from(share.amount_cents);
        }
    }

    /// Adds `sign` times the creator's own shares to their earnings.
    fn earn(&mut self, creator: &str, shares: &[RevenueShare], currency: &str, sign: i128) {
        let own = Account::Creator(creator.to_owned());
        let earned = self.earned.entry(creator.to_owned()).or_default();
        for share in shares.iter().filter(|s| s.account == own) {
            *earned.entry(currency.to_owned()).or_default() +=
                sign * i128::from(share.amount_cents);
        }
    }

    fn sale(&mut self, price: u64) {
        if price > Money::MAX_MINOR_UNITS {
            self.above_ceiling += 1;
        }
    }
}

impl World {
    fn new() -> Self {
        Self {
            now: T0,
            position: 0,
            versions: BTreeMap::new(),
            contents: BTreeMap::new(),
            plans: BTreeMap::new(),
            ledger: LedgerView::default(),
            dashboard: DashboardView::default(),
            memberships: MembershipsView::default(),
            expected: Expected::default(),
        }
    }

    fn ctx(&self, id: &str, actor: &str) -> CommandContext {
        CommandContext {
            aggregate_id: id.to_owned(),
            now: Timestamp(self.now),
            actor_id: Some(actor.to_owned()),
        }
    }

    /// Records `event` on `stream` as the store would and folds it into
    /// every projection: each must accept it.
    fn record<E: DomainEvent>(&mut self, stream: &str, event: &E) -> Result<(), TestCaseError> {
        let version = self.versions.entry(stream.to_owned()).or_insert(0);
        let recorded = RecordedEvent {
            id: uuid::Uuid::now_v7(),
            stream: StreamName::new(stream.to_owned()).map_err(|e| fail(&e))?,
            version: *version,
            position: self.position,
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            recorded_at: Timestamp(self.now),
            metadata: EventMetadata::default(),
            payload: event.encode_payload().map_err(|e| fail(&e))?.into(),
        };
        *version += 1;
        self.position += 1;
        self.ledger.apply(&recorded).map_err(TestCaseError::fail)?;
        self.dashboard
            .apply(&recorded)
            .map_err(TestCaseError::fail)?;
        self.memberships
            .apply(&recorded)
            .map_err(TestCaseError::fail)?;
        Ok(())
    }

    /// Sends `command` to item `item`; accepted events are recorded.
    fn content(
        &mut self,
        item: usize,
        actor: &str,
        command: &ContentCommand,
    ) -> Result<(), TestCaseError> {
        let id = item_id(item);
        let ctx = self.ctx(&id, actor);
        let state = self.contents.entry(id.clone()).or_default();
        let Ok(events) = state.handle(command, &ctx) else {
            return Ok(());
        };
        for event in &events {
            state.apply(event);
        }
        let creator = state.creator_id().unwrap_or_default().to_owned();
        for event in &events {
            self.expect_content(&id, &creator, event);
            self.record(&format!("content-{id}"), event)?;
        }
        Ok(())
    }

    fn expect_content(&mut self, id: &str, creator: &str, event: &ContentEvent) {
        let expected = &mut self.expected;
        match event {
            ContentEvent::Purchased(e) => {
                let shares = e.shares_for(creator);
                expected.book(&shares, &e.price.currency, 1);
                expected.earn(creator, &shares, &e.price.currency, 1);
                expected.sale(e.price.amount_cents);
                let gross = expected.gross.entry(creator.to_owned()).or_default();
                *gross.entry(e.price.currency.clone()).or_default() +=
                    i128::from(e.price.amount_cents);
                expected.purchases.insert(
                    (id.to_owned(), e.purchase_id.clone()),
                    (creator.to_owned(), shares, e.price.clone()),
                );
            }
            ContentEvent::PurchaseRefunded(e) => {
                let key = (id.to_owned(), e.purchase_id.clone());
                if let Some((creator, shares, price)) = expected.purchases.get(&key).cloned() {
                    expected.book(&shares, &price.currency, -1);
                    expected.earn(&creator, &shares, &price.currency, -1);
                    let refunded = expected.refunded.entry(creator).or_default();
                    *refunded.entry(price.currency).or_default() += i128::from(price.amount_cents);
                }
            }
            _ => {}
        }
    }

    /// Sends `command` to plan `plan`; accepted events are recorded.
    fn plan(
        &mut self,
        plan: usize,
        actor: &str,
        command: &MembershipCommand,
    ) -> Result<(), TestCaseError> {
        let id = plan_id(plan);
        let ctx = self.ctx(&id, actor);
        let state = self.plans.entry(id.clone()).or_default();
        let Ok(events) = state.handle(command, &ctx) else {
            return Ok(());
        };
        for event in &events {
            state.apply(event);
        }
        for event in &events {
            let paid = match event {
                MembershipEvent::Started(e) => Some((&e.shares, &e.paid)),
                MembershipEvent::Renewed(e) => Some((&e.shares, &e.paid)),
                _ => None,
            };
            if let Some((shares, paid)) = paid {
                self.expected.book(shares, &paid.currency, 1);
                self.expected.sale(paid.amount_cents);
                *self.expected.payments.entry(id.clone()).or_default() += 1;
            }
            self.record(&format!("plan-{id}"), event)?;
        }
        Ok(())
    }

    fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
        self.now += HOUR;
        let money = |amount_cents: u64, currency: usize| Money {
            amount_cents,
            currency: CURRENCIES[currency].to_owned(),
        };
        match op {
            Op::Draft { item } => self.content(
                item,
                creator_of(item),
                &ContentCommand::DraftContent {
                    kind: agora_events::domain::content::ContentKind::Article,
                    title: "T".into(),
                    summary: String::new(),
                    body: agora_events::domain::content::Body::Text("text".into()),
                    tags: vec![],
                    language: "en".into(),
                },
            ),
            Op::SetPrice {
                item,
                amount,
                currency,
            } => self.content(
                item,
                creator_of(item),
                &ContentCommand::SetPrice {
                    price: money(amount, currency),
                },
            ),
            Op::LegacyPrice { item, amount } => {
                let id = item_id(item);
                let drafted = self.contents.get(&id).is_some_and(Content::is_drafted);
                if !drafted {
                    return Ok(());
                }
                let event = ContentEvent::PriceSet(PriceSet {
                    price: money(amount, 0),
                    set_at: Timestamp(self.now),
                });
                if let Some(state) = self.contents.get_mut(&id) {
                    state.apply(&event);
                }
                self.record(&format!("content-{id}"), &event)
            }
            Op::Publish { item } => self.content(
                item,
                creator_of(item),
                &ContentCommand::Publish {
                    required_score_bps: None,
                },
            ),
            Op::Unpublish { item } => {
                self.content(item, creator_of(item), &ContentCommand::Unpublish)
            }
            Op::Buy {
                item,
                buyer,
                fee_bps,
                partner_bps,
            } => self.content(
                item,
                BUYERS[buyer],
                &ContentCommand::Purchase {
                    buyer_id: BUYERS[buyer].into(),
                    purchase_id: format!("p{}", self.position),
                    platform_fee_bps: fee_bps,
                    partner: partner_bps.map(|share_bps| PartnerRate {
                        partner_id: PARTNER.into(),
                        share_bps,
                    }),
                },
            ),
            Op::Refund { item, buyer } => {
                let owned = self
                    .contents
                    .get(&item_id(item))
                    .and_then(|c| c.entitlement_of(BUYERS[buyer]))
                    .map(str::to_owned);
                let Some(purchase_id) = owned else {
                    return Ok(());
                };
                self.content(
                    item,
                    BUYERS[buyer],
                    &ContentCommand::Refund {
                        purchase_id,
                        window_micros: u64::MAX,
                    },
                )
            }
            Op::Offer {
                plan,
                amount,
                currency,
            } => self.plan(
                plan,
                creator_of(plan),
                &MembershipCommand::OfferPlan {
                    owner: PlanOwner::Creator(creator_of(plan).into()),
                    title: "Gold".into(),
                    period_days: 30,
                    price: money(amount, currency),
                    by_admin: false,
                },
            ),
            Op::ChangePlanPrice {
                plan,
                amount,
                currency,
            } => self.plan(
                plan,
                creator_of(plan),
                &MembershipCommand::ChangePrice {
                    price: money(amount, currency),
                    by_admin: false,
                },
            ),
            Op::Subscribe {
                plan,
                member,
                fee_bps,
            } => self.plan(
                plan,
                BUYERS[member],
                &MembershipCommand::Subscribe {
                    member_id: BUYERS[member].into(),
                    platform_fee_bps: fee_bps,
                },
            ),
            Op::Cancel { plan, member } => self.plan(
                plan,
                BUYERS[member],
                &MembershipCommand::Cancel {
                    member_id: BUYERS[member].into(),
                    by_admin: false,
                },
            ),
            Op::Sweep {
                plan,
                days,
                fee_bps,
            } => {
                self.now += i64::from(days) * MICROS_PER_DAY;
                self.plan(
                    plan,
                    "sweeper",
                    &MembershipCommand::Sweep {
                        platform_fee_bps: fee_bps,
                    },
                )
            }
        }
    }

    /// Every read model agrees with the accepted events.
    fn check(&self) -> Result<(), TestCaseError> {
        self.ledger.check().map_err(TestCaseError::fail)?;
        prop_assert_eq!(self.ledger.anomalies(), self.expected.above_ceiling);
        let mut accounts: BTreeSet<Account> = self.expected.balances.keys().cloned().collect();
        accounts.extend(CREATORS.iter().map(|c| Account::Creator((*c).into())));
        accounts.insert(Account::Platform);
        accounts.insert(Account::Partner(PARTNER.into()));
        for account in &accounts {
            let balance = self.ledger.balance(account);
            let expected = self
                .expected
                .balances
                .get(account)
                .cloned()
                .unwrap_or_default();
            prop_assert_eq!(nonzero(&balance), nonzero(&expected), "{:?}", account);
            // The balance is the sum of the account's entries.
            let statement = self.ledger.statement(account, None, None);
            let mut sums = Sums::new();
            for entry in &statement.entries {
                *sums.entry(entry.currency.clone()).or_default() += entry.amount_cents;
            }
            prop_assert_eq!(nonzero(&sums), nonzero(&balance), "{:?}", account);
            prop_assert_eq!(&statement.closing, &balance);
        }
        for creator in CREATORS {
            let (_, total) = self
                .dashboard
                .creator(creator)
                .map(|c| c.period(0, u32::MAX))
                .unwrap_or_default();
            let gross = self
                .expected
                .gross
                .get(creator)
                .cloned()
                .unwrap_or_default();
            let refunded = self
                .expected
                .refunded
                .get(creator)
                .cloned()
                .unwrap_or_default();
            prop_assert_eq!(nonzero(&total.gross_cents), nonzero(&gross), "{}", creator);
            prop_assert_eq!(
                nonzero(&total.refunded_cents),
                nonzero(&refunded),
                "{}",
                creator
            );
            let earned = self
                .expected
                .earned
                .get(creator)
                .cloned()
                .unwrap_or_default();
            prop_assert_eq!(
                nonzero(&total.earned_net_cents()),
                nonzero(&earned),
                "{}",
                creator
            );
        }
        prop_assert_eq!(self.dashboard.anomalies(), 0);
        for plan in 0..PLANS {
            let id = plan_id(plan);
            let payments = self.memberships.plan(&id).map_or(0, |p| p.payments);
            prop_assert_eq!(
                payments,
                self.expected.payments.get(&id).copied().unwrap_or(0)
            );
        }
        Ok(())
    }
}

fn fail(error: &dyn std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(error.to_string())
}

/// `sums` without its zero entries (a free sale books nothing).
fn nonzero(sums: &Sums) -> Sums {
    sums.iter()
        .filter(|(_, amount)| **amount != 0)
        .map(|(currency, amount)| (currency.clone(), *amount))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn accepted_histories_keep_every_money_read_model_running_and_exact(
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let mut world = World::new();
        for op in ops {
            world.step(op)?;
        }
        world.check()?;
    }
}
