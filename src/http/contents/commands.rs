//! The commands on `/v1/contents`: draft, edit, price, publish, buy,
//! refund, rate, review, check in, comment, mark an answer. Each handler
//! parses, calls one [`ContentService`](agora_actors::content::ContentService)
//! use case as the caller, and answers `{id, version, position, replayed}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use agora_actors::aggregate::{CommandError, Executed};
use agora_actors::content::{Content, ContentError, ContentServiceError, DraftChanges, NewContent};
use agora_events::domain::content::{Body, ContentKind, Money};
use schemars::JsonSchema;
use serde::Deserialize;

use super::super::AppState;
use super::super::command::{self, Command};
use super::super::fields;
use super::super::problem::{ApiError, ProblemKind};

/// Body of `POST /v1/contents`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftBody {
    /// A client-chosen id (1–64 of `A-Za-z0-9_-.:`), or absent to have one generated.
    #[schemars(with = "Option<fields::Id>")]
    id: Option<String>,
    /// Article, course or column.
    kind: ContentKind,
    /// 1–200 characters, trimmed.
    #[schemars(with = "fields::ContentTitle")]
    title: String,
    /// A short summary.
    #[serde(default)]
    #[schemars(with = "fields::Summary")]
    summary: String,
    /// `{"text": "..."}` or `{"chapters": [{"title", "body"}]}`; publishing needs one.
    #[schemars(with = "Option<fields::BodyInput>")]
    body: Option<Body>,
    /// Tags, trimmed, without repeats.
    #[serde(default)]
    #[schemars(with = "fields::Tags")]
    tags: Vec<String>,
    /// BCP 47 language tag (`en`, `zh-CN`).
    #[schemars(with = "fields::Language")]
    language: String,
}

/// Body of `PATCH /v1/contents/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditBody {
    /// A new kind.
    kind: Option<ContentKind>,
    /// A new title.
    #[schemars(with = "Option<fields::ContentTitle>")]
    title: Option<String>,
    /// A new summary.
    #[schemars(with = "Option<fields::Summary>")]
    summary: Option<String>,
    /// A new body.
    #[schemars(with = "Option<fields::BodyInput>")]
    body: Option<Body>,
    /// New tags (all of them).
    #[schemars(with = "Option<fields::Tags>")]
    tags: Option<Vec<String>>,
    /// A new language tag.
    #[schemars(with = "Option<fields::Language>")]
    language: Option<String>,
}

/// Body of `PUT /v1/contents/{id}/price`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriceBody {
    /// The price in the currency's minor unit; 0 means free.
    #[schemars(with = "fields::AmountCents")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    amount_cents: u64,
    /// ISO 4217 code: three uppercase letters.
    #[schemars(with = "fields::Currency")]
    currency: String,
}

/// Body of `PUT /v1/contents/{id}/rating`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RatingBody {
    /// 1 to 5.
    #[schemars(with = "fields::Stars")]
    #[serde(deserialize_with = "crate::http::fields::integral")]
    stars: u8,
}

/// Body of `PUT /v1/contents/{id}/review`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewBody {
    /// The review.
    #[schemars(with = "fields::Review")]
    text: String,
}

/// Body of `POST /v1/contents/{id}/check-ins`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckInBody {
    /// A note on today's progress.
    #[schemars(with = "Option<fields::Note>")]
    note: Option<String>,
}

/// Body of `POST /v1/contents/{id}/comments`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentBody {
    /// The comment's text.
    #[schemars(with = "fields::Comment")]
    text: String,
    /// The comment this one answers, if any.
    #[schemars(with = "Option<fields::Id>")]
    parent_id: Option<String>,
    /// A question the creator may mark an answer to.
    #[serde(default)]
    is_question: bool,
}

/// Body of `POST /v1/contents/{id}/comments/{comment_id}/answer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnswerBody {
    /// The reply (a comment under the question) to mark as the answer.
    #[schemars(with = "fields::Id")]
    answer_id: String,
}

/// `POST /v1/contents`: creators (the route's policy).
pub(crate) async fn draft(
    state: web::Data<AppState>,
    command: Command,
    body: web::Json<DraftBody>,
) -> Result<HttpResponse, ApiError> {
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
    let (id, executed) = state.contents.draft(new, &command.request()).await?;
    Ok(reply(StatusCode::CREATED, id, &executed, Extra::None))
}

