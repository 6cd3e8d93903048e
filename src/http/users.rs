//! `/v1/users`: register, read, change profile.
//!
//! - `POST /v1/users` registers (client-chosen `id` or a generated one);
//!   `Idempotency-Key` makes a repeat answer like the first time.
//! - `GET /v1/users/{id}` reads the users projection; `?min_position=P`
//!   first waits (bounded) until the projection applied position `P`, so a
//!   client reads its own write. The `ETag` is the aggregate version.
//! - `PATCH /v1/users/{id}` changes the profile; with `If-Match` it only
//!   applies to that version (a stale one gets 412 and changes nothing).
//! - `DELETE /v1/users/{id}/personal-data` erases the personal data
//!   (crypto-shredding): `UserPersonalDataErased` is appended, then the
//!   user's data key destroyed. The account is closed: its sessions end,
//!   logging in is refused (the password credential was sealed with that
//!   key), profile changes get 409; its id, public name, purchases and
//!   ledger entries stay, and views show `[erased]`.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::{self};
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::aggregate::{CommandError, Executed};
use agora_actors::user::{ProfileUpdate, Registration, User, UserError, UserServiceError};
use agora_events::EventMetadata;
use agora_events::domain::user::{PersonalDetails, Role};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AppState;
use super::auth::MaybeAuthenticated;
use super::command::{self, Command, etag, idempotency_key};
use super::fields;
use super::problem::{ApiError, ProblemKind};
use super::ratelimit::{Limit, client_address};
use super::reads::caught_up;
use super::sessions;
use crate::timefmt::rfc3339;

/// Roles nobody may give themselves.
const GRANTED_ROLES: &[Role] = &[Role::Admin, Role::Auditor];

/// A role a user may choose at registration: any [`Role`] but the
/// [`GRANTED_ROLES`] (a schema only; requests parse into `Role`).
struct ChosenRole;

impl JsonSchema for ChosenRole {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChosenRole".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let granted: Vec<String> = GRANTED_ROLES
            .iter()
            .map(|r| super::policy::role_name(*r).to_owned())
            .collect();
        let mut schema = Role::json_schema(generator);
        if let Some(options) = schema
            .get_mut("oneOf")
            .and_then(serde_json::Value::as_array_mut)
        {
            options.retain(|o| {
                o.get("const")
                    .and_then(serde_json::Value::as_str)
                    .is_none_or(|c| !granted.iter().any(|g| g == c))
            });
        }
        if let Some(values) = schema
            .get_mut("enum")
            .and_then(serde_json::Value::as_array_mut)
        {
            values.retain(|v| v.as_str().is_none_or(|c| !granted.iter().any(|g| g == c)));
        }
        schema.insert(
            "description".into(),
            "A role chosen at registration (admin and auditor are granted by admins).".into(),
        );
        schema
    }
}

/// Window of the per-address registration limit.
const REGISTRATION_WINDOW: Duration = Duration::from_secs(60);

/// Body of `POST /v1/users`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterBody {
    /// The user's id; generated when absent.
    #[schemars(with = "Option<fields::Id>")]
    id: Option<String>,
    /// The public name.
    #[schemars(with = "fields::DisplayName")]
    display_name: String,
    /// The e-mail address (personal data, sealed).
    #[schemars(with = "fields::Email")]
    email: String,
    /// The real name (personal data, sealed).
    #[schemars(with = "Option<fields::RealName>")]
    real_name: Option<String>,
    /// A phone number (personal data, sealed).
    #[schemars(with = "Option<fields::Phone>")]
    phone: Option<String>,
    /// Roles chosen (admin and auditor are granted by admins only).
    #[schemars(with = "Vec<ChosenRole>", length(min = 1))]
    roles: Vec<Role>,
    /// 8 to 128 characters; without it the user cannot log in.
    #[schemars(with = "Option<fields::Password>")]
    password: Option<String>,
}

/// Body of `PATCH /v1/users/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    /// A new public name.
    #[schemars(with = "Option<fields::DisplayName>")]
    display_name: Option<String>,
    /// A new e-mail address.
    #[schemars(with = "Option<fields::Email>")]
    email: Option<String>,
    /// A new real name.
    #[schemars(with = "Option<fields::RealName>")]
    real_name: Option<String>,
    /// A new phone number.
    #[schemars(with = "Option<fields::Phone>")]
    phone: Option<String>,
}

/// Query of `GET /v1/users/{id}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    min_position: Option<u64>,
}

/// A user as read.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct UserView {
    id: String,
    display_name: String,
    roles: Vec<Role>,
    /// Absent unless `personal_data` is `visible`.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    real_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
    /// `visible`, `hidden` (not this caller's to see) or `erased` (the
    /// personal fields then read `[erased]`).
    #[schemars(extend("enum" = ["visible", "hidden", "erased"]))]
    personal_data: &'static str,
    version: u64,
    registered_at: String,
    updated_at: String,
}

/// `POST /v1/users`.
pub(crate) async fn register(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Some(role) = body.roles.iter().find(|r| GRANTED_ROLES.contains(r)) {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("role {role:?} is granted by an administrator, not chosen at registration")
                .to_lowercase(),
        ));
    }
    let key = idempotency_key(request.headers(), "POST /v1/users")?;
    let address = client_address(&request);
    let limit = Limit {
        attempts: state.login_limits.registrations_per_address,
        window: REGISTRATION_WINDOW,
    };
    let now = Instant::now();
    state
        .limiter
        .attempt(&format!("register-address:{address}"), limit, now)
        .map_err(|wait| ApiError::too_many("too many registrations from this address", wait))?;
    let _permit = match body.password {
        Some(_) => Some(sessions::password_work(&state).await?),
        None => None,
    };
    let registration = Registration {
        id: body.id,
        display_name: body.display_name,
        roles: body.roles,
        personal: PersonalDetails {
            email: body.email,
            real_name: body.real_name,
            phone: body.phone,
        },
        password: body.password,
    };
    let (id, executed) = state
        .users
        .register(registration, key, metadata(key))
        .await?;
    Ok(command_response(StatusCode::CREATED, id, &executed))
}

