//! # Model workers: embeddings, generation and OCR on pinned CPU threads
//!
//! Everything here runs real models installed by `ops/models/install` into a
//! models directory ([`ModelsDir`]); nothing is downloaded at run time.
//!
//! - [`embedder`]: the two MiniLM sentence-embedding models on tract
//!   (`paraphrase-MiniLM-L3-v2`, fp32, and `all-MiniLM-L6-v2`, int8) with the
//!   WordPiece tokenizer; masked mean pooling, L2-normalised 384-d vectors.
//! - [`generator`]: SmolLM2-135M-Instruct (ONNX decoder with a KV cache) on
//!   tract; greedy or seeded sampling, ChatML prompts, UTF-8-safe streaming.
//! - [`ocr`]: tesseract (eng, chi_sim or both), text, per-word confidences,
//!   normalised output.
//! - [`pdf`]: PDF pages as images for OCR, rasterised by poppler's
//!   `pdftoppm` in a subprocess bounded by the job's deadline.
//! - [`pool`]: where the work happens. A [`pool::ModelPool`] owns N OS threads
//!   (default one per core), each pinned to a core, each holding its own tract
//!   states and tesseract instances. The optimized tract plans are loaded once
//!   ([`ModelSet`]) and shared read-only. Jobs wait in one bounded queue per
//!   kind; a full queue refuses a job at once ([`pool::SubmitError`]).
//!
//! Debian's libtesseract uses OpenMP: with several OCR workers start the
//! process with `OMP_THREAD_LIMIT=1` in its environment.

pub mod embedder;
pub mod generator;
mod graph;
pub mod image_size;
pub mod ocr;
pub mod pdf;
pub mod pool;
pub mod testing;
pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use embedder::{EmbeddingKind, EmbeddingModel};
pub use generator::{GenerationParams, GeneratorModel};
pub use ocr::{OcrConfig, OcrLanguage};
pub use pool::{ModelPool, PoolSettings};

/// Environment variable naming the models directory.
pub const MODELS_DIR_ENV: &str = "AGORA_MODELS_DIR";

