//! Recommendations from the current model version:
//!
//! - `GET /v1/users/{id}/recommendations?k=&explain=`: the user's top-k
//!   items on sale, never one they own or rated nor their own; for the user
//!   themself and admins. The answer names the model version and the
//!   `source` (`model`, `folded_in` for users the model has not seen,
//!   `popular` for users without usable interactions); with
//!   `explain=true` each item lists the user's items that contributed most.
//! - `GET /v1/contents/{id}/similar?k=`: items whose factor vectors are
//!   closest (cosine) to the item's; public.
//! - `GET /v1/admin/recommender`: the trainer's status (admins, auditors);
//! - `POST /v1/admin/recommender:train`: train now and answer the new
//!   model version (admins).
//!
//! Before the first model: 409 `recommender-no-data` while no interaction
//! is recorded, else 503 `recommender-not-ready`.

use actix_web::{HttpResponse, web};
use agora_actors::projection::catalog::{CatalogStage, CatalogView};
use agora_actors::recommender::{RecommenderError, ServingModel};
use agora_events::domain::recommender::{RecommenderModelTrained, TrainingMetrics, TrainingParams};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::problem::{ApiError, ProblemKind};
use super::reads::{caught_up, user_exists};
use crate::timefmt::rfc3339;

/// Items answered when `k` is not given.
const DEFAULT_K: usize = 10;

/// Query of `GET /v1/users/{id}/recommendations`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecommendationsQuery {
    /// How many items (default 10, at most the `recommender.max_k` setting).
    #[schemars(with = "Option<super::fields::K>")]
    k: Option<usize>,
    /// List, for each item, the user's items that contributed most.
    explain: Option<bool>,
    /// Wait until the interaction matrix applied this log position.
    min_position: Option<u64>,
}

/// Query of `GET /v1/contents/{id}/similar`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimilarQuery {
    /// How many items (default 10, at most the `recommender.max_k` setting).
    #[schemars(with = "Option<super::fields::K>")]
    k: Option<usize>,
}

/// One of the user's items and its share of a recommendation's score.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ContributionView {
    /// The user's item.
    content_id: String,
    /// Its share of the score.
    contribution: f32,
}

/// A recommended item.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecommendedView {
    /// The item.
    content_id: String,
    /// Its title.
    title: String,
    /// Its score (higher is better; for `popular`, how many users
    /// interacted with it).
    score: f32,
    /// With `explain=true`: the user's items that contributed most.
    #[serde(skip_serializing_if = "Option::is_none")]
    because: Option<Vec<ContributionView>>,
}

/// Response of `GET /v1/users/{id}/recommendations`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecommendationsView {
    /// The user.
    user_id: String,
    /// The model version that answered.
    model_version: u64,
    /// `model`, `folded_in` or `popular`.
    #[schemars(extend("enum" = ["model", "folded_in", "popular"]))]
    source: &'static str,
    /// Best first; at most `k`.
    items: Vec<RecommendedView>,
}

/// A similar item.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SimilarItemView {
    /// The item.
    content_id: String,
    /// Its title.
    title: String,
    /// Cosine similarity of the factor vectors, −1 to 1.
    similarity: f32,
}

/// Response of `GET /v1/contents/{id}/similar`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SimilarView {
    /// The item asked about.
    content_id: String,
    /// The model version that answered.
    model_version: u64,
    /// Most similar first; empty when the model has not seen the item.
    items: Vec<SimilarItemView>,
}

/// A published model version.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ModelView {
    /// The version.
    version: u64,
    /// `start-up`, `interactions`, `schedule` or `admin`.
    trigger: String,
    /// When training ended, RFC 3339.
    trained_at: String,
    /// Milliseconds the run took.
    duration_ms: u64,
    /// Algorithm and settings.
    params: TrainingParams,
    /// Data size and fit.
    metrics: TrainingMetrics,
}

impl From<&RecommenderModelTrained> for ModelView {
    fn from(e: &RecommenderModelTrained) -> Self {
        Self {
            version: e.version,
            trigger: e.trigger.clone(),
            trained_at: rfc3339(e.trained_at),
            duration_ms: e.duration_ms,
            params: e.params.clone(),
            metrics: e.metrics.clone(),
        }
    }
}

