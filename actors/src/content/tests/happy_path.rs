//! One item's whole life, told as consecutive stories: each `then` feeds
//! the next `given`.

use agora_events::domain::content::{
    CheckedIn, ContentDrafted, ContentPublished, ContentPurchased, ContentRated, PriceSet,
};

use super::*;

#[test]
fn draft_price_publish_buy_rate_and_check_in_day_by_day() {
    let mut history = Vec::new();
    let mut step = |now: Timestamp, command: By, expected: ContentEvent| {
        let state = story()
            .at(now)
            .given(history.clone())
            .when(&command)
            .then_events(std::slice::from_ref(&expected));
        history.push(expected);
        state.0
    };

    let content = step(
        T0,
        by(
            CREATOR,
            ContentCommand::DraftContent {
                kind: ContentKind::Course,
                title: "  Rust in 30 days ".into(),
                summary: "From zero to actors".into(),
                body: course_body(),
                tags: vec!["rust".into(), " rust".into()],
                language: "en".into(),
            },
        ),
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
    );
    assert_eq!(content.creator_id(), Some(CREATOR));
    assert!(!content.is_published());

    let content = step(
        T0,
        by(CREATOR, ContentCommand::SetPrice { price: cny(9_900) }),
        ContentEvent::PriceSet(PriceSet {
            price: cny(9_900),
            set_at: T0,
        }),
    );
    assert_eq!(content.price(), Some(&cny(9_900)));

    let content = step(
        T0,
        by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ),
        ContentEvent::Published(ContentPublished { published_at: T0 }),
    );
    assert!(content.is_published());

    let content = step(
        T0,
        by(
            BUYER,
            ContentCommand::Purchase {
                buyer_id: BUYER.into(),
                purchase_id: "p1".into(),
                platform_fee_bps: 2_000,
                partner: Some(PartnerRate {
                    partner_id: "partner-1".into(),
                    share_bps: 1_000,
                }),
            },
        ),
        ContentEvent::Purchased(ContentPurchased {
            buyer_id: BUYER.into(),
            price: cny(9_900),
            purchase_id: "p1".into(),
            purchased_at: T0,
            partner_id: Some("partner-1".into()),
            shares: vec![
                RevenueShare {
                    account: Account::Creator(CREATOR.into()),
                    amount_cents: 6_930,
                },
                RevenueShare {
                    account: Account::Platform,
                    amount_cents: 1_980,
                },
                RevenueShare {
                    account: Account::Partner("partner-1".into()),
                    amount_cents: 990,
                },
            ],
        }),
    );
    assert!(content.owns(BUYER));
    assert_eq!(content.entitlement_of(BUYER), Some("p1"));
    assert_eq!(content.owners().collect::<Vec<_>>(), [BUYER]);
    assert!(!content.owns(CREATOR));
    assert!(content.can_read(CREATOR));

    let content = step(
        T0,
        by(
            BUYER,
            ContentCommand::Rate {
                stars: 4,
                member_of: None,
            },
        ),
        ContentEvent::Rated(ContentRated {
            user_id: BUYER.into(),
            stars: 4,
            rated_at: T0,
        }),
    );
    assert_eq!(content.rating_of(BUYER), Some(4));
    assert_eq!(content.streak_of(BUYER), 0);

    let mut check_in = |day: i64, note: Option<&str>| {
        let now = Timestamp(T0.0 + day * DAY);
        step(
            now,
            by(
                BUYER,
                ContentCommand::CheckIn {
                    note: note.map(str::to_owned),
                    member_of: None,
                },
            ),
            ContentEvent::CheckedIn(CheckedIn {
                user_id: BUYER.into(),
                day: DAY0 + day as u32,
                note: note.map(str::to_owned),
                checked_in_at: now,
            }),
        )
    };
    assert_eq!(check_in(0, Some("chapter 1")).streak_of(BUYER), 1);
    assert_eq!(check_in(1, None).streak_of(BUYER), 2);
    let content = check_in(2, Some("chapter 2"));
    assert_eq!(content.streak_of(BUYER), 3);
    assert!(content.checked_in_on(BUYER, DAY0 + 1));

    // A day without a check-in: the streak starts again.
    let content = check_in(4, None);
    assert_eq!(content.streak_of(BUYER), 1);
    assert_eq!(check_in(5, None).streak_of(BUYER), 2);
}
