//! `/v1/plans` and `/v1/users/{id}/memberships`: membership plans offered
//! by creators (for their own content) or by the platform (for all
//! content), subscriptions, cancellations, and who is a member of what.
//!
//! - Every mutation needs a bearer token (401 without). Creators offer
//!   plans for themselves (`creator` role), admins offer platform plans;
//!   the plan's creator or an admin changes its price or withdraws it; a
//!   learner subscribes (and pays the first period); the member or an
//!   admin cancels. Auditors read, never write.
//! - Commands answer `{id, version, position, replayed}` (plus the
//!   `payment_id` of a subscription) and the plan's `ETag`; `If-Match`
//!   makes a command conditional (412 when stale); `Idempotency-Key` makes
//!   a repeat answer the first answer (keys are scoped to the route and the
//!   caller). Subscribing while a member is a 409 `already-member`.
//! - Reads come from the memberships projection (`?min_position=P` waits
//!   until it applied `P`). Plans are public; a plan's members are shown to
//!   its creator, admins and auditors; a user's memberships to the user,
//!   admins and auditors.
//! - Renewals and expiries happen on their own (the sweeper, and every move
//!   of a manual clock): see [`agora_actors::membership`].

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::aggregate::{CommandError, Executed};
use agora_actors::membership::{
    Caller, MembershipError, MembershipServiceError, MembershipStatus, NewPlan, Plan,
};
use agora_actors::projection::memberships::{
    MAX_PLAN_PAGE, MembershipCard, OwnerFilter, PaymentRecord, PlanCard, PlanQuery,
};
use agora_events::Timestamp;
use agora_events::domain::content::Money;
use agora_events::domain::membership::PlanOwner;
use agora_events::domain::user::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Authenticated;
use super::command::{self, etag, idempotency_key, if_match};
use super::problem::{ApiError, ProblemKind};
use super::reads::caught_up;
use crate::timefmt::rfc3339;

/// Page size of a plan listing without `limit`.
const DEFAULT_PAGE: usize = 50;

/// The routes of this module.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let resource =
        |path: &str| web::resource(path).default_service(web::to(super::method_not_allowed));
    cfg.service(
        resource("/v1/plans")
            .route(web::post().to(offer))
            .route(web::get().to(list)),
    )
    .service(resource("/v1/plans/{id}").route(web::get().to(read)))
    .service(resource("/v1/plans/{id}/price").route(web::put().to(change_price)))
    .service(resource("/v1/plans/{id}/withdraw").route(web::post().to(withdraw)))
    .service(resource("/v1/plans/{id}/members").route(web::get().to(members)))
    .service(resource("/v1/plans/{id}/subscriptions").route(web::post().to(subscribe)))
    .service(resource("/v1/plans/{id}/subscriptions/{user}/cancel").route(web::post().to(cancel)))
    .service(resource("/v1/users/{id}/memberships").route(web::get().to(memberships_of)))
    .service(resource("/v1/users/{id}/memberships/coverage").route(web::get().to(coverage)));
}

/// An amount of money, on the wire.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoneyBody {
    /// Amount in the currency's minor unit (cents); 0 = free.
    amount_cents: u64,
    /// ISO 4217 code, three uppercase letters (`CNY`).
    currency: String,
}

impl From<MoneyBody> for Money {
    fn from(body: MoneyBody) -> Self {
        Self {
            amount_cents: body.amount_cents,
            currency: body.currency,
        }
    }
}

impl From<Money> for MoneyBody {
    fn from(money: Money) -> Self {
        Self {
            amount_cents: money.amount_cents,
            currency: money.currency,
        }
    }
}

/// A plan's owner on the wire: `{"kind": "platform"}` or `{"kind":
/// "creator", "id": CREATOR}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub(crate) enum OwnerBody {
    /// The platform: covers all content.
    Platform,
    /// A creator: covers that creator's content.
    Creator(String),
}

