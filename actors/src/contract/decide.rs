//! The decisions of the Contract aggregate, one function per command.
//! Checks run in the order of their HTTP status: 404, 401/403, 409, 422.

use agora_events::Timestamp;
use agora_events::domain::contract::{
    ContractCompleted, ContractEvent, ContractOpened, ContractReviewed, DisputeResolved,
    MilestoneAccepted, MilestoneChangesRequested, MilestoneDisputed, MilestoneFunded,
    MilestoneSubmitted, MilestoneTerms, Party,
};
use agora_events::domain::money::Money;
use agora_events::domain::revenue::{Account, RevenueShare, split_sale};

use super::rules::{self, MAX_NOTE_CHARS, MAX_REVIEW_CHARS};
use super::{Contract, ContractCommand, ContractError, ContractTerms, MilestoneStage};
use crate::aggregate::{Aggregate, CommandContext};

type Decision = Result<Vec<ContractEvent>, ContractError>;

/// The caller's user id, or why there is none.
fn caller(ctx: &CommandContext) -> Result<&str, ContractError> {
    ctx.actor_id
        .as_deref()
        .ok_or(ContractError::Unauthenticated)
}

/// The vendor's and the platform's shares of `cents` released to `vendor`.
fn shares(vendor: &str, cents: u64, fee_bps: u32) -> Result<Vec<RevenueShare>, ContractError> {
    split_sale(cents, &Account::Vendor(vendor.to_owned()), fee_bps, None)
        .map_err(ContractError::InvalidFee)
}

impl Contract {
    pub(super) fn decide(&self, command: &ContractCommand, ctx: &CommandContext) -> Decision {
        let events = match command {
            ContractCommand::Open {
                requirement_id,
                client_id,
                vendor_id,
                price,
                milestones,
            } => {
                return self.open(ctx, requirement_id, client_id, vendor_id, price, milestones);
            }
            ContractCommand::Fund { index } => self.fund(ctx, *index)?,
            ContractCommand::Submit {
                index,
                note,
                auto_accept_after_micros,
            } => self.submit(ctx, *index, note, *auto_accept_after_micros)?,
            ContractCommand::Accept { index, fee_bps } => self.accept(ctx, *index, *fee_bps)?,
            ContractCommand::RequestChanges { index, reason } => {
                self.request_changes(ctx, *index, reason)?
            }
            ContractCommand::Dispute { index, reason } => self.dispute(ctx, *index, reason)?,
            ContractCommand::Resolve {
                index,
                vendor_cents,
                note,
                fee_bps,
                by_admin,
            } => self.resolve(ctx, *index, *vendor_cents, note, *fee_bps, *by_admin)?,
            ContractCommand::Sweep { fee_bps } => self.sweep(ctx, *fee_bps)?,
            ContractCommand::Review {
                quality,
                communication,
                timeliness,
                text,
            } => {
                return self.review(ctx, *quality, *communication, *timeliness, text);
            }
        };
        Ok(self.with_completion(events, ctx.now))
    }

    /// `events`, followed by the contract's completion when they settle
    /// its last open milestone.
    fn with_completion(
        &self,
        mut events: Vec<ContractEvent>,
        now: Timestamp,
    ) -> Vec<ContractEvent> {
        if self.completed || events.is_empty() {
            return events;
        }
        let mut after = self.clone();
        for event in &events {
            after.apply(event);
        }
        if let Some(terms) = &self.terms
            && after.milestones.iter().all(|m| m.stage.is_settled())
        {
            events.push(ContractEvent::Completed(ContractCompleted {
                contract_id: terms.contract_id.clone(),
                completed_at: now,
            }));
        }
        events
    }

    fn opened(&self) -> Result<&ContractTerms, ContractError> {
        self.terms.as_ref().ok_or(ContractError::ContractNotFound)
    }

    /// The terms and milestone `index` (as a `u32`), or 404.
    fn milestone(
        &self,
        index: u64,
    ) -> Result<(&ContractTerms, u32, MilestoneStage), ContractError> {
        let terms = self.opened()?;
        let found = usize::try_from(index)
            .ok()
            .and_then(|i| self.milestones.get(i))
            .zip(u32::try_from(index).ok());
        match found {
            Some((state, i)) => Ok((terms, i, state.stage)),
            None => Err(ContractError::MilestoneNotFound(index)),
        }
    }

