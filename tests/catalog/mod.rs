//! The catalog over real TCP: full-text search in English and Chinese with
//! filters, sorts and cursors across pages, and who may read an item's
//! metadata and body. [`Shop`] is the small world the read-side tests
//! share (also used by `library`).

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Sandbox, Server};
use crate::users::login;

pub(crate) const PASSWORD: &str = "correct-horse-battery";

/// A sandbox, a running server (manual clock) and a client.
pub(crate) struct Shop {
    pub(crate) sandbox: Sandbox,
    pub(crate) server: Server,
    pub(crate) client: Client,
}

impl Shop {
    /// A server on a manual clock, with admin `root` created first.
    pub(crate) fn open() -> Self {
        let sandbox = Sandbox::new();
        let mut create = sandbox.command(
            ["admin", "create", "--id", "root", "--display-name", "Root"]
                .into_iter()
                .map(String::from)
                .chain(["--email".into(), "root@example.org".into()])
                .chain(sandbox.data_dir_args()),
        );
        create.env("AGORA_ADMIN_PASSWORD", PASSWORD);
        crate::common::Run::of(create).success();
        let server = Self::serve(&sandbox);
        Self {
            sandbox,
            server,
            client: Client::new(),
        }
    }

    /// Starts `agora serve` on a manual clock in `sandbox`.
    pub(crate) fn serve(sandbox: &Sandbox) -> Server {
        let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
        args.extend(sandbox.data_dir_args());
        let mut command = sandbox.command(args);
        command.env("AGORA_MANUAL_CLOCK", "true");
        command.env("AGORA_SESSION_TTL_SECS", "31536000");
        Server::start(command, &sandbox.path().join("server.log"))
    }

    /// Stops the server, deletes every projection snapshot, and starts it
    /// again: the read models are rebuilt from the log alone.
    pub(crate) fn restart_without_projections(self) -> Self {
        let Self {
            sandbox,
            server,
            client,
        } = self;
        assert!(server.terminate().success());
        let dir = sandbox.data_dir().join("projections");
        let mut removed = 0;
        for entry in std::fs::read_dir(&dir).expect("projections dir") {
            let path = entry.expect("entry").path();
            std::fs::remove_file(&path).expect("removing a snapshot");
            removed += 1;
        }
        assert!(removed >= 5, "every projection had a snapshot");
        let server = Self::serve(&sandbox);
        Self {
            sandbox,
            server,
            client,
        }
    }

    /// The admin's token.
    pub(crate) async fn admin(&self) -> String {
        login(&self.client, &self.server, "root", PASSWORD).await
    }

    /// Registers `id` with `roles` and returns its token.
    pub(crate) async fn user(&self, id: &str, roles: &[&str]) -> String {
        let body = json!({
            "id": id, "display_name": id, "email": format!("{id}@example.org"),
            "roles": roles, "password": PASSWORD,
        });
        let created = self.send(Method::POST, "/v1/users", None, body).await;
        assert_eq!(created.0, StatusCode::CREATED, "{}", created.1);
        login(&self.client, &self.server, id, PASSWORD).await
    }

    /// Sends a request; answers the status and the JSON body (`Null` if none).
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

    /// `GET path`, expecting `status`; answers the body.
    pub(crate) async fn get(&self, path: &str, token: Option<&str>, status: StatusCode) -> Value {
        let (got, body) = self.send(Method::GET, path, token, Value::Null).await;
        assert_eq!(got, status, "GET {path}: {body}");
        body
    }

