//! `/v1/partners`: partner platforms and their catalog imports.
//!
//! - Admins register a partner (`POST /v1/partners`), change its share of
//!   future sales (`PUT /v1/partners/{id}/share`), suspend and reinstate it.
//!   Auditors read, never write.
//! - `GET /v1/partners/{id}` reads the Partner aggregate itself (always
//!   current): the partner's user, admins and auditors.
//! - `POST /v1/partners/{id}/catalog` (the partner's user, or an admin)
//!   imports up to `partner_import_max_items` items in one call (more: 413
//!   `import-too-large`), each checked on its own: the answer lists, per
//!   item, its index, external id and content id, or its problem (the same
//!   problem document a single request would get). An item becomes the
//!   content item `p-{partner}-{external_id}`, drafted for its `creator_id`
//!   (default: the partner's user), listed by the partner, priced and
//!   published in one append. Re-importing an external id is an idempotent
//!   upsert: unchanged items record nothing, a new price is recorded, a new
//!   text is refused (`content-conflict`: published text is fixed).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::aggregate::CommandError;
use agora_actors::content::Request;
use agora_actors::partner::{
    ImportItem, ImportItemError, ImportOutcome, ImportStatus, PartnerError, PartnerServiceError,
};
use agora_events::domain::content::{Body, ContentKind, Money};
use agora_events::domain::user::Role;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Authenticated;
use super::body::read_json_body;
use super::command::{self, etag, idempotency_key, if_match};
use super::problem::{ApiError, ProblemDoc, ProblemKind};

/// The routes of this module.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(super::method_not_allowed));
    cfg.service(resource("/v1/partners").route(web::post().to(register)))
        .service(resource("/v1/partners/{id}").route(web::get().to(read)))
        .service(resource("/v1/partners/{id}/share").route(web::put().to(change_share)))
        .service(resource("/v1/partners/{id}/suspend").route(web::post().to(suspend)))
        .service(resource("/v1/partners/{id}/reinstate").route(web::post().to(reinstate)))
        .service(resource("/v1/partners/{id}/catalog").route(web::post().to(import)));
}

/// Body of `POST /v1/partners`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterPartnerBody {
    /// The partner's id (1–64 of `A-Za-z0-9_-.:`).
    id: String,
    /// Its public name.
    name: String,
    /// The user account it acts through; must hold the `partner` role.
    user_id: String,
    /// Its share of each sale of its items, in basis points (10000 = 100 %);
    /// with the platform fee at most 100 %.
    share_bps: u32,
}

/// Body of `PUT /v1/partners/{id}/share`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareBody {
    /// The share of future sales, in basis points.
    share_bps: u32,
}

/// Body of `POST /v1/partners/{id}/suspend`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuspendBody {
    /// Why (kept in the event).
    #[serde(default)]
    reason: String,
}

/// Body of `POST /v1/partners/{id}/catalog`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogBody {
    /// The items; each is checked on its own (see [`CatalogItemBody`]).
    items: Vec<serde_json::Value>,
}

/// One item of a catalog import.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogItemBody {
    /// The item's id in the partner's catalog (1–64 of `A-Za-z0-9_-.:`,
    /// and `p-{partner}-{external_id}` at most 64).
    external_id: String,
    /// The creator credited with the item (a user with the creator role);
    /// default: the partner's user.
    creator_id: Option<String>,
    /// `article`, `course` or `column`.
    #[schemars(with = "String")]
    kind: ContentKind,
    /// The title.
    title: String,
    /// A short summary.
    #[serde(default)]
    summary: String,
    /// `{"text": "..."}` or `{"chapters": [{"title", "body"}]}`; needs text.
    #[schemars(with = "serde_json::Value")]
    body: Body,
    /// Tags.
    #[serde(default)]
    tags: Vec<String>,
    /// Language tag, e.g. `en` or `zh-CN`.
    language: String,
    /// The price.
    price: PriceBody,
}

/// A price on the wire.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CatalogItemPrice")]
pub(crate) struct PriceBody {
    /// Amount in the currency's minor unit; 0 = free.
    amount_cents: u64,
    /// ISO 4217 code, e.g. `CNY`.
    currency: String,
}

/// A partner as read.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct PartnerView {
    /// The partner's id.
    id: String,
    /// Its public name.
    name: String,
    /// The user account it acts through.
    user_id: String,
    /// Its share of future sales, in basis points.
    share_bps: u32,
    /// Whether its imports are suspended.
    suspended: bool,
    /// The aggregate's version (the `ETag`).
    version: u64,
}

/// What became of one imported item.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ItemResult {
    /// The item's 0-based index in the request.
    index: usize,
    /// Its external id, when the item had a readable one.
    external_id: Option<String>,
    /// `created`, `updated`, `unchanged` or `failed`.
    status: &'static str,
    /// The content item it is, unless it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_id: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<ProblemDoc>,
}

