//! `/v1/contents`: draft, edit, price, publish, buy, refund, rate, review,
//! check in, comment — and the catalog.
//!
//! - Every mutation needs a bearer token (401 without); the caller becomes
//!   the events' actor and the aggregate checks who may do what (the
//!   creator edits, prices and publishes; owners rate, review and check
//!   in; the buyer refunds). Drafting also needs the `creator` role.
//! - Commands answer `{id, version, position, replayed}` (plus the new
//!   `purchase_id` or `comment_id`) and the item's `ETag`; `If-Match`
//!   makes a command conditional (412 when stale); `Idempotency-Key` makes
//!   a repeat answer the first answer. Keys are scoped to the route and the
//!   caller. A purchase's id is derived from its key, so concurrent repeats
//!   record one purchase.
//! - `GET /v1/contents/{id}` and `GET /v1/contents` read the catalog
//!   projection (`?min_position=P` waits until it applied `P`). Drafts are
//!   shown to their creator only (404 to anyone else); listings show
//!   published items only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self};
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::aggregate::{CommandError, Executed};
use agora_actors::content::{
    Content, ContentError, ContentServiceError, DraftChanges, NewContent, Request,
};
use agora_actors::projection::catalog::{
    CatalogItem, CatalogQuery, CatalogSort, CatalogStage, MAX_PAGE,
};
use agora_events::domain::content::{Body, ContentKind, Money};
use agora_events::domain::user::Role;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Authenticated, MaybeAuthenticated};
use super::command::{self, etag, idempotency_key, if_match};
use super::problem::{ApiError, ProblemKind};
use crate::timefmt::rfc3339;

/// Page size of a listing without `limit`.
const DEFAULT_PAGE: usize = 20;

/// The routes of this module.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(super::method_not_allowed));
    cfg.service(
        resource("/v1/contents")
            .route(web::post().to(draft))
            .route(web::get().to(list)),
    )
    .service(
        resource("/v1/contents/{id}")
            .route(web::get().to(read))
            .route(web::patch().to(edit)),
    )
    .service(resource("/v1/contents/{id}/price").route(web::put().to(set_price)))
    .service(resource("/v1/contents/{id}/publish").route(web::post().to(publish)))
    .service(resource("/v1/contents/{id}/unpublish").route(web::post().to(unpublish)))
    .service(resource("/v1/contents/{id}/retire").route(web::post().to(retire)))
    .service(resource("/v1/contents/{id}/purchases").route(web::post().to(purchase)))
    .service(
        resource("/v1/contents/{id}/purchases/{purchase_id}/refund").route(web::post().to(refund)),
    )
    .service(resource("/v1/contents/{id}/rating").route(web::put().to(rate)))
    .service(resource("/v1/contents/{id}/review").route(web::put().to(review)))
    .service(resource("/v1/contents/{id}/check-ins").route(web::post().to(check_in)))
    .service(resource("/v1/contents/{id}/comments").route(web::post().to(comment)))
    .service(
        resource("/v1/contents/{id}/comments/{comment_id}/answer")
            .route(web::post().to(mark_answer)),
    );
}

/// Body of `POST /v1/contents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftBody {
    id: Option<String>,
    kind: ContentKind,
    title: String,
    #[serde(default)]
    summary: String,
    /// `{"text": "..."}` or `{"chapters": [{"title", "body"}]}`.
    body: Option<Body>,
    #[serde(default)]
    tags: Vec<String>,
    language: String,
}

/// Body of `PATCH /v1/contents/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditBody {
    kind: Option<ContentKind>,
    title: Option<String>,
    summary: Option<String>,
    body: Option<Body>,
    tags: Option<Vec<String>>,
    language: Option<String>,
}

/// Body of `PUT /v1/contents/{id}/price`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriceBody {
    amount_cents: u64,
    currency: String,
}

/// Body of `PUT /v1/contents/{id}/rating`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RatingBody {
    stars: u8,
}

/// Body of `PUT /v1/contents/{id}/review`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    text: String,
}

