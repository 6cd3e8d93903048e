//! Reading request bodies larger than the JSON extractor's limit, with the
//! same problem documents (413, 415) the extractor would answer.

use actix_web::http::header;
use actix_web::{HttpRequest, web};
use futures::StreamExt as _;

use super::problem::{ApiError, ProblemKind};

/// Reads a JSON request body of at most `limit` bytes (413 beyond, 415
/// unless it is `application/json`); `what` names the body in the 413's
/// detail.
pub(crate) async fn read_json_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    what: &str,
) -> Result<bytes::BytesMut, ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            ProblemKind::UnsupportedMediaType,
            "the body must be application/json",
        ));
    }
    let too_large = || {
        ApiError::new(
            ProblemKind::PayloadTooLarge,
            format!("{what} is at most {limit} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::new(ProblemKind::InvalidRequest, e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
