//! Where a sentence embedding spends its time on tract: runs the plan of
//! each embedding model `RUNS` times on a `TOKENS`-token input (ids, a
//! mask of ones, zero token types), timing every node, and prints the total
//! per operator kind and the slowest nodes.
//!
//!   cargo run --release -p agora-actors --example profile_embedding -- [TOKENS] [RUNS]
//!
//! Needs the models (`ops/models/install`; `AGORA_MODELS_DIR` or
//! `~/.cache/agora/models`).

use std::time::Instant;

use agora_actors::models::ModelsDir;
use agora_actors::models::embedder::{EmbeddingKind, EmbeddingModel};
use tract_onnx::prelude::*;

#[path = "node_times.rs"]
mod node_times;
use node_times::NodeTimes;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let tokens: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(14);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let dir = ModelsDir::from_env();
    for kind in [EmbeddingKind::ParaphraseL3, EmbeddingKind::MiniLmL6Int8] {
        let model = EmbeddingModel::load(&dir, kind)?;
        profile(kind, model.plan(), tokens, runs)?;
    }
    Ok(())
}

fn profile(
    kind: EmbeddingKind,
    plan: &Arc<TypedSimplePlan>,
    tokens: usize,
    runs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut state = plan.spawn()?;
    let ids: Vec<i64> = (0..tokens as i64).map(|i| 1000 + i).collect();
    let inputs = plan.model().inputs.len();
    let make = || -> TractResult<TVec<TValue>> {
        let mut values = tvec![Tensor::from_shape(&[1, tokens], &ids)?.into_tvalue()];
        values.push(Tensor::from_shape(&[1, tokens], &vec![1i64; tokens])?.into_tvalue());
        if inputs > 2 {
            values.push(Tensor::from_shape(&[1, tokens], &vec![0i64; tokens])?.into_tvalue());
        }
        Ok(values)
    };
    let mut times = NodeTimes::default();
    times.run(&mut state, make()?, false)?; // warm-up
    let started = Instant::now();
    for _ in 0..runs {
        times.run(&mut state, make()?, true)?;
    }
    let ms = started.elapsed().as_secs_f64() * 1e3 / runs.max(1) as f64;
    println!(
        "\n{} ({tokens} tokens): {ms:.3} ms per embedding over {runs} runs",
        kind.file_name()
    );
    times.print("run", runs, 12, 8);
    Ok(())
}