/// Body of `POST /v1/contents/{id}/check-ins`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckInBody {
    note: Option<String>,
}

/// Body of `POST /v1/contents/{id}/comments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentBody {
    text: String,
    parent_id: Option<String>,
    #[serde(default)]
    is_question: bool,
}

/// Body of `POST /v1/contents/{id}/comments/{comment_id}/answer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    answer_id: String,
}

/// Query of `GET /v1/contents/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    min_position: Option<u64>,
}

/// The order of a listing, on the wire.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SortParam {
    Newest,
    Rating,
    Sales,
}

/// Query of `GET /v1/contents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    tag: Option<String>,
    kind: Option<ContentKind>,
    language: Option<String>,
    min_price: Option<u64>,
    max_price: Option<u64>,
    creator: Option<String>,
    sort: Option<SortParam>,
    limit: Option<usize>,
    cursor: Option<String>,
    min_position: Option<u64>,
}

/// A rating summary on the wire.
#[derive(Debug, Serialize)]
struct RatingView {
    average: Option<f64>,
    count: u64,
}

/// A catalog item on the wire.
#[derive(Debug, Serialize)]
struct ItemView {
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

/// A listing page on the wire.
#[derive(Debug, Serialize)]
struct PageView {
    items: Vec<ItemView>,
    next_cursor: Option<String>,
}

/// `POST /v1/contents`: creators only.
async fn draft(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    body: web::Json<DraftBody>,
) -> Result<HttpResponse, ApiError> {
    if !auth.0.has(Role::Creator) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "drafting content needs the creator role",
        ));
    }
    let body = body.into_inner();
    let new = NewContent {
        id: body.id,
        kind: body.kind,
        title: body.title,
        summary: body.summary,
        body: body.body.unwrap_or_else(|| Body::Text(String::new())),
        tags: body.tags,
        language: body.language,
    };
    let request = caller(&auth, &request)?;
    let (id, executed) = state
        .contents
        .draft(new, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(StatusCode::CREATED, id, &executed, Extra::None))
}

/// `GET /v1/contents/{id}`: drafts only for their creator.
async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let not_found = || ApiError::new(ProblemKind::ContentNotFound, format!("no content {id:?}"));
    let item = state
        .contents
        .catalog()
        .read(|catalog| catalog.get(&id).cloned())
        .ok_or_else(not_found)?;
    let is_creator = auth
        .0
        .as_ref()
        .is_some_and(|p| p.user_id == item.creator_id);
    if item.stage == CatalogStage::Draft && !is_creator {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(item.version)))
        .json(ItemView::from(item)))
}

