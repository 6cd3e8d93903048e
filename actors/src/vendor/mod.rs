//! The Vendor aggregate: an outsourcing vendor's public profile — skills,
//! team size, capacity (most concurrent contracts), hourly rate, portfolio,
//! languages and the content items its members published. One stream per
//! vendor user (`vendor-{user id}`); the profile is replaced as a whole.
//!
//! Pure like every aggregate: whether the caller holds the vendor role is
//! the service's check (it reads the users view); the time comes from the
//! [`CommandContext`]. Reputation and current load are not part of the
//! profile: they are read models of contracts.

pub(crate) mod rules;
mod service;
#[cfg(test)]
mod tests;

use agora_events::domain::money::{Money, MoneyError};
use agora_events::domain::vendor::{VendorEvent, VendorProfileSet};

pub use rules::{
    MAX_CAPACITY, MAX_CONTENT_IDS, MAX_LANGUAGE_CHARS, MAX_LANGUAGES, MAX_PORTFOLIO_CHARS,
    MAX_SKILLS, MAX_TAG_CHARS, MAX_TEAM_SIZE, MIN_LANGUAGE_CHARS,
};
pub use service::{VendorService, VendorServiceError};

use crate::aggregate::{Aggregate, CommandContext};

/// A profile as the vendor sends it (checked and normalised by the
/// aggregate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorProfile {
    /// Skill tags.
    pub skills: Vec<String>,
    /// People on the team.
    pub team_size: u32,
    /// Most contracts at once (1 to [`MAX_CAPACITY`]).
    pub capacity: u32,
    /// The hourly rate.
    pub hourly_rate: Money,
    /// Free text.
    pub portfolio: String,
    /// Working languages (`en`, `zh`, `zh-CN`).
    pub languages: Vec<String>,
    /// Content items its members published.
    pub content_ids: Vec<String>,
}

/// What a vendor is asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorCommand {
    /// Set (replace) the public profile. The caller is `ctx.actor_id`,
    /// which must be the vendor itself unless `by_admin`.
    SetProfile {
        /// The new profile.
        profile: VendorProfile,
        /// Whether the caller is an admin (acting for the vendor).
        by_admin: bool,
    },
}

/// Why a vendor refuses a command: one variant per rule; each doc names the
/// HTTP status to answer with. None is worth retrying unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VendorError {
    /// The command needs a known caller (401).
    #[error("the caller is not known")]
    Unauthenticated,
    /// Only the vendor itself (or an admin) sets its profile (403).
    #[error("only the vendor itself or an admin sets its profile")]
    NotTheVendor,
    /// A field breaks its rule; the message names it (422).
    #[error("{0}")]
    Invalid(String),
    /// The hourly rate breaks the one rule of money (422
    /// `price-out-of-range`).
    #[error("the hourly rate is out of range: {0}")]
    RateOutOfRange(MoneyError),
}

/// A vendor's decision state: its current profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vendor {
    profile: Option<VendorProfileSet>,
}

impl Vendor {
    /// The current profile, once set.
    pub fn profile(&self) -> Option<&VendorProfileSet> {
        self.profile.as_ref()
    }
}

impl Aggregate for Vendor {
    type Command = VendorCommand;
    type Event = VendorEvent;
    type Error = VendorError;
    const CATEGORY: &'static str = "vendor";

    fn handle(
        &self,
        command: &VendorCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<VendorEvent>, VendorError> {
        let VendorCommand::SetProfile { profile, by_admin } = command;
        let caller = ctx
            .actor_id
            .as_deref()
            .ok_or(VendorError::Unauthenticated)?;
        if caller != ctx.aggregate_id && !by_admin {
            return Err(VendorError::NotTheVendor);
        }
        let set = VendorProfileSet {
            vendor_id: ctx.aggregate_id.clone(),
            skills: rules::tags(&profile.skills, MAX_SKILLS, "skill")?,
            team_size: rules::team_size(profile.team_size)?,
            capacity: rules::capacity(profile.capacity)?,
            hourly_rate: rules::rate(&profile.hourly_rate)?,
            portfolio: rules::portfolio(&profile.portfolio)?,
            languages: rules::languages(&profile.languages)?,
            content_ids: rules::content_ids(&profile.content_ids)?,
            set_at: ctx.now,
        };
        let unchanged = self.profile.as_ref().is_some_and(|old| {
            VendorProfileSet {
                set_at: ctx.now,
                ..old.clone()
            } == set
        });
        if unchanged {
            return Ok(Vec::new());
        }
        Ok(vec![VendorEvent::ProfileSet(set)])
    }

    fn apply(&mut self, event: &VendorEvent) {
        match event {
            VendorEvent::ProfileSet(e) => self.profile = Some(e.clone()),
        }
    }
}