impl From<OwnerBody> for PlanOwner {
    fn from(body: OwnerBody) -> Self {
        match body {
            OwnerBody::Platform => Self::Platform,
            OwnerBody::Creator(id) => Self::Creator(id),
        }
    }
}

impl From<PlanOwner> for OwnerBody {
    fn from(owner: PlanOwner) -> Self {
        match owner {
            PlanOwner::Platform => Self::Platform,
            PlanOwner::Creator(id) => Self::Creator(id),
        }
    }
}

/// Body of `POST /v1/plans`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferBody {
    /// A client-chosen plan id; generated when absent.
    id: Option<String>,
    /// `{"kind": "platform"}` (admins) or `{"kind": "creator", "id":
    /// CREATOR}` (that creator); absent: the caller, as a creator.
    owner: Option<OwnerBody>,
    /// The plan's name.
    title: String,
    /// One period, in days (1 to 3660).
    period_days: u32,
    /// What one period costs.
    price: MoneyBody,
}

/// Query of `GET /v1/plans`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Only platform plans (`true`) or only creator plans (`false`).
    platform: Option<bool>,
    /// Only the plans of this creator.
    creator: Option<String>,
    /// List withdrawn plans too.
    #[serde(default)]
    include_withdrawn: bool,
    /// Page size, 1 to 100 (default 50).
    limit: Option<usize>,
    /// The previous page's `next_after`.
    after: Option<String>,
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// Query of the single reads.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadQuery {
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// Query of `GET /v1/users/{id}/memberships/coverage`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoverageQuery {
    /// The creator whose content is asked about.
    creator: String,
    /// Wait until the read model applied this position.
    min_position: Option<u64>,
}

/// A plan on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PlanView {
    id: String,
    owner: OwnerBody,
    title: String,
    period_days: u32,
    /// What the next payment (new member or renewal) pays.
    price: MoneyBody,
    offered_by: String,
    offered_at: String,
    withdrawn: bool,
    withdrawn_at: Option<String>,
    /// Memberships that are not expired.
    current_members: u64,
    version: u64,
}

impl From<PlanCard> for PlanView {
    fn from(card: PlanCard) -> Self {
        Self {
            id: card.id,
            owner: card.owner.into(),
            title: card.title,
            period_days: card.period_days,
            price: card.price.into(),
            offered_by: card.offered_by,
            offered_at: rfc3339(card.offered_at),
            withdrawn: card.withdrawn_at.is_some(),
            withdrawn_at: card.withdrawn_at.map(rfc3339),
            current_members: card.current_members,
            version: card.version,
        }
    }
}

/// A page of plans on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PlanPage {
    plans: Vec<PlanView>,
    /// Pass as `after` for the next page; absent on the last page.
    next_after: Option<String>,
}

/// One payment on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PaymentView {
    payment_id: String,
    paid: MoneyBody,
    period_start: String,
    period_end: String,
}

impl From<PaymentRecord> for PaymentView {
    fn from(payment: PaymentRecord) -> Self {
        Self {
            payment_id: payment.payment_id,
            paid: payment.paid.into(),
            period_start: rfc3339(payment.period_start),
            period_end: rfc3339(payment.period_end),
        }
    }
}

/// A membership on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct MembershipView {
    plan_id: String,
    member_id: String,
    /// What it covers: a creator's content, or all content.
    owner: OwnerBody,
    /// `active` (renewing), `cancelled` (until the period ends) or `expired`.
    status: &'static str,
    /// Whether it gives access now.
    access: bool,
    /// Whether it will renew at the end of the period.
    renews: bool,
    started_at: String,
    period_start: String,
    period_end: String,
    cancelled_at: Option<String>,
    expired_at: Option<String>,
    /// Every payment, oldest first.
    payments: Vec<PaymentView>,
}

/// The memberships of a user or a plan on the wire.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct MembershipList {
    memberships: Vec<MembershipView>,
}

