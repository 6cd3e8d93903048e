//! The revenue ledger over real TCP: a sale of a partner's item splits into
//! creator, platform and partner entries adding up to the price, its refund
//! reverses them exactly, a share change affects later sales only,
//! statements cover a period (with the manual clock), and each role reads
//! only what it may.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::partners::{Market, item};

/// The manual clock's step: ten hours (sessions live 24 hours).
const STEP_SECS: u64 = 10 * 3_600;

/// Starts a market on the manual clock with partner `acme` (share 15 %,
/// user `acme-bot`), creator `cora`, learners `leo` and `mia`, and
/// `p-acme-42` (by cora, 10.00 CNY) imported. Returns the tokens.
async fn market() -> (Market, [String; 4]) {
    let m = Market::start(&[("AGORA_MANUAL_CLOCK", "true")]).await;
    let bot = m.user("acme-bot", &["partner"]).await;
    let cora = m.user("cora", &["creator"]).await;
    let leo = m.user("leo", &["learner"]).await;
    let mia = m.user("mia", &["learner"]).await;
    m.partner("acme", "acme-bot", 1_500).await;
    let mut listed = item("42", 1_000);
    listed["creator_id"] = json!("cora");
    let (status, answer) = m.import(&bot, "acme", vec![listed]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["created"], 1, "{answer}");
    (m, [bot, cora, leo, mia])
}