    /// Sends a command expecting success; answers its position.
    pub(crate) async fn command(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> Value {
        let (status, answer) = self.send(method, path, Some(token), body).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
        answer
    }

    /// Drafts `draft` (a JSON object with at least an id), prices it at
    /// `cents` CNY and publishes it; answers the last position.
    pub(crate) async fn publish(&self, token: &str, draft: Value, cents: u64) -> u64 {
        let id = draft["id"].as_str().expect("id").to_owned();
        self.command(Method::POST, "/v1/contents", token, draft)
            .await;
        let price = json!({"amount_cents": cents, "currency": "CNY"});
        let path = format!("/v1/contents/{id}");
        self.command(Method::PUT, &format!("{path}/price"), token, price)
            .await;
        let published = self
            .command(Method::POST, &format!("{path}/publish"), token, Value::Null)
            .await;
        published["position"].as_u64().expect("position")
    }

    /// `token`'s user buys `id`; answers the command's answer.
    pub(crate) async fn buy(&self, token: &str, id: &str) -> Value {
        let path = format!("/v1/contents/{id}/purchases");
        self.command(Method::POST, &path, token, Value::Null).await
    }

    /// Moves the manual clock forward by `days`.
    pub(crate) async fn advance_days(&self, admin: &str, days: u64) {
        self.advance_secs(admin, days * 86_400).await;
    }

    /// Moves the manual clock forward by `secs`.
    pub(crate) async fn advance_secs(&self, admin: &str, secs: u64) {
        let body = json!({"advance_secs": secs});
        self.command(Method::POST, "/v1/admin/clock", admin, body)
            .await;
    }
}

/// A draft's JSON.
pub(crate) fn draft(
    id: &str,
    kind: &str,
    title: &str,
    summary: &str,
    tags: &[&str],
    language: &str,
) -> Value {
    json!({
        "id": id, "kind": kind, "title": title, "summary": summary,
        "body": {"text": format!("The body of {id}.")}, "tags": tags, "language": language,
    })
}

/// The ids of a listing page, in order.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Every id of a listing, following cursors `limit` items at a time.
async fn all_pages(shop: &Shop, query: &str, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/contents?{query}&limit={limit}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let page = shop.get(&path, None, StatusCode::OK).await;
        let page_ids = ids(&page);
        assert!(page_ids.len() <= limit);
        seen.extend(page_ids);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
}

/// Percent-encodes a query value.
pub(crate) fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Publishes the catalog the search tests use, a minute apart (`root`
/// moves the clock); answers the last position.
pub(crate) async fn stock(shop: &Shop, root: &str, ada: &str, bo: &str) -> u64 {
    let items = [
        (
            ada,
            draft(
                "rust-actors",
                "article",
                "Rust actors in practice",
                "Message passing with actix",
                &["rust", "backend"],
                "en",
            ),
            1000,
        ),
        (
            bo,
            draft(
                "rust-web",
                "course",
                "Web services",
                "Building HTTP APIs in Rust",
                &["web"],
                "en",
            ),
            3000,
        ),
        (
            ada,
            draft(
                "go-intro",
                "article",
                "Go for beginners",
                "Goroutines and channels",
                &["go"],
                "en",
            ),
            500,
        ),
        (
            bo,
            draft(
                "zh-rust",
                "course",
                "Rust编程语言入门",
                "从零开始学习系统编程",
                &["编程"],
                "zh-CN",
            ),
            2000,
        ),
        (
            ada,
            draft(
                "zh-cook",
                "article",
                "家常菜谱",
                "简单的中国菜",
                &["烹饪"],
                "zh-CN",
            ),
            800,
        ),
    ];
    let mut last = 0;
    for (token, item, cents) in items {
        last = shop.publish(token, item, cents).await;
        shop.advance_secs(root, 60).await;
    }
    let secret = draft("rust-draft", "article", "Rust secrets", "", &["rust"], "en");
    shop.command(Method::POST, "/v1/contents", ada, secret)
        .await;
    last
}

#[tokio::test]
async fn search_finds_english_and_chinese_and_keeps_filters_sorts_and_cursors() {
    let shop = Shop::open();
    let ada = shop.user("ada", &["creator"]).await;
    let bo = shop.user("bo", &["creator"]).await;
    let cy = shop.user("cy", &["learner"]).await;
    let root = shop.admin().await;
    let at = stock(&shop, &root, &ada, &bo).await;
    let search = |q: &str| format!("/v1/contents?min_position={at}&q={}", urlencode(q));

    // English: BM25 ranks the item with "rust" in its title and tags first;
    // the draft is never listed.
    let found = ids(&shop.get(&search("rust"), None, StatusCode::OK).await);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0], "rust-actors");
    assert!(found.contains(&"rust-web".to_owned()) && found.contains(&"zh-rust".to_owned()));
    let found = ids(&shop.get(&search("RUST Actix"), None, StatusCode::OK).await);
    assert_eq!(found, ["rust-actors"], "every word must match, in any case");