/// The answer to a catalog import.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ImportReply {
    /// The partner.
    partner_id: String,
    /// Items received.
    received: usize,
    /// Items newly listed.
    created: usize,
    /// Items whose price changed.
    updated: usize,
    /// Items already listed exactly like this.
    unchanged: usize,
    /// Items refused (each with its problem).
    failed: usize,
    /// Position of the last event written (pass as `min_position` to read
    /// the items back); `null` when nothing was written.
    position: Option<u64>,
    /// One result per item, in the request's order.
    items: Vec<ItemResult>,
}

/// `POST /v1/partners`: admins.
async fn register(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    body: web::Json<RegisterPartnerBody>,
) -> Result<HttpResponse, ApiError> {
    admin_only(&auth, "registers partners")?;
    let body = body.into_inner();
    let request_ctx = caller(&auth, &request)?;
    let executed = state
        .partners
        .register(
            &body.id,
            body.name,
            body.user_id,
            body.share_bps,
            &request_ctx,
        )
        .await
        .map_err(from_service)?;
    let location = format!("/v1/partners/{}", body.id);
    Ok(command::command_response(
        StatusCode::CREATED,
        body.id,
        &executed,
        Some(location),
        None,
    ))
}

/// `GET /v1/partners/{id}`: the partner's user, admins and auditors.
async fn read(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (partner, version) = state.partners.get(&id).await.map_err(from_service)?;
    let user_id = partner.user_id().unwrap_or_default().to_owned();
    if !(auth.0.user_id == user_id || auth.0.has(Role::Admin) || auth.0.has(Role::Auditor)) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the partner's user, admins and auditors read a partner",
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(PartnerView {
            id: id.into_inner(),
            name: partner.name().to_owned(),
            user_id,
            share_bps: partner.share_bps().unwrap_or_default(),
            suspended: partner.is_suspended(),
            version,
        }))
}

/// `PUT /v1/partners/{id}/share`: admins; future sales only.
async fn change_share(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<ShareBody>,
) -> Result<HttpResponse, ApiError> {
    admin_only(&auth, "changes a partner's share")?;
    let request_ctx = caller(&auth, &request)?;
    let executed = state
        .partners
        .change_share(&id, body.share_bps, &request_ctx)
        .await
        .map_err(from_service)?;
    Ok(command::command_response(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        None,
        None,
    ))
}

/// `POST /v1/partners/{id}/suspend`: admins.
async fn suspend(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: Option<web::Json<SuspendBody>>,
) -> Result<HttpResponse, ApiError> {
    admin_only(&auth, "suspends partners")?;
    let request_ctx = caller(&auth, &request)?;
    let reason = body.map(|b| b.into_inner().reason).unwrap_or_default();
    let executed = state
        .partners
        .suspend(&id, reason, &request_ctx)
        .await
        .map_err(from_service)?;
    Ok(command::command_response(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        None,
        None,
    ))
}

/// `POST /v1/partners/{id}/reinstate`: admins.
async fn reinstate(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    admin_only(&auth, "reinstates partners")?;
    let request_ctx = caller(&auth, &request)?;
    let executed = state
        .partners
        .reinstate(&id, &request_ctx)
        .await
        .map_err(from_service)?;
    Ok(command::command_response(
        StatusCode::OK,
        id.into_inner(),
        &executed,
        None,
        None,
    ))
}

/// `POST /v1/partners/{id}/catalog`: the partner's user or an admin.
async fn import(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let settings = state.partners.import_settings();
    let body = read_json_body(
        &request,
        payload,
        settings.max_body_bytes,
        "a catalog import body",
    )
    .await?;
    let body: CatalogBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(ProblemKind::InvalidRequest, e.to_string()))?;
    let received = body.items.len();
    // External ids as sent, so even a malformed item's result names it.
    let sent_ids: Vec<Option<String>> = body
        .items
        .iter()
        .map(|v| {
            v.get("external_id")
                .and_then(|e| e.as_str())
                .map(str::to_owned)
        })
        .collect();
    let items = body.items.into_iter().map(parse_item).collect();
    let request_ctx = caller(&auth, &request)?;
    let outcomes = state
        .partners
        .import(
            &state.contents,
            &id,
            items,
            &request_ctx,
            auth.0.has(Role::Admin),
        )
        .await
        .map_err(from_service)?;
    let mut position = None;
    let items: Vec<ItemResult> = outcomes
        .into_iter()
        .map(|mut outcome| {
            if outcome.external_id.is_none() {
                outcome.external_id = sent_ids.get(outcome.index).cloned().flatten();
            }
            item_result(outcome, &mut position)
        })
        .collect();
    let count = |status: &str| items.iter().filter(|i| i.status == status).count();
    Ok(HttpResponse::Ok().json(ImportReply {
        partner_id: id.into_inner(),
        received,
        created: count("created"),
        updated: count("updated"),
        unchanged: count("unchanged"),
        failed: count("failed"),
        position,
        items,
    }))
}

