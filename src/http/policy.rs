//! Who may call what: the one place the HTTP API decides it.
//!
//! Every route of the table in [`super::api`] declares a [`Policy`]: who
//! may call it ([`Who`]) and what the call does ([`Effect`]). The router
//! checks it for every request **before** any extractor runs — before a
//! body is read or parsed — and hands the authenticated [`Principal`] to
//! the handler through the request's extensions. Three rules hold for
//! every route, so no handler can forget them:
//!
//! - a route that needs a token answers 401 without a valid one;
//! - **auditors read, never write**: a token holding the auditor role is
//!   refused (403) on every [`Effect::Write`] route, whatever other roles
//!   it holds (an admin who is also an auditor included);
//! - a role the route asks for is checked here, not in the handler.
//!
//! What only the aggregate can know (the item's creator, the buyer of a
//! purchase, the plan's owner) stays with the aggregate; the route's
//! [`Policy::note`] says so in the document.

use actix_web::HttpMessage as _;
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use agora_actors::user::Principal;
use agora_events::domain::user::Role;

use super::AppState;
use super::problem::{ApiError, ProblemKind};

/// Who may call a route, as far as the token tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Who {
    /// Anyone, with or without a token (a token sent must still be valid).
    Anyone,
    /// Any logged-in user.
    AnyUser,
    /// A logged-in user holding at least one of these roles.
    AnyRole(&'static [Role]),
    /// The user the path's `{id}` names, or one holding one of these roles.
    PathUserOr(&'static [Role]),
}

/// What calling a route does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Reads only: auditors may call it.
    Read,
    /// Changes state (appends events): auditors never may.
    Write,
    /// Starts or ends the caller's own session: everyone who may log in may.
    Session,
}

/// A route's rule: who may call it and what the call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Who may call it.
    pub(crate) who: Who,
    /// What it does.
    pub(crate) effect: Effect,
    /// What the aggregate checks on top (e.g. "the item's creator").
    pub(crate) note: Option<&'static str>,
}

/// Roles that read everything a user may read of their own.
pub(crate) const OVERSIGHT: &[Role] = &[Role::Admin, Role::Auditor];
/// Admins only.
pub(crate) const ADMIN: &[Role] = &[Role::Admin];

impl Policy {
    /// A read anyone may make.
    pub(crate) const fn public_read() -> Self {
        Self::new(Who::Anyone, Effect::Read)
    }

    /// A read for `who`.
    pub(crate) const fn read(who: Who) -> Self {
        Self::new(who, Effect::Read)
    }

    /// A write for `who` (never auditors).
    pub(crate) const fn write(who: Who) -> Self {
        Self::new(who, Effect::Write)
    }

    /// Logging in or out.
    pub(crate) const fn session(who: Who) -> Self {
        Self::new(who, Effect::Session)
    }

    const fn new(who: Who, effect: Effect) -> Self {
        Self {
            who,
            effect,
            note: None,
        }
    }

    /// Adds what the aggregate checks on top of the token.
    pub(crate) const fn note(mut self, note: &'static str) -> Self {
        self.note = Some(note);
        self
    }

    /// Whether a request must carry a token.
    pub(crate) const fn needs_token(&self) -> bool {
        !matches!(self.who, Who::Anyone)
    }

    /// The "Who may call" text of the API document.
    pub(crate) fn describe(&self) -> String {
        let roles = |roles: &[Role]| {
            roles
                .iter()
                .map(|r| role_name(*r))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let who = match self.who {
            Who::Anyone => "anyone".to_owned(),
            Who::AnyUser => "any logged-in user".to_owned(),
            Who::AnyRole(r) => format!("role {}", roles(r)),
            Who::PathUserOr(r) => format!("the user `{{id}}`, or role {}", roles(r)),
        };
        let mut text = who;
        if let Some(note) = self.note {
            text.push_str("; ");
            text.push_str(note);
        }
        if self.effect == Effect::Write {
            text.push_str(" (never an auditor's token)");
        }
        text
    }

    /// The rule as data, for the OpenAPI document's `x-agora-policy`:
    /// `{"who": "anyone" | "any-user" | "roles" | "path-user-or-roles",
    /// "roles": [...], "effect": "read" | "write" | "session", "note"?}`,
    /// so tools (ops/api-check) know which tokens may call an operation.
    pub(crate) fn to_doc(self) -> serde_json::Value {
        let names = |roles: &[Role]| roles.iter().map(|r| role_name(*r)).collect::<Vec<_>>();
        let (who, roles) = match self.who {
            Who::Anyone => ("anyone", Vec::new()),
            Who::AnyUser => ("any-user", Vec::new()),
            Who::AnyRole(r) => ("roles", names(r)),
            Who::PathUserOr(r) => ("path-user-or-roles", names(r)),
        };
        let effect = match self.effect {
            Effect::Read => "read",
            Effect::Write => "write",
            Effect::Session => "session",
        };
        let mut doc = serde_json::json!({"who": who, "roles": roles, "effect": effect});
        if let Some(note) = self.note {
            doc["note"] = note.into();
        }
        doc
    }

    /// Checks the request against this rule; the principal of its token,
    /// if it carried one.
    ///
    /// Errors: 401 without a valid token where one is needed (or with an
    /// invalid one anywhere), 403 for an auditor on a write or a caller
    /// without the role or identity the route asks for.
    pub(crate) fn authorize(
        &self,
        principal: Option<Principal>,
        path_id: Option<&str>,
    ) -> Result<Option<Principal>, ApiError> {
        let Some(principal) = principal else {
            if self.needs_token() {
                return Err(ApiError::new(
                    ProblemKind::Unauthorized,
                    "this needs `Authorization: Bearer TOKEN`",
                ));
            }
            return Ok(None);
        };
        if self.effect == Effect::Write && principal.has(Role::Auditor) {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                "auditors read, never write",
            ));
        }
        let allowed = match self.who {
            Who::Anyone | Who::AnyUser => true,
            Who::AnyRole(roles) => roles.iter().any(|r| principal.has(*r)),
            Who::PathUserOr(roles) => {
                path_id == Some(principal.user_id.as_str())
                    || roles.iter().any(|r| principal.has(*r))
            }
        };
        if !allowed {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                format!("only {} may do this", self.describe()),
            ));
        }
        Ok(Some(principal))
    }
}

