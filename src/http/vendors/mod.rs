//! `/v1/vendors`: outsourcing vendors' public profiles.
//!
//! - `PUT /v1/vendors/{id}`: the vendor itself (a user holding the vendor
//!   role; admins may act for it) replaces its profile — skills, team
//!   size, capacity, hourly rate, portfolio, languages, the content items
//!   its members published. The route's policy checks the caller; the
//!   service checks that `{id}` holds the vendor role (404
//!   `vendor-not-found` otherwise); auditors never write.
//! - `GET /v1/vendors/{id}`: the public profile from the vendors
//!   projection (`?min_position=P` waits until it applied `P`).
//!
//! Files: [`commands`] (set the profile), [`reads`] (a profile), [`views`]
//! (the wire types), and the problem of each rule below.

pub(crate) mod commands;
pub(crate) mod reads;
pub(crate) mod views;

use agora_actors::aggregate::CommandError;
use agora_actors::vendor::{VendorError, VendorServiceError};

use super::command;
use super::problem::{ApiError, ProblemKind};

impl From<VendorServiceError> for ApiError {
    fn from(error: VendorServiceError) -> Self {
        match error {
            VendorServiceError::InvalidId => {
                ApiError::new(ProblemKind::InvalidRequest, error.to_string())
            }
            VendorServiceError::NotAVendor(_) => {
                ApiError::new(ProblemKind::VendorNotFound, error.to_string())
            }
            VendorServiceError::Command(e) => from_command(e),
        }
    }
}

/// The problem kind of each rule of the Vendor aggregate.
fn kind_of(error: &VendorError) -> ProblemKind {
    match error {
        VendorError::Unauthenticated => ProblemKind::Unauthorized,
        VendorError::NotTheVendor => ProblemKind::Forbidden,
        VendorError::Invalid(_) => ProblemKind::ValidationFailed,
        VendorError::RateOutOfRange(_) => ProblemKind::PriceOutOfRange,
    }
}

fn from_command(error: CommandError<VendorError>) -> ApiError {
    command::from_command(error, "vendor", |e| {
        ApiError::new(kind_of(&e), e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use agora_events::domain::money::MoneyError;

    use super::*;

    #[test]
    fn rules_map_to_the_status_their_doc_names() {
        assert_eq!(kind_of(&VendorError::NotTheVendor).status(), 403);
        assert_eq!(kind_of(&VendorError::Invalid(String::new())).status(), 422);
        assert_eq!(
            kind_of(&VendorError::RateOutOfRange(MoneyError::AboveCeiling {
                amount: 0
            })),
            ProblemKind::PriceOutOfRange
        );
    }
}