/// One outcome on the wire; `position` keeps the largest position written.
fn item_result(outcome: ImportOutcome, position: &mut Option<u64>) -> ItemResult {
    match outcome.result {
        Ok(imported) => {
            if let Some(p) = imported.position {
                *position = Some(position.map_or(p, |q| q.max(p)));
            }
            ItemResult {
                index: outcome.index,
                external_id: outcome.external_id,
                status: match imported.status {
                    ImportStatus::Created => "created",
                    ImportStatus::Updated => "updated",
                    ImportStatus::Unchanged => "unchanged",
                },
                content_id: Some(imported.content_id),
                problem: None,
            }
        }
        Err(error) => ItemResult {
            index: outcome.index,
            external_id: outcome.external_id,
            status: "failed",
            content_id: None,
            problem: Some(from_item_error(error).to_doc()),
        },
    }
}

/// Parses one item on its own: a malformed item fails alone.
fn parse_item(value: serde_json::Value) -> Result<ImportItem, ImportItemError> {
    let body: CatalogItemBody =
        serde_json::from_value(value).map_err(|e| ImportItemError::Malformed(e.to_string()))?;
    Ok(ImportItem {
        external_id: body.external_id,
        creator_id: body.creator_id,
        kind: body.kind,
        title: body.title,
        summary: body.summary,
        body: body.body,
        tags: body.tags,
        language: body.language,
        price: Money {
            amount_cents: body.price.amount_cents,
            currency: body.price.currency,
        },
    })
}

/// Refuses anyone but admins.
fn admin_only(auth: &Authenticated, what: &str) -> Result<(), ApiError> {
    if auth.0.has(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::new(
            ProblemKind::Forbidden,
            format!("only an admin {what}"),
        ))
    }
}

/// The service request of an authenticated call (see `contents::caller`).
fn caller(auth: &Authenticated, request: &HttpRequest) -> Result<Request, ApiError> {
    let user = &auth.0.user_id;
    let scope = format!("{} {} by {user}", request.method(), request.path());
    Ok(Request {
        actor_id: user.clone(),
        idempotency_key: idempotency_key(request.headers(), &scope)?,
        if_match: if_match(request.headers())?,
    })
}

/// Maps a partner use-case failure to its problem.
fn from_service(error: PartnerServiceError) -> ApiError {
    use PartnerServiceError as S;
    use ProblemKind as K;
    let kind = match &error {
        S::Command(_) => None,
        S::InvalidId => Some(K::InvalidRequest),
        S::NotAPartnerUser(_) => Some(K::ValidationFailed),
        S::NotThePartner => Some(K::Forbidden),
        S::Suspended => Some(K::PartnerSuspended),
        S::TooManyItems { .. } => Some(K::ImportTooLarge),
    };
    match (kind, error) {
        (None, S::Command(e)) => from_command(e),
        (kind, error) => ApiError::new(kind.unwrap_or(K::Internal), error.to_string()),
    }
}

/// The problem kind of each rule of the Partner aggregate.
fn kind_of(error: &PartnerError) -> ProblemKind {
    use PartnerError as E;
    use ProblemKind as K;
    match error {
        E::Unauthenticated => K::Unauthorized,
        E::NotRegistered => K::PartnerNotFound,
        E::AlreadyRegistered => K::PartnerExists,
        E::AlreadySuspended | E::NotSuspended => K::Conflict,
        E::EmptyName
        | E::NameTooLong
        | E::ControlCharacter
        | E::ReasonTooLong
        | E::ShareTooHigh { .. }
        | E::InvalidId(_) => K::ValidationFailed,
    }
}

fn from_command(error: CommandError<PartnerError>) -> ApiError {
    command::from_command(error, "partner", |e| {
        ApiError::new(kind_of(&e), e.to_string())
    })
}

/// Maps one item's failure to its problem.
fn from_item_error(error: ImportItemError) -> ApiError {
    match error {
        ImportItemError::Malformed(_) => {
            ApiError::new(ProblemKind::InvalidRequest, error.to_string())
        }
        ImportItemError::InvalidExternalId | ImportItemError::UnknownCreator(_) => {
            ApiError::new(ProblemKind::ValidationFailed, error.to_string())
        }
        ImportItemError::Content(e) => super::contents::commands::from_service(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_map_to_the_status_their_doc_names() {
        assert_eq!(kind_of(&PartnerError::NotRegistered).status(), 404);
        assert_eq!(kind_of(&PartnerError::AlreadyRegistered).status(), 409);
        assert_eq!(
            kind_of(&PartnerError::ShareTooHigh {
                share_bps: 1,
                max_bps: 0
            })
            .status(),
            422
        );
    }

    #[test]
    fn malformed_items_fail_alone() {
        let bad = parse_item(serde_json::json!({"external_id": "1", "kind": "video"}));
        assert!(matches!(bad, Err(ImportItemError::Malformed(_))));
        let good = parse_item(serde_json::json!({
            "external_id": "1", "kind": "article", "title": "T", "body": {"text": "b"},
            "language": "en", "price": {"amount_cents": 100, "currency": "CNY"},
        }));
        assert!(good.is_ok());
    }
}
