//! Regression: a 250 KB PNG declaring 16000×16000 pixels sent to
//! `POST /v1/contents/{id}/verify` was decoded in full (the server grew by
//! 1 GB). Its size is now read from its header first: 413
//! `image-too-large` naming `models.max_image_pixels`, whether or not the
//! models are loaded, and nothing is recorded.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;

use super::World;

/// CRC-32 (IEEE), as PNG computes it over a chunk's type and data.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    let mut covered = kind.to_vec();
    covered.extend_from_slice(data);
    out.extend_from_slice(&covered);
    out.extend_from_slice(&crc32(&covered).to_be_bytes());
    out
}

/// A PNG with valid chunks declaring `width` × `height` gray pixels (its
/// data would not fill them: nothing should get that far).
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

#[tokio::test]
async fn a_png_declaring_16000_by_16000_pixels_is_refused_before_decoding() {
    let w = World::new();
    let creator = w.user("cora", &["creator"]).await;
    let draft = json!({
        "id": "a1", "kind": "article", "title": "Scans",
        "body": {"text": "Lesson one."}, "language": "en",
    });
    let created = w.post("/v1/contents", &creator, draft).await;
    created.ok(StatusCode::CREATED);

    let data = base64::engine::general_purpose::STANDARD.encode(png_declaring(16_000, 16_000));
    let bomb = json!({"images": [{"data": data, "language": "eng"}]});
    let refused = w.post("/v1/contents/a1/verify", &creator, bomb).await;
    refused.refused(
        StatusCode::PAYLOAD_TOO_LARGE,
        "image-too-large",
        "images[0] is 16000×16000 pixels; at most 40000000 pixels",
    );

    // The next command on the item is its second event: nothing was
    // recorded in between.
    let price = json!({"amount_cents": 500, "currency": "CNY"});
    let priced = w
        .send(
            reqwest::Method::PUT,
            "/v1/contents/a1/price",
            Some(&creator),
            price,
        )
        .await;
    priced.ok(StatusCode::OK);
    assert_eq!(priced.body["version"], 1, "{}", priced.body);
}
