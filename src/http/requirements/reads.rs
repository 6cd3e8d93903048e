//! The reads of `/v1/requirements`, from the requirements projection
//! (`?min_position=P` waits until it applied `P`).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use agora_actors::projection::requirements::{
    MAX_REQUIREMENT_PAGE, RequirementCard, RequirementListError, RequirementQuery, RequirementSort,
    RequirementStatus, StatusFilter,
};
use agora_actors::user::Principal;
use agora_events::domain::requirement::Visibility;
use schemars::JsonSchema;
use serde::Deserialize;

use super::views::{BidView, BidsView, RequirementPageView, RequirementView};
use crate::http::AppState;
use crate::http::auth::MaybeAuthenticated;
use crate::http::command::etag;
use crate::http::policy::oversees;
use crate::http::problem::{ApiError, ProblemKind};
use crate::http::reads::caught_up;

/// Page size of a listing without `limit`.
const DEFAULT_PAGE: usize = 20;
/// Longest search text, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// Query of `GET /v1/requirements`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Full-text search over title, description and skills (English words,
    /// Chinese characters; the last word also matches as a prefix).
    q: Option<String>,
    /// Only requirements asking for this skill.
    skill: Option<String>,
    /// Only budgets reaching at least this many minor units.
    min_budget: Option<u64>,
    /// Only budgets starting at most at this many minor units.
    max_budget: Option<u64>,
    /// `open` (default: taking bids), `closed`, `awarded`, `cancelled` or `any`.
    status: Option<String>,
    /// `newest` (default), `budget`, `closing` or `relevance` (with `q`).
    sort: Option<String>,
    /// Page size, 1 to 100 (default 20).
    limit: Option<usize>,
    /// The previous page's `next_cursor`.
    cursor: Option<String>,
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

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::new(ProblemKind::InvalidRequest, detail)
}

/// `GET /v1/requirements`: anyone; invited-only requirements only to their
/// client, their invited vendors, admins and auditors.
pub(crate) async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    wait_for(&state, query.min_position).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_REQUIREMENT_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("limit must be 1 to {MAX_REQUIREMENT_PAGE}"),
        ));
    }
    let status = match query.status.as_deref() {
        None | Some("open") => StatusFilter::Open,
        Some("closed") => StatusFilter::Closed,
        Some("awarded") => StatusFilter::Awarded,
        Some("cancelled") => StatusFilter::Cancelled,
        Some("any") => StatusFilter::Any,
        Some(other) => return Err(invalid(format!("unknown status {other:?}"))),
    };
    let sort = match query.sort.as_deref() {
        None | Some("newest") => RequirementSort::Newest,
        Some("budget") => RequirementSort::Budget,
        Some("closing") => RequirementSort::Closing,
        Some("relevance") => RequirementSort::Relevance,
        Some(other) => return Err(invalid(format!("unknown sort {other:?}"))),
    };
    let text = query.q.filter(|q| !q.trim().is_empty());
    if text
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("q is longer than {MAX_QUERY_CHARS} characters"),
        ));
    }
    let now = state.requirements.clock().now();
    let principal = auth.0.as_ref();
    let request = RequirementQuery {
        text,
        skill: query.skill.map(|s| s.trim().to_lowercase()),
        min_budget: query.min_budget,
        max_budget: query.max_budget,
        status,
        sort,
        limit,
        cursor: query.cursor,
        viewer: principal.map(|p| p.user_id.clone()),
        oversight: principal.is_some_and(oversees),
        now,
    };
    let page = state
        .requirements
        .view()
        .read(|view| view.list(&request))
        .map_err(|e| match e {
            RequirementListError::BadCursor => invalid(e.to_string()),
            RequirementListError::Search(_) => {
                ApiError::new(ProblemKind::Unavailable, e.to_string())
            }
        })?;
    let requirements = page
        .requirements
        .into_iter()
        .map(|card| {
            let full = full_view(&card, principal);
            RequirementView::of(card, now, full)
        })
        .collect();
    Ok(HttpResponse::Ok().json(RequirementPageView {
        requirements,
        next_cursor: page.next_cursor,
    }))
}

/// Whether `principal` sees everything of `card` (its client, admins,
/// auditors).
fn full_view(card: &RequirementCard, principal: Option<&Principal>) -> bool {
    principal.is_some_and(|p| p.user_id == card.client_id || oversees(p))
}

/// The card of requirement `id` if `principal` may see it (404 otherwise,
/// exactly as for a missing one).
fn visible_card(
    state: &AppState,
    id: &str,
    principal: Option<&Principal>,
) -> Result<RequirementCard, ApiError> {
    let viewer = principal.map(|p| p.user_id.as_str());
    let oversight = principal.is_some_and(oversees);
    state
        .requirements
        .view()
        .read(|view| {
            view.get(id)
                .filter(|card| card.visible_to(viewer, oversight))
                .cloned()
        })
        .ok_or_else(|| {
            ApiError::new(
                ProblemKind::RequirementNotFound,
                format!("no requirement {id:?}"),
            )
        })
}

/// `GET /v1/requirements/{id}`.
pub(crate) async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let principal = auth.0.as_ref();
    let card = visible_card(&state, &id, principal)?;
    let full = full_view(&card, principal);
    let now = state.requirements.clock().now();
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(card.version)))
        .json(RequirementView::of(card, now, full)))
}

/// `GET /v1/requirements/{id}/bids`. Who sees what:
///
/// - public and invited-only requirements (to those who see them), and
///   every awarded one: every bid with its amounts;
/// - a sealed requirement not awarded: its client sees every bid with its
///   amounts; admins and auditors every bid without amounts; a vendor only
///   its own bid; anyone else no bid (`live_bids` still counts them).
pub(crate) async fn bids(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let principal = auth.0.as_ref();
    let card = visible_card(&state, &id, principal)?;
    let sealed =
        card.terms.visibility == Visibility::Sealed && card.status != RequirementStatus::Awarded;
    let viewer = principal.map(|p| p.user_id.as_str());
    let is_client = viewer == Some(card.client_id.as_str());
    let oversight = principal.is_some_and(oversees);
    let live_bids = card.live_bids();
    let (visibility, version, requirement_id) = (card.terms.visibility, card.version, card.id);
    let bids = card
        .bids
        .into_values()
        .filter_map(|bid| {
            let own = viewer == Some(bid.vendor_id.as_str());
            match (sealed, is_client || own, oversight) {
                (false, _, _) | (true, true, _) => Some(BidView::of(bid, true)),
                (true, false, true) => Some(BidView::of(bid, false)),
                (true, false, false) => None,
            }
        })
        .collect::<Vec<_>>();
    let sealed_for_caller = sealed && !is_client;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(BidsView {
            requirement_id,
            visibility,
            sealed: sealed_for_caller,
            live_bids,
            bids,
            version,
        }))
}

/// Waits (bounded) until the requirements view applied `position`, if given.
async fn wait_for(state: &AppState, position: Option<u64>) -> Result<(), ApiError> {
    caught_up(
        state,
        state.requirements.view(),
        position,
        "the requirements view",
    )
    .await
}
