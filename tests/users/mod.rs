//! `/v1/users` over real TCP: register, read back through the projection,
//! update with `If-Match`, idempotent repeats, bad input, restarts, and a
//! SIGKILL in the middle of a registration flood.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::common::{Sandbox, Server};

async fn register(client: &Client, server: &Server, body: Value) -> reqwest::Response {
    client
        .post(server.at("/v1/users"))
        .json(&body)
        .send()
        .await
        .expect("POST /v1/users")
}

async fn get_user(
    client: &Client,
    server: &Server,
    id: &str,
    min_position: Option<u64>,
) -> reqwest::Response {
    get_user_as(client, server, id, min_position, None).await
}

async fn get_user_as(
    client: &Client,
    server: &Server,
    id: &str,
    min_position: Option<u64>,
    token: Option<&str>,
) -> reqwest::Response {
    let mut url = server.at(&format!("/v1/users/{id}"));
    if let Some(p) = min_position {
        url.push_str(&format!("?min_position={p}"));
    }
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("GET /v1/users/{id}")
}

/// Logs `id` in and returns its bearer token.
pub(crate) async fn login(client: &Client, server: &Server, id: &str, password: &str) -> String {
    let response = client
        .post(server.at("/v1/sessions"))
        .json(&json!({"user_id": id, "password": password}))
        .send()
        .await
        .expect("POST /v1/sessions");
    assert_eq!(response.status(), StatusCode::CREATED);
    let session: Value = response.json().await.expect("session");
    session["token"].as_str().expect("token").to_owned()
}

fn ada(id: &str) -> Value {
    json!({
        "id": id,
        "display_name": "Ada Lovelace",
        "email": "ada@analytical.example",
        "real_name": "Augusta Ada King",
        "roles": ["learner", "creator"],
        "password": "analytical-engine"
    })
}

async fn problem(response: reqwest::Response, status: StatusCode, type_suffix: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("problem body");
    let type_uri = body["type"].as_str().unwrap_or_default();
    assert!(
        type_uri.ends_with(type_suffix),
        "type {type_uri} for {body}"
    );
    body
}

