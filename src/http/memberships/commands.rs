//! The commands on `/v1/plans`: offer, change the price, withdraw,
//! subscribe, cancel. Who may call is the route's policy; what only the
//! Plan aggregate knows (the plan's owner, the member) it checks itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use agora_actors::aggregate::Executed;
use agora_actors::membership::{MembershipError, NewPlan, Plan};
use agora_events::domain::membership::PlanOwner;
use agora_events::domain::user::Role;

use super::views::{MoneyBody, OfferBody};
use crate::http::AppState;
use crate::http::command::{self, Command};
use crate::http::problem::{ApiError, ProblemKind};

/// `POST /v1/plans`: a creator for themselves, an admin for the platform.
pub(crate) async fn offer(
    state: web::Data<AppState>,
    command: Command,
    body: web::Json<OfferBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let owner = body.owner.map_or_else(
        || PlanOwner::Creator(command.user_id().to_owned()),
        PlanOwner::from,
    );
    match &owner {
        PlanOwner::Platform if !command.has(Role::Admin) => {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                MembershipError::PlatformPlanNeedsAdmin.to_string(),
            ));
        }
        PlanOwner::Creator(_) if !command.has(Role::Creator) => {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                "offering a creator plan needs the creator role",
            ));
        }
        _ => {}
    }
    let new = NewPlan {
        id: body.id,
        owner,
        title: body.title,
        period_days: body.period_days,
        price: body.price.into(),
    };
    let (id, executed) = state
        .memberships
        .offer(new, &command.membership_caller())
        .await?;
    let location = format!("/v1/plans/{id}");
    Ok(command::command_response(
        StatusCode::CREATED,
        id,
        &executed,
        Some(location),
        None,
    ))
}

/// `PUT /v1/plans/{id}/price`: the plan's creator or an admin.
pub(crate) async fn change_price(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<MoneyBody>,
) -> Result<HttpResponse, ApiError> {
    let price = body.into_inner().into();
    let executed = state
        .memberships
        .change_price(&id, price, &command.membership_caller())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/plans/{id}/withdraw`: the plan's creator or an admin.
pub(crate) async fn withdraw(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let executed = state
        .memberships
        .withdraw(&id, &command.membership_caller())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/plans/{id}/subscriptions`: a learner subscribes and pays the
/// first period.
pub(crate) async fn subscribe(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (payment_id, executed) = state
        .memberships
        .subscribe(&id, &command.membership_caller())
        .await?;
    Ok(command::command_response(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        None,
        payment_id.map(|p| ("payment_id", p)),
    ))
}

/// `POST /v1/plans/{id}/subscriptions/{user}/cancel`: the member or an
/// admin stops auto-renewal.
pub(crate) async fn cancel(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, member) = path.into_inner();
    let executed = state
        .memberships
        .cancel(&id, &member, &command.membership_caller())
        .await?;
    Ok(ok(id, &executed))
}

/// The 200 answer to a command on plan `id`.
fn ok(id: String, executed: &Executed<Plan>) -> HttpResponse {
    command::command_response(StatusCode::OK, id, executed, None, None)
}
