//! Items listed by partner platforms through catalog imports, and the
//! revenue split of their sales.

use agora_events::domain::content::{ContentListedByPartner, ContentPublished};

use agora_events::domain::money::MoneyError;

use super::*;
use crate::content::PartnerListing;

const PARTNER: &str = "acme";
const PARTNER_USER: &str = "acme-bot";

fn listing(price: u64) -> PartnerListing {
    PartnerListing {
        partner_id: PARTNER.into(),
        external_id: "42".into(),
        creator_id: CREATOR.into(),
        kind: ContentKind::Course,
        title: "Rust in 30 days".into(),
        summary: "From zero to actors".into(),
        body: course_body(),
        tags: vec!["rust".into()],
        language: "en".into(),
        price: cny(price),
    }
}

fn import(listing: PartnerListing) -> By {
    by(PARTNER_USER, ContentCommand::ImportListing(listing))
}

/// What a first import of [`listing`] records.
fn listed(price: u64) -> Vec<ContentEvent> {
    vec![
        ContentEvent::Drafted(ContentDrafted {
            content_id: "c1".into(),
            creator_id: CREATOR.into(),
            kind: ContentKind::Course,
            title: "Rust in 30 days".into(),
            summary: "From zero to actors".into(),
            body: course_body(),
            tags: vec!["rust".into()],
            language: "en".into(),
            drafted_at: T0,
        }),
        ContentEvent::ListedByPartner(ContentListedByPartner {
            partner_id: PARTNER.into(),
            external_id: "42".into(),
            listed_at: T0,
        }),
        ContentEvent::PriceSet(PriceSet {
            price: cny(price),
            set_at: T0,
        }),
        ContentEvent::Published(ContentPublished { published_at: T0 }),
    ]
}

fn buy(partner: Option<(&str, u32)>, fee_bps: u32) -> By {
    by(
        BUYER,
        ContentCommand::Purchase {
            buyer_id: BUYER.into(),
            purchase_id: "p1".into(),
            platform_fee_bps: fee_bps,
            partner: partner.map(|(partner_id, share_bps)| PartnerRate {
                partner_id: partner_id.into(),
                share_bps,
            }),
        },
    )
}

#[test]
fn a_first_import_drafts_lists_prices_and_publishes_in_one_append() {
    let state = story()
        .when(&import(listing(1_000)))
        .then_events(&listed(1_000));
    assert!(state.0.is_published());
    assert_eq!(state.0.listed_by(), Some((PARTNER, "42")));
    assert_eq!(state.0.creator_id(), Some(CREATOR));
}

#[test]
fn re_imports_are_idempotent_and_update_only_the_price() {
    story()
        .given(listed(1_000))
        .when(&import(listing(1_000)))
        .then_events(&[]);
    story()
        .given(listed(1_000))
        .when(&import(listing(1_200)))
        .then_events(&[priced(1_200)]);
    let mut retitled = listing(1_000);
    retitled.title = "Rust in 31 days".into();
    story()
        .given(listed(1_000))
        .when(&import(retitled))
        .then_error(&ContentError::ListingTextFixed);
}

#[test]
fn an_import_never_takes_over_another_item() {
    let mut other = listing(1_000);
    other.partner_id = "globex".into();
    story()
        .given(listed(1_000))
        .when(&import(other))
        .then_error(&ContentError::NotThisListing);
    story()
        .given(on_sale())
        .when(&import(listing(1_000)))
        .then_error(&ContentError::NotThisListing);
}

#[test]
fn imported_items_are_checked_like_drafts() {
    let mut empty = listing(1_000);
    empty.body = Body::Text("   ".into());
    story()
        .when(&import(empty))
        .then_error(&ContentError::PublishWithoutBody);
    let mut untitled = listing(1_000);
    untitled.title = " ".into();
    story()
        .when(&import(untitled))
        .then_error(&ContentError::EmptyTitle);
    let mut bad_price = listing(1_000);
    bad_price.price.currency = "cny".into();
    story()
        .when(&import(bad_price))
        .then_error(&ContentError::PriceOutOfRange(MoneyError::UnknownCurrency(
            "cny".into(),
        )));
    story()
        .when(&import(listing(u64::MAX)))
        .then_error(&ContentError::PriceOutOfRange(MoneyError::AboveCeiling {
            amount: u64::MAX,
        }));
    story()
        .given(listed(1_000))
        .when(&import(listing(Money::MAX_MINOR_UNITS + 1)))
        .then_error(&ContentError::PriceOutOfRange(MoneyError::AboveCeiling {
            amount: Money::MAX_MINOR_UNITS + 1,
        }));
}

#[test]
fn a_listed_item_is_sold_only_with_its_partner_rate() {
    story()
        .given(listed(1_000))
        .when(&buy(None, 2_000))
        .then_error(&ContentError::PartnerRateMissing(PARTNER.into()));
    story()
        .given(listed(1_000))
        .when(&buy(Some(("globex", 500)), 2_000))
        .then_error(&ContentError::PartnerRateMissing(PARTNER.into()));
    story()
        .given(listed(1_000))
        .when(&buy(Some((PARTNER, 1_500)), 2_000))
        .then_events(&[ContentEvent::Purchased(ContentPurchased {
            buyer_id: BUYER.into(),
            price: cny(1_000),
            purchase_id: "p1".into(),
            purchased_at: T0,
            partner_id: Some(PARTNER.into()),
            shares: vec![
                RevenueShare {
                    account: Account::Creator(CREATOR.into()),
                    amount_cents: 650,
                },
                RevenueShare {
                    account: Account::Platform,
                    amount_cents: 200,
                },
                RevenueShare {
                    account: Account::Partner(PARTNER.into()),
                    amount_cents: 150,
                },
            ],
        })]);
}

#[test]
fn a_refund_keeps_the_shares_of_its_sale() {
    let mut events = listed(1_000);
    let sale = story()
        .given(events.clone())
        .when(&buy(Some((PARTNER, 1_500)), 2_000))
        .then_check(|_| {});
    events.extend(sale);
    let state = story()
        .given(events)
        .when(&by(
            BUYER,
            ContentCommand::Refund {
                purchase_id: "p1".into(),
                window_micros: 1,
            },
        ))
        .then_events(&[refunded(BUYER, "p1")]);
    let purchase = state.0.purchase("p1").expect("the purchase");
    assert!(purchase.refunded_at.is_some());
    let total: u64 = purchase.shares.iter().map(|s| s.amount_cents).sum();
    assert_eq!(total, 1_000);
}

#[test]
fn rates_above_the_whole_refuse_the_sale() {
    story()
        .given(listed(1_000))
        .when(&buy(Some((PARTNER, 6_000)), 5_000))
        .then_error(&ContentError::RatesAboveWhole);
}
