//! One training run, as a pure function of the projection's state and the
//! settings: build the matrix, fit, measure, and wrap the result for
//! serving with the event that records it.

use std::time::Instant;

use agora_events::Timestamp;
use agora_events::domain::recommender::{RecommenderModelTrained, TrainingMetrics, TrainingParams};

use super::serving::ServingModel;
use super::{RecommenderConfig, RecommenderError, TrainingMode, Trigger};
use crate::factorizer::{InteractionMatrix, Model, fit_explicit, fit_implicit, implicit_loss};
use crate::projection::interactions::InteractionsView;

/// Trains model `version` on `view` (at `checkpoint`) with `config`,
/// stamping it `trained_at()` when the fit ends.
///
/// Guarantees: deterministic in everything but the duration and the time
/// (the fit depends on the matrix and the seed alone).
///
/// # Errors
/// [`RecommenderError::NoData`] if the matrix has no cell,
/// [`RecommenderError::Settings`] for out-of-range settings.
pub fn train(
    view: &InteractionsView,
    checkpoint: Option<u64>,
    config: &RecommenderConfig,
    version: u64,
    trigger: Trigger,
    trained_at: impl FnOnce() -> Timestamp,
) -> Result<ServingModel, RecommenderError> {
    let started = Instant::now();
    let matrix = training_matrix(view, config);
    fit(
        &matrix, checkpoint, config, version, trigger, started, trained_at,
    )
}

/// The matrix a run trains on: the implicit weights, or the ratings in
/// explicit mode.
pub fn training_matrix(view: &InteractionsView, config: &RecommenderConfig) -> InteractionMatrix {
    match config.mode {
        TrainingMode::Implicit => view.implicit_matrix(&config.weights),
        TrainingMode::Explicit => view.ratings_matrix(),
    }
}

/// Fits `matrix` (from [`training_matrix`], built from the projection at
/// `checkpoint`) as model `version`; `started` is when the run began (the
/// recorded duration counts from it).
///
/// # Errors
/// As [`train`].
pub fn fit(
    matrix: &InteractionMatrix,
    checkpoint: Option<u64>,
    config: &RecommenderConfig,
    version: u64,
    trigger: Trigger,
    started: Instant,
    trained_at: impl FnOnce() -> Timestamp,
) -> Result<ServingModel, RecommenderError> {
    if matrix.user_items().nnz() == 0 {
        return Err(RecommenderError::NoData);
    }
    let (model, params) = match config.mode {
        TrainingMode::Implicit => {
            let s = &config.implicit;
            let params = TrainingParams {
                mode: TrainingMode::Implicit.as_str().into(),
                factors: s.factors as u32,
                iterations: s.iterations as u32,
                regularization: s.regularization,
                alpha: Some(s.alpha),
                cg_steps: Some(s.cg_steps as u32),
                seed: s.seed,
            };
            (fit_implicit(matrix, s)?, params)
        }
        TrainingMode::Explicit => {
            let s = &config.explicit;
            let params = TrainingParams {
                mode: TrainingMode::Explicit.as_str().into(),
                factors: s.factors as u32,
                iterations: s.iterations as u32,
                regularization: s.regularization,
                alpha: None,
                cg_steps: None,
                seed: s.seed,
            };
            (fit_explicit(matrix, s)?, params)
        }
    };
    let interactions = matrix.user_items().nnz();
    let metrics = TrainingMetrics {
        users: matrix.users().len() as u64,
        items: matrix.items().len() as u64,
        interactions: interactions as u64,
        checkpoint,
        loss: loss(matrix, &model, config) / interactions as f64,
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    let event = RecommenderModelTrained {
        version,
        trigger: trigger.as_str().into(),
        params,
        metrics,
        duration_ms,
        trained_at: trained_at(),
    };
    Ok(ServingModel::new(
        event,
        model,
        matrix,
        config.weights.clone(),
    ))
}

/// The fit's total loss: the implicit objective, or the explicit sum of
/// squared rating errors.
fn loss(matrix: &InteractionMatrix, model: &Model, config: &RecommenderConfig) -> f64 {
    match config.mode {
        TrainingMode::Implicit => implicit_loss(
            matrix,
            model.user_factors(),
            model.item_factors(),
            &config.implicit,
        ),
        TrainingMode::Explicit => {
            let rows = matrix.user_items();
            (0..rows.rows())
                .map(|u| {
                    let (cols, ratings) = rows.row(u);
                    cols.iter()
                        .zip(ratings)
                        .map(|(&i, &r)| f64::from(r - model.predict(u, i)).powi(2))
                        .sum::<f64>()
                })
                .sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factorizer::{ExplicitSettings, ImplicitSettings};

    fn view_of(cells: &[(&str, &str, u8)]) -> InteractionsView {
        super::super::serving::tests::view_of(cells)
    }

    fn small() -> RecommenderConfig {
        RecommenderConfig {
            implicit: ImplicitSettings {
                factors: 4,
                iterations: 5,
                ..ImplicitSettings::default()
            },
            explicit: ExplicitSettings {
                factors: 4,
                iterations: 5,
                ..ExplicitSettings::default()
            },
            ..RecommenderConfig::default()
        }
    }

    #[test]
    fn an_empty_matrix_is_no_data() {
        let view = InteractionsView::default();
        let result = train(&view, None, &small(), 1, Trigger::Admin, || Timestamp(0));
        assert!(matches!(result, Err(RecommenderError::NoData)));
    }

    #[test]
    fn a_run_records_its_version_params_and_metrics() {
        let view = view_of(&[("a", "x", 5), ("a", "y", 4), ("b", "y", 5), ("c", "z", 2)]);
        let model = train(&view, Some(41), &small(), 7, Trigger::Schedule, || {
            Timestamp(9)
        })
        .expect("trains");
        let event = model.event();
        assert_eq!(event.version, 7);
        assert_eq!(event.trigger, "schedule");
        assert_eq!(event.params.mode, "implicit");
        assert_eq!(event.params.factors, 4);
        assert_eq!(event.metrics.users, 3);
        assert_eq!(event.metrics.items, 3);
        // c rated z 2 stars after buying it: weight 1 − 0.5 > 0, kept.
        assert_eq!(event.metrics.interactions, 4);
        assert_eq!(event.metrics.checkpoint, Some(41));
        assert!(event.metrics.loss.is_finite() && event.metrics.loss > 0.0);
        assert_eq!(event.trained_at, Timestamp(9));
        let explicit = RecommenderConfig {
            mode: TrainingMode::Explicit,
            ..small()
        };
        let model =
            train(&view, None, &explicit, 1, Trigger::Admin, || Timestamp(0)).expect("trains");
        assert_eq!(model.event().params.mode, "explicit");
        assert_eq!(model.event().params.alpha, None);
    }
}
