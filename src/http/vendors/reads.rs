//! `GET /v1/vendors/{id}`: a vendor's public profile, from the vendors
//! projection.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use schemars::JsonSchema;
use serde::Deserialize;

use super::views::VendorView;
use crate::http::AppState;
use crate::http::command::etag;
use crate::http::problem::{ApiError, ProblemKind};
use crate::http::reads::caught_up;

/// Query of `GET /v1/vendors/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// `GET /v1/vendors/{id}`: anyone.
pub(crate) async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    let vendors = state.requirements.vendor_view();
    caught_up(&state, vendors, query.min_position, "the vendors view").await?;
    let card = vendors.read(|view| view.get(&id).cloned()).ok_or_else(|| {
        ApiError::new(
            ProblemKind::VendorNotFound,
            format!("no vendor profile {:?}", id.as_str()),
        )
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(card.version)))
        .json(VendorView::from(card)))
}
