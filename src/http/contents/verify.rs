//! `POST /v1/contents/{id}/verify`: runs the verification pipeline
//! (`agora_actors::models::verify`) on the item's current text and the
//! images sent with the request, records `ContentVerified` on the item's
//! stream, and answers the score with every finding.
//!
//! The body is optional JSON: `{"images": [{"data": BASE64, "language":
//! "eng" | "chi_sim" | "both"}]}`. Images must be PNG, JPEG, TIFF or PDF
//! (told by their magic bytes), at most `models.max_images` of at most
//! `models.max_image_bytes` each; anything else is refused with a problem
//! document before a model runs. Each page of a PDF is read (at most
//! `models.max_pdf_pages`; a longer PDF, or one poppler cannot read, is
//! refused with 422 before any page is). An image's width and height are
//! read from its header before anything decodes it: more than
//! `models.max_image_pixels` pixels is refused with 413 `image-too-large`
//! naming the limit (an image whose header does not tell, 422). The
//! near-duplicate index is first
//! brought up to the log's head, so every item published before the
//! request is compared.

use actix_web::{HttpRequest, HttpResponse, web};
use agora_actors::content::VerificationOutcome;
use agora_actors::models::ModelError;
use agora_actors::models::image_size::check_pixels;
use agora_actors::models::ocr::OcrLanguage;
use agora_actors::models::pdf;
use agora_actors::models::verify::{ImageInput, ImageText, VerifyRequest};
use agora_events::EventStore as _;
use agora_events::domain::content::{Body, ContentKind};
use agora_events::domain::content_models::{Finding, ModelVersion};
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::super::AppState;
use super::super::auth::Authenticated;
use super::super::body::read_json_body;
use super::super::command::Command;
use super::super::problem::{ApiError, ProblemKind};
use super::commands::from_service;
use super::models::{Allowed, from_verify, item, ready};

/// Body of `POST /v1/contents/{id}/verify` (may be empty).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyBody {
    /// Images to read (scanned pages, screenshots, PDFs) with the item's
    /// text.
    #[serde(default)]
    #[schemars(length(max = crate::http::fields::MAX_IMAGES))]
    images: Vec<ImageBody>,
}

/// One image of a verify request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageBody {
    /// The PNG, JPEG, TIFF or PDF file, base64 (standard alphabet,
    /// padded). Every page of a PDF is read, up to `models.max_pdf_pages`.
    #[schemars(with = "crate::http::fields::ImageData")]
    data: String,
    /// Which language data to read it with (default: both).
    #[serde(default = "both")]
    language: OcrLanguage,
}

fn both() -> OcrLanguage {
    OcrLanguage::Both
}

/// The answer of `POST /v1/contents/{id}/verify`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct VerifyReply {
    /// The item.
    id: String,
    /// Its version after `ContentVerified`.
    version: Option<u64>,
    /// Global position of `ContentVerified`.
    position: Option<u64>,
    /// The credibility score, in [0, 1]: the product of `1 - penalty` over
    /// the findings.
    score: f32,
    /// The score in basis points.
    score_bps: u32,
    /// Whether the score reaches `models.min_verification_score_bps`.
    passed: bool,
    /// Every finding that lowered the score.
    findings: Vec<Finding>,
    /// The text read from each image and PDF page, in request order (a
    /// PDF's pages in page order).
    images: Vec<ImageText>,
    /// The models that produced the result.
    model_versions: Vec<ModelVersion>,
}