    // Chinese: character pairs, in titles, summaries and tags.
    assert_eq!(
        ids(&shop.get(&search("编程语言"), None, StatusCode::OK).await),
        ["zh-rust"]
    );
    assert_eq!(
        ids(&shop.get(&search("菜谱"), None, StatusCode::OK).await),
        ["zh-cook"]
    );
    assert_eq!(
        ids(&shop.get(&search("中国"), None, StatusCode::OK).await),
        ["zh-cook"]
    );
    assert_eq!(
        ids(&shop.get(&search("编程"), None, StatusCode::OK).await),
        ["zh-rust"]
    );
    assert!(ids(&shop.get(&search("语法"), None, StatusCode::OK).await).is_empty());

    // Filters still apply to matches.
    let rust = search("rust");
    let with = |extra: &str| format!("{rust}&{extra}");
    let mut courses = ids(&shop.get(&with("kind=course"), None, StatusCode::OK).await);
    courses.sort();
    assert_eq!(courses, ["rust-web", "zh-rust"]);
    assert_eq!(
        ids(&shop
            .get(&with("language=zh-CN"), None, StatusCode::OK)
            .await),
        ["zh-rust"]
    );
    assert_eq!(
        ids(&shop
            .get(&with("max_price=1500"), None, StatusCode::OK)
            .await),
        ["rust-actors"]
    );
    assert_eq!(
        ids(&shop
            .get(&with("min_price=2500"), None, StatusCode::OK)
            .await),
        ["rust-web"]
    );
    let mut by_bo = ids(&shop.get(&with("creator=bo"), None, StatusCode::OK).await);
    by_bo.sort();
    assert_eq!(by_bo, ["rust-web", "zh-rust"]);
    assert_eq!(
        ids(&shop.get(&with("tag=backend"), None, StatusCode::OK).await),
        ["rust-actors"]
    );

    // Other sorts order the matches: a sale puts rust-web first by sales.
    let bought = shop.buy(&cy, "rust-web").await;
    let at = bought["position"].as_u64().expect("position");
    let by_sales = format!("/v1/contents?min_position={at}&q=rust&sort=sales");
    assert_eq!(
        ids(&shop.get(&by_sales, None, StatusCode::OK).await)[0],
        "rust-web"
    );
    let newest = ids(&shop
        .get(&format!("{rust}&sort=newest"), None, StatusCode::OK)
        .await);
    assert_eq!(newest, ["zh-rust", "rust-web", "rust-actors"]);

    // Cursors walk every match once, in the order of one big page.
    for (query, limit) in [
        ("q=rust", 1),
        ("q=rust&sort=newest", 2),
        ("sort=newest", 2),
        ("sort=sales", 3),
    ] {
        let whole = ids(&shop
            .get(
                &format!("/v1/contents?{query}&limit=50"),
                None,
                StatusCode::OK,
            )
            .await);
        assert_eq!(all_pages(&shop, query, limit).await, whole, "{query}");
    }
    let everything = all_pages(&shop, "sort=newest", 2).await;
    assert_eq!(everything.len(), 5, "published items only: {everything:?}");

