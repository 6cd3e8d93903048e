//! The reads of `/v1/plans` and `/v1/users/{id}/memberships`, from the
//! memberships projection (`?min_position=P` waits until it applied `P`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use agora_actors::projection::memberships::{MAX_PLAN_PAGE, OwnerFilter, PlanCard, PlanQuery};
use agora_events::domain::membership::PlanOwner;
use agora_events::domain::user::Role;
use schemars::JsonSchema;
use serde::Deserialize;

use super::views::{CoverageView, PlanPage, PlanView, membership_views};
use crate::http::auth::Authenticated;
use crate::http::command::etag;
use crate::http::problem::{ApiError, ProblemKind};
use crate::http::reads::caught_up;
use crate::http::{AppState, fields};

/// Page size of a plan listing without `limit`.
const DEFAULT_PAGE: usize = 50;

/// Query of `GET /v1/plans`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Only platform plans (`true`) or only creator plans (`false`).
    platform: Option<bool>,
    /// Only the plans of this creator.
    #[schemars(with = "Option<fields::Id>")]
    creator: Option<String>,
    /// List withdrawn plans too.
    #[serde(default)]
    include_withdrawn: bool,
    /// Page size, 1 to 100 (default 50).
    #[schemars(with = "Option<fields::PlanLimit>")]
    limit: Option<usize>,
    /// The previous page's `next_after`.
    #[schemars(with = "Option<fields::Id>")]
    after: Option<String>,
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// Query of the single reads.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// Query of `GET /v1/users/{id}/memberships/coverage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoverageQuery {
    /// The creator whose content is asked about.
    #[schemars(with = "fields::Id")]
    creator: String,
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// `GET /v1/plans`: plans in id order, filtered by owner, paginated.
pub(crate) async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    wait_for(&state, query.min_position).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PLAN_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("limit must be 1 to {MAX_PLAN_PAGE}"),
        ));
    }
    let owner = match (query.platform, query.creator) {
        (Some(true), Some(_)) => {
            return Err(ApiError::new(
                ProblemKind::ValidationFailed,
                "platform=true and creator exclude each other",
            ));
        }
        (Some(true), None) => OwnerFilter::Platform,
        (_, Some(creator)) => OwnerFilter::Creator(creator),
        (Some(false), None) => OwnerFilter::AnyCreator,
        (None, None) => OwnerFilter::Any,
    };
    let plan_query = PlanQuery {
        owner,
        include_withdrawn: query.include_withdrawn,
        limit,
        after: query.after,
    };
    let page = state.memberships.view().read(|view| view.list(&plan_query));
    Ok(HttpResponse::Ok().json(PlanPage {
        plans: page.plans.into_iter().map(PlanView::from).collect(),
        next_after: page.next_after,
    }))
}

/// `GET /v1/plans/{id}`.
pub(crate) async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let card = plan_card(&state, &id)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(card.version)))
        .json(PlanView::from(card)))
}

/// `GET /v1/plans/{id}/members`: the plan's creator, admins and auditors.
pub(crate) async fn members(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let card = plan_card(&state, &id)?;
    let p = &auth.0;
    let is_owner = card.owner == PlanOwner::Creator(p.user_id.clone());
    if !(is_owner || p.has(Role::Admin) || p.has(Role::Auditor)) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the plan's creator, admins and auditors see its members",
        ));
    }
    let cards = state.memberships.view().read(|view| view.members(&id));
    let now = state.memberships.clock().now();
    Ok(HttpResponse::Ok().json(membership_views(&state, cards, now)))
}

/// `GET /v1/users/{id}/memberships`: the user, admins and auditors (the
/// route's policy).
pub(crate) async fn memberships_of(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let cards = state
        .memberships
        .view()
        .read(|view| view.memberships_of(&id));
    let now = state.memberships.clock().now();
    Ok(HttpResponse::Ok().json(membership_views(&state, cards, now)))
}

/// `GET /v1/users/{id}/memberships/coverage?creator=C`: whether the user's
/// memberships cover `C`'s content now (the user, admins and auditors).
pub(crate) async fn coverage(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    wait_for(&state, query.min_position).await?;
    let covered = state.memberships.covers(&id, &query.creator);
    Ok(HttpResponse::Ok().json(CoverageView {
        user_id: id.into_inner(),
        creator_id: query.creator,
        covered,
    }))
}

/// The card of plan `id`, or 404.
fn plan_card(state: &AppState, id: &str) -> Result<PlanCard, ApiError> {
    state
        .memberships
        .view()
        .read(|view| view.plan(id).cloned())
        .ok_or_else(|| ApiError::new(ProblemKind::PlanNotFound, format!("no plan {id:?}")))
}

/// Waits (bounded) until the memberships view applied `position`, if given.
pub(crate) async fn wait_for(state: &AppState, position: Option<u64>) -> Result<(), ApiError> {
    caught_up(
        state,
        state.memberships.view(),
        position,
        "the memberships view",
    )
    .await
}
