//! Where a decoder step of the converted SmolLM2 spends its time on tract:
//! runs a prompt of `PROMPT` tokens, then `STEPS` one-token steps with the
//! KV cache, timing every node, and prints the total per operator kind and
//! the slowest nodes.
//!
//!   cargo run --release -p agora-actors --example profile_generation -- [PROMPT] [STEPS]
//!
//! Needs the models (`ops/models/install`; `AGORA_MODELS_DIR` or
//! `~/.cache/agora/models`).

use std::time::{Duration, Instant};

use agora_actors::models::ModelsDir;
use agora_actors::models::generator::{self, GENERATOR_FILE};
use tract_onnx::prelude::*;

#[path = "node_times.rs"]
mod node_times;
use node_times::NodeTimes;

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
    let mut times = NodeTimes::default();
    let mut step_total = Duration::ZERO;
    for step in 0..=steps {
        let n = ids.len();
        let mut inputs: TVec<TValue> = tvec![Tensor::from_shape(&[1, n], &ids)?.into_tvalue()];
        inputs.extend(pasts.drain(..));
        let t0 = Instant::now();
        let mut outputs = times.run(&mut state, inputs, step > 0)?;
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
    let ms_per_token = step_total.as_secs_f64() * 1e3 / steps.max(1) as f64;
    println!("decode: {ms_per_token:.2} ms/token over {steps} steps");
    times.print("token", steps, usize::MAX, 15);
    Ok(())
}
