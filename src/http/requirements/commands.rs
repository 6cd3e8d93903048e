//! The commands of `/v1/requirements`: post, edit, cancel, bid, revise,
//! withdraw, award. Each parses, calls one service use case and answers
//! with [`command::command_response`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use agora_actors::aggregate::Executed;
use agora_actors::requirement::{NewBid, NewRequirement, NewTerms, Requirement, TermsPatch};
use agora_events::domain::user::Role;

use super::views::{AwardBody, BidBody, CancelBody, PatchBody, PostBody};
use crate::http::AppState;
use crate::http::command::{self, Command};
use crate::http::problem::ApiError;

/// `POST /v1/requirements`: 201 with `Location`.
pub(crate) async fn post(
    state: web::Data<AppState>,
    command: Command,
    body: web::Json<PostBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewRequirement {
        id: body.id,
        terms: NewTerms {
            title: body.title,
            description: body.description,
            skills: body.skills,
            budget: body.budget.into(),
            deadline_days: body.deadline_days,
            bidding_days: body.bidding_days,
            visibility: body.visibility,
            invited: body.invited,
        },
    };
    let (id, executed) = state.requirements.post(new, &command.request()).await?;
    let location = format!("/v1/requirements/{id}");
    Ok(command::command_response(
        StatusCode::CREATED,
        id,
        &executed,
        Some(location),
        None,
    ))
}

/// `PATCH /v1/requirements/{id}`.
pub(crate) async fn edit(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let patch = TermsPatch {
        title: body.title,
        description: body.description,
        skills: body.skills,
        budget: body.budget.map(Into::into),
        deadline_days: body.deadline_days,
        bidding_days: body.bidding_days,
        visibility: body.visibility,
        invited: body.invited,
    };
    let executed = state
        .requirements
        .edit(&id, patch, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/requirements/{id}/cancel` (the body, with a reason, is
/// optional).
pub(crate) async fn cancel(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: Option<web::Json<CancelBody>>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let executed = state
        .requirements
        .cancel(&id, reason, command.has(Role::Admin), &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

fn new_bid(body: BidBody) -> NewBid {
    NewBid {
        price: body.price.into(),
        delivery_days: body.delivery_days,
        proposal: body.proposal,
        milestones: body
            .milestones
            .into_iter()
            .map(super::views::MilestoneBody::into_milestone)
            .collect(),
    }
}

/// `POST /v1/requirements/{id}/bids`: 201, the bid at
/// `/v1/requirements/{id}/bids/{vendor_id}`.
pub(crate) async fn bid(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<BidBody>,
) -> Result<HttpResponse, ApiError> {
    let executed = state
        .requirements
        .bid(&id, new_bid(body.into_inner()), &command.request())
        .await?;
    let vendor = command.user_id().to_owned();
    let location = format!("/v1/requirements/{id}/bids/{vendor}");
    Ok(command::command_response(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Some(location),
        Some(("vendor_id", vendor)),
    ))
}

/// `PUT /v1/requirements/{id}/bids/{vendor_id}`: the vendor itself.
pub(crate) async fn revise(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
    body: web::Json<BidBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, vendor_id) = path.into_inner();
    if vendor_id != command.user_id() {
        return Err(ApiError::new(
            crate::http::problem::ProblemKind::Forbidden,
            "only the vendor who placed the bid may revise it",
        ));
    }
    let executed = state
        .requirements
        .revise(&id, new_bid(body.into_inner()), &command.request())
        .await?;
    Ok(ok(id, &executed))
}

/// `DELETE /v1/requirements/{id}/bids/{vendor_id}`: the vendor, or an
/// admin.
pub(crate) async fn withdraw(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, vendor_id) = path.into_inner();
    let executed = state
        .requirements
        .withdraw(
            &id,
            &vendor_id,
            command.has(Role::Admin),
            &command.request(),
        )
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/requirements/{id}/award`: 201 `{contract_id}` (the
/// requirement's id), once the contract is open; `position` covers both
/// appends, so a read with it sees the award and the contract.
pub(crate) async fn award(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<AwardBody>,
) -> Result<HttpResponse, ApiError> {
    let awarded = agora_actors::award::award(
        &state.requirements,
        &state.contracts,
        &id,
        &body.vendor_id,
        &command.request(),
    )
    .await?;
    let executed = Executed {
        position: awarded.position(),
        ..awarded.requirement
    };
    let id = id.into_inner();
    Ok(command::command_response(
        StatusCode::CREATED,
        id.clone(),
        &executed,
        None,
        Some(("contract_id", id)),
    ))
}

/// The 200 answer to a command on requirement `id`.
fn ok(id: String, executed: &Executed<Requirement>) -> HttpResponse {
    command::command_response(StatusCode::OK, id, executed, None, None)
}