#[tokio::test]
async fn users_are_registered_read_back_updated_and_survive_a_restart() {
    let sandbox = Sandbox::new();
    let client = Client::new();
    let token;
    {
        let server = sandbox.serve();
        let created = register(&client, &server, ada("ada")).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.headers()["location"], "/v1/users/ada");
        // Registered, then its password set: version 1.
        assert_eq!(created.headers()["etag"], "\"1\"");
        let reply: Value = created.json().await.expect("reply");
        let position = reply["position"].as_u64().expect("position");

        // Anyone reads the public profile; personal fields stay hidden.
        let read = get_user(&client, &server, "ada", Some(position)).await;
        assert_eq!(read.status(), StatusCode::OK);
        assert_eq!(read.headers()["etag"], "\"1\"");
        let user: Value = read.json().await.expect("user");
        assert_eq!(user["display_name"], "Ada Lovelace");
        assert_eq!(user["roles"], json!(["learner", "creator"]));
        assert_eq!(user["personal_data"], "hidden");
        assert!(user.get("email").is_none(), "{user}");

        // The user herself sees them.
        token = login(&client, &server, "ada", "analytical-engine").await;
        let mine: Value = get_user_as(&client, &server, "ada", None, Some(&token))
            .await
            .json()
            .await
            .expect("user");
        assert_eq!(
            (mine["email"].as_str(), mine["personal_data"].as_str()),
            (Some("ada@analytical.example"), Some("visible"))
        );
        assert_eq!(mine["version"], 2, "logging in recorded a session");

        // A generated id.
        let generated = register(
            &client,
            &server,
            json!({"display_name": "Bo", "email": "bo@example.org", "roles": ["vendor"]}),
        )
        .await;
        assert_eq!(generated.status(), StatusCode::CREATED);
        let bo: Value = generated.json().await.expect("reply");
        assert!(
            bo["id"].as_str().is_some_and(|id| id.starts_with("u-")),
            "{bo}"
        );

        // A stale If-Match changes nothing.
        let stale = client
            .patch(server.at("/v1/users/ada"))
            .bearer_auth(&token)
            .header("if-match", "\"5\"")
            .json(&json!({"display_name": "Countess"}))
            .send()
            .await
            .expect("PATCH");
        problem(
            stale,
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
        )
        .await;
        let still: Value = get_user(&client, &server, "ada", None)
            .await
            .json()
            .await
            .expect("user");
        assert_eq!(
            (still["display_name"].as_str(), still["version"].as_u64()),
            (Some("Ada Lovelace"), Some(2))
        );

        let updated = client
            .patch(server.at("/v1/users/ada"))
            .bearer_auth(&token)
            .header("if-match", "\"2\"")
            .json(&json!({"display_name": "Countess", "phone": "+44 20 7946 0000"}))
            .send()
            .await
            .expect("PATCH");
        assert_eq!(updated.status(), StatusCode::OK);
        assert_eq!(updated.headers()["etag"], "\"3\"");
        let reply: Value = updated.json().await.expect("reply");
        let read = get_user_as(
            &client,
            &server,
            "ada",
            reply["position"].as_u64(),
            Some(&token),
        )
        .await;
        assert_eq!(read.headers()["etag"], "\"3\"");
        let user: Value = read.json().await.expect("user");
        assert_eq!(
            (user["display_name"].as_str(), user["phone"].as_str()),
            (Some("Countess"), Some("+44 20 7946 0000"))
        );
        assert!(server.terminate().success());
    }
    // Personal data and the password never reached the disk in clear.
    for file in walk(&sandbox.data_dir()) {
        let bytes = std::fs::read(&file).expect("read");
        for secret in [
            &b"ada@analytical.example"[..],
            b"Augusta Ada King",
            b"7946 0000",
            b"analytical-engine",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret),
                "{} holds a secret in clear",
                file.display()
            );
        }
    }
    // After a restart the profile, and the session (an event too), are back.
    let server = sandbox.serve();
    let user: Value = get_user_as(&client, &server, "ada", None, Some(&token))
        .await
        .json()
        .await
        .expect("user after restart");
    assert_eq!(
        (user["display_name"].as_str(), user["version"].as_u64()),
        (Some("Countess"), Some(3))
    );
    assert_eq!(user["email"], "ada@analytical.example");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("ls").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn an_idempotency_key_repeat_gets_the_first_answer() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let client = Client::new();
    let body = json!({"display_name": "Cy", "email": "cy@example.org", "roles": ["learner"]});
    let send = || {
        client
            .post(server.at("/v1/users"))
            .header("idempotency-key", "order-7781")
            .json(&body)
            .send()
    };
    let first: Value = send().await.expect("POST").json().await.expect("reply");
    let again = send().await.expect("POST again");
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.expect("reply");
    assert_eq!(
        (&again["id"], &again["position"]),
        (&first["id"], &first["position"])
    );
    assert_eq!(
        (first["replayed"].as_bool(), again["replayed"].as_bool()),
        (Some(false), Some(true))
    );
}

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let server = sandbox.serve();
    let client = Client::new();
    register(&client, &server, ada("ada")).await;
    let token = login(&client, &server, "ada", "analytical-engine").await;
    let events = || async {
        let ready: Value = client
            .get(server.at("/readyz"))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        ready["store"]["events"].as_u64().expect("events")
    };
    let before = events().await;

    let malformed = client
        .post(server.at("/v1/users"))
        .header("content-type", "application/json")
        .body("{\"display_name\": ")
        .send()
        .await
        .expect("POST");
    problem(malformed, StatusCode::BAD_REQUEST, "invalid-request").await;
    let mut unknown_field = ada("x1");
    unknown_field["is_admin"] = json!(true);
    problem(
        register(&client, &server, unknown_field).await,
        StatusCode::BAD_REQUEST,
        "invalid-request",
    )
    .await;
    let mut bad_email = ada("x2");
    bad_email["email"] = json!("not an address");
    problem(
        register(&client, &server, bad_email).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let mut admin = ada("x3");
    admin["roles"] = json!(["admin"]);
    problem(
        register(&client, &server, admin).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let mut no_roles = ada("x4");
    no_roles["roles"] = json!([]);
    problem(
        register(&client, &server, no_roles).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    let mut short_password = ada("x5");
    short_password["password"] = json!("short");
    problem(
        register(&client, &server, short_password).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    problem(
        register(&client, &server, ada("bad id!")).await,
        StatusCode::BAD_REQUEST,
        "invalid-request",
    )
    .await;
    problem(
        register(&client, &server, ada("ada")).await,
        StatusCode::CONFLICT,
        "user-exists",
    )
    .await;
    let huge = json!({"display_name": "x".repeat(2 << 20), "email": "h@example.org", "roles": ["learner"]});
    problem(
        register(&client, &server, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    problem(
        get_user(&client, &server, "nobody", None).await,
        StatusCode::NOT_FOUND,
        "user-not-found",
    )
    .await;
    let bad_if_match = client
        .patch(server.at("/v1/users/ada"))
        .bearer_auth(&token)
        .header("if-match", "yesterday")
        .json(&json!({}))
        .send()
        .await
        .expect("PATCH");
    problem(bad_if_match, StatusCode::BAD_REQUEST, "invalid-request").await;
    let anonymous = client
        .patch(server.at("/v1/users/ada"))
        .json(&json!({"display_name": "Eve"}))
        .send()
        .await
        .expect("PATCH");
    let body = problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Bearer")),
        "{body}"
    );
    let forged = client
        .patch(server.at("/v1/users/ada"))
        .bearer_auth("0".repeat(64))
        .json(&json!({"display_name": "Eve"}))
        .send()
        .await
        .expect("PATCH");
    problem(forged, StatusCode::UNAUTHORIZED, "unauthorized").await;

    assert_eq!(events().await, before, "no rejected request wrote anything");
}

#[tokio::test]
async fn sigkill_during_a_registration_flood_loses_no_acknowledged_user() {
    let sandbox = Sandbox::new();
    // A flood from one address: lift the per-address registration limit.
    let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
    args.extend(sandbox.data_dir_args());
    let mut command = sandbox.command(args);
    command.env("AGORA_REGISTRATIONS_PER_ADDRESS", "1000000");
    let server = crate::common::Server::start(command, &sandbox.path().join("server.log"));
    let client = Client::new();
    let acked: std::sync::Arc<acked::Acked> = Default::default();
    // Writers register until the server dies under them (at most this many
    // each, a guard against a kill that never comes).
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let (client, url, acked) = (client.clone(), server.at("/v1/users"), acked.clone());
            tokio::spawn(async move {
                for i in 0..100_000 {
                    let id = format!("f{w}-{i}");
                    let body = json!({"id": id, "display_name": "Flood", "email": format!("{id}@example.org"), "roles": ["learner"]});
                    match client.post(&url).json(&body).send().await {
                        Ok(r) if r.status().is_success() => {
                            let reply: Value = r.json().await.expect("reply");
                            acked.push(id, reply["position"].as_u64().expect("position"));
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    // Mid-flood: enough registrations acknowledged, 16 more in flight.
    assert!(
        acked.at_least(200, Duration::from_secs(60)).await,
        "the flood registered too few users"
    );
    drop(server); // SIGKILL, mid-flood
    for w in writers {
        w.await.expect("writer");
    }
    let acked = acked.take();
    assert!(
        !acked.is_empty(),
        "the flood registered nobody before the kill"
    );

    let server = sandbox.serve();
    let max_position = acked.values().copied().max().unwrap_or(0);
    for (id, position) in &acked {
        let read = get_user(&client, &server, id, Some(max_position.max(*position))).await;
        assert_eq!(read.status(), StatusCode::OK, "acknowledged user {id} lost");
    }
    assert!(server.terminate().success());
    let mut args = vec!["verify".to_string()];
    args.extend(sandbox.data_dir_args());
    sandbox.run(args).success();
}

/// A tiny shared list of acknowledged registrations.
pub(crate) mod acked {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio::sync::watch;

    /// Acknowledged ids with their positions, and their count to wait on.
    pub(crate) struct Acked {
        ids: Mutex<HashMap<String, u64>>,
        count: watch::Sender<usize>,
    }

    impl Default for Acked {
        fn default() -> Self {
            Self {
                ids: Mutex::default(),
                count: watch::Sender::new(0),
            }
        }
    }

    impl Acked {
        pub(crate) fn push(&self, id: String, position: u64) {
            let mut ids = self.ids.lock().expect("lock");
            ids.insert(id, position);
            self.count.send_replace(ids.len());
        }

        /// Waits, at most `timeout`, until `count` ids are acknowledged.
        pub(crate) async fn at_least(&self, count: usize, timeout: Duration) -> bool {
            let mut counted = self.count.subscribe();
            let reached = tokio::time::timeout(timeout, counted.wait_for(|n| *n >= count)).await;
            matches!(reached, Ok(Ok(_)))
        }

        pub(crate) fn take(&self) -> HashMap<String, u64> {
            std::mem::take(&mut self.ids.lock().expect("lock"))
        }
    }
}
