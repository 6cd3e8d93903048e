//! The Partner aggregate: a partner platform registered by an admin, the
//! share of each sale of its items it takes (changed for future sales
//! only), and whether it is suspended.
//!
//! Pure domain logic like every aggregate: the caller's rights (admins
//! register, change and suspend) are checked by the HTTP layer, the
//! platform fee that bounds the share comes in with the command, and the
//! time comes from the [`CommandContext`].
//!
//! Catalog imports ([`PartnerService::import`]) run through the Content
//! aggregate: each imported item is its own content stream, drafted,
//! listed by the partner (`ContentListedByPartner`), priced and published
//! in one append.

mod command;
mod import;
mod service;
#[cfg(test)]
mod tests;

use agora_events::domain::partner::{
    PartnerEvent, PartnerRegistered, PartnerReinstated, PartnerShareChanged, PartnerSuspended,
};
use agora_events::domain::revenue::BPS_SCALE;

pub use command::{PartnerCommand, PartnerError};
pub use import::{
    ImportItem, ImportItemError, ImportOutcome, ImportSettings, ImportStatus, Imported,
    content_id_for,
};
pub use service::{PartnerService, PartnerServiceError};

use crate::aggregate::{Aggregate, CommandContext};

/// Longest partner name, in characters after trimming.
pub const MAX_PARTNER_NAME_CHARS: usize = 200;
/// Longest suspension reason, in characters after trimming.
pub const MAX_REASON_CHARS: usize = 1000;

/// A registered partner's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Terms {
    name: String,
    user_id: String,
    share_bps: u32,
}

/// A partner's decision state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Partner {
    terms: Option<Terms>,
    suspended: bool,
}

impl Partner {
    /// Whether the partner was registered.
    pub fn is_registered(&self) -> bool {
        self.terms.is_some()
    }

    /// The public name (empty before registration).
    pub fn name(&self) -> &str {
        self.terms.as_ref().map_or("", |t| t.name.as_str())
    }

    /// The user account the partner acts through, once registered.
    pub fn user_id(&self) -> Option<&str> {
        self.terms.as_ref().map(|t| t.user_id.as_str())
    }

    /// The share of future sales, in basis points, once registered.
    pub fn share_bps(&self) -> Option<u32> {
        self.terms.as_ref().map(|t| t.share_bps)
    }

    /// Whether the partner is suspended (imports are refused).
    pub fn is_suspended(&self) -> bool {
        self.suspended
    }

    fn registered(&self) -> Result<&Terms, PartnerError> {
        self.terms.as_ref().ok_or(PartnerError::NotRegistered)
    }
}

/// Trims and checks a partner name.
fn valid_name(name: &str) -> Result<String, PartnerError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(PartnerError::EmptyName);
    }
    if name.chars().count() > MAX_PARTNER_NAME_CHARS {
        return Err(PartnerError::NameTooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(PartnerError::ControlCharacter);
    }
    Ok(name.to_owned())
}

/// Checks a share against the largest the platform fee leaves.
fn valid_share(share_bps: u32, max_share_bps: u32) -> Result<u32, PartnerError> {
    let max_bps = max_share_bps.min(BPS_SCALE);
    if share_bps > max_bps {
        return Err(PartnerError::ShareTooHigh { share_bps, max_bps });
    }
    Ok(share_bps)
}

impl Aggregate for Partner {
    type Command = PartnerCommand;
    type Event = PartnerEvent;
    type Error = PartnerError;
    const CATEGORY: &'static str = "partner";

    fn handle(
        &self,
        command: &PartnerCommand,
        ctx: &CommandContext,
    ) -> Result<Vec<PartnerEvent>, PartnerError> {
        if ctx.actor_id.is_none() {
            return Err(PartnerError::Unauthenticated);
        }
        match command {
            PartnerCommand::Register {
                name,
                user_id,
                share_bps,
                max_share_bps,
            } => {
                if self.terms.is_some() {
                    return Err(PartnerError::AlreadyRegistered);
                }
                if !crate::user::valid_id(&ctx.aggregate_id) {
                    return Err(PartnerError::InvalidId("partner id"));
                }
                if !crate::user::valid_id(user_id) {
                    return Err(PartnerError::InvalidId("user id"));
                }
                Ok(vec![PartnerEvent::Registered(PartnerRegistered {
                    partner_id: ctx.aggregate_id.clone(),
                    name: valid_name(name)?,
                    user_id: user_id.clone(),
                    share_bps: valid_share(*share_bps, *max_share_bps)?,
                    registered_at: ctx.now,
                })])
            }
            PartnerCommand::ChangeShare {
                share_bps,
                max_share_bps,
            } => {
                let terms = self.registered()?;
                let share_bps = valid_share(*share_bps, *max_share_bps)?;
                if share_bps == terms.share_bps {
                    return Ok(Vec::new());
                }
                Ok(vec![PartnerEvent::ShareChanged(PartnerShareChanged {
                    previous_bps: terms.share_bps,
                    share_bps,
                    changed_at: ctx.now,
                })])
            }
            PartnerCommand::Suspend { reason } => {
                self.registered()?;
                if self.suspended {
                    return Err(PartnerError::AlreadySuspended);
                }
                let reason = reason.trim();
                if reason.chars().count() > MAX_REASON_CHARS {
                    return Err(PartnerError::ReasonTooLong);
                }
                Ok(vec![PartnerEvent::Suspended(PartnerSuspended {
                    reason: reason.to_owned(),
                    suspended_at: ctx.now,
                })])
            }
            PartnerCommand::Reinstate => {
                self.registered()?;
                if !self.suspended {
                    return Err(PartnerError::NotSuspended);
                }
                Ok(vec![PartnerEvent::Reinstated(PartnerReinstated {
                    reinstated_at: ctx.now,
                })])
            }
        }
    }

    fn apply(&mut self, event: &PartnerEvent) {
        match event {
            PartnerEvent::Registered(e) => {
                self.terms = Some(Terms {
                    name: e.name.clone(),
                    user_id: e.user_id.clone(),
                    share_bps: e.share_bps,
                });
            }
            PartnerEvent::ShareChanged(e) => {
                if let Some(terms) = &mut self.terms {
                    terms.share_bps = e.share_bps;
                }
            }
            PartnerEvent::Suspended(_) => self.suspended = true,
            PartnerEvent::Reinstated(_) => self.suspended = false,
        }
    }
}
