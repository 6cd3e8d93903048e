//! The decisions of the Requirement aggregate, one function per command.
//! Checks run in the order of their HTTP status: 404, 401/403, 409, then
//! 422.

use agora_events::domain::requirement::{
    BidDeclined, BidPlaced, BidRevised, BidTerms, BidWithdrawn, RequirementAwarded,
    RequirementCancelled, RequirementEdited, RequirementEvent, RequirementExtended,
    RequirementPosted, RequirementTerms, Visibility,
};

use super::rules::{self, MAX_REASON_CHARS};
use super::{
    BidStanding, NewBid, NewTerms, Posting, Requirement, RequirementError, Stage, TermsPatch,
};
use crate::aggregate::CommandContext;

type Decision = Result<Vec<RequirementEvent>, RequirementError>;

/// The caller's user id, or why there is none.
fn caller(ctx: &CommandContext) -> Result<&str, RequirementError> {
    ctx.actor_id
        .as_deref()
        .ok_or(RequirementError::Unauthenticated)
}

impl Requirement {
    fn posted(&self) -> Result<&Posting, RequirementError> {
        self.posting.as_ref().ok_or(RequirementError::NotFound)
    }

    /// The posting, if it is still open (neither awarded nor cancelled).
    fn open(&self) -> Result<&Posting, RequirementError> {
        let posting = self.posted()?;
        match self.stage {
            Stage::Open => Ok(posting),
            Stage::Awarded(_) => Err(RequirementError::AlreadyAwarded),
            Stage::Cancelled => Err(RequirementError::Cancelled),
        }
    }

