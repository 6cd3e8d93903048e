//! The audit API over real HTTP: auditors page through `$all` and single
//! streams with stable cursors, see metadata and payloads with personal
//! data sealed, stream the whole history as NDJSON, and every read they
//! make is itself recorded on `audit-{auditor}`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::catalog::{PASSWORD, draft};
use crate::permissions::with_admin_and_auditor;
use crate::users::login;

#[tokio::test]
async fn auditors_page_filter_and_stream_the_history_and_their_reads_are_recorded() {
    let shop = with_admin_and_auditor();
    let aud = login(&shop.client, &shop.server, "aud", PASSWORD).await;
    let cora = shop.user("cora", &["creator"]).await;
    let lin = shop.user("lin", &["learner"]).await;
    shop.publish(
        &cora,
        draft("c1", "course", "Course one", "", &[], "en"),
        900,
    )
    .await;
    shop.buy(&lin, "c1").await;

    // Page through everything, 3 at a time: positions are contiguous, no
    // event twice, the cursor is a position.
    let mut seen = Vec::new();
    let mut from = 0;
    loop {
        let page = shop
            .get(
                &format!("/v1/audit/events?from_position={from}&limit=3"),
                Some(&aud),
                StatusCode::OK,
            )
            .await;
        let events = page["events"].as_array().expect("events");
        assert!(events.len() <= 3);
        seen.extend(
            events
                .iter()
                .map(|e| e["position"].as_u64().expect("position")),
        );
        from = page["next_position"].as_u64().expect("next_position");
        // Each read is recorded first, so the log always grows by one:
        // `complete` (not an empty page) ends the walk.
        if page["complete"] == true {
            break;
        }
    }
    let expected: Vec<u64> = (0..seen.len() as u64).collect();
    assert_eq!(seen, expected, "every position once, in order");

    // Metadata, and personal data sealed.
    let registered = shop
        .get(
            "/v1/audit/events?type=UserRegistered&stream_prefix=user-lin",
            Some(&aud),
            StatusCode::OK,
        )
        .await;
    let event = &registered["events"][0];
    assert_eq!(event["type"], "UserRegistered");
    assert_eq!(event["stream"], "user-lin");
    assert_eq!(event["version"], 0);
    assert_eq!(event["schema_version"], 1);
    assert!(
        event["recorded_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(event["payload"]["user_id"], "lin");
    assert_eq!(event["payload"]["personal"], "[sealed]");
    assert!(!registered.to_string().contains("lin@example.org"));
    assert_eq!(registered["events"].as_array().map(Vec::len), Some(1));

    // One stream, with its cursor.
    let stream = shop
        .get(
            "/v1/audit/streams/content-c1?limit=2",
            Some(&aud),
            StatusCode::OK,
        )
        .await;
    assert_eq!(stream["events"][0]["type"], "ContentDrafted");
    assert_eq!(stream["next_version"], 2);
    assert_eq!(stream["complete"], false);
    let rest = shop
        .get(
            "/v1/audit/streams/content-c1?from_version=2&limit=1000",
            Some(&aud),
            StatusCode::OK,
        )
        .await;
    assert_eq!(rest["events"][0]["version"], 2);
    assert_eq!(rest["complete"], true);
    let none = shop
        .get("/v1/audit/streams/user-nobody", Some(&aud), StatusCode::OK)
        .await;
    assert_eq!(none["events"], json!([]));

    // NDJSON: the whole history, one event per line, in order.
    let response = shop
        .client
        .get(shop.server.at("/v1/audit/events"))
        .bearer_auth(&aud)
        .header("Accept", "application/x-ndjson")
        .send()
        .await
        .expect("ndjson");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.expect("ndjson body");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let positions: Vec<u64> = lines
        .iter()
        .map(|l| l["position"].as_u64().expect("position"))
        .collect();
    assert_eq!(positions, (0..lines.len() as u64).collect::<Vec<_>>());
    assert!(
        lines.len() > seen.len(),
        "the reads since were recorded too"
    );

    // Who read what: every call above is an AuditLogRead on audit-aud.
    let trail = shop
        .get(
            "/v1/audit/streams/audit-aud?limit=1000",
            Some(&aud),
            StatusCode::OK,
        )
        .await;
    let reads = trail["events"].as_array().expect("events");
    assert!(reads.len() >= seen.len() / 3 + 5, "{trail}");
    assert!(reads.iter().all(|r| r["type"] == "AuditLogRead"
        && r["actor_id"] == "aud"
        && r["payload"]["reader"] == "aud"));
    assert_eq!(reads[0]["payload"]["route"], "GET /v1/audit/events");
    assert_eq!(
        reads[0]["payload"]["target"],
        "/v1/audit/events?from_position=0&limit=3"
    );

    // Writers are refused; bad queries are problems.
    let (status, _) = shop
        .send(Method::GET, "/v1/audit/events", Some(&lin), Value::Null)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = shop
        .send(
            Method::GET,
            "/v1/audit/events?limit=0",
            Some(&aud),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = shop
        .send(
            Method::GET,
            "/v1/audit/events?from_time=yesterday",
            Some(&aud),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
