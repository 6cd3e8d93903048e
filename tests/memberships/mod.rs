//! Memberships over real TCP, on a server whose clock only moves when an
//! admin moves it: a creator offers a plan, a learner subscribes (once,
//! keyed repeats answer the first answer), the period passes and the
//! membership renews at the price then in force, the learner cancels, the
//! period passes again and the membership expires with its access. Every
//! role is refused what it may not do, and nothing is written then.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Run, Sandbox, Server};
use crate::users::login;

const PASSWORD: &str = "correct-horse-battery";
const ADMIN_PASSWORD: &str = "root-password-1";
const DAY_SECS: u64 = 86_400;

/// A server with a manual clock, an admin `root`, and a client.
struct World {
    _sandbox: Sandbox,
    server: Server,
    client: Client,
}

/// A response's status and JSON body (`Null` when it has none).
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    /// Asserts a success of `status`.
    #[track_caller]
    fn ok(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// Asserts a problem of `status` whose type ends with `suffix`.
    #[track_caller]
    fn problem(&self, status: StatusCode, suffix: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let type_uri = self.body["type"].as_str().unwrap_or_default();
        assert!(type_uri.ends_with(suffix), "{}", self.body);
    }

    fn position(&self) -> u64 {
        self.body["position"].as_u64().expect("position")
    }
}

