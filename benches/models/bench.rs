//! tract / tesseract side of the model benchmark (`benches/models/run.sh`).
//!
//! `cargo run -p agora-actors --example models_bench -- EMBED_ITERS GEN_TOKENS OCR_PAGES IMAGE…`
//!
//! Prints one JSON object per measurement. tract runs each model on one
//! thread; the onnxruntime side is run with the same thread count.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_actors::models::embedder::{EmbeddingKind, EmbeddingModel};
use agora_actors::models::generator::{GenerationParams, GeneratorModel, chatml_prompt};
use agora_actors::models::ocr::{OcrConfig, OcrEngine, OcrLanguage};
use agora_actors::models::pool::{ModelPool, PoolSettings};
use agora_actors::models::{ModelSet, ModelsDir};

const SENTENCES: [&str; 4] = [
    "A man is playing a guitar.",
    "What are the steps to change my forgotten password?",
    "The cat sat quietly on the warm windowsill.",
    "Quarterly revenue grew by twelve percent.",
];

fn arg(args: &[String], i: usize, default: usize) -> usize {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let iters = arg(&args, 1, 200);
    let tokens = arg(&args, 2, 64);
    let pages = arg(&args, 3, 8);
    let images: Vec<Vec<u8>> = args
        .iter()
        .skip(4)
        .map(std::fs::read)
        .collect::<Result<_, _>>()?;
    let dir = ModelsDir::from_env();

    for kind in [EmbeddingKind::ParaphraseL3, EmbeddingKind::MiniLmL6Int8] {
        let t = Instant::now();
        let model = Arc::new(EmbeddingModel::load(&dir, kind)?);
        let load_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut e = model.embedder()?;
        for s in SENTENCES {
            e.embed(s)?;
        }
        let mut lat = Vec::with_capacity(iters);
        let start = Instant::now();
        for i in 0..iters {
            let t = Instant::now();
            e.embed(SENTENCES[i % SENTENCES.len()])?;
            lat.push(t.elapsed());
        }
        let total = start.elapsed().as_secs_f64();
        lat.sort();
        println!(
            "{{\"runtime\":\"tract\",\"bench\":\"embed\",\"model\":\"{}\",\"threads\":1,\"iters\":{iters},\"load_ms\":{load_ms:.0},\"p50_ms\":{:.3},\"mean_ms\":{:.3},\"per_s\":{:.1}}}",
            kind.model_name(),
            lat[lat.len() / 2].as_secs_f64() * 1e3,
            total / iters as f64 * 1e3,
            iters as f64 / total
        );
    }

    let t = Instant::now();
    let model = Arc::new(GeneratorModel::load(&dir)?);
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut g = model.generator()?;
    let prompt = chatml_prompt(None, "Give me three tips for writing a clear email.");
    let params = GenerationParams::greedy(tokens as u32);
    let mut result = (0.0, 0.0, 0);
    for _ in 0..2 {
        // the first run is a warm-up
        let mut steps: Vec<Instant> = Vec::new();
        let start = Instant::now();
        let generation = g.generate(
            &prompt,
            &params,
            &mut || {
                steps.push(Instant::now());
                None
            },
            &mut |_| ControlFlow::Continue(()),
        )?;
        let end = Instant::now();
        let n = generation.token_ids.len();
        let prefill = steps.get(1).map_or(end, |t| *t) - start;
        let rest = end - steps.get(1).copied().unwrap_or(end);
        result = (
            prefill.as_secs_f64() * 1e3,
            rest.as_secs_f64() * 1e3 / (n.max(2) - 1) as f64,
            n,
        );
    }
    println!(
        "{{\"runtime\":\"tract\",\"bench\":\"generate\",\"threads\":1,\"load_ms\":{load_ms:.0},\"prompt_tokens\":{},\"tokens\":{},\"prefill_ms\":{:.1},\"ms_per_token\":{:.2}}}",
        model.encode(&prompt)?.len(),
        result.2,
        result.0,
        result.1
    );

    if images.is_empty() {
        return Ok(());
    }
    let mut engine = OcrEngine::new(OcrConfig::default());
    engine.warm_up(OcrLanguage::Eng)?;
    engine.recognize(&images[0], OcrLanguage::Eng)?;
    let start = Instant::now();
    for i in 0..pages {
        engine.recognize(&images[i % images.len()], OcrLanguage::Eng)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"runtime\":\"tesseract-crate\",\"bench\":\"ocr\",\"workers\":1,\"pages\":{pages},\"pages_per_s\":{:.3}}}",
        pages as f64 / secs
    );
    for workers in [1usize, 2] {
        let models = ModelSet {
            ocr: Some(OcrConfig::default()),
            ..ModelSet::default()
        };
        let settings = PoolSettings {
            workers,
            ocr_queue: pages + workers,
            ..PoolSettings::default()
        };
        let pool = ModelPool::start(models, settings)?;
        let deadline = Instant::now() + Duration::from_secs(3600);
        // warm every worker's tesseract instance
        let warm: Vec<_> = (0..workers)
            .map(|_| pool.ocr(images[0].clone(), OcrLanguage::Eng, deadline))
            .collect::<Result<_, _>>()?;
        for h in warm {
            h.wait_blocking()?;
        }
        let start = Instant::now();
        let jobs: Vec<_> = (0..pages)
            .map(|i| pool.ocr(images[i % images.len()].clone(), OcrLanguage::Eng, deadline))
            .collect::<Result<_, _>>()?;
        for h in jobs {
            h.wait_blocking()?;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{{\"runtime\":\"pool\",\"bench\":\"ocr\",\"workers\":{workers},\"pinned\":true,\"pages\":{pages},\"pages_per_s\":{:.3}}}",
            pages as f64 / secs
        );
    }
    Ok(())
}
