//! The ledger, fed real encoded Content events: sales split three ways,
//! refunds that reverse them exactly, statements over a period, version-1
//! purchases, and a property test over random purchase/refund sequences.

use agora_events::domain::content::{
    Body, ContentDrafted, ContentEvent, ContentKind, ContentPurchased, Money, PurchaseRefunded,
};
use agora_events::domain::revenue::{BPS_SCALE, split_sale};
use agora_events::{EventMetadata, StreamName};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

/// Builds recorded events at increasing positions.
#[derive(Default)]
struct Log {
    position: u64,
}

impl Log {
    fn record(&mut self, content_id: &str, event: &ContentEvent) -> RecordedEvent {
        let position = self.position;
        self.position += 1;
        RecordedEvent {
            id: Uuid::now_v7(),
            stream: StreamName::new(format!("content-{content_id}")).expect("stream name"),
            version: 0,
            position,
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            recorded_at: Timestamp(0),
            metadata: EventMetadata::default(),
            payload: event.encode_payload().expect("encodes").into(),
        }
    }
}

fn drafted(content_id: &str, creator: &str) -> ContentEvent {
    ContentEvent::Drafted(ContentDrafted {
        content_id: content_id.into(),
        creator_id: creator.into(),
        kind: ContentKind::Article,
        title: "t".into(),
        summary: String::new(),
        body: Body::Text("b".into()),
        tags: vec![],
        language: "en".into(),
        drafted_at: Timestamp(0),
    })
}

fn purchased(
    creator: &str,
    purchase_id: &str,
    price: u64,
    fee_bps: u32,
    partner: Option<(&str, u32)>,
    at: i64,
) -> ContentEvent {
    let shares = split_sale(price, &Account::Creator(creator.into()), fee_bps, partner)
        .expect("rates within the whole");
    ContentEvent::Purchased(ContentPurchased {
        buyer_id: "buyer".into(),
        price: Money {
            amount_cents: price,
            currency: "CNY".into(),
        },
        purchase_id: purchase_id.into(),
        purchased_at: Timestamp(at),
        partner_id: partner.map(|(p, _)| p.to_owned()),
        shares,
    })
}

fn refunded(purchase_id: &str, at: i64) -> ContentEvent {
    ContentEvent::PurchaseRefunded(PurchaseRefunded {
        purchase_id: purchase_id.into(),
        buyer_id: "buyer".into(),
        refunded_at: Timestamp(at),
    })
}

fn cny(amount: i128) -> Amounts {
    [("CNY".to_owned(), amount)].into_iter().collect()
}

#[test]
fn a_partner_sale_is_booked_three_ways_and_its_refund_reverses_it() {
    let mut log = Log::default();
    let mut ledger = LedgerView::default();
    let events = [
        drafted("c1", "ann"),
        purchased("ann", "p1", 1_000, 2_000, Some(("acme", 1_500)), 10),
        refunded("p1", 20),
    ];
    for event in &events[..2] {
        ledger.apply(&log.record("c1", event)).expect("applies");
    }
    let sale: Vec<_> = ledger
        .entries_of_sale("c1/p1")
        .map(|e| (&e.account, e.amount_cents))
        .collect();
    assert_eq!(
        sale,
        [
            (&Account::Creator("ann".into()), 650),
            (&Account::Platform, 200),
            (&Account::Partner("acme".into()), 150),
        ]
    );
    assert_eq!(ledger.balance(&Account::Partner("acme".into())), cny(150));
    ledger
        .apply(&log.record("c1", &events[2]))
        .expect("applies");
    let total: i128 = ledger
        .entries_of_sale("c1/p1")
        .map(|e| e.amount_cents)
        .sum();
    assert_eq!(total, 0);
    assert_eq!(ledger.balance(&Account::Creator("ann".into())), cny(0));
    assert_eq!(ledger.len(), 6);
    ledger.check().expect("balanced");
    // A second refund of the same sale is a broken history.
    assert!(ledger.apply(&log.record("c1", &events[2])).is_err());
}

#[test]
fn statements_split_opening_period_and_closing() {
    let mut log = Log::default();
    let mut ledger = LedgerView::default();
    for event in [
        drafted("c1", "ann"),
        purchased("ann", "p1", 1_000, 0, None, 10),
        purchased("ann", "p2", 500, 0, None, 20),
        refunded("p1", 30),
        purchased("ann", "p3", 200, 0, None, 40),
    ] {
        ledger.apply(&log.record("c1", &event)).expect("applies");
    }
    let ann = Account::Creator("ann".into());
    let statement = ledger.statement(&ann, Some(Timestamp(15)), Some(Timestamp(40)));
    assert_eq!(statement.opening, cny(1_000));
    let amounts: Vec<i128> = statement.entries.iter().map(|e| e.amount_cents).collect();
    assert_eq!(amounts, [500, -1_000]);
    assert_eq!(statement.closing, cny(500));
    let all = ledger.statement(&ann, None, None);
    assert_eq!(all.opening, Amounts::new());
    assert_eq!(all.closing, ledger.balance(&ann));
    assert_eq!(all.closing, cny(700));
}

#[test]
fn version_1_purchases_pay_the_whole_price_to_the_creator() {
    let mut log = Log::default();
    let mut ledger = LedgerView::default();
    ledger
        .apply(&log.record("c1", &drafted("c1", "ann")))
        .expect("applies");
    let mut legacy = purchased("ann", "p1", 990, 0, None, 10);
    if let ContentEvent::Purchased(p) = &mut legacy {
        p.shares.clear();
    }
    ledger.apply(&log.record("c1", &legacy)).expect("applies");
    assert_eq!(ledger.balance(&Account::Creator("ann".into())), cny(990));
    assert_eq!(ledger.balance(&Account::Platform), Amounts::new());
    ledger.check().expect("balanced");
}

