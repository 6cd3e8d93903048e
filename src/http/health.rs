//! Liveness and readiness probes.
//!
//! - `GET /healthz`: the process answers (200 `ok`), whatever the store's state;
//! - `GET /readyz`: the store is open and accepting appends (200 with its
//!   head and stream count), else 503 as a problem document.

use actix_web::{HttpResponse, web};
use agora_events::EventStore;
use schemars::JsonSchema;
use serde::Serialize;

use super::AppState;
use super::problem::{ApiError, ProblemKind};

/// `GET /healthz`.
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// The body of a ready answer.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Readiness {
    status: &'static str,
    store: StoreReadiness,
    projections: Vec<ProjectionReadiness>,
}

/// How far one read model is.
#[derive(Debug, Serialize, JsonSchema)]
struct ProjectionReadiness {
    name: &'static str,
    /// Position of the last event applied, `null` before the first.
    checkpoint: Option<u64>,
    /// Events in the log not yet applied.
    lag: u64,
    /// Why it stopped, if it did.
    failure: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct StoreReadiness {
    backend: &'static str,
    /// Position of the last event in `$all`, `null` when empty.
    head_position: Option<u64>,
    events: u64,
    streams: u64,
}

/// `GET /readyz`.
pub(crate) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let store = &state.store;
    if store.is_poisoned() {
        return Err(ApiError::new(
            ProblemKind::StoreUnavailable,
            "the event store stopped accepting appends after an I/O failure; restart to recover",
        ));
    }
    let head_position = store.head_position().await?;
    let stats = store.stats();
    let projections: Vec<ProjectionReadiness> = state
        .projections
        .health()
        .into_iter()
        .map(|(name, checkpoint, failure)| ProjectionReadiness {
            name,
            checkpoint,
            lag: lag(head_position, checkpoint),
            failure,
        })
        .collect();
    if let Some(failed) = projections.iter().find(|p| p.failure.is_some()) {
        return Err(ApiError::new(
            ProblemKind::Unavailable,
            format!(
                "projection {} stopped: {}",
                failed.name,
                failed.failure.as_deref().unwrap_or_default()
            ),
        ));
    }
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        projections,
        store: StoreReadiness {
            backend: "embedded-log",
            head_position,
            events: stats.head,
            streams: stats.streams,
        },
    }))
}

/// Events between a projection's checkpoint and the head of the log.
pub(crate) fn lag(head: Option<u64>, checkpoint: Option<u64>) -> u64 {
    match (head, checkpoint) {
        (Some(head), Some(checkpoint)) => head.saturating_sub(checkpoint),
        (Some(head), None) => head + 1,
        (None, _) => 0,
    }
}
