//! Recommendations over real TCP: learners buy and rate, an admin trains,
//! answers skip what a user owns and carry the model version; similar
//! items; a user the model has not seen is folded in, a stranger gets
//! popular items; no data is a 409; who may read and train; and after the
//! projections are deleted, the restarted server rebuilds the matrix from
//! the log and trains the next version at start-up.

use std::time::{Duration, Instant};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{Shop, draft};
use crate::common::{Run, Sandbox, Server};

/// How long a test waits for a training run before giving up (a guard
/// against hanging, not a performance assertion).
const GUARD: Duration = Duration::from_secs(120);

/// Starts `agora serve` on a manual clock with a small, quick model that
/// only trains when asked and, with `train_on_start`, at start-up.
pub(crate) fn serve(sandbox: &Sandbox, train_on_start: bool) -> Server {
    let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
    args.extend(sandbox.data_dir_args());
    let mut command = sandbox.command(args);
    command.env("AGORA_MANUAL_CLOCK", "true");
    command.env("AGORA_SESSION_TTL_SECS", "31536000");
    command.env("AGORA_RECOMMENDER__FACTORS", "8");
    command.env("AGORA_RECOMMENDER__ITERATIONS", "10");
    command.env("AGORA_RECOMMENDER__RETRAIN_AFTER_INTERACTIONS", "0");
    command.env("AGORA_RECOMMENDER__RETRAIN_INTERVAL_SECS", "0");
    command.env(
        "AGORA_RECOMMENDER__TRAIN_ON_START",
        if train_on_start { "true" } else { "false" },
    );
    Server::start(command, &sandbox.path().join("server.log"))
}

/// A shop with admin `root`, served by [`serve`].
fn open() -> Shop {
    let sandbox = Sandbox::new();
    let mut create = sandbox.command(
        ["admin", "create", "--id", "root", "--display-name", "Root"]
            .into_iter()
            .map(String::from)
            .chain(["--email".into(), "root@example.org".into()])
            .chain(sandbox.data_dir_args()),
    );
    create.env("AGORA_ADMIN_PASSWORD", crate::catalog::PASSWORD);
    Run::of(create).success();
    // Every version of this story is asked for, until the restart.
    let server = serve(&sandbox, false);
    Shop {
        sandbox,
        server,
        client: Client::new(),
    }
}

/// The `content_id`s of an answer's `items`, in order.
fn ids(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["content_id"].as_str().expect("content id").to_owned())
        .collect()
}

/// Waits until the status shows model `version`: each request waits on
/// the server for the model to be published (`min_version`), up to its
/// read wait; a run that takes longer is asked again, up to [`GUARD`].
pub(crate) async fn model_version(shop: &Shop, admin: &str, version: u64) -> Value {
    let deadline = Instant::now() + GUARD;
    let path = format!("/v1/admin/recommender?min_version={version}");
    loop {
        let (status, body) = shop
            .send(Method::GET, &path, Some(admin), Value::Null)
            .await;
        if status == StatusCode::OK {
            assert!(body["model"]["version"].as_u64() >= Some(version), "{body}");
            return body;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            body["type"]
                .as_str()
                .is_some_and(|t| t.ends_with(":recommender-not-ready")),
            "{body}"
        );
        assert!(Instant::now() < deadline, "no model {version}: {body}");
    }
}

