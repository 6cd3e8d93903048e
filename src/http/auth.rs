//! Bearer-token authentication for handlers: the [`Principal`] the router's
//! policy check ([`super::policy`]) authorized, or, where no check ran, the
//! one the request's `Authorization: Bearer TOKEN` stands for (live
//! sessions only, expired ones refused).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use agora_actors::user::Principal;
use agora_events::domain::user::Role;

use super::AppState;
use super::policy::{Authorized, principal_of};
use super::problem::{ApiError, ProblemKind};

/// A request that must carry a valid token.
pub(crate) struct Authenticated(pub(crate) Principal);

/// A request that may carry a token; a token that is present must be valid.
pub(crate) struct MaybeAuthenticated(pub(crate) Option<Principal>);

impl MaybeAuthenticated {
    /// Whether the principal may read `user_id`'s personal data: the user,
    /// admins and auditors.
    pub(crate) fn may_read_personal(&self, user_id: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|p| p.user_id == user_id || p.has(Role::Admin) || p.has(Role::Auditor))
    }
}

/// The principal of the request: the one the policy check left (taken,
/// not copied: one extractor per request asks), else the token's own;
/// `Ok(None)` without a token.
pub(crate) fn principal(request: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    if let Some(Authorized(principal)) = request.extensions_mut().remove::<Authorized>() {
        return Ok(principal);
    }
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::new(ProblemKind::Internal, "application state missing"))?;
    principal_of(state, request.headers())
}

/// The 401 of a request without a token where one is needed.
pub(crate) fn token_needed() -> ApiError {
    ApiError::new(
        ProblemKind::Unauthorized,
        "this needs `Authorization: Bearer TOKEN`",
    )
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(request).and_then(|p| p.map(Self).ok_or_else(token_needed)))
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(request).map(Self))
    }
}
