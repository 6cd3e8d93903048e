//! The learner's library and the creator's dashboard over real TCP, on a
//! manual clock: owned items, check-in streaks across days, ratings;
//! sales, revenue, refunds and ratings per day; who may read them; and the
//! same answers after the projections are deleted and rebuilt from the log.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{Shop, draft, stock, urlencode};

/// Checks in on `course` as `token`'s user; answers the position.
async fn check_in(shop: &Shop, token: &str, course: &str) -> u64 {
    let path = format!("/v1/contents/{course}/check-ins");
    let answer = shop.command(Method::POST, &path, token, json!({})).await;
    answer["position"].as_u64().expect("position")
}

/// Rates `id` as `token`'s user; answers the position.
async fn rate(shop: &Shop, token: &str, id: &str, stars: u8) -> u64 {
    let path = format!("/v1/contents/{id}/rating");
    let answer = shop
        .command(Method::PUT, &path, token, json!({"stars": stars}))
        .await;
    answer["position"].as_u64().expect("position")
}

/// The library of `user` as `token`'s user, after `position`.
async fn library(shop: &Shop, user: &str, token: &str, position: u64) -> Value {
    let path = format!("/v1/users/{user}/library?min_position={position}");
    shop.get(&path, Some(token), StatusCode::OK).await
}