impl World {
    fn new() -> Self {
        let sandbox = Sandbox::new();
        let mut args = vec![
            "admin".to_string(),
            "create".into(),
            "--id".into(),
            "root".into(),
            "--display-name".into(),
            "Root".into(),
            "--email".into(),
            "root@example.org".into(),
        ];
        args.extend(sandbox.data_dir_args());
        let mut admin = sandbox.command(&args);
        admin.env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD);
        Run::of(admin).success();
        let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
        args.extend(sandbox.data_dir_args());
        let mut serve = sandbox.command(args);
        serve.env("AGORA_MANUAL_CLOCK", "true");
        // Sessions follow the server's clock too: let them outlive the years moved here.
        serve.env("AGORA_SESSION_TTL_SECS", (20 * 365 * DAY_SECS).to_string());
        let server = Server::start(serve, &sandbox.path().join("server.log"));
        Self {
            _sandbox: sandbox,
            server,
            client: Client::new(),
        }
    }

    async fn admin(&self) -> String {
        login(&self.client, &self.server, "root", ADMIN_PASSWORD).await
    }

    /// Registers `id` with `roles` and returns its token.
    async fn user(&self, id: &str, roles: &[&str]) -> String {
        let body = json!({
            "id": id, "display_name": id, "email": format!("{id}@example.org"),
            "roles": roles, "password": PASSWORD,
        });
        self.send(Method::POST, "/v1/users", None, body)
            .await
            .ok(StatusCode::CREATED);
        login(&self.client, &self.server, id, PASSWORD).await
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send_keyed(method, path, token, body, None).await
    }

    async fn send_keyed(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
        key: Option<&str>,
    ) -> Answer {
        let mut request = self.client.request(method, self.server.at(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, body }
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), Value::Null).await
    }

    /// Moves the server's clock forward by `days` (as `root`).
    async fn advance_days(&self, admin: &str, days: u64) {
        self.send(
            Method::POST,
            "/v1/admin/clock",
            Some(admin),
            json!({"advance_secs": days * DAY_SECS}),
        )
        .await
        .ok(StatusCode::OK);
    }

    /// `user`'s memberships (read as `token`), once the view applied `position`.
    async fn memberships(&self, user: &str, token: &str, position: Option<u64>) -> Vec<Value> {
        let query = position.map_or(String::new(), |p| format!("?min_position={p}"));
        let answer = self
            .get(&format!("/v1/users/{user}/memberships{query}"), token)
            .await;
        answer.ok(StatusCode::OK);
        answer.body["memberships"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    async fn covered(&self, user: &str, creator: &str, token: &str) -> bool {
        let answer = self
            .get(
                &format!("/v1/users/{user}/memberships/coverage?creator={creator}"),
                token,
            )
            .await;
        answer.ok(StatusCode::OK);
        answer.body["covered"].as_bool().expect("covered")
    }
}

/// The amounts paid, oldest first.
fn paid(membership: &Value) -> Vec<u64> {
    membership["payments"]
        .as_array()
        .map(|payments| {
            payments
                .iter()
                .filter_map(|p| p["paid"]["amount_cents"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

fn gold_plan(id: &str) -> Value {
    json!({
        "id": id, "title": "Gold", "period_days": 30,
        "price": {"amount_cents": 1_000, "currency": "CNY"},
    })
}

#[tokio::test]
async fn a_membership_renews_at_the_new_price_then_expires_after_cancelling() {
    let world = World::new();
    let root = world.admin().await;
    let cora = world.user("cora", &["creator"]).await;
    let lin = world.user("lin", &["learner"]).await;

    let offered = world
        .send(Method::POST, "/v1/plans", Some(&cora), gold_plan("gold"))
        .await;
    offered.ok(StatusCode::CREATED);
    let plan = world
        .get(
            &format!("/v1/plans/gold?min_position={}", offered.position()),
            &lin,
        )
        .await;
    plan.ok(StatusCode::OK);
    assert_eq!(plan.body["owner"], json!({"kind": "creator", "id": "cora"}));
    assert_eq!(plan.body["price"]["amount_cents"], 1_000);

    // Subscribing pays the first period; a keyed repeat answers the first answer.
    let path = "/v1/plans/gold/subscriptions";
    let first = world
        .send_keyed(Method::POST, path, Some(&lin), Value::Null, Some("join-1"))
        .await;
    first.ok(StatusCode::CREATED);
    let payment = first.body["payment_id"].clone();
    assert!(payment.is_string(), "{}", first.body);
    let again = world
        .send_keyed(Method::POST, path, Some(&lin), Value::Null, Some("join-1"))
        .await;
    again.ok(StatusCode::CREATED);
    assert_eq!(again.body["replayed"], true);
    assert_eq!(again.body["payment_id"], payment);
    // Subscribing twice while a member is refused by name, and charges nothing.
    world
        .send(Method::POST, path, Some(&lin), Value::Null)
        .await
        .problem(StatusCode::CONFLICT, "already-member");

    let memberships = world.memberships("lin", &lin, Some(first.position())).await;
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0]["status"], "active");
    assert_eq!(memberships[0]["access"], true);
    assert_eq!(paid(&memberships[0]), vec![1_000]);
    assert!(world.covered("lin", "cora", &lin).await);
    assert!(!world.covered("lin", "someone-else", &lin).await);

    // A new price touches no past payment, only the next renewal.
    let repriced = world
        .send(
            Method::PUT,
            "/v1/plans/gold/price",
            Some(&cora),
            json!({"amount_cents": 1_500, "currency": "CNY"}),
        )
        .await;
    repriced.ok(StatusCode::OK);
    let memberships = world
        .memberships("lin", &lin, Some(repriced.position()))
        .await;
    assert_eq!(paid(&memberships[0]), vec![1_000]);

    // The period passes: the membership renews itself at the new price.
    world.advance_days(&root, 31).await;
    let memberships = world.memberships("lin", &lin, None).await;
    assert_eq!(paid(&memberships[0]), vec![1_000, 1_500]);
    assert_eq!(memberships[0]["status"], "active");
    assert!(world.covered("lin", "cora", &lin).await);
    // The creator sees the member, with the same payments.
    let members = world.get("/v1/plans/gold/members", &cora).await;
    members.ok(StatusCode::OK);
    assert_eq!(members.body["memberships"][0]["member_id"], "lin");

    // Cancelling stops renewal; access stays until the paid period ends.
    let cancelled = world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions/lin/cancel",
            Some(&lin),
            Value::Null,
        )
        .await;
    cancelled.ok(StatusCode::OK);
    let memberships = world
        .memberships("lin", &lin, Some(cancelled.position()))
        .await;
    assert_eq!(memberships[0]["status"], "cancelled");
    assert_eq!(memberships[0]["access"], true);
    assert_eq!(memberships[0]["renews"], false);
    assert!(world.covered("lin", "cora", &lin).await);

    // The period passes again: expired, no renewal, no access.
    world.advance_days(&root, 31).await;
    let memberships = world.memberships("lin", &lin, None).await;
    assert_eq!(memberships[0]["status"], "expired");
    assert_eq!(memberships[0]["access"], false);
    assert_eq!(paid(&memberships[0]), vec![1_000, 1_500]);
    assert!(!world.covered("lin", "cora", &lin).await);

    // An expired member may join again, at the current price.
    let rejoined = world
        .send(Method::POST, path, Some(&lin), Value::Null)
        .await;
    rejoined.ok(StatusCode::CREATED);
    let memberships = world
        .memberships("lin", &lin, Some(rejoined.position()))
        .await;
    assert_eq!(memberships[0]["status"], "active");
    assert_eq!(paid(&memberships[0]), vec![1_000, 1_500, 1_500]);
}

#[tokio::test]
async fn a_platform_plan_covers_every_creator_and_is_listed_apart() {
    let world = World::new();
    let root = world.admin().await;
    let cora = world.user("cora", &["creator"]).await;
    let lin = world.user("lin", &["learner"]).await;
    let platform = json!({
        "id": "all-access", "owner": {"kind": "platform"}, "title": "All access",
        "period_days": 365, "price": {"amount_cents": 9_900, "currency": "CNY"},
    });
    world
        .send(Method::POST, "/v1/plans", Some(&root), platform)
        .await
        .ok(StatusCode::CREATED);
    let offered = world
        .send(Method::POST, "/v1/plans", Some(&cora), gold_plan("gold"))
        .await;
    offered.ok(StatusCode::CREATED);
    let listed = world
        .get(
            &format!(
                "/v1/plans?platform=true&min_position={}",
                offered.position()
            ),
            &lin,
        )
        .await;
    listed.ok(StatusCode::OK);
    assert_eq!(listed.body["plans"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["plans"][0]["id"], "all-access");
    let by_cora = world.get("/v1/plans?creator=cora", &lin).await;
    assert_eq!(by_cora.body["plans"][0]["id"], "gold");
    assert_eq!(by_cora.body["plans"].as_array().map(Vec::len), Some(1));

    let joined = world
        .send(
            Method::POST,
            "/v1/plans/all-access/subscriptions",
            Some(&lin),
            Value::Null,
        )
        .await;
    joined.ok(StatusCode::CREATED);
    world
        .memberships("lin", &lin, Some(joined.position()))
        .await;
    assert!(world.covered("lin", "cora", &lin).await);
    assert!(world.covered("lin", "anyone", &lin).await);
    // The admin withdraws the plan: no renewal, access until the period ends.
    world
        .send(
            Method::POST,
            "/v1/plans/all-access/withdraw",
            Some(&root),
            Value::Null,
        )
        .await
        .ok(StatusCode::OK);
    world.advance_days(&root, 366).await;
    let memberships = world.memberships("lin", &lin, None).await;
    assert_eq!(memberships[0]["status"], "expired");
    assert!(!world.covered("lin", "cora", &lin).await);
}

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do() {
    let world = World::new();
    let cora = world.user("cora", &["creator"]).await;
    let mallory = world.user("mallory", &["creator", "learner"]).await;
    let lin = world.user("lin", &["learner"]).await;

    // A learner cannot offer a platform plan, nor a plan at all.
    let platform = json!({
        "owner": {"kind": "platform"}, "title": "All access", "period_days": 30,
        "price": {"amount_cents": 100, "currency": "CNY"},
    });
    world
        .send(Method::POST, "/v1/plans", Some(&lin), platform.clone())
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .send(Method::POST, "/v1/plans", Some(&lin), gold_plan("lins"))
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    // A creator cannot offer a platform plan, nor a plan for another creator.
    world
        .send(Method::POST, "/v1/plans", Some(&cora), platform)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    let mut for_cora = gold_plan("fake");
    for_cora["owner"] = json!({"kind": "creator", "id": "cora"});
    world
        .send(Method::POST, "/v1/plans", Some(&mallory), for_cora)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    // Without a token nothing happens.
    world
        .send(Method::POST, "/v1/plans", None, gold_plan("anon"))
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let offered = world
        .send(Method::POST, "/v1/plans", Some(&cora), gold_plan("gold"))
        .await;
    offered.ok(StatusCode::CREATED);
    // Only the creator changes the price; the creator cannot join their own plan.
    world
        .send(
            Method::PUT,
            "/v1/plans/gold/price",
            Some(&mallory),
            json!({"amount_cents": 1, "currency": "CNY"}),
        )
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions",
            Some(&cora),
            Value::Null,
        )
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");

    let joined = world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions",
            Some(&lin),
            Value::Null,
        )
        .await;
    joined.ok(StatusCode::CREATED);
    // Nobody reads another user's memberships, nor a plan's members but its creator.
    world
        .get("/v1/users/lin/memberships", &mallory)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .get("/v1/users/lin/memberships/coverage?creator=cora", &mallory)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    // Once the view has the plan: a refusal, not "no such plan".
    world
        .get(
            &format!("/v1/plans/gold/members?min_position={}", joined.position()),
            &mallory,
        )
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    // Nobody cancels another user's membership.
    world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions/lin/cancel",
            Some(&mallory),
            Value::Null,
        )
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    // Unknown plans and memberships are 404s.
    world
        .send(
            Method::POST,
            "/v1/plans/nope/subscriptions",
            Some(&lin),
            Value::Null,
        )
        .await
        .problem(StatusCode::NOT_FOUND, "plan-not-found");
    world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions/mallory/cancel",
            Some(&mallory),
            Value::Null,
        )
        .await
        .problem(StatusCode::NOT_FOUND, "membership-not-found");
    // Bad terms are named.
    let mut bad = gold_plan("bad");
    bad["period_days"] = json!(0);
    world
        .send(Method::POST, "/v1/plans", Some(&cora), bad)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");

    // The refusals wrote nothing: lin has one membership with one payment.
    let memberships = world
        .memberships("lin", &lin, Some(joined.position()))
        .await;
    assert_eq!(memberships.len(), 1);
    assert_eq!(paid(&memberships[0]), vec![1_000]);
}