/// Whether `principal` holds a role that reads every account (admins and
/// auditors).
pub(crate) fn oversees(principal: &Principal) -> bool {
    OVERSIGHT.iter().any(|role| principal.has(*role))
}

/// The lowercase name of a role, as on the wire.
pub(crate) const fn role_name(role: Role) -> &'static str {
    match role {
        Role::Learner => "learner",
        Role::Creator => "creator",
        Role::Vendor => "vendor",
        Role::Client => "client",
        Role::Partner => "partner",
        Role::Auditor => "auditor",
        Role::Admin => "admin",
    }
}

/// The principal of a request's bearer token: `Ok(None)` without an
/// `Authorization` header, 401 with a malformed, unknown, expired or
/// revoked token.
pub(crate) fn principal_of(
    state: &AppState,
    headers: &header::HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let unauthorized = |detail: &str| ApiError::new(ProblemKind::Unauthorized, detail);
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("Authorization must be `Bearer TOKEN`"))?;
    state
        .users
        .authenticate(token)
        .map(Some)
        .ok_or_else(|| unauthorized("the token is unknown, expired or logged out"))
}

/// The principal the router authorized for this request, if any.
#[derive(Clone, Debug)]
pub(crate) struct Authorized(pub(crate) Option<Principal>);

/// Checks `policy` for `request` and leaves the outcome in its extensions
/// for the handler's extractors.
pub(crate) fn check(request: &ServiceRequest, policy: &Policy) -> Result<(), ApiError> {
    let state = request
        .app_data::<actix_web::web::Data<AppState>>()
        .ok_or_else(|| ApiError::new(ProblemKind::Internal, "application state missing"))?;
    let principal = principal_of(state, request.headers())?;
    let path_id = request.match_info().get("id");
    let principal = policy.authorize(principal, path_id)?;
    request.extensions_mut().insert(Authorized(principal));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(id: &str, roles: &[Role]) -> Principal {
        Principal {
            user_id: id.into(),
            session_id: "s".into(),
            roles: roles.to_vec(),
        }
    }

    fn status(result: Result<Option<Principal>, ApiError>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(e) => e.kind().status().as_u16(),
        }
    }

    #[test]
    fn auditors_never_write_whatever_else_they_are() {
        let admin_auditor = principal("a", &[Role::Admin, Role::Auditor]);
        let write = Policy::write(Who::AnyRole(ADMIN));
        assert_eq!(
            status(write.authorize(Some(admin_auditor.clone()), None)),
            403
        );
        let read = Policy::read(Who::AnyRole(OVERSIGHT));
        assert_eq!(
            status(read.authorize(Some(admin_auditor.clone()), None)),
            200
        );
        let session = Policy::session(Who::AnyUser);
        assert_eq!(status(session.authorize(Some(admin_auditor), None)), 200);
    }

    #[test]
    fn tokens_roles_and_path_users_are_checked() {
        let write = Policy::write(Who::AnyRole(&[Role::Creator]));
        assert_eq!(status(write.authorize(None, None)), 401);
        let learner = principal("l", &[Role::Learner]);
        assert_eq!(status(write.authorize(Some(learner.clone()), None)), 403);
        let own = Policy::read(Who::PathUserOr(OVERSIGHT));
        assert_eq!(status(own.authorize(Some(learner.clone()), Some("l"))), 200);
        assert_eq!(status(own.authorize(Some(learner.clone()), Some("m"))), 403);
        assert_eq!(status(own.authorize(Some(learner), None)), 403);
        let public = Policy::public_read();
        assert_eq!(status(public.authorize(None, None)), 200);
    }

    #[test]
    fn the_document_names_the_rule() {
        let policy = Policy::write(Who::AnyRole(&[Role::Creator])).note("the item's creator");
        assert_eq!(
            policy.describe(),
            "role creator; the item's creator (never an auditor's token)"
        );
    }
}
