//! Technology outsourcing over real TCP: vendor profiles, requirements and
//! bids — post → bid → revise → withdraw → award; sealed bids hidden from
//! other vendors and their amounts from everyone but the client until the
//! award; invited-only requirements; permission denials; concurrent bids
//! and a concurrent award (exactly one wins); search in English and
//! Chinese; hostile inputs answered with problems that change nothing; the
//! whole flow from posting to reviews, with the escrow, the vendor's
//! statement and its reputation on its public view; bids ranked with every
//! part of their score shown.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{Shop, urlencode};
use crate::permissions::{events_appended, with_admin_and_auditor};
use crate::users::login;

/// A requirement body: `visibility` with `invited`, a CNY budget.
fn requirement(id: &str, title: &str, visibility: &str, invited: &[&str]) -> Value {
    json!({
        "id": id, "title": title, "description": "A gateway for WeChat Pay and cards. 支付网关。",
        "skills": ["Rust", "payments"],
        "budget": {"min_cents": 100_000, "max_cents": 900_000, "currency": "CNY"},
        "deadline_days": 60, "bidding_days": 14, "visibility": visibility, "invited": invited,
    })
}

/// A bid of `cents` CNY in two milestones.
fn bid(cents: u64) -> Value {
    json!({
        "price": {"amount_cents": cents, "currency": "CNY"}, "delivery_days": 30,
        "proposal": "We built three gateways.",
        "milestones": [
            {"title": "Design", "amount_cents": cents / 2, "due_day": 7},
            {"title": "Delivery", "amount_cents": cents - cents / 2, "due_day": 30},
        ],
    })
}

/// Registers vendor `id` with a profile of `capacity`; answers its token.
async fn vendor(shop: &Shop, id: &str, capacity: u32) -> String {
    let token = shop.user(id, &["vendor"]).await;
    let profile = json!({
        "skills": ["rust"], "team_size": 4, "capacity": capacity,
        "hourly_rate": {"amount_cents": 20_000, "currency": "CNY"},
        "portfolio": "Payments.", "languages": ["zh", "en"],
    });
    shop.command(Method::PUT, &format!("/v1/vendors/{id}"), &token, profile)
        .await;
    token
}

/// The position of a command's answer.
fn position(answer: &Value) -> u64 {
    answer["position"].as_u64().expect("a position")
}

/// The bids of `id` as `token` sees them, after `at`.
async fn bids(shop: &Shop, id: &str, token: Option<&str>, at: u64) -> Value {
    shop.get(
        &format!("/v1/requirements/{id}/bids?min_position={at}"),
        token,
        StatusCode::OK,
    )
    .await
}

fn vendors_of(bids: &Value) -> Vec<(String, String, Option<u64>)> {
    bids["bids"]
        .as_array()
        .expect("bids")
        .iter()
        .map(|b| {
            (
                b["vendor_id"].as_str().unwrap_or_default().to_owned(),
                b["status"].as_str().unwrap_or_default().to_owned(),
                b["price"]["amount_cents"].as_u64(),
            )
        })
        .collect()
}