/// One step of a random history.
#[derive(Clone, Debug)]
enum Op {
    /// Buy item `item % 3` at `price` with the platform fee and, maybe, a partner.
    Buy {
        item: usize,
        price: u64,
        fee_bps: u32,
        partner_bps: Option<u32>,
    },
    /// Refund the `n % sales`-th sale, if it was not refunded.
    Refund { n: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..3, prop_oneof![0u64..1_000_000_000, Just(Money::MAX_MINOR_UNITS), Just(i64::MAX as u64), Just(u64::MAX)], 0u32..=BPS_SCALE, proptest::option::of(0u32..=BPS_SCALE))
            .prop_map(|(item, price, fee_bps, partner_bps)| Op::Buy {
                item,
                price,
                fee_bps,
                partner_bps: partner_bps.map(|p| p.min(BPS_SCALE - fee_bps)),
            }),
        1 => any::<usize>().prop_map(|n| Op::Refund { n }),
    ]
}

proptest! {
    #[test]
    fn random_histories_keep_every_sale_balanced(ops in proptest::collection::vec(op(), 1..60)) {
        let mut log = Log::default();
        let mut ledger = LedgerView::default();
        let items = ["i0", "i1", "i2"];
        for (i, item) in items.iter().enumerate() {
            ledger.apply(&log.record(item, &drafted(item, &format!("creator{i}")))).map_err(TestCaseError::fail)?;
        }
        // (item, purchase id, price, refunded)
        let mut sales: Vec<(usize, String, u64, bool)> = Vec::new();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Buy { item, price, fee_bps, partner_bps } => {
                    let purchase_id = format!("p{step}");
                    let event = purchased(
                        &format!("creator{item}"),
                        &purchase_id,
                        price,
                        fee_bps,
                        partner_bps.map(|bps| ("acme", bps)),
                        step as i64,
                    );
                    ledger.apply(&log.record(items[item], &event)).map_err(TestCaseError::fail)?;
                    sales.push((item, purchase_id, price, false));
                }
                Op::Refund { n } => {
                    if sales.is_empty() {
                        continue;
                    }
                    let index = n % sales.len();
                    let sale = &mut sales[index];
                    if sale.3 {
                        continue;
                    }
                    sale.3 = true;
                    ledger.apply(&log.record(items[sale.0], &refunded(&sale.1, step as i64))).map_err(TestCaseError::fail)?;
                }
            }
        }
        ledger.check().map_err(TestCaseError::fail)?;
        let mut live_total: i128 = 0;
        for (item, purchase_id, price, was_refunded) in &sales {
            let id = purchase_sale_id(items[*item], purchase_id);
            let sold: i128 = ledger.entries_of_sale(&id).filter(|e| e.kind == EntryKind::Sale).map(|e| e.amount_cents).sum();
            let back: i128 = ledger.entries_of_sale(&id).filter(|e| e.kind == EntryKind::Refund).map(|e| e.amount_cents).sum();
            prop_assert_eq!(sold, i128::from(*price));
            prop_assert_eq!(back, if *was_refunded { -i128::from(*price) } else { 0 });
            if !was_refunded {
                live_total += i128::from(*price);
            }
        }
        // Every balance together is what the unrefunded sales brought in.
        let accounts = [
            Account::Platform,
            Account::Partner("acme".into()),
            Account::Creator("creator0".into()),
            Account::Creator("creator1".into()),
            Account::Creator("creator2".into()),
        ];
        let total: i128 = accounts.iter().map(|a| ledger.balance(a).get("CNY").copied().unwrap_or(0)).sum();
        prop_assert_eq!(total, live_total);
        for account in &accounts {
            let statement = ledger.statement(account, None, None);
            prop_assert_eq!(statement.closing, ledger.balance(account));
        }
    }
}

/// Issue 17: a purchase at `u64::MAX` cents, written to the log before
/// prices had a ceiling (or by anything bypassing the check), stopped the
/// ledger for good ("amount … does not fit the ledger"), also after a
/// replay; two at `i64::MAX` wrapped the creator's balance negative.
#[test]
fn regression_a_purchase_at_u64_max_cents_does_not_stop_the_ledger() {
    let mut log = Log::default();
    let mut ledger = LedgerView::default();
    let ann = Account::Creator("ann".into());
    let events = [
        drafted("c1", "ann"),
        purchased("ann", "p1", u64::MAX, 0, None, 10),
        purchased("ann", "p2", i64::MAX as u64, 0, None, 11),
        purchased("ann", "p3", i64::MAX as u64, 0, None, 12),
        purchased("ann", "p4", 100, 2_000, None, 13),
    ];
    for event in &events {
        ledger
            .apply(&log.record("c1", event))
            .expect("a purchase the write side accepted is booked");
    }
    let expected = i128::from(u64::MAX) + 2 * i128::from(i64::MAX) + 80;
    assert_eq!(ledger.balance(&ann), cny(expected));
    assert!(ledger.balance(&ann)["CNY"] > 0);
    assert_eq!(ledger.balance(&Account::Platform), cny(20));
    assert_eq!(ledger.anomalies(), 3);
    ledger.check().expect("balanced");
    ledger
        .apply(&log.record("c1", &refunded("p1", 20)))
        .expect("its refund is booked too");
    assert_eq!(ledger.balance(&ann), cny(2 * i128::from(i64::MAX) + 80));
    let statement = ledger.statement(&ann, Some(Timestamp(12)), None);
    assert_eq!(
        statement.opening,
        cny(i128::from(u64::MAX) + i128::from(i64::MAX))
    );
    assert_eq!(statement.closing, ledger.balance(&ann));
    ledger.check().expect("balanced");
}
