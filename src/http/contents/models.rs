//! What the model endpoints ([`super::verify`], [`super::generate`]) share:
//! the loaded models or a 503, the item and who may use the models on it,
//! and the problem of each model failure.

use std::sync::Arc;

use agora_actors::content::{Content, ContentServiceError};
use agora_actors::ids::valid_id;
use agora_actors::models::ModelError;
use agora_actors::models::pool::{JobError, SubmitError};
use agora_actors::models::verify::VerifyError;
use agora_events::domain::user::Role;

use super::super::AppState;
use super::super::auth::Authenticated;
use super::super::problem::{ApiError, ProblemKind};
use super::commands::from_service;
use crate::models::Ready;

/// The loaded models (waiting for them while they load, up to
/// `read_wait_ms`), or 503 `models-unavailable`.
pub(super) async fn ready(state: &AppState) -> Result<Arc<Ready>, ApiError> {
    state
        .models
        .ready_within(state.read_wait)
        .await
        .map_err(|reason| ApiError::new(ProblemKind::ModelsUnavailable, reason))
}

/// Who may use the models on an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Allowed {
    /// Its creator only (generation).
    Creator,
    /// Its creator or an admin (verification).
    CreatorOrAdmin,
}

/// The item `id` as its aggregate holds it, if `auth` may use the models on
/// it: 404 when it was never drafted (or is a draft `auth` may not see),
/// 403 for anyone else, 409 when retired.
pub(super) async fn item(
    state: &AppState,
    auth: &Authenticated,
    id: &str,
    allowed: Allowed,
) -> Result<Content, ApiError> {
    if !valid_id(id) {
        return Err(ApiError::new(
            ProblemKind::InvalidRequest,
            "the content id is not 1–64 characters of A-Za-z0-9_-.:",
        ));
    }
    let (content, _) = state
        .contents
        .registry()
        .state(id)
        .await
        .map_err(|e| from_service(ContentServiceError::Command(e)))?;
    let Some(creator) = content.creator_id() else {
        return Err(ApiError::new(
            ProblemKind::ContentNotFound,
            format!("no content item {id:?}"),
        ));
    };
    let principal = &auth.0;
    let is_creator = principal.user_id == creator;
    let is_admin = principal.has(Role::Admin);
    let may = match allowed {
        Allowed::Creator => is_creator,
        Allowed::CreatorOrAdmin => is_creator || is_admin,
    };
    if !may {
        // Someone else's unpublished draft does not exist for them.
        if !content.was_ever_published() && !is_admin {
            return Err(ApiError::new(
                ProblemKind::ContentNotFound,
                format!("no content item {id:?}"),
            ));
        }
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            match allowed {
                Allowed::Creator => "only the item's creator may do this",
                Allowed::CreatorOrAdmin => "only the item's creator or an admin may do this",
            },
        ));
    }
    if content.is_retired() {
        return Err(ApiError::new(
            ProblemKind::ContentConflict,
            "the content is retired",
        ));
    }
    Ok(content)
}

/// The problem of a job the pool refused.
pub(super) fn from_submit(error: &SubmitError) -> ApiError {
    match error {
        SubmitError::Overloaded { retry_after, .. } => ApiError::retry_after(
            ProblemKind::ModelsOverloaded,
            error.to_string(),
            u32::try_from(retry_after.as_secs()).unwrap_or(u32::MAX),
        ),
        SubmitError::ShutDown => ApiError::new(ProblemKind::ModelsUnavailable, error.to_string()),
    }
}

/// The problem of a job that failed.
pub(super) fn from_job(error: &JobError) -> ApiError {
    match error {
        JobError::Model(ModelError::InvalidInput(detail)) => {
            ApiError::new(ProblemKind::ValidationFailed, detail.clone())
        }
        JobError::Model(e @ ModelError::ImageTooLarge { .. }) => {
            ApiError::new(ProblemKind::ImageTooLarge, e.to_string())
        }
        JobError::Model(ModelError::Unavailable(model)) => ApiError::new(
            ProblemKind::ModelsUnavailable,
            format!("the model {model} is not loaded"),
        ),
        JobError::Model(e @ ModelError::ToolMissing { .. }) => {
            tracing::error!(error = %e, "a model job needs a program that is not installed");
            ApiError::new(ProblemKind::ModelsUnavailable, e.to_string())
        }
        JobError::DeadlineExceeded | JobError::Cancelled => {
            ApiError::new(ProblemKind::ModelsTimedOut, error.to_string())
        }
        JobError::Model(_) | JobError::WorkerLost => {
            tracing::error!(%error, "a model job failed");
            ApiError::new(
                ProblemKind::Internal,
                "a model worker failed; see the server log",
            )
        }
    }
}

/// The problem of a verification that produced no report.
pub(super) fn from_verify(error: &VerifyError) -> ApiError {
    match error {
        VerifyError::Submit(e) => from_submit(e),
        VerifyError::Job(e) => from_job(e),
    }
}
