//! The bench's own world, made over HTTP before the clock starts: creators
//! who draft, price and publish items of every kind, and learners who log
//! in. Ids carry a run tag so several runs can share one server.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use futures::{StreamExt as _, TryStreamExt as _};
use serde_json::json;

use super::conn::{Connection, Request};
use crate::sample::Rng;

/// The password of every bench user.
const PASSWORD: &str = "bench-password";
/// Requests in flight while preparing (registration hashes passwords).
const PREPARE_CONCURRENCY: usize = 16;
/// Tags the items carry; listings filter on them.
pub(super) const TAGS: &[&str] = &["rust", "ml", "design", "career", "python", "中文"];

/// A logged-in user of the bench.
#[derive(Clone, Debug)]
pub(super) struct BenchUser {
    /// User id.
    pub(super) id: String,
    /// Bearer token.
    pub(super) token: String,
}

/// A published item.
#[derive(Clone, Debug)]
pub(super) struct BenchItem {
    /// Content id.
    pub(super) id: String,
    /// Whether it is a course (learners check in on courses).
    pub(super) course: bool,
}

/// What the workload runs against.
#[derive(Debug)]
pub(super) struct World {
    /// Learners, each with a token.
    pub(super) learners: Vec<BenchUser>,
    /// Published items, most popular first (rank order of the Zipf draw).
    pub(super) items: Vec<BenchItem>,
}

/// How big a world to make.
pub(super) struct Sizes {
    pub(super) run: String,
    pub(super) learners: usize,
    pub(super) creators: usize,
    pub(super) items: usize,
    pub(super) seed: u64,
}

/// Registers and logs in the users, and publishes the items.
pub(super) async fn prepare(addr: SocketAddr, sizes: &Sizes) -> anyhow::Result<World> {
    let creators: Vec<BenchUser> = futures::stream::iter(0..sizes.creators)
        .map(|k| user(addr, format!("hb{}-c{k}", sizes.run), "creator"))
        .buffered(PREPARE_CONCURRENCY)
        .try_collect()
        .await?;
    let learners: Vec<BenchUser> = futures::stream::iter(0..sizes.learners)
        .map(|k| user(addr, format!("hb{}-u{k}", sizes.run), "learner"))
        .buffered(PREPARE_CONCURRENCY)
        .try_collect()
        .await?;
    if creators.is_empty() {
        bail!("the bench needs at least one creator");
    }
    let items: Vec<BenchItem> = futures::stream::iter(0..sizes.items)
        .map(|k| {
            let creator = &creators[k % creators.len()];
            item(
                addr,
                creator,
                format!("hb{}-i{k}", sizes.run),
                k,
                sizes.seed,
            )
        })
        .buffered(PREPARE_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(World { learners, items })
}

/// Registers `id` with `role` and logs in.
async fn user(addr: SocketAddr, id: String, role: &str) -> anyhow::Result<BenchUser> {
    let mut conn = Connection::new(addr);
    let body = json!({
        "id": id, "display_name": format!("Bench {id}"),
        "email": format!("{id}@bench.agora.example"),
        "roles": [role], "password": PASSWORD,
    });
    expect(&mut conn, "POST", "/v1/users", None, Some(&body)).await?;
    let login = json!({"user_id": id, "password": PASSWORD});
    let session = expect(&mut conn, "POST", "/v1/sessions", None, Some(&login)).await?;
    let token = session["token"]
        .as_str()
        .context("the login answer has no token")?
        .to_owned();
    Ok(BenchUser { id, token })
}

/// Drafts, prices and publishes item number `k` as `creator`.
async fn item(
    addr: SocketAddr,
    creator: &BenchUser,
    id: String,
    k: usize,
    seed: u64,
) -> anyhow::Result<BenchItem> {
    let mut rng = Rng::fork(seed, k as u64);
    let kind = ["article", "course", "column"][k % 3];
    let body = if kind == "course" {
        json!({"chapters": (1..=5).map(|d| json!({"title": format!("Day {d}"), "body": format!("Lesson {d}.")})).collect::<Vec<_>>()})
    } else {
        json!({"text": format!("The text of item {k}.")})
    };
    let (title, language) = if rng.chance(0.3) {
        (format!("基准测试条目 {k}"), "zh-CN")
    } else {
        (format!("Bench item {k}"), "en")
    };
    let tags: Vec<&str> = (0..2).filter_map(|_| rng.pick(TAGS).copied()).collect();
    let draft = json!({
        "id": id, "kind": kind, "title": title, "summary": format!("Summary of item {k}."),
        "body": body, "tags": tags, "language": language,
    });
    let token = Some(creator.token.as_str());
    let mut conn = Connection::new(addr);
    expect(&mut conn, "POST", "/v1/contents", token, Some(&draft)).await?;
    let cents = [0, 990, 1_990, 4_900, 9_900][rng.below(5)];
    let price = json!({"amount_cents": cents, "currency": "CNY"});
    let path = format!("/v1/contents/{id}/price");
    expect(&mut conn, "PUT", &path, token, Some(&price)).await?;
    let path = format!("/v1/contents/{id}/publish");
    expect(&mut conn, "POST", &path, token, None).await?;
    Ok(BenchItem {
        id,
        course: kind == "course",
    })
}

/// Sends a request and returns its JSON body, failing on a non-2xx answer.
async fn expect(
    conn: &mut Connection,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let bytes = body.map(serde_json::to_vec).transpose()?;
    let response = conn
        .send(&Request {
            method,
            path,
            token,
            json: bytes.as_deref(),
        })
        .await
        .with_context(|| format!("{method} {path}"))?;
    if !response.is_success() {
        bail!(
            "{method} {path} answered {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    response.json()
}