/// The answer of `GET /v1/users/{id}/memberships/coverage`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CoverageView {
    user_id: String,
    creator_id: String,
    /// Whether a membership of the user covers that creator's content now.
    covered: bool,
}

/// Turns membership cards into their wire shape at `now`.
fn membership_views(
    state: &AppState,
    cards: Vec<MembershipCard>,
    now: Timestamp,
) -> MembershipList {
    let memberships = state.memberships.view().read(|view| {
        cards
            .into_iter()
            .map(|card| {
                let access = view.gives_access(&card, now);
                let withdrawn = view
                    .plan(&card.plan_id)
                    .is_none_or(|p| p.withdrawn_at.is_some());
                MembershipView {
                    access,
                    renews: card.status == MembershipStatus::Active && !withdrawn,
                    status: match card.status {
                        MembershipStatus::Active => "active",
                        MembershipStatus::Cancelled => "cancelled",
                        MembershipStatus::Expired => "expired",
                    },
                    plan_id: card.plan_id,
                    member_id: card.member_id,
                    owner: card.owner.into(),
                    started_at: rfc3339(card.started_at),
                    period_start: rfc3339(card.period_start),
                    period_end: rfc3339(card.period_end),
                    cancelled_at: card.cancelled_at.map(rfc3339),
                    expired_at: card.expired_at.map(rfc3339),
                    payments: card.payments.into_iter().map(PaymentView::from).collect(),
                }
            })
            .collect()
    });
    MembershipList { memberships }
}

/// Refuses auditors every write: they read, never write.
fn writer(auth: &Authenticated) -> Result<(), ApiError> {
    if auth.0.has(Role::Auditor) && !auth.0.has(Role::Admin) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "auditors read, never write",
        ));
    }
    Ok(())
}

/// Whether the caller may read `user_id`'s memberships: the user, admins
/// and auditors.
fn may_read_user(auth: &Authenticated, user_id: &str) -> Result<(), ApiError> {
    let p = &auth.0;
    if p.user_id == user_id || p.has(Role::Admin) || p.has(Role::Auditor) {
        Ok(())
    } else {
        Err(ApiError::new(
            ProblemKind::Forbidden,
            format!("only {user_id}, admins and auditors read these memberships"),
        ))
    }
}

/// `POST /v1/plans`: a creator for themselves, an admin for the platform.
async fn offer(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    body: web::Json<OfferBody>,
) -> Result<HttpResponse, ApiError> {
    writer(&auth)?;
    let body = body.into_inner();
    let owner = body.owner.map_or_else(
        || PlanOwner::Creator(auth.0.user_id.clone()),
        PlanOwner::from,
    );
    match &owner {
        PlanOwner::Platform if !auth.0.has(Role::Admin) => {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                MembershipError::PlatformPlanNeedsAdmin.to_string(),
            ));
        }
        PlanOwner::Creator(_) if !auth.0.has(Role::Creator) => {
            return Err(ApiError::new(
                ProblemKind::Forbidden,
                "offering a creator plan needs the creator role",
            ));
        }
        _ => {}
    }
    let new = NewPlan {
        id: body.id,
        owner,
        title: body.title,
        period_days: body.period_days,
        price: body.price.into(),
    };
    let caller = caller(&auth, &request)?;
    let (id, executed) = state
        .memberships
        .offer(new, &caller)
        .await
        .map_err(from_service)?;
    let location = format!("/v1/plans/{id}");
    Ok(command::command_response(
        StatusCode::CREATED,
        id,
        &executed,
        Some(location),
        None,
    ))
}

