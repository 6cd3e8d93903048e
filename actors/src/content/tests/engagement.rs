//! Ratings, reviews and check-ins: only by owners, or by members whose plan
//! covers the creator while the item is published.

use agora_events::domain::content::{CheckedIn, ContentRated, ReviewWritten};

use super::*;

fn rate(user: &str, stars: u8) -> By {
    by(
        user,
        ContentCommand::Rate {
            stars,
            member_of: None,
        },
    )
}

fn rated(user: &str, stars: u8) -> ContentEvent {
    ContentEvent::Rated(ContentRated {
        user_id: user.into(),
        stars,
        rated_at: T0,
    })
}

fn check_in(user: &str) -> By {
    by(
        user,
        ContentCommand::CheckIn {
            note: None,
            member_of: None,
        },
    )
}

fn checked_in(user: &str, day: u32) -> ContentEvent {
    ContentEvent::CheckedIn(CheckedIn {
        user_id: user.into(),
        day,
        note: None,
        checked_in_at: T0,
    })
}

#[test]
fn an_owner_rates() {
    let state = story()
        .given(owned_by(BUYER))
        .when(&rate(BUYER, 5))
        .then_events(&[rated(BUYER, 5)]);
    assert_eq!(state.0.rating_of(BUYER), Some(5));
    assert_eq!(state.0.ratings().collect::<Vec<_>>(), [(BUYER, 5)]);
}

#[test]
fn rating_by_a_non_owner_is_refused() {
    story()
        .given(owned_by(BUYER))
        .when(&rate(STRANGER, 5))
        .then_error(&ContentError::NotOwner);
    story()
        .given(owned_by(BUYER))
        .when(&rate(CREATOR, 5))
        .then_error(&ContentError::NotOwner);
    let mut events = owned_by(BUYER);
    events.push(refunded(BUYER, "p1"));
    story()
        .given(events)
        .when(&rate(BUYER, 5))
        .then_error(&ContentError::NotOwner);
    story()
        .given(owned_by(BUYER))
        .when(&anonymous(ContentCommand::Rate {
            stars: 5,
            member_of: None,
        }))
        .then_error(&ContentError::Unauthenticated);
    story()
        .when(&rate(BUYER, 5))
        .then_error(&ContentError::NotDrafted);
}

#[test]
fn ratings_of_0_and_6_are_refused() {
    for stars in [0, 6] {
        story()
            .given(owned_by(BUYER))
            .when(&rate(BUYER, stars))
            .then_error(&ContentError::StarsOutOfRange(stars));
    }
}

#[test]
fn changing_a_rating_replaces_it() {
    let mut events = owned_by(BUYER);
    events.push(rated(BUYER, 2));
    let state = story()
        .given(events.clone())
        .when(&rate(BUYER, 4))
        .then_events(&[rated(BUYER, 4)]);
    assert_eq!(state.0.rating_of(BUYER), Some(4));
    assert_eq!(state.0.ratings().count(), 1);
    story().given(events).when(&rate(BUYER, 2)).then_events(&[]);
}

#[test]
fn an_owner_reviews_and_a_later_review_replaces_it() {
    let written = |text: &str| {
        ContentEvent::ReviewWritten(ReviewWritten {
            user_id: BUYER.into(),
            text: text.into(),
            written_at: T0,
        })
    };
    let state = story()
        .given(owned_by(BUYER))
        .when(&by(
            BUYER,
            ContentCommand::Review {
                text: " Clear and short. ".into(),
                member_of: None,
            },
        ))
        .then_events(&[written("Clear and short.")]);
    assert_eq!(state.0.review_of(BUYER), Some("Clear and short."));
    let mut events = owned_by(BUYER);
    events.push(written("Clear and short."));
    let state = story()
        .given(events)
        .when(&by(
            BUYER,
            ContentCommand::Review {
                text: "Even better the second time.".into(),
                member_of: None,
            },
        ))
        .then_events(&[written("Even better the second time.")]);
    assert_eq!(
        state.0.review_of(BUYER),
        Some("Even better the second time.")
    );
}

#[test]
fn reviews_are_by_owners_and_checked() {
    let review = |user: &str, text: String| {
        by(
            user,
            ContentCommand::Review {
                text,
                member_of: None,
            },
        )
    };
    story()
        .given(owned_by(BUYER))
        .when(&review(STRANGER, "Nice".into()))
        .then_error(&ContentError::NotOwner);
    story()
        .given(owned_by(BUYER))
        .when(&review(BUYER, "  ".into()))
        .then_error(&ContentError::EmptyReview);
    story()
        .given(owned_by(BUYER))
        .when(&review(BUYER, "r".repeat(5001)))
        .then_error(&ContentError::ReviewTooLong);
}

