//! `agora eval`: train the factorizer offline on a MovieLens-format file
//! and rank a held-out file, beside the popularity baseline.
//!
//! The work runs on rayon's global pool: all cores, or `RAYON_NUM_THREADS`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use agora_actors::factorizer::{
    ExplicitSettings, HeldOut, ImplicitSettings, InteractionMatrix, RankingMetrics, evaluate_model,
    fit_explicit, fit_implicit, popularity_ranker,
};
use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;

use super::print;
use crate::movielens::{self, Rating};

/// Which factorization to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    /// Implicit-feedback ALS with conjugate-gradient solves (Hu et al. 2008).
    Implicit,
    /// Explicit-rating ALS with biases and weighted-λ regularisation.
    Explicit,
}

/// What an implicit fit takes as the observed weight of a rating row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Weights {
    /// Every row counts 1 (confidence 1 + alpha).
    Ones,
    /// The rating itself (confidence 1 + alpha·rating).
    Ratings,
}

/// `agora eval`.
#[derive(Debug, Args)]
#[command(
    after_help = "Threads: all cores, or RAYON_NUM_THREADS. Parameters left out take \
                        the factorizer's defaults."
)]
pub(crate) struct EvalArgs {
    /// Training file (MovieLens format: `user item rating [timestamp]`,
    /// tab, comma or `::` separated, header line optional).
    #[arg(long, value_name = "FILE")]
    pub(crate) train: PathBuf,

    /// Held-out file, same format; its pairs are the relevant items.
    #[arg(long, value_name = "FILE")]
    pub(crate) test: PathBuf,

    /// Cut-off of the ranked lists.
    #[arg(long, default_value_t = 10)]
    pub(crate) k: usize,

    /// Which factorization to train.
    #[arg(long, value_enum, default_value_t = Mode::Implicit)]
    pub(crate) mode: Mode,

    /// Latent factors [default: 64].
    #[arg(long)]
    pub(crate) factors: Option<usize>,

    /// ALS sweeps [default: 15].
    #[arg(long)]
    pub(crate) iterations: Option<usize>,

    /// Regularisation λ [default: 0.05].
    #[arg(long)]
    pub(crate) regularization: Option<f32>,

    /// Confidence slope (implicit): confidence = 1 + alpha·weight [default: 10].
    #[arg(long)]
    pub(crate) alpha: Option<f32>,

    /// Conjugate-gradient steps per solve (implicit) [default: 3].
    #[arg(long)]
    pub(crate) cg_steps: Option<usize>,

    /// Seed of the initial factors [default: 42].
    #[arg(long)]
    pub(crate) seed: Option<u64>,

    /// Observed weight of a row in implicit mode.
    #[arg(long, value_enum, default_value_t = Weights::Ones)]
    pub(crate) weights: Weights,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Reads both files, fits, evaluates and prints the report.
pub(crate) fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let train_rows = movielens::read(&args.train)?;
    let test_rows = movielens::read(&args.test)?;
    let matrix = build_matrix(&train_rows, args);
    let held_out = HeldOut::new(
        &matrix,
        test_rows.iter().map(|r| (r.user.as_str(), r.item.as_str())),
    );

    let started = Instant::now();
    let (model, params) = match args.mode {
        Mode::Implicit => {
            let s = implicit_settings(args);
            let params = serde_json::to_value(&s)?;
            (
                fit_implicit(&matrix, &s).context("fitting implicit ALS")?,
                params,
            )
        }
        Mode::Explicit => {
            let s = explicit_settings(args);
            let params = serde_json::to_value(&s)?;
            (
                fit_explicit(&matrix, &s).context("fitting explicit ALS")?,
                params,
            )
        }
    };
    let fit_seconds = started.elapsed().as_secs_f64();
    let als = evaluate_model(&model, &matrix, &held_out, args.k);
    let popular = popularity_ranker(&matrix).evaluate(&matrix, &held_out, args.k);

    if args.json {
        let report = json!({
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "params": params,
            "train": { "users": matrix.users().len(), "items": matrix.items().len(), "interactions": matrix.user_items().nnz() },
            "test": { "pairs": held_out.len(), "dropped": held_out.dropped(), "users": als.users },
            "fit_seconds": fit_seconds,
            "als": als,
            "popularity": popular,
        });
        print(&serde_json::to_string_pretty(&report)?)?;
    } else {
        print(&format!(
            "train: {} users × {} items, {} interactions; test: {} pairs over {} users ({} dropped: unknown user/item or already in train)",
            matrix.users().len(),
            matrix.items().len(),
            matrix.user_items().nnz(),
            held_out.len(),
            als.users,
            held_out.dropped(),
        ))?;
        print(&format!("params: {params}"))?;
        print(&format!("fit: {fit_seconds:.3} s"))?;
        print(&table(&als, &popular))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The interaction matrix: implicit mode takes each row's weight per
/// `--weights`, explicit mode the rating.
fn build_matrix(rows: &[Rating], args: &EvalArgs) -> InteractionMatrix {
    let mut builder = InteractionMatrix::builder();
    for row in rows {
        let weight = match (args.mode, args.weights) {
            (Mode::Implicit, Weights::Ones) => 1.0,
            _ => row.rating,
        };
        builder.push(&row.user, &row.item, weight);
    }
    builder.build()
}

fn implicit_settings(args: &EvalArgs) -> ImplicitSettings {
    let d = ImplicitSettings::default();
    ImplicitSettings {
        factors: args.factors.unwrap_or(d.factors),
        iterations: args.iterations.unwrap_or(d.iterations),
        regularization: args.regularization.unwrap_or(d.regularization),
        alpha: args.alpha.unwrap_or(d.alpha),
        cg_steps: args.cg_steps.unwrap_or(d.cg_steps),
        seed: args.seed.unwrap_or(d.seed),
    }
}

fn explicit_settings(args: &EvalArgs) -> ExplicitSettings {
    let d = ExplicitSettings::default();
    ExplicitSettings {
        factors: args.factors.unwrap_or(d.factors),
        iterations: args.iterations.unwrap_or(d.iterations),
        regularization: args.regularization.unwrap_or(d.regularization),
        seed: args.seed.unwrap_or(d.seed),
    }
}

/// The two rankers side by side.
fn table(als: &RankingMetrics, popular: &RankingMetrics) -> String {
    let k = als.k;
    let row = |name: &str, a: f64, p: f64| format!("{name:<14} {a:>8.4} {p:>11.4}");
    [
        format!("{:<14} {:>8} {:>11}", "metric", "ALS", "popularity"),
        row(&format!("precision@{k}"), als.precision, popular.precision),
        row(&format!("recall@{k}"), als.recall, popular.recall),
        row(&format!("ndcg@{k}"), als.ndcg, popular.ndcg),
        row(&format!("map@{k}"), als.map, popular.map),
    ]
    .join("\n")
}
