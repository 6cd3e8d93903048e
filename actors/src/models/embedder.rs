//! Sentence embeddings with the MiniLM ONNX models on tract.
//!
//! An [`EmbeddingModel`] (optimized plan + tokenizer) is loaded once and
//! shared; each worker owns an [`Embedder`] (its own tract state) and calls
//! [`Embedder::embed`]. The tokenizer file pads to 128 tokens; padding is
//! turned off here (one sentence per call, so no padding is needed), and
//! truncation at 128 tokens is kept.

use std::path::Path;
use std::sync::Arc;

use tokenizers::Tokenizer;
use tract_onnx::prelude::*;

use super::graph::{
    divisions_as_products, fold_constants, fuse_gelu, optimized_plan, select_outputs,
};
use super::{ModelError, ModelsDir};

/// Dimension of every sentence vector.
pub const EMBEDDING_DIM: usize = 384;

/// File name of the WordPiece tokenizer both MiniLM models share.
pub const MINILM_TOKENIZER_FILE: &str = "minilm-tokenizer.json";

/// Which embedding model.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum EmbeddingKind {
    /// `paraphrase-MiniLM-L3-v2` (fp32, 3 layers): the paraphrase detector.
    ParaphraseL3,
    /// `all-MiniLM-L6-v2` with int8 weights (6 layers).
    MiniLmL6Int8,
}

impl EmbeddingKind {
    /// The model's file in the models directory.
    pub fn file_name(self) -> &'static str {
        match self {
            EmbeddingKind::ParaphraseL3 => "paraphrase-MiniLM-L3-v2.onnx",
            EmbeddingKind::MiniLmL6Int8 => "all-MiniLM-L6-v2-int8.onnx",
        }
    }

    /// The model's name in `embeddings-check.json` and in model versions.
    pub fn model_name(self) -> &'static str {
        match self {
            EmbeddingKind::ParaphraseL3 => "paraphrase-MiniLM-L3-v2",
            EmbeddingKind::MiniLmL6Int8 => "all-MiniLM-L6-v2-int8",
        }
    }

    /// The model's own symbol for the sequence length.
    fn sequence_symbol(self) -> &'static str {
        match self {
            EmbeddingKind::ParaphraseL3 => "sequence_length",
            EmbeddingKind::MiniLmL6Int8 => "sequence",
        }
    }

    /// The output read, and whether it is already the pooled sentence vector.
    fn output(self) -> (&'static str, bool) {
        match self {
            EmbeddingKind::ParaphraseL3 => ("461", true),
            EmbeddingKind::MiniLmL6Int8 => ("last_hidden_state", false),
        }
    }

    fn takes_token_type_ids(self) -> bool {
        matches!(self, EmbeddingKind::MiniLmL6Int8)
    }
}

/// An optimized MiniLM plan and its tokenizer: loaded once, shared
/// read-only by every worker (`Send + Sync`).
#[derive(Debug)]
pub struct EmbeddingModel {
    kind: EmbeddingKind,
    plan: Arc<TypedSimplePlan>,
    tokenizer: Tokenizer,
}

impl EmbeddingModel {
    /// Loads and optimizes the model of `kind` from `dir` (declared input
    /// facts kept with batch = 1 and a dynamic sequence length, constants —
    /// including int8 dequantization — folded before optimizing).
    pub fn load(dir: &ModelsDir, kind: EmbeddingKind) -> Result<Self, ModelError> {
        let path = dir.file(kind.file_name());
        let plan = load_plan(&path, kind).map_err(|e| match e {
            LoadError::Model(e) => e,
            LoadError::Tract(e) => ModelError::load(&path, format!("{e:#}")),
        })?;
        let tokenizer = load_wordpiece(&dir.file(MINILM_TOKENIZER_FILE))?;
        Ok(EmbeddingModel {
            kind,
            plan,
            tokenizer,
        })
    }

    /// Which model this is.
    pub fn kind(&self) -> EmbeddingKind {
        self.kind
    }

    /// The optimized plan (inputs `input_ids`, `attention_mask` and, for
    /// the L6 model, `token_type_ids`, each `[1, n]` i64), for profiling.
    pub fn plan(&self) -> &Arc<TypedSimplePlan> {
        &self.plan
    }

    /// A per-worker embedder with its own tract state.
    pub fn embedder(self: &Arc<Self>) -> Result<Embedder, ModelError> {
        let state = self.plan.spawn().map_err(ModelError::inference)?;
        Ok(Embedder {
            model: Arc::clone(self),
            state,
        })
    }
}

