//! Events of the recommender: each model version the factorizer trained,
//! recorded on the stream [`MODELS_STREAM`] so auditors see when and how
//! every model that served recommendations was made.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::domain_events;
use crate::model::Timestamp;

/// The stream every [`RecommenderModelTrained`] is appended to.
pub const MODELS_STREAM: &str = "recommender-models";

/// The algorithm and settings a model was trained with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrainingParams {
    /// `implicit` (implicit-feedback ALS with conjugate-gradient solves) or
    /// `explicit` (rating ALS with biases and weighted-λ).
    pub mode: String,
    /// Latent factors per user and item.
    pub factors: u32,
    /// Sweeps over users then items.
    pub iterations: u32,
    /// L2 regularisation λ.
    pub regularization: f32,
    /// Confidence slope (implicit mode only).
    pub alpha: Option<f32>,
    /// Conjugate-gradient steps per row solve (implicit mode only).
    pub cg_steps: Option<u32>,
    /// Seed of the initial factors.
    pub seed: u64,
}

/// What a model was trained on, and how well it fits it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrainingMetrics {
    /// Users (rows) in the interaction matrix.
    pub users: u64,
    /// Content items (columns) in the interaction matrix.
    pub items: u64,
    /// Non-zero cells of the matrix.
    pub interactions: u64,
    /// Position in `$all` of the last event the matrix included
    /// (`None`: none).
    pub checkpoint: Option<u64>,
    /// The training loss per interaction at the end of the fit: the
    /// implicit objective (confidence-weighted squared error plus
    /// regularisation) or the explicit root mean squared error of the
    /// ratings.
    pub loss: f64,
}

/// The factorizer trained and published a new model version.
///
/// Guarantees: versions on the stream start at 1 and increase by one per
/// event; the model was published (served) only after this event was
/// durable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecommenderModelTrained {
    /// The model version (1, 2, …).
    pub version: u64,
    /// Why it was trained: `start-up`, `interactions`, `schedule` or
    /// `admin`.
    pub trigger: String,
    /// Algorithm and settings.
    pub params: TrainingParams,
    /// Data size and fit.
    pub metrics: TrainingMetrics,
    /// Wall-clock milliseconds of the fit (matrix build included).
    pub duration_ms: u64,
    /// When training finished.
    #[schemars(with = "i64")]
    pub trained_at: Timestamp,
}

domain_events! {
    /// Every recommender event; type names are prefixed with `Recommender`.
    #[derive(Clone, Debug, PartialEq)]
    pub enum RecommenderEvent;
    /// A recommender event before its payload is decoded.
    pub enum LazyRecommenderEvent;
    /// See [`RecommenderModelTrained`].
    ModelTrained(RecommenderModelTrained) = "RecommenderModelTrained" version 1,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainEvent;

    #[test]
    fn model_trained_round_trips() {
        let event = RecommenderEvent::ModelTrained(RecommenderModelTrained {
            version: 3,
            trigger: "admin".into(),
            params: TrainingParams {
                mode: "implicit".into(),
                factors: 64,
                iterations: 15,
                regularization: 0.05,
                alpha: Some(10.0),
                cg_steps: Some(3),
                seed: 42,
            },
            metrics: TrainingMetrics {
                users: 10,
                items: 5,
                interactions: 30,
                checkpoint: Some(99),
                loss: 0.25,
            },
            duration_ms: 12,
            trained_at: Timestamp(7),
        });
        let bytes = event.encode_payload().unwrap_or_default();
        let back = RecommenderEvent::decode(event.event_type(), 1, &bytes);
        assert_eq!(back.ok(), Some(event));
        assert!(RecommenderEvent::decode("RecommenderModelTrained", 2, &[]).is_err());
        assert!(RecommenderEvent::decode("ContentRated", 1, &[]).is_err());
    }
}
