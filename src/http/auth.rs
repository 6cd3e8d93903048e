//! Bearer-token authentication: `Authorization: Bearer TOKEN` turns into
//! the [`Principal`] the token stands for, checked against the users view
//! (live sessions only, expired ones refused).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use agora_actors::user::Principal;
use agora_events::domain::user::Role;

use super::AppState;
use super::problem::{ApiError, ProblemKind};

/// A request that must carry a valid token.
pub(crate) struct Authenticated(pub(crate) Principal);

/// A request that may carry a token; a token that is present must be valid.
pub(crate) struct MaybeAuthenticated(pub(crate) Option<Principal>);

impl Authenticated {
    /// Whether the principal is `user_id` itself or an admin: who may
    /// change a user. Auditors read, never write.
    pub(crate) fn may_change_user(&self, user_id: &str) -> Result<(), ApiError> {
        if self.0.user_id == user_id || self.0.has(Role::Admin) {
            Ok(())
        } else {
            Err(ApiError::new(
                ProblemKind::Forbidden,
                format!("only {user_id} or an admin may change this user"),
            ))
        }
    }
}

impl MaybeAuthenticated {
    /// Whether the principal may read `user_id`'s personal data: the user,
    /// admins and auditors.
    pub(crate) fn may_read_personal(&self, user_id: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|p| p.user_id == user_id || p.has(Role::Admin) || p.has(Role::Auditor))
    }
}

/// The principal of the request's token; `Ok(None)` without an
/// `Authorization` header.
fn principal(request: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let unauthorized = |detail: &str| ApiError::new(ProblemKind::Unauthorized, detail);
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("Authorization must be `Bearer TOKEN`"))?;
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::new(ProblemKind::Internal, "application state missing"))?;
    state
        .users
        .authenticate(token)
        .map(Some)
        .ok_or_else(|| unauthorized("the token is unknown, expired or logged out"))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(request).and_then(|p| {
            p.map(Self).ok_or_else(|| {
                ApiError::new(
                    ProblemKind::Unauthorized,
                    "this needs `Authorization: Bearer TOKEN`",
                )
            })
        }))
    }
}

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(principal(request).map(Self))
    }
}
