//! Integrity of the log over HTTP, for auditors and admins (the routes'
//! policy); both reads are recorded like every audit read
//! ([`super::audit::record_read`]).
//!
//! - `GET /v1/audit/checkpoints/latest`: the head's position and chain
//!   hash, signed now with the server's Ed25519 key
//!   ([`crate::checkpoint`]); keep it outside the system and check it later
//!   with `agora verify --checkpoint FILE`.
//! - `GET /v1/audit/verify?from=&prev_hash=`: walks the hash chain from
//!   `from` over at most [`MAX_VERIFY_PER_REQUEST`] records (off the HTTP
//!   workers) and reports the first break; `next_position` and `last_hash`
//!   continue the walk.

use actix_web::{HttpRequest, HttpResponse, web};
use agora_events::{ChainReport, EventStore as _, Timestamp};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::audit::record_read;
use super::auth::Authenticated;
use super::problem::{ApiError, ProblemKind};
use crate::checkpoint::{self, Checkpoint};
use crate::hex;

/// Most records one `GET /v1/audit/verify` checks.
pub(crate) const MAX_VERIFY_PER_REQUEST: u64 = 100_000;

/// A chain hash as a query parameter.
struct HashText;

impl schemars::JsonSchema for HashText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChainHash".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 64,
            "maxLength": 64,
            "pattern": "^[0-9a-fA-F]{64}$",
            "description": "a chain hash: 64 hex digits",
        })
    }
}

/// Query of `GET /v1/audit/verify`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyQuery {
    /// First position to check (default 0).
    from: Option<u64>,
    /// The trusted hash of the record before `from` (the previous
    /// answer's `last_hash`); without it a walk from 0 starts at the
    /// genesis hash and one from elsewhere trusts the first record's link.
    #[schemars(with = "Option<HashText>")]
    prev_hash: Option<String>,
}

/// What one walk found.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct VerifyReport {
    /// Whether every record checked verifies.
    intact: bool,
    /// The first position checked.
    from_position: u64,
    /// Records checked.
    checked: u64,
    /// Where the next walk starts (`from`).
    next_position: u64,
    /// Hash of the last record checked (the next walk's `prev_hash`).
    last_hash: Option<String>,
    /// Whether the walk reached the head (as it was when it ran).
    complete: bool,
    /// The first break, if any.
    first_break: Option<BreakView>,
}

/// Where and why the chain broke.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct BreakView {
    /// The record that does not verify.
    position: u64,
    /// What did not match.
    reason: String,
}

/// `GET /v1/audit/checkpoints/latest`.
pub(crate) async fn latest(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    record_read(
        &state,
        &auth.0,
        "GET /v1/audit/checkpoints/latest",
        &request,
    )
    .await?;
    let head = state
        .store
        .head_position()
        .await?
        .ok_or_else(|| ApiError::new(ProblemKind::NotFound, "the log is empty"))?;
    let hash = state
        .store
        .hash_at(head)?
        .ok_or_else(|| ApiError::new(ProblemKind::Internal, "the head has no record"))?;
    let signed: Checkpoint = checkpoint::sign(&state.signing_key, head, &hash, Timestamp::now());
    Ok(HttpResponse::Ok().json(signed))
}

/// `GET /v1/audit/verify`.
pub(crate) async fn verify(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, ApiError> {
    let prev = query
        .prev_hash
        .as_deref()
        .map(hex::parse_hash)
        .transpose()
        .map_err(|e| ApiError::new(ProblemKind::InvalidRequest, format!("prev_hash: {e}")))?;
    let from = query.from.unwrap_or(0);
    record_read(&state, &auth.0, "GET /v1/audit/verify", &request).await?;
    let store = state.store.clone();
    let report: ChainReport =
        web::block(move || store.verify_chain_bounded(from, prev, MAX_VERIFY_PER_REQUEST))
            .await
            .map_err(|e| ApiError::new(ProblemKind::Internal, e.to_string()))??;
    let next_position = from.saturating_add(report.checked);
    let head = state.store.head_position().await?.map_or(0, |h| h + 1);
    Ok(HttpResponse::Ok().json(VerifyReport {
        intact: report.first_break.is_none(),
        from_position: from,
        checked: report.checked,
        next_position,
        last_hash: report.last_hash.as_ref().map(|h| hex::encode(h)),
        complete: report.first_break.is_some() || next_position >= head,
        first_break: report.first_break.map(|b| BreakView {
            position: b.position,
            reason: b.reason,
        }),
    }))
}
