//! `/v1/contents` over real TCP: a creator drafts, prices and publishes; a
//! learner finds the item in the catalog, buys it (once, even with twenty
//! concurrent keyed requests), rates it and checks in; permissions and bad
//! input answer problem documents and write nothing.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Sandbox, Server};
use crate::users::login;

mod discussions;
mod image_bomb;

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
    content_type: String,
    body: Value,
}

impl Answer {
    /// Asserts a problem document of `status` whose type ends with `suffix`.
    #[track_caller]
    fn problem(&self, status: StatusCode, suffix: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        let type_uri = self.body["type"].as_str().unwrap_or_default();
        assert!(type_uri.ends_with(suffix), "{}", self.body);
    }

    /// Asserts a problem like [`Answer::problem`] whose detail names `rule`.
    #[track_caller]
    fn refused(&self, status: StatusCode, suffix: &str, rule: &str) {
        self.problem(status, suffix);
        let detail = self.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(rule), "{}", self.body);
    }

    /// Asserts a success of `status`.
    #[track_caller]
    fn ok(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.body);
    }

    /// A string field of the body.
    fn text(&self, field: &str) -> String {
        self.body[field].as_str().expect(field).to_owned()
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
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            body,
        }
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

    /// `token` buys `id`; returns the answer, asserted created.
    async fn buy(&self, token: &str, id: &str) -> Answer {
        let bought = self
            .post(&format!("/v1/contents/{id}/purchases"), token, Value::Null)
            .await;
        bought.ok(StatusCode::CREATED);
        bought
    }

    /// The catalog's sales count of `id`, once it applied `position`.
    async fn sales(&self, id: &str, position: u64) -> Value {
        let path = format!("/v1/contents/{id}?min_position={position}");
        self.get(&path, None).await.body["sales"].clone()
    }

    /// `token` comments on `id` with `body`; returns the new comment's id.
    async fn comment(&self, token: &str, id: &str, body: Value) -> String {
        let posted = self
            .post(&format!("/v1/contents/{id}/comments"), token, body)
            .await;
        posted.ok(StatusCode::CREATED);
        posted.text("comment_id")
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

/// The bar: 100 concurrent identical purchases, without an
/// idempotency key, charge once: one 201, 99 × 409 `already-purchased`.
#[tokio::test]
async fn a_hundred_concurrent_unkeyed_purchases_charge_once() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;

    let path = "/v1/contents/c1/purchases";
    let answers =
        futures::future::join_all((0..100).map(|_| w.post(path, &learner, Value::Null))).await;
    let created: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "exactly one purchase");
    for answer in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        answer.problem(StatusCode::CONFLICT, "already-purchased");
    }
    assert_eq!(w.sales("c1", created[0].position()).await, 1);
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
    // Someone else's draft does not exist for them (issue 17: no
    // enumerating draft ids by the answer).
    w.post("/v1/contents/d1/publish", &learner, Value::Null)
        .await
        .problem(StatusCode::NOT_FOUND, "content-not-found");
    w.post("/v1/contents/d1/purchases", &learner, Value::Null)
        .await
        .problem(StatusCode::NOT_FOUND, "content-not-found");
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
    // Issue 17: a price past the ceiling (10^12 minor units) or in an
    // unknown currency is refused before it can reach a read model.
    for price in [
        json!({"amount_cents": u64::MAX, "currency": "CNY"}),
        json!({"amount_cents": 1_000_000_000_001_u64, "currency": "CNY"}),
        json!({"amount_cents": 100, "currency": "XYZ"}),
    ] {
        w.send(Method::PUT, "/v1/contents/d1/price", Some(&creator), price)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "price-out-of-range");
    }
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

#[tokio::test]
async fn a_buyer_refunds_once_and_may_buy_again() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    let other = w.user("olga", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;
    let bought = w.buy(&learner, "c1").await;
    assert_eq!(w.sales("c1", bought.position()).await, 1);

    let purchase = bought.text("purchase_id");
    let refund = format!("/v1/contents/c1/purchases/{purchase}/refund");
    w.post(&refund, &other, Value::Null).await.refused(
        StatusCode::FORBIDDEN,
        "forbidden",
        "only the buyer",
    );
    let refunded = w.post(&refund, &learner, Value::Null).await;
    refunded.ok(StatusCode::OK);
    assert_eq!(refunded.text("purchase_id"), purchase);
    assert_eq!(w.sales("c1", refunded.position()).await, 0);
    w.post(&refund, &learner, Value::Null).await.refused(
        StatusCode::CONFLICT,
        "content-conflict",
        "already refunded",
    );

    let again = w.buy(&learner, "c1").await;
    assert_ne!(again.text("purchase_id"), purchase);
    assert_eq!(w.sales("c1", again.position()).await, 1);
}

#[tokio::test]
async fn owners_review_and_others_are_forbidden() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    let other = w.user("olga", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;
    w.buy(&learner, "c1").await;

    let path = "/v1/contents/c1/review";
    let review = || json!({"text": "Clear and short."});
    w.send(Method::PUT, path, Some(&learner), review())
        .await
        .ok(StatusCode::OK);
    for token in [&other, &creator] {
        w.send(Method::PUT, path, Some(token), review())
            .await
            .refused(StatusCode::FORBIDDEN, "forbidden", "owner");
    }
}

