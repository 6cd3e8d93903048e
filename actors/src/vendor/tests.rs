//! Stories of the Vendor aggregate.

use agora_events::Timestamp;
use agora_events::domain::money::{Money, MoneyError};
use agora_events::domain::vendor::{VendorEvent, VendorProfileSet};

use super::{Vendor, VendorCommand, VendorError, VendorProfile};
use crate::aggregate::testing::Story;

const T0: Timestamp = Timestamp(1_700_000_000_000_000);

fn profile(capacity: u32) -> VendorProfile {
    VendorProfile {
        skills: vec!["Rust".into(), " react ".into()],
        team_size: 5,
        capacity,
        hourly_rate: Money {
            amount_cents: 20_000,
            currency: "CNY".into(),
        },
        portfolio: " Payments. ".into(),
        languages: vec!["zh".into(), "en".into()],
        content_ids: vec!["rust-101".into()],
    }
}

fn set(capacity: u32) -> VendorEvent {
    VendorEvent::ProfileSet(VendorProfileSet {
        vendor_id: "acme".into(),
        skills: vec!["react".into(), "rust".into()],
        team_size: 5,
        capacity,
        hourly_rate: Money {
            amount_cents: 20_000,
            currency: "CNY".into(),
        },
        portfolio: "Payments.".into(),
        languages: vec!["en".into(), "zh".into()],
        content_ids: vec!["rust-101".into()],
        set_at: T0,
    })
}

fn command(capacity: u32) -> VendorCommand {
    VendorCommand::SetProfile {
        profile: profile(capacity),
        by_admin: false,
    }
}

#[test]
fn a_vendor_sets_its_profile_normalised() {
    let vendor = Story::<Vendor>::new("acme")
        .at(T0)
        .by("acme")
        .when(&command(3))
        .then_events(&[set(3)]);
    assert_eq!(vendor.profile().map(|p| p.capacity), Some(3));
}

#[test]
fn the_same_profile_again_records_nothing_and_a_new_one_replaces_it() {
    Story::<Vendor>::new("acme")
        .at(T0)
        .by("acme")
        .given([set(3)])
        .when(&command(3))
        .then_events(&[]);
    Story::<Vendor>::new("acme")
        .at(T0)
        .by("acme")
        .given([set(3)])
        .when(&command(4))
        .then_events(&[set(4)]);
}

#[test]
fn only_the_vendor_or_an_admin_sets_it_and_every_field_is_checked() {
    Story::<Vendor>::new("acme")
        .by("other")
        .when(&command(3))
        .then_error(&VendorError::NotTheVendor);
    Story::<Vendor>::new("acme")
        .at(T0)
        .by("root")
        .when(&VendorCommand::SetProfile {
            profile: profile(3),
            by_admin: true,
        })
        .then_events(&[set(3)]);
    Story::<Vendor>::new("acme")
        .when(&command(3))
        .then_error(&VendorError::Unauthenticated);
    Story::<Vendor>::new("acme")
        .by("acme")
        .when(&command(0))
        .then_error(&VendorError::Invalid(
            "capacity must be 1 to 100, got 0".into(),
        ));
    let mut rich = profile(3);
    rich.hourly_rate.amount_cents = Money::MAX_MINOR_UNITS + 1;
    Story::<Vendor>::new("acme")
        .by("acme")
        .when(&VendorCommand::SetProfile {
            profile: rich,
            by_admin: false,
        })
        .then_error(&VendorError::RateOutOfRange(MoneyError::AboveCeiling {
            amount: Money::MAX_MINOR_UNITS + 1,
        }));
}
