//! `/v1/contents` over real TCP: a creator drafts, prices and publishes; a
//! learner finds the item in the catalog, buys it (once, even with twenty
//! concurrent keyed requests), rates it and checks in; permissions and bad
//! input answer problem documents and write nothing.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Sandbox, Server};
use crate::users::login;

const PASSWORD: &str = "correct-horse-battery";

/// A running server and a client.
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
    /// Asserts a problem document of `status` whose type ends with `suffix`.
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
        let server = sandbox.serve();
        Self {
            _sandbox: sandbox,
            server,
            client: Client::new(),
        }
    }

    /// Registers `id` with `roles` and returns its token.
    async fn user(&self, id: &str, roles: &[&str]) -> String {
        let body = json!({
            "id": id, "display_name": id, "email": format!("{id}@example.org"),
            "roles": roles, "password": PASSWORD,
        });
        let created = self.send(Method::POST, "/v1/users", None, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
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

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, Value::Null).await
    }

    /// Drafts, prices and publishes an item; returns the last answer.
    async fn publish(&self, token: &str, id: &str, kind: &str, tag: &str, cents: u64) -> Answer {
        let draft = json!({
            "id": id, "kind": kind, "title": format!("All about {tag}"),
            "body": {"text": "Lesson one."}, "tags": [tag], "language": "en",
        });
        let created = self
            .send(Method::POST, "/v1/contents", Some(token), draft)
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let price = json!({"amount_cents": cents, "currency": "CNY"});
        let path = format!("/v1/contents/{id}");
        let priced = self
            .send(Method::PUT, &format!("{path}/price"), Some(token), price)
            .await;
        assert_eq!(priced.status, StatusCode::OK, "{}", priced.body);
        let published = self
            .post(&format!("{path}/publish"), token, Value::Null)
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.body);
        published
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(token), body).await
    }

    /// The ids a catalog listing answers, after `position` is applied.
    async fn listed(&self, query: &str, position: u64) -> Vec<String> {
        let page = self
            .get(
                &format!("/v1/contents?min_position={position}&{query}"),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let items = page.body["items"].as_array().expect("items").iter();
        items
            .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_learner_finds_buys_rates_and_checks_in() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    w.publish(&creator, "rust-course", "course", "rust", 990)
        .await;
    let last = w.publish(&creator, "go-note", "article", "go", 0).await;
    let at = last.position();

    assert_eq!(w.listed("tag=rust", at).await, ["rust-course"]);
    assert_eq!(w.listed("kind=article", at).await, ["go-note"]);
    assert_eq!(
        w.listed("max_price=500&creator=cora", at).await,
        ["go-note"]
    );
    assert_eq!(
        w.listed("sort=newest", at).await,
        ["go-note", "rust-course"]
    );
    assert_eq!(
        w.listed("limit=1&language=fr", at).await,
        Vec::<String>::new()
    );

    let bought = w
        .post("/v1/contents/rust-course/purchases", &learner, Value::Null)
        .await;
    assert_eq!(bought.status, StatusCode::CREATED, "{}", bought.body);
    let rated = w
        .send(
            Method::PUT,
            "/v1/contents/rust-course/rating",
            Some(&learner),
            json!({"stars": 4}),
        )
        .await;
    assert_eq!(rated.status, StatusCode::OK, "{}", rated.body);
    let checked = w
        .post(
            "/v1/contents/rust-course/check-ins",
            &learner,
            json!({"note": "day 1"}),
        )
        .await;
    assert_eq!(checked.status, StatusCode::CREATED, "{}", checked.body);
    let at = checked.position();
    assert_eq!(w.listed("sort=sales", at).await, ["rust-course", "go-note"]);
    assert_eq!(
        w.listed("sort=rating", at).await,
        ["rust-course", "go-note"]
    );

    let item = w
        .get(&format!("/v1/contents/rust-course?min_position={at}"), None)
        .await;
    assert_eq!(item.body["sales"], 1);
    assert_eq!(item.body["rating"], json!({"average": 4.0, "count": 1}));
    assert_eq!(item.body["stage"], "published");

    let page = w
        .get(&format!("/v1/contents?min_position={at}&limit=1"), None)
        .await;
    let cursor = page.body["next_cursor"].as_str().expect("a next page");
    let next = w.listed(&format!("limit=1&cursor={cursor}"), at).await;
    assert_eq!(next, ["rust-course"]);
}

#[tokio::test]
async fn concurrent_keyed_purchases_record_one_sale() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;

    let path = "/v1/contents/c1/purchases";
    let buys = (0..20).map(|_| {
        w.send_keyed(
            Method::POST,
            path,
            Some(&learner),
            Value::Null,
            Some("buy-1"),
        )
    });
    let answers = futures::future::join_all(buys).await;
    let first = &answers[0].body["purchase_id"];
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        assert_eq!(&answer.body["purchase_id"], first);
    }
    let positions = answers.iter().filter_map(|a| a.body["position"].as_u64());
    let at = positions.max().unwrap_or_default();
    let item = w
        .get(&format!("/v1/contents/c1?min_position={at}"), None)
        .await;
    assert_eq!(item.body["sales"], 1);

    let again = w.post(path, &learner, Value::Null).await;
    again.problem(StatusCode::CONFLICT, "already-purchased");
}

#[tokio::test]
async fn permissions_and_bad_input_answer_problems_and_write_nothing() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    let draft = json!({"id": "d1", "kind": "article", "title": "Secret", "language": "en"});
    let created = w.post("/v1/contents", &creator, draft.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let at = created.position();

    w.send(Method::POST, "/v1/contents", None, draft.clone())
        .await
        .problem(StatusCode::UNAUTHORIZED, "unauthorized");
    w.post("/v1/contents", &learner, draft)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    w.post("/v1/contents/d1/publish", &learner, Value::Null)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    let secret = format!("/v1/contents/d1?min_position={at}");
    w.get(&secret, Some(&learner))
        .await
        .problem(StatusCode::NOT_FOUND, "content-not-found");
    assert_eq!(w.get(&secret, Some(&creator)).await.status, StatusCode::OK);

    let unpriced = w
        .post("/v1/contents/d1/publish", &creator, Value::Null)
        .await;
    unpriced.problem(StatusCode::CONFLICT, "content-conflict");
    assert!(
        unpriced.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no body")
    );
    let blank = json!({"id": "d2", "kind": "article", "title": " ", "language": "en"});
    let refused = w.post("/v1/contents", &creator, blank).await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation-failed");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("title")
    );
    let unknown = json!({"id": "d3", "kind": "article", "title": "T", "language": "en", "x": 1});
    w.post("/v1/contents", &creator, unknown)
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid-request");
    for id in ["d2", "d3"] {
        let path = format!("/v1/contents/{id}?min_position={at}");
        w.get(&path, Some(&creator))
            .await
            .problem(StatusCode::NOT_FOUND, "content-not-found");
    }
    let item = w.get(&secret, Some(&creator)).await;
    assert_eq!(item.body["version"], 0, "refused commands wrote nothing");
}