#[tokio::test]
async fn the_creator_marks_a_reply_in_the_thread_as_the_answer() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    let other = w.user("olga", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;

    let asked = json!({"text": "Why borrow?", "is_question": true});
    let question = w.comment(&learner, "c1", asked).await;
    let reply = json!({"text": "To share.", "parent_id": question});
    let reply = w.comment(&other, "c1", reply).await;
    let aside = w.comment(&other, "c1", json!({"text": "Nice."})).await;
    w.send(
        Method::POST,
        "/v1/contents/c1/comments",
        None,
        json!({"text": "Hi"}),
    )
    .await
    .problem(StatusCode::UNAUTHORIZED, "unauthorized");

    let answer = format!("/v1/contents/c1/comments/{question}/answer");
    w.post(&answer, &learner, json!({"answer_id": reply}))
        .await
        .refused(StatusCode::FORBIDDEN, "forbidden", "only the creator");
    w.post(&answer, &creator, json!({"answer_id": aside}))
        .await
        .refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "not a reply in the question's thread",
        );
    let marked = w.post(&answer, &creator, json!({"answer_id": reply})).await;
    marked.ok(StatusCode::OK);
    assert_eq!(marked.text("comment_id"), question);
}

#[tokio::test]
async fn unpublished_and_retired_items_leave_the_catalog_but_owners_keep_them() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let learner = w.user("leo", &["learner"]).await;
    let other = w.user("olga", &["learner"]).await;
    w.publish(&creator, "c1", "article", "rust", 500).await;
    w.publish(&creator, "c2", "course", "go", 500).await;
    w.buy(&learner, "c1").await;
    w.buy(&learner, "c2").await;

    w.post("/v1/contents/c1/unpublish", &learner, Value::Null)
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden");
    let hidden = w
        .post("/v1/contents/c1/unpublish", &creator, Value::Null)
        .await;
    hidden.ok(StatusCode::OK);
    assert_eq!(w.listed("sort=newest", hidden.position()).await, ["c2"]);
    let retired = w
        .post("/v1/contents/c2/retire", &creator, Value::Null)
        .await;
    retired.ok(StatusCode::OK);
    let at = retired.position();
    assert_eq!(w.listed("sort=newest", at).await, Vec::<String>::new());

    w.post("/v1/contents/c1/purchases", &other, Value::Null)
        .await
        .refused(
            StatusCode::CONFLICT,
            "content-not-published",
            "not published",
        );
    w.post("/v1/contents/c2/purchases", &other, Value::Null)
        .await
        .refused(StatusCode::CONFLICT, "content-conflict", "retired");
    for (id, stage) in [("c1", "unpublished"), ("c2", "retired")] {
        let path = format!("/v1/contents/{id}?min_position={at}");
        let item = w.get(&path, Some(&learner)).await;
        item.ok(StatusCode::OK);
        assert_eq!(item.body["stage"], stage);
    }
}

#[tokio::test]
async fn if_match_guards_a_change_quoted_or_bare() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let draft = json!({"id": "d1", "kind": "article", "title": "Draft", "language": "en"});
    let created = w.post("/v1/contents", &creator, draft).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let price = |cents: u64| json!({"amount_cents": cents, "currency": "CNY"});
    let put = |tag: &'static str, cents: u64| {
        w.client
            .put(w.server.at("/v1/contents/d1/price"))
            .bearer_auth(&creator)
            .header("if-match", tag)
            .json(&price(cents))
            .send()
    };
    // Version 0 is current: a stale or future version changes nothing.
    for stale in ["\"1\"", "7"] {
        let answer = put(stale, 900).await.expect("PUT");
        assert_eq!(answer.status(), StatusCode::PRECONDITION_FAILED, "{stale}");
    }
    for malformed in ["\"0", "W/\"0\"", "+0", ""] {
        let answer = put(malformed, 900).await.expect("PUT");
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{malformed}");
    }
    let at = created.position();
    let item = w
        .get(
            &format!("/v1/contents/d1?min_position={at}"),
            Some(&creator),
        )
        .await;
    assert_eq!(item.body["version"], 0, "{}", item.body);
    // The quoted ETag and the bare number both name the version.
    let quoted = put("\"0\"", 900).await.expect("PUT");
    assert_eq!(quoted.status(), StatusCode::OK);
    assert_eq!(quoted.headers()["etag"], "\"1\"");
    let bare = put("1", 1200).await.expect("PUT");
    assert_eq!(bare.status(), StatusCode::OK);
    let reply: Value = bare.json().await.expect("reply");
    let at = reply["position"].as_u64().expect("position");
    let item = w
        .get(
            &format!("/v1/contents/d1?min_position={at}"),
            Some(&creator),
        )
        .await;
    assert_eq!(item.body["version"], 2, "{}", item.body);
    assert_eq!(item.body["price"]["amount_cents"], 1200, "{}", item.body);
}
