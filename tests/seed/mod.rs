//! `agora seed`: the real binary seeds a fresh data directory through the
//! command path; a server on that directory then shows the data over HTTP
//! (the catalog, the sales the seed reported, a seeded learner who can log
//! in and owns what the seed says); seeding again with the same seed
//! writes nothing.

use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::common::Sandbox;
use crate::users::login;

/// Small numbers: a test, not a demo.
fn seed_args(sandbox: &Sandbox) -> Vec<String> {
    let mut args: Vec<String> = [
        "seed",
        "--users",
        "30",
        "--contents",
        "12",
        "--events",
        "400",
        "--days",
        "8",
        "--logins",
        "4",
        "--seed",
        "7",
        "--json",
    ]
    .map(String::from)
    .to_vec();
    args.extend(sandbox.data_dir_args());
    args
}

fn count(report: &Value, field: &str) -> u64 {
    report[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {report}"))
}

#[tokio::test]
async fn seeded_data_is_served_and_a_second_seed_writes_nothing() {
    let sandbox = Sandbox::new();
    // Given a fresh data directory, when it is seeded,
    let report = sandbox.run(seed_args(&sandbox)).success().json();
    // then every command was accepted and each kind of engagement happened.
    assert_eq!(count(&report, "refused"), 0, "{report}");
    assert_eq!(count(&report, "users"), 30);
    assert_eq!(count(&report, "creators"), 2);
    assert_eq!(count(&report, "contents"), 12);
    for kind in [
        "purchases",
        "refunds",
        "ratings",
        "reviews",
        "check_ins",
        "comments",
    ] {
        assert!(count(&report, kind) > 0, "no {kind}: {report}");
    }
    let engagement: u64 = [
        "purchases",
        "refunds",
        "ratings",
        "reviews",
        "check_ins",
        "comments",
    ]
    .iter()
    .map(|k| count(&report, k))
    .sum();
    assert_eq!(engagement, 400);
    assert_eq!(
        count(&report, "written") + count(&report, "unchanged"),
        count(&report, "commands")
    );

    // When a server serves that directory,
    let server = sandbox.serve();
    let client = Client::new();
    let page: Value = client
        .get(server.at("/v1/contents?limit=100"))
        .send()
        .await
        .expect("GET /v1/contents")
        .json()
        .await
        .expect("a page");
    let items = page["items"].as_array().expect("items");
    // then the catalog lists the seeded items (and the two demo items),
    assert_eq!(items.len(), 12 + 2, "{page}");
    let languages: Vec<&str> = items
        .iter()
        .filter_map(|i| i["language"].as_str())
        .collect();
    assert!(languages.contains(&"en") && languages.contains(&"zh-CN"));
    // its sales are the purchases the seed reported minus the refunds,
    let sales: u64 = items.iter().filter_map(|i| i["sales"].as_u64()).sum();
    assert_eq!(
        sales,
        count(&report, "purchases") - count(&report, "refunds")
    );
    let rated: u64 = items
        .iter()
        .filter_map(|i| i["rating"]["count"].as_u64())
        .sum();
    assert!(rated > 0 && rated <= count(&report, "ratings"));

    // The outsourcing side: requirements of every visibility with bids;
    // an invited-only one is not listed to strangers, but to the demo
    // vendor it invited.
    assert_eq!(count(&report, "requirements"), 6);
    assert_eq!(count(&report, "vendor_profiles"), 10);
    assert!(count(&report, "bids") >= 12, "{report}");
    let listed = |page: &Value| page["requirements"].as_array().map_or(0, Vec::len);
    let page: Value = client
        .get(server.at("/v1/requirements?status=any"))
        .send()
        .await
        .expect("GET /v1/requirements")
        .json()
        .await
        .expect("a page");
    assert_eq!(listed(&page), 5, "{page}");
    let vendor = login(&client, &server, "demo-vendor", "demo-password").await;
    let page: Value = client
        .get(server.at("/v1/requirements?status=any"))
        .bearer_auth(&vendor)
        .send()
        .await
        .expect("GET /v1/requirements")
        .json()
        .await
        .expect("a page");
    assert_eq!(listed(&page), 6, "{page}");

    // and the example learner logs in, sees their profile and owns their items.
    let example = &report["example"];
    let user_id = example["user_id"].as_str().expect("an example learner");
    let token = login(&client, &server, user_id, "demo-password").await;
    let profile: Value = client
        .get(server.at(&format!("/v1/users/{user_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET /v1/users/{id}")
        .json()
        .await
        .expect("a profile");
    assert_eq!(profile["personal_data"], "visible", "{profile}");
    assert_eq!(profile["roles"], serde_json::json!(["learner"]));
    let owned = example["owns"][0].as_str().expect("an owned item");
    let again = client
        .post(server.at(&format!("/v1/contents/{owned}/purchases")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("POST purchases");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let status = server.terminate();
    assert!(status.success(), "{status}");

    // When the same seed runs again, it replays and writes nothing.
    let again = sandbox.run(seed_args(&sandbox)).success().json();
    assert_eq!(count(&again, "refused"), 0, "{again}");
    assert_eq!(count(&again, "written"), 0, "{again}");
    assert_eq!(
        count(&again, "replayed") + count(&again, "unchanged"),
        count(&again, "commands")
    );
}

#[test]
fn impossible_sizes_are_refused_with_a_reason() {
    let sandbox = Sandbox::new();
    let mut args: Vec<String> = ["seed", "--users", "1"].map(String::from).to_vec();
    args.extend(sandbox.data_dir_args());
    let run = sandbox.run(args).exit_code(1);
    assert!(run.stderr.contains("--users must be at least 2"), "{run}");
}
