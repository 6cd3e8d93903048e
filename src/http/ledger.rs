//! Statements from the revenue ledger projection.
//!
//! - `GET /v1/creators/{id}/statement`: the creator themselves, admins and
//!   auditors.
//! - `GET /v1/partners/{id}/statement`: the partner's user, admins and
//!   auditors.
//! - `GET /v1/ledger/platform`: admins and auditors.
//! - `GET /v1/vendors/{id}/statement`: the vendor, admins and auditors.
//!
//! Each takes `?from=&to=` (RFC 3339 in UTC, e.g. `2026-12-01T00:00:00Z`,
//! or microseconds since the Unix epoch; both optional, the period is
//! `from <= at < to`) and `?min_position=P` (wait until the ledger applied
//! `P`, read-your-writes). The answer has the opening balance (before
//! `from`), the entries of the period in booking order and the closing
//! balance, per currency. Entries are positive for sales, negative for
//! refunds.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use agora_actors::projection::ledger::{EntryKind, LedgerEntry, SaleSource, Statement};
use agora_actors::projection::money;
use agora_events::Timestamp;
use agora_events::domain::revenue::Account;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Authenticated;
use super::problem::{ApiError, ProblemKind};
use super::reads::caught_up;
use crate::timefmt::rfc3339;

/// Query of every statement.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatementQuery {
    /// Start of the period (inclusive): RFC 3339 UTC or microseconds.
    #[schemars(with = "Option<super::fields::Time>")]
    from: Option<String>,
    /// End of the period (exclusive): RFC 3339 UTC or microseconds.
    #[schemars(with = "Option<super::fields::Time>")]
    to: Option<String>,
    /// Wait until the ledger applied this position.
    min_position: Option<u64>,
}

/// One ledger entry on the wire.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct EntryView {
    /// Position of the event that booked it.
    position: u64,
    /// When the sale or refund happened, RFC 3339.
    at: String,
    /// The same, in microseconds since the Unix epoch.
    at_micros: i64,
    /// The sale (`{content_id}/{purchase_id}` for purchases,
    /// `contract:{contract_id}/{index}` for released milestones).
    sale_id: String,
    /// `purchase`, `membership` or `outsourcing`.
    source: SaleSource,
    /// `sale` or `refund`.
    kind: EntryKind,
    /// Amount in the currency's minor unit (negative for refunds).
    amount_cents: i64,
    /// ISO 4217 code.
    currency: String,
}

impl From<LedgerEntry> for EntryView {
    fn from(e: LedgerEntry) -> Self {
        Self {
            position: e.position,
            at: rfc3339(e.at),
            at_micros: e.at.0,
            sale_id: e.sale_id,
            source: e.source,
            kind: e.kind,
            amount_cents: money::clamp_i64(e.amount_cents),
            currency: e.currency,
        }
    }
}

/// A statement on the wire.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct StatementView {
    /// The account: `{"kind": "creator"|"partner"|"vendor", "id"}` or
    /// `{"kind": "platform"}`.
    account: Account,
    /// Start of the period, RFC 3339 (`null`: from the beginning).
    from: Option<String>,
    /// End of the period, RFC 3339 (`null`: up to now).
    to: Option<String>,
    /// Balance before the period, by currency.
    opening: BTreeMap<String, i64>,
    /// Entries of the period, in booking order.
    entries: Vec<EntryView>,
    /// Opening plus the period's entries, by currency.
    closing: BTreeMap<String, i64>,
}

/// `GET /v1/creators/{id}/statement` (the creator, admins, auditors: the
/// route's policy).
pub(crate) async fn creator(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    statement(&state, Account::Creator(id.into_inner()), &query).await
}

/// `GET /v1/partners/{id}/statement`.
pub(crate) async fn partner(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    super::partners::readable_partner(&state, &id, &auth.0).await?;
    statement(&state, Account::Partner(id.into_inner()), &query).await
}

/// `GET /v1/vendors/{id}/statement` (the vendor, admins, auditors: the
/// route's policy): released milestones, after the platform's fee.
pub(crate) async fn vendor(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    statement(&state, Account::Vendor(id.into_inner()), &query).await
}

/// `GET /v1/ledger/platform` (admins, auditors: the route's policy).
pub(crate) async fn platform(
    state: web::Data<AppState>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    statement(&state, Account::Platform, &query).await
}

async fn statement(
    state: &AppState,
    account: Account,
    query: &StatementQuery,
) -> Result<HttpResponse, ApiError> {
    let from = query.from.as_deref().map(parse_time).transpose()?;
    let to = query.to.as_deref().map(parse_time).transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            "from must not be after to",
        ));
    }
    caught_up(
        state,
        &state.projections.ledger,
        query.min_position,
        "the ledger",
    )
    .await?;
    let Statement {
        opening,
        entries,
        closing,
    } = state
        .projections
        .ledger
        .read(|ledger| ledger.statement(&account, from, to));
    Ok(HttpResponse::Ok().json(StatementView {
        account,
        from: from.map(rfc3339),
        to: to.map(rfc3339),
        opening: money::saturated_i64(&opening),
        entries: entries.into_iter().map(EntryView::from).collect(),
        closing: money::saturated_i64(&closing),
    }))
}

/// A period bound: microseconds since the epoch, or RFC 3339 in UTC,
/// within the accepted range (400 `invalid-request` / `time-out-of-range`).
fn parse_time(text: &str) -> Result<Timestamp, ApiError> {
    crate::timefmt::parse_time(text).map_err(ApiError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_rfc3339_or_micros() {
        assert_eq!(
            parse_time("1700000000000000").ok(),
            Some(Timestamp(1_700_000_000_000_000))
        );
        assert_eq!(
            parse_time("2023-11-14T22:13:20Z").ok(),
            Some(Timestamp(1_700_000_000_000_000))
        );
        assert!(parse_time("yesterday").is_err());
        // Regression: these panicked formatting the time (issue 17).
        for out in ["-1", "-9223372036854775808", "9223372036854775807"] {
            let kind = parse_time(out).err().map(|e| e.kind());
            assert_eq!(kind, Some(ProblemKind::TimeOutOfRange), "{out}");
        }
    }
}