/// `POST /v1/contents/{id}/verify` (the item's creator or an admin).
pub(crate) async fn verify(
    state: web::Data<AppState>,
    auth: Authenticated,
    command: Command,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let settings = state.models.settings().clone();
    let command = command.request();
    let content = item(&state, &auth, &id, Allowed::CreatorOrAdmin).await?;
    let body = read_body(&request, payload, settings.verify_max_body_bytes).await?;
    let limits = ImageLimits {
        count: settings.max_images,
        bytes: settings.max_image_bytes,
        pixels: settings.max_image_pixels,
    };
    let images = decode_images(body.images, limits)?;
    let ready = ready(&state).await?;
    // Compare with every item published before this request.
    if let Some(head) = state.store.head_position().await?
        && !state
            .projections
            .near_dup
            .wait_for(head, state.read_wait)
            .await
    {
        return Err(ApiError::new(
            ProblemKind::ProjectionLagging,
            "the near-duplicate index is behind the log; retry",
        ));
    }
    let report = ready
        .verifier
        .verify(VerifyRequest {
            content_id: id.to_string(),
            kind: content.kind().unwrap_or(ContentKind::Article),
            language: content.language().to_owned(),
            title: content.title().to_owned(),
            summary: content.summary().to_owned(),
            body: content
                .body()
                .cloned()
                .unwrap_or_else(|| Body::Text(String::new())),
            images,
        })
        .await
        .map_err(|e| from_verify(&e))?;
    let executed = state
        .contents
        .record_verification(
            &id,
            VerificationOutcome {
                score: report.score,
                findings: report.findings.clone(),
                model_versions: report.model_versions.clone(),
            },
            &command,
        )
        .await
        .map_err(from_service)?;
    let score_bps = (report.score.clamp(0.0, 1.0) * 10_000.0).round() as u32;
    Ok(HttpResponse::Ok().json(VerifyReply {
        id: id.into_inner(),
        version: executed.version,
        position: executed.position,
        score: report.score,
        score_bps,
        passed: score_bps >= settings.min_verification_score_bps,
        findings: report.findings,
        images: report.images,
        model_versions: report.model_versions,
    }))
}

/// The body, or the defaults when it is empty.
async fn read_body(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<VerifyBody, ApiError> {
    let declared_empty = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    let has_type = request
        .headers()
        .contains_key(actix_web::http::header::CONTENT_TYPE);
    if declared_empty || !has_type {
        // No body (or none declared as JSON): nothing but the item's text.
        return Ok(VerifyBody::default());
    }
    let bytes = read_json_body(request, payload, limit, "a verify request body").await?;
    if bytes.is_empty() {
        return Ok(VerifyBody::default());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(ProblemKind::InvalidRequest, format!("the body: {e}")))
}

/// What the images of one request may be.
#[derive(Clone, Copy, Debug)]
struct ImageLimits {
    /// Most images.
    count: usize,
    /// Largest decoded file, in bytes.
    bytes: usize,
    /// Most pixels of an image (not of a PDF, whose pages are rasterised
    /// within the models' limit).
    pixels: u64,
}

/// Decodes and checks the images: count, base64, size in bytes, format,
/// and (from the header, before anything decodes it) size in pixels.
fn decode_images(images: Vec<ImageBody>, limits: ImageLimits) -> Result<Vec<ImageInput>, ApiError> {
    let ImageLimits {
        count: max_images,
        bytes: max_bytes,
        pixels: max_pixels,
    } = limits;
    if images.len() > max_images {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!(
                "{} images sent; at most {max_images} per request",
                images.len()
            ),
        ));
    }
    images
        .into_iter()
        .enumerate()
        .map(|(index, image)| {
            // Base64 is 4 characters per 3 bytes: refuse before decoding.
            if image.data.len() / 4 * 3 > max_bytes + 3 {
                return Err(too_large(index, max_bytes));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(image.data.trim())
                .map_err(|e| {
                    ApiError::new(
                        ProblemKind::InvalidRequest,
                        format!("images[{index}].data is not base64: {e}"),
                    )
                })?;
            if bytes.len() > max_bytes {
                return Err(too_large(index, max_bytes));
            }
            let Some(format) = image_format(&bytes) else {
                return Err(ApiError::new(
                    ProblemKind::ValidationFailed,
                    format!("images[{index}] is not a PNG, JPEG, TIFF or PDF file"),
                ));
            };
            if format != "pdf" {
                check_pixels(&bytes, max_pixels).map_err(|e| pixels_problem(index, &e))?;
            }
            Ok(ImageInput {
                bytes,
                language: image.language,
            })
        })
        .collect()
}