    // Bad requests.
    let (status, body) = shop
        .send(
            Method::GET,
            "/v1/contents?sort=relevance",
            None,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let page = shop
        .get("/v1/contents?q=rust&limit=1", None, StatusCode::OK)
        .await;
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let mixed = format!("/v1/contents?sort=sales&cursor={}", urlencode(cursor));
    let (status, body) = shop.send(Method::GET, &mixed, None, Value::Null).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let long = "a".repeat(201);
    let (status, _) = shop
        .send(
            Method::GET,
            &format!("/v1/contents?q={long}"),
            None,
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        ids(&shop
            .get("/v1/contents?q=%21%21", None, StatusCode::OK)
            .await)
        .is_empty()
    );
}

#[tokio::test]
async fn bodies_go_to_creators_admins_and_owners_and_hidden_items_to_insiders() {
    let shop = Shop::open();
    let ada = shop.user("ada", &["creator"]).await;
    let cy = shop.user("cy", &["learner"]).await;
    let dee = shop.user("dee", &["learner"]).await;
    let root = shop.admin().await;
    let at = shop
        .publish(
            &ada,
            draft("c1", "article", "Deep dive", "", &[], "en"),
            900,
        )
        .await;
    let path = format!("/v1/contents/c1?min_position={at}");

    // Anyone sees a published item's metadata; only insiders its body.
    let anonymous = shop.get(&path, None, StatusCode::OK).await;
    assert_eq!(anonymous["title"], "Deep dive");
    assert_eq!(anonymous["owned"], false);
    assert_eq!(anonymous["body_included"], false);
    assert!(anonymous.get("body").is_none(), "{anonymous}");
    let stranger = shop.get(&path, Some(&dee), StatusCode::OK).await;
    assert!(stranger.get("body").is_none());
    for token in [&ada, &root] {
        let insider = shop.get(&path, Some(token), StatusCode::OK).await;
        assert_eq!(insider["body"]["text"], "The body of c1.");
        assert_eq!(insider["owned"], false);
    }

    // An owner reads the body; after a refund, no longer.
    let bought = shop.buy(&cy, "c1").await;
    let purchase = bought["purchase_id"]
        .as_str()
        .expect("purchase id")
        .to_owned();
    let at = bought["position"].as_u64().expect("position");
    let path = format!("/v1/contents/c1?min_position={at}");
    let owner = shop.get(&path, Some(&cy), StatusCode::OK).await;
    assert_eq!(
        (owner["owned"].clone(), owner["body_included"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(owner["body"]["text"], "The body of c1.");

    // Unpublished: owners and insiders still see it, others get 404.
    let hidden = shop
        .command(Method::POST, "/v1/contents/c1/unpublish", &ada, Value::Null)
        .await;
    let at = hidden["position"].as_u64().expect("position");
    let path = format!("/v1/contents/c1?min_position={at}");
    shop.get(&path, None, StatusCode::NOT_FOUND).await;
    shop.get(&path, Some(&dee), StatusCode::NOT_FOUND).await;
    assert_eq!(
        shop.get(&path, Some(&cy), StatusCode::OK).await["stage"],
        "unpublished"
    );
    shop.get(&path, Some(&root), StatusCode::OK).await;
    let refund = format!("/v1/contents/c1/purchases/{purchase}/refund");
    let refunded = shop.command(Method::POST, &refund, &cy, Value::Null).await;
    let at = refunded["position"].as_u64().expect("position");
    shop.get(
        &format!("/v1/contents/c1?min_position={at}"),
        Some(&cy),
        StatusCode::NOT_FOUND,
    )
    .await;

    // Drafts: the creator and admins only.
    let drafted = shop
        .command(
            Method::POST,
            "/v1/contents",
            &ada,
            draft("d1", "article", "Soon", "", &[], "en"),
        )
        .await;
    let at = drafted["position"].as_u64().expect("position");
    let path = format!("/v1/contents/d1?min_position={at}");
    shop.get(&path, Some(&dee), StatusCode::NOT_FOUND).await;
    let draft_view = shop.get(&path, Some(&root), StatusCode::OK).await;
    assert_eq!(draft_view["body"]["text"], "The body of d1.");
}