pub(crate) async fn read(
    state: web::Data<AppState>,
    auth: MaybeAuthenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    let view = state.users.view();
    caught_up(&state, view, query.min_position, "the users view").await?;
    let record = view
        .read(|users| users.get(&id).cloned())
        .ok_or_else(|| ApiError::new(ProblemKind::UserNotFound, format!("no user {id:?}")))?;
    let erased = || {
        let shown = ERASED.to_owned();
        let details = PersonalDetails {
            email: shown.clone(),
            real_name: Some(shown.clone()),
            phone: Some(shown),
        };
        (Some(details), "erased")
    };
    let (personal, personal_data) = if !auth.may_read_personal(&id) {
        (None, "hidden")
    } else if record.erased {
        erased()
    } else {
        match state
            .users
            .personal_details(&record)
            .map_err(from_service)?
        {
            Some(details) => (Some(details), "visible"),
            None => erased(),
        }
    };
    let body = UserView {
        id: record.id,
        display_name: record.display_name,
        roles: record.roles,
        email: personal.as_ref().map(|p| p.email.clone()),
        real_name: personal.as_ref().and_then(|p| p.real_name.clone()),
        phone: personal.and_then(|p| p.phone),
        personal_data,
        version: record.version,
        registered_at: rfc3339(record.registered_at),
        updated_at: rfc3339(record.updated_at),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(body))
}

/// What an erased personal field shows as.
const ERASED: &str = "[erased]";

/// `DELETE /v1/users/{id}/personal-data`: by the user or an admin.
///
/// Answers once the users view (which authenticates tokens) applied the
/// erasure, so from the answer on the account's tokens are refused; if the
/// view lags past `read_wait_ms` the erasure still stands (it is written)
/// and the answer says so all the same, the tokens ending as soon as the
/// view catches up.
pub(crate) async fn erase(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = command.idempotency_key;
    let executed = state
        .users
        .erase_personal_data(&id, key, actor_metadata(key, command.user_id()))
        .await?;
    if let Err(lagging) = caught_up(
        &state,
        state.users.view(),
        executed.position,
        "the users view",
    )
    .await
    {
        tracing::warn!(user = %id, error = %lagging, "erased; sessions end when the users view catches up");
    }
    Ok(command_response(StatusCode::OK, id.into_inner(), &executed))
}

/// `PATCH /v1/users/{id}`: by the user or an admin.
pub(crate) async fn update(
    state: web::Data<AppState>,
    command: Command,
    id: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let update = ProfileUpdate {
        display_name: body.display_name,
        email: body.email,
        real_name: body.real_name,
        phone: body.phone,
    };
    let key = command.idempotency_key;
    let executed = state
        .users
        .update_profile(
            &id,
            update,
            command.if_match,
            key,
            actor_metadata(key, command.user_id()),
        )
        .await?;
    Ok(command_response(StatusCode::OK, id.into_inner(), &executed))
}

fn command_response(status: StatusCode, id: String, executed: &Executed<User>) -> HttpResponse {
    let location = (status == StatusCode::CREATED).then(|| format!("/v1/users/{id}"));
    command::command_response(status, id, executed, location, None)
}

fn actor_metadata(key: Option<Uuid>, actor: &str) -> EventMetadata {
    EventMetadata {
        actor_id: Some(actor.to_owned()),
        ..metadata(key)
    }
}

fn metadata(key: Option<Uuid>) -> EventMetadata {
    EventMetadata {
        correlation_id: Some(key.unwrap_or_else(Uuid::now_v7)),
        causation_id: None,
        actor_id: None,
    }
}

/// Maps a use-case failure to its problem.
impl From<UserServiceError> for ApiError {
    fn from(error: UserServiceError) -> Self {
        from_service(error)
    }
}

/// Maps a user use-case failure to its problem.
pub(crate) fn from_service(error: UserServiceError) -> ApiError {
    use ProblemKind as K;
    match error {
        UserServiceError::InvalidId => ApiError::new(K::InvalidRequest, error.to_string()),
        UserServiceError::PersonalDetails(e) => ApiError::new(K::ValidationFailed, e.to_string()),
        UserServiceError::PersonalData(e) => {
            tracing::error!(error = %e, "personal data could not be sealed or opened");
            ApiError::new(K::Internal, "personal data could not be processed")
        }
        UserServiceError::Password(agora_actors::user::PasswordError::Length) => {
            ApiError::new(K::ValidationFailed, error.to_string())
        }
        UserServiceError::Password(e) => {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::new(K::Internal, "the password could not be processed")
        }
        UserServiceError::BadCredentials => ApiError::new(K::Unauthorized, error.to_string()),
        UserServiceError::Command(e) => from_command(e),
    }
}

fn from_command(error: CommandError<UserError>) -> ApiError {
    use ProblemKind as K;
    command::from_command(error, "user", |e| {
        let kind = match e {
            UserError::AlreadyRegistered => K::UserExists,
            UserError::NotRegistered => K::UserNotFound,
            UserError::InvalidDisplayName(_) | UserError::NoRoles | UserError::SessionExpiry => {
                K::ValidationFailed
            }
            UserError::NoPassword | UserError::NoSuchSession => K::Unauthorized,
            UserError::Erased => K::Conflict,
        };
        ApiError::new(kind, e.to_string())
    })
}
