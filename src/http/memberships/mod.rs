//! `/v1/plans` and `/v1/users/{id}/memberships`: membership plans offered
//! by creators (for their own content) or by the platform (for all
//! content), subscriptions, cancellations, and who is a member of what.
//!
//! - Every mutation needs a bearer token (401 without). Creators offer
//!   plans for themselves (`creator` role), admins offer platform plans;
//!   the plan's creator or an admin changes its price or withdraws it; a
//!   learner subscribes (and pays the first period); the member or an
//!   admin cancels. Who may call is each route's policy in the route table
//!   (`super::api`); auditors read, never write.
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
//!
//! Files: [`commands`] (offer, price, withdraw, subscribe, cancel),
//! [`reads`] (plans, members, a user's memberships and coverage),
//! [`views`] (the wire types), and the problem of each rule below.

pub(crate) mod commands;
pub(crate) mod reads;
pub(crate) mod views;

use agora_actors::aggregate::CommandError;
use agora_actors::membership::{MembershipError, MembershipServiceError};

use super::command;
use super::problem::{ApiError, ProblemKind};

impl From<MembershipServiceError> for ApiError {
    fn from(error: MembershipServiceError) -> Self {
        from_service(error)
    }
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

    use actix_web::http::header;
    use actix_web::web;
    use agora_events::domain::user::Role;

    use super::views::OwnerBody;
    use super::*;
    use crate::config::Settings;
    use crate::http::AppState;

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
        let people: [(&str, &[Role]); 3] = [
            ("audrey", &[Role::Auditor]),
            ("boss", &[Role::Admin, Role::Auditor]),
            ("lin", &[Role::Learner]),
        ];
        for (id, roles) in people {
            let registration = Registration {
                id: Some(id.into()),
                display_name: id.into(),
                roles: roles.to_vec(),
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
        let app = http::init_service(crate::http::app(state.clone())).await;
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
        // Regression (issue 17): an admin who is also an auditor was let
        // write here; auditors never write, whatever else they are.
        let login = http::TestRequest::post()
            .uri("/v1/sessions")
            .set_json(serde_json::json!({"user_id": "boss", "password": "a-long-password"}))
            .to_request();
        let session: serde_json::Value = http::call_and_read_body_json(&app, login).await;
        let boss = session["token"].as_str().expect("token").to_owned();
        let offer = http::TestRequest::post()
            .uri("/v1/plans")
            .insert_header((header::AUTHORIZATION, format!("Bearer {boss}")))
            .set_json(serde_json::json!({
                "owner": {"kind": "platform"}, "title": "All", "period_days": 30,
                "price": {"amount_cents": 100, "currency": "CNY"},
            }))
            .to_request();
        assert_eq!(http::call_service(&app, offer).await.status(), 403);
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
