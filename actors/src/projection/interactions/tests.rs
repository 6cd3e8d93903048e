//! The interaction matrix as a story, and a property: folding a random
//! history live — restarting from a snapshot part-way, as the runner does —
//! gives exactly the state, snapshot bytes and matrix of a rebuild from the
//! whole log.

use agora_events::domain::content::{
    CheckedIn, ContentEvent, ContentPublished, ContentPurchased, ContentRated, Money,
    PurchaseRefunded,
};
use agora_events::{RecordedEvent, Timestamp};
use proptest::prelude::*;

use super::super::content_stream::testing::Log;
use super::*;

fn bought(buyer: &str, purchase: &str) -> ContentEvent {
    ContentEvent::Purchased(ContentPurchased {
        buyer_id: buyer.into(),
        price: Money {
            amount_cents: 100,
            currency: "CNY".into(),
        },
        purchase_id: purchase.into(),
        purchased_at: Timestamp(1),
        partner_id: None,
        shares: Vec::new(),
    })
}

fn refunded(buyer: &str, purchase: &str) -> ContentEvent {
    ContentEvent::PurchaseRefunded(PurchaseRefunded {
        purchase_id: purchase.into(),
        buyer_id: buyer.into(),
        refunded_at: Timestamp(2),
    })
}

fn rated(user: &str, stars: u8) -> ContentEvent {
    ContentEvent::Rated(ContentRated {
        user_id: user.into(),
        stars,
        rated_at: Timestamp(3),
    })
}

fn checked_in(user: &str, day: u32) -> ContentEvent {
    ContentEvent::CheckedIn(CheckedIn {
        user_id: user.into(),
        day,
        note: None,
        checked_in_at: Timestamp(4),
    })
}

fn fold(view: &mut InteractionsView, log: &mut Log, events: &[(&str, ContentEvent)]) {
    for (item, event) in events {
        view.apply(&log.record(item, event)).expect("applies");
    }
}

fn weight_of(matrix: &InteractionMatrix, user: &str, item: &str) -> Option<f32> {
    let row = matrix.users().index(user)?;
    let col = matrix.items().index(item)?;
    let (cols, weights) = matrix.user_items().row(row);
    cols.iter().position(|&c| c == col).map(|p| weights[p])
}

#[test]
fn given_purchases_check_ins_ratings_and_refunds_then_the_weights_add_up() {
    let mut log = Log::default();
    let mut view = InteractionsView::default();
    let published = ContentEvent::Published(ContentPublished {
        published_at: Timestamp(0),
    });
    fold(
        &mut view,
        &mut log,
        &[
            ("rust", published),
            ("rust", bought("ann", "p1")),
            ("rust", checked_in("ann", 10)),
            ("rust", checked_in("ann", 11)),
            ("rust", checked_in("ann", 11)),
            ("rust", rated("ann", 5)),
            ("sql", bought("bob", "p2")),
            ("sql", rated("bob", 1)),
            ("go", bought("ann", "p3")),
            ("go", refunded("ann", "p3")),
            ("go", checked_in("ann", 12)),
        ],
    );
    assert_eq!(view.changes(), 10, "only interactions count");
    assert_eq!((view.users(), view.items()), (2, 3));
    assert_eq!(view.user_row("ann"), Some(0));
    assert_eq!(view.item_col("go"), Some(2));
    let w = InteractionWeights::default();
    let matrix = view.implicit_matrix(&w);
    let near = |a: Option<f32>, b: f32| a.is_some_and(|a| (a - b).abs() < 1e-6);
    // Purchase 1 + two distinct days 0.2 + five stars (2 above 3) 1.0.
    assert!(near(weight_of(&matrix, "ann", "rust"), 2.2));
    // Refunded: only the check-in is left.
    assert!(near(weight_of(&matrix, "ann", "go"), 0.1));
    // Bought and rated 1 star: the dislike cancels the purchase.
    assert_eq!(weight_of(&matrix, "bob", "sql"), None);
    assert_eq!(matrix.user_items().nnz(), 2);
    assert_eq!(view.implicit_cells(&w), 2);
    assert_eq!(view.seen(1), vec![1], "bob rated sql: never recommended");
    assert_eq!(view.seen(0), vec![0], "ann owns rust; go was refunded");
    let ratings = view.ratings_matrix();
    assert_eq!(ratings.user_items().nnz(), 2);
    assert_eq!(weight_of(&ratings, "bob", "sql"), Some(1.0));
}