/// `GET /v1/plans`: plans in id order, filtered by owner, paginated.
async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    wait_for(&state, query.min_position).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PLAN_PAGE).contains(&limit) {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!("limit must be 1 to {MAX_PLAN_PAGE}"),
        ));
    }
    let owner = match (query.platform, query.creator) {
        (Some(true), Some(_)) => {
            return Err(ApiError::new(
                ProblemKind::ValidationFailed,
                "platform=true and creator exclude each other",
            ));
        }
        (Some(true), None) => OwnerFilter::Platform,
        (_, Some(creator)) => OwnerFilter::Creator(creator),
        (Some(false), None) => OwnerFilter::AnyCreator,
        (None, None) => OwnerFilter::Any,
    };
    let plan_query = PlanQuery {
        owner,
        include_withdrawn: query.include_withdrawn,
        limit,
        after: query.after,
    };
    let page = state.memberships.view().read(|view| view.list(&plan_query));
    Ok(HttpResponse::Ok().json(PlanPage {
        plans: page.plans.into_iter().map(PlanView::from).collect(),
        next_after: page.next_after,
    }))
}

/// `GET /v1/plans/{id}`.
async fn read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let card = plan_card(&state, &id)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(card.version)))
        .json(PlanView::from(card)))
}

/// `PUT /v1/plans/{id}/price`: the plan's creator or an admin.
async fn change_price(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
    body: web::Json<MoneyBody>,
) -> Result<HttpResponse, ApiError> {
    writer(&auth)?;
    let caller = caller(&auth, &request)?;
    let executed = state
        .memberships
        .change_price(&id, body.into_inner().into(), &caller)
        .await
        .map_err(from_service)?;
    Ok(reply(id.into_inner(), &executed))
}

/// `POST /v1/plans/{id}/withdraw`: the plan's creator or an admin.
async fn withdraw(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    writer(&auth)?;
    let caller = caller(&auth, &request)?;
    let executed = state
        .memberships
        .withdraw(&id, &caller)
        .await
        .map_err(from_service)?;
    Ok(reply(id.into_inner(), &executed))
}

/// `POST /v1/plans/{id}/subscriptions`: a learner subscribes and pays the
/// first period.
async fn subscribe(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    writer(&auth)?;
    if !auth.0.has(Role::Learner) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "subscribing needs the learner role",
        ));
    }
    let caller = caller(&auth, &request)?;
    let (payment_id, executed) = state
        .memberships
        .subscribe(&id, &caller)
        .await
        .map_err(from_service)?;
    Ok(command::command_response(
        StatusCode::CREATED,
        id.into_inner(),
        &executed,
        None,
        payment_id.map(|p| ("payment_id", p)),
    ))
}

/// `POST /v1/plans/{id}/subscriptions/{user}/cancel`: the member or an
/// admin stops auto-renewal.
async fn cancel(
    state: web::Data<AppState>,
    auth: Authenticated,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    writer(&auth)?;
    let (id, member) = path.into_inner();
    let caller = caller(&auth, &request)?;
    let executed = state
        .memberships
        .cancel(&id, &member, &caller)
        .await
        .map_err(from_service)?;
    Ok(reply(id, &executed))
}

/// `GET /v1/plans/{id}/members`: the plan's creator, admins and auditors.
async fn members(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    wait_for(&state, query.min_position).await?;
    let card = plan_card(&state, &id)?;
    let p = &auth.0;
    let is_owner = card.owner == PlanOwner::Creator(p.user_id.clone());
    if !(is_owner || p.has(Role::Admin) || p.has(Role::Auditor)) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "only the plan's creator, admins and auditors see its members",
        ));
    }
    let cards = state.memberships.view().read(|view| view.members(&id));
    let now = state.memberships.clock().now();
    Ok(HttpResponse::Ok().json(membership_views(&state, cards, now)))
}

/// `GET /v1/users/{id}/memberships`: the user, admins and auditors.
async fn memberships_of(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    may_read_user(&auth, &id)?;
    wait_for(&state, query.min_position).await?;
    let cards = state
        .memberships
        .view()
        .read(|view| view.memberships_of(&id));
    let now = state.memberships.clock().now();
    Ok(HttpResponse::Ok().json(membership_views(&state, cards, now)))
}

