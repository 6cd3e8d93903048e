//! Partner platforms over real TCP: an admin registers a partner, its user
//! imports two thousand catalog items in one call (each checked on its own,
//! per-item results), re-imports are idempotent upserts, oversized imports
//! are refused whole, and every role that may not do something is denied.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Run, Sandbox, Server};
use crate::users::login;

const PASSWORD: &str = "correct-horse-battery";

/// A server with an admin (`root`) and an auditor (`eve`) made on the
/// command line, and a client.
pub(crate) struct Market {
    _sandbox: Sandbox,
    pub(crate) server: Server,
    client: Client,
    pub(crate) admin: String,
    pub(crate) auditor: String,
}

impl Market {
    /// Starts a server with these extra `AGORA_*` settings.
    pub(crate) async fn start(env: &[(&str, &str)]) -> Self {
        let sandbox = Sandbox::new();
        for (id, auditor) in [("root", false), ("eve", true)] {
            let mut args = vec![
                "admin".to_string(),
                "create".into(),
                "--id".into(),
                id.into(),
                "--display-name".into(),
                id.into(),
                "--email".into(),
                format!("{id}@example.org"),
            ];
            if auditor {
                args.push("--auditor".into());
            }
            args.extend(sandbox.data_dir_args());
            let mut command = sandbox.command(&args);
            command.env("AGORA_ADMIN_PASSWORD", PASSWORD);
            Run::of(command).success();
        }
        let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
        args.extend(sandbox.data_dir_args());
        let mut command = sandbox.command(args);
        for (key, value) in env {
            command.env(key, value);
        }
        let server = Server::start(command, &sandbox.path().join("server.log"));
        let client = Client::new();
        let admin = login(&client, &server, "root", PASSWORD).await;
        let auditor = login(&client, &server, "eve", PASSWORD).await;
        Self {
            _sandbox: sandbox,
            server,
            client,
            admin,
            auditor,
        }
    }

    /// Registers `id` with `roles` and returns its token.
    pub(crate) async fn user(&self, id: &str, roles: &[&str]) -> String {
        let body = json!({
            "id": id, "display_name": id, "email": format!("{id}@example.org"),
            "roles": roles, "password": PASSWORD,
        });
        let (status, created) = self.send(Method::POST, "/v1/users", None, body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        // The users view must know the user before a partner names it.
        let position = created["position"].as_u64().expect("position");
        let (status, _) = self
            .send(
                Method::GET,
                &format!("/v1/users/{id}?min_position={position}"),
                None,
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        login(&self.client, &self.server, id, PASSWORD).await
    }

    /// Sends a request; answers its status and JSON body (`Null` if none).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.server.at(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The admin registers partner `id` acting through `user_id`.
    pub(crate) async fn partner(&self, id: &str, user_id: &str, share_bps: u32) {
        let body = json!({"id": id, "name": format!("{id} platform"), "user_id": user_id, "share_bps": share_bps});
        let (status, answer) = self
            .send(Method::POST, "/v1/partners", Some(&self.admin), body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }

    /// `token` imports `items` into partner `id`'s catalog.
    pub(crate) async fn import(
        &self,
        token: &str,
        id: &str,
        items: Vec<Value>,
    ) -> (StatusCode, Value) {
        self.send(
            Method::POST,
            &format!("/v1/partners/{id}/catalog"),
            Some(token),
            json!({ "items": items }),
        )
        .await
    }
}

/// A valid catalog item.
pub(crate) fn item(external_id: &str, cents: u64) -> Value {
    json!({
        "external_id": external_id,
        "kind": "article",
        "title": format!("Lesson {external_id}"),
        "summary": "imported",
        "body": {"text": "Some text."},
        "tags": ["imported"],
        "language": "en",
        "price": {"amount_cents": cents, "currency": "CNY"},
    })
}

/// Asserts the problem type of one item's result.
#[track_caller]
fn failed_with(result: &Value, type_suffix: &str) {
    assert_eq!(result["status"], "failed", "{result}");
    let type_uri = result["problem"]["type"].as_str().unwrap_or_default();
    assert!(type_uri.ends_with(type_suffix), "{result}");
}

#[tokio::test]
async fn two_thousand_items_in_one_call_each_checked_on_its_own() {
    let m = Market::start(&[]).await;
    let bot = m.user("acme-bot", &["partner"]).await;
    m.user("cora", &["creator"]).await;
    m.partner("acme", "acme-bot", 1_500).await;

    let mut items: Vec<Value> = (0..2_000).map(|i| item(&i.to_string(), 100 + i)).collect();
    for i in (7..2_000).step_by(100) {
        items[i]["title"] = json!("   ");
    }
    items[13]["kind"] = json!("video");
    items[21]["external_id"] = json!("bad id");
    items[42]["creator_id"] = json!("nobody");
    items[43]["creator_id"] = json!("cora");
    let (status, answer) = m.import(&bot, "acme", items).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["received"], 2_000);
    assert_eq!(answer["failed"], 23, "{answer}");
    assert_eq!(answer["created"], 1_977);
    let results = answer["items"].as_array().expect("items");
    assert_eq!(results.len(), 2_000);
    for (index, result) in results.iter().enumerate() {
        assert_eq!(result["index"], index);
    }
    assert_eq!(results[0]["status"], "created");
    assert_eq!(results[0]["content_id"], "p-acme-0");
    assert_eq!(results[0]["external_id"], "0");
    failed_with(&results[7], "validation-failed");
    assert!(
        results[7]["problem"]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("title")
    );
    failed_with(&results[13], "invalid-request");
    assert_eq!(results[13]["external_id"], "13");
    failed_with(&results[21], "validation-failed");
    failed_with(&results[42], "validation-failed");
    assert_eq!(results[43]["status"], "created");

    let position = answer["position"].as_u64().expect("position");
    let (status, listed) = m
        .send(
            Method::GET,
            &format!("/v1/contents/p-acme-1999?min_position={position}"),
            None,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["stage"], "published");
    assert_eq!(listed["price"]["amount_cents"], 2_099);
    assert_eq!(listed["creator_id"], "acme-bot");
    let (_, by_cora) = m
        .send(
            Method::GET,
            &format!("/v1/contents/p-acme-43?min_position={position}"),
            None,
            Value::Null,
        )
        .await;
    assert_eq!(by_cora["creator_id"], "cora");

    // Re-importing is an idempotent upsert: same → unchanged, new price →
    // updated, new text of a published item → refused.
    let mut again: Vec<Value> = (0..7).map(|i| item(&i.to_string(), 100 + i)).collect();
    again[0]["price"]["amount_cents"] = json!(555);
    again[1]["title"] = json!("A new title");
    let (status, answer) = m.import(&bot, "acme", again).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            &answer["created"],
            &answer["updated"],
            &answer["unchanged"],
            &answer["failed"]
        ),
        (&json!(0), &json!(1), &json!(5), &json!(1)),
        "{answer}"
    );
    assert_eq!(answer["items"][0]["status"], "updated");
    failed_with(&answer["items"][1], "content-conflict");
}

