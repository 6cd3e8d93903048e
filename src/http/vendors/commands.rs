//! `PUT /v1/vendors/{id}`: the vendor (or an admin) sets its profile.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use agora_actors::vendor::VendorProfile;
use agora_events::domain::user::Role;

use super::views::ProfileBody;
use crate::http::AppState;
use crate::http::command::{self, Command};
use crate::http::problem::ApiError;

/// `PUT /v1/vendors/{id}`.
pub(crate) async fn set_profile(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let profile = VendorProfile {
        skills: body.skills,
        team_size: body.team_size,
        capacity: body.capacity,
        hourly_rate: body.hourly_rate.into(),
        portfolio: body.portfolio,
        languages: body.languages,
        content_ids: body.content_ids,
    };
    let executed = state
        .vendors
        .set_profile(&id, profile, command.has(Role::Admin), &command.request())
        .await?;
    Ok(command::command_response(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        None,
        None,
    ))
}
