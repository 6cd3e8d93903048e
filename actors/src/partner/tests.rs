//! Stories of the Partner aggregate.

use agora_events::Timestamp;
use agora_events::domain::partner::{
    PartnerEvent, PartnerRegistered, PartnerReinstated, PartnerShareChanged, PartnerSuspended,
};

use super::{Partner, PartnerCommand, PartnerError};
use crate::aggregate::testing::Story;

const T0: Timestamp = Timestamp(1_700_000_000_000_000);
const ADMIN: &str = "root";

fn story() -> Story<Partner> {
    Story::new("acme").at(T0).by(ADMIN)
}

fn register(share_bps: u32) -> PartnerCommand {
    PartnerCommand::Register {
        name: "  Acme Learning ".into(),
        user_id: "acme-bot".into(),
        share_bps,
        max_share_bps: 8_000,
    }
}

fn registered() -> PartnerEvent {
    PartnerEvent::Registered(PartnerRegistered {
        partner_id: "acme".into(),
        name: "Acme Learning".into(),
        user_id: "acme-bot".into(),
        share_bps: 1_500,
        registered_at: T0,
    })
}

fn suspended() -> PartnerEvent {
    PartnerEvent::Suspended(PartnerSuspended {
        reason: "unpaid".into(),
        suspended_at: T0,
    })
}

#[test]
fn an_admin_registers_a_partner_with_its_share() {
    let partner = story().when(&register(1_500)).then_events(&[registered()]);
    assert_eq!(partner.name(), "Acme Learning");
    assert_eq!(partner.user_id(), Some("acme-bot"));
    assert_eq!(partner.share_bps(), Some(1_500));
    assert!(!partner.is_suspended());
}

#[test]
fn registration_is_checked() {
    story()
        .given([registered()])
        .when(&register(1_500))
        .then_error(&PartnerError::AlreadyRegistered);
    story()
        .when(&register(8_001))
        .then_error(&PartnerError::ShareTooHigh {
            share_bps: 8_001,
            max_bps: 8_000,
        });
    story()
        .when(&PartnerCommand::Register {
            name: " ".into(),
            user_id: "acme-bot".into(),
            share_bps: 0,
            max_share_bps: 8_000,
        })
        .then_error(&PartnerError::EmptyName);
    Story::<Partner>::new("acme")
        .when(&register(1_500))
        .then_error(&PartnerError::Unauthenticated);
}

#[test]
fn the_share_changes_for_future_sales_only_when_it_differs() {
    let partner = story()
        .given([registered()])
        .when(&PartnerCommand::ChangeShare {
            share_bps: 1_000,
            max_share_bps: 8_000,
        })
        .then_events(&[PartnerEvent::ShareChanged(PartnerShareChanged {
            previous_bps: 1_500,
            share_bps: 1_000,
            changed_at: T0,
        })]);
    assert_eq!(partner.share_bps(), Some(1_000));
    story()
        .given([registered()])
        .when(&PartnerCommand::ChangeShare {
            share_bps: 1_500,
            max_share_bps: 8_000,
        })
        .then_events(&[]);
    story()
        .when(&PartnerCommand::ChangeShare {
            share_bps: 1_500,
            max_share_bps: 8_000,
        })
        .then_error(&PartnerError::NotRegistered);
}

#[test]
fn suspension_and_reinstatement() {
    let partner = story()
        .given([registered()])
        .when(&PartnerCommand::Suspend {
            reason: " unpaid ".into(),
        })
        .then_events(&[suspended()]);
    assert!(partner.is_suspended());
    story()
        .given([registered(), suspended()])
        .when(&PartnerCommand::Suspend {
            reason: String::new(),
        })
        .then_error(&PartnerError::AlreadySuspended);
    let partner = story()
        .given([registered(), suspended()])
        .when(&PartnerCommand::Reinstate)
        .then_events(&[PartnerEvent::Reinstated(PartnerReinstated {
            reinstated_at: T0,
        })]);
    assert!(!partner.is_suspended());
    story()
        .given([registered()])
        .when(&PartnerCommand::Reinstate)
        .then_error(&PartnerError::NotSuspended);
}
