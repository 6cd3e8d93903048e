//! Where a sentence embedding spends its time on tract: runs the plan of
//! each embedding model `RUNS` times on a `TOKENS`-token input (ids, a
//! mask of ones, zero token types), timing every node, and prints the total
//! per operator kind and the slowest nodes.
//!
//!   cargo run --release -p agora-actors --example profile_embedding -- [TOKENS] [RUNS]
//!
//! Needs the models (`ops/models/install`; `AGORA_MODELS_DIR` or
//! `~/.cache/agora/models`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use agora_actors::models::ModelsDir;
use agora_actors::models::embedder::{EmbeddingKind, EmbeddingModel};
use tract_onnx::prelude::*;

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
    state.run(make()?)?; // warm-up
    let mut by_op: HashMap<String, (Duration, usize)> = HashMap::new();
    let mut by_node: HashMap<String, Duration> = HashMap::new();
    let mut total = Duration::ZERO;
    for _ in 0..runs {
        let started = Instant::now();
        state.run_plan_with_eval(make()?, |ctx, op_state, node, input| {
            let t = Instant::now();
            let out = tract_onnx::tract_core::plan::eval(ctx, op_state, node, input);
            let e = by_op.entry(node.op().name().to_string()).or_default();
            e.0 += t.elapsed();
            e.1 += 1;
            *by_node.entry(node.name.clone()).or_default() += t.elapsed();
            out
        })?;
        total += started.elapsed();
    }
    let per = |d: Duration| d.as_secs_f64() * 1e3 / runs.max(1) as f64;
    println!(
        "\n{} ({tokens} tokens): {:.3} ms per embedding over {runs} runs",
        kind.file_name(),
        per(total)
    );
    let mut ops: Vec<_> = by_op.into_iter().collect();
    ops.sort_by_key(|(_, (d, _))| std::cmp::Reverse(*d));
    println!("{:<28} {:>10} {:>8}", "op", "ms/run", "nodes");
    for (op, (d, count)) in ops.iter().take(12) {
        println!("{op:<28} {:>10.3} {:>8}", per(*d), count / runs.max(1));
    }
    let mut nodes: Vec<_> = by_node.into_iter().collect();
    nodes.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
    println!("slowest nodes (ms/run):");
    for (name, d) in nodes.iter().take(8) {
        println!("  {:>8.3}  {name}", per(*d));
    }
    Ok(())
}
