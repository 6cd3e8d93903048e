//! `/v1/partners`: partner platforms and their catalog imports.
//!
//! - Admins register a partner (`POST /v1/partners`), change its share of
//!   future sales (`PUT /v1/partners/{id}/share`), suspend and reinstate it.
//!   Who may call is each route's policy in the route table (`super::api`);
//!   auditors read, never write.
//! - `GET /v1/partners/{id}` reads the Partner aggregate itself (always
//!   current): the partner's user, admins and auditors.
//! - `POST /v1/partners/{id}/catalog` (the partner's user, or an admin,
//!   checked before the body is read; items are parsed one at a time and
//!   parsing stops past the cap) imports up to `partner_import_max_items` items in one call (more: 413
//!   `import-too-large`), each checked on its own: the answer lists, per
//!   item, its index, external id and content id, or its problem (the same
//!   problem document a single request would get). An item becomes the
//!   content item `p-{partner}-{external_id}`, drafted for its `creator_id`
//!   (default: the partner's user), listed by the partner, priced and
//!   published in one append. Re-importing an external id is an idempotent
//!   upsert: unchanged items record nothing, a new price is recorded, a new
//!   text is refused (`content-conflict`: published text is fixed).

//!
//! Files: [`commands`] (register, share, suspend, reinstate), [`reads`]
//! (a partner), [`import`] (catalog imports), [`views`] (the wire types),
//! and the problem of each rule below.

pub(crate) mod commands;
pub(crate) mod import;
pub(crate) mod reads;
pub(crate) mod views;

use agora_actors::aggregate::CommandError;
use agora_actors::partner::{Partner, PartnerError, PartnerServiceError};
use agora_actors::user::Principal;

use super::AppState;
use super::command;
use super::policy::oversees;
use super::problem::{ApiError, ProblemKind};

/// Partner `id` and its version, if `principal` may read it: its own
/// account, admins and auditors (403 otherwise, 404 for no such partner).
pub(crate) async fn readable_partner(
    state: &AppState,
    id: &str,
    principal: &Principal,
) -> Result<(Partner, u64), ApiError> {
    let (partner, version) = state.partners.get(id).await?;
    if partner.user_id() == Some(principal.user_id.as_str()) || oversees(principal) {
        Ok((partner, version))
    } else {
        Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the partner's account, admins and auditors read a partner and its statement",
        ))
    }
}

impl From<PartnerServiceError> for ApiError {
    fn from(error: PartnerServiceError) -> Self {
        from_service(error)
    }
}

/// Maps a partner use-case failure to its problem.
pub(crate) fn from_service(error: PartnerServiceError) -> ApiError {
    use PartnerServiceError as S;
    use ProblemKind as K;
    let kind = match &error {
        S::Command(_) => None,
        S::InvalidId => Some(K::InvalidRequest),
        S::NotAPartnerUser(_) => Some(K::ValidationFailed),
        S::NotThePartner => Some(K::Forbidden),
        S::Suspended => Some(K::PartnerSuspended),
        S::TooManyItems { .. } => Some(K::ImportTooLarge),
    };
    match (kind, error) {
        (None, S::Command(e)) => from_command(e),
        (kind, error) => ApiError::new(kind.unwrap_or(K::Internal), error.to_string()),
    }
}

/// The problem kind of each rule of the Partner aggregate.
fn kind_of(error: &PartnerError) -> ProblemKind {
    use PartnerError as E;
    use ProblemKind as K;
    match error {
        E::Unauthenticated => K::Unauthorized,
        E::NotRegistered => K::PartnerNotFound,
        E::AlreadyRegistered => K::PartnerExists,
        E::AlreadySuspended | E::NotSuspended => K::Conflict,
        E::EmptyName
        | E::NameTooLong
        | E::ControlCharacter
        | E::ReasonTooLong
        | E::ShareTooHigh { .. }
        | E::InvalidId(_) => K::ValidationFailed,
    }
}

fn from_command(error: CommandError<PartnerError>) -> ApiError {
    command::from_command(error, "partner", |e| {
        ApiError::new(kind_of(&e), e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_map_to_the_status_their_doc_names() {
        assert_eq!(kind_of(&PartnerError::NotRegistered).status(), 404);
        assert_eq!(kind_of(&PartnerError::AlreadyRegistered).status(), 409);
        assert_eq!(
            kind_of(&PartnerError::ShareTooHigh {
                share_bps: 1,
                max_bps: 0
            })
            .status(),
            422
        );
    }
}
