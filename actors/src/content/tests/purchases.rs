//! Purchases (entitlements) and refunds.

use agora_events::domain::content::ContentUnpublished;

use super::*;

/// The refund window the stories' caller configured: 7 days.
const WINDOW: u64 = 7 * DAY as u64;

/// `buyer` buys for themselves (the aggregate does not look at the
/// caller: the service layer decides who may buy for whom).
fn buy(buyer: &str, purchase_id: &str) -> By {
    by(
        buyer,
        ContentCommand::Purchase {
            buyer_id: buyer.into(),
            purchase_id: purchase_id.into(),
            platform_fee_bps: 0,
            partner: None,
        },
    )
}

fn refund(caller: &str, purchase_id: &str) -> By {
    by(
        caller,
        ContentCommand::Refund {
            purchase_id: purchase_id.into(),
            window_micros: WINDOW,
        },
    )
}

#[test]
fn a_purchase_pays_the_current_price() {
    let mut events = on_sale();
    events.push(priced(12_345));
    let state =
        story()
            .given(events)
            .when(&buy(BUYER, "p1"))
            .then_events(&[ContentEvent::Purchased(ContentPurchased {
                buyer_id: BUYER.into(),
                price: cny(12_345),
                purchase_id: "p1".into(),
                purchased_at: T0,
                partner_id: None,
                shares: vec![RevenueShare {
                    account: Account::Creator(CREATOR.into()),
                    amount_cents: 12_345,
                }],
            })]);
    assert_eq!(
        state.0.purchase("p1").map(|p| p.price.amount_cents),
        Some(12_345)
    );
}

#[test]
fn buying_twice_is_refused() {
    story()
        .given(owned_by(BUYER))
        .when(&buy(BUYER, "p2"))
        .then_error(&ContentError::AlreadyOwned);
    // The same request again (same purchase id) is refused too: never
    // charged twice.
    story()
        .given(owned_by(BUYER))
        .when(&buy(BUYER, "p1"))
        .then_error(&ContentError::AlreadyOwned);
}

#[test]
fn a_purchase_id_is_used_once() {
    story()
        .given(owned_by(BUYER))
        .when(&buy(STRANGER, "p1"))
        .then_error(&ContentError::DuplicatePurchaseId("p1".into()));
}

#[test]
fn ids_of_a_purchase_are_checked() {
    story()
        .given(on_sale())
        .when(&buy(BUYER, "p 1"))
        .then_error(&ContentError::InvalidId("purchase id"));
    story()
        .given(on_sale())
        .when(&buy("", "p1"))
        .then_error(&ContentError::InvalidId("buyer id"));
    story()
        .given(on_sale())
        .when(&anonymous(ContentCommand::Purchase {
            buyer_id: BUYER.into(),
            purchase_id: "p1".into(),
            platform_fee_bps: 0,
            partner: Some(PartnerRate {
                partner_id: String::new(),
                share_bps: 0,
            }),
        }))
        .then_error(&ContentError::InvalidId("partner id"));
}

#[test]
fn only_published_items_are_sold() {
    story()
        .when(&buy(BUYER, "p1"))
        .then_error(&ContentError::NotDrafted);
    // Someone else's draft does not exist for the buyer; its creator is
    // told it is not published.
    story()
        .given([drafted(), priced(100)])
        .when(&buy(BUYER, "p1"))
        .then_error(&ContentError::NotDrafted);
    story()
        .given([drafted(), priced(100)])
        .when(&buy(CREATOR, "p1"))
        .then_error(&ContentError::NotPublished);
    let mut events = on_sale();
    events.push(ContentEvent::Unpublished(ContentUnpublished {
        unpublished_at: T0,
    }));
    story()
        .given(events)
        .when(&buy(BUYER, "p1"))
        .then_error(&ContentError::NotPublished);
}

#[test]
fn the_creator_cannot_buy_their_own_content() {
    story()
        .given(on_sale())
        .when(&buy(CREATOR, "p1"))
        .then_error(&ContentError::OwnContent);
}

#[test]
fn the_buyer_refunds_within_the_window() {
    let state = story()
        .at(Timestamp(T0.0 + WINDOW as i64))
        .given(owned_by(BUYER))
        .when(&refund(BUYER, "p1"))
        .then_events(&[ContentEvent::PurchaseRefunded(PurchaseRefunded {
            purchase_id: "p1".into(),
            buyer_id: BUYER.into(),
            refunded_at: Timestamp(T0.0 + WINDOW as i64),
        })]);
    assert!(!state.0.owns(BUYER));
    assert_eq!(state.0.entitlement_of(BUYER), None);
    assert!(
        state
            .0
            .purchase("p1")
            .is_some_and(|p| p.refunded_at.is_some())
    );
}

#[test]
fn a_refund_after_the_window_is_refused() {
    story()
        .at(Timestamp(T0.0 + WINDOW as i64 + 1))
        .given(owned_by(BUYER))
        .when(&refund(BUYER, "p1"))
        .then_error(&ContentError::RefundWindowClosed);
}

#[test]
fn a_purchase_is_refunded_once_by_its_buyer() {
    story()
        .given(owned_by(BUYER))
        .when(&refund(STRANGER, "p1"))
        .then_error(&ContentError::NotBuyer);
    story()
        .given(owned_by(BUYER))
        .when(&anonymous(ContentCommand::Refund {
            purchase_id: "p1".into(),
            window_micros: WINDOW,
        }))
        .then_error(&ContentError::Unauthenticated);
    story()
        .given(owned_by(BUYER))
        .when(&refund(BUYER, "p9"))
        .then_error(&ContentError::PurchaseNotFound("p9".into()));
    let mut events = owned_by(BUYER);
    events.push(refunded(BUYER, "p1"));
    story()
        .given(events)
        .when(&refund(BUYER, "p1"))
        .then_error(&ContentError::AlreadyRefunded);
}

#[test]
fn after_a_refund_the_buyer_may_buy_again() {
    let mut events = owned_by(BUYER);
    events.push(refunded(BUYER, "p1"));
    let state = story()
        .given(events.clone())
        .when(&buy(BUYER, "p2"))
        .then_events(&[purchased(BUYER, "p2", T0)]);
    assert!(state.0.owns(BUYER));
    assert_eq!(state.0.entitlement_of(BUYER), Some("p2"));
    // The refunded purchase's id stays used.
    story()
        .given(events)
        .when(&buy(BUYER, "p1"))
        .then_error(&ContentError::DuplicatePurchaseId("p1".into()));
}

#[test]
fn refunding_an_old_purchase_leaves_a_newer_entitlement() {
    // p1 was refunded and p2 bought; replaying a refund of p1 never touches p2.
    let mut events = owned_by(BUYER);
    events.extend([
        refunded(BUYER, "p1"),
        purchased(BUYER, "p2", T0),
        refunded(BUYER, "p1"),
    ]);
    let state = story().given(events).when(&buy(BUYER, "p3"));
    state.then_error(&ContentError::AlreadyOwned);
}