enum LoadError {
    Model(ModelError),
    Tract(TractError),
}

impl From<TractError> for LoadError {
    fn from(e: TractError) -> Self {
        LoadError::Tract(e)
    }
}

fn load_plan(path: &Path, kind: EmbeddingKind) -> Result<Arc<TypedSimplePlan>, LoadError> {
    let mut model = tract_onnx::onnx()
        .with_ignore_output_shapes(true)
        .with_ignore_value_info(true)
        .model_for_path(path)?;
    let seq = model.symbols.sym(kind.sequence_symbol());
    let inputs = if kind.takes_token_type_ids() { 3 } else { 2 };
    for ix in 0..inputs {
        model.set_input_fact(ix, i64::fact([TDim::from(1), seq.to_dim()]).into())?;
    }
    select_outputs(&mut model, &[kind.output().0], path).map_err(LoadError::Model)?;
    let mut typed = model.into_typed()?;
    fold_constants(&mut typed)?;
    divisions_as_products(&mut typed)?;
    fuse_gelu(&mut typed)?;
    Ok(optimized_plan(typed)?)
}

/// Reads a WordPiece `tokenizer.json` with padding turned off (truncation
/// kept).
fn load_wordpiece(path: &Path) -> Result<Tokenizer, ModelError> {
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| ModelError::load(path, e))?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

/// One worker's embedder: owns a tract state over a shared plan. `Send`,
/// used by one thread at a time.
#[derive(Debug)]
pub struct Embedder {
    model: Arc<EmbeddingModel>,
    state: TypedSimpleState,
}

impl Embedder {
    /// Which model this embedder runs.
    pub fn kind(&self) -> EmbeddingKind {
        self.model.kind
    }

    /// The L2-normalised sentence vector of `text` (384 values; cosine
    /// similarity is then a dot product). Texts longer than 128 tokens are
    /// truncated, as the model was trained.
    pub fn embed(&mut self, text: &str) -> Result<Vec<f32>, ModelError> {
        let mut v = self.embed_pooled(text)?;
        normalize(&mut v);
        Ok(v)
    }

    /// The attention-masked mean of the token vectors, not normalised — the
    /// vector `embeddings-check.json` records.
    pub fn embed_pooled(&mut self, text: &str) -> Result<Vec<f32>, ModelError> {
        let encoding = self
            .model
            .tokenizer
            .encode(text, true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let ids: Vec<i64> = encoding.get_ids().iter().map(|&i| i64::from(i)).collect();
        let mask: Vec<i64> = encoding
            .get_attention_mask()
            .iter()
            .map(|&m| i64::from(m))
            .collect();
        let n = ids.len();
        let tensor = |data: &[i64]| -> Result<TValue, ModelError> {
            Ok(Tensor::from_shape(&[1, n], data)
                .map_err(ModelError::inference)?
                .into_tvalue())
        };
        let mut inputs: TVec<TValue> = tvec![tensor(&ids)?, tensor(&mask)?];
        if self.model.kind.takes_token_type_ids() {
            inputs.push(tensor(&vec![0; n])?);
        }
        let outputs = self.state.run(inputs).map_err(ModelError::inference)?;
        let out = outputs
            .first()
            .ok_or_else(|| ModelError::Inference("model returned no output".into()))?;
        let view = out
            .to_plain_array_view::<f32>()
            .map_err(ModelError::inference)?;
        let (_, pooled) = self.model.kind.output();
        if pooled {
            let v: Vec<f32> = view.iter().copied().collect();
            if v.len() != EMBEDDING_DIM {
                return Err(ModelError::Inference(format!(
                    "vector of {} values",
                    v.len()
                )));
            }
            return Ok(v);
        }
        // [1, n, 384] token vectors: masked mean over the sequence.
        let shape = view.shape().to_vec();
        if shape.len() != 3 || shape[1] != n || shape[2] != EMBEDDING_DIM {
            return Err(ModelError::Inference(format!(
                "unexpected output shape {shape:?}"
            )));
        }
        let mut sum = vec![0f32; EMBEDDING_DIM];
        let mut count = 0f32;
        for (t, &m) in mask.iter().enumerate() {
            if m == 0 {
                continue;
            }
            count += 1.0;
            for (d, s) in sum.iter_mut().enumerate() {
                *s += view[[0, t, d]];
            }
        }
        let count = count.max(1.0);
        sum.iter_mut().for_each(|s| *s /= count);
        Ok(sum)
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Cosine similarity of two vectors of the same length (0 if either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
