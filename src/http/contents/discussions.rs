//! The reads of what learners wrote about an item, from the discussions
//! projection: `GET /v1/contents/{id}/reviews` (each review with the
//! rating its writer gave) and `GET /v1/contents/{id}/comments` (threads,
//! questions and their marked answers).
//!
//! Both answer for the items `GET /v1/contents/{id}` shows the caller
//! (published ones to everyone, others only to those
//! [`super::bodies::may_see_unlisted`] allows; 404 to anyone else, as for
//! an id that does not exist). Pages are newest first — a review by its
//! latest write, a thread by its first comment — and `next_after`, passed
//! as `after`, continues strictly after the page (no repeats, no gaps; a
//! review rewritten meanwhile moves to the front).

use actix_web::{HttpResponse, web};
use agora_actors::projection::discussions::{Comment, MAX_DISCUSSION_PAGE, Review, Thread};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::AppState;
use super::super::auth::MaybeAuthenticated;
use super::super::problem::{ApiError, ProblemKind};
use super::super::reads::caught_up;
use super::reads::visible_item;
use crate::timefmt::rfc3339;

/// Page size without `limit`.
const DEFAULT_PAGE: usize = 20;

/// Query of the discussion reads.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiscussionQuery {
    /// Page size, 1 to 100 (default 20).
    #[schemars(with = "Option<crate::http::fields::DiscussionLimit>")]
    limit: Option<usize>,
    /// The previous page's `next_after`.
    #[schemars(with = "Option<crate::http::fields::Cursor>")]
    after: Option<String>,
    /// Wait until the read models applied this position.
    min_position: Option<u64>,
}

/// A review on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ReviewView {
    /// Who wrote it.
    user_id: String,
    /// The review.
    text: String,
    /// The rating its writer gives the item now, 1 to 5 (null: not rated).
    stars: Option<u8>,
    /// When the current text was written.
    written_at: String,
}

impl From<Review> for ReviewView {
    fn from(review: Review) -> Self {
        Self {
            user_id: review.user_id,
            text: review.text,
            stars: review.stars,
            written_at: rfc3339(review.written_at),
        }
    }
}

/// A page of reviews on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ReviewPage {
    /// Newest first.
    reviews: Vec<ReviewView>,
    /// Pass as `after` for the next page; null on the last page.
    next_after: Option<String>,
}

/// A comment on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CommentView {
    /// Its id.
    id: String,
    /// Who wrote it.
    author_id: String,
    /// The comment it replies to (null for a thread's first comment).
    parent_id: Option<String>,
    /// The text.
    text: String,
    /// Whether it asks a question.
    is_question: bool,
    /// Whether it is a question with a marked answer.
    answered: bool,
    /// The reply the creator marked as its answer (questions only).
    answer_id: Option<String>,
    /// Whether it is the marked answer of a question in its thread.
    is_answer: bool,
    /// When it was posted.
    posted_at: String,
}

impl From<Comment> for CommentView {
    fn from(comment: Comment) -> Self {
        Self {
            answered: comment.answer_id.is_some(),
            id: comment.id,
            author_id: comment.author_id,
            parent_id: comment.parent_id,
            text: comment.text,
            is_question: comment.is_question,
            answer_id: comment.answer_id,
            is_answer: comment.is_answer,
            posted_at: rfc3339(comment.posted_at),
        }
    }
}

/// A thread on the wire: its first comment's fields and its replies.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ThreadView {
    #[serde(flatten)]
    comment: CommentView,
    /// Every reply in the thread (at any depth: each names its parent),
    /// oldest first.
    replies: Vec<CommentView>,
}

impl From<Thread> for ThreadView {
    fn from(thread: Thread) -> Self {
        Self {
            comment: thread.comment.into(),
            replies: thread.replies.into_iter().map(CommentView::from).collect(),
        }
    }
}

/// A page of threads on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ThreadPage {
    /// Newest thread first.
    threads: Vec<ThreadView>,
    /// Pass as `after` for the next page; null on the last page.
    next_after: Option<String>,
}

/// `GET /v1/contents/{id}/reviews`.
pub(crate) async fn reviews(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<DiscussionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = visible_page(&state, &auth, &id, &query).await?;
    let page = state
        .projections
        .discussions
        .read(|view| view.reviews(&id, after, limit));
    Ok(HttpResponse::Ok().json(ReviewPage {
        reviews: page.entries.into_iter().map(ReviewView::from).collect(),
        next_after: page.next_after.map(|p| p.to_string()),
    }))
}

/// `GET /v1/contents/{id}/comments`.
pub(crate) async fn comments(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<DiscussionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = visible_page(&state, &auth, &id, &query).await?;
    let page = state
        .projections
        .discussions
        .read(|view| view.threads(&id, after, limit));
    Ok(HttpResponse::Ok().json(ThreadPage {
        threads: page.entries.into_iter().map(ThreadView::from).collect(),
        next_after: page.next_after.map(|p| p.to_string()),
    }))
}

/// Checks the query and that the caller may see item `id` (404 as for an
/// unknown id otherwise), once the read models applied `min_position`;
/// answers the cursor and the page size.
async fn visible_page(
    state: &AppState,
    auth: &MaybeAuthenticated,
    id: &str,
    query: &DiscussionQuery,
) -> Result<(Option<u64>, usize), ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_DISCUSSION_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("limit must be 1 to {MAX_DISCUSSION_PAGE}"),
        ));
    }
    let after = match &query.after {
        None => None,
        Some(cursor) => Some(cursor.parse::<u64>().map_err(|_| {
            ApiError::new(
                ProblemKind::InvalidRequest,
                "after must be a next_after of an earlier page",
            )
        })?),
    };
    visible_item(state, auth, id, query.min_position).await?;
    caught_up(
        state,
        &state.projections.discussions,
        query.min_position,
        "the discussions",
    )
    .await?;
    Ok((after, limit))
}
