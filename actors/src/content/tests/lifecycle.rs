//! Drafting, editing, pricing, publishing, unpublishing and retiring.

use agora_events::domain::content::{ContentRetired, ContentUnpublished, DraftEdited, PriceSet};

use agora_events::domain::money::MoneyError;

use super::*;
use crate::content::{DraftChanges, MAX_TAGS};

fn draft(title: &str, tags: Vec<String>, language: &str) -> By {
    by(
        CREATOR,
        ContentCommand::DraftContent {
            kind: ContentKind::Article,
            title: title.into(),
            summary: String::new(),
            body: Body::Text(String::new()),
            tags,
            language: language.into(),
        },
    )
}

fn edit(changes: DraftChanges) -> ContentCommand {
    ContentCommand::EditDraft(changes)
}

#[test]
fn drafting_needs_a_known_caller_and_happens_once() {
    story()
        .when(&anonymous(draft("T", vec![], "en").command))
        .then_error(&ContentError::Unauthenticated);
    story()
        .given([drafted()])
        .when(&draft("T", vec![], "en"))
        .then_error(&ContentError::AlreadyDrafted);
}

#[test]
fn a_draft_may_have_an_empty_body_but_not_an_empty_title() {
    let state = story()
        .when(&draft("Notes", vec![], "zh-CN"))
        .then_check(|events| assert_eq!(events.len(), 1));
    assert!(matches!(&state[0], ContentEvent::Drafted(d) if d.body == Body::Text(String::new())));
    story()
        .when(&draft("   ", vec![], "en"))
        .then_error(&ContentError::EmptyTitle);
    story()
        .when(&draft(&"t".repeat(201), vec![], "en"))
        .then_error(&ContentError::TitleTooLong);
    story()
        .when(&draft("a\u{7}b", vec![], "en"))
        .then_error(&ContentError::ControlCharacter("title"));
}

#[test]
fn draft_fields_are_checked() {
    story()
        .when(&draft("T", vec!["x".repeat(41)], "en"))
        .then_error(&ContentError::TagTooLong);
    let too_many = (0..=MAX_TAGS).map(|i| format!("tag{i}")).collect();
    story()
        .when(&draft("T", too_many, "en"))
        .then_error(&ContentError::TooManyTags);
    story()
        .when(&draft("T", vec![], "english"))
        .then_error(&ContentError::InvalidLanguage);
    story()
        .when(&by(
            CREATOR,
            ContentCommand::DraftContent {
                kind: ContentKind::Column,
                title: "T".into(),
                summary: "s".repeat(1001),
                body: Body::Text(String::new()),
                tags: vec![],
                language: "en".into(),
            },
        ))
        .then_error(&ContentError::SummaryTooLong);
    story()
        .when(&by(
            CREATOR,
            ContentCommand::DraftContent {
                kind: ContentKind::Article,
                title: "T".into(),
                summary: String::new(),
                body: Body::Text("b".repeat(super::super::MAX_BODY_BYTES + 1)),
                tags: vec![],
                language: "en".into(),
            },
        ))
        .then_error(&ContentError::BodyTooLarge);
}

#[test]
fn the_creator_edits_a_draft_and_only_changes_are_recorded() {
    let state = story()
        .given([drafted()])
        .when(&by(
            CREATOR,
            edit(DraftChanges {
                title: Some("Rust in 30 days".into()),
                summary: Some(" Ownership first ".into()),
                tags: Some(vec!["rust".into(), "actors".into()]),
                ..DraftChanges::default()
            }),
        ))
        .then_events(&[ContentEvent::DraftEdited(DraftEdited {
            kind: None,
            title: None,
            summary: Some("Ownership first".into()),
            body: None,
            tags: Some(vec!["rust".into(), "actors".into()]),
            language: None,
            edited_at: T0,
        })]);
    assert_eq!(state.0.summary(), "Ownership first");
    assert_eq!(state.0.tags(), ["rust", "actors"]);
    assert_eq!(state.0.title(), "Rust in 30 days");
}

