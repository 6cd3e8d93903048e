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

/// The frames of a segment file: `(offset, length)` of each
/// `[len][crc32c][body][prev_hash][hash]` record (events/src/log/frame.rs),
/// after the 16-byte segment header, up to the zeros written ahead.
fn frames(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 16;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break;
        }
        out.push((at, 8 + len));
        at += 8 + len;
    }
    out
}

/// Rewrites `from` to `to` (same length) inside the first record holding
/// it, then recomputes that record's hash and CRC and the link, hash and
/// CRC of every later record: a forgery whose chain verifies on its own.
fn forge(segment: &std::path::Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut bytes = std::fs::read(segment).expect("reading the segment");
    let frames = frames(&bytes);
    let first = frames
        .iter()
        .position(|&(at, len)| bytes[at..at + len].windows(from.len()).any(|w| w == from))
        .expect("a record holding the text");
    let (at, len) = frames[first];
    let offset = bytes[at..at + len]
        .windows(from.len())
        .position(|w| w == from)
        .expect("the text");
    bytes[at + offset..at + offset + to.len()].copy_from_slice(to);
    let mut prev: Option<[u8; 32]> = None;
    for &(at, len) in &frames[first..] {
        let end = at + len;
        let body = at + 8..end - 64;
        if let Some(prev) = prev {
            bytes[end - 64..end - 32].copy_from_slice(&prev);
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(&bytes[end - 64..end - 32]);
        hasher.update(&bytes[body]);
        let hash = *hasher.finalize().as_bytes();
        bytes[end - 32..end].copy_from_slice(&hash);
        let crc = crc32c::crc32c(&bytes[at + 8..end]);
        bytes[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        prev = Some(hash);
    }
    std::fs::write(segment, &bytes).expect("writing the segment");
}

#[tokio::test]
async fn a_signed_checkpoint_proves_offline_that_the_log_was_not_rewritten() {
    let shop = with_admin_and_auditor();
    let aud = login(&shop.client, &shop.server, "aud", PASSWORD).await;
    let cora = shop.user("cora", &["creator"]).await;
    shop.publish(
        &cora,
        draft("c1", "course", "Course one", "", &[], "en"),
        900,
    )
    .await;

    // The chain over HTTP: intact, in bounded resumable walks; a wrong
    // trusted hash is a break.
    let walk = shop
        .get("/v1/audit/verify", Some(&aud), StatusCode::OK)
        .await;
    assert_eq!(walk["intact"], true, "{walk}");
    assert_eq!(walk["complete"], true, "{walk}");
    let next = walk["next_position"].as_u64().expect("next");
    let last = walk["last_hash"].as_str().expect("last hash").to_owned();
    let more = shop
        .get(
            &format!("/v1/audit/verify?from={next}&prev_hash={last}"),
            Some(&aud),
            StatusCode::OK,
        )
        .await;
    assert_eq!(more["intact"], true, "{more}");
    let wrong = shop
        .get(
            &format!("/v1/audit/verify?from=1&prev_hash={}", "0".repeat(64)),
            Some(&aud),
            StatusCode::OK,
        )
        .await;
    assert_eq!(wrong["intact"], false);
    assert_eq!(wrong["first_break"]["position"], 1);

    let checkpoint = shop
        .get("/v1/audit/checkpoints/latest", Some(&aud), StatusCode::OK)
        .await;
    assert_eq!(checkpoint["chain_hash"].as_str().map(str::len), Some(64));
    assert_eq!(checkpoint["signature"].as_str().map(str::len), Some(128));
    let public_key = checkpoint["public_key"].as_str().expect("key").to_owned();
    let file = shop.sandbox.path().join("checkpoint.json");
    std::fs::write(&file, checkpoint.to_string()).expect("keeping the checkpoint");

    let crate::catalog::Shop {
        sandbox, server, ..
    } = shop;
    assert!(server.terminate().success());
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify".to_string(), "--json".into()];
        args.extend(sandbox.data_dir_args());
        args.extend(extra.iter().map(|s| s.to_string()));
        sandbox.run(args)
    };
    let cp = file.display().to_string();

    // The untouched log: the checkpoint holds, pinned to the server's key.
    let held = verify(&["--checkpoint", &cp, "--public-key", &public_key])
        .success()
        .json();
    assert_eq!(held["checkpoint"]["holds"], true, "{held}");
    // Pinned to another key, it does not.
    let other = verify(&["--checkpoint", &cp, "--public-key", &"1".repeat(64)])
        .exit_code(2)
        .json();
    assert_eq!(other["checkpoint"]["holds"], false);

    // Rewrite a record's payload and recompute its CRC and every later
    // hash: the chain verifies on its own, the old checkpoint does not.
    let segment = std::fs::read_dir(sandbox.data_dir().join("segments"))
        .expect("segments dir")
        .map(|e| e.expect("dir entry").path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .expect("a segment file");
    forge(&segment, b"Course one", b"Course 0ne");
    let forged = verify(&[]).success().json();
    assert_eq!(
        forged["intact"], true,
        "the forgery is self-consistent: {forged}"
    );
    let caught = verify(&["--checkpoint", &cp]).exit_code(2).json();
    assert_eq!(caught["checkpoint"]["holds"], false, "{caught}");
    assert!(
        caught["checkpoint"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("rewritten")),
        "{caught}"
    );
}

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("reading a directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn erasure_shreds_personal_data_closes_the_account_and_keeps_the_log_verifiable() {
    const EMAIL: &str = "evelyn.unique@erasure.example";
    const NAME: &str = "Evelyn Quixotic-Shred";
    const PHONE: &str = "+44 7700 900123";
    let shop = with_admin_and_auditor();
    let cora = shop.user("cora", &["creator"]).await;
    shop.publish(
        &cora,
        draft("c1", "course", "Course one", "", &[], "en"),
        900,
    )
    .await;
    let body = json!({
        "id": "eve", "display_name": "Eve", "email": EMAIL, "real_name": NAME,
        "phone": PHONE, "roles": ["learner"], "password": PASSWORD,
    });
    let (status, _) = shop.send(Method::POST, "/v1/users", None, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let eve = login(&shop.client, &shop.server, "eve", PASSWORD).await;
    shop.buy(&eve, "c1").await;
    let root = shop.admin().await;
    let before = shop.get("/v1/users/eve", Some(&root), StatusCode::OK).await;
    assert_eq!(before["email"], EMAIL);

    // Only the user or an admin; then the account is closed.
    let (status, _) = shop
        .send(
            Method::DELETE,
            "/v1/users/eve/personal-data",
            Some(&cora),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let erased = shop
        .command(
            Method::DELETE,
            "/v1/users/eve/personal-data",
            &eve,
            Value::Null,
        )
        .await;
    let position = erased["position"].as_u64().expect("position");
    let (status, _) = shop
        .send(
            Method::GET,
            "/v1/users/eve/library",
            Some(&eve),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session ended");
    let (status, _) = shop
        .send(
            Method::POST,
            "/v1/sessions",
            None,
            json!({"user_id": "eve", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no more logging in");
    // A repeat (by an admin) changes nothing and still answers 200.
    shop.command(
        Method::DELETE,
        "/v1/users/eve/personal-data",
        &root,
        Value::Null,
    )
    .await;
    let (status, _) = shop
        .send(
            Method::PATCH,
            "/v1/users/eve",
            Some(&root),
            json!({"email": "new@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "no personal data comes back");

    let view = shop
        .get(
            &format!("/v1/users/eve?min_position={position}"),
            Some(&root),
            StatusCode::OK,
        )
        .await;
    assert_eq!(view["personal_data"], "erased", "{view}");
    assert_eq!(view["email"], "[erased]");
    assert_eq!(view["display_name"], "Eve", "the public name stays");

    // Rebuilt from the log alone, the view still shows [erased].
    let shop = shop.restart_without_projections();
    let root = shop.admin().await;
    let rebuilt = shop.get("/v1/users/eve", Some(&root), StatusCode::OK).await;
    assert_eq!(rebuilt["personal_data"], "erased", "{rebuilt}");
    assert_eq!(rebuilt["real_name"], "[erased]");

    let crate::catalog::Shop {
        sandbox, server, ..
    } = shop;
    assert!(server.terminate().success());
    // No file of the data directory holds the personal data in clear.
    for file in files(&sandbox.data_dir()) {
        let bytes = std::fs::read(&file).expect("reading a data file");
        for secret in [EMAIL, NAME, PHONE] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds {secret:?}",
                file.display()
            );
        }
    }
    // Every event stays, and the chain still verifies.
    let mut args = vec!["verify".to_string(), "--json".into()];
    args.extend(sandbox.data_dir_args());
    let report = sandbox.run(args).success().json();
    assert_eq!(report["intact"], true, "{report}");
}
