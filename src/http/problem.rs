//! The one table of errors the HTTP API answers with, and their one shape
//! on the wire: `application/problem+json` (RFC 9457, formerly RFC 7807).
//!
//! Each [`ProblemKind`] has a stable `type` URI, an HTTP status and a
//! title. Clients match on `type`; `detail` is for people and may change.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use agora_events::StoreError;
use serde::Serialize;

/// Media type of every error body.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying a 503.
const RETRY_AFTER_SECS: u32 = 1;

/// Every kind of error the API returns. Each variant's doc says what a
/// client should do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    /// No route has this path: fix the URL (404).
    NotFound,
    /// The route exists but not for this method: fix the method (405).
    MethodNotAllowed,
    /// The request is malformed (stream name, event, batch): fix the input (400).
    InvalidRequest,
    /// The stream is not at the expected version: reload and retry the command (409).
    WrongExpectedVersion,
    /// An event id was already written elsewhere: a client bug, do not retry (409).
    DuplicateEventId,
    /// The store cannot serve now (closed, stopped after an I/O failure,
    /// remote backend down): retry after `Retry-After` seconds (503).
    StoreUnavailable,
    /// The log holds corrupt data: an operator must restore it (500).
    StoreCorrupt,
    /// The store backend cannot do this: use another backend (501).
    NotSupported,
    /// The body is larger than the configured limit: send less (413).
    PayloadTooLarge,
    /// The body is not JSON (`Content-Type`): send `application/json` (415).
    UnsupportedMediaType,
    /// The input is well-formed but breaks a rule (e.g. an invalid e-mail,
    /// a role that cannot be self-assigned): fix the named field (422).
    ValidationFailed,
    /// No user has this id: check the id (404).
    UserNotFound,
    /// A user with this id exists already: pick another id, or read it (409).
    UserExists,
    /// `If-Match` names a version that is no longer current: read the
    /// resource again and reapply the change (412).
    PreconditionFailed,
    /// The resource kept changing under the command: retry (409).
    Conflict,
    /// A read with `min_position` waited and the read model had still not
    /// reached it: retry after `Retry-After` seconds (503).
    ProjectionLagging,
    /// A part of the server cannot take work now (overloaded, stopping):
    /// retry after `Retry-After` seconds (503).
    Unavailable,
    /// A bug or an operator problem on our side; the log has details (500).
    Internal,
    /// No valid bearer token: log in (`POST /v1/sessions`) and send
    /// `Authorization: Bearer TOKEN` (401).
    Unauthorized,
    /// The token is valid but its user may not do this: do not retry (403).
    Forbidden,
    /// Too many attempts: wait `Retry-After` seconds (429).
    TooManyRequests,
    /// No content item has this id, or it is a draft of someone else:
    /// check the id (404).
    ContentNotFound,
    /// A content item with this id exists already: pick another id (409).
    ContentExists,
    /// A purchase, or a comment, named in the URL or body does not exist
    /// on this item: check the id (404).
    ContentPartNotFound,
    /// The buyer owns the item already; nothing was charged (409).
    AlreadyPurchased,
    /// The item is not published, so it cannot be bought or commented on
    /// (409).
    ContentNotPublished,
    /// The item's state forbids the command (not a draft any more, retired,
    /// already published, refund window closed, ...); `detail` names the
    /// rule: do not retry unchanged (409).
    ContentConflict,
    /// No partner platform has this id: check the id (404).
    PartnerNotFound,
    /// A partner with this id is registered already: pick another id (409).
    PartnerExists,
    /// The partner is suspended: its imports are refused until an admin
    /// reinstates it (409).
    PartnerSuspended,
    /// A catalog import carries more items than `partner_import_max_items`:
    /// split it into smaller calls (413).
    ImportTooLarge,
    /// No membership plan has this id: check the id (404).
    PlanNotFound,
    /// A membership plan with this id exists already: pick another id (409).
    PlanExists,
    /// The user is a member of the plan already (paid up, or renewing);
    /// nothing was charged (409).
    AlreadyMember,
    /// The user has no current membership of the plan: check the ids (404).
    MembershipNotFound,
    /// The plan's or membership's state forbids the command (withdrawn,
    /// the creator's own plan, already cancelled); `detail` names the rule:
    /// do not retry unchanged (409).
    PlanConflict,
    /// No recommendation model is published yet (the first training run
    /// is under way, or failed): retry after `Retry-After` seconds (503).
    RecommenderNotReady,
    /// No purchase, rating or check-in is recorded yet, so there is
    /// nothing to train on or recommend from: do not retry until there is
    /// (409).
    RecommenderNoData,
    /// Publishing needs a passing verification of the current text
    /// (`models.require_verification_to_publish`) and there is none, or it
    /// scored below `models.min_verification_score_bps`: verify
    /// (`POST /v1/contents/{id}/verify`), fix the findings, then publish (409).
    VerificationRequired,
    /// The model workers are not running (disabled, still loading, or not
    /// installed): retry later, or ask an operator to run
    /// `ops/models/install` (503).
    ModelsUnavailable,
    /// The model workers' queue for this job is full: retry after
    /// `Retry-After` seconds (503).
    ModelsOverloaded,
    /// The model job did not finish within its deadline: retry with a
    /// smaller request (fewer images, fewer tokens) or later (504).
    ModelsTimedOut,
    /// An amount of money is above the ceiling a price may have
    /// (`Money::MAX_MINOR_UNITS` minor units) or its currency is not a known
    /// ISO 4217 code: send a smaller amount or a known currency (422).
    PriceOutOfRange,
    /// A time or date the client sent lies outside the range the server
    /// accepts (years 1970 to 9999): send one inside it (400).
    TimeOutOfRange,
    /// An image declares more pixels than `models.max_image_pixels`; it was
    /// refused before being decoded: send a smaller image (413).
    ImageTooLarge,
    /// No requirement has this id, or it is invited-only and the caller
    /// was not invited: check the id (404).
    RequirementNotFound,
    /// A requirement with this id was posted already: pick another id (409).
    RequirementExists,
    /// The requirement's state forbids the command (bidding closed,
    /// already awarded, cancelled, or a change other than an extension
    /// after the first bid); `detail` names the rule: do not retry
    /// unchanged (409).
    RequirementConflict,
    /// The vendor has no live bid on this requirement: check the vendor id
    /// (404).
    BidNotFound,
    /// The vendor has a live bid on this requirement already: revise it
    /// (`PUT .../bids/{vendor_id}`) instead (409).
    BidExists,
    /// No vendor profile exists for this id (or the user is not a vendor):
    /// a vendor sets one with `PUT /v1/vendors/{id}` (404).
    VendorNotFound,
    /// A bid's milestone amounts do not add up to its price: fix the plan
    /// (422).
    MilestonesMismatch,
    /// No outsourcing contract has this id: check the id (a contract's id
    /// is its requirement's) (404).
    ContractNotFound,
    /// The contract has no milestone with this index (indexes start at 0):
    /// check the index (404).
    MilestoneNotFound,
    /// A contract with this id was opened with other terms: one award makes
    /// one contract (409).
    ContractExists,
    /// The milestone's stage forbids the command (funding a funded one,
    /// accepting one not submitted, resolving one not disputed, …);
    /// `detail` names the stage: read the contract again (409).
    MilestoneConflict,
    /// The contract's state forbids the command (reviewing before
    /// completion, reviewing twice): do not retry unchanged (409).
    ContractConflict,
    /// A dispute's split gives the vendor more than the milestone's amount:
    /// send at most the amount (422).
    SplitOutOfRange,
    /// A review score is not between 1 and 5: send 1–5 (422).
    RatingOutOfRange,
}

