//! Stories of the Contract aggregate — opening from an award, funding,
//! submitting, accepting (by hand and automatically), requesting changes,
//! disputing and resolving, completion and reviews — each as given / when
//! / then; and a property test that drives random command sequences
//! through the real aggregate into the real ledger and contracts
//! projections and checks the escrow balances after every step.

use agora_events::domain::DomainEvent;
use agora_events::domain::contract::{
    ContractCompleted, ContractEvent, ContractOpened, ContractReviewed, DisputeResolved,
    MilestoneAccepted, MilestoneChangesRequested, MilestoneDisputed, MilestoneFunded,
    MilestoneSubmitted, MilestoneTerms, Party,
};
use agora_events::domain::money::Money;
use agora_events::domain::revenue::{Account, RevenueShare};
use agora_events::{EventMetadata, RecordedEvent, StreamName, Timestamp};
use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::aggregate::testing::Story;
use crate::projection::Projection;
use crate::projection::contracts::ContractsView;
use crate::projection::ledger::LedgerView;

const ID: &str = "req-1";
const CLIENT: &str = "acme";
const VENDOR: &str = "devteam";
const ADMIN: &str = "root";
const FEE_BPS: u32 = 1_000;
const DAY: i64 = 86_400_000_000;
const T0: Timestamp = Timestamp(1_700_000_000_000_000);

fn at(days: i64) -> Timestamp {
    Timestamp(T0.0 + days * DAY)
}

fn cny(amount_cents: u64) -> Money {
    Money {
        amount_cents,
        currency: "CNY".into(),
    }
}

fn milestones() -> Vec<MilestoneTerms> {
    vec![
        MilestoneTerms::from(("Design".to_owned(), 3_000, 10)),
        MilestoneTerms::from(("Build".to_owned(), 7_000, 30)),
    ]
}

fn open_command() -> ContractCommand {
    ContractCommand::Open {
        requirement_id: ID.into(),
        client_id: CLIENT.into(),
        vendor_id: VENDOR.into(),
        price: cny(10_000),
        milestones: milestones(),
    }
}

fn opened() -> ContractEvent {
    ContractEvent::Opened(ContractOpened {
        contract_id: ID.into(),
        requirement_id: ID.into(),
        client_id: CLIENT.into(),
        vendor_id: VENDOR.into(),
        price: cny(10_000),
        milestones: milestones(),
        opened_at: T0,
        opened_by: CLIENT.into(),
    })
}

fn funded(index: u32, cents: u64) -> ContractEvent {
    ContractEvent::Funded(MilestoneFunded {
        contract_id: ID.into(),
        index,
        amount: cny(cents),
        funded_at: T0,
    })
}

fn submitted(index: u32, when: Timestamp) -> ContractEvent {
    ContractEvent::Submitted(MilestoneSubmitted {
        contract_id: ID.into(),
        index,
        note: String::new(),
        submitted_at: when,
        auto_accept_at: Timestamp(when.0 + 7 * DAY),
    })
}

fn vendor_shares(cents: u64) -> Vec<RevenueShare> {
    let fee = cents / 10;
    let mut shares = Vec::new();
    if cents - fee > 0 {
        shares.push(RevenueShare {
            account: Account::Vendor(VENDOR.into()),
            amount_cents: cents - fee,
        });
    }
    if fee > 0 {
        shares.push(RevenueShare {
            account: Account::Platform,
            amount_cents: fee,
        });
    }
    shares
}

fn accepted(index: u32, cents: u64, automatic: bool, when: Timestamp) -> ContractEvent {
    ContractEvent::Accepted(MilestoneAccepted {
        contract_id: ID.into(),
        index,
        amount: cny(cents),
        shares: vendor_shares(cents),
        automatic,
        accepted_at: when,
    })
}

fn disputed(index: u32, by: Party) -> ContractEvent {
    ContractEvent::Disputed(MilestoneDisputed {
        contract_id: ID.into(),
        index,
        by,
        reason: "late".into(),
        disputed_at: at(2),
    })
}

