//! Where a decoder step of the converted SmolLM2 spends its time on tract:
//! runs a prompt of `PROMPT` tokens, then `STEPS` one-token steps with the
//! KV cache, timing every node, and prints the total per operator kind and
//! the slowest nodes.
//!
//!   cargo run --release -p agora-actors --example profile_generation -- [PROMPT] [STEPS]
//!
//! Needs the models (`ops/models/install`; `AGORA_MODELS_DIR` or
//! `~/.cache/agora/models`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use agora_actors::models::ModelsDir;
use agora_actors::models::generator::{self, GENERATOR_FILE};
use tract_onnx::prelude::*;

const LAYERS: usize = 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let prompt: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(40);
    let steps: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let dir = ModelsDir::from_env();
    let path = dir.file(GENERATOR_FILE);
    let started = Instant::now();
    let plan = generator::load_plan(&path)?;
    println!("load + optimize: {:.2} s", started.elapsed().as_secs_f64());
    let mut state = plan.spawn()?;

    let mut pasts: TVec<TValue> = TVec::new();
    for _ in 0..2 * LAYERS {
        pasts.push(Tensor::zero::<f32>(&[1, 3, 0, 64])?.into_tvalue());
    }
    let mut ids: Vec<i64> = (0..prompt as i64).map(|i| 100 + i).collect();
    let mut by_op: HashMap<String, (Duration, usize)> = HashMap::new();
    let mut by_node: HashMap<String, Duration> = HashMap::new();
    let mut step_total = Duration::ZERO;
    for step in 0..=steps {
        let n = ids.len();
        let mut inputs: TVec<TValue> = tvec![Tensor::from_shape(&[1, n], &ids)?.into_tvalue()];
        inputs.extend(pasts.drain(..));
        let t0 = Instant::now();
        let mut outputs = state.run_plan_with_eval(inputs, |ctx, op_state, node, input| {
            let t = Instant::now();
            let out = tract_onnx::tract_core::plan::eval(ctx, op_state, node, input);
            if step > 0 {
                let e = by_op.entry(node.op().name().to_string()).or_default();
                e.0 += t.elapsed();
                e.1 += 1;
                *by_node.entry(node.name.clone()).or_default() += t.elapsed();
            }
            out
        })?;
        let took = t0.elapsed();
        if step == 0 {
            println!(
                "prefill of {prompt} tokens: {:.1} ms",
                took.as_secs_f64() * 1e3
            );
        } else {
            step_total += took;
        }
        pasts.extend(outputs.drain(1..));
        ids = vec![1000 + step as i64];
    }
    let per = |d: Duration| d.as_secs_f64() * 1e3 / steps.max(1) as f64;
    println!("decode: {:.2} ms/token over {steps} steps", per(step_total));
    let mut ops: Vec<_> = by_op.into_iter().collect();
    ops.sort_by_key(|(_, (d, _))| std::cmp::Reverse(*d));
    println!("\n{:<28} {:>10} {:>8}", "op", "ms/token", "nodes");
    for (op, (d, count)) in &ops {
        println!("{op:<28} {:>10.3} {:>8}", per(*d), count / steps.max(1));
    }
    let mut nodes: Vec<_> = by_node.into_iter().collect();
    nodes.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
    println!("\nslowest nodes (ms/token):");
    for (name, d) in nodes.iter().take(15) {
        println!("{:>8.3}  {name}", per(*d));
    }
    Ok(())
}
