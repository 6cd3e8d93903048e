//! `/v1/requirements`: clients' technical requirements and vendors' bids.
//!
//! - A client (role `client`) posts a requirement (`POST`), edits it while
//!   no bid was ever placed and then only extends it (`PATCH`), cancels it
//!   (`/cancel`, also admins; every live bid is released) and awards it to
//!   one live bid (`/award` → 201 `{contract_id}`; the contract has the
//!   requirement's id; the other bids are declined). Two awards racing are
//!   decided one after the other by the requirement's actor: exactly one
//!   wins, the other gets 409 `requirement-conflict`.
//! - A vendor (role `vendor`, with a profile) bids once (`POST .../bids`),
//!   revises (`PUT .../bids/{vendor_id}`) or withdraws (`DELETE`) while
//!   bidding is open. A client cannot bid on its own requirement (403); an
//!   invited-only requirement answers 404 to vendors it did not invite.
//! - Reads come from the requirements projection (`?min_position=P` waits
//!   until it applied `P`): one requirement, its bids (who sees what per
//!   visibility: see [`reads::bids`]), and the listing of open
//!   requirements with full-text search in English and Chinese.
//! - `GET .../bids?rank=true` also scores the live bids (p_ij with every
//!   part shown, best first; see [`ranking`]) for the client, and for
//!   admins and auditors when the amounts are not sealed from them.
//!
//! Commands answer `{id, version, position, replayed}` and the
//! requirement's `ETag`; `If-Match` makes them conditional and
//! `Idempotency-Key` makes a repeat answer the first answer. Who may call
//! is each route's policy in the route table (`super::api`); auditors
//! read, never write.
//!
//! Files: [`commands`], [`reads`], [`ranking`], [`views`] (the wire types), and the
//! problem of each rule below.

pub(crate) mod commands;
pub(crate) mod ranking;
pub(crate) mod reads;
pub(crate) mod views;

use agora_actors::aggregate::CommandError;
use agora_actors::award::AwardError;
use agora_actors::requirement::{RequirementError, RequirementServiceError};

use super::command;
use super::problem::{ApiError, ProblemKind};

impl From<AwardError> for ApiError {
    fn from(error: AwardError) -> Self {
        match error {
            AwardError::Requirement(e) => e.into(),
            AwardError::Contract(e) => e.into(),
            AwardError::NoAward(_) => {
                tracing::error!(error = %error, "an award without its facts");
                ApiError::new(ProblemKind::Internal, "the award could not be read back")
            }
        }
    }
}

impl From<RequirementServiceError> for ApiError {
    fn from(error: RequirementServiceError) -> Self {
        match error {
            RequirementServiceError::InvalidId(_) => {
                ApiError::new(ProblemKind::InvalidRequest, error.to_string())
            }
            RequirementServiceError::Vendor(reason) => {
                tracing::warn!(%reason, "a bidder's profile could not be read");
                ApiError::new(
                    ProblemKind::Unavailable,
                    "the vendor's profile could not be read; retry",
                )
            }
            RequirementServiceError::Command(e) => from_command(e),
        }
    }
}

/// The problem kind of each rule of the Requirement aggregate, by the HTTP
/// status its doc names.
fn kind_of(error: &RequirementError) -> ProblemKind {
    use ProblemKind as K;
    use RequirementError as E;
    match error {
        E::Unauthenticated => K::Unauthorized,
        E::NotFound => K::RequirementNotFound,
        E::Exists => K::RequirementExists,
        E::NotTheClient | E::OwnRequirement | E::NotTheBidder => K::Forbidden,
        E::NoVendorProfile => K::VendorNotFound,
        E::BidExists => K::BidExists,
        E::BidNotFound(_) => K::BidNotFound,
        E::BiddingClosed | E::AlreadyAwarded | E::Cancelled | E::OnlyExtensions(_) => {
            K::RequirementConflict
        }
        E::Invalid(_) => K::ValidationFailed,
        E::MoneyOutOfRange { .. } => K::PriceOutOfRange,
        E::MilestonesMismatch { .. } => K::MilestonesMismatch,
    }
}

fn from_command(error: CommandError<RequirementError>) -> ApiError {
    command::from_command(error, "requirement", |e| {
        ApiError::new(kind_of(&e), e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_map_to_the_status_their_doc_names() {
        assert_eq!(kind_of(&RequirementError::NotFound).status(), 404);
        assert_eq!(kind_of(&RequirementError::OwnRequirement).status(), 403);
        assert_eq!(kind_of(&RequirementError::BidExists).status(), 409);
        assert_eq!(kind_of(&RequirementError::AlreadyAwarded).status(), 409);
        assert_eq!(
            kind_of(&RequirementError::MilestonesMismatch { sum: 1, price: 2 }).status(),
            422
        );
        assert_eq!(kind_of(&RequirementError::NoVendorProfile).status(), 404);
    }
}
