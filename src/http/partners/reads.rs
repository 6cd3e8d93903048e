//! `GET /v1/partners/{id}`: the Partner aggregate itself (always current).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use agora_events::domain::user::Role;

use super::views::PartnerView;
use crate::http::AppState;
use crate::http::auth::Authenticated;
use crate::http::command::etag;
use crate::http::problem::{ApiError, ProblemKind};

/// `GET /v1/partners/{id}`: the partner's user, admins and auditors.
pub(crate) async fn read(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (partner, version) = state.partners.get(&id).await?;
    let user_id = partner.user_id().unwrap_or_default().to_owned();
    if !(auth.0.user_id == user_id || auth.0.has(Role::Admin) || auth.0.has(Role::Auditor)) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the partner's user, admins and auditors read a partner",
        ));
    }
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