fn completed(when: Timestamp) -> ContractEvent {
    ContractEvent::Completed(ContractCompleted {
        contract_id: ID.into(),
        completed_at: when,
    })
}

fn story(actor: &str, now: Timestamp) -> Story<Contract> {
    Story::new(ID).by(actor).at(now)
}

fn accept() -> ContractCommand {
    ContractCommand::Accept {
        index: 0,
        fee_bps: FEE_BPS,
    }
}

#[test]
fn an_award_opens_the_contract_once() {
    story(CLIENT, T0)
        .when(&open_command())
        .then_events(&[opened()]);
    // The award route and a reconcile may both open it: no second event.
    story(CLIENT, at(1))
        .given([opened()])
        .when(&open_command())
        .then_events(&[]);
    let other = ContractCommand::Open {
        requirement_id: ID.into(),
        client_id: CLIENT.into(),
        vendor_id: "someone-else".into(),
        price: cny(10_000),
        milestones: milestones(),
    };
    story(CLIENT, at(1))
        .given([opened()])
        .when(&other)
        .then_error(&ContractError::ContractExists);
}

#[test]
fn an_award_whose_milestones_do_not_add_up_is_refused() {
    let bad = ContractCommand::Open {
        requirement_id: ID.into(),
        client_id: CLIENT.into(),
        vendor_id: VENDOR.into(),
        price: cny(9_999),
        milestones: milestones(),
    };
    story(CLIENT, T0)
        .when(&bad)
        .then_error(&ContractError::InvalidTerms(
            "the milestones add up to 10000, the price is 9999".into(),
        ));
    let own = ContractCommand::Open {
        requirement_id: ID.into(),
        client_id: CLIENT.into(),
        vendor_id: CLIENT.into(),
        price: cny(10_000),
        milestones: milestones(),
    };
    story(CLIENT, T0)
        .when(&own)
        .then_error(&ContractError::InvalidTerms(
            "the client cannot award its own requirement to itself".into(),
        ));
}

#[test]
fn fund_submit_accept_releases_the_escrow_minus_the_fee() {
    story(CLIENT, T0)
        .given([opened()])
        .when(&ContractCommand::Fund { index: 0 })
        .then_events(&[funded(0, 3_000)]);
    story(VENDOR, at(1))
        .given([opened(), funded(0, 3_000)])
        .when(&ContractCommand::Submit {
            index: 0,
            note: String::new(),
            auto_accept_after_micros: 7 * DAY,
        })
        .then_events(&[submitted(0, at(1))]);
    story(CLIENT, at(2))
        .given([opened(), funded(0, 3_000), submitted(0, at(1))])
        .when(&accept())
        .then_events(&[accepted(0, 3_000, false, at(2))]);
}

#[test]
fn the_last_settled_milestone_completes_the_contract() {
    let state = story(CLIENT, at(9))
        .given([
            opened(),
            funded(0, 3_000),
            submitted(0, at(1)),
            accepted(0, 3_000, false, at(2)),
            funded(1, 7_000),
            submitted(1, at(8)),
        ])
        .when(&ContractCommand::Accept {
            index: 1,
            fee_bps: FEE_BPS,
        })
        .then_events(&[accepted(1, 7_000, false, at(9)), completed(at(9))]);
    assert!(state.is_completed());
}

#[test]
fn only_the_right_side_moves_a_milestone() {
    let given = [opened(), funded(0, 3_000), submitted(0, at(1))];
    story(VENDOR, at(2))
        .given(given.clone())
        .when(&accept())
        .then_error(&ContractError::NotClient);
    story(CLIENT, at(2))
        .given([opened(), funded(0, 3_000)])
        .when(&ContractCommand::Submit {
            index: 0,
            note: String::new(),
            auto_accept_after_micros: DAY,
        })
        .then_error(&ContractError::NotVendor);
    story("stranger", at(2))
        .given(given)
        .when(&ContractCommand::Dispute {
            index: 0,
            reason: String::new(),
        })
        .then_error(&ContractError::NotParty);
    story(VENDOR, T0)
        .given([opened()])
        .when(&ContractCommand::Fund { index: 0 })
        .then_error(&ContractError::NotClient);
    story(CLIENT, at(3))
        .given([
            opened(),
            funded(0, 3_000),
            submitted(0, at(1)),
            disputed(0, Party::Client),
        ])
        .when(&ContractCommand::Resolve {
            index: 0,
            vendor_cents: 0,
            note: String::new(),
            fee_bps: FEE_BPS,
            by_admin: false,
        })
        .then_error(&ContractError::NeedsAdmin);
}