    fn amount_of(terms: &ContractTerms, index: u32) -> u64 {
        terms
            .milestones
            .get(index as usize)
            .map_or(0, |m| m.amount_cents)
    }

    fn open(
        &self,
        ctx: &CommandContext,
        requirement_id: &str,
        client_id: &str,
        vendor_id: &str,
        price: &Money,
        milestones: &[MilestoneTerms],
    ) -> Decision {
        let who = caller(ctx)?;
        if client_id == vendor_id {
            return Err(ContractError::InvalidTerms(
                "the client cannot award its own requirement to itself".into(),
            ));
        }
        let milestones = rules::terms(price, milestones)?;
        let wanted = ContractTerms {
            contract_id: ctx.aggregate_id.clone(),
            requirement_id: requirement_id.to_owned(),
            client_id: client_id.to_owned(),
            vendor_id: vendor_id.to_owned(),
            price: price.clone(),
            milestones,
        };
        if let Some(terms) = &self.terms {
            return if *terms == wanted {
                Ok(vec![])
            } else {
                Err(ContractError::ContractExists)
            };
        }
        Ok(vec![ContractEvent::Opened(ContractOpened {
            contract_id: wanted.contract_id,
            requirement_id: wanted.requirement_id,
            client_id: wanted.client_id,
            vendor_id: wanted.vendor_id,
            price: wanted.price,
            milestones: wanted.milestones,
            opened_at: ctx.now,
            opened_by: who.to_owned(),
        })])
    }

    fn fund(&self, ctx: &CommandContext, index: u64) -> Decision {
        let (terms, index, stage) = self.milestone(index)?;
        if caller(ctx)? != terms.client_id {
            return Err(ContractError::NotClient);
        }
        if stage != MilestoneStage::Unfunded {
            return Err(ContractError::MilestoneStage {
                index,
                stage,
                needs: "unfunded",
            });
        }
        Ok(vec![ContractEvent::Funded(MilestoneFunded {
            contract_id: terms.contract_id.clone(),
            index,
            amount: Money {
                amount_cents: Self::amount_of(terms, index),
                currency: terms.price.currency.clone(),
            },
            funded_at: ctx.now,
        })])
    }

    fn submit(
        &self,
        ctx: &CommandContext,
        index: u64,
        note: &str,
        auto_accept_after_micros: i64,
    ) -> Decision {
        let (terms, index, stage) = self.milestone(index)?;
        if caller(ctx)? != terms.vendor_id {
            return Err(ContractError::NotVendor);
        }
        if stage != MilestoneStage::InProgress {
            return Err(ContractError::MilestoneStage {
                index,
                stage,
                needs: "in_progress (funded, or sent back for changes)",
            });
        }
        let note = rules::text("note", note, MAX_NOTE_CHARS)?;
        Ok(vec![ContractEvent::Submitted(MilestoneSubmitted {
            contract_id: terms.contract_id.clone(),
            index,
            note,
            submitted_at: ctx.now,
            auto_accept_at: Timestamp(ctx.now.0.saturating_add(auto_accept_after_micros.max(0))),
        })])
    }

    /// The acceptance of submitted milestone `index` at `now`.
    fn accepted(
        terms: &ContractTerms,
        index: u32,
        fee_bps: u32,
        automatic: bool,
        now: Timestamp,
    ) -> Result<ContractEvent, ContractError> {
        let amount_cents = Self::amount_of(terms, index);
        Ok(ContractEvent::Accepted(MilestoneAccepted {
            contract_id: terms.contract_id.clone(),
            index,
            amount: Money {
                amount_cents,
                currency: terms.price.currency.clone(),
            },
            shares: shares(&terms.vendor_id, amount_cents, fee_bps)?,
            automatic,
            accepted_at: now,
        }))
    }

    fn accept(&self, ctx: &CommandContext, index: u64, fee_bps: u32) -> Decision {
        let (terms, index, stage) = self.milestone(index)?;
        if caller(ctx)? != terms.client_id {
            return Err(ContractError::NotClient);
        }
        if stage != MilestoneStage::Submitted {
            return Err(ContractError::MilestoneStage {
                index,
                stage,
                needs: "submitted",
            });
        }
        Ok(vec![Self::accepted(terms, index, fee_bps, false, ctx.now)?])
    }