/// The problem of an image [`check_pixels`] refused: 413
/// `image-too-large` naming the limit, or 422 when its header does not
/// tell its size.
fn pixels_problem(index: usize, error: &ModelError) -> ApiError {
    match error {
        ModelError::ImageTooLarge {
            width,
            height,
            max_pixels,
            ..
        } => ApiError::new(
            ProblemKind::ImageTooLarge,
            format!(
                "images[{index}] is {width}×{height} pixels; at most {max_pixels} pixels \
                 (models.max_image_pixels) are read"
            ),
        ),
        other => ApiError::new(
            ProblemKind::ValidationFailed,
            format!("images[{index}]: {other}"),
        ),
    }
}

fn too_large(index: usize, max_bytes: usize) -> ApiError {
    ApiError::new(
        ProblemKind::PayloadTooLarge,
        format!("images[{index}] is larger than {max_bytes} bytes"),
    )
}

/// The image format by its magic bytes, if it is one OCR accepts (a PDF's
/// pages are rasterised for OCR).
fn image_format(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some("tiff")
    } else if pdf::is_pdf(bytes) {
        Some("pdf")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(data: &str) -> ImageBody {
        ImageBody {
            data: data.to_owned(),
            language: OcrLanguage::Eng,
        }
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// 2 images of 100 bytes and 1000 pixels at most.
    const LIMITS: ImageLimits = ImageLimits {
        count: 2,
        bytes: 100,
        pixels: 1_000,
    };

    /// A PNG header declaring `width` × `height`.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 0, 0, 0, 0]);
        png
    }

    #[test]
    fn only_png_jpeg_tiff_and_pdf_in_base64_within_the_limits_pass() {
        let png = b64(&png(40, 25));
        let pdf = b64(b"%PDF-1.4\nrest");
        assert_eq!(
            decode_images(vec![image(&png), image(&pdf)], LIMITS)
                .map(|v| v.len())
                .ok(),
            Some(2)
        );
        for (bytes, format) in [
            (&b"\xFF\xD8\xFFrest"[..], "jpeg"),
            (b"II*\0rest", "tiff"),
            (b"MM\0*rest", "tiff"),
            (b"%PDF-1.7\n", "pdf"),
        ] {
            assert_eq!(image_format(bytes), Some(format));
        }
        assert_eq!(image_format(b"%PDF"), None);
        let kind = |r: Result<Vec<ImageInput>, ApiError>| r.err().map(|e| e.to_doc().type_uri);
        assert_eq!(
            kind(decode_images(vec![image("not base64!")], LIMITS)),
            Some("urn:agora:problem:invalid-request")
        );
        assert_eq!(
            kind(decode_images(vec![image(&b64(b"GIF89a...."))], LIMITS)),
            Some("urn:agora:problem:validation-failed")
        );
        assert_eq!(
            kind(decode_images(vec![image(&b64(&[0xFF; 200]))], LIMITS)),
            Some("urn:agora:problem:payload-too-large")
        );
        assert_eq!(
            kind(decode_images(
                vec![image(&png), image(&png), image(&png)],
                LIMITS
            )),
            Some("urn:agora:problem:validation-failed")
        );
    }

    #[test]
    fn an_image_declaring_too_many_pixels_is_refused_from_its_header_with_the_limit() {
        let refused = decode_images(vec![image(&b64(&png(16_000, 16_000)))], LIMITS)
            .err()
            .map(|e| e.to_doc());
        let doc = refused.expect("refused");
        assert_eq!(doc.type_uri, "urn:agora:problem:image-too-large");
        assert_eq!(doc.status, 413);
        assert!(doc.detail.contains("16000×16000"), "{}", doc.detail);
        assert!(doc.detail.contains("at most 1000 pixels"), "{}", doc.detail);
        let headless = decode_images(vec![image(&b64(b"\x89PNG\r\n\x1a\nrest"))], LIMITS);
        assert_eq!(
            headless.err().map(|e| e.to_doc().type_uri),
            Some("urn:agora:problem:validation-failed"),
            "a PNG whose header does not tell its size"
        );
        let one_over = decode_images(vec![image(&b64(&png(1_001, 1)))], LIMITS);
        assert!(one_over.is_err());
    }
}