/// `GET /v1/users/{id}/memberships/coverage?creator=C`: whether the user's
/// memberships cover `C`'s content now (the user, admins and auditors).
async fn coverage(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    may_read_user(&auth, &id)?;
    let query = query.into_inner();
    wait_for(&state, query.min_position).await?;
    let covered = state.memberships.covers(&id, &query.creator);
    Ok(HttpResponse::Ok().json(CoverageView {
        user_id: id.into_inner(),
        creator_id: query.creator,
        covered,
    }))
}

/// The card of plan `id`, or 404.
fn plan_card(state: &AppState, id: &str) -> Result<PlanCard, ApiError> {
    state
        .memberships
        .view()
        .read(|view| view.plan(id).cloned())
        .ok_or_else(|| ApiError::new(ProblemKind::PlanNotFound, format!("no plan {id:?}")))
}

/// Waits (bounded) until the memberships view applied `position`, if given.
async fn wait_for(state: &AppState, position: Option<u64>) -> Result<(), ApiError> {
    caught_up(
        state,
        state.memberships.view(),
        position,
        "the memberships view",
    )
    .await
}

/// The service caller of an authenticated request: the user, whether they
/// are an admin, its `Idempotency-Key` scoped to the method, path and
/// caller, and `If-Match`.
fn caller(auth: &Authenticated, request: &HttpRequest) -> Result<Caller, ApiError> {
    let user = &auth.0.user_id;
    let scope = format!("{} {} by {user}", request.method(), request.path());
    Ok(Caller {
        user_id: user.clone(),
        is_admin: auth.0.has(Role::Admin),
        idempotency_key: idempotency_key(request.headers(), &scope)?,
        if_match: if_match(request.headers())?,
    })
}

/// The 200 answer to a command on plan `id`.
fn reply(id: String, executed: &Executed<Plan>) -> HttpResponse {
    command::command_response(StatusCode::OK, id, executed, None, None)
}

/// Maps a use-case failure to its problem.
fn from_service(error: MembershipServiceError) -> ApiError {
    match error {
        MembershipServiceError::InvalidId(_) => {
            ApiError::new(ProblemKind::InvalidRequest, error.to_string())
        }
        MembershipServiceError::Command(e) => from_command(e),
    }
}

/// The problem kind of each rule of the Plan aggregate, by the HTTP status
/// its doc names.
fn kind_of(error: &MembershipError) -> ProblemKind {
    use MembershipError as E;
    use ProblemKind as K;
    match error {
        E::Unauthenticated => K::Unauthorized,
        E::PlanNotFound => K::PlanNotFound,
        E::NotMember(_) => K::MembershipNotFound,
        E::PlatformPlanNeedsAdmin
        | E::OfferForAnotherCreator
        | E::NotPlanOwner
        | E::NotMemberOrAdmin => K::Forbidden,
        E::PlanExists => K::PlanExists,
        E::AlreadyMember => K::AlreadyMember,
        E::PlanWithdrawn | E::OwnPlan | E::AlreadyCancelled => K::PlanConflict,
        E::EmptyTitle | E::TitleTooLong | E::ControlCharacter | E::PeriodOutOfRange(_) => {
            K::ValidationFailed
        }
        E::PriceOutOfRange(_) => K::PriceOutOfRange,
        E::InvalidFee(_) => K::Internal,
    }
}