/// Query of `GET /v1/admin/recommender`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusQuery {
    /// Wait (up to `read_wait_ms`) until a model of at least this version
    /// is published; 503 `recommender-not-ready` if none is by then. A
    /// version past the one a run in flight will publish is refused at
    /// once (400) after start-up: past the next version, or the next one
    /// when no run is in flight and retrains are not automatic.
    min_version: Option<u64>,
}

/// Response of `GET /v1/admin/recommender`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct RecommenderStatusView {
    /// `training` while a run is in flight, else `idle`.
    #[schemars(extend("enum" = ["training", "idle"]))]
    state: &'static str,
    /// Whether the start-up check ran.
    started: bool,
    /// `implicit` or `explicit`.
    #[schemars(extend("enum" = ["implicit", "explicit"]))]
    mode: &'static str,
    /// The published model (`null`: none yet).
    model: Option<ModelView>,
    /// Why the last run failed, if it did.
    last_error: Option<String>,
    /// Interaction events recorded.
    interactions: u64,
    /// Of which arrived since the last run started.
    interactions_since_training: u64,
    /// The next run starts after this many new interactions (0: never).
    retrain_after_interactions: u64,
    /// … or this many seconds after the last run (0: never).
    retrain_interval_secs: u64,
    /// Either way, at least this many seconds after the last run ended.
    retrain_min_gap_secs: u64,
}

/// The problem for a recommender error.
fn problem(error: &RecommenderError) -> ApiError {
    let kind = match error {
        RecommenderError::NoData => ProblemKind::RecommenderNoData,
        RecommenderError::Settings(_) => ProblemKind::Internal,
        RecommenderError::Store(_) | RecommenderError::Failed(_) | RecommenderError::Stopped => {
            ProblemKind::RecommenderNotReady
        }
    };
    ApiError::new(kind, error.to_string())
}

/// `k` from the query, checked against `max_k`.
fn checked_k(k: Option<usize>, state: &AppState) -> Result<usize, ApiError> {
    let max = state.max_k;
    match k.unwrap_or(DEFAULT_K) {
        k if (1..=max).contains(&k) => Ok(k),
        k => Err(ApiError::new(
            ProblemKind::InvalidRequest,
            format!("k must be between 1 and {max}, not {k}"),
        )),
    }
}

/// The published model, or why there is none.
fn current_model(state: &AppState) -> Result<std::sync::Arc<ServingModel>, ApiError> {
    if let Some(model) = state.recommender.current() {
        return Ok(model);
    }
    let status = state.recommender.status();
    if status.interactions == 0 {
        return Err(problem(&RecommenderError::NoData));
    }
    let detail = match status.last_error {
        Some(error) => format!("no model is published yet; the last run failed: {error}"),
        None => "no model is published yet; the first training run is under way".to_owned(),
    };
    Err(ApiError::new(ProblemKind::RecommenderNotReady, detail))
}

/// Whether item `id` may be recommended to `user` (on sale, not their own).
fn on_sale(catalog: &CatalogView, id: Option<&str>, user: Option<&str>) -> bool {
    id.and_then(|id| catalog.get(id)).is_some_and(|item| {
        item.stage == CatalogStage::Published && user != Some(item.creator_id.as_str())
    })
}

fn title(catalog: &CatalogView, id: &str) -> String {
    catalog.get(id).map(|i| i.title.clone()).unwrap_or_default()
}

