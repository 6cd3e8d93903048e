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
use crate::http::fields::{self, MAX_SEARCH_CHARS};
use crate::http::policy::oversees;
use crate::http::problem::{ApiError, ProblemKind};
use crate::http::reads::caught_up;

/// Page size of a listing without `limit`.
const DEFAULT_PAGE: usize = 20;

/// Which requirements a listing shows, as a query names it.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StatusParam {
    /// Taking bids (the default).
    Open,
    /// Bidding window over, not awarded or cancelled.
    Closed,
    /// Awarded.
    Awarded,
    /// Cancelled.
    Cancelled,
    /// All of them.
    Any,
}

impl From<StatusParam> for StatusFilter {
    fn from(status: StatusParam) -> Self {
        match status {
            StatusParam::Open => Self::Open,
            StatusParam::Closed => Self::Closed,
            StatusParam::Awarded => Self::Awarded,
            StatusParam::Cancelled => Self::Cancelled,
            StatusParam::Any => Self::Any,
        }
    }
}

/// The order of a listing, as a query names it.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SortParam {
    /// Newest first (the default).
    Newest,
    /// Largest budget first.
    Budget,
    /// Closing soonest first.
    Closing,
    /// Best match of `q` first.
    Relevance,
}

impl From<SortParam> for RequirementSort {
    fn from(sort: SortParam) -> Self {
        match sort {
            SortParam::Newest => Self::Newest,
            SortParam::Budget => Self::Budget,
            SortParam::Closing => Self::Closing,
            SortParam::Relevance => Self::Relevance,
        }
    }
}

/// Query of `GET /v1/requirements`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Full-text search over title, description and skills (English words,
    /// Chinese characters; the last word also matches as a prefix).
    #[schemars(with = "Option<fields::SearchText>")]
    q: Option<String>,
    /// Only requirements asking for this skill.
    #[schemars(with = "Option<fields::Skill>")]
    skill: Option<String>,
    /// Only budgets reaching at least this many minor units.
    #[schemars(with = "Option<fields::AmountCents>")]
    min_budget: Option<u64>,
    /// Only budgets starting at most at this many minor units.
    #[schemars(with = "Option<fields::AmountCents>")]
    max_budget: Option<u64>,
    /// `open` (default: taking bids), `closed`, `awarded`, `cancelled` or `any`.
    status: Option<StatusParam>,
    /// `newest` (default), `budget`, `closing` or `relevance` (with `q`).
    sort: Option<SortParam>,
    /// Page size, 1 to 100 (default 20).
    #[schemars(with = "Option<fields::RequirementLimit>")]
    limit: Option<usize>,
    /// The previous page's `next_cursor`.
    #[schemars(with = "Option<fields::Cursor>")]
    cursor: Option<String>,
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// Query of `GET /v1/requirements/{id}/bids`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BidsQuery {
    /// Also rank the live bids (the requirement's client; admins and
    /// auditors once amounts are not sealed from them): each scored in
    /// [0, 1] with every part shown, best first.
    #[serde(default)]
    rank: bool,
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// Query of `GET /v1/requirements/{id}/vendors`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorsQuery {
    /// How many vendors, 1 to 50 (default 10).
    #[schemars(with = "Option<fields::SuggestK>")]
    k: Option<usize>,
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
    let status = query.status.unwrap_or(StatusParam::Open).into();
    let sort = query.sort.unwrap_or(SortParam::Newest).into();
    let text = query.q.filter(|q| !q.trim().is_empty());
    if text
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("q is longer than {MAX_SEARCH_CHARS} characters"),
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
    query: web::Query<BidsQuery>,
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
    let ranking = if query.rank {
        // A ranking shows how prices compare: only who sees the amounts
        // may ask for it, among the client, admins and auditors.
        if !(is_client || (oversight && !sealed)) {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                "only the requirement's client, admins and auditors rank its bids \
                 (admins and auditors once its amounts are not sealed)",
            ));
        }
        caught_up(
            &state,
            state.contracts.view(),
            query.min_position,
            "the contracts view",
        )
        .await?;
        Some(super::ranking::rank(&state, &card).await?)
    } else {
        None
    };
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
            ranking,
            version,
        }))
}

/// `GET /v1/requirements/{id}/vendors`: vendors to invite, for the
/// requirement's client, admins and auditors (no amounts are shown, so a
/// sealed requirement is no different).
pub(crate) async fn vendors(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<VendorsQuery>,
) -> Result<HttpResponse, ApiError> {
    let k = query.k.unwrap_or(10);
    if !(1..=super::ranking::MAX_SUGGESTIONS).contains(&k) {
        return Err(invalid(format!(
            "k must be 1 to {}",
            super::ranking::MAX_SUGGESTIONS
        )));
    }
    wait_for(&state, query.min_position).await?;
    let principal = auth.0.as_ref();
    let card = visible_card(&state, &id, principal)?;
    let is_client = principal.is_some_and(|p| p.user_id == card.client_id);
    if !(is_client || principal.is_some_and(oversees)) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the requirement's client, admins and auditors see vendor suggestions",
        ));
    }
    caught_up(
        &state,
        state.contracts.view(),
        query.min_position,
        "the contracts view",
    )
    .await?;
    let suggestions = super::ranking::suggest(&state, &card, k).await?;
    Ok(HttpResponse::Ok().json(suggestions))
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