/// Errors of the model workers. None of them is the caller's fault except
/// [`ModelError::InvalidInput`] (→ 400) and [`ModelError::ImageTooLarge`]
/// (→ 413); the others are server-side (→ 500,
/// or 503 for [`ModelError::Unavailable`] and [`ModelError::ToolMissing`],
/// 504 for [`ModelError::DeadlineExceeded`]).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A model or tokenizer file could not be read or parsed. Fix the install
    /// (`ops/models/install`); retrying does not help.
    #[error("cannot load {path}: {reason}")]
    Load {
        /// The file that failed.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// tract failed while running a model.
    #[error("inference failed: {0}")]
    Inference(String),
    /// The tokenizer failed on this input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// tesseract failed to initialise or to recognise the image; the worker
    /// re-creates its instance for the next job.
    #[error("ocr: {0}")]
    Ocr(String),
    /// The input cannot be processed (empty, too long, not an image, a PDF
    /// poppler cannot read, bad sampling parameters). Report it to the
    /// caller as a 400.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The image declares more pixels than the pool reads (its header is
    /// read before anything decodes it, see [`image_size`]). Report it to
    /// the caller as a 413 naming the limit; a smaller image may pass.
    #[error("{what} is {width}×{height} pixels; at most {max_pixels} pixels are read")]
    ImageTooLarge {
        /// Which image ("the image", "image 2 page 1").
        what: String,
        /// Its declared width.
        width: u32,
        /// Its declared height.
        height: u32,
        /// The limit, width × height.
        max_pixels: u64,
    },
    /// The pool was started without the model this job needs (→ 503).
    #[error("model not loaded: {0}")]
    Unavailable(&'static str),
    /// A program the job runs is not installed (→ 503); install its package
    /// (`ops/setup` does); retrying does not help until then.
    #[error("{program} is not installed (Debian package {package})")]
    ToolMissing {
        /// The program.
        program: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The PDF rasteriser could not be run to the end (temporary files,
    /// spawning, killed by a signal) (→ 500).
    #[error("pdf: {0}")]
    Pdf(String),
    /// The job's deadline passed while a program it runs was working; the
    /// program was killed. The pool reports it as
    /// [`JobError::DeadlineExceeded`](pool::JobError::DeadlineExceeded).
    #[error("deadline exceeded")]
    DeadlineExceeded,
}

impl ModelError {
    pub(crate) fn load(path: &Path, reason: impl std::fmt::Display) -> Self {
        ModelError::Load {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
    pub(crate) fn inference(e: impl std::fmt::Display) -> Self {
        ModelError::Inference(format!("{e:#}"))
    }
}

/// The directory `ops/models/install` fills, with the file names Agora loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsDir(PathBuf);

impl ModelsDir {
    /// `AGORA_MODELS_DIR` if set, else `$HOME/.cache/agora/models` (the
    /// install script's default). Does not check that it exists.
    pub fn from_env() -> Self {
        if let Some(dir) = std::env::var_os(MODELS_DIR_ENV) {
            return ModelsDir(PathBuf::from(dir));
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        ModelsDir(home.join(".cache/agora/models"))
    }

    /// A models directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ModelsDir(path.into())
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// True when the install's manifest (`SHA256SUMS`) is present, i.e. the
    /// install script finished.
    pub fn is_installed(&self) -> bool {
        self.0.join("SHA256SUMS").is_file()
    }

    /// Path of a file in the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The model versions (file name → sha256) from `SHA256SUMS`, for
    /// recording which models produced a result.
    pub fn model_versions(&self) -> Result<Vec<(String, String)>, ModelError> {
        let path = self.file("SHA256SUMS");
        let text = std::fs::read_to_string(&path).map_err(|e| ModelError::load(&path, e))?;
        Ok(text
            .lines()
            .filter_map(|line| {
                let (sum, name) = line.split_once(char::is_whitespace)?;
                Some((
                    name.trim().trim_start_matches('*').to_owned(),
                    sum.to_owned(),
                ))
            })
            .collect())
    }
}

/// The models loaded once and shared read-only by every worker. A missing
/// member makes jobs of that kind fail with [`ModelError::Unavailable`].
#[derive(Debug, Clone, Default)]
pub struct ModelSet {
    /// `paraphrase-MiniLM-L3-v2` (fp32).
    pub paraphrase: Option<Arc<EmbeddingModel>>,
    /// `all-MiniLM-L6-v2` (int8).
    pub minilm: Option<Arc<EmbeddingModel>>,
    /// SmolLM2-135M-Instruct.
    pub generator: Option<Arc<GeneratorModel>>,
    /// Where tesseract finds its language data.
    pub ocr: Option<OcrConfig>,
}

impl ModelSet {
    /// Loads every model from `dir` (several seconds: tract optimizes each
    /// graph once).
    pub fn load_all(dir: &ModelsDir) -> Result<Self, ModelError> {
        Ok(ModelSet {
            paraphrase: Some(Arc::new(EmbeddingModel::load(
                dir,
                EmbeddingKind::ParaphraseL3,
            )?)),
            minilm: Some(Arc::new(EmbeddingModel::load(
                dir,
                EmbeddingKind::MiniLmL6Int8,
            )?)),
            generator: Some(Arc::new(GeneratorModel::load(dir)?)),
            ocr: Some(OcrConfig::default()),
        })
    }

    /// The embedding model of `kind`, if loaded.
    pub fn embedding(&self, kind: EmbeddingKind) -> Option<&Arc<EmbeddingModel>> {
        match kind {
            EmbeddingKind::ParaphraseL3 => self.paraphrase.as_ref(),
            EmbeddingKind::MiniLmL6Int8 => self.minilm.as_ref(),
        }
    }
}
