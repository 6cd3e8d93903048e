//! How a draft reads: repetition in SmolLM2's drafts for creator prompts,
//! decoded as before (plain greedy) and with the server's defaults.
//!
//! `cargo run --features esdb --example generation_quality -- [TOKENS]`
//! (the models from `ops/models/install`, `AGORA_MODELS_DIR`), or
//! `benches/models/quality.sh`. Prints a Markdown table: for each prompt
//! and decoding, the share of word 3-grams that repeat an earlier one
//! (lower is better) and distinct-2, the share of word bigrams that are
//! distinct (higher is better), then the means.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use agora_actors::models::ModelsDir;
use agora_actors::models::generator::{GenerationParams, GeneratorModel, chatml_prompt};

/// What creators ask for (the first is issue 23's looping example).
const PROMPTS: [&str; 6] = [
    "Write the outline of a short course on event sourcing in Rust, with five lessons.",
    "Write an introduction for a column about distributed systems for beginners.",
    "List ten tips for freelance developers negotiating a software outsourcing contract.",
    "Write the outline of a course on personal finance, with six lessons.",
    "Explain what a hash chain is to a non-technical reader.",
    "Write a short article on how to learn a second language as an adult.",
];

/// Lowercased words, punctuation trimmed.
fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Share of the n-grams that repeat an earlier n-gram.
fn repeated(words: &[String], n: usize) -> f64 {
    let grams: Vec<&[String]> = words.windows(n).collect();
    if grams.is_empty() {
        return 0.0;
    }
    let distinct: HashSet<&[String]> = grams.iter().copied().collect();
    1.0 - distinct.len() as f64 / grams.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tokens: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(160);
    let model = Arc::new(GeneratorModel::load(&ModelsDir::from_env())?);
    let mut generator = model.generator()?;
    let decodings = [
        ("greedy (before)", GenerationParams::greedy(tokens)),
        (
            "defaults (after)",
            GenerationParams {
                max_tokens: tokens,
                ..GenerationParams::default()
            },
        ),
        (
            "defaults + no-repeat 4-gram",
            GenerationParams {
                max_tokens: tokens,
                no_repeat_ngram: 4,
                ..GenerationParams::default()
            },
        ),
    ];
    println!("| prompt | decoding | tokens | repeated 3-grams | distinct-2 |");
    println!("|---|---|---|---|---|");
    let mut totals = vec![(0.0, 0.0); decodings.len()];
    for (p, prompt) in PROMPTS.iter().enumerate() {
        let formatted = chatml_prompt(None, prompt);
        for (d, (name, params)) in decodings.iter().enumerate() {
            let generation = generator.generate(&formatted, params, &mut || None, &mut |_| {
                ControlFlow::Continue(())
            })?;
            let w = words(&generation.text);
            let rep = repeated(&w, 3);
            let distinct2 = 1.0 - repeated(&w, 2);
            totals[d].0 += rep;
            totals[d].1 += distinct2;
            println!(
                "| {} | {name} | {} | {rep:.3} | {distinct2:.3} |",
                p + 1,
                generation.token_ids.len()
            );
            if std::env::var_os("SHOW_TEXT").is_some() {
                eprintln!("--- prompt {} / {name}\n{}\n", p + 1, generation.text);
            }
        }
    }
    for (d, (name, _)) in decodings.iter().enumerate() {
        let n = PROMPTS.len() as f64;
        println!(
            "| mean | {name} | | {:.3} | {:.3} |",
            totals[d].0 / n,
            totals[d].1 / n
        );
    }
    Ok(())
}