#[test]
fn stages_are_enforced_and_indexes_checked() {
    story(VENDOR, T0)
        .given([opened()])
        .when(&ContractCommand::Submit {
            index: 0,
            note: String::new(),
            auto_accept_after_micros: DAY,
        })
        .then_error(&ContractError::MilestoneStage {
            index: 0,
            stage: MilestoneStage::Unfunded,
            needs: "in_progress (funded, or sent back for changes)",
        });
    story(CLIENT, T0)
        .given([opened(), funded(0, 3_000)])
        .when(&ContractCommand::Fund { index: 0 })
        .then_error(&ContractError::MilestoneStage {
            index: 0,
            stage: MilestoneStage::InProgress,
            needs: "unfunded",
        });
    for index in [2, u64::from(u32::MAX) + 1, 1 << 63, u64::MAX] {
        story(CLIENT, T0)
            .given([opened()])
            .when(&ContractCommand::Fund { index })
            .then_error(&ContractError::MilestoneNotFound(index));
    }
    story(CLIENT, T0)
        .when(&ContractCommand::Fund { index: 0 })
        .then_error(&ContractError::ContractNotFound);
}

#[test]
fn changes_requested_send_the_milestone_back_with_its_escrow() {
    let state = story(CLIENT, at(2))
        .given([opened(), funded(0, 3_000), submitted(0, at(1))])
        .when(&ContractCommand::RequestChanges {
            index: 0,
            reason: "the login fails".into(),
        })
        .then_events(
            &[ContractEvent::ChangesRequested(MilestoneChangesRequested {
                contract_id: ID.into(),
                index: 0,
                reason: "the login fails".into(),
                requested_at: at(2),
            })],
        );
    let m = &state.milestones()[0];
    assert_eq!(m.stage, MilestoneStage::InProgress);
    assert_eq!(m.held_cents, 3_000);
    assert_eq!(m.auto_accept_at, None);
}

#[test]
fn an_unanswered_submission_is_accepted_automatically_when_due() {
    let given = [opened(), funded(0, 3_000), submitted(0, at(1))];
    // Not due yet: nothing.
    story(SWEEPER_ACTOR, at(7))
        .given(given.clone())
        .when(&ContractCommand::Sweep { fee_bps: FEE_BPS })
        .then_events(&[]);
    story(SWEEPER_ACTOR, at(8))
        .given(given)
        .when(&ContractCommand::Sweep { fee_bps: FEE_BPS })
        .then_events(&[accepted(0, 3_000, true, at(8))]);
    // A disputed submission is never accepted automatically.
    story(SWEEPER_ACTOR, at(30))
        .given([
            opened(),
            funded(0, 3_000),
            submitted(0, at(1)),
            disputed(0, Party::Vendor),
        ])
        .when(&ContractCommand::Sweep { fee_bps: FEE_BPS })
        .then_events(&[]);
}

