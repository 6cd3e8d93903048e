//! Contracts over real HTTP: a server on loopback over the real domain
//! (event log in a temporary directory, manual clock), driven with
//! `reqwest`. Contracts are opened through the contract service, as the
//! award route does once the requirement records an award; everything
//! after that goes over HTTP: fund → submit → accept → review, changes
//! requested, automatic acceptance by the clock (also across a restart on
//! the same data directory), a dispute resolved with a split and the
//! escrow balanced in the ledger, permission denials and hostile inputs.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{HttpServer, web};
use agora_actors::contract::OpenContract;
use agora_actors::membership::Caller;
use agora_actors::user::Registration;
use agora_events::domain::contract::MilestoneTerms;
use agora_events::domain::money::Money;
use agora_events::domain::user::{PersonalDetails, Role};
use agora_events::{EventMetadata, LogConfig, LogStore};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::config::Settings;
use crate::http::AppState;

const PASSWORD: &str = "a-long-password";
const CLIENT: &str = "acme";
const VENDOR: &str = "devteam";
const OUTSIDER: &str = "olga";
const ADMIN: &str = "root";
const AUDITOR: &str = "audrey";
const DAY_SECS: u64 = 86_400;
/// A guard against a hanging test, never a timing assertion.
const GUARD: Duration = Duration::from_secs(120);

/// A server on loopback over the domain in one data directory.
struct World {
    state: web::Data<AppState>,
    url: String,
    client: reqwest::Client,
    server: ServerHandle,
}

