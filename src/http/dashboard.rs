//! `GET /v1/creators/{id}/dashboard?from=&to=`: a creator's sales, gross
//! revenue, refunds and ratings per day over a period, and their totals —
//! from the dashboard projection. Only the creator, admins and auditors may
//! read it (401 without a token, 403 for anyone else, 404 for an unknown
//! user).
//!
//! `from` and `to` are days (`YYYY-MM-DD`, UTC, both included; an RFC 3339
//! time stands for its day); `to` defaults to today (the server clock) and
//! `from` to [`DEFAULT_DAYS`] days before `to`. At most [`MAX_DAYS`] days.
//! Only days with activity are listed. `?min_position=P` waits until the
//! dashboard applied `P`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use agora_actors::content::day_of;
use agora_actors::projection::dashboard::{CreatorFigures, DayFigures};
use agora_actors::projection::money;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::days::{format_day, parse_day};
use super::problem::{ApiError, ProblemKind};
use super::reads::{caught_up, user_exists};

/// Days shown without `from`: the 30 days ending at `to`.
pub(crate) const DEFAULT_DAYS: u32 = 30;

/// Longest period one request may ask for, in days.
pub(crate) const MAX_DAYS: u32 = 3_660;

/// Query of `GET /v1/creators/{id}/dashboard`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DashboardQuery {
    /// First day (inclusive), `YYYY-MM-DD`; default 29 days before `to`.
    #[schemars(with = "Option<super::fields::Day>")]
    from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`; default today.
    #[schemars(with = "Option<super::fields::Day>")]
    to: Option<String>,
    min_position: Option<u64>,
}

/// Figures of a day or a period.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct FiguresView {
    /// Purchases made.
    sales: u64,
    /// What they paid: cents by currency.
    gross_cents: BTreeMap<String, u64>,
    /// Purchases refunded.
    refunds: u64,
    /// What the refunded purchases had paid: cents by currency.
    refunded_cents: BTreeMap<String, u64>,
    /// Gross minus refunded: cents by currency.
    net_cents: BTreeMap<String, i64>,
    /// The creator's own shares of the sales (after the platform's fee and
    /// partners' shares), minus those of refunds: cents by currency.
    earned_cents: BTreeMap<String, i64>,
    /// Ratings given (new or changed).
    ratings: u64,
    /// Their average stars, if any.
    rating_average: Option<f64>,
}

impl From<&DayFigures> for FiguresView {
    fn from(f: &DayFigures) -> Self {
        Self {
            sales: f.sales,
            gross_cents: money::saturated_u64(&f.gross_cents),
            refunds: f.refunds,
            refunded_cents: money::saturated_u64(&f.refunded_cents),
            net_cents: money::saturated_i64(&f.net_cents()),
            earned_cents: money::saturated_i64(&f.earned_net_cents()),
            ratings: f.ratings,
            rating_average: f.rating_average(),
        }
    }
}

/// One day's figures.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DayView {
    /// The day, `YYYY-MM-DD`.
    day: String,
    /// What happened that day.
    #[serde(flatten)]
    figures: FiguresView,
}

/// The current ratings of all the creator's items.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OverallRating {
    /// Average stars, if anyone rated.
    average: Option<f64>,
    /// Number of current ratings (one per user per item).
    count: u64,
}

/// Response of `GET /v1/creators/{id}/dashboard`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DashboardResponse {
    /// The creator.
    creator_id: String,
    /// First day of the period, `YYYY-MM-DD`.
    from: String,
    /// Last day of the period, `YYYY-MM-DD`.
    to: String,
    /// Sums over the period.
    totals: FiguresView,
    /// Each day with activity, in order.
    days: Vec<DayView>,
    /// Current ratings over all time.
    rating: OverallRating,
}

/// `GET /v1/creators/{id}/dashboard`.
pub(crate) async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, ApiError> {
    let creator_id = id.into_inner();
    let query = query.into_inner();
    let (from, to) = period(&query, day_of(state.clock.now()))?;
    caught_up(
        &state,
        &state.projections.dashboard,
        query.min_position,
        "the dashboard",
    )
    .await?;
    user_exists(&state, &creator_id)?;
    let body = state.projections.dashboard.read(|view| {
        let empty = CreatorFigures::default();
        let figures = view.creator(&creator_id).unwrap_or(&empty);
        let (days, totals) = figures.period(from, to);
        DashboardResponse {
            creator_id: creator_id.clone(),
            from: format_day(from),
            to: format_day(to),
            totals: FiguresView::from(&totals),
            days: days
                .into_iter()
                .map(|(day, f)| DayView {
                    day: format_day(day),
                    figures: f.into(),
                })
                .collect(),
            rating: OverallRating {
                average: figures.rating_average(),
                count: figures.rating_count,
            },
        }
    });
    Ok(HttpResponse::Ok().json(body))
}

/// The period `[from, to]` asked by `query`, with `today` for defaults.
fn period(query: &DashboardQuery, today: u32) -> Result<(u32, u32), ApiError> {
    let invalid = |detail: String| ApiError::new(ProblemKind::ValidationFailed, detail);
    let day = |name: &str, text: &Option<String>| -> Result<Option<u32>, ApiError> {
        text.as_deref()
            .map(|t| {
                parse_day(t).ok_or_else(|| {
                    invalid(format!(
                        "{name} must be a day YYYY-MM-DD or an RFC 3339 time"
                    ))
                })
            })
            .transpose()
    };
    let to = day("to", &query.to)?.unwrap_or(today);
    let from = day("from", &query.from)?.unwrap_or(to.saturating_sub(DEFAULT_DAYS - 1));
    if from > to {
        return Err(invalid("from must not be after to".into()));
    }
    if to - from >= MAX_DAYS {
        return Err(invalid(format!(
            "the period must be at most {MAX_DAYS} days"
        )));
    }
    Ok((from, to))
}