#[test]
fn an_admin_resolves_a_dispute_with_a_split() {
    let given = [
        opened(),
        funded(0, 3_000),
        submitted(0, at(1)),
        disputed(0, Party::Client),
    ];
    story(ADMIN, at(3))
        .given(given.clone())
        .when(&ContractCommand::Resolve {
            index: 0,
            vendor_cents: 2_000,
            note: "half done".into(),
            fee_bps: FEE_BPS,
            by_admin: true,
        })
        .then_events(&[ContractEvent::Resolved(DisputeResolved {
            contract_id: ID.into(),
            index: 0,
            currency: "CNY".into(),
            vendor_cents: 2_000,
            refund_cents: 1_000,
            shares: vendor_shares(2_000),
            note: "half done".into(),
            resolved_at: at(3),
            resolved_by: ADMIN.into(),
        })]);
    story(ADMIN, at(3))
        .given(given)
        .when(&ContractCommand::Resolve {
            index: 0,
            vendor_cents: 3_001,
            note: String::new(),
            fee_bps: FEE_BPS,
            by_admin: true,
        })
        .then_error(&ContractError::SplitAboveAmount {
            vendor_cents: 3_001,
            amount_cents: 3_000,
        });
}

#[test]
fn reviews_come_after_completion_once_per_side() {
    let done = [
        opened(),
        funded(0, 3_000),
        submitted(0, at(1)),
        accepted(0, 3_000, false, at(2)),
        funded(1, 7_000),
        submitted(1, at(3)),
        accepted(1, 7_000, false, at(4)),
        completed(at(4)),
    ];
    let review = ContractCommand::Review {
        quality: 5,
        communication: 4,
        timeliness: 3,
        text: " great ".into(),
    };
    story(CLIENT, at(3))
        .given(done[..4].to_vec())
        .when(&review)
        .then_error(&ContractError::NotCompleted);
    let reviewed = ContractEvent::Reviewed(ContractReviewed {
        contract_id: ID.into(),
        by: Party::Client,
        reviewer_id: CLIENT.into(),
        reviewee_id: VENDOR.into(),
        quality: 5,
        communication: 4,
        timeliness: 3,
        text: "great".into(),
        reviewed_at: at(5),
    });
    story(CLIENT, at(5))
        .given(done.clone())
        .when(&review)
        .then_events(std::slice::from_ref(&reviewed));
    let mut again = done.to_vec();
    again.push(reviewed);
    story(CLIENT, at(6))
        .given(again.clone())
        .when(&review)
        .then_error(&ContractError::AlreadyReviewed);
    story(VENDOR, at(6))
        .given(again)
        .when(&ContractCommand::Review {
            quality: 6,
            communication: 4,
            timeliness: 3,
            text: String::new(),
        })
        .then_error(&ContractError::ScoreOutOfRange {
            field: "quality",
            score: 6,
        });
    story("stranger", at(6))
        .given(done)
        .when(&ContractCommand::Review {
            quality: 0,
            communication: 0,
            timeliness: 0,
            text: String::new(),
        })
        .then_error(&ContractError::NotParty);
}

/// One step of a random run: who sends what, and how far time moves first.
#[derive(Clone, Debug)]
enum Step {
    Fund(u64),
    Submit(u64),
    Accept(u64),
    RequestChanges(u64),
    Dispute(u64, bool),
    Resolve(u64, u64),
    Sweep(i64),
    Wrong(u64),
}

fn step() -> impl Strategy<Value = Step> {
    let index = prop_oneof![0u64..4, Just(u64::MAX)];
    prop_oneof![
        index.clone().prop_map(Step::Fund),
        index.clone().prop_map(Step::Submit),
        index.clone().prop_map(Step::Accept),
        index.clone().prop_map(Step::RequestChanges),
        (index.clone(), any::<bool>()).prop_map(|(i, v)| Step::Dispute(i, v)),
        (index.clone(), 0u64..=12_000).prop_map(|(i, c)| Step::Resolve(i, c)),
        (0i64..10).prop_map(Step::Sweep),
        index.prop_map(Step::Wrong),
    ]
}

/// Records `event` as the `version`-th event of the contract's stream.
fn record(event: &ContractEvent, version: u64, position: u64) -> RecordedEvent {
    RecordedEvent {
        id: Uuid::now_v7(),
        stream: StreamName::new(format!("contract-{ID}")).expect("stream name"),
        version,
        position,
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        recorded_at: Timestamp(0),
        metadata: EventMetadata::default(),
        payload: event.encode_payload().expect("encodes").into(),
    }
}