/// `GET /v1/users/{id}/recommendations`.
pub(crate) async fn for_user(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<RecommendationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = id.into_inner();
    let k = checked_k(query.k, &state)?;
    let interactions = state.recommender.interactions();
    caught_up(
        &state,
        interactions,
        query.min_position,
        "the interaction matrix",
    )
    .await?;
    user_exists(&state, &user_id)?;
    let model = current_model(&state)?;
    let explain = query.explain.unwrap_or(false);
    let catalog = state.contents.catalog();
    let body = interactions.read(|view| {
        catalog.read(|catalog| {
            let recs = model.recommend(view, &user_id, k, explain, |col| {
                on_sale(catalog, view.item_id(col), Some(user_id.as_str()))
            });
            let name = |col: usize| view.item_id(col).unwrap_or_default().to_owned();
            RecommendationsView {
                user_id: user_id.clone(),
                model_version: model.version(),
                source: recs.source.as_str(),
                items: recs
                    .items
                    .into_iter()
                    .map(|r| RecommendedView {
                        title: title(catalog, &name(r.col)),
                        content_id: name(r.col),
                        score: r.score,
                        because: explain.then(|| {
                            r.because
                                .iter()
                                .map(|c| ContributionView {
                                    content_id: name(c.item),
                                    contribution: c.contribution,
                                })
                                .collect()
                        }),
                    })
                    .collect(),
            }
        })
    });
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /v1/contents/{id}/similar`.
pub(crate) async fn similar(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<SimilarQuery>,
) -> Result<HttpResponse, ApiError> {
    let content_id = id.into_inner();
    let k = checked_k(query.k, &state)?;
    let catalog = state.contents.catalog();
    if !catalog.read(|c| on_sale(c, Some(&content_id), None)) {
        return Err(ApiError::new(
            ProblemKind::ContentNotFound,
            format!("no published content {content_id:?}"),
        ));
    }
    let model = current_model(&state)?;
    let body = state.recommender.interactions().read(|view| {
        catalog.read(|catalog| {
            let items = match view.item_col(&content_id) {
                Some(col) if model.knows_item(col) => model
                    .similar(col, k, |c| on_sale(catalog, view.item_id(c), None))
                    .into_iter()
                    .map(|s| {
                        let id = view.item_id(s.item).unwrap_or_default().to_owned();
                        SimilarItemView {
                            title: title(catalog, &id),
                            content_id: id,
                            similarity: s.score,
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            };
            SimilarView {
                content_id: content_id.clone(),
                model_version: model.version(),
                items,
            }
        })
    });
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /v1/admin/recommender`.
pub(crate) async fn status(
    state: web::Data<AppState>,
    query: web::Query<StatusQuery>,
) -> Result<web::Json<RecommenderStatusView>, ApiError> {
    if let Some(version) = query.min_version {
        let status = state.recommender.status();
        let config = state.recommender.config();
        let published = status.model.as_ref().map_or(0, |m| m.version);
        // Once start-up is over (until then the versions the log holds may
        // not be known yet), only the next version can come within the
        // wait, and only from a run in flight or an automatic retrain.
        let automatic = config.retrain_after_interactions > 0 || !config.retrain_interval.is_zero();
        let reachable = published.saturating_add(u64::from(status.training || automatic));
        if status.started && version > reachable {
            return Err(ApiError::new(
                ProblemKind::InvalidRequest,
                format!(
                    "model version {version} cannot be published within the wait (published: \
                     {published}; only a run in flight, the start-up run or an automatic \
                     retrain publishes the next)"
                ),
            ));
        }
    }
    if let Some(version) = query.min_version
        && state
            .recommender
            .published(version, state.read_wait)
            .await
            .is_none()
    {
        return Err(ApiError::new(
            ProblemKind::RecommenderNotReady,
            format!("model version {version} is not published yet"),
        ));
    }
    let status = state.recommender.status();
    let config = state.recommender.config();
    Ok(web::Json(RecommenderStatusView {
        state: if status.training { "training" } else { "idle" },
        started: status.started,
        mode: config.mode.as_str(),
        model: status.model.as_ref().map(ModelView::from),
        last_error: status.last_error,
        interactions: status.interactions,
        interactions_since_training: status.interactions_since_training,
        retrain_after_interactions: config.retrain_after_interactions,
        retrain_interval_secs: config.retrain_interval.as_secs(),
        retrain_min_gap_secs: config.retrain_min_gap.as_secs(),
    }))
}

/// `POST /v1/admin/recommender:train`: waits for the run (off the HTTP
/// workers) and answers the model it published.
pub(crate) async fn train(state: web::Data<AppState>) -> Result<web::Json<ModelView>, ApiError> {
    let model = state.recommender.train().await.map_err(|e| problem(&e))?;
    Ok(web::Json(ModelView::from(model.event())))
}