    /// The posting, if the caller is its client.
    fn as_client<'a>(&'a self, ctx: &CommandContext) -> Result<&'a Posting, RequirementError> {
        let posting = self.posted()?;
        if caller(ctx)? != posting.client_id {
            return Err(RequirementError::NotTheClient);
        }
        Ok(posting)
    }

    /// Whether `user_id` may see the requirement: everyone, except for an
    /// invited-only one, which only its client and invited vendors see.
    pub fn visible_to(&self, user_id: &str) -> bool {
        self.posting.as_ref().is_some_and(|p| {
            p.terms.visibility != Visibility::Invited
                || p.client_id == user_id
                || p.terms.invited.iter().any(|v| v == user_id)
        })
    }

    pub(super) fn post(&self, ctx: &CommandContext, terms: &NewTerms) -> Decision {
        let client = caller(ctx)?;
        if self.posting.is_some() {
            return Err(RequirementError::Exists);
        }
        let terms = rules::terms(terms)?;
        if terms.invited.iter().any(|v| v == client) {
            return Err(RequirementError::Invalid(
                "a client cannot invite itself".into(),
            ));
        }
        Ok(vec![RequirementEvent::Posted(RequirementPosted {
            requirement_id: ctx.aggregate_id.clone(),
            client_id: client.to_owned(),
            bidding_closes_at: rules::closes_at(ctx.now, terms.bidding_days),
            terms,
            posted_at: ctx.now,
        })])
    }

    pub(super) fn edit(&self, ctx: &CommandContext, patch: &TermsPatch) -> Decision {
        let posting = self.as_client(ctx)?;
        self.open()?;
        let old = &posting.terms;
        let merged = NewTerms {
            title: patch.title.clone().unwrap_or_else(|| old.title.clone()),
            description: patch
                .description
                .clone()
                .unwrap_or_else(|| old.description.clone()),
            skills: patch.skills.clone().unwrap_or_else(|| old.skills.clone()),
            budget: patch.budget.clone().unwrap_or_else(|| old.budget.clone()),
            deadline_days: patch.deadline_days.unwrap_or(old.deadline_days),
            bidding_days: patch.bidding_days.unwrap_or(old.bidding_days),
            visibility: patch.visibility.unwrap_or(old.visibility),
            invited: match (&patch.invited, patch.visibility) {
                (Some(invited), _) => invited.clone(),
                // A new visibility without a list keeps the old list only
                // where it still applies.
                (None, Some(v)) if v != Visibility::Invited => Vec::new(),
                (None, _) => old.invited.clone(),
            },
        };
        let new = rules::terms(&merged)?;
        if new == *old {
            return Ok(Vec::new());
        }
        let closes_at = rules::closes_at(posting.posted_at, new.bidding_days);
        if self.bids_ever == 0 {
            if new.invited.contains(&posting.client_id) {
                return Err(RequirementError::Invalid(
                    "a client cannot invite itself".into(),
                ));
            }
            return Ok(vec![RequirementEvent::Edited(RequirementEdited {
                requirement_id: ctx.aggregate_id.clone(),
                terms: new,
                bidding_closes_at: closes_at,
                edited_at: ctx.now,
            })]);
        }
        let only_days = RequirementTerms {
            deadline_days: old.deadline_days,
            bidding_days: old.bidding_days,
            ..new.clone()
        } == *old;
        if !only_days {
            return Err(RequirementError::OnlyExtensions("another field changed"));
        }
        if new.deadline_days < old.deadline_days || new.bidding_days < old.bidding_days {
            return Err(RequirementError::OnlyExtensions("a value would shrink"));
        }
        Ok(vec![RequirementEvent::Extended(RequirementExtended {
            requirement_id: ctx.aggregate_id.clone(),
            deadline_days: new.deadline_days,
            bidding_days: new.bidding_days,
            bidding_closes_at: closes_at,
            extended_at: ctx.now,
        })])
    }

    pub(super) fn cancel(&self, ctx: &CommandContext, reason: &str, by_admin: bool) -> Decision {
        let posting = self.posted()?;
        let who = caller(ctx)?;
        if who != posting.client_id && !by_admin {
            return Err(RequirementError::NotTheClient);
        }
        self.open()?;
        let reason = reason.trim();
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(RequirementError::Invalid(format!(
                "the reason is longer than {MAX_REASON_CHARS} characters"
            )));
        }
        Ok(vec![RequirementEvent::Cancelled(RequirementCancelled {
            requirement_id: ctx.aggregate_id.clone(),
            reason: reason.to_owned(),
            released: self.bids.keys().cloned().collect(),
            cancelled_by: who.to_owned(),
            cancelled_at: ctx.now,
        })])
    }

    /// The checks every bid change shares: the requirement exists and the
    /// caller sees it, the caller is not its client, it is open and its
    /// window has not closed.
    fn biddable<'a>(
        &'a self,
        ctx: &'a CommandContext,
    ) -> Result<(&'a Posting, &'a str), RequirementError> {
        let posting = self.posted()?;
        let vendor = caller(ctx)?;
        if !self.visible_to(vendor) {
            return Err(RequirementError::NotFound);
        }
        if vendor == posting.client_id {
            return Err(RequirementError::OwnRequirement);
        }
        self.open()?;
        if ctx.now >= posting.bidding_closes_at {
            return Err(RequirementError::BiddingClosed);
        }
        Ok((posting, vendor))
    }

    fn checked_bid(
        posting: &Posting,
        bid: &NewBid,
        standing: BidStanding,
    ) -> Result<BidTerms, RequirementError> {
        if !standing.has_profile {
            return Err(RequirementError::NoVendorProfile);
        }
        rules::bid(bid, &posting.terms.budget)
    }

    pub(super) fn place_bid(
        &self,
        ctx: &CommandContext,
        bid: &NewBid,
        standing: BidStanding,
    ) -> Decision {
        let (posting, vendor) = self.biddable(ctx)?;
        if self.bids.contains_key(vendor) {
            return Err(RequirementError::BidExists);
        }
        let terms = Self::checked_bid(posting, bid, standing)?;
        Ok(vec![RequirementEvent::BidPlaced(BidPlaced {
            requirement_id: ctx.aggregate_id.clone(),
            vendor_id: vendor.to_owned(),
            terms,
            at_capacity: standing.at_capacity,
            placed_at: ctx.now,
        })])
    }

    pub(super) fn revise_bid(
        &self,
        ctx: &CommandContext,
        bid: &NewBid,
        standing: BidStanding,
    ) -> Decision {
        let (posting, vendor) = self.biddable(ctx)?;
        let Some(old) = self.bids.get(vendor) else {
            return Err(RequirementError::BidNotFound(vendor.to_owned()));
        };
        let terms = Self::checked_bid(posting, bid, standing)?;
        if terms == *old {
            return Ok(Vec::new());
        }
        Ok(vec![RequirementEvent::BidRevised(BidRevised {
            requirement_id: ctx.aggregate_id.clone(),
            vendor_id: vendor.to_owned(),
            terms,
            at_capacity: standing.at_capacity,
            revised_at: ctx.now,
        })])
    }

    pub(super) fn withdraw_bid(
        &self,
        ctx: &CommandContext,
        vendor_id: &str,
        by_admin: bool,
    ) -> Decision {
        let posting = self.posted()?;
        let who = caller(ctx)?;
        if !self.visible_to(who) && !by_admin {
            return Err(RequirementError::NotFound);
        }
        if who != vendor_id && !by_admin {
            return Err(RequirementError::NotTheBidder);
        }
        self.open()?;
        if ctx.now >= posting.bidding_closes_at {
            return Err(RequirementError::BiddingClosed);
        }
        if !self.bids.contains_key(vendor_id) {
            return Err(RequirementError::BidNotFound(vendor_id.to_owned()));
        }
        Ok(vec![RequirementEvent::BidWithdrawn(BidWithdrawn {
            requirement_id: ctx.aggregate_id.clone(),
            vendor_id: vendor_id.to_owned(),
            withdrawn_at: ctx.now,
        })])
    }

    pub(super) fn award(&self, ctx: &CommandContext, vendor_id: &str) -> Decision {
        let posting = self.as_client(ctx)?;
        self.open()?;
        let Some(bid) = self.bids.get(vendor_id) else {
            return Err(RequirementError::BidNotFound(vendor_id.to_owned()));
        };
        let mut events = vec![RequirementEvent::Awarded(RequirementAwarded {
            requirement_id: ctx.aggregate_id.clone(),
            vendor_id: vendor_id.to_owned(),
            contract_id: ctx.aggregate_id.clone(),
            price: bid.price.clone(),
            milestones: bid.milestones.clone(),
            client_id: posting.client_id.clone(),
            at: ctx.now,
        })];
        events.extend(
            self.bids
                .keys()
                .filter(|v| v.as_str() != vendor_id)
                .map(|v| {
                    RequirementEvent::BidDeclined(BidDeclined {
                        requirement_id: ctx.aggregate_id.clone(),
                        vendor_id: v.clone(),
                        declined_at: ctx.now,
                    })
                }),
        );
        Ok(events)
    }
}
