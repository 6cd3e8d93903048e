//! `GET /v1/users/{id}/library`: a learner's owned items, course progress
//! with streaks, and the ratings they gave — from the library projection.
//! Only the user, admins and auditors may read it (401 without a token,
//! 403 for anyone else, 404 for an unknown user). Streaks are computed for
//! the server clock's today; `?min_position=P` waits until the library
//! applied `P`.

use actix_web::{HttpResponse, web};
use agora_actors::content::day_of;
use agora_actors::projection::library::{LibraryView, Streaks, UserLibrary};
use agora_events::domain::content::ContentKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::days::format_day;
use super::problem::ApiError;
use super::reads::{caught_up, user_exists};
use crate::timefmt::rfc3339;

/// Query of `GET /v1/users/{id}/library`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LibraryQuery {
    min_position: Option<u64>,
}

/// An amount of money on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct MoneyView {
    /// Cents (the currency's minor unit).
    amount_cents: u64,
    /// ISO 4217 code.
    currency: String,
}

/// An owned item.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OwnedView {
    /// The item.
    content_id: String,
    /// Its title.
    title: String,
    /// `article`, `course` or `column`.
    kind: String,
    /// Its creator.
    creator_id: String,
    /// The purchase it is owned through.
    purchase_id: String,
    /// What was paid.
    price: MoneyView,
    /// When, RFC 3339.
    purchased_at: String,
}

/// Consecutive check-in days.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct StreakView {
    /// Days in the run ending today or yesterday (0 when broken).
    current: u32,
    /// Days in the longest run.
    longest: u32,
    /// The last day checked in, `YYYY-MM-DD`.
    last_day: Option<String>,
}

impl From<Streaks> for StreakView {
    fn from(s: Streaks) -> Self {
        Self {
            current: s.current,
            longest: s.longest,
            last_day: s.last_day.map(format_day),
        }
    }
}

/// Progress on one course.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CourseView {
    /// The course.
    content_id: String,
    /// Its title.
    title: String,
    /// Whether the user owns it now.
    owned: bool,
    /// Days checked in.
    days_checked_in: usize,
    /// The first day checked in, `YYYY-MM-DD`.
    first_day: Option<String>,
    /// Streaks on this course.
    streak: StreakView,
}

/// A rating the user gave.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct GivenRatingView {
    /// The item.
    content_id: String,
    /// Its title.
    title: String,
    /// 1 to 5.
    stars: u8,
    /// When, RFC 3339.
    rated_at: String,
}

/// Response of `GET /v1/users/{id}/library`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct LibraryResponse {
    /// The user.
    user_id: String,
    /// The day streaks are computed for, `YYYY-MM-DD`.
    today: String,
    /// Items owned (bought, not refunded), by content id.
    owned: Vec<OwnedView>,
    /// Owned courses and courses checked in on, by content id.
    courses: Vec<CourseView>,
    /// Streaks over all courses (a day counts once).
    streak: StreakView,
    /// Ratings given, by content id.
    ratings: Vec<GivenRatingView>,
}

fn kind_name(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Article => "article",
        ContentKind::Course => "course",
        ContentKind::Column => "column",
    }
}

/// The wire view of `library` (of user `user_id`) on day `today`.
fn response(
    view: &LibraryView,
    user_id: &str,
    library: &UserLibrary,
    today: u32,
) -> LibraryResponse {
    let title = |id: &str| view.card(id).map(|c| c.title.clone()).unwrap_or_default();
    let owned = library
        .owned
        .iter()
        .map(|(id, o)| {
            let card = view.card(id);
            OwnedView {
                content_id: id.clone(),
                title: title(id),
                kind: card.map_or("article", |c| kind_name(c.kind)).to_owned(),
                creator_id: card.map(|c| c.creator_id.clone()).unwrap_or_default(),
                purchase_id: o.purchase_id.clone(),
                price: MoneyView {
                    amount_cents: o.price.amount_cents,
                    currency: o.price.currency.clone(),
                },
                purchased_at: rfc3339(o.purchased_at),
            }
        })
        .collect();
    let empty: std::collections::BTreeSet<u32> = Default::default();
    let mut course_ids: Vec<&String> = library
        .owned
        .keys()
        .filter(|id| view.card(id).is_some_and(|c| c.kind == ContentKind::Course))
        .chain(library.check_ins.keys())
        .collect();
    course_ids.sort();
    course_ids.dedup();
    let courses = course_ids
        .into_iter()
        .map(|id| {
            let days = library.check_ins.get(id).unwrap_or(&empty);
            CourseView {
                content_id: id.clone(),
                title: title(id),
                owned: library.owned.contains_key(id),
                days_checked_in: days.len(),
                first_day: days.first().copied().map(format_day),
                streak: Streaks::of(days, today).into(),
            }
        })
        .collect();
    let ratings = library
        .ratings
        .iter()
        .map(|(id, r)| GivenRatingView {
            content_id: id.clone(),
            title: title(id),
            stars: r.stars,
            rated_at: rfc3339(r.rated_at),
        })
        .collect();
    LibraryResponse {
        user_id: user_id.to_owned(),
        today: format_day(today),
        owned,
        courses,
        streak: library.streaks(today).into(),
        ratings,
    }
}

/// `GET /v1/users/{id}/library`.
pub(crate) async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<LibraryQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = id.into_inner();
    caught_up(
        &state,
        &state.projections.library,
        query.min_position,
        "the library",
    )
    .await?;
    user_exists(&state, &user_id)?;
    let today = day_of(state.clock.now());
    let body = state.projections.library.read(|view| {
        let empty = UserLibrary::default();
        let library = view.user(&user_id).unwrap_or(&empty);
        response(view, &user_id, library, today)
    });
    Ok(HttpResponse::Ok().json(body))
}