impl ProblemKind {
    /// The stable `type` URI, the status and the title.
    const fn describe(self) -> (&'static str, StatusCode, &'static str) {
        match self {
            Self::NotFound => (
                "urn:agora:problem:not-found",
                StatusCode::NOT_FOUND,
                "Not found",
            ),
            Self::MethodNotAllowed => (
                "urn:agora:problem:method-not-allowed",
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
            ),
            Self::InvalidRequest => (
                "urn:agora:problem:invalid-request",
                StatusCode::BAD_REQUEST,
                "Invalid request",
            ),
            Self::WrongExpectedVersion => (
                "urn:agora:problem:wrong-expected-version",
                StatusCode::CONFLICT,
                "Wrong expected version",
            ),
            Self::DuplicateEventId => (
                "urn:agora:problem:duplicate-event-id",
                StatusCode::CONFLICT,
                "Duplicate event id",
            ),
            Self::StoreUnavailable => (
                "urn:agora:problem:store-unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                "Event store unavailable",
            ),
            Self::StoreCorrupt => (
                "urn:agora:problem:store-corrupt",
                StatusCode::INTERNAL_SERVER_ERROR,
                "Event store corrupt",
            ),
            Self::NotSupported => (
                "urn:agora:problem:not-supported",
                StatusCode::NOT_IMPLEMENTED,
                "Not supported by this backend",
            ),
            Self::PayloadTooLarge => (
                "urn:agora:problem:payload-too-large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
            ),
            Self::UnsupportedMediaType => (
                "urn:agora:problem:unsupported-media-type",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
            ),
            Self::ValidationFailed => (
                "urn:agora:problem:validation-failed",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed",
            ),
            Self::UserNotFound => (
                "urn:agora:problem:user-not-found",
                StatusCode::NOT_FOUND,
                "User not found",
            ),
            Self::UserExists => (
                "urn:agora:problem:user-exists",
                StatusCode::CONFLICT,
                "User exists",
            ),
            Self::PreconditionFailed => (
                "urn:agora:problem:precondition-failed",
                StatusCode::PRECONDITION_FAILED,
                "Precondition failed",
            ),
            Self::Conflict => (
                "urn:agora:problem:conflict",
                StatusCode::CONFLICT,
                "Conflict",
            ),
            Self::ProjectionLagging => (
                "urn:agora:problem:projection-lagging",
                StatusCode::SERVICE_UNAVAILABLE,
                "Read model behind",
            ),
            Self::Unavailable => (
                "urn:agora:problem:unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                "Service unavailable",
            ),
            Self::Internal => (
                "urn:agora:problem:internal",
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
            ),
            Self::Unauthorized => (
                "urn:agora:problem:unauthorized",
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
            ),
            Self::Forbidden => (
                "urn:agora:problem:forbidden",
                StatusCode::FORBIDDEN,
                "Forbidden",
            ),
            Self::TooManyRequests => (
                "urn:agora:problem:too-many-requests",
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
            ),
            Self::ContentNotFound => (
                "urn:agora:problem:content-not-found",
                StatusCode::NOT_FOUND,
                "Content not found",
            ),
            Self::ContentExists => (
                "urn:agora:problem:content-exists",
                StatusCode::CONFLICT,
                "Content exists",
            ),
            Self::ContentPartNotFound => (
                "urn:agora:problem:content-part-not-found",
                StatusCode::NOT_FOUND,
                "Purchase or comment not found",
            ),
            Self::AlreadyPurchased => (
                "urn:agora:problem:already-purchased",
                StatusCode::CONFLICT,
                "Already purchased",
            ),
            Self::ContentNotPublished => (
                "urn:agora:problem:content-not-published",
                StatusCode::CONFLICT,
                "Content not published",
            ),
            Self::ContentConflict => (
                "urn:agora:problem:content-conflict",
                StatusCode::CONFLICT,
                "Content state conflict",
            ),
            Self::PartnerNotFound => (
                "urn:agora:problem:partner-not-found",
                StatusCode::NOT_FOUND,
                "Partner not found",
            ),
            Self::PartnerExists => (
                "urn:agora:problem:partner-exists",
                StatusCode::CONFLICT,
                "Partner exists",
            ),
            Self::PartnerSuspended => (
                "urn:agora:problem:partner-suspended",
                StatusCode::CONFLICT,
                "Partner suspended",
            ),
            Self::ImportTooLarge => (
                "urn:agora:problem:import-too-large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "Import too large",
            ),
            Self::PlanNotFound => (
                "urn:agora:problem:plan-not-found",
                StatusCode::NOT_FOUND,
                "Plan not found",
            ),
            Self::PlanExists => (
                "urn:agora:problem:plan-exists",
                StatusCode::CONFLICT,
                "Plan exists",
            ),
            Self::AlreadyMember => (
                "urn:agora:problem:already-member",
                StatusCode::CONFLICT,
                "Already a member",
            ),
            Self::MembershipNotFound => (
                "urn:agora:problem:membership-not-found",
                StatusCode::NOT_FOUND,
                "Membership not found",
            ),
            Self::PlanConflict => (
                "urn:agora:problem:plan-conflict",
                StatusCode::CONFLICT,
                "Plan state conflict",
            ),
            Self::RecommenderNotReady => (
                "urn:agora:problem:recommender-not-ready",
                StatusCode::SERVICE_UNAVAILABLE,
                "Recommender not ready",
            ),
            Self::RecommenderNoData => (
                "urn:agora:problem:recommender-no-data",
                StatusCode::CONFLICT,
                "No interaction data",
            ),
            Self::VerificationRequired => (
                "urn:agora:problem:verification-required",
                StatusCode::CONFLICT,
                "Verification required",
            ),
            Self::ModelsUnavailable => (
                "urn:agora:problem:models-unavailable",
                StatusCode::SERVICE_UNAVAILABLE,
                "Models unavailable",
            ),
            Self::ModelsOverloaded => (
                "urn:agora:problem:models-overloaded",
                StatusCode::SERVICE_UNAVAILABLE,
                "Models overloaded",
            ),
            Self::PriceOutOfRange => (
                "urn:agora:problem:price-out-of-range",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Price out of range",
            ),
            Self::TimeOutOfRange => (
                "urn:agora:problem:time-out-of-range",
                StatusCode::BAD_REQUEST,
                "Time out of range",
            ),
            Self::ImageTooLarge => (
                "urn:agora:problem:image-too-large",
                StatusCode::PAYLOAD_TOO_LARGE,
                "Image too large",
            ),
            Self::ModelsTimedOut => (
                "urn:agora:problem:models-timed-out",
                StatusCode::GATEWAY_TIMEOUT,
                "Models timed out",
            ),
            Self::RequirementNotFound => (
                "urn:agora:problem:requirement-not-found",
                StatusCode::NOT_FOUND,
                "Requirement not found",
            ),
            Self::RequirementExists => (
                "urn:agora:problem:requirement-exists",
                StatusCode::CONFLICT,
                "Requirement exists",
            ),
            Self::RequirementConflict => (
                "urn:agora:problem:requirement-conflict",
                StatusCode::CONFLICT,
                "Requirement state conflict",
            ),
            Self::BidNotFound => (
                "urn:agora:problem:bid-not-found",
                StatusCode::NOT_FOUND,
                "Bid not found",
            ),
            Self::BidExists => (
                "urn:agora:problem:bid-exists",
                StatusCode::CONFLICT,
                "Bid exists",
            ),
            Self::VendorNotFound => (
                "urn:agora:problem:vendor-not-found",
                StatusCode::NOT_FOUND,
                "Vendor not found",
            ),
            Self::MilestonesMismatch => (
                "urn:agora:problem:milestones-mismatch",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Milestones do not add up to the price",
            ),
            Self::ContractNotFound => (
                "urn:agora:problem:contract-not-found",
                StatusCode::NOT_FOUND,
                "Contract not found",
            ),
            Self::MilestoneNotFound => (
                "urn:agora:problem:milestone-not-found",
                StatusCode::NOT_FOUND,
                "Milestone not found",
            ),
            Self::ContractExists => (
                "urn:agora:problem:contract-exists",
                StatusCode::CONFLICT,
                "Contract exists",
            ),
            Self::MilestoneConflict => (
                "urn:agora:problem:milestone-conflict",
                StatusCode::CONFLICT,
                "Milestone conflict",
            ),
            Self::ContractConflict => (
                "urn:agora:problem:contract-conflict",
                StatusCode::CONFLICT,
                "Contract conflict",
            ),
            Self::SplitOutOfRange => (
                "urn:agora:problem:split-out-of-range",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Split out of range",
            ),
            Self::RatingOutOfRange => (
                "urn:agora:problem:rating-out-of-range",
                StatusCode::UNPROCESSABLE_ENTITY,
                "Rating out of range",
            ),
        }
    }

