//! The reads of `/v1/contracts/{id}` and `/v1/vendors/{id}/reputation`,
//! from the contracts projection (`?min_position=P` waits until it
//! applied `P`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use schemars::JsonSchema;
use serde::Deserialize;

use super::views::{ContractView, ReputationView};
use crate::http::AppState;
use crate::http::auth::Authenticated;
use crate::http::command::etag;
use crate::http::policy::oversees;
use crate::http::problem::{ApiError, ProblemKind};
use crate::http::reads::{caught_up, user_exists};

/// Query of the reads.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// `GET /v1/contracts/{id}`: the client, the vendor, admins and auditors
/// (403 for anyone else; 404 for no such contract).
pub(crate) async fn read(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    let view = state.contracts.view();
    caught_up(&state, view, query.min_position, "the contracts view").await?;
    let card = view.read(|v| v.contract(&id).cloned()).ok_or_else(|| {
        ApiError::new(
            ProblemKind::ContractNotFound,
            format!("no contract {:?}", id.as_str()),
        )
    })?;
    if !card.is_party(&auth.0.user_id) && !oversees(&auth.0) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the contract's client and vendor, admins and auditors read a contract",
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(card.version)))
        .json(ContractView::from(&card)))
}

/// `GET /v1/vendors/{id}/reputation`: public. A user with no contracts has
/// the prior's score and no load; an unknown user is 404.
pub(crate) async fn reputation(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    caught_up(
        &state,
        state.contracts.view(),
        query.min_position,
        "the contracts view",
    )
    .await?;
    user_exists(&state, &id)?;
    let standing = state.contracts.standing(&id);
    let prior = state.contracts.config().prior;
    Ok(HttpResponse::Ok().json(ReputationView::of(
        id.into_inner(),
        &standing,
        (prior.mean, prior.weight),
    )))
}