    fn request_changes(&self, ctx: &CommandContext, index: u64, reason: &str) -> Decision {
        let (terms, index, stage) = self.milestone(index)?;
        if caller(ctx)? != terms.client_id {
            return Err(ContractError::NotClient);
        }
        if stage != MilestoneStage::Submitted {
            return Err(ContractError::MilestoneStage {
                index,
                stage,
                needs: "submitted",
            });
        }
        let reason = rules::text("reason", reason, MAX_NOTE_CHARS)?;
        Ok(vec![ContractEvent::ChangesRequested(
            MilestoneChangesRequested {
                contract_id: terms.contract_id.clone(),
                index,
                reason,
                requested_at: ctx.now,
            },
        )])
    }

    fn dispute(&self, ctx: &CommandContext, index: u64, reason: &str) -> Decision {
        let (terms, index, stage) = self.milestone(index)?;
        let by = terms
            .party_of(caller(ctx)?)
            .ok_or(ContractError::NotParty)?;
        if stage != MilestoneStage::Submitted {
            return Err(ContractError::MilestoneStage {
                index,
                stage,
                needs: "submitted",
            });
        }
        let reason = rules::text("reason", reason, MAX_NOTE_CHARS)?;
        Ok(vec![ContractEvent::Disputed(MilestoneDisputed {
            contract_id: terms.contract_id.clone(),
            index,
            by,
            reason,
            disputed_at: ctx.now,
        })])
    }

    fn resolve(
        &self,
        ctx: &CommandContext,
        index: u64,
        vendor_cents: u64,
        note: &str,
        fee_bps: u32,
        by_admin: bool,
    ) -> Decision {
        let (terms, index, stage) = self.milestone(index)?;
        let who = caller(ctx)?;
        if !by_admin {
            return Err(ContractError::NeedsAdmin);
        }
        if stage != MilestoneStage::Disputed {
            return Err(ContractError::MilestoneStage {
                index,
                stage,
                needs: "disputed",
            });
        }
        let amount_cents = Self::amount_of(terms, index);
        let Some(refund_cents) = amount_cents.checked_sub(vendor_cents) else {
            return Err(ContractError::SplitAboveAmount {
                vendor_cents,
                amount_cents,
            });
        };
        let note = rules::text("note", note, MAX_NOTE_CHARS)?;
        Ok(vec![ContractEvent::Resolved(DisputeResolved {
            contract_id: terms.contract_id.clone(),
            index,
            currency: terms.price.currency.clone(),
            vendor_cents,
            refund_cents,
            shares: shares(&terms.vendor_id, vendor_cents, fee_bps)?,
            note,
            resolved_at: ctx.now,
            resolved_by: who.to_owned(),
        })])
    }

    /// Accepts every submission whose automatic-acceptance time has come.
    fn sweep(&self, ctx: &CommandContext, fee_bps: u32) -> Decision {
        let Some(terms) = &self.terms else {
            return Ok(vec![]);
        };
        let mut events = Vec::new();
        for (i, m) in self.milestones.iter().enumerate() {
            let due = m.auto_accept_at.is_some_and(|at| at <= ctx.now);
            if m.stage == MilestoneStage::Submitted
                && due
                && let Ok(index) = u32::try_from(i)
            {
                events.push(Self::accepted(terms, index, fee_bps, true, ctx.now)?);
            }
        }
        Ok(events)
    }

    fn review(
        &self,
        ctx: &CommandContext,
        quality: u8,
        communication: u8,
        timeliness: u8,
        text: &str,
    ) -> Decision {
        let terms = self.opened()?;
        let who = caller(ctx)?;
        let by = terms.party_of(who).ok_or(ContractError::NotParty)?;
        if !self.completed {
            return Err(ContractError::NotCompleted);
        }
        if self.reviewed.contains(&by) {
            return Err(ContractError::AlreadyReviewed);
        }
        let reviewee = match by {
            Party::Client => &terms.vendor_id,
            Party::Vendor => &terms.client_id,
        };
        Ok(vec![ContractEvent::Reviewed(ContractReviewed {
            contract_id: terms.contract_id.clone(),
            by,
            reviewer_id: who.to_owned(),
            reviewee_id: reviewee.clone(),
            quality: rules::score("quality", quality)?,
            communication: rules::score("communication", communication)?,
            timeliness: rules::score("timeliness", timeliness)?,
            text: rules::text("review", text, MAX_REVIEW_CHARS)?,
            reviewed_at: ctx.now,
        })])
    }
}