#[tokio::test]
async fn trained_models_recommend_unowned_items_with_their_version() {
    let shop = open();
    let root = shop.admin().await;
    let ada = shop.user("ada", &["creator"]).await;

    // Nothing to learn from yet.
    let (status, body) = shop
        .send(
            Method::POST,
            "/v1/admin/recommender:train",
            Some(&root),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "urn:agora:problem:recommender-no-data");
    let early = shop
        .get(
            "/v1/users/root/recommendations",
            Some(&root),
            StatusCode::CONFLICT,
        )
        .await;
    assert_eq!(early["type"], "urn:agora:problem:recommender-no-data");

    for id in ["rust-1", "rust-2", "rust-3", "sql-1", "sql-2", "sql-3"] {
        shop.publish(&ada, draft(id, "article", id, "", &[], "en"), 500)
            .await;
    }
    let mut tokens = Vec::new();
    for group in ["rust", "sql"] {
        for n in 0..4 {
            let name = format!("{group}{n}");
            let token = shop.user(&name, &["learner"]).await;
            for item in 1..=3 {
                // rust0 has not met rust-3 yet.
                if name == "rust0" && item == 3 {
                    continue;
                }
                shop.buy(&token, &format!("{group}-{item}")).await;
            }
            tokens.push((name, token));
        }
    }
    let token = |name: &str| {
        tokens
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .expect("a learner")
    };
    let rated = shop
        .command(
            Method::PUT,
            "/v1/contents/rust-1/rating",
            &token("rust1"),
            json!({"stars": 5}),
        )
        .await;
    let position = rated["position"].as_u64().expect("position");

    let trained = shop
        .command(
            Method::POST,
            "/v1/admin/recommender:train",
            &root,
            Value::Null,
        )
        .await;
    assert_eq!(trained["version"], 1, "{}", shop.server.log());
    assert_eq!(trained["trigger"], "admin");
    assert_eq!(trained["params"]["mode"], "implicit");
    assert_eq!(trained["params"]["factors"], 8);
    assert_eq!(trained["metrics"]["interactions"], 23);

    let path = format!("/v1/users/rust0/recommendations?k=3&explain=true&min_position={position}");
    let mine = shop.get(&path, Some(&token("rust0")), StatusCode::OK).await;
    assert_eq!(mine["model_version"], 1);
    assert_eq!(mine["source"], "model");
    let got = ids(&mine);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], "rust-3", "{mine}");
    assert!(!got.contains(&"rust-1".to_owned()) && !got.contains(&"rust-2".to_owned()));
    let because: Vec<&str> = mine["items"][0]["because"]
        .as_array()
        .expect("because")
        .iter()
        .map(|c| c["content_id"].as_str().expect("id"))
        .collect();
    assert!(!because.is_empty());
    assert!(
        because.iter().all(|id| id.starts_with("rust-")),
        "{because:?}"
    );
    assert_eq!(mine["items"][0]["title"], "rust-3");

    // Similar items: public, same group.
    let similar = shop
        .get("/v1/contents/sql-1/similar?k=2", None, StatusCode::OK)
        .await;
    assert_eq!(similar["model_version"], 1);
    let got = ids(&similar);
    assert_eq!(got.len(), 2);
    assert!(
        got.iter().all(|id| id.starts_with("sql-") && id != "sql-1"),
        "{similar}"
    );

    // A learner who arrives after training is folded in.
    let newbie = shop.user("newbie", &["learner"]).await;
    let bought = shop.buy(&newbie, "sql-1").await;
    let path = format!(
        "/v1/users/newbie/recommendations?k=2&min_position={}",
        bought["position"].as_u64().expect("position")
    );
    let folded = shop.get(&path, Some(&newbie), StatusCode::OK).await;
    assert_eq!(folded["source"], "folded_in");
    let got = ids(&folded);
    assert_eq!(got.len(), 2);
    assert!(
        got.iter().all(|id| id.starts_with("sql-") && id != "sql-1"),
        "{folded}"
    );
    // A learner with no interaction gets popular items.
    let lone = shop.user("lone", &["learner"]).await;
    let popular = shop
        .get(
            "/v1/users/lone/recommendations?k=4",
            Some(&lone),
            StatusCode::OK,
        )
        .await;
    assert_eq!(popular["source"], "popular");
    assert_eq!(ids(&popular).len(), 4);

    // Bad input and unknown ids are problems, never panics.
    for path in [
        "/v1/users/rust0/recommendations?k=0",
        "/v1/users/rust0/recommendations?k=100000",
        "/v1/users/rust0/recommendations?k=x",
        "/v1/users/rust0/recommendations?nope=1",
    ] {
        let bad = shop.get(path, Some(&root), StatusCode::BAD_REQUEST).await;
        assert_eq!(bad["type"], "urn:agora:problem:invalid-request", "{path}");
    }
    let unknown = shop
        .get(
            "/v1/users/ghost/recommendations",
            Some(&root),
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_eq!(unknown["type"], "urn:agora:problem:user-not-found");
    shop.get("/v1/contents/ghost/similar", None, StatusCode::NOT_FOUND)
        .await;

    // Who may read and train.
    shop.get(
        "/v1/users/rust0/recommendations",
        Some(&token("sql0")),
        StatusCode::FORBIDDEN,
    )
    .await;
    shop.get(
        "/v1/users/rust0/recommendations",
        None,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    shop.get(
        "/v1/users/rust0/recommendations",
        Some(&root),
        StatusCode::OK,
    )
    .await;
    let (status, _) = shop
        .send(
            Method::POST,
            "/v1/admin/recommender:train",
            Some(&token("rust0")),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    shop.get("/v1/admin/recommender", Some(&ada), StatusCode::FORBIDDEN)
        .await;

    // The next run is version 2, and the status says so.
    let again = shop
        .command(
            Method::POST,
            "/v1/admin/recommender:train",
            &root,
            Value::Null,
        )
        .await;
    assert_eq!(again["version"], 2);
    let status = model_version(&shop, &root, 2).await;
    assert_eq!(status["state"], "idle");
    assert_eq!(status["interactions_since_training"], 0);
    // The interactions projection catches up with the log (the training
    // run's own event may still be on its way to it): a read of it waits
    // for the log's head.
    let ready = shop.get("/readyz", None, StatusCode::OK).await;
    let head = ready["store"]["head_position"].as_u64().expect("a head");
    shop.get(
        &format!("/v1/users/rust0/recommendations?k=1&min_position={head}"),
        Some(&root),
        StatusCode::OK,
    )
    .await;

    // Rebuilt from the log alone, the matrix trains version 3 at start-up.
    let Shop {
        sandbox,
        server,
        client,
    } = shop;
    assert!(server.terminate().success());
    let dir = sandbox.data_dir().join("projections");
    for entry in std::fs::read_dir(&dir).expect("projections dir") {
        std::fs::remove_file(entry.expect("entry").path()).expect("removing a snapshot");
    }
    let server = serve(&sandbox, true);
    let shop = Shop {
        sandbox,
        server,
        client,
    };
    let root = shop.admin().await;
    let status = model_version(&shop, &root, 3).await;
    assert_eq!(status["model"]["trigger"], "start-up");
    assert_eq!(status["model"]["metrics"]["interactions"], 24);
    let mine = shop
        .get(
            "/v1/users/rust0/recommendations?k=1",
            Some(&root),
            StatusCode::OK,
        )
        .await;
    assert_eq!(mine["model_version"], 3, "{}", shop.server.log());
    assert_eq!(ids(&mine), ["rust-3"]);
}

/// Issue 22: a `min_version` no run could publish within the wait was held
/// `read_wait_ms` and then answered 503; after start-up it is refused at
/// once (400), so the worker is free and the client knows not to retry.
#[tokio::test]
async fn a_min_version_no_run_can_publish_is_refused_at_once() {
    let shop = open();
    let root = shop.admin().await;
    // Until its start-up check the recommender may not know the versions
    // the log holds, and waits; the status says when that is over.
    let deadline = Instant::now() + GUARD;
    while shop
        .get("/v1/admin/recommender", Some(&root), StatusCode::OK)
        .await["started"]
        != true
    {
        assert!(Instant::now() < deadline, "the start-up check never ran");
    }
    // No model yet: version 2 is past the next one, whatever runs.
    let refused = shop
        .get(
            "/v1/admin/recommender?min_version=2",
            Some(&root),
            StatusCode::BAD_REQUEST,
        )
        .await;
    assert_eq!(refused["type"], "urn:agora:problem:invalid-request");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("version 2")),
        "{refused}"
    );
    // The largest possible version too (no overflow on the way).
    shop.get(
        &format!("/v1/admin/recommender?min_version={}", u64::MAX),
        Some(&root),
        StatusCode::BAD_REQUEST,
    )
    .await;
}