#[tokio::test]
async fn imports_over_the_limit_are_refused_whole() {
    let m = Market::start(&[("AGORA_PARTNER_IMPORT_MAX_ITEMS", "5")]).await;
    let bot = m.user("acme-bot", &["partner"]).await;
    m.partner("acme", "acme-bot", 1_000).await;
    let items = (0..6).map(|i| item(&i.to_string(), 100)).collect();
    let (status, answer) = m.import(&bot, "acme", items).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["type"], "urn:agora:problem:import-too-large");
    let items = (0..5).map(|i| item(&i.to_string(), 100)).collect();
    let (status, answer) = m.import(&bot, "acme", items).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["created"], 5);
}

#[tokio::test]
async fn each_role_is_held_to_what_it_may_do() {
    let m = Market::start(&[]).await;
    let acme_bot = m.user("acme-bot", &["partner"]).await;
    let globex_bot = m.user("globex-bot", &["partner"]).await;
    let learner = m.user("leo", &["learner"]).await;
    m.partner("acme", "acme-bot", 1_500).await;
    m.partner("globex", "globex-bot", 1_000).await;

    let problem = |answer: &Value| answer["type"].as_str().unwrap_or_default().to_owned();
    // Only admins register partners; auditors read, never write.
    let body = json!({"id": "x", "name": "X", "user_id": "acme-bot", "share_bps": 10});
    for token in [&learner, &acme_bot, &m.auditor] {
        let (status, _) = m
            .send(Method::POST, "/v1/partners", Some(token), body.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = m
            .send(
                Method::PUT,
                "/v1/partners/acme/share",
                Some(token),
                json!({"share_bps": 9}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // A partner's user must hold the partner role; ids are unique.
    let (status, answer) = m
        .send(
            Method::POST,
            "/v1/partners",
            Some(&m.admin),
            json!({"id": "y", "name": "Y", "user_id": "leo", "share_bps": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = m
        .send(
            Method::POST,
            "/v1/partners",
            Some(&m.admin),
            json!({"id": "acme", "name": "A", "user_id": "acme-bot", "share_bps": 10}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem(&answer), "urn:agora:problem:partner-exists");
    // The share plus the platform fee (20 %) stays within 100 %.
    let (status, _) = m
        .send(
            Method::PUT,
            "/v1/partners/acme/share",
            Some(&m.admin),
            json!({"share_bps": 8_001}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A non-partner, and another partner's user, may not import.
    let items = vec![item("1", 100)];
    let (status, _) = m.import(&learner, "acme", items.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = m.import(&globex_bot, "acme", items.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = m.import(&m.auditor, "acme", items.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = m.import(&acme_bot, "nope", items.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem(&answer), "urn:agora:problem:partner-not-found");
    let (status, answer) = m.import(&m.admin, "acme", items.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // Reading a partner: its user, admins, auditors.
    let (status, partner) = m
        .send(
            Method::GET,
            "/v1/partners/acme",
            Some(&acme_bot),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(partner["share_bps"], 1_500);
    assert_eq!(partner["user_id"], "acme-bot");
    let (status, _) = m
        .send(
            Method::GET,
            "/v1/partners/acme",
            Some(&m.auditor),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = m
        .send(
            Method::GET,
            "/v1/partners/acme",
            Some(&globex_bot),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A suspended partner imports nothing until reinstated.
    let (status, _) = m
        .send(
            Method::POST,
            "/v1/partners/acme/suspend",
            Some(&m.admin),
            json!({"reason": "audit"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = m.import(&acme_bot, "acme", items.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem(&answer), "urn:agora:problem:partner-suspended");
    let (status, _) = m
        .send(
            Method::POST,
            "/v1/partners/acme/reinstate",
            Some(&m.admin),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = m.import(&acme_bot, "acme", items).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["unchanged"], 1);
}