#[test]
fn an_edit_that_changes_nothing_records_nothing() {
    story()
        .given([drafted()])
        .when(&by(
            CREATOR,
            edit(DraftChanges {
                kind: Some(ContentKind::Course),
                language: Some("en".into()),
                ..DraftChanges::default()
            }),
        ))
        .then_events(&[]);
}

#[test]
fn only_the_creator_edits() {
    let take_over = edit(DraftChanges {
        title: Some("Mine now".into()),
        ..DraftChanges::default()
    });
    // Someone else's draft does not exist for the caller.
    story()
        .given([drafted()])
        .when(&by(STRANGER, take_over.clone()))
        .then_error(&ContentError::NotDrafted);
    story()
        .given([drafted()])
        .when(&anonymous(edit(DraftChanges::default())))
        .then_error(&ContentError::NotDrafted);
    // A published item is visible: the caller is told it is not theirs.
    story()
        .given(on_sale())
        .when(&by(STRANGER, take_over))
        .then_error(&ContentError::NotCreator);
    story()
        .given(on_sale())
        .when(&anonymous(edit(DraftChanges::default())))
        .then_error(&ContentError::Unauthenticated);
    story()
        .when(&by(CREATOR, edit(DraftChanges::default())))
        .then_error(&ContentError::NotDrafted);
}

#[test]
fn edits_are_checked_like_drafts() {
    story()
        .given([drafted()])
        .when(&by(
            CREATOR,
            edit(DraftChanges {
                title: Some(" ".into()),
                ..DraftChanges::default()
            }),
        ))
        .then_error(&ContentError::EmptyTitle);
}

#[test]
fn a_published_item_is_no_longer_a_draft_even_after_unpublishing() {
    let change = by(
        CREATOR,
        edit(DraftChanges {
            title: Some("New title".into()),
            ..DraftChanges::default()
        }),
    );
    story()
        .given(on_sale())
        .when(&change)
        .then_error(&ContentError::NoLongerDraft);
    let mut events = on_sale();
    events.push(ContentEvent::Unpublished(ContentUnpublished {
        unpublished_at: T0,
    }));
    story()
        .given(events)
        .when(&change)
        .then_error(&ContentError::NoLongerDraft);
}

#[test]
fn the_creator_prices_with_an_iso_currency() {
    story()
        .given([drafted()])
        .when(&by(CREATOR, ContentCommand::SetPrice { price: cny(0) }))
        .then_events(&[ContentEvent::PriceSet(PriceSet {
            price: cny(0),
            set_at: T0,
        })]);
    story()
        .given([drafted()])
        .when(&by(
            CREATOR,
            ContentCommand::SetPrice {
                price: Money {
                    amount_cents: 100,
                    currency: "usd".into(),
                },
            },
        ))
        .then_error(&ContentError::PriceOutOfRange(MoneyError::UnknownCurrency(
            "usd".into(),
        )));
    story()
        .given(on_sale())
        .when(&by(STRANGER, ContentCommand::SetPrice { price: cny(1) }))
        .then_error(&ContentError::NotCreator);
    story()
        .given([drafted(), priced(500)])
        .when(&by(CREATOR, ContentCommand::SetPrice { price: cny(500) }))
        .then_events(&[]);
}

/// Issue 17: a price of `u64::MAX` cents was accepted, and its sale
/// stopped the ledger. A price is at most [`Money::MAX_MINOR_UNITS`].
#[test]
fn prices_stay_under_the_ceiling() {
    let set = |amount_cents| {
        by(
            CREATOR,
            ContentCommand::SetPrice {
                price: cny(amount_cents),
            },
        )
    };
    story()
        .given([drafted()])
        .when(&set(Money::MAX_MINOR_UNITS))
        .then_events(&[priced(Money::MAX_MINOR_UNITS)]);
    for above in [Money::MAX_MINOR_UNITS + 1, i64::MAX as u64, u64::MAX] {
        story()
            .given([drafted()])
            .when(&set(above))
            .then_error(&ContentError::PriceOutOfRange(MoneyError::AboveCeiling {
                amount: above,
            }));
    }
    // Whole yen and thousandths of a dinar are minor units too.
    for currency in ["JPY", "KWD"] {
        let price = Money {
            amount_cents: Money::MAX_MINOR_UNITS,
            currency: currency.into(),
        };
        story()
            .given([drafted()])
            .when(&by(CREATOR, ContentCommand::SetPrice { price }))
            .then_check(|events| assert_eq!(events.len(), 1));
    }
}