    /// The HTTP status.
    pub(crate) const fn status(self) -> StatusCode {
        self.describe().1
    }

    /// The stable `type` URI clients match on.
    pub(crate) const fn type_uri(self) -> &'static str {
        self.describe().0
    }

    /// Every kind, in the table's order (the OpenAPI document lists their
    /// `type` URIs; a test checks none is missing).
    pub(crate) const ALL: &'static [ProblemKind] = &[
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::InvalidRequest,
        Self::WrongExpectedVersion,
        Self::DuplicateEventId,
        Self::StoreUnavailable,
        Self::StoreCorrupt,
        Self::NotSupported,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::ValidationFailed,
        Self::UserNotFound,
        Self::UserExists,
        Self::PreconditionFailed,
        Self::Conflict,
        Self::ProjectionLagging,
        Self::Unavailable,
        Self::Internal,
        Self::Unauthorized,
        Self::Forbidden,
        Self::TooManyRequests,
        Self::ContentNotFound,
        Self::ContentExists,
        Self::ContentPartNotFound,
        Self::AlreadyPurchased,
        Self::ContentNotPublished,
        Self::ContentConflict,
        Self::PartnerNotFound,
        Self::PartnerExists,
        Self::PartnerSuspended,
        Self::ImportTooLarge,
        Self::PlanNotFound,
        Self::PlanExists,
        Self::AlreadyMember,
        Self::MembershipNotFound,
        Self::PlanConflict,
        Self::RecommenderNotReady,
        Self::RecommenderNoData,
        Self::VerificationRequired,
        Self::ModelsUnavailable,
        Self::ModelsOverloaded,
        Self::ModelsTimedOut,
        Self::PriceOutOfRange,
        Self::TimeOutOfRange,
        Self::ImageTooLarge,
        Self::RequirementNotFound,
        Self::RequirementExists,
        Self::RequirementConflict,
        Self::BidNotFound,
        Self::BidExists,
        Self::VendorNotFound,
        Self::MilestonesMismatch,
        Self::ContractNotFound,
        Self::MilestoneNotFound,
        Self::ContractExists,
        Self::MilestoneConflict,
        Self::ContractConflict,
        Self::SplitOutOfRange,
        Self::RatingOutOfRange,
    ];
}

