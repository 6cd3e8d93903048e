//! The recommender: trains the factorizer on the interaction matrix,
//! publishes model versions and answers recommendations from the current
//! one.
//!
//! Where work happens:
//! - **The trainer actor** ([`Recommender::start`]) lives on its own arbiter
//!   (one thread). Every `check_interval` it looks at the interactions
//!   projection's change counter and starts a training run when
//!   `retrain_after_interactions` new interactions arrived, when
//!   `retrain_interval` passed with any change, once at start-up when the
//!   projection caught up with the log and holds data, and whenever an
//!   admin asks. At most one run is in flight; requests that arrive during a
//!   run are served by one more run right after it.
//! - **A training run** builds the matrix from the projection and fits it
//!   on a dedicated OS thread (`recommender-train`), which fans the ALS
//!   half-steps out over the rayon pool. Neither the HTTP workers nor the
//!   trainer's arbiter ever run the fit.
//! - **Publishing**: the run's [`RecommenderModelTrained`] event is appended
//!   to `recommender-models` first; only once it is durable is the new
//!   [`ServingModel`] swapped in, with one atomic pointer swap. Readers hold
//!   an `Arc` of the model they started with, so every answer comes from
//!   one model version, never a mix.
//! - **Serving** ([`ServingModel::recommend`], [`ServingModel::similar`])
//!   runs on the caller's thread (an HTTP worker): one score per item and a
//!   partial top-k selection, a fold-in solve for users the model has not
//!   seen.
//!
//! [`RecommenderModelTrained`]: agora_events::domain::recommender::RecommenderModelTrained

mod actor;
mod serving;
mod training;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::factorizer::{ExplicitSettings, FactorizerError, ImplicitSettings};
use crate::projection::interactions::InteractionWeights;

pub use actor::{Recommender, RecommenderStatus};
pub use serving::{Recommendation, Recommendations, ServingModel, Source};
pub use training::{fit, train, training_matrix};

/// Which ALS the recommender trains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingMode {
    /// Implicit-feedback ALS on the weighted purchases, check-ins and
    /// ratings (the default).
    #[default]
    Implicit,
    /// Explicit-rating ALS on the ratings alone.
    Explicit,
}

impl TrainingMode {
    /// `implicit` or `explicit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Implicit => "implicit",
            Self::Explicit => "explicit",
        }
    }
}

/// Why a training run started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The server started and the log holds interactions.
    StartUp,
    /// `retrain_after_interactions` new interactions arrived.
    Interactions,
    /// `retrain_interval` passed with new interactions.
    Schedule,
    /// An admin asked.
    Admin,
}

impl Trigger {
    /// The name recorded in the event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartUp => "start-up",
            Self::Interactions => "interactions",
            Self::Schedule => "schedule",
            Self::Admin => "admin",
        }
    }
}

/// Settings of the recommender.
#[derive(Clone, Debug, PartialEq)]
pub struct RecommenderConfig {
    /// Implicit (default) or explicit ALS.
    pub mode: TrainingMode,
    /// Settings of implicit training.
    pub implicit: ImplicitSettings,
    /// Settings of explicit training.
    pub explicit: ExplicitSettings,
    /// Weights of the implicit signals.
    pub weights: InteractionWeights,
    /// Retrain after this many new interactions (default 1000; 0 never).
    pub retrain_after_interactions: u64,
    /// Retrain this long after the last run if anything changed (default
    /// one hour; zero never).
    pub retrain_interval: Duration,
    /// A run for either reason above starts at least this long after the
    /// previous run ended (default 60 s; zero: no gap), so a flood of
    /// commands never keeps a core busy retraining one run after another.
    /// Start-up and admin runs do not wait for it.
    pub retrain_min_gap: Duration,
    /// How often the trainer looks at the counters (default 1 s).
    pub check_interval: Duration,
    /// Train once at start-up when the log holds interactions (default on).
    pub train_on_start: bool,
}

impl Default for RecommenderConfig {
    fn default() -> Self {
        Self {
            mode: TrainingMode::Implicit,
            implicit: ImplicitSettings::default(),
            explicit: ExplicitSettings::default(),
            weights: InteractionWeights::default(),
            retrain_after_interactions: 1000,
            retrain_interval: Duration::from_secs(3600),
            retrain_min_gap: Duration::from_secs(60),
            check_interval: Duration::from_secs(1),
            train_on_start: true,
        }
    }
}

impl RecommenderConfig {
    /// Checks the settings of the chosen mode and the weights.
    ///
    /// # Errors
    /// [`RecommenderError::Settings`] naming the first bad setting.
    pub fn validate(&self) -> Result<(), RecommenderError> {
        match self.mode {
            TrainingMode::Implicit => self.implicit.validate()?,
            TrainingMode::Explicit => self.explicit.validate()?,
        }
        self.weights
            .validate()
            .map_err(RecommenderError::Settings)?;
        if self.check_interval.is_zero() {
            return Err(RecommenderError::Settings(
                "check_interval must be above zero".into(),
            ));
        }
        Ok(())
    }
}

/// Why the recommender could not train or answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecommenderError {
    /// No interaction is recorded yet, so there is nothing to learn from:
    /// wait for purchases, ratings or check-ins (HTTP 409).
    #[error("no interactions recorded yet: nothing to train on")]
    NoData,
    /// A setting is out of range: fix the configuration (the server does
    /// not start).
    #[error("invalid recommender setting: {0}")]
    Settings(String),
    /// Recording the trained model in the log failed; the model was not
    /// published. The next run retries (HTTP 503).
    #[error("recording the model: {0}")]
    Store(String),
    /// The training run could not start or finish (no thread could be
    /// spawned, the thread panicked): retry later (HTTP 503).
    #[error("the training run failed: {0}")]
    Failed(String),
    /// The trainer stopped (the server is shutting down): retry later
    /// (HTTP 503).
    #[error("the recommender is stopped")]
    Stopped,
}

impl From<FactorizerError> for RecommenderError {
    fn from(error: FactorizerError) -> Self {
        match error {
            FactorizerError::EmptyMatrix => Self::NoData,
            FactorizerError::InvalidSettings(why) => Self::Settings(why),
        }
    }
}

impl From<agora_events::StoreError> for RecommenderError {
    fn from(error: agora_events::StoreError) -> Self {
        Self::Store(error.to_string())
    }
}
