//! Text generation with SmolLM2-135M-Instruct (ONNX decoder with a KV cache)
//! on tract.
//!
//! A [`GeneratorModel`] (optimized plan + byte-level BPE tokenizer) is loaded
//! once and shared; each worker owns a [`Generator`] (its own tract state).
//! The first step feeds the whole prompt with zero-length pasts
//! (`[1, 3, 0, 64]`); each next step feeds one token and the previous
//! step's `present.*` outputs as `past_key_values.*`. Decoding is greedy
//! (temperature 0) or sampled (temperature, top-k, top-p) with a seeded RNG,
//! so a given seed always gives the same text; before either, a repetition
//! penalty over the last [`REPEAT_WINDOW`] tokens and an optional ban on
//! repeating n-grams keep a small model from looping ("event handling,
//! event handling, and event handling"). The defaults are those of
//! llama.cpp-style servers. Text comes out in pieces through a callback,
//! never splitting a multi-byte character.

use std::ops::ControlFlow;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokenizers::Tokenizer;
use tract_onnx::prelude::*;

use super::graph::optimized_plan;
use super::{ModelError, ModelsDir};

/// File name of the converted decoder.
pub const GENERATOR_FILE: &str = "smollm2-135m-instruct.onnx";
/// File name of its tokenizer.
pub const GENERATOR_TOKENIZER_FILE: &str = "smollm2-tokenizer.json";
/// The model's name in model versions.
pub const GENERATOR_MODEL_NAME: &str = "SmolLM2-135M-Instruct-Q4_1";
/// The system message SmolLM2 was tuned with.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";
/// The model's context length (prompt + generated tokens).
pub const CONTEXT_TOKENS: usize = 8192;
/// Upper bound on `max_tokens` accepted in [`GenerationParams`].
pub const MAX_NEW_TOKENS: u32 = 2048;
/// Tokens (prompt and generated) the repetition penalty looks back over,
/// as llama.cpp's `repeat_last_n`.
pub const REPEAT_WINDOW: usize = 64;
/// Largest `repetition_penalty` accepted.
pub const MAX_REPETITION_PENALTY: f32 = 2.0;
/// Longest n-gram `no_repeat_ngram` may name.
pub const MAX_NO_REPEAT_NGRAM: u32 = 16;

const LAYERS: usize = 30;
const KV_HEADS: usize = 3;
const HEAD_DIM: usize = 64;
const END_OF_TURN: &str = "<|im_end|>";

/// How to decode. Greedy decoding (`temperature` 0) ignores the other
/// sampling knobs and is deterministic; sampling is deterministic for a
/// given `seed`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GenerationParams {
    /// Most tokens to generate (1 ..= 2048).
    pub max_tokens: u32,
    /// Softmax temperature; 0 means greedy (argmax).
    pub temperature: f32,
    /// Keep only the k most likely tokens before sampling; 0 keeps all.
    pub top_k: u32,
    /// Keep the smallest set of tokens whose probability adds up to `top_p`
    /// (0 < top_p ≤ 1; 1 keeps all).
    pub top_p: f32,
    /// Seed of the sampling RNG.
    pub seed: u64,
    /// Divides the positive logits (multiplies the negative ones) of every
    /// token seen in the last [`REPEAT_WINDOW`] tokens, 1 ..= 2; 1 is off.
    pub repetition_penalty: f32,
    /// Never generate a token that would repeat an n-gram of this many
    /// tokens already in the text (prompt and generated), 0 ..= 16; 0 is
    /// off (1 forbids repeating any token).
    pub no_repeat_ngram: u32,
}

impl Default for GenerationParams {
    /// llama.cpp-style defaults: temperature 0.7, top-k 40, top-p 0.9,
    /// repetition penalty 1.1, no n-gram ban, 256 tokens, seed 0 (so the
    /// same request still gives the same text).
    fn default() -> Self {
        GenerationParams {
            max_tokens: 256,
            temperature: 0.7,
            top_k: 40,
            top_p: 0.9,
            seed: 0,
            repetition_penalty: 1.1,
            no_repeat_ngram: 0,
        }
    }
}