impl From<crate::timefmt::TimeError> for ApiError {
    fn from(error: crate::timefmt::TimeError) -> Self {
        use crate::timefmt::TimeError as E;
        let kind = match error {
            E::Malformed(_) => ProblemKind::InvalidRequest,
            E::OutOfRange(_) => ProblemKind::TimeOutOfRange,
        };
        Self::new(kind, error.to_string())
    }
}

/// An error answered as a problem document.
#[derive(Debug)]
pub(crate) struct ApiError {
    kind: ProblemKind,
    detail: String,
    /// Seconds for `Retry-After` on a 429 or 503 (default 1 on a 503).
    retry_after: Option<u32>,
}

impl ApiError {
    /// The kind of problem.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> ProblemKind {
        self.kind
    }

    /// A problem of `kind` with a human-readable `detail`.
    pub(crate) fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// A problem of `kind` (a 429 or 503) telling the client to wait
    /// `seconds` (at least 1) before retrying.
    pub(crate) fn retry_after(kind: ProblemKind, detail: impl Into<String>, seconds: u32) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(kind, detail)
        }
    }

    /// A 429 telling the client to wait `seconds`.
    pub(crate) fn too_many(detail: impl Into<String>, seconds: u32) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(ProblemKind::TooManyRequests, detail)
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.describe().2, self.detail)
    }
}

