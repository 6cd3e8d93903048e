//! Who may do what, in one table over real HTTP: every endpoint that needs
//! a token is listed with the users allowed to call it, and every other
//! user — one of each role, plus a stranger of the same role as the
//! allowed one — is refused with 403, and an anonymous caller with 401.
//! No refused request writes anything (the store's event count does not
//! move), auditors are allowed no write at all, and the table must cover
//! every secured operation the served OpenAPI document lists.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{PASSWORD, Shop, draft};
use crate::common::{Run, Sandbox};
use crate::users::login;

/// The users of the world, by name: `(name, roles)`.
const USERS: [(&str, &[&str]); 7] = [
    ("cora", &["creator"]),
    ("dan", &["creator"]),
    ("lin", &["learner"]),
    ("bo", &["learner"]),
    ("vic", &["vendor"]),
    ("cli", &["client"]),
    ("pat", &["partner"]),
];

/// One row: a request and who may send it (`root` is the admin).
struct Row {
    method: Method,
    path: String,
    body: Value,
    allowed: &'static [&'static str],
    /// Users refused by a rule of the domain rather than a permission,
    /// with the status they get instead of 403.
    refused_otherwise: &'static [(&'static str, StatusCode)],
}

fn row(method: Method, path: &str, body: Value, allowed: &'static [&'static str]) -> Row {
    Row {
        method,
        path: path.to_owned(),
        body,
        allowed,
        refused_otherwise: &[],
    }
}