#[tokio::test]
async fn fifty_concurrent_subscriptions_charge_once() {
    let world = World::new();
    let cora = world.user("cora", &["creator"]).await;
    let lin = world.user("lin", &["learner"]).await;
    world
        .send(Method::POST, "/v1/plans", Some(&cora), gold_plan("gold"))
        .await
        .ok(StatusCode::CREATED);
    let path = "/v1/plans/gold/subscriptions";
    // Half repeat one key, half carry none: one membership, one payment.
    let joins = (0..50).map(|i| {
        let key = (i % 2 == 0).then_some("join-once");
        world.send_keyed(Method::POST, path, Some(&lin), Value::Null, key)
    });
    let answers = futures::future::join_all(joins).await;
    let mut positions = Vec::new();
    let mut first_answers = 0;
    for answer in &answers {
        match answer.status {
            StatusCode::CREATED => {
                positions.push(answer.position());
                if answer.body["replayed"] == false {
                    first_answers += 1;
                }
            }
            _ => answer.problem(StatusCode::CONFLICT, "already-member"),
        }
    }
    assert_eq!(first_answers, 1);
    let memberships = world
        .memberships("lin", &lin, positions.into_iter().max())
        .await;
    assert_eq!(memberships.len(), 1);
    assert_eq!(paid(&memberships[0]), vec![1_000]);
}