/// A problem as a value, for answers that carry several (one per item of
/// a bulk request): the same fields as the wire shape.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ProblemDoc {
    /// The stable type URI.
    #[serde(rename = "type")]
    pub(crate) type_uri: &'static str,
    /// Its title.
    pub(crate) title: &'static str,
    /// The HTTP status the problem would have on its own.
    pub(crate) status: u16,
    /// What went wrong, for people.
    pub(crate) detail: String,
}

impl ApiError {
    /// The problem as a value (see [`ProblemDoc`]).
    pub(crate) fn to_doc(&self) -> ProblemDoc {
        let (type_uri, status, title) = self.kind.describe();
        ProblemDoc {
            type_uri,
            title,
            status: status.as_u16(),
            detail: self.detail.clone(),
        }
    }
}

/// The wire shape.
#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    type_uri: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let (type_uri, status, title) = self.kind.describe();
        let body = ProblemBody {
            type_uri,
            title,
            status: status.as_u16(),
            detail: &self.detail,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match status {
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                response.insert_header((
                    header::RETRY_AFTER,
                    self.retry_after.unwrap_or(RETRY_AFTER_SECS),
                ));
            }
            StatusCode::UNAUTHORIZED => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        match serde_json::to_string(&body) {
            Ok(json) => response.body(json),
            Err(_) => response.finish(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        use ProblemKind as K;
        let kind = match &error {
            StoreError::WrongExpectedVersion { .. } => K::WrongExpectedVersion,
            StoreError::DuplicateEventId { .. } => K::DuplicateEventId,
            StoreError::InvalidStreamName { .. }
            | StoreError::InvalidEvent { .. }
            | StoreError::InvalidBatch(_) => K::InvalidRequest,
            StoreError::Corrupt { .. } => K::StoreCorrupt,
            StoreError::Unsupported(_) => K::NotSupported,
            StoreError::Locked(_)
            | StoreError::Poisoned
            | StoreError::Closed
            | StoreError::Io { .. }
            | StoreError::Backend(_) => K::StoreUnavailable,
        };
        // Server-side failures name files and offsets: log them, answer less.
        let detail = match &error {
            StoreError::Corrupt { position, .. } => {
                tracing::error!(%error, "event store corrupt");
                format!("the event log is corrupt at position {position}")
            }
            StoreError::Io { .. } | StoreError::Locked(_) => {
                tracing::error!(%error, "event store failure");
                "the event store failed to read or write its files".to_owned()
            }
            _ => error.to_string(),
        };
        Self::new(kind, detail)
    }
}

/// The problem for a JSON body actix could not take.
pub(crate) fn from_json_error(error: &actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match error {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => {
            ApiError::new(ProblemKind::PayloadTooLarge, error.to_string())
        }
        E::ContentType => ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "the body must be application/json",
        ),
        _ => ApiError::new(ProblemKind::InvalidRequest, error.to_string()),
    }
}

