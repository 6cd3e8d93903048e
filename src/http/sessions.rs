//! `/v1/sessions`: log in with a user id and password to get a bearer
//! token (`POST`), log out (`DELETE /v1/sessions/current`).
//!
//! Tokens are opaque: 32 random bytes as 64 hex digits, valid for
//! `session_ttl_secs`. Opaque rather than signed (JWT) because a session is
//! an event: logout takes effect at once everywhere the users view is
//! current, with no revocation list, and the server stores only the
//! token's hash. Login attempts are limited per account and address
//! pair, per address and (more loosely) per account; password checks run
//! a bounded number at once (see [`super::ratelimit`]).

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::ids::valid_id;
use agora_actors::user::UserServiceError;
use agora_events::EventMetadata;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::auth::Authenticated;
use super::problem::{ApiError, ProblemKind};
use super::ratelimit::{Limit, WorkPermit, client_address};
use super::users::from_service;
use crate::timefmt::rfc3339;

/// Window of the per-account limit.
const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Window of the per-address limit.
const ADDRESS_WINDOW: Duration = Duration::from_secs(60);

/// Body of `POST /v1/sessions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    /// The user's id.
    #[schemars(with = "super::fields::Id")]
    user_id: String,
    /// The user's password.
    #[schemars(with = "super::fields::Password")]
    password: String,
}

/// The answer to a login: the bearer token and when it expires.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SessionReply {
    token: String,
    #[schemars(extend("const" = "Bearer"))]
    token_type: &'static str,
    session_id: String,
    user_id: String,
    expires_at: String,
}

/// `POST /v1/sessions`.
pub(crate) async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    // An id no account can have is refused before it can become a limiter
    // key (a 1 MB id must not sit in memory for 15 minutes).
    if !valid_id(&body.user_id) {
        return Err(ApiError::new(
            ProblemKind::Unauthorized,
            "wrong user id or password",
        ));
    }
    check_login_limits(&state, &request, &body.user_id)?;
    let _permit = password_work(&state).await?;
    let metadata = EventMetadata {
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
        actor_id: Some(body.user_id.clone()),
    };
    let session = match state
        .users
        .login(&body.user_id, &body.password, state.session_ttl, metadata)
        .await
    {
        Ok(session) => session,
        Err(UserServiceError::BadCredentials) => {
            return Err(ApiError::new(
                ProblemKind::Unauthorized,
                "wrong user id or password",
            ));
        }
        Err(e) => return Err(from_service(e)),
    };
    // The token works as soon as the answer arrives.
    if let Some(position) = session.position
        && !state.users.view().wait_for(position, state.read_wait).await
    {
        return Err(ApiError::new(
            ProblemKind::ProjectionLagging,
            "the session is recorded but not yet usable; retry the request",
        ));
    }
    Ok(HttpResponse::build(StatusCode::CREATED).json(SessionReply {
        token: session.token,
        token_type: "Bearer",
        session_id: session.session_id,
        user_id: session.user_id,
        expires_at: rfc3339(session.expires_at),
    }))
}

/// Counts a login attempt against the three limits: per client address,
/// per account from this address (so an attacker elsewhere cannot lock
/// the owner out), and per account from everywhere (a slower back-off
/// against guessing from many addresses). 429 + `Retry-After` past any.
fn check_login_limits(
    state: &AppState,
    request: &HttpRequest,
    user_id: &str,
) -> Result<(), ApiError> {
    let now = Instant::now();
    let address = client_address(request);
    let limits = &state.login_limits;
    let checks = [
        (
            format!("login-address:{address}"),
            Limit {
                attempts: limits.per_address,
                window: ADDRESS_WINDOW,
            },
            "too many login attempts from this address",
        ),
        (
            format!("login-pair:{user_id}@{address}"),
            Limit {
                attempts: limits.per_account,
                window: ACCOUNT_WINDOW,
            },
            "too many login attempts for this account from this address",
        ),
        (
            format!("login-account:{user_id}"),
            Limit {
                attempts: limits.per_account_total,
                window: ACCOUNT_WINDOW,
            },
            "too many login attempts for this account",
        ),
    ];
    for (key, limit, detail) in checks {
        state
            .limiter
            .attempt(&key, limit, now)
            .map_err(|wait| ApiError::too_many(detail, wait))?;
    }
    Ok(())
}

/// A place among the password hashes running now, or 429 when too many
/// wait already.
pub(crate) async fn password_work(state: &AppState) -> Result<WorkPermit, ApiError> {
    state
        .password_work
        .enter()
        .await
        .ok_or_else(|| ApiError::too_many("too many password checks are running; retry shortly", 1))
}

/// `DELETE /v1/sessions/current`.
pub(crate) async fn logout(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let metadata = EventMetadata {
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
        actor_id: Some(auth.0.user_id.clone()),
    };
    let done = state
        .users
        .logout(&auth.0, metadata)
        .await
        .map_err(from_service)?;
    if let Some(position) = done.position {
        // Bounded: once applied, the token is refused everywhere.
        let _ = state.users.view().wait_for(position, state.read_wait).await;
    }
    Ok(HttpResponse::NoContent().finish())
}