/// `GET /v1/contents`: published items, filtered, sorted, paginated.
async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    wait_for(&state, query.min_position).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("limit must be 1 to {MAX_PAGE}"),
        ));
    }
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            "min_price must not be above max_price",
        ));
    }
    let catalog_query = CatalogQuery {
        tag: query.tag,
        kind: query.kind,
        language: query.language,
        min_price: query.min_price,
        max_price: query.max_price,
        creator: query.creator,
        sort: match query.sort {
            None | Some(SortParam::Newest) => CatalogSort::Newest,
            Some(SortParam::Rating) => CatalogSort::Rating,
            Some(SortParam::Sales) => CatalogSort::Sales,
        },
        limit,
        cursor: query.cursor,
    };
    let page = state
        .contents
        .catalog()
        .read(|catalog| catalog.list(&catalog_query))
        .map_err(|e| ApiError::new(ProblemKind::InvalidRequest, e.to_string()))?;
    Ok(HttpResponse::Ok().json(PageView {
        items: page.items.into_iter().map(ItemView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `PATCH /v1/contents/{id}`: the creator changes a draft.
async fn edit(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<EditBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let changes = DraftChanges {
        kind: body.kind,
        title: body.title,
        summary: body.summary,
        body: body.body,
        tags: body.tags,
        language: body.language,
    };
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .edit(&id, changes, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// `PUT /v1/contents/{id}/price`.
async fn set_price(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<PriceBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let price = Money {
        amount_cents: body.amount_cents,
        currency: body.currency,
    };
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .set_price(&id, price, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// A creator's stage change.
#[derive(Clone, Copy)]
enum StageChange {
    Publish,
    Unpublish,
    Retire,
}

/// `POST /v1/contents/{id}/publish`.
async fn publish(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change_stage(state, auth, request, id, StageChange::Publish).await
}

/// `POST /v1/contents/{id}/unpublish`.
async fn unpublish(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change_stage(state, auth, request, id, StageChange::Unpublish).await
}

/// `POST /v1/contents/{id}/retire`.
async fn retire(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change_stage(state, auth, request, id, StageChange::Retire).await
}

async fn change_stage(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    change: StageChange,
) -> Result<HttpResponse, ApiError> {
    let request = caller(&auth, &request)?;
    let contents = &state.contents;
    let executed = match change {
        StageChange::Publish => contents.publish(&id, &request).await,
        StageChange::Unpublish => contents.unpublish(&id, &request).await,
        StageChange::Retire => contents.retire(&id, &request).await,
    }
    .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// `POST /v1/contents/{id}/purchases`: the caller buys the item.
async fn purchase(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let request = caller(&auth, &request)?;
    let (purchase_id, executed) = state
        .contents
        .purchase(&id, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Extra::Purchase(purchase_id),
    ))
}

/// `POST /v1/contents/{id}/purchases/{purchase_id}/refund`: the buyer.
async fn refund(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, purchase_id) = path.into_inner();
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .refund(&id, &purchase_id, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id,
        &executed,
        Extra::Purchase(purchase_id),
    ))
}

/// `PUT /v1/contents/{id}/rating`: an owner.
async fn rate(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<RatingBody>,
) -> Result<HttpResponse, ApiError> {
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .rate(&id, body.stars, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// `PUT /v1/contents/{id}/review`: an owner.
async fn review(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .review(&id, body.into_inner().text, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// `POST /v1/contents/{id}/check-ins`: an owner of a course, once a day.
async fn check_in(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<CheckInBody>,
) -> Result<HttpResponse, ApiError> {
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .check_in(&id, body.into_inner().note, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// `POST /v1/contents/{id}/comments`: anyone logged in, on a published item.
async fn comment(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = caller(&auth, &request)?;
    let (comment_id, executed) = state
        .contents
        .comment(&id, body.text, body.parent_id, body.is_question, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Extra::Comment(comment_id),
    ))
}

/// `POST /v1/contents/{id}/comments/{comment_id}/answer`: the creator.
async fn mark_answer(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, comment_id) = path.into_inner();
    let request = caller(&auth, &request)?;
    let executed = state
        .contents
        .mark_answer(&id, &comment_id, &body.answer_id, &request)
        .await
        .map_err(from_service)?;
    Ok(reply(
        StatusCode::OK,
        id,
        &executed,
        Extra::Comment(comment_id),
    ))
}

/// Waits (bounded) until the catalog applied `position`, if given.
async fn wait_for(state: &AppState, position: Option<u64>) -> Result<(), ApiError> {
    match position {
        Some(position)
            if !state
                .contents
                .catalog()
                .wait_for(position, state.read_wait)
                .await =>
        {
            Err(ApiError::new(
                ProblemKind::ProjectionLagging,
                format!("the catalog has not reached position {position} yet"),
            ))
        }
        _ => Ok(()),
    }
}

/// The service request of an authenticated call: the caller, its
/// `Idempotency-Key` scoped to the method, path and caller, and `If-Match`.
fn caller(auth: &Authenticated, request: &HttpRequest) -> Result<Request, ApiError> {
    let user = &auth.0.user_id;
    let scope = format!("{} {} by {user}", request.method(), request.path());
    Ok(Request {
        actor_id: user.clone(),
        idempotency_key: idempotency_key(request.headers(), &scope)?,
        if_match: if_match(request.headers())?,
    })
}

/// The id a command created, if any, to echo in the reply.
enum Extra {
    None,
    Purchase(String),
    Comment(String),
}

/// The answer to a command on item `id`; a new item also gets its
/// `Location`, a purchase or comment its id.
fn reply(
    status: StatusCode,
    id: String,
    executed: &Executed<Content>,
    extra: Extra,
) -> HttpResponse {
    let created = match extra {
        Extra::None => None,
        Extra::Purchase(p) => Some(("purchase_id", p)),
        Extra::Comment(c) => Some(("comment_id", c)),
    };
    let location =
        (status == StatusCode::CREATED && created.is_none()).then(|| format!("/v1/contents/{id}"));
    command::command_response(status, id, executed, location, created)
}

/// Maps a use-case failure to its problem.
pub(crate) fn from_service(error: ContentServiceError) -> ApiError {
    match error {
        ContentServiceError::InvalidId(_) => {
            ApiError::new(ProblemKind::InvalidRequest, error.to_string())
        }
        ContentServiceError::Command(e) => from_command(e),
        ContentServiceError::PartnerRate { .. } => {
            tracing::error!(%error, "a sale could not read its partner's share");
            ApiError::new(ProblemKind::Unavailable, error.to_string())
        }
    }
}

/// The problem kind of each rule of the Content aggregate, by the HTTP
/// status its doc names.
fn kind_of(error: &ContentError) -> ProblemKind {
    use ContentError as E;
    use ProblemKind as K;
    match error {
        E::Unauthenticated => K::Unauthorized,
        E::NotDrafted => K::ContentNotFound,
        E::PurchaseNotFound(_) | E::CommentNotFound(_) => K::ContentPartNotFound,
        E::NotCreator | E::NotOwner | E::NotBuyer => K::Forbidden,
        E::AlreadyDrafted => K::ContentExists,
        E::AlreadyOwned => K::AlreadyPurchased,
        E::NotPublished => K::ContentNotPublished,
        E::NoLongerDraft
        | E::Retired
        | E::AlreadyPublished
        | E::AlreadyRetired
        | E::PublishWithoutBody
        | E::PublishWithoutPrice
        | E::OwnContent
        | E::DuplicatePurchaseId(_)
        | E::AlreadyRefunded
        | E::RefundWindowClosed
        | E::NotACourse
        | E::AlreadyCheckedIn(_)
        | E::DuplicateCommentId(_)
        | E::NotAQuestion => K::ContentConflict,
        E::NotThisListing | E::ListingTextFixed => K::ContentConflict,
        E::PartnerRateMissing(_) | E::RatesAboveWhole => K::Internal,
        E::AnswerNotInThread
        | E::EmptyTitle
        | E::TitleTooLong
        | E::SummaryTooLong
        | E::BodyTooLarge
        | E::EmptyChapterTitle
        | E::ChapterTitleTooLong
        | E::ControlCharacter(_)
        | E::TooManyTags
        | E::EmptyTag
        | E::TagTooLong
        | E::InvalidLanguage
        | E::InvalidCurrency
        | E::StarsOutOfRange(_)
        | E::EmptyReview
        | E::ReviewTooLong
        | E::EmptyComment
        | E::CommentTooLong
        | E::NoteTooLong
        | E::InvalidId(_) => K::ValidationFailed,
    }
}

fn from_command(error: CommandError<ContentError>) -> ApiError {
    command::from_command(error, "content", |e| {
        ApiError::new(kind_of(&e), e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_map_to_the_status_their_doc_names() {
        assert_eq!(kind_of(&ContentError::NotDrafted).status(), 404);
        assert_eq!(kind_of(&ContentError::NotCreator).status(), 403);
        assert_eq!(
            kind_of(&ContentError::AlreadyOwned),
            ProblemKind::AlreadyPurchased
        );
        assert_eq!(kind_of(&ContentError::RefundWindowClosed).status(), 409);
        assert_eq!(kind_of(&ContentError::AnswerNotInThread).status(), 422);
        assert_eq!(kind_of(&ContentError::StarsOutOfRange(9)).status(), 422);
    }
}