#[test]
fn an_owner_checks_in_on_a_course_with_a_note() {
    story()
        .given(owned_by(BUYER))
        .when(&by(
            BUYER,
            ContentCommand::CheckIn {
                note: Some(" read chapter 1 ".into()),
                member_of: None,
            },
        ))
        .then_events(&[ContentEvent::CheckedIn(CheckedIn {
            user_id: BUYER.into(),
            day: DAY0,
            note: Some("read chapter 1".into()),
            checked_in_at: T0,
        })]);
    story()
        .given(owned_by(BUYER))
        .when(&by(
            BUYER,
            ContentCommand::CheckIn {
                note: Some("n".repeat(1001)),
                member_of: None,
            },
        ))
        .then_error(&ContentError::NoteTooLong);
}

#[test]
fn two_check_ins_the_same_day_are_refused() {
    let mut events = owned_by(BUYER);
    events.push(checked_in(BUYER, DAY0));
    story()
        .given(events.clone())
        .when(&check_in(BUYER))
        .then_error(&ContentError::AlreadyCheckedIn(DAY0));
    // The next day is fine.
    story()
        .at(Timestamp(T0.0 + DAY))
        .given(events)
        .when(&check_in(BUYER))
        .then_check(|events| assert_eq!(events.len(), 1));
}

#[test]
fn check_ins_are_for_owners_of_courses() {
    story()
        .given(owned_by(BUYER))
        .when(&check_in(STRANGER))
        .then_error(&ContentError::NotOwner);
    story()
        .given(owned_by(BUYER))
        .when(&check_in(CREATOR))
        .then_error(&ContentError::NotOwner);
    story()
        .given([
            drafted_as(ContentKind::Article, Body::Text("text".into())),
            priced(100),
            published(),
            purchased(BUYER, "p1", T0),
        ])
        .when(&check_in(BUYER))
        .then_error(&ContentError::NotACourse);
}

#[test]
fn a_streak_counts_consecutive_days_ending_at_the_latest_check_in() {
    let replay = |events: &[ContentEvent]| {
        let mut content = Content::default();
        for event in events {
            content.apply(event);
        }
        content
    };
    let mut events = owned_by(BUYER);
    assert_eq!(replay(&events).streak_of(BUYER), 0);
    events.extend(
        [1, 2, 3, 5, 6]
            .map(|d| checked_in(BUYER, DAY0 + d))
            .into_iter()
            .chain([checked_in(STRANGER, DAY0 + 7)]),
    );
    let mut content = replay(&events);
    assert_eq!(content.streak_of(BUYER), 2);
    assert_eq!(content.streak_of(STRANGER), 1);
    // A check-in back-dated into the gap (a late clock) joins both runs.
    content.apply(&checked_in(BUYER, DAY0 + 4));
    assert_eq!(content.streak_of(BUYER), 6);
}

fn as_member(user: &str, of: &str, command: fn(Option<String>) -> ContentCommand) -> By {
    by(user, command(Some(of.to_owned())))
}

fn rate_five(member_of: Option<String>) -> ContentCommand {
    ContentCommand::Rate {
        stars: 5,
        member_of,
    }
}

fn check_in_today(member_of: Option<String>) -> ContentCommand {
    ContentCommand::CheckIn {
        note: None,
        member_of,
    }
}

#[test]
fn a_member_covering_the_creator_rates_and_checks_in_without_buying() {
    story()
        .given(on_sale())
        .when(&as_member(STRANGER, CREATOR, rate_five))
        .then_events(&[rated(STRANGER, 5)]);
    story()
        .given(on_sale())
        .when(&as_member(STRANGER, CREATOR, check_in_today))
        .then_events(&[checked_in(STRANGER, DAY0)]);
}

#[test]
fn a_membership_of_another_creator_or_of_an_unlisted_item_entitles_nothing() {
    story()
        .given(on_sale())
        .when(&as_member(STRANGER, "creator-2", rate_five))
        .then_error(&ContentError::NotOwner);
    let mut events = on_sale();
    events.push(ContentEvent::Unpublished(
        agora_events::domain::content::ContentUnpublished { unpublished_at: T0 },
    ));
    story()
        .given(events)
        .when(&as_member(STRANGER, CREATOR, check_in_today))
        .then_error(&ContentError::NotOwner);
}
