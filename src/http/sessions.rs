//! `/v1/sessions`: log in with a user id and password to get a bearer
//! token (`POST`), log out (`DELETE /v1/sessions/current`).
//!
//! Tokens are opaque: 32 random bytes as 64 hex digits, valid for
//! `session_ttl_secs`. Opaque rather than signed (JWT) because a session is
//! an event: logout takes effect at once everywhere the users view is
//! current, with no revocation list, and the server stores only the
//! token's hash. Login attempts are limited per account and per client
//! address.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::user::UserServiceError;
use agora_events::EventMetadata;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::auth::Authenticated;
use super::problem::{ApiError, ProblemKind};
use super::ratelimit::Limit;
use super::users::from_service;
use crate::timefmt::rfc3339;

/// Window of the per-account limit.
const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Window of the per-address limit.
const ADDRESS_WINDOW: Duration = Duration::from_secs(60);

/// The routes of this module.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/sessions")
            .route(web::post().to(login))
            .default_service(web::to(super::method_not_allowed)),
    )
    .service(
        web::resource("/v1/sessions/current")
            .route(web::delete().to(logout))
            .default_service(web::to(super::method_not_allowed)),
    );
}

/// Body of `POST /v1/sessions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    user_id: String,
    password: String,
}

/// The answer to a login: the bearer token and when it expires.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SessionReply {
    token: String,
    token_type: &'static str,
    session_id: String,
    user_id: String,
    expires_at: String,
}

/// `POST /v1/sessions`.
async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let now = Instant::now();
    let address = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let limits = &state.login_limits;
    state.limiter.sweep(now, ACCOUNT_WINDOW);
    let per_address = Limit {
        attempts: limits.per_address,
        window: ADDRESS_WINDOW,
    };
    let per_account = Limit {
        attempts: limits.per_account,
        window: ACCOUNT_WINDOW,
    };
    if let Err(wait) = state
        .limiter
        .attempt(&format!("address:{address}"), per_address, now)
    {
        return Err(ApiError::too_many(
            "too many login attempts from this address",
            wait,
        ));
    }
    if let Err(wait) = state
        .limiter
        .attempt(&format!("account:{}", body.user_id), per_account, now)
    {
        return Err(ApiError::too_many(
            "too many login attempts for this account",
            wait,
        ));
    }
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

/// `DELETE /v1/sessions/current`.
async fn logout(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, ApiError> {
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