#[test]
fn an_old_refund_never_clears_a_newer_purchase() {
    let mut log = Log::default();
    let mut view = InteractionsView::default();
    fold(
        &mut view,
        &mut log,
        &[
            ("rust", bought("ann", "p1")),
            ("rust", refunded("ann", "p1")),
            ("rust", bought("ann", "p2")),
            ("rust", refunded("ann", "p1")),
            ("sql", refunded("ann", "p9")),
        ],
    );
    assert_eq!(view.seen(0), vec![0]);
    assert_eq!(view.items(), 1, "a refund of nothing adds no column");
}

#[test]
fn weights_must_be_finite_and_not_negative() {
    assert!(InteractionWeights::default().validate().is_ok());
    let bad = InteractionWeights {
        rating_per_star: -1.0,
        ..InteractionWeights::default()
    };
    assert!(bad.validate().is_err());
    let nan = InteractionWeights {
        purchase: f32::NAN,
        ..InteractionWeights::default()
    };
    assert!(nan.validate().is_err());
}

/// One interaction of a random history: user `u`, item `i`.
#[derive(Clone, Debug)]
enum Step {
    Buy(u8, u8),
    Refund(u8, u8, u8),
    Rate(u8, u8, u8),
    CheckIn(u8, u8, u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..5u8, 0..4u8).prop_map(|(u, i)| Step::Buy(u, i)),
        (0..5u8, 0..4u8, 0..8u8).prop_map(|(u, i, p)| Step::Refund(u, i, p)),
        (0..5u8, 0..4u8, 1..=5u8).prop_map(|(u, i, s)| Step::Rate(u, i, s)),
        (0..5u8, 0..4u8, 0..6u32).prop_map(|(u, i, d)| Step::CheckIn(u, i, d)),
    ]
}

/// The history as recorded events, in log order.
fn recorded(steps: &[Step]) -> Vec<RecordedEvent> {
    let mut log = Log::default();
    steps
        .iter()
        .enumerate()
        .map(|(n, step)| {
            let (item, event) = match *step {
                Step::Buy(u, i) => (i, bought(&format!("u{u}"), &format!("p{n}"))),
                Step::Refund(u, i, p) => (i, refunded(&format!("u{u}"), &format!("p{p}"))),
                Step::Rate(u, i, s) => (i, rated(&format!("u{u}"), s)),
                Step::CheckIn(u, i, d) => (i, checked_in(&format!("u{u}"), d)),
            };
            log.record(&format!("i{item}"), &event)
        })
        .collect()
}

proptest! {
    #[test]
    fn live_with_a_restart_equals_a_rebuild_from_the_log(
        steps in proptest::collection::vec(step(), 0..80),
        cut in 0usize..80,
    ) {
        let events = recorded(&steps);
        let cut = cut.min(events.len());
        // Live: fold up to the cut, snapshot, restore, fold the rest.
        let mut live = InteractionsView::default();
        for event in &events[..cut] {
            live.apply(event).expect("applies");
        }
        let bytes = agora_events::codec::encode_payload(&live).expect("encodes");
        let mut live: InteractionsView =
            agora_events::codec::decode_payload(&bytes).expect("decodes");
        for event in &events[cut..] {
            live.apply(event).expect("applies");
        }
        // Rebuild: one pass over the whole log.
        let mut rebuilt = InteractionsView::default();
        for event in &events {
            rebuilt.apply(event).expect("applies");
        }
        prop_assert_eq!(&live, &rebuilt);
        prop_assert_eq!(
            agora_events::codec::encode_payload(&live).expect("encodes"),
            agora_events::codec::encode_payload(&rebuilt).expect("encodes")
        );
        let w = InteractionWeights::default();
        let (a, b) = (live.implicit_matrix(&w), rebuilt.implicit_matrix(&w));
        prop_assert_eq!(a.user_items().csr(), b.user_items().csr());
        // Every cell of the matrix is a positive weight of a known pair,
        // and the transpose holds the same cells.
        prop_assert_eq!(a.user_items().nnz(), a.item_users().nnz());
        prop_assert_eq!(a.user_items().nnz(), live.implicit_cells(&w));
        for row in 0..live.users() {
            let (cols, weights) = a.user_items().row(row);
            for (&c, &weight) in cols.iter().zip(weights) {
                prop_assert!(weight > 0.0);
                prop_assert!(live.item_id(c).is_some());
            }
        }
    }
}
