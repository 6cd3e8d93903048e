//! `/v1/contracts` and the vendor's public reputation: outsourcing
//! contracts opened from awards, their milestones' escrow, disputes and
//! reviews.
//!
//! - A contract is opened by the award (the contract service's `open`,
//!   called after the requirement records the award); its id is the
//!   requirement's.
//! - The client funds a milestone (`…/milestones/{index}/fund`: its amount
//!   goes into escrow), the vendor submits it, the client accepts it (the
//!   escrow is released to the vendor minus `outsourcing_fee_bps`) or
//!   requests changes; either side disputes a submitted milestone and an
//!   admin resolves it with a split. A submission left unanswered for
//!   `auto_accept_days` is accepted automatically (the contract sweeper,
//!   and every move of a manual clock). Indexes start at 0; an index past
//!   the milestones is `404 milestone-not-found`.
//! - After completion each side reviews the other once
//!   (`POST /v1/contracts/{id}/reviews`); the reviews feed the reviewee's
//!   reputation (`GET /v1/vendors/{id}/reputation`, public).
//! - Who may call is each route's policy in the route table (`super::api`);
//!   what only the Contract aggregate knows (which user is the client, the
//!   vendor) it checks itself. Auditors read, never write.
//! - Commands answer `{id, version, position, replayed}` and the
//!   contract's `ETag`; `If-Match` and `Idempotency-Key` as everywhere.
//!   Reads come from the contracts projection (`?min_position=P` waits).
//!
//! Files: [`commands`], [`reads`], [`views`] (the wire types), and the
//! problem of each rule below.

pub(crate) mod commands;
pub(crate) mod reads;
pub(crate) mod views;

use agora_actors::aggregate::CommandError;
use agora_actors::contract::{ContractError, ContractServiceError};

use super::command;
use super::problem::{ApiError, ProblemKind};

impl From<ContractServiceError> for ApiError {
    fn from(error: ContractServiceError) -> Self {
        match error {
            ContractServiceError::InvalidId(_) => {
                ApiError::new(ProblemKind::InvalidRequest, error.to_string())
            }
            ContractServiceError::Command(e) => from_command(e),
        }
    }
}

/// The problem kind of each rule of the Contract aggregate, by the HTTP
/// status its doc names.
fn kind_of(error: &ContractError) -> ProblemKind {
    use ContractError as E;
    use ProblemKind as K;
    match error {
        E::Unauthenticated => K::Unauthorized,
        E::ContractNotFound => K::ContractNotFound,
        E::MilestoneNotFound(_) => K::MilestoneNotFound,
        E::ContractExists => K::ContractExists,
        E::NotClient | E::NotVendor | E::NotParty | E::NeedsAdmin => K::Forbidden,
        E::MilestoneStage { .. } => K::MilestoneConflict,
        E::NotCompleted | E::AlreadyReviewed => K::ContractConflict,
        E::SplitAboveAmount { .. } => K::SplitOutOfRange,
        E::ScoreOutOfRange { .. } => K::RatingOutOfRange,
        E::InvalidText(_) | E::InvalidTerms(_) => K::ValidationFailed,
        E::PriceOutOfRange(_) => K::PriceOutOfRange,
        E::InvalidFee(_) => K::Internal,
    }
}

fn from_command(error: CommandError<ContractError>) -> ApiError {
    command::from_command(error, "contract", |e| {
        if let ContractError::InvalidFee(_) = &e {
            tracing::error!(error = %e, "the outsourcing fee setting cannot split a release");
        }
        ApiError::new(kind_of(&e), e.to_string())
    })
}

#[cfg(test)]
mod tests;
