//! `GET /v1/vendors/{id}`: a vendor's public profile, from the vendors
//! projection.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use schemars::JsonSchema;
use serde::Deserialize;

use super::views::VendorView;
use crate::http::AppState;
use crate::http::command::etag;
use crate::http::contracts::views::ReputationView;
use crate::http::problem::{ApiError, ProblemKind};
use crate::http::reads::caught_up;

/// Query of `GET /v1/vendors/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// `GET /v1/vendors/{id}`: anyone; the profile with the vendor's
/// reputation and load from the contracts view (`min_position` waits for
/// both views).
pub(crate) async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    let vendors = state.requirements.vendor_view();
    caught_up(&state, vendors, query.min_position, "the vendors view").await?;
    let contracts = state.contracts.view();
    caught_up(&state, contracts, query.min_position, "the contracts view").await?;
    let card = vendors.read(|view| view.get(&id).cloned()).ok_or_else(|| {
        ApiError::new(
            ProblemKind::VendorNotFound,
            format!("no vendor profile {:?}", id.as_str()),
        )
    })?;
    let prior = state.contracts.config().prior;
    let reputation = ReputationView::of(
        card.id.clone(),
        &state.contracts.standing(&card.id),
        (prior.mean, prior.weight),
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(card.version)))
        .json(VendorView::of(card, reputation)))
}