#[tokio::test]
async fn post_bid_revise_withdraw_and_award() {
    let shop = Shop::open();
    let cli = shop.user("cli", &["client"]).await;
    let (ann, bob, cyd) = (
        vendor(&shop, "ann", 2).await,
        vendor(&shop, "bob", 2).await,
        vendor(&shop, "cyd", 1).await,
    );
    let posted = shop
        .send(
            Method::POST,
            "/v1/requirements",
            Some(&cli),
            requirement("gw", "Payment gateway", "public", &[]),
        )
        .await;
    assert_eq!(posted.0, StatusCode::CREATED, "{}", posted.1);
    let at = position(&posted.1);
    let read = shop
        .get(
            &format!("/v1/requirements/gw?min_position={at}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(read["status"], "open");
    assert_eq!(read["skills"], json!(["payments", "rust"]));

    // A vendor without a profile cannot bid; one with a profile can, once.
    let bare = shop.user("dee", &["vendor"]).await;
    let (status, problem) = shop
        .send(
            Method::POST,
            "/v1/requirements/gw/bids",
            Some(&bare),
            bid(500_000),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(problem["type"], "urn:agora:problem:vendor-not-found");
    let placed = shop
        .send(
            Method::POST,
            "/v1/requirements/gw/bids",
            Some(&ann),
            bid(500_000),
        )
        .await;
    assert_eq!(placed.0, StatusCode::CREATED, "{}", placed.1);
    assert_eq!(placed.1["vendor_id"], "ann");
    let (status, problem) = shop
        .send(
            Method::POST,
            "/v1/requirements/gw/bids",
            Some(&ann),
            bid(400_000),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:agora:problem:bid-exists");
    shop.command(Method::POST, "/v1/requirements/gw/bids", &bob, bid(600_000))
        .await;
    shop.command(Method::POST, "/v1/requirements/gw/bids", &cyd, bid(700_000))
        .await;

    // After the first bid, only extensions.
    let (status, problem) = shop
        .send(
            Method::PATCH,
            "/v1/requirements/gw",
            Some(&cli),
            json!({"title": "Another"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["type"], "urn:agora:problem:requirement-conflict");
    shop.command(
        Method::PATCH,
        "/v1/requirements/gw",
        &cli,
        json!({"bidding_days": 20, "deadline_days": 90}),
    )
    .await;

    // Revise, withdraw.
    shop.command(
        Method::PUT,
        "/v1/requirements/gw/bids/ann",
        &ann,
        bid(450_000),
    )
    .await;
    let (status, _) = shop
        .send(
            Method::PUT,
            "/v1/requirements/gw/bids/ann",
            Some(&bob),
            bid(1),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let withdrawn = shop
        .command(
            Method::DELETE,
            "/v1/requirements/gw/bids/bob",
            &bob,
            Value::Null,
        )
        .await;
    let seen = bids(&shop, "gw", None, position(&withdrawn)).await;
    assert_eq!(
        vendors_of(&seen),
        [
            ("ann".into(), "live".into(), Some(450_000)),
            ("bob".into(), "withdrawn".into(), Some(600_000)),
            ("cyd".into(), "live".into(), Some(700_000)),
        ]
    );
    assert_eq!(seen["live_bids"], 2);

    // The award names the contract (the requirement's id) and declines
    // the others; nothing more can change.
    let awarded = shop
        .send(
            Method::POST,
            "/v1/requirements/gw/award",
            Some(&cli),
            json!({"vendor_id": "ann"}),
        )
        .await;
    assert_eq!(awarded.0, StatusCode::CREATED, "{}", awarded.1);
    assert_eq!(awarded.1["contract_id"], "gw");
    let at = position(&awarded.1);
    let seen = bids(&shop, "gw", None, at).await;
    assert_eq!(
        vendors_of(&seen)
            .into_iter()
            .map(|(v, s, _)| (v, s))
            .collect::<Vec<_>>(),
        [
            ("ann".into(), "awarded".into()),
            ("bob".into(), "withdrawn".into()),
            ("cyd".into(), "declined".into()),
        ]
    );
    let read = shop
        .get(
            &format!("/v1/requirements/gw?min_position={at}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (read["status"].as_str(), read["contract_id"].as_str()),
        (Some("awarded"), Some("gw"))
    );
    let (status, problem) = shop
        .send(
            Method::POST,
            "/v1/requirements/gw/bids",
            Some(&bob),
            bid(1_000),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // cyd (capacity 1) won nothing: bids unmarked. ann (capacity 2) has one
    // award; a second award fills her capacity, so her next bid is marked.
    shop.command(
        Method::POST,
        "/v1/requirements",
        &cli,
        requirement("gw2", "Second gateway", "public", &[]),
    )
    .await;
    shop.command(
        Method::POST,
        "/v1/requirements/gw2/bids",
        &ann,
        bid(100_000),
    )
    .await;
    let awarded = shop
        .command(
            Method::POST,
            "/v1/requirements/gw2/award",
            &cli,
            json!({"vendor_id": "ann"}),
        )
        .await;
    shop.command(
        Method::POST,
        "/v1/requirements",
        &cli,
        requirement("gw3", "Third gateway", "public", &[]),
    )
    .await;
    // The load is read from the view: wait until it shows the award.
    bids(&shop, "gw2", None, position(&awarded)).await;
    let marked = shop
        .command(
            Method::POST,
            "/v1/requirements/gw3/bids",
            &ann,
            bid(100_000),
        )
        .await;
    let seen = bids(&shop, "gw3", None, position(&marked)).await;
    assert_eq!(seen["bids"][0]["at_capacity"], true, "{seen}");

    // Replaying from the log alone gives the same answers.
    let shop = shop.restart_without_projections();
    let seen = bids(&shop, "gw", None, at).await;
    assert_eq!(seen["bids"][0]["status"], "awarded");
    let vendor = shop.get("/v1/vendors/ann", None, StatusCode::OK).await;
    assert_eq!(vendor["capacity"], 2);
    assert_eq!(vendor["languages"], json!(["en", "zh"]));
}

/// The escrow totals of a contract: funded, released, refunded, held.
fn escrow(contract: &Value) -> [i64; 4] {
    let e = &contract["escrow"];
    [
        "funded_cents",
        "released_cents",
        "refunded_cents",
        "held_cents",
    ]
    .map(|k| e[k].as_i64().expect("an escrow total"))
}

#[tokio::test]
async fn post_bid_award_fund_submit_accept_and_review_over_http() {
    let shop = Shop::open();
    let cli = shop.user("cli", &["client"]).await;
    let ann = vendor(&shop, "ann", 2).await;
    let requirement = requirement("gw", "Payment gateway", "public", &[]);
    shop.command(Method::POST, "/v1/requirements", &cli, requirement)
        .await;
    shop.command(Method::POST, "/v1/requirements/gw/bids", &ann, bid(500_000))
        .await;
    let (status, awarded) = shop
        .send(
            Method::POST,
            "/v1/requirements/gw/award",
            Some(&cli),
            json!({"vendor_id": "ann"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{awarded}");
    assert_eq!(awarded["contract_id"], "gw");
    let mut at = position(&awarded);

    // The award is the vendor's load; no review yet: the prior's score.
    let view = shop
        .get(
            &format!("/v1/vendors/ann?min_position={at}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(view["reputation"]["open_contracts"], 1, "{view}");
    assert_eq!(view["reputation"]["reviews"], 0, "{view}");
    assert_eq!(
        view["reputation"]["score"],
        view["reputation"]["prior_mean"]
    );

    let contract_at = |at: u64| format!("/v1/contracts/gw?min_position={at}");
    let contract = shop.get(&contract_at(at), Some(&cli), StatusCode::OK).await;
    assert_eq!(contract["status"], "open");
    assert_eq!(contract["vendor_id"], "ann");
    let amounts: Vec<u64> = contract["milestones"]
        .as_array()
        .expect("milestones")
        .iter()
        .map(|m| m["amount_cents"].as_u64().expect("an amount"))
        .collect();
    assert_eq!(amounts, [250_000, 250_000]);
    assert_eq!(escrow(&contract), [0; 4]);

    // Each milestone: funded into escrow, submitted, accepted (released).
    for (index, amount) in amounts.iter().enumerate() {
        let amount = i64::try_from(*amount).expect("small");
        let before = i64::try_from(index).expect("small") * amount;
        let milestone = format!("/v1/contracts/gw/milestones/{index}");
        let funded = shop
            .command(
                Method::POST,
                &format!("{milestone}/fund"),
                &cli,
                Value::Null,
            )
            .await;
        let contract = shop
            .get(&contract_at(position(&funded)), Some(&ann), StatusCode::OK)
            .await;
        assert_eq!(contract["milestones"][index]["stage"], "in_progress");
        assert_eq!(escrow(&contract), [before + amount, before, 0, amount]);
        let note = json!({"note": "Staging build."});
        shop.command(Method::POST, &format!("{milestone}/submit"), &ann, note)
            .await;
        let accepted = shop
            .command(
                Method::POST,
                &format!("{milestone}/accept"),
                &cli,
                Value::Null,
            )
            .await;
        at = position(&accepted);
        let contract = shop.get(&contract_at(at), Some(&cli), StatusCode::OK).await;
        assert_eq!(contract["milestones"][index]["stage"], "accepted");
        assert_eq!(escrow(&contract), [before + amount, before + amount, 0, 0]);
    }
    let contract = shop.get(&contract_at(at), Some(&cli), StatusCode::OK).await;
    assert_eq!(contract["status"], "completed", "{contract}");

    // The vendor was paid each release minus the 10 % outsourcing fee.
    let statement = shop
        .get(
            &format!("/v1/vendors/ann/statement?min_position={at}"),
            Some(&ann),
            StatusCode::OK,
        )
        .await;
    assert_eq!(statement["closing"]["CNY"], 450_000, "{statement}");
    let entries = statement["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{statement}");
    assert!(
        entries.iter().all(|e| e["source"] == "outsourcing"),
        "{statement}"
    );

    // Both sides review; the client's review is the vendor's reputation.
    let review = json!({"quality": 5, "communication": 4, "timeliness": 5, "text": "On time."});
    shop.command(Method::POST, "/v1/contracts/gw/reviews", &cli, review)
        .await;
    let back = json!({"quality": 3, "communication": 3, "timeliness": 3});
    let reviewed = shop
        .command(Method::POST, "/v1/contracts/gw/reviews", &ann, back)
        .await;
    let view = shop
        .get(
            &format!("/v1/vendors/ann?min_position={}", position(&reviewed)),
            None,
            StatusCode::OK,
        )
        .await;
    let reputation = &view["reputation"];
    assert_eq!(reputation["reviews"], 1, "{view}");
    assert_eq!(reputation["open_contracts"], 0, "{view}");
    assert_eq!(reputation["completed_contracts"], 1, "{view}");
    let mean = reputation["mean"].as_f64().expect("a mean");
    assert!((mean - 14.0 / 3.0).abs() < 1e-9, "{view}");
    let (score, prior) = (
        reputation["score"].as_f64().expect("a score"),
        reputation["prior_mean"].as_f64().expect("a prior"),
    );
    assert!(score > prior.min(mean) && score < prior.max(mean), "{view}");
    assert_eq!(
        view,
        shop.get("/v1/vendors/ann", None, StatusCode::OK).await,
        "the public view is the same without min_position"
    );
}

#[tokio::test]
async fn ranked_bids_show_every_part_best_first_to_the_client_and_oversight() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let cli = shop.user("cli", &["client"]).await;
    let (ann, bob, cyd) = (
        vendor(&shop, "ann", 2).await,
        vendor(&shop, "bob", 2).await,
        vendor(&shop, "cyd", 2).await,
    );
    for (id, visibility) in [("pub", "public"), ("seal", "sealed")] {
        let body = requirement(id, "Payment gateway", visibility, &[]);
        shop.command(Method::POST, "/v1/requirements", &cli, body)
            .await;
        // The cheaper bid wins on price; everything else is equal.
        for (token, cents) in [(&ann, 100_000), (&bob, 900_000), (&cyd, 500_000)] {
            let path = format!("/v1/requirements/{id}/bids");
            shop.command(Method::POST, &path, token, bid(cents)).await;
        }
    }
    let withdrawn = shop
        .command(
            Method::DELETE,
            "/v1/requirements/pub/bids/cyd",
            &cyd,
            Value::Null,
        )
        .await;
    let at = position(&withdrawn);
    let ranked = |id: &str| format!("/v1/requirements/{id}/bids?rank=true&min_position={at}");

    let answer = shop.get(&ranked("pub"), Some(&cli), StatusCode::OK).await;
    let ranking = &answer["ranking"];
    // Tests run without the model workers: the semantic part is left out
    // (weight 0) and the answer says why.
    assert_eq!(ranking["semantic"], false, "{answer}");
    assert!(ranking["semantic_unavailable"].is_string(), "{answer}");
    let order: Vec<&str> = ranking["bids"]
        .as_array()
        .expect("ranked bids")
        .iter()
        .filter_map(|b| b["vendor_id"].as_str())
        .collect();
    assert_eq!(
        order,
        ["ann", "bob"],
        "live bids only, the cheaper first: {answer}"
    );
    for ranked in ranking["bids"].as_array().expect("ranked bids") {
        let score = ranked["score"].as_f64().expect("a score");
        assert!((0.0..=1.0).contains(&score), "{ranked}");
        let parts = ranked["parts"].as_array().expect("parts");
        let kinds: Vec<&str> = parts.iter().filter_map(|p| p["part"].as_str()).collect();
        assert_eq!(
            kinds,
            [
                "semantic",
                "skills",
                "price",
                "delivery",
                "reputation",
                "load"
            ]
        );
        let sum = |key: &str| parts.iter().filter_map(|p| p[key].as_f64()).sum::<f64>();
        assert!((sum("weight") - 1.0).abs() < 1e-9, "{ranked}");
        assert!((sum("contribution") - score).abs() < 1e-9, "{ranked}");
        assert_eq!(parts[0]["weight"], 0.0, "{ranked}");
        assert!(parts.iter().all(|p| p["reason"].is_string()), "{ranked}");
    }
    // Without rank=true nothing is ranked.
    let plain = shop
        .get(
            &format!("/v1/requirements/pub/bids?min_position={at}"),
            Some(&cli),
            StatusCode::OK,
        )
        .await;
    assert!(plain.get("ranking").is_none(), "{plain}");

    // Oversight ranks a public requirement; vendors and strangers never;
    // on a sealed one only the client (amounts are sealed from the rest).
    let admin = shop.get(&ranked("pub"), Some(&root), StatusCode::OK).await;
    assert_eq!(admin["ranking"], answer["ranking"]);
    for (id, token) in [
        ("pub", Some(ann.as_str())),
        ("pub", None),
        ("seal", Some(root.as_str())),
        ("seal", Some(bob.as_str())),
    ] {
        let (status, problem) = shop
            .send(Method::GET, &ranked(id), token, Value::Null)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{id}: {problem}");
        assert_eq!(problem["type"], "urn:agora:problem:forbidden", "{problem}");
    }
    let sealed = shop.get(&ranked("seal"), Some(&cli), StatusCode::OK).await;
    assert_eq!(sealed["ranking"]["bids"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn sealed_bids_and_invited_requirements_show_only_what_each_may_see() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let cli = shop.user("cli", &["client"]).await;
    let (ann, bob, cyd) = (
        vendor(&shop, "ann", 3).await,
        vendor(&shop, "bob", 3).await,
        vendor(&shop, "cyd", 3).await,
    );
    shop.command(
        Method::POST,
        "/v1/requirements",
        &cli,
        requirement("sealed", "Sealed tender", "sealed", &[]),
    )
    .await;
    shop.command(
        Method::POST,
        "/v1/requirements/sealed/bids",
        &ann,
        bid(300_000),
    )
    .await;
    let last = shop
        .command(
            Method::POST,
            "/v1/requirements/sealed/bids",
            &bob,
            bid(400_000),
        )
        .await;
    let at = position(&last);
    let as_ann = bids(&shop, "sealed", Some(&ann), at).await;
    assert_eq!(
        vendors_of(&as_ann),
        [("ann".into(), "live".into(), Some(300_000))]
    );
    assert_eq!(
        (as_ann["sealed"].as_bool(), as_ann["live_bids"].as_u64()),
        (Some(true), Some(2))
    );
    let as_cyd = bids(&shop, "sealed", Some(&cyd), at).await;
    assert!(vendors_of(&as_cyd).is_empty(), "{as_cyd}");
    let anonymous = bids(&shop, "sealed", None, at).await;
    assert!(vendors_of(&anonymous).is_empty(), "{anonymous}");
    let as_admin = bids(&shop, "sealed", Some(&root), at).await;
    assert_eq!(
        vendors_of(&as_admin),
        [
            ("ann".into(), "live".into(), None),
            ("bob".into(), "live".into(), None),
        ]
    );
    assert!(as_admin["bids"][0]["milestones"][0]["amount_cents"].is_null());
    let as_client = bids(&shop, "sealed", Some(&cli), at).await;
    assert_eq!(
        vendors_of(&as_client),
        [
            ("ann".into(), "live".into(), Some(300_000)),
            ("bob".into(), "live".into(), Some(400_000)),
        ]
    );
    assert_eq!(as_client["sealed"], false);
    // After the award everything is open.
    let awarded = shop
        .command(
            Method::POST,
            "/v1/requirements/sealed/award",
            &cli,
            json!({"vendor_id": "bob"}),
        )
        .await;
    let as_cyd = bids(&shop, "sealed", Some(&cyd), position(&awarded)).await;
    assert_eq!(
        vendors_of(&as_cyd),
        [
            ("ann".into(), "declined".into(), Some(300_000)),
            ("bob".into(), "awarded".into(), Some(400_000)),
        ]
    );

    // Invited-only: the uninvited neither see nor bid; the invited do.
    let posted = shop
        .command(
            Method::POST,
            "/v1/requirements",
            &cli,
            requirement("inv", "Invited tender", "invited", &["ann"]),
        )
        .await;
    let at = position(&posted);
    for token in [Some(bob.as_str()), None] {
        let (status, problem) = shop
            .send(
                Method::GET,
                &format!("/v1/requirements/inv?min_position={at}"),
                token,
                Value::Null,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        assert_eq!(problem["type"], "urn:agora:problem:requirement-not-found");
    }
    let (status, _) = shop
        .send(
            Method::POST,
            "/v1/requirements/inv/bids",
            Some(&bob),
            bid(1_000),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let listed = |body: &Value| -> Vec<String> {
        body["requirements"]
            .as_array()
            .expect("requirements")
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    let for_bob = shop
        .get(
            &format!("/v1/requirements?min_position={at}"),
            Some(&bob),
            StatusCode::OK,
        )
        .await;
    assert!(!listed(&for_bob).contains(&"inv".to_owned()), "{for_bob}");
    let for_ann = shop
        .get(
            &format!("/v1/requirements?min_position={at}"),
            Some(&ann),
            StatusCode::OK,
        )
        .await;
    assert!(listed(&for_ann).contains(&"inv".to_owned()), "{for_ann}");
    let read = shop
        .get("/v1/requirements/inv", Some(&ann), StatusCode::OK)
        .await;
    assert!(
        read.get("invited").is_none(),
        "only the client sees the list"
    );
    let read = shop
        .get("/v1/requirements/inv", Some(&cli), StatusCode::OK)
        .await;
    assert_eq!(read["invited"], json!(["ann"]));
    shop.command(Method::POST, "/v1/requirements/inv/bids", &ann, bid(1_000))
        .await;
}

#[tokio::test]
async fn vendors_cannot_award_clients_cannot_bid_on_their_own_and_auditors_write_nothing() {
    let shop = with_admin_and_auditor();
    let aud = login(&shop.client, &shop.server, "aud", crate::catalog::PASSWORD).await;
    let both = shop.user("both", &["client", "vendor"]).await;
    shop.command(
        Method::PUT,
        "/v1/vendors/both",
        &both,
        json!({"skills": [], "team_size": 1, "capacity": 1,
               "hourly_rate": {"amount_cents": 1, "currency": "CNY"}}),
    )
    .await;
    let ann = vendor(&shop, "ann", 1).await;
    shop.command(
        Method::POST,
        "/v1/requirements",
        &both,
        requirement("own", "Own", "public", &[]),
    )
    .await;
    let (status, problem) = shop
        .send(
            Method::POST,
            "/v1/requirements/own/bids",
            Some(&both),
            bid(1_000),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("own requirement")),
        "{problem}"
    );
    let placed = shop
        .command(Method::POST, "/v1/requirements/own/bids", &ann, bid(1_000))
        .await;
    let before = events_appended(&shop).await;
    let (status, _) = shop
        .send(
            Method::POST,
            "/v1/requirements/own/award",
            Some(&ann),
            json!({"vendor_id": "ann"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a vendor cannot award");
    for (method, path, body) in [
        (
            Method::POST,
            "/v1/requirements/own/award",
            json!({"vendor_id": "ann"}),
        ),
        (Method::POST, "/v1/requirements/own/bids", bid(1_000)),
        (Method::POST, "/v1/requirements/own/cancel", Value::Null),
        (Method::PUT, "/v1/vendors/ann", Value::Null),
        (
            Method::POST,
            "/v1/requirements",
            requirement("a1", "A", "public", &[]),
        ),
    ] {
        let (status, problem) = shop.send(method.clone(), path, Some(&aud), body).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "auditor {method} {path}: {problem}"
        );
    }
    assert_eq!(
        events_appended(&shop).await,
        before,
        "a refused request wrote"
    );
    // The auditor reads everything, sealed amounts aside.
    let seen = bids(&shop, "own", Some(&aud), position(&placed)).await;
    assert_eq!(
        vendors_of(&seen),
        [("ann".into(), "live".into(), Some(1_000))]
    );
}

#[tokio::test]
async fn concurrent_bids_all_land_and_of_two_racing_awards_exactly_one_wins() {
    let shop = Shop::open();
    let cli = shop.user("cli", &["client"]).await;
    let mut vendors = Vec::new();
    for i in 0..8 {
        let id = format!("v{i}");
        let token = vendor(&shop, &id, 5).await;
        vendors.push((id, token));
    }
    shop.command(
        Method::POST,
        "/v1/requirements",
        &cli,
        requirement("race", "Race", "public", &[]),
    )
    .await;
    let placed = futures::future::join_all(vendors.iter().enumerate().map(|(i, (_, token))| {
        shop.send(
            Method::POST,
            "/v1/requirements/race/bids",
            Some(token),
            bid(100_000 + i as u64),
        )
    }))
    .await;
    let mut last = 0;
    for (status, answer) in &placed {
        assert_eq!(*status, StatusCode::CREATED, "{answer}");
        last = last.max(position(answer));
    }
    let seen = bids(&shop, "race", None, last).await;
    assert_eq!(seen["live_bids"], 8);
    // Three awards at once, for three different bids.
    let awards = futures::future::join_all(["v1", "v2", "v3"].map(|v| {
        shop.send(
            Method::POST,
            "/v1/requirements/race/award",
            Some(&cli),
            json!({"vendor_id": v}),
        )
    }))
    .await;
    let won: Vec<&Value> = awards
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, a)| a)
        .collect();
    assert_eq!(won.len(), 1, "{awards:?}");
    for (status, problem) in awards.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(problem["type"], "urn:agora:problem:requirement-conflict");
    }
    let seen = bids(&shop, "race", None, position(won[0])).await;
    let statuses: Vec<String> = vendors_of(&seen).into_iter().map(|(_, s, _)| s).collect();
    assert_eq!(statuses.iter().filter(|s| *s == "awarded").count(), 1);
    assert_eq!(statuses.iter().filter(|s| *s == "declined").count(), 7);
}

#[tokio::test]
async fn open_requirements_are_searched_in_english_and_chinese_with_filters_and_cursors() {
    let shop = Shop::open();
    let cli = shop.user("cli", &["client"]).await;
    let mut last = 0;
    for (id, title, description, skill, max) in [
        (
            "r-en",
            "Payment gateway",
            "Cards and wallets.",
            "rust",
            900_000,
        ),
        (
            "r-zh",
            "支付系统开发",
            "需要对接微信支付。",
            "java",
            500_000,
        ),
        (
            "r-ml",
            "Recommendation engine",
            "Matrix factorization.",
            "python",
            2_000_000,
        ),
    ] {
        let body = json!({
            "id": id, "title": title, "description": description, "skills": [skill],
            "budget": {"min_cents": 100_000, "max_cents": max, "currency": "CNY"},
            "deadline_days": 30, "bidding_days": 10, "visibility": "public",
        });
        last = position(
            &shop
                .command(Method::POST, "/v1/requirements", &cli, body)
                .await,
        );
    }
    let ids = |body: &Value| -> Vec<String> {
        body["requirements"]
            .as_array()
            .expect("requirements")
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    let get = |query: String| {
        let shop = &shop;
        async move {
            shop.get(
                &format!("/v1/requirements?min_position={last}&{query}"),
                None,
                StatusCode::OK,
            )
            .await
        }
    };
    assert_eq!(ids(&get("q=gateway".into()).await), ["r-en"]);
    assert_eq!(ids(&get("q=paym".into()).await), ["r-en"], "prefix");
    assert_eq!(
        ids(&get(format!("q={}", urlencode("微信支付"))).await),
        ["r-zh"]
    );
    assert_eq!(ids(&get("skill=Python".into()).await), ["r-ml"]);
    assert_eq!(ids(&get("min_budget=1000000".into()).await), ["r-ml"]);
    assert_eq!(
        ids(&get("max_budget=50000".into()).await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&get("sort=budget".into()).await),
        ["r-ml", "r-en", "r-zh"]
    );
    let first = get("sort=budget&limit=2".into()).await;
    assert_eq!(ids(&first), ["r-ml", "r-en"]);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = get(format!("sort=budget&limit=2&cursor={}", urlencode(cursor))).await;
    assert_eq!(ids(&second), ["r-zh"]);
    assert!(second["next_cursor"].is_null());
    // Closed once the window passes (the manual clock), listed as such.
    let root = shop.admin().await;
    shop.advance_days(&root, 11).await;
    assert!(ids(&get(String::new()).await).is_empty());
    assert_eq!(ids(&get("status=closed&sort=budget".into()).await).len(), 3);
    for bad in ["status=done", "sort=price", "limit=0", "cursor=zz"] {
        let (status, problem) = shop
            .send(
                Method::GET,
                &format!("/v1/requirements?{bad}"),
                None,
                Value::Null,
            )
            .await;
        assert!(status.is_client_error(), "{bad}: {status} {problem}");
    }
}

#[tokio::test]
async fn hostile_requirements_and_bids_get_problems_and_change_nothing() {
    let shop = Shop::open();
    let cli = shop.user("cli", &["client"]).await;
    let ann = vendor(&shop, "ann", 1).await;
    shop.command(
        Method::POST,
        "/v1/requirements",
        &cli,
        requirement("h", "Hostile", "public", &[]),
    )
    .await;
    let before = events_appended(&shop).await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = bid(100_000);
        f(&mut body);
        body
    };
    let many: Vec<Value> = (0..10_000)
        .map(|_| json!({"title": "m", "amount_cents": 10, "due_day": 1}))
        .collect();
    let (a, c) = (ann.as_str(), cli.as_str());
    let cases: Vec<(&str, Method, &str, &str, Value, u16)> = vec![
        (
            "huge proposal",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["proposal"] = json!("字".repeat(20_001))),
            422,
        ),
        (
            "10,000 milestones",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["milestones"] = json!(many.clone())),
            422,
        ),
        (
            "milestones off by one",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["milestones"][0]["amount_cents"] = json!(1)),
            422,
        ),
        (
            "price past the ceiling",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["price"]["amount_cents"] = json!(1_000_000_000_001u64)),
            422,
        ),
        (
            "price past u64",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["price"]["amount_cents"] = json!(18446744073709551615u64)),
            422,
        ),
        (
            "negative price",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["price"]["amount_cents"] = json!(-1)),
            400,
        ),
        (
            "unknown currency",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["price"]["currency"] = json!("XYZ")),
            422,
        ),
        (
            "zero days",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["delivery_days"] = json!(0)),
            422,
        ),
        (
            "days past u32",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["delivery_days"] = json!(5_000_000_000u64)),
            400,
        ),
        (
            "due after delivery",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["milestones"][1]["due_day"] = json!(31)),
            422,
        ),
        (
            "unknown field",
            Method::POST,
            "/v1/requirements/h/bids",
            a,
            with(&|b| b["x"] = json!(1)),
            400,
        ),
        (
            "budget inverted",
            Method::POST,
            "/v1/requirements",
            c,
            {
                let mut r = requirement("h2", "H", "public", &[]);
                r["budget"]["min_cents"] = json!(1_000_000);
                r
            },
            422,
        ),
        (
            "budget past the ceiling",
            Method::POST,
            "/v1/requirements",
            c,
            {
                let mut r = requirement("h3", "H", "public", &[]);
                r["budget"]["max_cents"] = json!(1_000_000_000_001u64);
                r
            },
            422,
        ),
        (
            "bidding for years",
            Method::POST,
            "/v1/requirements",
            c,
            {
                let mut r = requirement("h4", "H", "public", &[]);
                r["bidding_days"] = json!(100_000);
                r
            },
            422,
        ),
        (
            "invited without invitees",
            Method::POST,
            "/v1/requirements",
            c,
            requirement("h5", "H", "invited", &[]),
            422,
        ),
        (
            "bad id",
            Method::POST,
            "/v1/requirements",
            c,
            requirement(&"x".repeat(65), "H", "public", &[]),
            400,
        ),
        (
            "capacity 0",
            Method::PUT,
            "/v1/vendors/ann",
            a,
            json!({"skills": [], "team_size": 1, "capacity": 0,
                   "hourly_rate": {"amount_cents": 1, "currency": "CNY"}}),
            422,
        ),
        (
            "rate past the ceiling",
            Method::PUT,
            "/v1/vendors/ann",
            a,
            json!({"skills": [], "team_size": 1, "capacity": 1,
                   "hourly_rate": {"amount_cents": 1_000_000_000_001u64, "currency": "CNY"}}),
            422,
        ),
        (
            "award nobody",
            Method::POST,
            "/v1/requirements/h/award",
            c,
            json!({"vendor_id": "nobody"}),
            404,
        ),
        (
            "withdraw nothing",
            Method::DELETE,
            "/v1/requirements/h/bids/ann",
            a,
            Value::Null,
            404,
        ),
    ];
    for (what, method, path, token, body, expected) in cases {
        let (status, problem) = shop.send(method, path, Some(token), body).await;
        assert_eq!(status.as_u16(), expected, "{what}: {problem}");
    }
    assert_eq!(
        events_appended(&shop).await,
        before,
        "a refused request wrote"
    );
    let (status, body) = shop.send(Method::GET, "/readyz", None, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn sigkill_during_a_bid_flood_loses_no_acknowledged_bid() {
    const REQUIREMENTS: usize = 100;
    let shop = Shop::open();
    let cli = shop.user("cli", &["client"]).await;
    let mut vendors = Vec::new();
    for i in 0..16 {
        let id = format!("fv{i}");
        let token = vendor(&shop, &id, 100).await;
        vendors.push((id, token));
    }
    for r in 0..REQUIREMENTS {
        shop.command(
            Method::POST,
            "/v1/requirements",
            &cli,
            requirement(&format!("fr{r}"), "Flood", "public", &[]),
        )
        .await;
    }
    let acked: std::sync::Arc<crate::users::acked::Acked> = Default::default();
    // Every vendor bids on every requirement until the server dies.
    let writers: Vec<_> = vendors
        .iter()
        .map(|(id, token)| {
            let (client, url, acked) =
                (shop.client.clone(), shop.server.url.clone(), acked.clone());
            let (id, token) = (id.clone(), token.clone());
            tokio::spawn(async move {
                for r in 0..REQUIREMENTS {
                    let path = format!("{url}/v1/requirements/fr{r}/bids");
                    match client
                        .post(&path)
                        .bearer_auth(&token)
                        .json(&bid(10_000))
                        .send()
                        .await
                    {
                        Ok(answer) if answer.status().is_success() => {
                            let reply: Value = answer.json().await.expect("reply");
                            let position = reply["position"].as_u64().expect("position");
                            acked.push(format!("fr{r} {id}"), position);
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    assert!(
        acked
            .at_least(300, std::time::Duration::from_secs(60))
            .await,
        "the flood placed too few bids"
    );
    let Shop {
        sandbox,
        server,
        client,
    } = shop;
    drop(server); // SIGKILL, mid-flood
    for writer in writers {
        writer.await.expect("writer");
    }
    let acked = acked.take();
    let server = Shop::serve(&sandbox);
    let shop = Shop {
        sandbox,
        server,
        client,
    };
    let max_position = acked.values().copied().max().unwrap_or(0);
    let mut live = std::collections::BTreeSet::new();
    for r in 0..REQUIREMENTS {
        let seen = bids(&shop, &format!("fr{r}"), None, max_position).await;
        for (vendor, status, _) in vendors_of(&seen) {
            assert_eq!(status, "live");
            live.insert(format!("fr{r} {vendor}"));
        }
    }
    let lost: Vec<&String> = acked.keys().filter(|k| !live.contains(*k)).collect();
    assert!(lost.is_empty(), "acknowledged bids lost: {lost:?}");
    let Shop {
        sandbox, server, ..
    } = shop;
    assert!(server.terminate().success());
    let mut args = vec!["verify".to_string()];
    args.extend(sandbox.data_dir_args());
    sandbox.run(args).success();
}

#[tokio::test]
async fn vendor_suggestions_rank_who_has_not_bid_for_the_client_and_oversight() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let cli = shop.user("cli", &["client"]).await;
    let (ann, _bob) = (vendor(&shop, "ann", 2).await, vendor(&shop, "bob", 2).await);
    // A vendor whose skills do not match.
    let pat = shop.user("pat", &["vendor"]).await;
    let painter = json!({
        "skills": ["painting"], "team_size": 1, "capacity": 2,
        "hourly_rate": {"amount_cents": 20_000, "currency": "CNY"},
        "portfolio": "Murals.", "languages": ["en"],
    });
    shop.command(Method::PUT, "/v1/vendors/pat", &pat, painter)
        .await;
    let body = requirement("gw", "Payment gateway", "public", &[]);
    shop.command(Method::POST, "/v1/requirements", &cli, body)
        .await;
    let bid = shop
        .command(Method::POST, "/v1/requirements/gw/bids", &ann, bid(300_000))
        .await;
    let at = position(&bid);
    let path = |k: &str| format!("/v1/requirements/gw/vendors?min_position={at}{k}");

    let answer = shop.get(&path(""), Some(&cli), StatusCode::OK).await;
    assert_eq!(answer["requirement_id"], "gw", "{answer}");
    // Tests run without the model workers: ranked by the other parts.
    assert_eq!(answer["semantic"], false, "{answer}");
    assert!(answer["semantic_unavailable"].is_string(), "{answer}");
    let order: Vec<&str> = answer["vendors"]
        .as_array()
        .expect("vendors")
        .iter()
        .filter_map(|v| v["vendor_id"].as_str())
        .collect();
    // ann has bid already; bob's skills fit better than pat's.
    assert_eq!(order, ["bob", "pat"], "{answer}");
    for suggested in answer["vendors"].as_array().expect("vendors") {
        let score = suggested["score"].as_f64().expect("a score");
        assert!((0.0..=1.0).contains(&score), "{suggested}");
        let parts = suggested["parts"].as_array().expect("parts");
        let sum = |key: &str| parts.iter().filter_map(|p| p[key].as_f64()).sum::<f64>();
        assert!((sum("contribution") - score).abs() < 1e-9, "{suggested}");
    }
    let one = shop.get(&path("&k=1"), Some(&cli), StatusCode::OK).await;
    assert_eq!(one["vendors"].as_array().map(Vec::len), Some(1), "{one}");
    let admin = shop.get(&path(""), Some(&root), StatusCode::OK).await;
    assert_eq!(admin["vendors"], answer["vendors"]);

    for (k, status) in [
        ("&k=0", StatusCode::BAD_REQUEST),
        ("&k=51", StatusCode::BAD_REQUEST),
    ] {
        let (got, problem) = shop
            .send(Method::GET, &path(k), Some(&cli), Value::Null)
            .await;
        assert_eq!(got, status, "{k}: {problem}");
    }
    for (token, status) in [
        (Some(ann.as_str()), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (got, problem) = shop.send(Method::GET, &path(""), token, Value::Null).await;
        assert_eq!(got, status, "{problem}");
    }
    // Another client is refused: the requirement is not theirs.
    let other = shop.user("oth", &["client"]).await;
    let (got, problem) = shop
        .send(Method::GET, &path(""), Some(&other), Value::Null)
        .await;
    assert_eq!(got, StatusCode::FORBIDDEN, "{problem}");
}
