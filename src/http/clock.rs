//! `GET`/`POST /v1/admin/clock`: the server's clock. Reading it is open to
//! admins and auditors; moving it is for admins, and only when the server
//! was started with `manual_clock = true` (tests and demos of renewals,
//! expiries and refund windows). A system clock answers 409 to a move.
//! A move sweeps memberships and contracts before it answers, so renewals,
//! expiries and automatic acceptances due by the new time are recorded
//! when the answer arrives.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::problem::{ApiError, ProblemKind};
use crate::timefmt::{self, rfc3339};

/// How to move the clock: exactly one of the fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
pub(crate) struct MoveClock {
    /// Seconds to move forward.
    #[serde(default, deserialize_with = "super::fields::integral_opt")]
    #[schemars(with = "super::fields::AdvanceSecs")]
    advance_secs: Option<u64>,
    /// A time to set, in microseconds since the Unix epoch.
    #[serde(default, deserialize_with = "super::fields::integral_opt")]
    #[schemars(with = "super::fields::Micros")]
    set_micros: Option<i64>,
}

/// The clock's reading.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ClockReading {
    /// `true` when the clock only moves when told.
    manual: bool,
    /// Now, RFC 3339.
    now: String,
    /// Now, microseconds since the Unix epoch.
    now_micros: i64,
}

fn reading(state: &AppState) -> ClockReading {
    let now = state.clock.now();
    ClockReading {
        manual: state.clock.is_manual(),
        now: rfc3339(now),
        now_micros: now.0,
    }
}

pub(crate) async fn read(state: web::Data<AppState>) -> Result<web::Json<ClockReading>, ApiError> {
    Ok(web::Json(reading(&state)))
}

pub(crate) async fn moved(
    state: web::Data<AppState>,
    body: web::Json<MoveClock>,
) -> Result<HttpResponse, ApiError> {
    let target = match (body.advance_secs, body.set_micros) {
        (Some(secs), None) => i128::from(state.clock.now().0) + i128::from(secs) * 1_000_000,
        (None, Some(micros)) => i128::from(micros),
        _ => {
            return Err(ApiError::new(
                ProblemKind::InvalidRequest,
                "give exactly one of `advance_secs` and `set_micros`",
            ));
        }
    };
    let target = timefmt::checked(target).ok_or_else(|| {
        ApiError::new(
            ProblemKind::TimeOutOfRange,
            format!("the clock must stay within {}", timefmt::RANGE_TEXT),
        )
    })?;
    let moved = match body.advance_secs {
        Some(secs) => state.clock.advance(Duration::from_secs(secs)),
        None => state.clock.set(target),
    };
    if moved.is_none() {
        return Err(ApiError::new(
            ProblemKind::Conflict,
            "the server runs on the system clock; start it with manual_clock = true to move time",
        ));
    }
    // Renewals and expiries follow the clock at once, not at the next tick.
    state.memberships.sweep().await;
    // So do automatic acceptances of unanswered milestone submissions.
    state.contracts.sweep().await;
    Ok(HttpResponse::Ok().json(reading(&state)))
}