/// `PATCH /v1/contents/{id}`: the creator changes a draft.
pub(crate) async fn edit(
    state: web::Data<AppState>,
    command: Command,
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
    let executed = state
        .contents
        .edit(&id, changes, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `PUT /v1/contents/{id}/price`.
pub(crate) async fn set_price(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<PriceBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let price = Money {
        amount_cents: body.amount_cents,
        currency: body.currency,
    };
    let executed = state
        .contents
        .set_price(&id, price, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/contents/{id}/publish`.
pub(crate) async fn publish(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let requirement = state.publish_requirement();
    let executed = state
        .contents
        .publish(&id, requirement, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/contents/{id}/unpublish`.
pub(crate) async fn unpublish(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let executed = state.contents.unpublish(&id, &command.request()).await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/contents/{id}/retire`.
pub(crate) async fn retire(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let executed = state.contents.retire(&id, &command.request()).await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/contents/{id}/purchases`: the caller buys the item.
pub(crate) async fn purchase(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (purchase_id, executed) = state.contents.purchase(&id, &command.request()).await?;
    Ok(reply(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Extra::Purchase(purchase_id),
    ))
}

/// `POST /v1/contents/{id}/purchases/{purchase_id}/refund`: the buyer.
pub(crate) async fn refund(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, purchase_id) = path.into_inner();
    let executed = state
        .contents
        .refund(&id, &purchase_id, &command.request())
        .await?;
    Ok(reply(
        StatusCode::OK,
        id,
        &executed,
        Extra::Purchase(purchase_id),
    ))
}

/// `PUT /v1/contents/{id}/rating`: an owner.
pub(crate) async fn rate(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<RatingBody>,
) -> Result<HttpResponse, ApiError> {
    let member_of = member_of(&state, &command, &id);
    let executed = state
        .contents
        .rate(&id, body.stars, member_of, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `PUT /v1/contents/{id}/review`: an owner.
pub(crate) async fn review(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let member_of = member_of(&state, &command, &id);
    let text = body.into_inner().text;
    let executed = state
        .contents
        .review(&id, text, member_of, &command.request())
        .await?;
    Ok(ok(id.into_inner(), &executed))
}

/// `POST /v1/contents/{id}/check-ins`: an owner of a course, once a day.
pub(crate) async fn check_in(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<CheckInBody>,
) -> Result<HttpResponse, ApiError> {
    let member_of = member_of(&state, &command, &id);
    let note = body.into_inner().note;
    let executed = state
        .contents
        .check_in(&id, note, member_of, &command.request())
        .await?;
    Ok(reply(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Extra::None,
    ))
}

/// `POST /v1/contents/{id}/comments`: anyone logged in, on a published item.
pub(crate) async fn comment(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<CommentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (comment_id, executed) = state
        .contents
        .comment(
            &id,
            body.text,
            body.parent_id,
            body.is_question,
            &command.request(),
        )
        .await?;
    Ok(reply(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        Extra::Comment(comment_id),
    ))
}

/// `POST /v1/contents/{id}/comments/{comment_id}/answer`: the creator.
pub(crate) async fn mark_answer(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
    body: web::Json<AnswerBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, comment_id) = path.into_inner();
    let executed = state
        .contents
        .mark_answer(&id, &comment_id, &body.answer_id, &command.request())
        .await?;
    Ok(reply(
        StatusCode::OK,
        id,
        &executed,
        Extra::Comment(comment_id),
    ))
}

/// The creator of item `id` when an active membership of the caller covers
/// their content (the aggregate checks it is still that item's creator and
/// that the item is published).
fn member_of(state: &AppState, command: &Command, id: &str) -> Option<String> {
    let creator = state
        .contents
        .catalog()
        .read(|catalog| catalog.get(id).map(|item| item.creator_id.clone()))?;
    state
        .memberships
        .covers(command.user_id(), &creator)
        .then_some(creator)
}

/// The id a command created, if any, to echo in the reply.
enum Extra {
    None,
    Purchase(String),
    Comment(String),
}

/// The 200 answer to a command on item `id`.
fn ok(id: String, executed: &Executed<Content>) -> HttpResponse {
    reply(StatusCode::OK, id, executed, Extra::None)
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

impl From<ContentServiceError> for ApiError {
    fn from(error: ContentServiceError) -> Self {
        from_service(error)
    }
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
        E::NotThisListing | E::ListingTextFixed | E::PartnerRateMissing(_) => K::ContentConflict,
        E::VerificationRequired | E::VerificationScoreTooLow { .. } => K::VerificationRequired,
        E::InvalidScore => K::ValidationFailed,
        E::RatesAboveWhole => K::Internal,
        E::PriceOutOfRange(_) => K::PriceOutOfRange,
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
        let above = agora_events::domain::money::MoneyError::AboveCeiling { amount: u64::MAX };
        assert_eq!(
            kind_of(&ContentError::PriceOutOfRange(above)),
            ProblemKind::PriceOutOfRange
        );
    }
}
