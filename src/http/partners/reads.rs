//! `GET /v1/partners/{id}`: the Partner aggregate itself (always current).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::views::PartnerView;
use crate::http::AppState;
use crate::http::auth::Authenticated;
use crate::http::command::etag;
use crate::http::problem::ApiError;

/// `GET /v1/partners/{id}`: the partner's user, admins and auditors.
pub(crate) async fn read(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (partner, version) = super::readable_partner(&state, &id, &auth.0).await?;
    let user_id = partner.user_id().unwrap_or_default().to_owned();
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(PartnerView {
            id: id.into_inner(),
            name: partner.name().to_owned(),
            user_id,
            share_bps: partner.share_bps().unwrap_or_default(),
            suspended: partner.is_suspended(),
            version,
        }))
}