/// Drafts, prices and publishes course `id` as `token`'s creator; answers
/// the last position.
async fn publish_course(world: &World, token: &str, id: &str) -> u64 {
    let draft = json!({
        "id": id, "kind": "course", "title": format!("Course {id}"), "summary": "",
        "body": {"text": "Day one: read chapter 1."}, "tags": [], "language": "en",
    });
    world
        .send(Method::POST, "/v1/contents", Some(token), draft)
        .await
        .ok(StatusCode::CREATED);
    let path = format!("/v1/contents/{id}");
    let price = json!({"amount_cents": 4_900, "currency": "CNY"});
    world
        .send(Method::PUT, &format!("{path}/price"), Some(token), price)
        .await
        .ok(StatusCode::OK);
    let published = world
        .send(
            Method::POST,
            &format!("{path}/publish"),
            Some(token),
            Value::Null,
        )
        .await;
    published.ok(StatusCode::OK);
    published.position()
}

#[tokio::test]
async fn members_rate_review_and_check_in_on_covered_content_while_active() {
    let world = World::new();
    let root = world.admin().await;
    let cora = world.user("cora", &["creator"]).await;
    let dan = world.user("dan", &["creator"]).await;
    let lin = world.user("lin", &["learner"]).await;
    let bo = world.user("bo", &["learner"]).await;
    world
        .send(Method::POST, "/v1/plans", Some(&cora), gold_plan("gold"))
        .await
        .ok(StatusCode::CREATED);
    publish_course(&world, &cora, "k1").await;
    let other = publish_course(&world, &dan, "d1").await;
    let joined = world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions",
            Some(&lin),
            Value::Null,
        )
        .await;
    joined.ok(StatusCode::CREATED);
    let _ = world
        .memberships("lin", &lin, Some(joined.position().max(other)))
        .await;

    // A member of cora's plan rates, reviews and checks in on cora's course
    // without buying it.
    let rate = |stars: u8| json!({ "stars": stars });
    world
        .send(Method::PUT, "/v1/contents/k1/rating", Some(&lin), rate(5))
        .await
        .ok(StatusCode::OK);
    world
        .send(
            Method::PUT,
            "/v1/contents/k1/review",
            Some(&lin),
            json!({"text": "Worth the membership."}),
        )
        .await
        .ok(StatusCode::OK);
    world
        .send(
            Method::POST,
            "/v1/contents/k1/check-ins",
            Some(&lin),
            json!({"note": "chapter 1"}),
        )
        .await
        .ok(StatusCode::CREATED);

    // Not on dan's course, and not for a learner who is no member.
    world
        .send(Method::PUT, "/v1/contents/d1/rating", Some(&lin), rate(4))
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    world
        .send(Method::PUT, "/v1/contents/k1/rating", Some(&bo), rate(1))
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");

    // Once the membership has expired, the entitlement is gone.
    let cancelled = world
        .send(
            Method::POST,
            "/v1/plans/gold/subscriptions/lin/cancel",
            Some(&lin),
            Value::Null,
        )
        .await;
    cancelled.ok(StatusCode::OK);
    let _ = world
        .memberships("lin", &lin, Some(cancelled.position()))
        .await;
    world.advance_days(&root, 31).await;
    assert!(!world.covered("lin", "cora", &lin).await);
    world
        .send(Method::PUT, "/v1/contents/k1/rating", Some(&lin), rate(2))
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
}