fn from_command(error: CommandError<MembershipError>) -> ApiError {
    command::from_command(error, "plan", |e| {
        if let MembershipError::InvalidFee(_) = &e {
            tracing::error!(error = %e, "the platform fee setting cannot split a payment");
        }
        ApiError::new(kind_of(&e), e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use actix_web::test as http;
    use agora_actors::user::Registration;
    use agora_events::domain::revenue::SplitError;
    use agora_events::domain::user::PersonalDetails;
    use agora_events::{EventMetadata, LogConfig, LogStore};

    use super::*;
    use crate::config::Settings;

    /// Auditors are granted, never registered over HTTP, so this story
    /// runs in-process: it registers them through the user service.
    #[actix_web::test]
    async fn auditors_read_memberships_but_never_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = LogStore::open(dir.path(), LogConfig::default()).expect("open store");
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            manual_clock: true,
            ..Settings::default()
        };
        let state = web::Data::new(AppState::start(&settings, store).expect("domain starts"));
        for (id, role) in [("audrey", Role::Auditor), ("lin", Role::Learner)] {
            let registration = Registration {
                id: Some(id.into()),
                display_name: id.into(),
                roles: vec![role],
                personal: PersonalDetails {
                    email: format!("{id}@example.org"),
                    real_name: None,
                    phone: None,
                },
                password: Some("a-long-password".into()),
            };
            let registered = state
                .users
                .register(registration, None, EventMetadata::default())
                .await;
            assert!(registered.is_ok(), "{registered:?}");
        }
        let app = http::init_service(super::super::app(state.clone())).await;
        let login = http::TestRequest::post()
            .uri("/v1/sessions")
            .set_json(serde_json::json!({"user_id": "audrey", "password": "a-long-password"}))
            .to_request();
        let session: serde_json::Value = http::call_and_read_body_json(&app, login).await;
        let token = session["token"].as_str().expect("token").to_owned();
        let bearer = (header::AUTHORIZATION, format!("Bearer {token}"));

        let offer = http::TestRequest::post()
            .uri("/v1/plans")
            .insert_header(bearer.clone())
            .set_json(serde_json::json!({
                "owner": {"kind": "platform"}, "title": "All", "period_days": 30,
                "price": {"amount_cents": 100, "currency": "CNY"},
            }))
            .to_request();
        assert_eq!(http::call_service(&app, offer).await.status(), 403);
        for path in [
            "/v1/plans/any/subscriptions",
            "/v1/plans/any/subscriptions/lin/cancel",
            "/v1/plans/any/withdraw",
        ] {
            let write = http::TestRequest::post()
                .uri(path)
                .insert_header(bearer.clone())
                .to_request();
            assert_eq!(
                http::call_service(&app, write).await.status(),
                403,
                "{path}"
            );
        }
        let read = http::TestRequest::get()
            .uri("/v1/users/lin/memberships")
            .insert_header(bearer)
            .to_request();
        assert_eq!(http::call_service(&app, read).await.status(), 200);
    }

    #[test]
    fn rules_map_to_the_status_their_doc_names() {
        assert_eq!(kind_of(&MembershipError::PlanNotFound).status(), 404);
        assert_eq!(
            kind_of(&MembershipError::NotMember("u".into())).status(),
            404
        );
        assert_eq!(kind_of(&MembershipError::NotPlanOwner).status(), 403);
        assert_eq!(
            kind_of(&MembershipError::AlreadyMember),
            ProblemKind::AlreadyMember
        );
        assert_eq!(kind_of(&MembershipError::AlreadyCancelled).status(), 409);
        assert_eq!(kind_of(&MembershipError::PeriodOutOfRange(0)).status(), 422);
        let fee = SplitError::RatesAboveWhole {
            platform_bps: 1,
            partner_bps: 1,
        };
        assert_eq!(kind_of(&MembershipError::InvalidFee(fee)).status(), 500);
    }

    #[test]
    fn owners_are_tagged_on_the_wire() {
        let json = serde_json::to_value(OwnerBody::Creator("c1".into())).ok();
        assert_eq!(
            json,
            Some(serde_json::json!({"kind": "creator", "id": "c1"}))
        );
        let platform: Result<OwnerBody, _> =
            serde_json::from_value(serde_json::json!({"kind": "platform"}));
        assert_eq!(platform.ok(), Some(OwnerBody::Platform));
    }
}