#[test]
fn publishing_needs_a_body_and_a_price() {
    story()
        .given([drafted()])
        .when(&by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ))
        .then_error(&ContentError::PublishWithoutPrice);
    story()
        .given([
            drafted_as(ContentKind::Article, Body::Text(" \n".into())),
            priced(100),
        ])
        .when(&by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ))
        .then_error(&ContentError::PublishWithoutBody);
    let state = story()
        .given([drafted(), priced(0)])
        .when(&by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ))
        .then_events(&[published()]);
    assert!(state.0.is_published());
    assert!(state.0.was_ever_published());
}

#[test]
fn only_the_creator_publishes_and_only_once() {
    let publish = ContentCommand::Publish {
        required_score_bps: None,
    };
    story()
        .given([drafted(), priced(100)])
        .when(&by(STRANGER, publish.clone()))
        .then_error(&ContentError::NotDrafted);
    let mut unpublished = on_sale();
    unpublished.push(ContentEvent::Unpublished(ContentUnpublished {
        unpublished_at: T0,
    }));
    story()
        .given(unpublished)
        .when(&by(STRANGER, publish))
        .then_error(&ContentError::NotCreator);
    story()
        .given(on_sale())
        .when(&by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ))
        .then_error(&ContentError::AlreadyPublished);
}

#[test]
fn unpublishing_hides_a_published_item_which_may_come_back() {
    let unpublished = ContentEvent::Unpublished(ContentUnpublished { unpublished_at: T0 });
    let state = story()
        .given(on_sale())
        .when(&by(CREATOR, ContentCommand::Unpublish))
        .then_events(std::slice::from_ref(&unpublished));
    assert!(!state.0.is_published());
    let mut events = on_sale();
    events.push(unpublished);
    story()
        .given(events.clone())
        .when(&by(CREATOR, ContentCommand::Unpublish))
        .then_error(&ContentError::NotPublished);
    story()
        .given(events)
        .when(&by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ))
        .then_events(&[published()]);
    story()
        .given([drafted()])
        .when(&by(CREATOR, ContentCommand::Unpublish))
        .then_error(&ContentError::NotPublished);
    story()
        .given(on_sale())
        .when(&by(STRANGER, ContentCommand::Unpublish))
        .then_error(&ContentError::NotCreator);
}

#[test]
fn a_retired_item_never_changes_or_sells_again() {
    let retired = ContentEvent::Retired(ContentRetired { retired_at: T0 });
    let state = story()
        .given(on_sale())
        .when(&by(CREATOR, ContentCommand::Retire))
        .then_events(std::slice::from_ref(&retired));
    assert!(state.0.is_retired());
    assert!(!state.0.is_published());
    let mut events = on_sale();
    events.push(retired);
    let after = |command: By, error: ContentError| {
        story()
            .given(events.clone())
            .when(&command)
            .then_error(&error);
    };
    after(
        by(CREATOR, ContentCommand::Retire),
        ContentError::AlreadyRetired,
    );
    after(
        by(
            CREATOR,
            ContentCommand::Publish {
                required_score_bps: None,
            },
        ),
        ContentError::Retired,
    );
    after(
        by(CREATOR, ContentCommand::Unpublish),
        ContentError::Retired,
    );
    after(
        by(CREATOR, ContentCommand::SetPrice { price: cny(1) }),
        ContentError::Retired,
    );
    after(
        by(CREATOR, edit(DraftChanges::default())),
        ContentError::Retired,
    );
    after(
        anonymous(ContentCommand::Purchase {
            buyer_id: BUYER.into(),
            purchase_id: "p1".into(),
            platform_fee_bps: 0,
            partner: None,
        }),
        ContentError::Retired,
    );
    story()
        .given(on_sale())
        .when(&by(STRANGER, ContentCommand::Retire))
        .then_error(&ContentError::NotCreator);
}
