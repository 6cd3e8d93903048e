//! The commands on `/v1/contracts`: fund, submit, accept, request changes,
//! dispute, resolve (per milestone) and review. Who may call is the
//! route's policy; which user is the client or the vendor the Contract
//! aggregate checks itself.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use agora_actors::aggregate::Executed;
use agora_actors::contract::Contract;
use serde::de::DeserializeOwned;

use super::views::{ReasonBody, ResolveBody, ReviewBody, SubmitBody};
use crate::http::AppState;
use crate::http::command::{self, Command};
use crate::http::problem::{ApiError, ProblemKind};

/// An optional JSON body: an empty body is `T::default()`, anything else
/// must parse as `T` (400 `invalid-request` otherwise: unknown fields,
/// malformed JSON), so a bad body is never silently ignored.
fn optional_body<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new(ProblemKind::InvalidRequest, e.to_string()))
}

/// A milestone index from the path: digits only (400 otherwise); a number
/// too large for any milestone is kept as `u64::MAX`, which no contract
/// has (404 `milestone-not-found`).
pub(crate) fn milestone_index(text: &str) -> Result<u64, ApiError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            ProblemKind::InvalidRequest,
            format!("the milestone index must be a number from 0, not {text:?}"),
        ));
    }
    Ok(text.parse().unwrap_or(u64::MAX))
}

/// `POST /v1/contracts/{id}/milestones/{index}/fund`: the client.
pub(crate) async fn fund(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let index = milestone_index(&index)?;
    let executed = state
        .contracts
        .fund(&id, index, &command.membership_caller())
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/contracts/{id}/milestones/{index}/submit`: the vendor.
pub(crate) async fn submit(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let index = milestone_index(&index)?;
    let note = optional_body::<SubmitBody>(&body)?.note;
    let executed = state
        .contracts
        .submit(&id, index, note, &command.membership_caller())
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/contracts/{id}/milestones/{index}/accept`: the client.
pub(crate) async fn accept(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let index = milestone_index(&index)?;
    let executed = state
        .contracts
        .accept(&id, index, &command.membership_caller())
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/contracts/{id}/milestones/{index}/request-changes`: the client.
pub(crate) async fn request_changes(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let index = milestone_index(&index)?;
    let reason = optional_body::<ReasonBody>(&body)?.reason;
    let executed = state
        .contracts
        .request_changes(&id, index, reason, &command.membership_caller())
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/contracts/{id}/milestones/{index}/dispute`: either side.
pub(crate) async fn dispute(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let index = milestone_index(&index)?;
    let reason = optional_body::<ReasonBody>(&body)?.reason;
    let executed = state
        .contracts
        .dispute(&id, index, reason, &command.membership_caller())
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/contracts/{id}/milestones/{index}/resolve`: admins.
pub(crate) async fn resolve(
    state: web::Data<AppState>,
    command: Command,
    path: web::Path<(String, String)>,
    body: web::Json<ResolveBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, index) = path.into_inner();
    let index = milestone_index(&index)?;
    let body = body.into_inner();
    let executed = state
        .contracts
        .resolve(
            &id,
            index,
            body.vendor_cents,
            body.note,
            &command.membership_caller(),
        )
        .await?;
    Ok(ok(id, &executed))
}

/// `POST /v1/contracts/{id}/reviews`: either side, once, after completion.
pub(crate) async fn review(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let executed = state
        .contracts
        .review(
            &id,
            (body.quality, body.communication, body.timeliness),
            body.text,
            &command.membership_caller(),
        )
        .await?;
    Ok(command::command_response(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        None,
        None,
    ))
}

/// The 200 answer to a command on contract `id`.
fn ok(id: String, executed: &Executed<Contract>) -> HttpResponse {
    command::command_response(StatusCode::OK, id, executed, None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_digits_and_huge_ones_are_no_milestone() {
        assert_eq!(milestone_index("0").ok(), Some(0));
        assert_eq!(milestone_index("9223372036854775808").ok(), Some(1 << 63));
        assert_eq!(
            milestone_index("99999999999999999999999").ok(),
            Some(u64::MAX)
        );
        for bad in ["", "-1", "1e3", "x", " 1"] {
            assert!(milestone_index(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn optional_bodies_are_empty_or_well_formed() {
        assert_eq!(
            optional_body::<SubmitBody>(b"").ok().map(|b| b.note),
            Some(String::new())
        );
        assert_eq!(
            optional_body::<SubmitBody>(b" \n").ok().map(|b| b.note),
            Some(String::new())
        );
        let note = optional_body::<SubmitBody>(br#"{"note": "x"}"#)
            .ok()
            .map(|b| b.note);
        assert_eq!(note, Some("x".to_owned()));
        for bad in [&br#"{"note": 1}"#[..], br#"{"extra": 1}"#, b"{", b"null"] {
            assert!(optional_body::<SubmitBody>(bad).is_err());
        }
    }
}
