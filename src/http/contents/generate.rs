//! `POST /v1/contents/{id}/drafts:generate`: the language model writes a
//! draft from the creator's prompt, streamed as Server-Sent Events while it
//! is produced, then recorded as `ContentDraftGenerated`.
//!
//! Everything that can be refused is refused before the stream starts,
//! with a problem document (auth, item, parameters, 503 when the models are
//! not loaded or the generation queue is full). The stream then carries:
//! - `event: token` with `data: {"text": PIECE}` for each piece of text
//!   (never half a UTF-8 character: the worker holds back partial bytes);
//! - a last `event: done` with the text, token counts, why it ended and the
//!   recorded event's version and position, or `event: error` with a
//!   problem document.
//!
//! A client that disconnects cancels the generation (nothing is recorded).

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use agora_actors::content::GeneratedDraft;
use agora_actors::models::generator::{FinishReason, GenerationParams, chatml_prompt};
use agora_events::domain::content_models::DraftParams;
use bytes::Bytes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::super::AppState;
use super::super::auth::Authenticated;
use super::super::command::Command;
use super::super::problem::{ApiError, ProblemKind};
use super::commands::from_service;
use super::models::{Allowed, from_job, from_submit, item, ready};

/// Body of `POST /v1/contents/{id}/drafts:generate`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GenerateBody {
    /// What to write: an outline or an instruction (1 to
    /// `models.max_prompt_chars` characters).
    #[schemars(with = "crate::http::fields::Prompt")]
    prompt: String,
    /// Most tokens to generate, 1–2048 (default 256).
    #[schemars(with = "Option<crate::http::fields::MaxTokens>")]
    #[serde(default, deserialize_with = "crate::http::fields::integral_opt")]
    max_tokens: Option<u32>,
    /// Sampling temperature ≥ 0; 0 (the default) is greedy decoding, which
    /// is deterministic.
    #[schemars(with = "Option<crate::http::fields::Temperature>")]
    temperature: Option<f32>,
    /// Keep the k most likely tokens when sampling (0, the default: all).
    #[serde(default, deserialize_with = "crate::http::fields::integral_opt")]
    top_k: Option<u32>,
    /// Nucleus sampling mass in (0, 1] (default 1).
    #[schemars(with = "Option<crate::http::fields::TopP>")]
    top_p: Option<f32>,
    /// Seed of the sampler (default 0): the same seed gives the same text.
    #[serde(default, deserialize_with = "crate::http::fields::integral_opt")]
    seed: Option<u64>,
}

/// The data of the last `event: done`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct GenerateDone {
    /// The whole generated text.
    text: String,
    /// Tokens generated.
    tokens: u32,
    /// Tokens of the formatted prompt.
    prompt_tokens: u32,
    /// Why it ended.
    finish: FinishReason,
    /// The model (`name@sha256`).
    model: String,
    /// Milliseconds the generation took.
    duration_ms: u64,
    /// The item's version after `ContentDraftGenerated`.
    version: Option<u64>,
    /// Its global position.
    position: Option<u64>,
}

/// `POST /v1/contents/{id}/drafts:generate` (the item's creator).
pub(crate) async fn generate(
    state: web::Data<AppState>,
    auth: Authenticated,
    command: Command,
    id: web::Path<String>,
    body: web::Json<GenerateBody>,
) -> Result<HttpResponse, ApiError> {
    let command = command.request();
    let body = body.into_inner();
    let settings = state.models.settings().clone();
    item(&state, &auth, &id, Allowed::Creator).await?;
    let params = params_of(&body)?;
    let chars = body.prompt.chars().count();
    if body.prompt.trim().is_empty() || chars > settings.max_prompt_chars {
        return Err(ApiError::new(
            ProblemKind::ValidationFailed,
            format!(
                "the prompt must have 1 to {} characters ({chars} sent)",
                settings.max_prompt_chars
            ),
        ));
    }
    let ready = ready(&state).await?;
    let (tx, rx) = mpsc::unbounded_channel::<Bytes>();
    let pieces = tx.clone();
    let sink = Box::new(move |piece: &str| {
        let event = sse("token", &serde_json::json!({ "text": piece }));
        match pieces.send(event) {
            Ok(()) => ControlFlow::Continue(()),
            // The client went away: stop generating.
            Err(_) => ControlFlow::Break(()),
        }
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(settings.generate_timeout_secs);
    let handle = ready
        .pool
        .generate(
            chatml_prompt(None, &body.prompt),
            params.clone(),
            deadline,
            sink,
        )
        .map_err(|e| from_submit(&e))?;
    let model = ready.generator_model.clone();
    let id = id.into_inner();
    actix_web::rt::spawn(async move {
        let last = match handle.wait().await {
            Err(e) => sse("error", &from_job(&e).to_doc()),
            Ok(generation) if generation.finish == FinishReason::Cancelled => return,
            Ok(generation) => {
                let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                let tokens = u32::try_from(generation.token_ids.len()).unwrap_or(u32::MAX);
                let prompt_tokens = u32::try_from(generation.prompt_tokens).unwrap_or(u32::MAX);
                let draft = GeneratedDraft {
                    prompt: body.prompt,
                    text: generation.text.clone(),
                    model: model.clone(),
                    params: DraftParams {
                        max_tokens: params.max_tokens,
                        temperature: params.temperature,
                        top_k: params.top_k,
                        top_p: params.top_p,
                        seed: params.seed,
                    },
                    tokens,
                    prompt_tokens,
                    finish: finish_name(generation.finish).to_owned(),
                    duration_ms,
                };
                match state
                    .contents
                    .record_generated_draft(&id, draft, &command)
                    .await
                {
                    Ok(executed) => sse(
                        "done",
                        &GenerateDone {
                            text: generation.text,
                            tokens,
                            prompt_tokens,
                            finish: generation.finish,
                            model,
                            duration_ms,
                            version: executed.version,
                            position: executed.position,
                        },
                    ),
                    Err(e) => sse("error", &from_service(e).to_doc()),
                }
            }
        };
        // The client may have gone; nobody is left to tell.
        let _ = tx.send(last);
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, std::convert::Infallible>(event), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(stream))
}

/// The decoding parameters of the body, checked (422 when out of range).
fn params_of(body: &GenerateBody) -> Result<GenerationParams, ApiError> {
    let defaults = GenerationParams::default();
    let params = GenerationParams {
        max_tokens: body.max_tokens.unwrap_or(defaults.max_tokens),
        temperature: body.temperature.unwrap_or(defaults.temperature),
        top_k: body.top_k.unwrap_or(defaults.top_k),
        top_p: body.top_p.unwrap_or(defaults.top_p),
        seed: body.seed.unwrap_or(defaults.seed),
    };
    params
        .validate()
        .map_err(|e| ApiError::new(ProblemKind::ValidationFailed, e.to_string()))?;
    Ok(params)
}

fn finish_name(finish: FinishReason) -> &'static str {
    match finish {
        FinishReason::Stop => "stop",
        FinishReason::Length => "length",
        FinishReason::Cancelled => "cancelled",
        FinishReason::DeadlineExceeded => "deadline_exceeded",
    }
}

/// One Server-Sent Event whose data is `value` as one line of JSON.
fn sse(event: &str, value: &impl Serialize) -> Bytes {
    let data = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}
