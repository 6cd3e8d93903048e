//! The award opens the contract. An award is two appends on two streams:
//! `RequirementAwarded` on `requirement-{id}`, then `ContractOpened` on
//! `contract-{id}` (same id). [`award`] does both, in that order, and
//! answers only once the contract exists; opening is idempotent, so a
//! repeated (keyed) award opens nothing twice. A crash between the two
//! appends leaves an awarded requirement without a contract:
//! [`open_missing`] (run at start-up, once the views caught up) opens one
//! for every such requirement.

use std::time::Duration;

use agora_events::domain::contract::MilestoneTerms;
use agora_events::domain::requirement::{RequirementAwarded, RequirementEvent};

use crate::aggregate::Executed;
use crate::content::Request;
use crate::contract::{Contract, ContractService, ContractServiceError, OpenContract};
use crate::membership::Caller;
use crate::requirement::{Requirement, RequirementService, RequirementServiceError};

/// The actor id stamped on contracts opened by [`open_missing`].
pub const RECONCILE_ACTOR: &str = "agora-award-reconcile";

/// Why an award (or the contract it opens) failed.
#[derive(Debug, thiserror::Error)]
pub enum AwardError {
    /// The award itself failed: answer as the requirement's error.
    #[error(transparent)]
    Requirement(#[from] RequirementServiceError),
    /// The award was recorded but its contract could not be opened: answer
    /// as the contract's error; repeating the award (same
    /// `Idempotency-Key`) opens it, and so does the next start-up.
    #[error(transparent)]
    Contract(#[from] ContractServiceError),
    /// The award succeeded but no award is on record: a broken invariant
    /// (500).
    #[error("requirement {0} records no award")]
    NoAward(String),
}

/// What [`award`] did.
#[derive(Debug)]
pub struct Awarded {
    /// The award on the requirement (replayed for a repeated key).
    pub requirement: Executed<Requirement>,
    /// The contract's opening (no events when it was open already).
    pub contract: Executed<Contract>,
}

impl Awarded {
    /// The last position either append wrote: reads with this
    /// `min_position` see both the award and the contract.
    pub fn position(&self) -> Option<u64> {
        self.requirement.position.max(self.contract.position)
    }
}

/// The contract an award opens: the requirement's id, its client and
/// vendor, the winning bid's price and milestones.
pub fn contract_of(award: &RequirementAwarded) -> OpenContract {
    OpenContract {
        contract_id: award.contract_id.clone(),
        requirement_id: award.requirement_id.clone(),
        client_id: award.client_id.clone(),
        vendor_id: award.vendor_id.clone(),
        price: award.price.clone(),
        milestones: award
            .milestones
            .iter()
            .map(|m| MilestoneTerms::from((m.title.clone(), m.amount_cents, m.due_day)))
            .collect(),
    }
}

/// Awards requirement `id` to `vendor_id` and opens its contract. The
/// award's facts come from the events the award answered (a replayed
/// answer carries the first one's), else from the requirement itself.
pub async fn award(
    requirements: &RequirementService,
    contracts: &ContractService,
    id: &str,
    vendor_id: &str,
    request: &Request,
) -> Result<Awarded, AwardError> {
    let requirement = requirements.award(id, vendor_id, request).await?;
    let recorded = requirement.events.iter().find_map(|e| match e {
        RequirementEvent::Awarded(a) => Some(a.clone()),
        _ => None,
    });
    let award = match recorded {
        Some(award) => award,
        None => requirements
            .awarded(id)
            .await?
            .ok_or_else(|| AwardError::NoAward(id.to_owned()))?,
    };
    let caller = Caller {
        user_id: request.actor_id.clone(),
        is_admin: false,
        idempotency_key: request.idempotency_key,
        if_match: None,
    };
    let contract = contracts.open(contract_of(&award), &caller).await?;
    Ok(Awarded {
        requirement,
        contract,
    })
}

/// What [`open_missing`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Awarded requirements without a contract in the contracts view.
    pub missing: usize,
    /// Contracts opened for them.
    pub opened: usize,
    /// Requirements whose contract could not be opened (logged).
    pub failed: usize,
}

/// Opens the contract of every awarded requirement that has none (a
/// crash between the award and the opening). First lets both views reach
/// `head` (the log's head; bounded by `wait`), so no award is missed and
/// no open contract is taken for missing; opening is idempotent anyway.
pub async fn open_missing(
    requirements: &RequirementService,
    contracts: &ContractService,
    head: Option<u64>,
    wait: Duration,
) -> OpenReport {
    if let Some(head) = head {
        let caught_up = requirements.view().wait_for(head, wait).await
            && contracts.view().wait_for(head, wait).await;
        if !caught_up {
            tracing::warn!(
                head,
                "views behind the log; opening the contracts they show"
            );
        }
    }
    let awarded = requirements.view().read(|view| view.awarded_ids());
    let missing: Vec<String> = contracts.view().read(|view| {
        awarded
            .into_iter()
            .filter(|id| view.contract(id).is_none())
            .collect()
    });
    let mut report = OpenReport {
        missing: missing.len(),
        ..OpenReport::default()
    };
    let caller = Caller::user(RECONCILE_ACTOR);
    for id in missing {
        let opened = match requirements.awarded(&id).await {
            Ok(Some(award)) => contracts
                .open(contract_of(&award), &caller)
                .await
                .map_err(AwardError::from),
            Ok(None) => Err(AwardError::NoAward(id.clone())),
            Err(e) => Err(e.into()),
        };
        match opened {
            Ok(executed) if !executed.events.is_empty() => report.opened += 1,
            Ok(_) => {}
            Err(e) => {
                report.failed += 1;
                tracing::error!(requirement = %id, error = %e, "opening an awarded requirement's contract failed");
            }
        }
    }
    if report.missing > 0 {
        tracing::info!(
            missing = report.missing,
            opened = report.opened,
            failed = report.failed,
            "opened the contracts of awards left without one"
        );
    }
    report
}