impl GenerationParams {
    /// Plain greedy decoding (argmax, no penalty, no ban) of at most
    /// `max_tokens` tokens: what reference implementations compute.
    pub fn greedy(max_tokens: u32) -> Self {
        GenerationParams {
            max_tokens,
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            seed: 0,
            repetition_penalty: 1.0,
            no_repeat_ngram: 0,
        }
    }

    /// Checks the ranges documented on each field.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |m: &str| Err(ModelError::InvalidInput(m.to_owned()));
        if self.max_tokens == 0 || self.max_tokens > MAX_NEW_TOKENS {
            return bad("max_tokens must be between 1 and 2048");
        }
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return bad("temperature must be a finite number ≥ 0");
        }
        if !self.top_p.is_finite() || self.top_p <= 0.0 || self.top_p > 1.0 {
            return bad("top_p must be in (0, 1]");
        }
        if !(1.0..=MAX_REPETITION_PENALTY).contains(&self.repetition_penalty) {
            return bad("repetition_penalty must be between 1 and 2");
        }
        if self.no_repeat_ngram > MAX_NO_REPEAT_NGRAM {
            return bad("no_repeat_ngram must be between 0 (off) and 16");
        }
        Ok(())
    }
}

/// Why generation ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn (`<|im_end|>`).
    Stop,
    /// `max_tokens` were generated.
    Length,
    /// The caller cancelled (or stopped reading the stream).
    Cancelled,
    /// The job's deadline passed.
    DeadlineExceeded,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The generated text (without the end-of-turn token).
    pub text: String,
    /// The generated token ids, including the end-of-turn id when the model
    /// stopped by itself.
    pub token_ids: Vec<u32>,
    /// Number of prompt tokens.
    pub prompt_tokens: usize,
    /// Why it ended.
    pub finish: FinishReason,
}

/// A ChatML prompt for one user turn, as SmolLM2 was tuned (system message,
/// user message, then the open assistant turn). Control-token markers
/// (`<|`) inside the messages are defused so a message cannot close its
/// turn or forge another.
pub fn chatml_prompt(system: Option<&str>, user: &str) -> String {
    let defuse = |s: &str| s.replace("<|", "< |");
    format!(
        "<|im_start|>system\n{}<|im_end|>\n<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n",
        defuse(system.unwrap_or(DEFAULT_SYSTEM_PROMPT)),
        defuse(user)
    )
}

/// Loads and optimizes the decoder graph at `path` into a runnable plan.
///
/// The tied output projection's weight (49,152 × 576) is also the
/// token-embedding table; the plan packs it once at load (see
/// `graph::optimized_plan`) rather than on every decoder step, which
/// was more than half of a step's time.
pub fn load_plan(path: &std::path::Path) -> TractResult<Arc<TypedSimplePlan>> {
    optimized_plan(tract_onnx::onnx().model_for_path(path)?.into_typed()?)
}

/// The optimized decoder plan and its tokenizer: loaded once, shared
/// read-only by every worker.
#[derive(Debug)]
pub struct GeneratorModel {
    plan: Arc<TypedSimplePlan>,
    tokenizer: Tokenizer,
    end_of_turn: u32,
}