fn owned_ids(library: &Value) -> Vec<&str> {
    library["owned"]
        .as_array()
        .expect("owned")
        .iter()
        .map(|o| o["content_id"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn the_library_shows_owned_items_progress_streaks_and_ratings() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let ada = shop.user("ada", &["creator"]).await;
    let cy = shop.user("cy", &["learner"]).await;
    let dee = shop.user("dee", &["learner"]).await;
    shop.publish(
        &ada,
        draft("course", "course", "Daily Rust", "", &[], "en"),
        1000,
    )
    .await;
    shop.publish(
        &ada,
        draft("essay", "article", "An essay", "", &[], "en"),
        300,
    )
    .await;
    shop.buy(&cy, "course").await;
    let bought = shop.buy(&cy, "essay").await;
    let purchase = bought["purchase_id"].as_str().expect("purchase").to_owned();

    // Three days in a row.
    check_in(&shop, &cy, "course").await;
    shop.advance_days(&root, 1).await;
    check_in(&shop, &cy, "course").await;
    shop.advance_days(&root, 1).await;
    let at = check_in(&shop, &cy, "course").await;
    let mine = library(&shop, "cy", &cy, at).await;
    assert_eq!(owned_ids(&mine), ["course", "essay"]);
    assert_eq!(mine["owned"][0]["price"]["amount_cents"], 1000);
    assert_eq!(mine["owned"][0]["kind"], "course");
    assert_eq!(mine["streak"]["current"], 3);
    assert_eq!(mine["streak"]["longest"], 3);
    assert_eq!(mine["streak"]["last_day"], mine["today"]);
    let course = &mine["courses"][0];
    assert_eq!(course["content_id"], "course");
    assert_eq!(course["days_checked_in"], 3);
    assert_eq!(course["owned"], true);

    // Yesterday still counts; a missed day breaks the streak, the longest
    // stays.
    shop.advance_days(&root, 1).await;
    assert_eq!(library(&shop, "cy", &cy, at).await["streak"]["current"], 3);
    shop.advance_days(&root, 1).await;
    let broken = library(&shop, "cy", &cy, at).await;
    assert_eq!(broken["streak"]["current"], 0);
    assert_eq!(broken["streak"]["longest"], 3);
    let at = check_in(&shop, &cy, "course").await;
    let restarted = library(&shop, "cy", &cy, at).await;
    assert_eq!(restarted["streak"]["current"], 1);
    assert_eq!(restarted["courses"][0]["days_checked_in"], 4);

    // Ratings given; a refunded item leaves the library.
    rate(&shop, &cy, "essay", 2).await;
    let at = rate(&shop, &cy, "essay", 4).await;
    let rated = library(&shop, "cy", &cy, at).await;
    assert_eq!(rated["ratings"][0]["content_id"], "essay");
    assert_eq!(rated["ratings"][0]["stars"], 4);
    let refund = format!("/v1/contents/essay/purchases/{purchase}/refund");
    let refunded = shop.command(Method::POST, &refund, &cy, Value::Null).await;
    let at = refunded["position"].as_u64().expect("position");
    assert_eq!(owned_ids(&library(&shop, "cy", &cy, at).await), ["course"]);

    // Only the user and admins (and auditors) read it.
    let path = "/v1/users/cy/library";
    shop.get(path, None, StatusCode::UNAUTHORIZED).await;
    shop.get(path, Some(&dee), StatusCode::FORBIDDEN).await;
    shop.get(path, Some(&ada), StatusCode::FORBIDDEN).await;
    assert_eq!(
        owned_ids(&library(&shop, "cy", &root, at).await),
        ["course"]
    );
    shop.get(
        "/v1/users/nobody/library",
        Some(&root),
        StatusCode::NOT_FOUND,
    )
    .await;
    let empty = library(&shop, "dee", &dee, at).await;
    assert!(owned_ids(&empty).is_empty());
    assert_eq!(empty["streak"]["current"], 0);
}

/// The dashboard of `creator` as `token`'s user over `query`, after
/// `position`.
async fn dashboard(shop: &Shop, creator: &str, token: &str, query: &str, position: u64) -> Value {
    let path = format!("/v1/creators/{creator}/dashboard?min_position={position}&{query}");
    shop.get(&path, Some(token), StatusCode::OK).await
}

#[tokio::test]
async fn the_dashboard_adds_up_sales_refunds_and_ratings_per_day() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let ada = shop.user("ada", &["creator"]).await;
    let buyers = [
        shop.user("b1", &["learner"]).await,
        shop.user("b2", &["learner"]).await,
        shop.user("b3", &["learner"]).await,
    ];
    shop.publish(&ada, draft("a1", "article", "One", "", &[], "en"), 1000)
        .await;
    shop.publish(&ada, draft("a2", "article", "Two", "", &[], "en"), 250)
        .await;
    let clock = shop
        .get("/v1/admin/clock", Some(&root), StatusCode::OK)
        .await;
    let day_one = clock["now"].as_str().expect("now")[..10].to_owned();

    // Day one: three sales of a1, one of a2, two ratings.
    let mut refundable = String::new();
    for (i, buyer) in buyers.iter().enumerate() {
        let bought = shop.buy(buyer, "a1").await;
        if i == 0 {
            refundable = bought["purchase_id"].as_str().expect("purchase").to_owned();
        }
    }
    shop.buy(&buyers[0], "a2").await;
    rate(&shop, &buyers[1], "a1", 5).await;
    rate(&shop, &buyers[2], "a1", 3).await;

    // Day two: a refund and a changed rating.
    shop.advance_days(&root, 1).await;
    let refund = format!("/v1/contents/a1/purchases/{refundable}/refund");
    shop.command(Method::POST, &refund, &buyers[0], Value::Null)
        .await;
    let at = rate(&shop, &buyers[2], "a1", 4).await;
    let clock = shop
        .get("/v1/admin/clock", Some(&root), StatusCode::OK)
        .await;
    let day_two = clock["now"].as_str().expect("now")[..10].to_owned();

    let both = format!("from={day_one}&to={day_two}");
    let board = dashboard(&shop, "ada", &ada, &both, at).await;
    assert_eq!(board["from"], day_one.as_str());
    assert_eq!(board["to"], day_two.as_str());
    let totals = &board["totals"];
    assert_eq!(totals["sales"], 4);
    assert_eq!(totals["gross_cents"]["CNY"], 3250);
    assert_eq!(totals["refunds"], 1);
    assert_eq!(totals["refunded_cents"]["CNY"], 1000);
    assert_eq!(totals["net_cents"]["CNY"], 2250);
    // The creator keeps 80 % of each sale (the default platform fee is
    // 20 %): 2600 sold, 800 of it refunded.
    assert_eq!(totals["earned_cents"]["CNY"], 1800);
    assert_eq!(totals["ratings"], 3);
    assert_eq!(totals["rating_average"], 4.0);
    assert_eq!(board["rating"]["count"], 2);
    assert_eq!(board["rating"]["average"], 4.5);
    let days = board["days"].as_array().expect("days");
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["day"], day_one.as_str());
    assert_eq!(days[0]["sales"], 4);
    assert_eq!(days[0]["refunds"], 0);
    assert_eq!(days[1]["sales"], 0);
    assert_eq!(days[1]["refunds"], 1);
    assert_eq!(days[1]["net_cents"]["CNY"], -1000);
    assert_eq!(days[1]["earned_cents"]["CNY"], -800);

    // One day only; the default period (30 days to today) sees both.
    let second = dashboard(
        &shop,
        "ada",
        &ada,
        &format!("from={day_two}&to={day_two}"),
        at,
    )
    .await;
    assert_eq!(second["totals"]["sales"], 0);
    assert_eq!(second["totals"]["refunds"], 1);
    let default = dashboard(&shop, "ada", &root, "", at).await;
    assert_eq!(default["totals"], board["totals"]);
    assert_eq!(default["to"], day_two.as_str());

    // Who may read it, and bad periods.
    let path = "/v1/creators/ada/dashboard";
    shop.get(path, None, StatusCode::UNAUTHORIZED).await;
    shop.get(path, Some(&buyers[0]), StatusCode::FORBIDDEN)
        .await;
    let backwards = format!("{path}?from={day_two}&to={day_one}");
    if day_one != day_two {
        shop.get(&backwards, Some(&ada), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    shop.get(
        &format!("{path}?from=soon"),
        Some(&ada),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    shop.get(
        "/v1/creators/nobody/dashboard",
        Some(&root),
        StatusCode::NOT_FOUND,
    )
    .await;
    let learner = dashboard(&shop, "b1", &buyers[0], "", at).await;
    assert_eq!(learner["totals"]["sales"], 0);
}

#[tokio::test]
async fn deleting_the_projections_rebuilds_the_same_answers() {
    let shop = Shop::open();
    let root = shop.admin().await;
    let ada = shop.user("ada", &["creator"]).await;
    let bo = shop.user("bo", &["creator"]).await;
    let cy = shop.user("cy", &["learner"]).await;
    stock(&shop, &root, &ada, &bo).await;
    shop.buy(&cy, "zh-rust").await;
    shop.buy(&cy, "rust-actors").await;
    check_in(&shop, &cy, "zh-rust").await;
    shop.advance_days(&root, 1).await;
    check_in(&shop, &cy, "zh-rust").await;
    let at = rate(&shop, &cy, "rust-actors", 5).await;

    let reads = [
        format!("/v1/contents?q={}&min_position={at}", urlencode("rust")),
        format!("/v1/contents?q={}&min_position={at}", urlencode("编程")),
        format!("/v1/contents?sort=rating&limit=2&min_position={at}"),
        format!("/v1/contents/zh-rust?min_position={at}"),
        format!("/v1/creators/bo/dashboard?from=2025-01-01&to=2034-01-01&min_position={at}"),
        format!("/v1/creators/ada/dashboard?from=2025-01-01&to=2034-01-01&min_position={at}"),
    ];
    let mut before = Vec::new();
    for path in &reads {
        before.push(shop.get(path, Some(&root), StatusCode::OK).await);
    }
    let stable = |library: &Value| {
        json!([
            library["owned"],
            library["ratings"],
            library["streak"]["longest"],
            library["courses"][0]["days_checked_in"],
            library["courses"][0]["streak"]["longest"]
        ])
    };
    let library_before = stable(&library(&shop, "cy", &cy, at).await);
    assert_eq!(library_before[2], 2);

    let shop = shop.restart_without_projections();
    for (path, expected) in reads.iter().zip(&before) {
        assert_eq!(
            &shop.get(path, Some(&root), StatusCode::OK).await,
            expected,
            "{path}"
        );
    }
    assert_eq!(stable(&library(&shop, "cy", &cy, at).await), library_before);

    // The rebuilt snapshots match a replay from the log byte for byte, for
    // every projection the server keeps.
    let ready = shop.get("/readyz", Some(&root), StatusCode::OK).await;
    let names = |list: &Value, key: &str| -> Vec<Value> {
        let list = list.as_array().expect("a list");
        list.iter().map(|p| p[key].clone()).collect()
    };
    let kept = names(&ready["projections"], "name");
    let Shop {
        sandbox, server, ..
    } = shop;
    assert!(server.terminate().success());
    let mut args = vec!["replay".to_string(), "--check".into()];
    args.extend(sandbox.data_dir_args());
    let reports = sandbox.run(args).success().json();
    assert_eq!(names(&reports, "projection"), kept);
    for report in reports.as_array().expect("reports") {
        assert_eq!(report["snapshot_matches"], true, "{report}");
    }
}
