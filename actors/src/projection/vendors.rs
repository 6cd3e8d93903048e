//! The vendors read model: every vendor's current public profile, by id,
//! folded from the Vendor events.

use std::collections::BTreeMap;

use agora_events::Timestamp;
use agora_events::domain::DomainEvent;
use agora_events::domain::money::Money;
use agora_events::domain::vendor::VendorEvent;
use serde::{Deserialize, Serialize};

use super::{Projection, SharedEvent};

/// One vendor's profile as the read side sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorCard {
    /// The vendor's user id.
    pub id: String,
    /// Skill tags.
    pub skills: Vec<String>,
    /// People on the team.
    pub team_size: u32,
    /// Most contracts at once.
    pub capacity: u32,
    /// The hourly rate.
    pub hourly_rate: Money,
    /// Free text.
    pub portfolio: String,
    /// Working languages.
    pub languages: Vec<String>,
    /// Content items its members published.
    pub content_ids: Vec<String>,
    /// When the profile was last set.
    pub updated_at: Timestamp,
    /// The aggregate version this card reflects (the HTTP `ETag`).
    pub version: u64,
}

/// Every vendor profile, by vendor id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct VendorsView {
    vendors: BTreeMap<String, VendorCard>,
}

impl VendorsView {
    /// The profile of `vendor_id`, if it set one.
    pub fn get(&self, vendor_id: &str) -> Option<&VendorCard> {
        self.vendors.get(vendor_id)
    }

    /// Every profile, by vendor id.
    pub fn iter(&self) -> impl Iterator<Item = &VendorCard> {
        self.vendors.values()
    }

    /// Number of vendors with a profile.
    pub fn len(&self) -> usize {
        self.vendors.len()
    }

    /// Whether no vendor set a profile.
    pub fn is_empty(&self) -> bool {
        self.vendors.is_empty()
    }
}

impl Projection for VendorsView {
    const NAME: &'static str = "vendors";
    const VERSION: u32 = 1;

    fn apply_shared(&mut self, event: &SharedEvent<'_>) -> Result<(), String> {
        let recorded = event.recorded();
        if !VendorEvent::TYPES.contains(&recorded.event_type.as_str()) {
            return Ok(());
        }
        match VendorEvent::from_recorded(recorded).map_err(|e| e.to_string())? {
            VendorEvent::ProfileSet(e) => {
                self.vendors.insert(
                    e.vendor_id.clone(),
                    VendorCard {
                        id: e.vendor_id,
                        skills: e.skills,
                        team_size: e.team_size,
                        capacity: e.capacity,
                        hourly_rate: e.hourly_rate,
                        portfolio: e.portfolio,
                        languages: e.languages,
                        content_ids: e.content_ids,
                        updated_at: e.set_at,
                        version: recorded.version,
                    },
                );
            }
        }
        Ok(())
    }
}
