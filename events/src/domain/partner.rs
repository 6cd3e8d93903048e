//! Events of the Partner aggregate: a partner platform that imports catalog
//! items in bulk and takes a share of every sale of its items.
//!
//! A partner's share is a rate in basis points ([`BPS_SCALE`] = 100 %). It
//! is fixed into each sale when the sale happens (see
//! [`RevenueShare`](super::revenue::RevenueShare)): changing it only affects
//! future sales.
//!
//! [`BPS_SCALE`]: super::revenue::BPS_SCALE

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use crate::model::Timestamp;

/// An admin registered a partner platform.
///
/// Guarantees: the first event of every partner stream, and only there; the
/// name is trimmed, 1–200 characters without control characters; `user_id`
/// named a user holding the partner role at the time; `share_bps` plus the
/// platform fee at the time did not exceed 100 %.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartnerRegistered {
    /// The partner's id (the aggregate id).
    pub partner_id: String,
    /// The platform's public name.
    pub name: String,
    /// The user account the platform acts through (role partner).
    pub user_id: String,
    /// Its share of each sale of its items, in basis points.
    pub share_bps: u32,
    /// When it was registered.
    #[schemars(with = "i64")]
    pub registered_at: Timestamp,
}

/// An admin changed the partner's share of future sales.
///
/// Guarantees: the partner was registered; the share differs from the
/// previous one and, with the platform fee at the time, stays within 100 %.
/// Past sales keep the share they were made with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartnerShareChanged {
    /// The share before.
    pub previous_bps: u32,
    /// The share from now on.
    pub share_bps: u32,
    /// When it changed.
    #[schemars(with = "i64")]
    pub changed_at: Timestamp,
}

/// An admin suspended the partner: it imports nothing more until it is
/// reinstated. Items it listed stay on sale and its share of their sales is
/// still owed.
///
/// Guarantees: the partner was registered and not suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartnerSuspended {
    /// Why, as the admin wrote it (trimmed, may be empty).
    pub reason: String,
    /// When it was suspended.
    #[schemars(with = "i64")]
    pub suspended_at: Timestamp,
}

/// An admin lifted a suspension.
///
/// Guarantees: the partner was suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PartnerReinstated {
    /// When it was reinstated.
    #[schemars(with = "i64")]
    pub reinstated_at: Timestamp,
}

domain_events! {
    /// Every event of the Partner aggregate; type names are prefixed with
    /// `Partner` so they stay unique across `$all`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum PartnerEvent;
    /// A partner event before its payload is decoded.
    pub enum LazyPartnerEvent;
    /// See [`PartnerRegistered`].
    Registered(PartnerRegistered) = "PartnerRegistered" version 1,
    /// See [`PartnerShareChanged`].
    ShareChanged(PartnerShareChanged) = "PartnerShareChanged" version 1,
    /// See [`PartnerSuspended`].
    Suspended(PartnerSuspended) = "PartnerSuspended" version 1,
    /// See [`PartnerReinstated`].
    Reinstated(PartnerReinstated) = "PartnerReinstated" version 1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;

    #[test]
    fn partner_events_round_trip() {
        let events = [
            PartnerEvent::Registered(PartnerRegistered {
                partner_id: "acme".into(),
                name: "Acme Learning".into(),
                user_id: "acme-bot".into(),
                share_bps: 1_500,
                registered_at: Timestamp(1),
            }),
            PartnerEvent::ShareChanged(PartnerShareChanged {
                previous_bps: 1_500,
                share_bps: 1_000,
                changed_at: Timestamp(2),
            }),
            PartnerEvent::Suspended(PartnerSuspended {
                reason: "unpaid invoice".into(),
                suspended_at: Timestamp(3),
            }),
            PartnerEvent::Reinstated(PartnerReinstated {
                reinstated_at: Timestamp(4),
            }),
        ];
        for event in events {
            let bytes = event.encode_payload().unwrap_or_default();
            let back = PartnerEvent::decode(event.event_type(), 1, &bytes);
            assert_eq!(back.ok(), Some(event));
        }
        assert!(PartnerEvent::decode("PartnerRegistered", 2, &[]).is_err());
        assert!(PartnerEvent::decode("ContentDrafted", 1, &[]).is_err());
    }
}
