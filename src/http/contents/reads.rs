//! The reads on `/v1/contents`: one item (its body for those who may read
//! it) and the catalog listing (filters, sorts, full-text search, cursors).

use actix_web::http::header::{self};
use actix_web::{HttpResponse, web};
use agora_actors::projection::catalog::{
    CatalogItem, CatalogQuery, CatalogSort, CatalogStage, ListError, MAX_PAGE,
};
use agora_events::domain::content::{ContentKind, Money};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::auth::MaybeAuthenticated;
use super::super::command::etag;
use super::super::problem::{ApiError, ProblemKind};
use super::super::reads::caught_up;
use super::super::{AppState, fields};
use super::bodies::{Access, BodyView, access};
use crate::timefmt::rfc3339;

/// Page size of a listing without `limit`.
const DEFAULT_PAGE: usize = 20;

/// Longest search text accepted, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// Query of `GET /v1/contents/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    min_position: Option<u64>,
}

/// The order of a listing, on the wire.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SortParam {
    Newest,
    Rating,
    Sales,
    Relevance,
}

/// Query of `GET /v1/contents`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Full-text search in titles, summaries and tags.
    #[schemars(with = "Option<fields::SearchText>")]
    q: Option<String>,
    /// Only items with this tag.
    #[schemars(with = "Option<fields::Tag>")]
    tag: Option<String>,
    /// Only items of this kind.
    kind: Option<ContentKind>,
    /// Only items in this language.
    #[schemars(with = "Option<fields::Language>")]
    language: Option<String>,
    /// Only items priced at least this (minor units).
    #[schemars(with = "Option<fields::AmountCents>")]
    min_price: Option<u64>,
    /// Only items priced at most this (minor units).
    #[schemars(with = "Option<fields::AmountCents>")]
    max_price: Option<u64>,
    /// Only items of this creator.
    #[schemars(with = "Option<fields::Id>")]
    creator: Option<String>,
    /// The order (`relevance` needs `q`).
    sort: Option<SortParam>,
    /// Page size, 1 to 100 (default 20).
    #[schemars(with = "Option<fields::CatalogLimit>")]
    limit: Option<usize>,
    /// The previous page's `next_cursor`.
    #[schemars(with = "Option<fields::Cursor>")]
    cursor: Option<String>,
    /// Wait until the catalog applied this position.
    min_position: Option<u64>,
}

/// A rating summary on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RatingView {
    average: Option<f64>,
    count: u64,
}

/// A catalog item on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ItemView {
    id: String,
    kind: ContentKind,
    title: String,
    summary: String,
    tags: Vec<String>,
    language: String,
    creator_id: String,
    price: Option<Money>,
    stage: CatalogStage,
    sales: u64,
    rating: RatingView,
    version: u64,
    drafted_at: String,
    published_at: Option<String>,
}

impl From<CatalogItem> for ItemView {
    fn from(item: CatalogItem) -> Self {
        Self {
            rating: RatingView {
                average: item.rating_average(),
                count: item.rating_count,
            },
            id: item.id,
            kind: item.kind,
            title: item.title,
            summary: item.summary,
            tags: item.tags,
            language: item.language,
            creator_id: item.creator_id,
            price: item.price,
            stage: item.stage,
            sales: item.sales,
            version: item.version,
            drafted_at: rfc3339(item.drafted_at),
            published_at: item.published_at.map(rfc3339),
        }
    }
}

/// One item on the wire: its card, whether the caller owns it, and its
/// body when the caller may read it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DetailView {
    #[serde(flatten)]
    item: ItemView,
    /// The caller holds a live purchase of it.
    owned: bool,
    /// The caller may read the body (and it is included).
    body_included: bool,
    /// The body, for those who may read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<BodyView>,
}

/// A listing page on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PageView {
    items: Vec<ItemView>,
    next_cursor: Option<String>,
}

/// `GET /v1/contents/{id}`: see the module doc of `contents` for who
/// sees what.
pub(crate) async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    let (item, access) = visible_item(&state, &auth, &id, query.min_position).await?;
    let body = if access.body {
        state
            .projections
            .bodies
            .read(|bodies| bodies.get(&id).cloned())
            .map(BodyView::from)
    } else {
        None
    };
    let view = DetailView {
        owned: access.owned,
        body_included: body.is_some(),
        body,
        item: ItemView::from(item),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(view.item.version)))
        .json(view))
}

/// `GET /v1/contents`: published items, searched, filtered, sorted,
/// paginated.
pub(crate) async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let catalog = state.contents.catalog();
    caught_up(&state, catalog, query.min_position, "the catalog").await?;
    let invalid = |detail: String| ApiError::new(ProblemKind::ValidationFailed, detail);
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(invalid(format!("limit must be 1 to {MAX_PAGE}")));
    }
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        return Err(invalid("min_price must not be above max_price".into()));
    }
    let text = query.q.filter(|q| !q.trim().is_empty());
    if text
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        return Err(invalid(format!(
            "q must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let sort = match (query.sort, text.is_some()) {
        (None, false) | (Some(SortParam::Newest), _) => CatalogSort::Newest,
        (None, true) | (Some(SortParam::Relevance), true) => CatalogSort::Relevance,
        (Some(SortParam::Relevance), false) => {
            return Err(invalid("sort=relevance needs a search text q".into()));
        }
        (Some(SortParam::Rating), _) => CatalogSort::Rating,
        (Some(SortParam::Sales), _) => CatalogSort::Sales,
    };
    let catalog_query = CatalogQuery {
        text,
        tag: query.tag,
        kind: query.kind,
        language: query.language,
        min_price: query.min_price,
        max_price: query.max_price,
        creator: query.creator,
        sort,
        limit,
        cursor: query.cursor,
    };
    let page = state
        .contents
        .catalog()
        .read(|catalog| catalog.list(&catalog_query))
        .map_err(|e| match e {
            ListError::BadCursor(_) => ApiError::new(ProblemKind::InvalidRequest, e.to_string()),
            ListError::Search(_) => ApiError::new(ProblemKind::Unavailable, e.to_string()),
        })?;
    Ok(HttpResponse::Ok().json(PageView {
        items: page.items.into_iter().map(ItemView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Item `id` and what the caller may do with it, once the read models an
/// item read uses applied `min_position` (a position not written yet is
/// refused at once): 404 `content-not-found` for an unknown item and for
/// one that is not published unless the caller may see it unlisted — the
/// one rule for every read of an item.
pub(super) async fn visible_item(
    state: &AppState,
    auth: &MaybeAuthenticated,
    id: &str,
    min_position: Option<u64>,
) -> Result<(CatalogItem, Access), ApiError> {
    let projections = &state.projections;
    let catalog = state.contents.catalog();
    caught_up(state, catalog, min_position, "the catalog").await?;
    caught_up(state, &projections.library, min_position, "the library").await?;
    caught_up(state, &projections.bodies, min_position, "the bodies").await?;
    let not_found = || ApiError::new(ProblemKind::ContentNotFound, format!("no content {id:?}"));
    let item = catalog
        .read(|catalog| catalog.get(id).cloned())
        .ok_or_else(not_found)?;
    let access = access(state, auth.0.as_ref(), &item);
    if item.stage != CatalogStage::Published && !access.unlisted {
        return Err(not_found());
    }
    Ok((item, access))
}