/// The events the store has appended so far (from `/metrics`).
pub(crate) async fn events_appended(shop: &Shop) -> u64 {
    let text = shop
        .client
        .get(shop.server.at("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| line.strip_prefix("agora_events_appended_total "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .map(|n| n as u64)
        .expect("agora_events_appended_total in /metrics")
}

/// Whether concrete `path` (query ignored) fits OpenAPI path `template`.
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// A shop whose admin `root` and auditor `aud` were made on the command
/// line (auditors are granted, never self-registered).
pub(crate) fn with_admin_and_auditor() -> Shop {
    let sandbox = Sandbox::new();
    for (id, auditor) in [("root", false), ("aud", true)] {
        let mut args: Vec<String> = ["admin", "create", "--id", id, "--display-name", id]
            .into_iter()
            .map(String::from)
            .collect();
        args.extend(["--email".into(), format!("{id}@example.org")]);
        if auditor {
            args.push("--auditor".into());
        }
        args.extend(sandbox.data_dir_args());
        let mut create = sandbox.command(args);
        create.env("AGORA_ADMIN_PASSWORD", PASSWORD);
        Run::of(create).success();
    }
    let server = Shop::serve(&sandbox);
    Shop {
        sandbox,
        server,
        client: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn every_secured_operation_refuses_everyone_it_does_not_name() {
    let shop = with_admin_and_auditor();
    let root = shop.admin().await;
    let auditor = login(&shop.client, &shop.server, "aud", PASSWORD).await;
    let mut tokens = vec![("root", root.clone()), ("aud", auditor)];
    for (name, roles) in USERS {
        tokens.push((name, shop.user(name, roles).await));
    }
    let token = |name: &str| {
        tokens
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone())
            .expect("a user of the world")
    };

    // The world: cora's published course c1, bought by lin (purchase
    // `pur`), a comment `com` on it by lin, cora's plan `gold` with lin as
    // member, partner `p1` run by pat.
    shop.publish(
        &token("cora"),
        draft("c1", "course", "Course one", "", &[], "en"),
        900,
    )
    .await;
    let bought = shop
        .command(
            Method::POST,
            "/v1/contents/c1/purchases",
            &token("lin"),
            Value::Null,
        )
        .await;
    let purchase = bought["purchase_id"]
        .as_str()
        .expect("purchase id")
        .to_owned();
    let commented = shop
        .command(
            Method::POST,
            "/v1/contents/c1/comments",
            &token("lin"),
            json!({"text": "Is chapter 2 out?", "is_question": true}),
        )
        .await;
    let comment = commented["comment_id"]
        .as_str()
        .expect("comment id")
        .to_owned();
    let plan = json!({
        "id": "gold", "title": "Gold", "period_days": 30,
        "price": {"amount_cents": 1000, "currency": "CNY"},
    });
    shop.command(Method::POST, "/v1/plans", &token("cora"), plan.clone())
        .await;
    shop.command(
        Method::POST,
        "/v1/plans/gold/subscriptions",
        &token("lin"),
        Value::Null,
    )
    .await;
    let partner = json!({"id": "p1", "name": "Partner One", "user_id": "pat", "share_bps": 1000});
    shop.command(Method::POST, "/v1/partners", &root, partner.clone())
        .await;
    // Outsourcing: cli's requirement rq1; vic's vendor profile.
    let profile = json!({
        "skills": ["rust"], "team_size": 3, "capacity": 2,
        "hourly_rate": {"amount_cents": 10000, "currency": "CNY"},
    });
    shop.command(
        Method::PUT,
        "/v1/vendors/vic",
        &token("vic"),
        profile.clone(),
    )
    .await;
    let requirement = json!({
        "id": "rq1", "title": "Gateway", "description": "Build it.", "skills": ["rust"],
        "budget": {"min_cents": 100, "max_cents": 1000, "currency": "CNY"},
        "deadline_days": 30, "bidding_days": 7, "visibility": "public",
    });
    shop.command(
        Method::POST,
        "/v1/requirements",
        &token("cli"),
        requirement.clone(),
    )
    .await;
    let bid = json!({
        "price": {"amount_cents": 500, "currency": "CNY"}, "delivery_days": 10,
        "proposal": "Done before.", "milestones": [{"title": "all", "amount_cents": 500, "due_day": 10}],
    });

    const CREATOR: &[&str] = &["cora"];
    const CREATOR_ADMIN: &[&str] = &["cora", "root"];
    const CREATOR_READERS: &[&str] = &["cora", "root", "aud"];
    const ADMIN: &[&str] = &["root"];
    const READERS: &[&str] = &["root", "aud"];
    const LIN: &[&str] = &["lin"];
    const LIN_ADMIN: &[&str] = &["lin", "root"];
    const LIN_READERS: &[&str] = &["lin", "root", "aud"];
    const PARTNER_ADMIN: &[&str] = &["pat", "root"];
    const PARTNER_READERS: &[&str] = &["pat", "root", "aud"];
    // Any user who may write: every role but the auditor's.
    const WRITERS: &[&str] = &["cora", "dan", "lin", "bo", "vic", "cli", "pat", "root"];
    const EVERYONE: &[&str] = &[
        "cora", "dan", "lin", "bo", "vic", "cli", "pat", "root", "aud",
    ];
    const BUYERS: &[&str] = &["dan", "lin", "bo", "vic", "cli", "pat", "root"];

    let price = json!({"amount_cents": 1200, "currency": "CNY"});
    let item = json!({"items": [{
        "external_id": "x1", "kind": "article", "title": "Imported", "summary": "",
        "body": {"text": "Imported body."}, "tags": [], "language": "en",
        "creator_id": "dan", "price": {"amount_cents": 500, "currency": "CNY"},
    }]});
    let answer_path = format!("/v1/contents/c1/comments/{comment}/answer");
    let refund_path = format!("/v1/contents/c1/purchases/{purchase}/refund");
    let table = vec![
        row(Method::GET, "/v1/admin/clock", Value::Null, READERS),
        row(Method::GET, "/v1/admin/recommender", Value::Null, READERS),
        row(Method::GET, "/v1/audit/events", Value::Null, READERS),
        row(
            Method::GET,
            "/v1/audit/checkpoints/latest",
            Value::Null,
            READERS,
        ),
        row(Method::GET, "/v1/audit/verify", Value::Null, READERS),
        row(
            Method::GET,
            "/v1/audit/streams/user-lin",
            Value::Null,
            READERS,
        ),
        row(
            Method::POST,
            "/v1/admin/recommender:train",
            Value::Null,
            ADMIN,
        ),
        row(
            Method::POST,
            "/v1/admin/clock",
            json!({"advance_secs": 0}),
            ADMIN,
        ),
        row(
            Method::POST,
            "/v1/contents",
            json!({"id": "new", "kind": "article", "title": "T", "language": "en"}),
            &["cora", "dan"],
        ),
        row(
            Method::PATCH,
            "/v1/contents/c1",
            json!({"title": "Renamed"}),
            CREATOR,
        ),
        row(Method::PUT, "/v1/contents/c1/price", price.clone(), CREATOR),
        row(
            Method::POST,
            "/v1/contents/c1/publish",
            Value::Null,
            CREATOR,
        ),
        row(
            Method::POST,
            "/v1/contents/c1/unpublish",
            Value::Null,
            CREATOR,
        ),
        row(Method::POST, "/v1/contents/c1/retire", Value::Null, CREATOR),
        row(
            Method::POST,
            "/v1/contents/c1/verify",
            Value::Null,
            CREATOR_ADMIN,
        ),
        row(
            Method::POST,
            "/v1/contents/c1/drafts:generate",
            json!({"prompt": "An outline of chapter three"}),
            CREATOR,
        ),
        Row {
            // A creator cannot buy their own item: a rule (409), not a role.
            refused_otherwise: &[("cora", StatusCode::CONFLICT)],
            ..row(
                Method::POST,
                "/v1/contents/c1/purchases",
                Value::Null,
                BUYERS,
            )
        },
        row(Method::POST, &refund_path, Value::Null, LIN),
        row(
            Method::PUT,
            "/v1/contents/c1/rating",
            json!({"stars": 5}),
            LIN,
        ),
        row(
            Method::PUT,
            "/v1/contents/c1/review",
            json!({"text": "Good."}),
            LIN,
        ),
        row(
            Method::POST,
            "/v1/contents/c1/check-ins",
            json!({"note": "day one"}),
            LIN,
        ),
        row(
            Method::POST,
            "/v1/contents/c1/comments",
            json!({"text": "Hello"}),
            WRITERS,
        ),
        row(
            Method::POST,
            &answer_path,
            json!({"answer_id": comment}),
            CREATOR,
        ),
        row(
            Method::GET,
            "/v1/creators/cora/dashboard",
            Value::Null,
            CREATOR_READERS,
        ),
        row(
            Method::GET,
            "/v1/creators/cora/statement",
            Value::Null,
            CREATOR_READERS,
        ),
        row(Method::GET, "/v1/ledger/platform", Value::Null, READERS),
        row(Method::POST, "/v1/partners", partner, ADMIN),
        row(Method::GET, "/v1/partners/p1", Value::Null, PARTNER_READERS),
        row(Method::POST, "/v1/partners/p1/catalog", item, PARTNER_ADMIN),
        row(
            Method::POST,
            "/v1/partners/p1/reinstate",
            Value::Null,
            ADMIN,
        ),
        row(
            Method::PUT,
            "/v1/partners/p1/share",
            json!({"share_bps": 500}),
            ADMIN,
        ),
        row(
            Method::GET,
            "/v1/partners/p1/statement",
            Value::Null,
            PARTNER_READERS,
        ),
        row(
            Method::POST,
            "/v1/partners/p1/suspend",
            json!({"reason": "audit"}),
            ADMIN,
        ),
        row(
            Method::POST,
            "/v1/plans",
            json!({"title": "Silver", "period_days": 30,
                   "price": {"amount_cents": 500, "currency": "CNY"}}),
            &["cora", "dan", "root"],
        ),
        row(
            Method::GET,
            "/v1/plans/gold/members",
            Value::Null,
            CREATOR_READERS,
        ),
        row(Method::PUT, "/v1/plans/gold/price", price, CREATOR_ADMIN),
        row(
            Method::POST,
            "/v1/plans/gold/subscriptions",
            Value::Null,
            &["lin", "bo"],
        ),
        row(
            Method::POST,
            "/v1/plans/gold/subscriptions/lin/cancel",
            Value::Null,
            LIN_ADMIN,
        ),
        row(
            Method::POST,
            "/v1/plans/gold/withdraw",
            Value::Null,
            CREATOR_ADMIN,
        ),
        // Everyone may end their own session (nobody is refused).
        row(
            Method::DELETE,
            "/v1/sessions/current",
            Value::Null,
            EVERYONE,
        ),
        row(
            Method::PATCH,
            "/v1/users/lin",
            json!({"display_name": "Lin"}),
            LIN_ADMIN,
        ),
        row(
            Method::DELETE,
            "/v1/users/lin/personal-data",
            Value::Null,
            LIN_ADMIN,
        ),
        row(
            Method::GET,
            "/v1/users/lin/library",
            Value::Null,
            LIN_READERS,
        ),
        row(
            Method::GET,
            "/v1/users/lin/memberships",
            Value::Null,
            LIN_READERS,
        ),
        row(
            Method::GET,
            "/v1/users/lin/recommendations",
            Value::Null,
            LIN_ADMIN,
        ),
        row(
            Method::GET,
            "/v1/users/lin/memberships/coverage?creator=cora",
            Value::Null,
            LIN_READERS,
        ),
        row(Method::PUT, "/v1/vendors/vic", profile, &["vic", "root"]),
        row(Method::POST, "/v1/requirements", requirement, &["cli"]),
        row(
            Method::GET,
            "/v1/requirements/rq1/vendors",
            Value::Null,
            &["cli", "root", "aud"],
        ),
        row(
            Method::PATCH,
            "/v1/requirements/rq1",
            json!({"bidding_days": 9}),
            &["cli"],
        ),
        row(
            Method::POST,
            "/v1/requirements/rq1/cancel",
            Value::Null,
            &["cli", "root"],
        ),
        row(
            Method::POST,
            "/v1/requirements/rq1/bids",
            bid.clone(),
            &["vic"],
        ),
        row(Method::PUT, "/v1/requirements/rq1/bids/vic", bid, &["vic"]),
        row(
            Method::DELETE,
            "/v1/requirements/rq1/bids/vic",
            Value::Null,
            &["vic", "root"],
        ),
        row(
            Method::POST,
            "/v1/requirements/rq1/award",
            json!({"vendor_id": "vic"}),
            &["cli"],
        ),
        // Contracts (no contract k1 exists here: the roles are checked by
        // the route's policy before anything is looked up; the contract
        // tests in `src/http/contracts/tests.rs` cover the parties).
        Row {
            // Any user may ask; without a contract to be a party of, the
            // answer is 404 to those the policy lets through.
            refused_otherwise: &[
                ("cora", StatusCode::NOT_FOUND),
                ("dan", StatusCode::NOT_FOUND),
                ("lin", StatusCode::NOT_FOUND),
                ("bo", StatusCode::NOT_FOUND),
                ("vic", StatusCode::NOT_FOUND),
                ("cli", StatusCode::NOT_FOUND),
                ("pat", StatusCode::NOT_FOUND),
            ],
            ..row(Method::GET, "/v1/contracts/k1", Value::Null, READERS)
        },
        row(
            Method::POST,
            "/v1/contracts/k1/milestones/0/fund",
            Value::Null,
            &["cli"],
        ),
        row(
            Method::POST,
            "/v1/contracts/k1/milestones/0/submit",
            Value::Null,
            &["vic"],
        ),
        row(
            Method::POST,
            "/v1/contracts/k1/milestones/0/accept",
            Value::Null,
            &["cli"],
        ),
        row(
            Method::POST,
            "/v1/contracts/k1/milestones/0/request-changes",
            Value::Null,
            &["cli"],
        ),
        row(
            Method::POST,
            "/v1/contracts/k1/milestones/0/dispute",
            Value::Null,
            &["cli", "vic"],
        ),
        row(
            Method::POST,
            "/v1/contracts/k1/milestones/0/resolve",
            json!({"vendor_cents": 0}),
            ADMIN,
        ),
        row(
            Method::POST,
            "/v1/contracts/k1/reviews",
            json!({"quality": 5, "communication": 5, "timeliness": 5}),
            &["cli", "vic"],
        ),
        row(
            Method::GET,
            "/v1/vendors/vic/statement",
            Value::Null,
            &["vic", "root", "aud"],
        ),
    ];

    // The table covers every secured operation of the API document.
    let document = shop.get("/openapi.json", None, StatusCode::OK).await;
    let secured: BTreeSet<String> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .iter()
                .filter(|(_, op)| op.get("security").is_some())
                .map(move |(method, _)| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    let listed: BTreeSet<String> = secured
        .iter()
        .filter(|operation| {
            table.iter().any(|r| {
                let (method, template) = operation.split_once(' ').expect("method and path");
                r.method.as_str() == method && fits(template, &r.path)
            })
        })
        .cloned()
        .collect();
    let missing: Vec<_> = secured.difference(&listed).collect();
    assert!(missing.is_empty(), "operations without a row: {missing:?}");

    // Auditors read; they are allowed no write (ending their own session
    // aside).
    for r in &table {
        if r.method != Method::GET && r.method != Method::DELETE {
            assert!(
                !r.allowed.contains(&"aud"),
                "{} {} lets auditors write",
                r.method,
                r.path
            );
        }
    }

    let before = events_appended(&shop).await;
    let mut wrong = Vec::new();
    for r in &table {
        let (status, body) = shop
            .send(r.method.clone(), &r.path, None, r.body.clone())
            .await;
        if status != StatusCode::UNAUTHORIZED {
            wrong.push(format!(
                "anonymous {} {}: {status} {body}",
                r.method, r.path
            ));
        }
        for (name, token) in &tokens {
            if r.allowed.contains(name) {
                continue;
            }
            let (status, body) = shop
                .send(r.method.clone(), &r.path, Some(token), r.body.clone())
                .await;
            let problem = body["type"].as_str().unwrap_or_default();
            let expected = r
                .refused_otherwise
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, status)| *status);
            let refused = match expected {
                Some(other) => status == other,
                None => status == StatusCode::FORBIDDEN && problem.ends_with(":forbidden"),
            };
            if !refused {
                wrong.push(format!("{name} {} {}: {status} {body}", r.method, r.path));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "not refused as expected:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        events_appended(&shop).await,
        before,
        "a refused request wrote an event"
    );

    // Reads that name no user show nobody's personal details.
    for (name, token) in &tokens {
        if ["lin", "root", "aud"].contains(name) {
            continue;
        }
        let profile = shop.get("/v1/users/lin", Some(token), StatusCode::OK).await;
        let text = profile.to_string();
        assert!(
            !text.contains("lin@example.org"),
            "{name} sees lin's e-mail: {text}"
        );
    }
}