proptest! {
    /// Per contract, funded = released + refunded + held after every step,
    /// in the ledger and in the contracts view alike, and both agree with
    /// the aggregate's own escrow; the ledger's own invariants hold too.
    #[test]
    fn escrow_always_balances(
        amounts in proptest::collection::vec(1u64..5_000, 1..4),
        steps in proptest::collection::vec(step(), 0..40),
        fee_bps in 0u32..=10_000,
    ) {
        let terms: Vec<MilestoneTerms> = amounts
            .iter()
            .enumerate()
            .map(|(i, a)| MilestoneTerms::from((format!("m{i}"), *a, 10)))
            .collect();
        let price = cny(amounts.iter().sum());
        let mut contract = Contract::default();
        let mut ledger = LedgerView::default();
        let mut view = ContractsView::default();
        let mut version = 0u64;
        let mut now = T0;
        let open = ContractCommand::Open {
            requirement_id: ID.into(),
            client_id: CLIENT.into(),
            vendor_id: VENDOR.into(),
            price,
            milestones: terms,
        };
        let mut commands = vec![(CLIENT, open)];
        for step in steps {
            let (who, command) = match step {
                Step::Fund(index) => (CLIENT, ContractCommand::Fund { index }),
                Step::Submit(index) => (VENDOR, ContractCommand::Submit {
                    index, note: String::new(), auto_accept_after_micros: 3 * DAY,
                }),
                Step::Accept(index) => (CLIENT, ContractCommand::Accept { index, fee_bps }),
                Step::RequestChanges(index) => (CLIENT, ContractCommand::RequestChanges {
                    index, reason: String::new(),
                }),
                Step::Dispute(index, vendor) => (
                    if vendor { VENDOR } else { CLIENT },
                    ContractCommand::Dispute { index, reason: String::new() },
                ),
                Step::Resolve(index, vendor_cents) => (ADMIN, ContractCommand::Resolve {
                    index, vendor_cents, note: String::new(), fee_bps, by_admin: true,
                }),
                Step::Sweep(days) => {
                    now = Timestamp(now.0 + days * DAY);
                    (SWEEPER_ACTOR, ContractCommand::Sweep { fee_bps })
                }
                Step::Wrong(index) => (VENDOR, ContractCommand::Accept { index, fee_bps }),
            };
            commands.push((who, command));
        }
        for (who, command) in commands {
            let ctx = CommandContext {
                aggregate_id: ID.into(),
                now,
                actor_id: Some(who.into()),
            };
            let Ok(events) = contract.handle(&command, &ctx) else {
                continue;
            };
            for event in &events {
                contract.apply(event);
                let recorded = record(event, version, version);
                version += 1;
                prop_assert_eq!(ledger.apply(&recorded), Ok(()));
                prop_assert_eq!(view.apply(&recorded), Ok(()));
            }
            prop_assert_eq!(ledger.check(), Ok(()));
            let held: u128 = contract.milestones().iter().map(|m| u128::from(m.held_cents)).sum();
            let card = view.contract(ID).expect("opened first");
            let totals = card.escrow();
            prop_assert_eq!(totals.funded, totals.released + totals.refunded + totals.held);
            prop_assert_eq!(totals.held, held);
            if let Some(escrow) = ledger.escrow(ID) {
                prop_assert!(escrow.balances());
                prop_assert_eq!(escrow.funded, totals.funded as i128);
                prop_assert_eq!(escrow.released, totals.released as i128);
                prop_assert_eq!(escrow.refunded, totals.refunded as i128);
                prop_assert_eq!(escrow.held, held as i128);
            } else {
                prop_assert_eq!(totals.funded, 0);
            }
            let settled = card.milestones.iter().all(|m| m.stage.is_settled());
            prop_assert_eq!(card.completed_at.is_some(), settled);
            prop_assert_eq!(contract.is_completed(), settled);
        }
    }
}
