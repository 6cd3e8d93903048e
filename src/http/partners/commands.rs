//! The admin commands on `/v1/partners`: register, change the share,
//! suspend, reinstate (admins only: the routes' policy).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use agora_actors::aggregate::Executed;
use agora_actors::partner::Partner;

use super::views::{RegisterPartnerBody, ShareBody, SuspendBody};
use crate::http::AppState;
use crate::http::command::{self, Command};
use crate::http::problem::ApiError;

/// `POST /v1/partners`.
pub(crate) async fn register(
    state: web::Data<AppState>,
    command: Command,
    body: web::Json<RegisterPartnerBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let executed = state
        .partners
        .register(
            &body.id,
            body.name,
            body.user_id,
            body.share_bps,
            &command.request(),
        )
        .await?;
    let location = format!("/v1/partners/{}", body.id);
    Ok(command::command_response(
        StatusCode::CREATED,
        body.id,
        &executed,
        Some(location),
        None,
    ))
}

/// `PUT /v1/partners/{id}/share`: future sales only.
pub(crate) async fn change_share(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<ShareBody>,
) -> Result<HttpResponse, ApiError> {
    let executed = state
        .partners
        .change_share(&id, body.share_bps, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/partners/{id}/suspend` (the body, with a reason, is optional).
pub(crate) async fn suspend(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: Option<web::Json<SuspendBody>>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let executed = state
        .partners
        .suspend(&id, reason, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/partners/{id}/reinstate`.
pub(crate) async fn reinstate(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let executed = state.partners.reinstate(&id, &command.request()).await?;
    Ok(ok(id.into_inner(), &executed))
}

/// The 200 answer to a command on partner `id`.
fn ok(id: String, executed: &Executed<Partner>) -> HttpResponse {
    command::command_response(StatusCode::OK, id, executed, None, None)
}