impl GeneratorModel {
    /// Loads and optimizes `smollm2-135m-instruct.onnx` and its tokenizer
    /// from `dir` (declared input facts kept: batch 1, dynamic sequence and
    /// past lengths).
    pub fn load(dir: &ModelsDir) -> Result<Self, ModelError> {
        let path = dir.file(GENERATOR_FILE);
        let plan = load_plan(&path).map_err(|e| ModelError::load(&path, format!("{e:#}")))?;
        let tok_path = dir.file(GENERATOR_TOKENIZER_FILE);
        let tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| ModelError::load(&tok_path, e))?;
        let end_of_turn = tokenizer
            .token_to_id(END_OF_TURN)
            .ok_or_else(|| ModelError::load(&tok_path, "no <|im_end|> token"))?;
        Ok(GeneratorModel {
            plan,
            tokenizer,
            end_of_turn,
        })
    }

    /// The tokenizer (for counting tokens or decoding ids).
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The prompt's token ids (control tokens such as `<|im_start|>` map to
    /// their single ids; no BOS is added).
    pub fn encode(&self, prompt: &str) -> Result<Vec<u32>, ModelError> {
        let enc = self
            .tokenizer
            .encode(prompt, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// A per-worker generator with its own tract state.
    pub fn generator(self: &Arc<Self>) -> Result<Generator, ModelError> {
        let state = self.plan.spawn().map_err(ModelError::inference)?;
        Ok(Generator {
            model: Arc::clone(self),
            state,
        })
    }
}

/// One worker's generator. `Send`, used by one thread at a time.
#[derive(Debug)]
pub struct Generator {
    model: Arc<GeneratorModel>,
    state: TypedSimpleState,
}

impl Generator {
    /// Generates a continuation of `prompt` (already formatted, e.g. with
    /// [`chatml_prompt`]).
    ///
    /// Between two tokens it calls `interrupt`: `Some(reason)` ends the
    /// generation with that reason (deadline, cancellation) — the text so
    /// far is returned. Each complete piece of text is passed to `on_piece`
    /// as soon as it is decoded (never half a UTF-8 character); returning
    /// `ControlFlow::Break` ends the generation as
    /// [`FinishReason::Cancelled`].
    pub fn generate(
        &mut self,
        prompt: &str,
        params: &GenerationParams,
        interrupt: &mut dyn FnMut() -> Option<FinishReason>,
        on_piece: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation, ModelError> {
        params.validate()?;
        let prompt_ids = self.model.encode(prompt)?;
        if prompt_ids.is_empty() {
            return Err(ModelError::InvalidInput("empty prompt".into()));
        }
        if prompt_ids.len() + params.max_tokens as usize > CONTEXT_TOKENS {
            return Err(ModelError::InvalidInput(format!(
                "prompt of {} tokens plus max_tokens {} exceeds the context of {CONTEXT_TOKENS}",
                prompt_ids.len(),
                params.max_tokens
            )));
        }
        let mut rng = StdRng::seed_from_u64(params.seed);
        let mut decoder = StreamDecoder::default();
        let mut generated: Vec<u32> = Vec::new();
        let mut pasts: TVec<TValue> = TVec::with_capacity(2 * LAYERS);
        for _ in 0..2 * LAYERS {
            let empty =
                Tensor::zero::<f32>(&[1, KV_HEADS, 0, HEAD_DIM]).map_err(ModelError::inference)?;
            pasts.push(empty.into_tvalue());
        }
        let mut step_ids: Vec<i64> = prompt_ids.iter().map(|&i| i64::from(i)).collect();
        let mut history: Vec<u32> = prompt_ids.clone();
        let finish = loop {
            if let Some(reason) = interrupt() {
                break reason;
            }
            let n = step_ids.len();
            let ids = Tensor::from_shape(&[1, n], &step_ids).map_err(ModelError::inference)?;
            let mut inputs: TVec<TValue> = tvec![ids.into_tvalue()];
            inputs.extend(pasts.drain(..));
            let mut outputs = self.state.run(inputs).map_err(ModelError::inference)?;
            if outputs.len() != 1 + 2 * LAYERS {
                return Err(ModelError::Inference(format!("{} outputs", outputs.len())));
            }
            pasts.extend(outputs.drain(1..));
            let logits = outputs[0]
                .to_plain_array_view::<f32>()
                .map_err(ModelError::inference)?;
            let vocab = logits.shape().last().copied().unwrap_or(0);
            let flat = logits
                .as_slice()
                .ok_or_else(|| ModelError::Inference("logits not contiguous".into()))?;
            let mut last = flat[flat.len() - vocab..].to_vec();
            penalize(&mut last, &history, params);
            let token = pick_token(&last, params, &mut rng);
            generated.push(token);
            history.push(token);
            if token == self.model.end_of_turn {
                break FinishReason::Stop;
            }
            if let Some(piece) = decoder.push(&self.model.tokenizer, token)?
                && on_piece(&piece).is_break()
            {
                break FinishReason::Cancelled;
            }
            if generated.len() >= params.max_tokens as usize {
                break FinishReason::Length;
            }
            step_ids = vec![i64::from(token)];
        };
        if let Some(piece) = decoder.finish(&self.model.tokenizer)? {
            // The caller is told once more even after a Break; ignoring its
            // answer is fine since generation has ended.
            let _ = on_piece(&piece);
        }
        let text_ids: Vec<u32> = generated
            .iter()
            .copied()
            .filter(|&t| t != self.model.end_of_turn)
            .collect();
        let text = self
            .model
            .tokenizer
            .decode(&text_ids, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(Generation {
            text,
            token_ids: generated,
            prompt_tokens: prompt_ids.len(),
            finish,
        })
    }
}

/// Applies the repetition penalty and the n-gram ban of `params` to
/// `logits`, given every token so far (`history`: prompt, then generated).
/// A banned token's logit becomes negative infinity unless that would ban
/// every token (then nothing is banned).
pub fn penalize(logits: &mut [f32], history: &[u32], params: &GenerationParams) {
    if params.repetition_penalty > 1.0 {
        let window = &history[history.len().saturating_sub(REPEAT_WINDOW)..];
        let mut seen = vec![false; logits.len()];
        for &token in window {
            if let Some(flag) = seen.get_mut(token as usize)
                && !*flag
            {
                *flag = true;
                let logit = &mut logits[token as usize];
                *logit = if *logit > 0.0 {
                    *logit / params.repetition_penalty
                } else {
                    *logit * params.repetition_penalty
                };
            }
        }
    }
    let n = params.no_repeat_ngram as usize;
    if n >= 1 && history.len() >= n {
        // The n-1 tokens that would start the next n-gram.
        let prefix = &history[history.len() - (n - 1)..];
        let banned: Vec<usize> = history
            .windows(n)
            .filter(|gram| &gram[..n - 1] == prefix)
            .map(|gram| gram[n - 1] as usize)
            .filter(|&t| t < logits.len())
            .collect();
        let allowed = logits.len() - {
            let mut distinct = banned.clone();
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len()
        };
        if allowed > 0 {
            for t in banned {
                logits[t] = f32::NEG_INFINITY;
            }
        }
    }
}

/// Picks the next token: argmax when `temperature` is 0, else a seeded
/// sample from the temperature-scaled softmax restricted by top-k and top-p.
pub fn pick_token(logits: &[f32], params: &GenerationParams, rng: &mut StdRng) -> u32 {
    if params.temperature <= 0.0 {
        return argmax(logits);
    }
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_unstable_by(|&a, &b| logits[b].total_cmp(&logits[a]).then(a.cmp(&b)));
    if params.top_k > 0 {
        order.truncate(params.top_k as usize);
    }
    let Some(&best) = order.first() else { return 0 };
    let max = logits[best];
    let mut probs: Vec<f32> = order
        .iter()
        .map(|&i| ((logits[i] - max) / params.temperature).exp())
        .collect();
    let total: f32 = probs.iter().sum();
    probs.iter_mut().for_each(|p| *p /= total);
    if params.top_p < 1.0 {
        let mut cumulative = 0.0;
        let mut keep = probs.len();
        for (i, p) in probs.iter().enumerate() {
            cumulative += p;
            if cumulative >= params.top_p {
                keep = i + 1;
                break;
            }
        }
        probs.truncate(keep);
        order.truncate(keep);
    }
    let total: f32 = probs.iter().sum();
    let mut target = rng.random::<f32>() * total;
    for (p, &i) in probs.iter().zip(&order) {
        if target < *p {
            return i as u32;
        }
        target -= p;
    }
    order.last().map_or(0, |&i| i as u32)
}

fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

/// Turns a stream of token ids into text pieces without ever splitting a
/// multi-byte UTF-8 character: tokens whose bytes end mid-character are held
/// until the character completes (at most [`StreamDecoder::MAX_HELD`]
/// tokens; beyond that the bytes are invalid anyway and come out as U+FFFD).
#[derive(Debug, Default)]
pub struct StreamDecoder {
    held: Vec<u32>,
}

impl StreamDecoder {
    /// Most tokens held back waiting for the rest of a character.
    pub const MAX_HELD: usize = 4;

    /// Adds a token; returns the text that is complete now, if any.
    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> Result<Option<String>, ModelError> {
        self.held.push(id);
        let text = tokenizer
            .decode(&self.held, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        if text.ends_with('\u{FFFD}') && self.held.len() < Self::MAX_HELD {
            return Ok(None);
        }
        self.held.clear();
        Ok(if text.is_empty() { None } else { Some(text) })
    }

    /// The text of whatever is still held (at the end of generation).
    pub fn finish(&mut self, tokenizer: &Tokenizer) -> Result<Option<String>, ModelError> {
        if self.held.is_empty() {
            return Ok(None);
        }
        let text = tokenizer
            .decode(&self.held, false)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        self.held.clear();
        Ok(if text.is_empty() { None } else { Some(text) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(repetition_penalty: f32, no_repeat_ngram: u32) -> GenerationParams {
        GenerationParams {
            repetition_penalty,
            no_repeat_ngram,
            ..GenerationParams::greedy(8)
        }
    }

    #[test]
    fn the_penalty_lowers_tokens_seen_in_the_window_once_each() {
        let mut logits = vec![2.0, -2.0, 2.0, 1.0];
        // Token 0 twice, token 1 once; token 2 only before the window.
        let mut history = vec![2];
        history.extend(std::iter::repeat_n(3, REPEAT_WINDOW - 3));
        history.extend([0, 0, 1]);
        penalize(&mut logits, &history, &params(2.0, 0));
        assert_eq!(logits, vec![1.0, -4.0, 2.0, 0.5]);
    }

    #[test]
    fn a_penalty_of_one_changes_nothing() {
        let mut logits = vec![2.0, -2.0, 0.5];
        penalize(&mut logits, &[0, 1, 2], &params(1.0, 0));
        assert_eq!(logits, vec![2.0, -2.0, 0.5]);
    }

    #[test]
    fn a_repeated_ngram_cannot_be_completed() {
        // "7 8 9 … 7 8" → 9 would repeat the 3-gram "7 8 9".
        let mut logits = vec![0.0; 10];
        logits[9] = 5.0;
        penalize(&mut logits, &[7, 8, 9, 1, 7, 8], &params(1.0, 3));
        assert_eq!(logits[9], f32::NEG_INFINITY);
        assert_eq!(argmax(&logits), 0);
        // Off, or with another prefix, nothing is banned.
        let mut free = vec![0.0; 10];
        penalize(&mut free, &[7, 8, 9, 1, 7, 8], &params(1.0, 0));
        penalize(&mut free, &[7, 8, 9, 1, 8, 7], &params(1.0, 3));
        assert!(free.iter().all(|l| l.is_finite()));
    }

    #[test]
    fn a_ban_on_every_token_bans_none() {
        let mut logits = vec![1.0, 3.0];
        // After "0 1 0" both 0 and 1 would repeat a 2-gram.
        penalize(&mut logits, &[0, 1, 0, 0], &params(1.0, 2));
        assert_eq!(logits, vec![1.0, 3.0]);
    }

    #[test]
    fn defaults_sample_with_a_penalty_and_greedy_is_plain() {
        let defaults = GenerationParams::default();
        assert!(defaults.validate().is_ok());
        assert!(defaults.temperature > 0.0 && defaults.repetition_penalty > 1.0);
        let greedy = GenerationParams::greedy(4);
        assert_eq!((greedy.temperature, greedy.repetition_penalty), (0.0, 1.0));
        for bad in [params(0.9, 0), params(2.5, 0), params(1.0, 17)] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(params(f32::NAN, 0).validate().is_err());
    }
}