/// `token` buys `id`; answers the reply.
async fn buy(m: &Market, token: &str, id: &str) -> Value {
    let (status, answer) = m
        .send(
            Method::POST,
            &format!("/v1/contents/{id}/purchases"),
            Some(token),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer
}

/// `token` reads the statement at `path` (with its query) once the ledger
/// applied `position`.
async fn statement(m: &Market, token: &str, path: &str, position: &Value) -> Value {
    let position = position.as_u64().expect("position");
    let separator = if path.contains('?') { '&' } else { '?' };
    let (status, answer) = m
        .send(
            Method::GET,
            &format!("{path}{separator}min_position={position}"),
            Some(token),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

fn amounts(statement: &Value) -> Vec<i64> {
    statement["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["amount_cents"].as_i64().expect("amount"))
        .collect()
}

#[tokio::test]
async fn a_partner_sale_splits_three_ways_and_its_refund_reverses_it() {
    let (m, [bot, cora, leo, _]) = market().await;
    let bought = buy(&m, &leo, "p-acme-42").await;
    let at = &bought["position"];

    let creator = statement(&m, &cora, "/v1/creators/cora/statement", at).await;
    let platform = statement(&m, &m.auditor, "/v1/ledger/platform", at).await;
    let partner = statement(&m, &bot, "/v1/partners/acme/statement", at).await;
    assert_eq!(amounts(&creator), [650]);
    assert_eq!(amounts(&platform), [200]);
    assert_eq!(amounts(&partner), [150]);
    assert_eq!(creator["closing"], json!({"CNY": 650}));
    assert_eq!(creator["account"], json!({"kind": "creator", "id": "cora"}));
    let sale_id = format!(
        "p-acme-42/{}",
        bought["purchase_id"].as_str().expect("purchase id")
    );
    for s in [&creator, &platform, &partner] {
        assert_eq!(s["entries"][0]["sale_id"], sale_id);
        assert_eq!(s["entries"][0]["kind"], "sale");
        assert_eq!(s["entries"][0]["source"], "purchase");
    }

    let purchase_id = bought["purchase_id"].as_str().expect("purchase id");
    let (status, refunded) = m
        .send(
            Method::POST,
            &format!("/v1/contents/p-acme-42/purchases/{purchase_id}/refund"),
            Some(&leo),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    let at = &refunded["position"];
    let creator = statement(&m, &m.admin, "/v1/creators/cora/statement", at).await;
    let platform = statement(&m, &m.admin, "/v1/ledger/platform", at).await;
    let partner = statement(&m, &m.auditor, "/v1/partners/acme/statement", at).await;
    assert_eq!(amounts(&creator), [650, -650]);
    assert_eq!(amounts(&platform), [200, -200]);
    assert_eq!(amounts(&partner), [150, -150]);
    for s in [&creator, &platform, &partner] {
        assert_eq!(s["closing"], json!({"CNY": 0}));
        assert_eq!(s["entries"][1]["kind"], "refund");
    }
}

#[tokio::test]
async fn statements_cover_a_period_and_share_changes_touch_later_sales_only() {
    let (m, [bot, cora, leo, mia]) = market().await;
    let (_, clock) = m
        .send(Method::GET, "/v1/admin/clock", Some(&m.admin), Value::Null)
        .await;
    let t0 = clock["now_micros"].as_i64().expect("now");
    let advance = |steps: u64| {
        m.send(
            Method::POST,
            "/v1/admin/clock",
            Some(&m.admin),
            json!({"advance_secs": steps * STEP_SECS}),
        )
    };

    buy(&m, &leo, "p-acme-42").await;
    assert_eq!(advance(1).await.0, StatusCode::OK);
    let (status, _) = m
        .send(
            Method::PUT,
            "/v1/partners/acme/share",
            Some(&m.admin),
            json!({"share_bps": 500}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    buy(&m, &mia, "p-acme-42").await;
    let (_, clock) = advance(1).await;
    let t2 = clock["now"].as_str().expect("now").to_owned();
    // A creator's own item: no partner.
    let draft = json!({"id": "own", "kind": "article", "title": "Own", "body": {"text": "x"}, "language": "en"});
    let (status, _) = m
        .send(Method::POST, "/v1/contents", Some(&cora), draft)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let price = json!({"amount_cents": 2_000, "currency": "CNY"});
    let (status, _) = m
        .send(Method::PUT, "/v1/contents/own/price", Some(&cora), price)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = m
        .send(
            Method::POST,
            "/v1/contents/own/publish",
            Some(&cora),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let last = buy(&m, &leo, "own").await;
    let at = &last["position"];

    let from = t0 + 5 * 3_600 * 1_000_000;
    let period = format!("/v1/creators/cora/statement?from={from}&to={t2}");
    let creator = statement(&m, &cora, &period, at).await;
    assert_eq!(creator["opening"], json!({"CNY": 650}));
    assert_eq!(amounts(&creator), [750]);
    assert_eq!(creator["closing"], json!({"CNY": 1_400}));
    let all = statement(&m, &cora, "/v1/creators/cora/statement", at).await;
    assert_eq!(amounts(&all), [650, 750, 1_600]);
    assert_eq!(all["closing"], json!({"CNY": 3_000}));
    let partner = statement(&m, &bot, "/v1/partners/acme/statement", at).await;
    assert_eq!(amounts(&partner), [150, 50]);
    let platform = statement(&m, &m.admin, "/v1/ledger/platform", at).await;
    assert_eq!(amounts(&platform), [200, 200, 400]);

    let (status, _) = m
        .send(
            Method::GET,
            "/v1/creators/cora/statement?from=yesterday",
            Some(&cora),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn each_role_reads_only_its_own_books() {
    let (m, [bot, cora, leo, _]) = market().await;
    let globex_bot = m.user("globex-bot", &["partner"]).await;
    m.partner("globex", "globex-bot", 1_000).await;
    let denied = [
        (&leo, "/v1/creators/cora/statement"),
        (&bot, "/v1/creators/cora/statement"),
        (&leo, "/v1/partners/acme/statement"),
        (&globex_bot, "/v1/partners/acme/statement"),
        (&leo, "/v1/ledger/platform"),
        (&cora, "/v1/ledger/platform"),
        (&bot, "/v1/ledger/platform"),
    ];
    for (token, path) in denied {
        let (status, answer) = m.send(Method::GET, path, Some(token), Value::Null).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert_eq!(answer["type"], "urn:agora:problem:forbidden");
    }
    let (status, _) = m
        .send(Method::GET, "/v1/ledger/platform", None, Value::Null)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for path in [
        "/v1/creators/cora/statement",
        "/v1/partners/acme/statement",
        "/v1/ledger/platform",
    ] {
        let (status, _) = m
            .send(Method::GET, path, Some(&m.auditor), Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    // Auditors read, never write.
    let (status, _) = m
        .send(
            Method::PUT,
            "/v1/partners/acme/share",
            Some(&m.auditor),
            json!({"share_bps": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = m
        .send(
            Method::POST,
            "/v1/partners/acme/suspend",
            Some(&m.auditor),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = m.import(&m.auditor, "acme", vec![item("9", 100)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
