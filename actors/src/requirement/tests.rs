//! Stories of the Requirement aggregate: posting, editing and extending,
//! bidding, revising and withdrawing, awarding and cancelling, each as
//! given / when / then.

use agora_events::Timestamp;
use agora_events::domain::money::Money;
use agora_events::domain::requirement::{
    BidDeclined, BidPlaced, BidRevised, BidTerms, BidWithdrawn, Budget, Milestone,
    RequirementAwarded, RequirementCancelled, RequirementEdited, RequirementEvent,
    RequirementExtended, RequirementPosted, RequirementTerms, Visibility,
};

use super::*;
use crate::aggregate::testing::Story;

const REQ: &str = "r1";
const CLIENT: &str = "cli";
const VENDOR: &str = "ven";
const OTHER: &str = "oth";
const DAY: i64 = 86_400_000_000;
const T0: Timestamp = Timestamp(1_700_000_000_000_000);

fn at(days: i64) -> Timestamp {
    Timestamp(T0.0 + days * DAY)
}

fn story(actor: &str, now: Timestamp) -> Story<Requirement> {
    Story::new(REQ).by(actor).at(now)
}

fn new_terms(visibility: Visibility, invited: &[&str]) -> NewTerms {
    NewTerms {
        title: " Payment gateway ".into(),
        description: "Build a gateway.".into(),
        skills: vec!["Rust".into(), "postgres".into()],
        budget: Budget {
            min_cents: 10_000,
            max_cents: 50_000,
            currency: "CNY".into(),
        },
        deadline_days: 30,
        bidding_days: 7,
        visibility,
        invited: invited.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn terms(visibility: Visibility, invited: &[&str]) -> RequirementTerms {
    RequirementTerms {
        title: "Payment gateway".into(),
        description: "Build a gateway.".into(),
        skills: vec!["postgres".into(), "rust".into()],
        budget: Budget {
            min_cents: 10_000,
            max_cents: 50_000,
            currency: "CNY".into(),
        },
        deadline_days: 30,
        bidding_days: 7,
        visibility,
        invited: invited.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn posted_as(visibility: Visibility, invited: &[&str]) -> RequirementEvent {
    RequirementEvent::Posted(RequirementPosted {
        requirement_id: REQ.into(),
        client_id: CLIENT.into(),
        terms: terms(visibility, invited),
        bidding_closes_at: at(7),
        posted_at: T0,
    })
}

fn posted() -> RequirementEvent {
    posted_as(Visibility::Public, &[])
}

fn new_bid(price: u64) -> NewBid {
    NewBid {
        price: Money {
            amount_cents: price,
            currency: "CNY".into(),
        },
        delivery_days: 20,
        proposal: "We built three gateways.".into(),
        milestones: vec![
            Milestone {
                title: "design".into(),
                amount_cents: price / 2,
                due_day: 5,
            },
            Milestone {
                title: "build".into(),
                amount_cents: price - price / 2,
                due_day: 20,
            },
        ],
    }
}

fn bid_terms(price: u64) -> BidTerms {
    let bid = new_bid(price);
    BidTerms {
        price: bid.price,
        delivery_days: bid.delivery_days,
        proposal: bid.proposal,
        milestones: bid.milestones,
    }
}

const STANDING: BidStanding = BidStanding {
    has_profile: true,
    at_capacity: false,
};

fn bid(price: u64) -> RequirementCommand {
    RequirementCommand::Bid {
        bid: new_bid(price),
        standing: STANDING,
    }
}

fn placed(vendor: &str, price: u64, now: Timestamp) -> RequirementEvent {
    RequirementEvent::BidPlaced(BidPlaced {
        requirement_id: REQ.into(),
        vendor_id: vendor.into(),
        terms: bid_terms(price),
        at_capacity: false,
        placed_at: now,
    })
}

#[test]
fn a_client_posts_a_requirement_normalised() {
    let requirement = story(CLIENT, T0)
        .when(&RequirementCommand::Post {
            terms: new_terms(Visibility::Public, &[]),
        })
        .then_events(&[posted()]);
    assert_eq!(requirement.stage(), &Stage::Open);
    story(CLIENT, T0)
        .given([posted()])
        .when(&RequirementCommand::Post {
            terms: new_terms(Visibility::Public, &[]),
        })
        .then_error(&RequirementError::Exists);
}

#[test]
fn an_inverted_budget_and_a_self_invitation_are_refused() {
    let mut bad = new_terms(Visibility::Public, &[]);
    bad.budget.min_cents = 60_000;
    story(CLIENT, T0)
        .when(&RequirementCommand::Post { terms: bad })
        .then_error(&RequirementError::Invalid(
            "budget.min_cents (60000) is above budget.max_cents (50000)".into(),
        ));
    story(CLIENT, T0)
        .when(&RequirementCommand::Post {
            terms: new_terms(Visibility::Invited, &[CLIENT]),
        })
        .then_error(&RequirementError::Invalid(
            "a client cannot invite itself".into(),
        ));
}

#[test]
fn before_the_first_bid_the_client_edits_anything() {
    let patch = TermsPatch {
        title: Some("Gateway v2".into()),
        bidding_days: Some(10),
        ..TermsPatch::default()
    };
    let mut edited = terms(Visibility::Public, &[]);
    edited.title = "Gateway v2".into();
    edited.bidding_days = 10;
    story(CLIENT, at(1))
        .given([posted()])
        .when(&RequirementCommand::Edit {
            patch: patch.clone(),
        })
        .then_events(&[RequirementEvent::Edited(RequirementEdited {
            requirement_id: REQ.into(),
            terms: edited,
            bidding_closes_at: at(10),
            edited_at: at(1),
        })]);
    story(VENDOR, at(1))
        .given([posted()])
        .when(&RequirementCommand::Edit { patch })
        .then_error(&RequirementError::NotTheClient);
    story(CLIENT, at(1))
        .given([posted()])
        .when(&RequirementCommand::Edit {
            patch: TermsPatch::default(),
        })
        .then_events(&[]);
}

#[test]
fn after_the_first_bid_only_extensions_pass() {
    let given = [posted(), placed(VENDOR, 20_000, at(1)), {
        RequirementEvent::BidWithdrawn(BidWithdrawn {
            requirement_id: REQ.into(),
            vendor_id: VENDOR.into(),
            withdrawn_at: at(2),
        })
    }];
    story(CLIENT, at(3))
        .given(given.clone())
        .when(&RequirementCommand::Edit {
            patch: TermsPatch {
                title: Some("Other".into()),
                ..TermsPatch::default()
            },
        })
        .then_error(&RequirementError::OnlyExtensions("another field changed"));
    story(CLIENT, at(3))
        .given(given.clone())
        .when(&RequirementCommand::Edit {
            patch: TermsPatch {
                bidding_days: Some(5),
                ..TermsPatch::default()
            },
        })
        .then_error(&RequirementError::OnlyExtensions("a value would shrink"));
    story(CLIENT, at(3))
        .given(given)
        .when(&RequirementCommand::Edit {
            patch: TermsPatch {
                deadline_days: Some(45),
                bidding_days: Some(14),
                ..TermsPatch::default()
            },
        })
        .then_events(&[RequirementEvent::Extended(RequirementExtended {
            requirement_id: REQ.into(),
            deadline_days: 45,
            bidding_days: 14,
            bidding_closes_at: at(14),
            extended_at: at(3),
        })]);
}

#[test]
fn a_vendor_bids_once_revises_and_withdraws_while_bidding_is_open() {
    let requirement = story(VENDOR, at(1))
        .given([posted()])
        .when(&bid(20_000))
        .then_events(&[placed(VENDOR, 20_000, at(1))]);
    assert_eq!(requirement.bid(VENDOR), Some(&bid_terms(20_000)));
    story(VENDOR, at(1))
        .given([posted(), placed(VENDOR, 20_000, at(1))])
        .when(&bid(30_000))
        .then_error(&RequirementError::BidExists);
    story(VENDOR, at(2))
        .given([posted(), placed(VENDOR, 20_000, at(1))])
        .when(&RequirementCommand::Revise {
            bid: new_bid(30_000),
            standing: BidStanding {
                has_profile: true,
                at_capacity: true,
            },
        })
        .then_events(&[RequirementEvent::BidRevised(BidRevised {
            requirement_id: REQ.into(),
            vendor_id: VENDOR.into(),
            terms: bid_terms(30_000),
            at_capacity: true,
            revised_at: at(2),
        })]);
    story(OTHER, at(2))
        .given([posted(), placed(VENDOR, 20_000, at(1))])
        .when(&RequirementCommand::Withdraw {
            vendor_id: VENDOR.into(),
            by_admin: false,
        })
        .then_error(&RequirementError::NotTheBidder);
    let requirement = story(VENDOR, at(2))
        .given([posted(), placed(VENDOR, 20_000, at(1))])
        .when(&RequirementCommand::Withdraw {
            vendor_id: VENDOR.into(),
            by_admin: false,
        })
        .then_events(&[RequirementEvent::BidWithdrawn(BidWithdrawn {
            requirement_id: REQ.into(),
            vendor_id: VENDOR.into(),
            withdrawn_at: at(2),
        })]);
    assert!(requirement.bid(VENDOR).is_none());
    story(VENDOR, at(7))
        .given([posted(), placed(VENDOR, 20_000, at(1))])
        .when(&RequirementCommand::Withdraw {
            vendor_id: VENDOR.into(),
            by_admin: false,
        })
        .then_error(&RequirementError::BiddingClosed);
    story(VENDOR, at(7))
        .given([posted()])
        .when(&bid(20_000))
        .then_error(&RequirementError::BiddingClosed);
}

#[test]
fn who_may_bid() {
    story(CLIENT, at(1))
        .given([posted()])
        .when(&bid(20_000))
        .then_error(&RequirementError::OwnRequirement);
    story(VENDOR, at(1))
        .given([posted()])
        .when(&RequirementCommand::Bid {
            bid: new_bid(20_000),
            standing: BidStanding {
                has_profile: false,
                at_capacity: false,
            },
        })
        .then_error(&RequirementError::NoVendorProfile);
    story(OTHER, at(1))
        .given([posted_as(Visibility::Invited, &[VENDOR])])
        .when(&bid(20_000))
        .then_error(&RequirementError::NotFound);
    let invited = posted_as(Visibility::Invited, &[VENDOR]);
    story(VENDOR, at(1))
        .given([invited])
        .when(&bid(20_000))
        .then_check(|events| assert_eq!(events.len(), 1));
    story(VENDOR, at(1))
        .when(&bid(20_000))
        .then_error(&RequirementError::NotFound);
    let mut mismatched = new_bid(20_000);
    mismatched.milestones.pop();
    story(VENDOR, at(1))
        .given([posted()])
        .when(&RequirementCommand::Bid {
            bid: mismatched,
            standing: STANDING,
        })
        .then_error(&RequirementError::MilestonesMismatch {
            sum: 10_000,
            price: 20_000,
        });
}

#[test]
fn the_award_names_the_contract_and_declines_the_other_bids_once() {
    let given = [
        posted(),
        placed(VENDOR, 20_000, at(1)),
        placed(OTHER, 25_000, at(1)),
    ];
    let bid = bid_terms(20_000);
    let requirement = story(CLIENT, at(8))
        .given(given.clone())
        .when(&RequirementCommand::Award {
            vendor_id: VENDOR.into(),
        })
        .then_events(&[
            RequirementEvent::Awarded(RequirementAwarded {
                requirement_id: REQ.into(),
                vendor_id: VENDOR.into(),
                contract_id: REQ.into(),
                price: bid.price,
                milestones: bid.milestones,
                client_id: CLIENT.into(),
                at: at(8),
            }),
            RequirementEvent::BidDeclined(BidDeclined {
                requirement_id: REQ.into(),
                vendor_id: OTHER.into(),
                declined_at: at(8),
            }),
        ]);
    assert_eq!(requirement.stage(), &Stage::Awarded(VENDOR.into()));
    assert_eq!(requirement.bids().count(), 1);
    story(VENDOR, at(2))
        .given(given.clone())
        .when(&RequirementCommand::Award {
            vendor_id: VENDOR.into(),
        })
        .then_error(&RequirementError::NotTheClient);
    story(CLIENT, at(2))
        .given(given.clone())
        .when(&RequirementCommand::Award {
            vendor_id: "nobody".into(),
        })
        .then_error(&RequirementError::BidNotFound("nobody".into()));
    // The second of two racing awards finds the requirement awarded.
    let mut awarded = given.to_vec();
    awarded.extend(
        story(CLIENT, at(2))
            .given(given)
            .when(&RequirementCommand::Award {
                vendor_id: OTHER.into(),
            })
            .then_check(|_| {}),
    );
    story(CLIENT, at(2))
        .given(awarded.clone())
        .when(&RequirementCommand::Award {
            vendor_id: VENDOR.into(),
        })
        .then_error(&RequirementError::AlreadyAwarded);
    story(VENDOR, at(2))
        .given(awarded)
        .when(&RequirementCommand::Revise {
            bid: new_bid(1_000),
            standing: STANDING,
        })
        .then_error(&RequirementError::AlreadyAwarded);
}

#[test]
fn cancelling_releases_every_live_bid() {
    let given = [
        posted(),
        placed(VENDOR, 20_000, at(1)),
        placed(OTHER, 25_000, at(1)),
    ];
    let requirement = story(CLIENT, at(2))
        .given(given.clone())
        .when(&RequirementCommand::Cancel {
            reason: " budget cut ".into(),
            by_admin: false,
        })
        .then_events(&[RequirementEvent::Cancelled(RequirementCancelled {
            requirement_id: REQ.into(),
            reason: "budget cut".into(),
            released: vec![OTHER.into(), VENDOR.into()],
            cancelled_by: CLIENT.into(),
            cancelled_at: at(2),
        })]);
    assert_eq!(requirement.stage(), &Stage::Cancelled);
    assert_eq!(requirement.bids().count(), 0);
    story(VENDOR, at(2))
        .given(given.clone())
        .when(&RequirementCommand::Cancel {
            reason: String::new(),
            by_admin: false,
        })
        .then_error(&RequirementError::NotTheClient);
    story("root", at(2))
        .given(given)
        .when(&RequirementCommand::Cancel {
            reason: String::new(),
            by_admin: true,
        })
        .then_check(|events| assert_eq!(events.len(), 1));
}
