//! Events of the Vendor aggregate: an outsourcing vendor's public profile
//! (skills, team, capacity, rate, portfolio, languages and the content
//! items its members published), one stream per vendor user
//! (`vendor-{user id}`).
//!
//! The profile is replaced as a whole (`PUT`), so one event type carries
//! every field: a reader needs only the last one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use super::money::Money;
use crate::model::Timestamp;

/// A vendor set (or replaced) its public profile.
///
/// Guarantees: `vendor_id` named a user holding the vendor role at the
/// time; skills and languages are trimmed, lowercased, deduplicated and
/// sorted, within the aggregate's limits; `team_size` is at least 1;
/// `capacity` is 1 to 100; `hourly_rate` passed [`Money::check`];
/// `content_ids` are valid ids, deduplicated, in the order given. The
/// profile differs from the previous one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VendorProfileSet {
    /// The vendor (a user id; the aggregate id).
    pub vendor_id: String,
    /// Skill tags (`rust`, `react`, `机器学习`).
    pub skills: Vec<String>,
    /// People on the team.
    pub team_size: u32,
    /// Most contracts the vendor runs at once.
    pub capacity: u32,
    /// What an hour of work costs.
    pub hourly_rate: Money,
    /// Free text: past work, references.
    pub portfolio: String,
    /// Languages the team works in (`en`, `zh`).
    pub languages: Vec<String>,
    /// Content items its members published (evidence of skill).
    pub content_ids: Vec<String>,
    /// When it was set.
    pub set_at: Timestamp,
}

domain_events! {
    /// Every event of the Vendor aggregate; type names are prefixed with
    /// `Vendor` so they stay unique across `$all`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum VendorEvent;
    /// A vendor event before its payload is decoded.
    pub enum LazyVendorEvent;
    /// See [`VendorProfileSet`].
    ProfileSet(VendorProfileSet) = "VendorProfileSet" version 1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;

    #[test]
    fn vendor_events_round_trip() {
        let event = VendorEvent::ProfileSet(VendorProfileSet {
            vendor_id: "acme-dev".into(),
            skills: vec!["rust".into(), "机器学习".into()],
            team_size: 12,
            capacity: 3,
            hourly_rate: Money {
                amount_cents: 30_000,
                currency: "CNY".into(),
            },
            portfolio: "Payments, search.".into(),
            languages: vec!["en".into(), "zh".into()],
            content_ids: vec!["rust-101".into()],
            set_at: Timestamp(1),
        });
        let bytes = event.encode_payload().unwrap_or_default();
        let back = VendorEvent::decode(event.event_type(), 1, &bytes);
        assert_eq!(back.ok(), Some(event));
        assert!(VendorEvent::decode("VendorProfileSet", 2, &[]).is_err());
    }
}