/// The problem for a query string or path segment that does not parse.
pub(crate) fn invalid_request(error: &impl fmt::Display) -> ApiError {
    ApiError::new(ProblemKind::InvalidRequest, error.to_string())
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[test]
    fn every_kind_is_listed_once_with_its_own_type() {
        let source = include_str!("problem.rs");
        let table = &source[source.find("const fn describe").expect("describe")..];
        let table = &table[..table.find("pub(crate) const fn status").expect("status")];
        let arms = table.matches("            Self::").count();
        assert_eq!(
            ProblemKind::ALL.len(),
            arms,
            "ProblemKind::ALL misses a kind"
        );
        let mut uris: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.type_uri()).collect();
        uris.sort_unstable();
        uris.dedup();
        assert_eq!(uris.len(), arms, "two kinds share a type URI");
    }

    #[actix_web::test]
    async fn problems_have_the_rfc_shape() {
        let response = ApiError::new(ProblemKind::NotFound, "no route for GET /x").error_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(PROBLEM_JSON)
        );
        let body = to_bytes(response.into_body()).await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
        assert_eq!(json["type"], "urn:agora:problem:not-found");
        assert_eq!(json["status"], 404);
        assert_eq!(json["detail"], "no route for GET /x");
    }

    #[test]
    fn store_errors_map_to_their_problems() {
        let conflict = StoreError::WrongExpectedVersion {
            stream: "s".into(),
            expected: agora_events::ExpectedVersion::NoStream,
            actual: Some(1),
        };
        assert_eq!(
            ApiError::from(conflict).kind,
            ProblemKind::WrongExpectedVersion
        );
        assert_eq!(
            ApiError::from(StoreError::Closed).kind.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            ApiError::from(StoreError::Unsupported("x")).kind.status(),
            StatusCode::NOT_IMPLEMENTED
        );
    }

    #[test]
    fn unavailable_answers_carry_retry_after() {
        let response = ApiError::new(ProblemKind::StoreUnavailable, "closed").error_response();
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn type_uris_are_distinct() {
        let kinds = [
            ProblemKind::NotFound,
            ProblemKind::MethodNotAllowed,
            ProblemKind::InvalidRequest,
            ProblemKind::WrongExpectedVersion,
            ProblemKind::DuplicateEventId,
            ProblemKind::StoreUnavailable,
            ProblemKind::StoreCorrupt,
            ProblemKind::NotSupported,
            ProblemKind::PayloadTooLarge,
            ProblemKind::UnsupportedMediaType,
            ProblemKind::ValidationFailed,
            ProblemKind::UserNotFound,
            ProblemKind::UserExists,
            ProblemKind::PreconditionFailed,
            ProblemKind::Conflict,
            ProblemKind::ProjectionLagging,
            ProblemKind::Unavailable,
            ProblemKind::Internal,
            ProblemKind::Unauthorized,
            ProblemKind::Forbidden,
            ProblemKind::TooManyRequests,
            ProblemKind::ContentNotFound,
            ProblemKind::ContentExists,
            ProblemKind::ContentPartNotFound,
            ProblemKind::AlreadyPurchased,
            ProblemKind::ContentNotPublished,
            ProblemKind::ContentConflict,
            ProblemKind::PartnerNotFound,
            ProblemKind::PartnerExists,
            ProblemKind::PartnerSuspended,
            ProblemKind::ImportTooLarge,
            ProblemKind::PlanNotFound,
            ProblemKind::PlanExists,
            ProblemKind::AlreadyMember,
            ProblemKind::MembershipNotFound,
            ProblemKind::PlanConflict,
            ProblemKind::RecommenderNotReady,
            ProblemKind::RecommenderNoData,
        ];
        let uris: std::collections::HashSet<_> = kinds.iter().map(|k| k.describe().0).collect();
        assert_eq!(uris.len(), kinds.len());
    }
}