impl World {
    /// Opens the store in `dir` and serves it on `127.0.0.1:0`, with a
    /// manual clock and no models.
    async fn start(dir: &Path) -> Self {
        let store = LogStore::open(dir, LogConfig::default()).expect("open store");
        let mut settings = Settings {
            data_dir: dir.to_path_buf(),
            manual_clock: true,
            ..Settings::default()
        };
        settings.models.enabled = false;
        let state = web::Data::new(AppState::start(&settings, store).expect("domain starts"));
        // As `agora serve` does before it serves.
        state
            .domain
            .open_awarded_contracts(&state.store, GUARD)
            .await;
        let served = state.clone();
        let server = HttpServer::new(move || crate::http::app(served.clone()))
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .expect("bind loopback");
        let addr = server.addrs().first().copied().expect("an address");
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            state,
            url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            server: handle,
        }
    }

    /// Registers the users of the world (admins and auditors are granted,
    /// never self-registered, so all go through the user service).
    async fn register_people(&self) {
        let people: [(&str, &[Role]); 5] = [
            (CLIENT, &[Role::Client]),
            (VENDOR, &[Role::Vendor]),
            (OUTSIDER, &[Role::Client, Role::Vendor]),
            (ADMIN, &[Role::Admin]),
            (AUDITOR, &[Role::Auditor]),
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
                password: Some(PASSWORD.into()),
            };
            let registered = self
                .state
                .users
                .register(registration, None, EventMetadata::default())
                .await;
            assert!(registered.is_ok(), "{registered:?}");
        }
    }

    /// A bearer token of `user`.
    async fn login(&self, user: &str) -> String {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                "/v1/sessions",
                None,
                Some(json!({"user_id": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// Opens contract `id` (client acme, vendor devteam) with milestones of
    /// these amounts in CNY, as the award route does.
    async fn open(&self, id: &str, amounts: &[u64]) {
        let milestones: Vec<MilestoneTerms> = amounts
            .iter()
            .enumerate()
            .map(|(i, a)| MilestoneTerms::from((format!("Milestone {i}"), *a, 10 * (i as u32 + 1))))
            .collect();
        let open = OpenContract {
            contract_id: id.into(),
            requirement_id: id.into(),
            client_id: CLIENT.into(),
            vendor_id: VENDOR.into(),
            price: Money {
                amount_cents: amounts.iter().sum(),
                currency: "CNY".into(),
            },
            milestones,
        };
        let opened = self
            .state
            .contracts
            .open(open.clone(), &Caller::user(CLIENT))
            .await;
        assert!(opened.is_ok(), "{opened:?}");
        // The award route and a reconcile may both open it: nothing new.
        let again = self.state.contracts.open(open, &Caller::user(CLIENT)).await;
        assert!(again.is_ok_and(|e| e.events.is_empty()));
    }

    /// Sends a request; answers the status and the JSON body (`null` when
    /// there is none).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST` with a token and an optional body.
    async fn post(&self, path: &str, token: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(token), body)
            .await
    }

    /// `GET` with a token.
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    /// Contract `id` as its client reads it once the view applied `position`.
    async fn contract(&self, id: &str, token: &str, position: &Value) -> Value {
        let path = match position.as_u64() {
            Some(p) => format!("/v1/contracts/{id}?min_position={p}"),
            None => format!("/v1/contracts/{id}"),
        };
        let (status, body) = self.get(&path, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The log's head position: a read with `min_position` of it sees
    /// everything written so far.
    async fn head(&self) -> Value {
        use agora_events::EventStore as _;
        json!(self.state.store.head_position().await.ok().flatten())
    }

    /// Waits until the ledger applied everything written so far.
    async fn ledger_caught_up(&self) {
        if let Some(head) = self.head().await.as_u64() {
            assert!(self.state.projections.ledger.wait_for(head, GUARD).await);
        }
    }

    /// The events the store has appended so far.
    fn events(&self) -> u64 {
        self.state.store.stats().events_appended
    }

    /// Moves the manual clock forward by `days` (an admin's request).
    async fn advance_days(&self, admin: &str, days: u64) {
        let (status, body) = self
            .post(
                "/v1/admin/clock",
                admin,
                Some(json!({"advance_secs": days * DAY_SECS})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn stop(self) {
        self.server.stop(true).await;
    }
}

/// Runs `scenario` in an actix system of its own over the data directory
/// `dir`, stops the system, and returns once the store in `dir` is closed
/// (its directory lock released), so the next phase can open it again.
fn phase<T>(dir: &Path, scenario: impl AsyncFnOnce(&World) -> T) -> T {
    let dir = dir.to_path_buf();
    let runner = actix_web::rt::System::new();
    let out = runner.block_on(async {
        let world = World::start(&dir).await;
        let out = scenario(&world).await;
        world.stop().await;
        out
    });
    actix_web::rt::System::current().stop();
    runner.run().expect("the system stops");
    wait_until_closed(&dir);
    out
}

/// Blocks until no one holds the store's directory lock (`DIR/LOCK`): the
/// last handle on the store was dropped. The lock is the signal; the
/// guard only keeps a broken test from hanging.
fn wait_until_closed(dir: &Path) {
    let lock = std::fs::File::open(dir.join("LOCK")).expect("the lock file");
    let (done, waited) = mpsc::channel();
    std::thread::spawn(move || {
        let locked = lock.lock().is_ok();
        // Released before the answer, so the next phase finds it free.
        drop(lock);
        let _ = done.send(locked);
    });
    assert_eq!(
        waited.recv_timeout(GUARD).ok(),
        Some(true),
        "the store was never closed"
    );
}

fn milestone(contract: &Value, index: usize) -> &Value {
    &contract["milestones"][index]
}

#[test]
fn fund_submit_accept_and_review_with_changes_requested() {
    let dir = tempfile::tempdir().expect("temp dir");
    phase(dir.path(), async |w: &World| {
        w.register_people().await;
        let client = w.login(CLIENT).await;
        let vendor = w.login(VENDOR).await;
        let admin = w.login(ADMIN).await;
        w.open("req-1", &[3_000, 7_000]).await;

        let (status, _) = w
            .post("/v1/contracts/req-1/milestones/0/fund", &client, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = w
            .post(
                "/v1/contracts/req-1/milestones/0/submit",
                &vendor,
                Some(json!({"note": "Designs in Figma"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let accept = w
            .client
            .post(format!("{}/v1/contracts/req-1/milestones/0/accept", w.url))
            .bearer_auth(&client)
            .header("Idempotency-Key", "accept-0")
            .send()
            .await
            .expect("answer");
        assert_eq!(accept.status(), StatusCode::OK);
        let first: Value = accept.json().await.expect("JSON");
        // The same key again answers the first answer and writes nothing.
        let before = w.events();
        let again: Value = w
            .client
            .post(format!("{}/v1/contracts/req-1/milestones/0/accept", w.url))
            .bearer_auth(&client)
            .header("Idempotency-Key", "accept-0")
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("JSON");
        assert_eq!(again["replayed"], true);
        assert_eq!(again["position"], first["position"]);
        assert_eq!(w.events(), before);

        let contract = w.contract("req-1", &client, &first["position"]).await;
        let m0 = milestone(&contract, 0);
        assert_eq!(m0["stage"], "accepted");
        assert_eq!(m0["funded_cents"], 3_000);
        assert_eq!(m0["released_cents"], 3_000);
        assert_eq!(m0["held_cents"], 0);
        assert_eq!(m0["fee_cents"], 300);
        assert_eq!(contract["status"], "open");

        // The second milestone goes back once for changes.
        w.post("/v1/contracts/req-1/milestones/1/fund", &client, None)
            .await;
        w.post("/v1/contracts/req-1/milestones/1/submit", &vendor, None)
            .await;
        let (status, body) = w
            .post(
                "/v1/contracts/req-1/milestones/1/request-changes",
                &client,
                Some(json!({"reason": "The export misses totals"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let contract = w.contract("req-1", &client, &body["position"]).await;
        assert_eq!(milestone(&contract, 1)["stage"], "in_progress");
        assert_eq!(milestone(&contract, 1)["held_cents"], 7_000);
        assert_eq!(milestone(&contract, 1)["changes_requested"], 1);
        // Accepting what is not submitted is a conflict.
        let (status, body) = w
            .post("/v1/contracts/req-1/milestones/1/accept", &client, None)
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["type"], "urn:agora:problem:milestone-conflict");
        w.post("/v1/contracts/req-1/milestones/1/submit", &vendor, None)
            .await;
        // Reviews wait for completion.
        let review = json!({"quality": 5, "communication": 4, "timeliness": 5, "text": "Solid"});
        let (status, body) = w
            .post("/v1/contracts/req-1/reviews", &client, Some(review.clone()))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["type"], "urn:agora:problem:contract-conflict");
        let (status, body) = w
            .post("/v1/contracts/req-1/milestones/1/accept", &client, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let contract = w.contract("req-1", &client, &body["position"]).await;
        assert_eq!(contract["status"], "completed");
        assert_eq!(contract["escrow"]["funded_cents"], 10_000);
        assert_eq!(contract["escrow"]["released_cents"], 10_000);
        assert_eq!(contract["escrow"]["held_cents"], 0);

        // Mutual reviews, once each.
        let (status, _) = w
            .post("/v1/contracts/req-1/reviews", &client, Some(review.clone()))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = w
            .post("/v1/contracts/req-1/reviews", &client, Some(review))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["type"], "urn:agora:problem:contract-conflict");
        let (status, body) = w
            .post(
                "/v1/contracts/req-1/reviews",
                &vendor,
                Some(json!({"quality": 4, "communication": 4, "timeliness": 4})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        // The vendor's reputation: one review of (5 + 4 + 5) / 3 under the
        // prior 4.0 weighted as 10 reviews; no open contract left.
        let path = format!(
            "/v1/vendors/{VENDOR}/reputation?min_position={}",
            body["position"]
        );
        let (status, rep) = w.send(reqwest::Method::GET, &path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{rep}");
        assert_eq!(rep["reviews"], 1);
        let expected = (10.0 * 4.0 + 14.0 / 3.0) / 11.0;
        assert!(
            (rep["score"].as_f64().unwrap_or(0.0) - expected).abs() < 1e-9,
            "{rep}"
        );
        assert_eq!(rep["open_contracts"], 0);
        assert_eq!(rep["completed_contracts"], 1);

        // The vendor was paid 90 %, the platform 10 %.
        let (status, statement) = w
            .get(
                &format!(
                    "/v1/vendors/{VENDOR}/statement?min_position={}",
                    w.head().await
                ),
                &vendor,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{statement}");
        assert_eq!(statement["closing"]["CNY"], 9_000);
        assert_eq!(statement["entries"][0]["source"], "outsourcing");
        assert_eq!(statement["entries"][0]["sale_id"], "contract:req-1/0");
        let (_, platform) = w.get("/v1/ledger/platform", &admin).await;
        assert_eq!(platform["closing"]["CNY"], 1_000);
        w.ledger_caught_up().await;
        let escrow = w
            .state
            .projections
            .ledger
            .read(|l| l.escrow("req-1").cloned())
            .expect("escrow");
        assert!(escrow.balances());
        assert_eq!(
            (escrow.funded, escrow.released, escrow.held),
            (10_000, 10_000, 0)
        );
    });
}

#[test]
fn a_dispute_resolved_with_a_split_balances_the_escrow() {
    let dir = tempfile::tempdir().expect("temp dir");
    phase(dir.path(), async |w: &World| {
        w.register_people().await;
        let client = w.login(CLIENT).await;
        let vendor = w.login(VENDOR).await;
        let admin = w.login(ADMIN).await;
        w.open("req-2", &[3_000]).await;
        w.post("/v1/contracts/req-2/milestones/0/fund", &client, None)
            .await;
        w.post("/v1/contracts/req-2/milestones/0/submit", &vendor, None)
            .await;
        let (status, body) = w
            .post(
                "/v1/contracts/req-2/milestones/0/dispute",
                &vendor,
                Some(json!({"reason": "No answer for weeks"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Under dispute: no acceptance, by hand or by the clock.
        let (status, _) = w
            .post("/v1/contracts/req-2/milestones/0/accept", &client, None)
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        w.advance_days(&admin, 30).await;
        // Sessions follow the clock too: log in again after a month.
        let client = w.login(CLIENT).await;
        let admin = w.login(ADMIN).await;
        let contract = w.contract("req-2", &client, &Value::Null).await;
        assert_eq!(milestone(&contract, 0)["stage"], "disputed");
        assert_eq!(milestone(&contract, 0)["disputed_by"], "vendor");

        // A split above the amount is refused and writes nothing.
        let before = w.events();
        let (status, body) = w
            .post(
                "/v1/contracts/req-2/milestones/0/resolve",
                &admin,
                Some(json!({"vendor_cents": 3_001})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["type"], "urn:agora:problem:split-out-of-range");
        assert_eq!(w.events(), before);
        let (status, body) = w
            .post(
                "/v1/contracts/req-2/milestones/0/resolve",
                &admin,
                Some(json!({"vendor_cents": 1_000, "note": "a third was delivered"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let contract = w.contract("req-2", &client, &body["position"]).await;
        assert_eq!(contract["status"], "completed");
        let m0 = milestone(&contract, 0);
        assert_eq!(m0["stage"], "resolved");
        assert_eq!(
            (
                &m0["funded_cents"],
                &m0["released_cents"],
                &m0["refunded_cents"],
                &m0["held_cents"]
            ),
            (&json!(3_000), &json!(1_000), &json!(2_000), &json!(0))
        );
        let escrow = &contract["escrow"];
        assert_eq!(escrow["funded_cents"], 3_000);
        assert_eq!(escrow["released_cents"], 1_000);
        assert_eq!(escrow["refunded_cents"], 2_000);
        assert_eq!(escrow["held_cents"], 0);
        w.ledger_caught_up().await;
        let ledger = w
            .state
            .projections
            .ledger
            .read(|l| (l.escrow("req-2").cloned(), l.check()));
        let escrow = ledger.0.expect("escrow");
        assert!(escrow.balances());
        assert_eq!(
            (escrow.funded, escrow.released, escrow.refunded),
            (3_000, 1_000, 2_000)
        );
        assert_eq!(ledger.1, Ok(()));
        let (_, statement) = w
            .get(
                &format!(
                    "/v1/vendors/{VENDOR}/statement?min_position={}",
                    w.head().await
                ),
                &admin,
            )
            .await;
        assert_eq!(statement["closing"]["CNY"], 900);
    });
}

#[test]
fn who_may_do_what_on_a_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    phase(dir.path(), async |w: &World| {
        w.register_people().await;
        let client = w.login(CLIENT).await;
        let vendor = w.login(VENDOR).await;
        let outsider = w.login(OUTSIDER).await;
        let auditor = w.login(AUDITOR).await;
        let admin = w.login(ADMIN).await;
        w.open("req-3", &[3_000, 2_000]).await;
        let before = w.events();
        // A vendor cannot fund or accept, a client cannot submit, an outsider
        // holding both roles does nothing on someone else's contract.
        for (path, token) in [
            ("/v1/contracts/req-3/milestones/0/fund", &vendor),
            ("/v1/contracts/req-3/milestones/0/fund", &outsider),
            ("/v1/contracts/req-3/milestones/0/submit", &client),
            ("/v1/contracts/req-3/milestones/0/resolve", &client),
        ] {
            let body = path
                .ends_with("resolve")
                .then(|| json!({"vendor_cents": 0}));
            let (status, _) = w.post(path, token, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        assert_eq!(w.events(), before);
        w.post("/v1/contracts/req-3/milestones/0/fund", &client, None)
            .await;
        let (_, submitted) = w
            .post("/v1/contracts/req-3/milestones/0/submit", &vendor, None)
            .await;
        let read_path = format!("/v1/contracts/req-3?min_position={}", submitted["position"]);
        let before = w.events();
        for (path, token) in [
            ("/v1/contracts/req-3/milestones/0/accept", &vendor),
            ("/v1/contracts/req-3/milestones/0/request-changes", &vendor),
            ("/v1/contracts/req-3/milestones/0/accept", &outsider),
            ("/v1/contracts/req-3/milestones/0/dispute", &outsider),
        ] {
            let (status, _) = w.post(path, token, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        // An auditor writes nothing, whatever the route.
        for action in [
            "fund",
            "submit",
            "accept",
            "request-changes",
            "dispute",
            "resolve",
        ] {
            let path = format!("/v1/contracts/req-3/milestones/0/{action}");
            let body = (action == "resolve").then(|| json!({"vendor_cents": 0}));
            let (status, _) = w.post(&path, &auditor, body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        }
        let review = json!({"quality": 5, "communication": 5, "timeliness": 5});
        let (status, _) = w
            .post("/v1/contracts/req-3/reviews", &auditor, Some(review))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(w.events(), before);
        // An outsider reads nothing; nobody reads without a token. (Read
        // after the submission: before the contracts view has the contract
        // the answer would be 404 whoever asks.)
        let (status, _) = w.get(&read_path, &outsider).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = w
            .get(&format!("/v1/vendors/{VENDOR}/statement"), &outsider)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = w
            .send(reqwest::Method::GET, "/v1/contracts/req-3", None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // The parties, admins and auditors read everything.
        for token in [&client, &vendor, &admin, &auditor] {
            let (status, body) = w.get(&read_path, token).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(milestone(&body, 0)["stage"], "submitted");
        }
        for path in [
            format!("/v1/vendors/{VENDOR}/statement"),
            "/v1/ledger/platform".to_owned(),
            format!("/v1/vendors/{VENDOR}/reputation"),
        ] {
            let (status, body) = w.get(&path, &auditor).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
    });
}

#[test]
fn hostile_inputs_get_problems_and_change_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    phase(dir.path(), async |w: &World| {
        w.register_people().await;
        let client = w.login(CLIENT).await;
        let vendor = w.login(VENDOR).await;
        let admin = w.login(ADMIN).await;
        w.open("req-4", &[3_000]).await;
        let before = w.events();
        for (index, status, problem) in [
            (
                "9223372036854775808",
                StatusCode::NOT_FOUND,
                "milestone-not-found",
            ),
            (
                "18446744073709551616",
                StatusCode::NOT_FOUND,
                "milestone-not-found",
            ),
            ("1", StatusCode::NOT_FOUND, "milestone-not-found"),
            ("-1", StatusCode::BAD_REQUEST, "invalid-request"),
            ("one", StatusCode::BAD_REQUEST, "invalid-request"),
        ] {
            let path = format!("/v1/contracts/req-4/milestones/{index}/fund");
            let (got, body) = w.post(&path, &client, None).await;
            assert_eq!(got, status, "{path}: {body}");
            assert_eq!(
                body["type"],
                format!("urn:agora:problem:{problem}"),
                "{path}"
            );
        }
        let (status, body) = w
            .post("/v1/contracts/nope/milestones/0/fund", &client, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["type"], "urn:agora:problem:contract-not-found");
        let (status, _) = w.get("/v1/contracts/nope", &client).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = w.get("/v1/contracts/bad%20id", &client).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let long = "x".repeat(2_001);
        w.post("/v1/contracts/req-4/milestones/0/fund", &client, None)
            .await;
        let before_submit = w.events();
        let (status, body) = w
            .post(
                "/v1/contracts/req-4/milestones/0/submit",
                &vendor,
                Some(json!({"note": long})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = w
            .post(
                "/v1/contracts/req-4/milestones/0/submit",
                &vendor,
                Some(json!({"note": "ok", "extra": 1})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(w.events(), before_submit);
        w.post("/v1/contracts/req-4/milestones/0/submit", &vendor, None)
            .await;
        w.post("/v1/contracts/req-4/milestones/0/dispute", &client, None)
            .await;
        let after_dispute = w.events();
        for bad in [
            json!({"vendor_cents": 3_001}),
            json!({"vendor_cents": u64::MAX}),
        ] {
            let (status, body) = w
                .post(
                    "/v1/contracts/req-4/milestones/0/resolve",
                    &admin,
                    Some(bad),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["type"], "urn:agora:problem:split-out-of-range");
        }
        for bad in [
            json!({"vendor_cents": -1}),
            json!({"vendor_cents": "all"}),
            json!({}),
        ] {
            let (status, _) = w
                .post(
                    "/v1/contracts/req-4/milestones/0/resolve",
                    &admin,
                    Some(bad),
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
        }
        assert_eq!(w.events(), after_dispute);
        w.post(
            "/v1/contracts/req-4/milestones/0/resolve",
            &admin,
            Some(json!({"vendor_cents": 3_000})),
        )
        .await;
        let completed = w.events();
        for (scores, status, problem) in [
            (
                [0, 3, 3],
                StatusCode::UNPROCESSABLE_ENTITY,
                "rating-out-of-range",
            ),
            (
                [3, 6, 3],
                StatusCode::UNPROCESSABLE_ENTITY,
                "rating-out-of-range",
            ),
            ([3, 3, 300], StatusCode::BAD_REQUEST, "invalid-request"),
        ] {
            let review = json!({
                "quality": scores[0], "communication": scores[1], "timeliness": scores[2]
            });
            let (got, body) = w
                .post("/v1/contracts/req-4/reviews", &client, Some(review))
                .await;
            assert_eq!(got, status, "{body}");
            assert_eq!(body["type"], format!("urn:agora:problem:{problem}"));
        }
        assert_eq!(w.events(), completed);
        let (status, body) = w
            .send(
                reqwest::Method::GET,
                "/v1/vendors/nobody/reputation",
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(before < completed);
    });
}

#[test]
fn an_unanswered_submission_is_accepted_by_the_clock_also_across_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Before the restart: submitted, and six days pass without an answer.
    let submitted_at = phase(dir.path(), async |w: &World| {
        w.register_people().await;
        let client = w.login(CLIENT).await;
        let vendor = w.login(VENDOR).await;
        let admin = w.login(ADMIN).await;
        w.open("req-5", &[5_000, 1_000]).await;
        w.post("/v1/contracts/req-5/milestones/0/fund", &client, None)
            .await;
        let (status, body) = w
            .post("/v1/contracts/req-5/milestones/0/submit", &vendor, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        w.advance_days(&admin, 6).await;
        let client = w.login(CLIENT).await;
        let contract = w.contract("req-5", &client, &body["position"]).await;
        assert_eq!(milestone(&contract, 0)["stage"], "submitted");
        milestone(&contract, 0)["submitted_at"].clone()
    });
    // After it: the manual clock starts again from the wall clock, and
    // moving it past the seven days accepts the submission automatically.
    phase(dir.path(), async move |w: &World| {
        let client = w.login(CLIENT).await;
        let admin = w.login(ADMIN).await;
        let contract = w.contract("req-5", &client, &w.head().await).await;
        assert_eq!(milestone(&contract, 0)["stage"], "submitted");
        assert_eq!(milestone(&contract, 0)["submitted_at"], submitted_at);
        w.advance_days(&admin, 8).await;
        let client = w.login(CLIENT).await;
        let admin = w.login(ADMIN).await;
        let contract = w.contract("req-5", &client, &w.head().await).await;
        let m0 = milestone(&contract, 0);
        assert_eq!(m0["stage"], "accepted", "{contract}");
        assert_eq!(m0["accepted_automatically"], true);
        assert_eq!(m0["held_cents"], 0);
        assert_eq!(milestone(&contract, 1)["stage"], "unfunded");
        let (_, statement) = w
            .get(
                &format!(
                    "/v1/vendors/{VENDOR}/statement?min_position={}",
                    w.head().await
                ),
                &admin,
            )
            .await;
        assert_eq!(statement["closing"]["CNY"], 4_500);
        // A second move finds nothing more to accept.
        let before = w.events();
        w.advance_days(&admin, 8).await;
        assert_eq!(w.events(), before);
    });
    // `agora replay --check`: the contracts and ledger snapshots the
    // server left are what a rebuild from the log alone gives.
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Settings::default()
    };
    let store = LogStore::open(dir.path(), LogConfig::default()).expect("open store");
    let reports = actix_web::rt::System::new()
        .block_on(crate::domain::replay_all(&store, &settings, false))
        .expect("replay");
    for name in ["contracts", "ledger"] {
        let report = reports.iter().find(|r| r.projection == name);
        assert_eq!(
            report.and_then(|r| r.snapshot_matches),
            Some(true),
            "{name}"
        );
    }
}

/// Regression: a crash between the award's append and the contract's left
/// an awarded requirement without a contract; the next start opens it,
/// and the start after that opens nothing more.
#[test]
fn an_award_left_without_its_contract_gets_one_at_the_next_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    phase(dir.path(), async |w: &World| {
        w.register_people().await;
        let client = w.login(CLIENT).await;
        let vendor = w.login(VENDOR).await;
        let profile = json!({
            "skills": ["rust"], "team_size": 3, "capacity": 2,
            "hourly_rate": {"amount_cents": 20_000, "currency": "CNY"},
        });
        let (status, body) = w
            .send(
                reqwest::Method::PUT,
                &format!("/v1/vendors/{VENDOR}"),
                Some(&vendor),
                Some(profile),
            )
            .await;
        assert!(status.is_success(), "{body}");
        let requirement = json!({
            "id": "req-9", "title": "Gateway", "description": "Payments.",
            "skills": ["rust"],
            "budget": {"min_cents": 1_000, "max_cents": 20_000, "currency": "CNY"},
            "deadline_days": 60, "bidding_days": 14, "visibility": "public", "invited": [],
        });
        let (status, body) = w.post("/v1/requirements", &client, Some(requirement)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let bid = json!({
            "price": {"amount_cents": 10_000, "currency": "CNY"}, "delivery_days": 30,
            "proposal": "Done before.",
            "milestones": [
                {"title": "Design", "amount_cents": 4_000, "due_day": 7},
                {"title": "Delivery", "amount_cents": 6_000, "due_day": 30},
            ],
        });
        let (status, body) = w
            .post("/v1/requirements/req-9/bids", &vendor, Some(bid))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // Only the award's own append, as a crash right after it leaves it.
        let request = agora_actors::content::Request {
            actor_id: CLIENT.into(),
            idempotency_key: None,
            if_match: None,
        };
        let awarded = w.state.requirements.award("req-9", VENDOR, &request).await;
        assert!(awarded.is_ok(), "{awarded:?}");
        let head = w.head().await;
        let (status, _) = w
            .get(&format!("/v1/contracts/req-9?min_position={head}"), &client)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
    let head = phase(dir.path(), async |w: &World| {
        let client = w.login(CLIENT).await;
        let contract = w.contract("req-9", &client, &w.head().await).await;
        assert_eq!(contract["vendor_id"], VENDOR);
        assert_eq!(contract["client_id"], CLIENT);
        assert_eq!(contract["price"]["amount_cents"], 10_000);
        assert_eq!(milestone(&contract, 1)["amount_cents"], 6_000);
        w.head().await
    });
    let again = phase(dir.path(), async |w: &World| w.head().await);
    assert_eq!(again, head, "nothing opened twice");
}
