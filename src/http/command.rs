//! What every command endpoint shares, so a handler is three lines —
//! parse, call one service use case with the [`Command`], answer with
//! [`command_response`]:
//!
//! - [`Command`], the extractor of who calls (already authorized by the
//!   route's policy), its `Idempotency-Key` scoped to the method, path and
//!   caller, and its `If-Match` version;
//! - version `ETag`s and the `{id, version, position, replayed}` answer;
//! - the problem for each way a command can fail ([`from_command`]).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use agora_actors::aggregate::{Aggregate, CommandError, Executed};
use agora_actors::content::Request;
use agora_actors::ids::idempotency_id;
use agora_actors::membership::Caller;
use agora_actors::user::Principal;
use agora_events::domain::user::Role;
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use super::problem::{ApiError, ProblemKind};

/// Longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// A command's caller and its conditions, from the request.
pub(crate) struct Command {
    /// Who calls (the route's policy authorized them).
    pub(crate) principal: Principal,
    /// The `Idempotency-Key`, scoped to the method, path and caller.
    pub(crate) idempotency_key: Option<Uuid>,
    /// The `If-Match` version.
    pub(crate) if_match: Option<u64>,
}

impl Command {
    /// Reads the caller, `Idempotency-Key` and `If-Match` of `request`.
    fn of(request: &HttpRequest) -> Result<Self, ApiError> {
        let principal = super::auth::principal(request)?.ok_or_else(super::auth::token_needed)?;
        let scope = format!(
            "{} {} by {}",
            request.method(),
            request.path(),
            principal.user_id
        );
        Ok(Self {
            idempotency_key: idempotency_key(request.headers(), &scope)?,
            if_match: if_match(request.headers())?,
            principal,
        })
    }

    /// The caller's user id.
    pub(crate) fn user_id(&self) -> &str {
        &self.principal.user_id
    }

    /// Whether the caller holds `role`.
    pub(crate) fn has(&self, role: Role) -> bool {
        self.principal.has(role)
    }

    /// The request as the content and partner services take it.
    pub(crate) fn request(&self) -> Request {
        Request {
            actor_id: self.principal.user_id.clone(),
            idempotency_key: self.idempotency_key,
            if_match: self.if_match,
        }
    }

    /// The caller as the membership service takes it.
    pub(crate) fn membership_caller(&self) -> Caller {
        Caller {
            user_id: self.principal.user_id.clone(),
            is_admin: self.principal.has(Role::Admin),
            idempotency_key: self.idempotency_key,
            if_match: self.if_match,
        }
    }
}

impl FromRequest for Command {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::of(request))
    }
}

/// The strong `ETag` of an aggregate version.
pub(crate) fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// What every command answers.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CommandReply {
    /// The aggregate the command went to.
    id: String,
    /// The aggregate's version after the command.
    version: Option<u64>,
    /// Position of the last event written; pass it as `min_position` to read it back.
    position: Option<u64>,
    /// Whether this answer repeats the first answer to this `Idempotency-Key`.
    replayed: bool,
    /// The id of what the command created inside the aggregate, under its
    /// own name (`purchase_id`, `comment_id`).
    #[serde(flatten)]
    created: std::collections::BTreeMap<&'static str, String>,
}

/// The answer to a command on aggregate `id`: its outcome as JSON, the new
/// version as `ETag`, and `location` (for a new aggregate) as `Location`.
/// `created` names an id the command made inside the aggregate.
pub(crate) fn command_response<A: Aggregate>(
    status: StatusCode,
    id: String,
    executed: &Executed<A>,
    location: Option<String>,
    created: Option<(&'static str, String)>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if let Some(version) = executed.version {
        response.insert_header((header::ETAG, etag(version)));
    }
    if let Some(location) = location {
        response.insert_header((header::LOCATION, location));
    }
    response.json(CommandReply {
        id,
        version: executed.version,
        position: executed.position,
        replayed: executed.replayed,
        created: created.into_iter().collect(),
    })
}

/// Parses `If-Match: "N"` (absent: `None`); a bare `N` is taken too, as
/// clients that build the header by hand send it. `N` is 1 to 19 ASCII
/// digits (so always a `u64`); anything else is refused.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(version_tag)
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                ProblemKind::InvalidRequest,
                "If-Match must be a version ETag like \"3\"",
            )
        })
}

/// The version an `If-Match` value names: `"N"` or `N`, `N` of 1 to 19
/// digits (the document's pattern, `fields::if_match`, says the same).
pub(crate) fn version_tag(text: &str) -> Option<u64> {
    let digits = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text);
    let well_formed =
        (1..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| digits.parse().ok()).flatten()
}

/// Parses `Idempotency-Key` (1–255 visible ASCII characters) into the id
/// used for it, scoped to `scope` (method, path and caller), so equal keys
/// on two routes or from two callers never collide.
pub(crate) fn idempotency_key(headers: &HeaderMap, scope: &str) -> Result<Option<Uuid>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|k| {
        (1..=MAX_IDEMPOTENCY_KEY).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
    });
    key.map(|k| Some(idempotency_id(scope, k))).ok_or_else(|| {
        ApiError::new(
            ProblemKind::InvalidRequest,
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        )
    })
}

/// The problem for a failed command on an aggregate called `what` (in
/// messages); `domain` maps the aggregate's own refusals.
pub(crate) fn from_command<E: std::error::Error>(
    error: CommandError<E>,
    what: &str,
    domain: impl FnOnce(E) -> ApiError,
) -> ApiError {
    use ProblemKind as K;
    let version = |v: Option<u64>| v.map_or("none".into(), |v| v.to_string());
    match error {
        CommandError::Domain(e) => domain(e),
        CommandError::VersionMismatch { expected, actual } => ApiError::new(
            K::PreconditionFailed,
            format!(
                "If-Match names version {}, the {what} is at version {}",
                version(expected),
                version(actual)
            ),
        ),
        CommandError::Contended => ApiError::new(K::Conflict, error.to_string()),
        CommandError::Store(e) => match std::sync::Arc::try_unwrap(e) {
            Ok(e) => e.into(),
            Err(shared) => ApiError::new(K::StoreUnavailable, shared.to_string()),
        },
        CommandError::History(reason) => {
            tracing::error!(%reason, what, "an aggregate's history could not be read");
            ApiError::new(
                K::Internal,
                format!("the {what}'s history could not be read"),
            )
        }
        CommandError::Unavailable(reason) => ApiError::new(K::Unavailable, reason),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    #[test]
    fn if_match_takes_a_quoted_version() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers).ok(), Some(None));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"3\""));
        assert_eq!(if_match(&headers).ok(), Some(Some(3)));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("3"));
        assert_eq!(if_match(&headers).ok(), Some(Some(3)));
        for bad in [
            "", "\"\"", "\"3", "+3", "\"+3\"", "W/\"3\"", "*", "3 ", "\"-1\"",
        ] {
            headers.insert(
                header::IF_MATCH,
                HeaderValue::from_str(bad).expect("a header"),
            );
            assert!(if_match(&headers).is_err(), "{bad}");
        }
    }

    #[test]
    fn idempotency_keys_are_scoped_and_checked() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::HeaderName::from_static("idempotency-key"),
            HeaderValue::from_static("k-1"),
        );
        let a = idempotency_key(&headers, "POST /a").ok().flatten();
        let b = idempotency_key(&headers, "POST /b").ok().flatten();
        assert!(a.is_some() && a != b);
        headers.insert(
            header::HeaderName::from_static("idempotency-key"),
            HeaderValue::from_static("has space"),
        );
        assert!(idempotency_key(&headers, "POST /a").is_err());
    }
}
