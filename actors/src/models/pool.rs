//! The model worker pool: pinned OS threads, bounded queues, deadlines.
//!
//! ## Threads
//! [`ModelPool::start`] spawns [`PoolSettings::workers`] OS threads (default:
//! one per core), named `model-worker-{i}`, each pinned to core `i mod
//! cores` with `core_affinity` when [`PoolSettings::pin_to_cores`] is set.
//! Each worker owns its own tract states (one [`Embedder`] per embedding
//! model, one [`Generator`]) and its own tesseract instances
//! ([`OcrEngine`]); the optimized tract plans in the [`ModelSet`] are shared
//! read-only. Workers never run on the async runtime: a job's result comes
//! back through a oneshot channel that async code awaits
//! ([`JobHandle::wait`]) and plain threads block on
//! ([`JobHandle::wait_blocking`]).
//!
//! ## Queues
//! One FIFO queue per [`JobKind`] (embed, generate, OCR), each bounded by
//! its setting. [`ModelPool::embed`], [`ModelPool::generate`],
//! [`ModelPool::ocr`] and [`ModelPool::ocr_pdf_page`] never block: when the
//! kind's queue is full they fail at once with [`SubmitError::Overloaded`]
//! (the HTTP layer answers 503 with `Retry-After`). An idle worker takes
//! the next job round-robin across the kinds, so a burst of one kind does
//! not starve the others. Each page of a PDF is its own OCR job: the worker
//! that takes it rasterises that page ([`pdf`](super::pdf), a `pdftoppm`
//! child on the worker's core) and reads it, so the pages of one PDF spread
//! over the workers.
//!
//! ## Deadlines and cancellation
//! Every job carries a deadline and a [`CancelToken`]; dropping the
//! [`JobHandle`] cancels too. A job whose deadline passed or that was
//! cancelled while queued is answered without running. A running
//! generation checks between tokens and stops (returning what it has, with
//! its [`FinishReason`]); rasterising a PDF page stops at the deadline
//! (the child is killed) and a page rasterised too late is not read;
//! embedding and tesseract's recognition are short and run to the end once
//! started. Either way the worker is then free for the next job.

use std::collections::VecDeque;
use std::fmt;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use super::embedder::Embedder;
use super::generator::{FinishReason, Generation, GenerationParams, Generator};
use super::image_size::DEFAULT_MAX_IMAGE_PIXELS;
use super::ocr::{OcrEngine, OcrLanguage, OcrPage};
use super::{EmbeddingKind, ModelError, ModelSet, pdf};

/// Settings of the pool. Every number is a named setting with a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Worker threads. Default: one per core.
    pub workers: usize,
    /// Pin worker `i` to core `i mod cores`. Default: true.
    pub pin_to_cores: bool,
    /// Most embedding jobs waiting (not counting running ones). Default: 256.
    pub embed_queue: usize,
    /// Most generation jobs waiting. Default: 8.
    pub generate_queue: usize,
    /// Most OCR jobs waiting (an image, or one page of a PDF). Default: 32.
    pub ocr_queue: usize,
    /// Longest side, in pixels, of a PDF page rasterised for OCR (bounds
    /// each page's image to this squared, in bytes). Default:
    /// [`pdf::DEFAULT_MAX_SIDE_PX`] (3300, A4 or Letter at about 300 dpi).
    pub pdf_max_side_px: u32,
    /// Most pixels (width × height, read from the header before anything
    /// decodes it) of an image OCR reads; a larger one is refused with
    /// [`ModelError::ImageTooLarge`]. A PDF page is rasterised to at most
    /// this many pixels too (its longest side is then at most the square
    /// root). Default: [`DEFAULT_MAX_IMAGE_PIXELS`] (40 million).
    pub max_image_pixels: u64,
    /// What to advise in `Retry-After` when a queue is full. Default: 2 s.
    pub retry_after: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            pin_to_cores: true,
            embed_queue: 256,
            generate_queue: 8,
            ocr_queue: 32,
            pdf_max_side_px: pdf::DEFAULT_MAX_SIDE_PX,
            max_image_pixels: DEFAULT_MAX_IMAGE_PIXELS,
            retry_after: Duration::from_secs(2),
        }
    }
}

impl PoolSettings {
    fn capacity(&self, kind: JobKind) -> usize {
        match kind {
            JobKind::Embed => self.embed_queue,
            JobKind::Generate => self.generate_queue,
            JobKind::Ocr => self.ocr_queue,
        }
    }

    /// The longest side a PDF page is rasterised to: the setting, or less
    /// so that a square page stays within [`PoolSettings::max_image_pixels`].
    fn pdf_side_px(&self) -> u32 {
        let fitting = u32::try_from(self.max_image_pixels.isqrt()).unwrap_or(u32::MAX);
        self.pdf_max_side_px.min(fitting)
    }
}

/// The kinds of job, each with its own queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Sentence embedding.
    Embed,
    /// Text generation.
    Generate,
    /// OCR of one image or one PDF page.
    Ocr,
}

impl JobKind {
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JobKind::Embed => "embedding",
            JobKind::Generate => "generation",
            JobKind::Ocr => "ocr",
        })
    }
}

/// Why a job was not accepted. Both are answered 503.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The kind's queue is full: answer 503 with `Retry-After:
    /// retry_after` at once; retrying later may succeed.
    #[error("the {kind} queue is full ({capacity} jobs waiting); retry after {retry_after:?}")]
    Overloaded {
        /// Which queue.
        kind: JobKind,
        /// Its bound.
        capacity: usize,
        /// Advised wait before retrying.
        retry_after: Duration,
    },
    /// The pool is shutting down: answer 503; do not retry on this process.
    #[error("the model pool is shut down")]
    ShutDown,
}

/// Why an accepted job produced no result.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The model failed or rejected the input (see [`ModelError`]; never
    /// [`ModelError::DeadlineExceeded`], which converts to
    /// [`JobError::DeadlineExceeded`]).
    #[error(transparent)]
    Model(ModelError),
    /// The deadline passed before the job could run, or while a PDF page
    /// was being rasterised (→ 503 or 504).
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// The job was cancelled before it ran.
    #[error("cancelled")]
    Cancelled,
    /// The worker stopped (panicked or the pool shut down) without
    /// answering (→ 500).
    #[error("the worker stopped without answering")]
    WorkerLost,
}

impl From<ModelError> for JobError {
    /// A deadline that passed inside the model is the job's deadline.
    fn from(error: ModelError) -> Self {
        match error {
            ModelError::DeadlineExceeded => JobError::DeadlineExceeded,
            other => JobError::Model(other),
        }
    }
}

/// A shared cancel flag: [`CancelToken::cancel`] stops the job at its next
/// check.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The caller's side of an accepted job.
#[derive(Debug)]
pub struct JobHandle<T> {
    reply: oneshot::Receiver<Result<T, JobError>>,
    cancel: CancelToken,
}

impl<T> JobHandle<T> {
    /// The job's cancel token (cancelling it stops the job).
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Waits for the result (async).
    pub async fn wait(self) -> Result<T, JobError> {
        self.reply.await.unwrap_or(Err(JobError::WorkerLost))
    }

    /// Waits for the result, blocking this thread (never call it on an async
    /// runtime thread).
    pub fn wait_blocking(self) -> Result<T, JobError> {
        self.reply
            .blocking_recv()
            .unwrap_or(Err(JobError::WorkerLost))
    }
}

/// Receives generated text as it is produced, on the worker thread: keep it
/// quick (e.g. push into a channel). Returning `ControlFlow::Break` stops
/// the generation (as a cancellation).
pub type PieceSink = Box<dyn FnMut(&str) -> ControlFlow<()> + Send>;

struct Ticket<T> {
    deadline: Instant,
    cancel: CancelToken,
    reply: oneshot::Sender<Result<T, JobError>>,
}

impl<T> Ticket<T> {
    fn interrupted(&self) -> Option<JobError> {
        if self.cancel.is_cancelled() || self.reply.is_closed() {
            Some(JobError::Cancelled)
        } else if Instant::now() >= self.deadline {
            Some(JobError::DeadlineExceeded)
        } else {
            None
        }
    }

    fn answer(self, result: Result<T, JobError>) {
        // The caller may have gone away; nobody is left to tell.
        let _ = self.reply.send(result);
    }
}

enum Job {
    Embed {
        kind: EmbeddingKind,
        text: String,
        ticket: Ticket<Vec<f32>>,
    },
    Generate {
        prompt: String,
        params: GenerationParams,
        sink: PieceSink,
        ticket: Ticket<Generation>,
    },
    Ocr {
        input: OcrInput,
        language: OcrLanguage,
        ticket: Ticket<OcrPage>,
    },
}

/// What an OCR job reads.
enum OcrInput {
    /// An encoded image (whatever leptonica reads).
    Image(Vec<u8>),
    /// Page `page` (1-based) of a PDF, rasterised by the worker first.
    PdfPage { pdf: Arc<pdf::PdfFile>, page: usize },
}

struct Queues {
    jobs: [VecDeque<Job>; 3],
    next: usize,
    shut_down: bool,
}

impl Queues {
    fn pop(&mut self) -> Option<Job> {
        for offset in 0..self.jobs.len() {
            let ix = (self.next + offset) % self.jobs.len();
            if let Some(job) = self.jobs[ix].pop_front() {
                self.next = (ix + 1) % self.jobs.len();
                return Some(job);
            }
        }
        None
    }
}

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
    settings: PoolSettings,
}

/// The pool of model workers (see the module doc). Dropping it lets the
/// workers finish the queued jobs, then joins them.
pub struct ModelPool {
    shared: Arc<Shared>,
    models: ModelSet,
    workers: Vec<JoinHandle<()>>,
}

impl fmt::Debug for ModelPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelPool")
            .field("settings", &self.shared.settings)
            .field("workers", &self.workers.len())
            .finish()
    }
}

/// What one worker owns.
struct WorkerState {
    paraphrase: Option<Embedder>,
    minilm: Option<Embedder>,
    generator: Option<Generator>,
    ocr: Option<OcrEngine>,
}

impl WorkerState {
    fn new(models: &ModelSet, max_image_pixels: u64) -> Result<Self, ModelError> {
        Ok(WorkerState {
            paraphrase: models
                .paraphrase
                .as_ref()
                .map(|m| m.embedder())
                .transpose()?,
            minilm: models.minilm.as_ref().map(|m| m.embedder()).transpose()?,
            generator: models
                .generator
                .as_ref()
                .map(|m| m.generator())
                .transpose()?,
            ocr: models
                .ocr
                .clone()
                .map(|config| OcrEngine::new(config).with_max_pixels(max_image_pixels)),
        })
    }
}

impl ModelPool {
    /// Starts the workers over `models` (each builds its own states from the
    /// shared plans). Fails if a worker's state cannot be built or a thread
    /// cannot be spawned.
    pub fn start(models: ModelSet, settings: PoolSettings) -> Result<Self, ModelError> {
        let workers = settings.workers.max(1);
        let pin = settings.pin_to_cores;
        let max_image_pixels = settings.max_image_pixels;
        let shared = Arc::new(Shared {
            queues: Mutex::new(Queues {
                jobs: Default::default(),
                next: 0,
                shut_down: false,
            }),
            ready: Condvar::new(),
            settings,
        });
        let cores = if pin {
            core_affinity::get_core_ids().unwrap_or_default()
        } else {
            Vec::new()
        };
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let state = WorkerState::new(&models, max_image_pixels)?;
            let core = (!cores.is_empty()).then(|| cores[i % cores.len()]);
            let shared = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name(format!("model-worker-{i}"))
                .spawn(move || {
                    if let Some(core) = core
                        && !core_affinity::set_for_current(core)
                    {
                        tracing::warn!(worker = i, core = core.id, "could not pin model worker");
                    }
                    worker_loop(&shared, state);
                })
                .map_err(|e| ModelError::Inference(format!("cannot spawn a model worker: {e}")))?;
            handles.push(handle);
        }
        Ok(ModelPool {
            shared,
            models,
            workers: handles,
        })
    }

    /// The models this pool runs.
    pub fn models(&self) -> &ModelSet {
        &self.models
    }

    /// The pool's settings.
    pub fn settings(&self) -> &PoolSettings {
        &self.shared.settings
    }

    /// Jobs of `kind` waiting (not running).
    pub fn queued(&self, kind: JobKind) -> usize {
        self.shared.queues.lock().jobs[kind.index()].len()
    }

    /// Queues an embedding of `text` (an L2-normalised 384-d vector).
    pub fn embed(
        &self,
        kind: EmbeddingKind,
        text: String,
        deadline: Instant,
    ) -> Result<JobHandle<Vec<f32>>, SubmitError> {
        self.submit(JobKind::Embed, deadline, |ticket| Job::Embed {
            kind,
            text,
            ticket,
        })
    }

    /// Queues a generation from `prompt` (already formatted, e.g. with
    /// [`chatml_prompt`](super::generator::chatml_prompt)); pieces of text go
    /// to `sink` as they are produced. The result holds the whole text and
    /// why it ended — a generation stopped by its deadline or cancel token
    /// after it started returns what it has, with that
    /// [`FinishReason`].
    pub fn generate(
        &self,
        prompt: String,
        params: GenerationParams,
        deadline: Instant,
        sink: PieceSink,
    ) -> Result<JobHandle<Generation>, SubmitError> {
        self.submit(JobKind::Generate, deadline, |ticket| Job::Generate {
            prompt,
            params,
            sink,
            ticket,
        })
    }

    /// Queues the OCR of an encoded image (PNG, JPEG, TIFF, … whatever
    /// leptonica reads; an unreadable one is answered
    /// [`ModelError::InvalidInput`]).
    pub fn ocr(
        &self,
        image: Vec<u8>,
        language: OcrLanguage,
        deadline: Instant,
    ) -> Result<JobHandle<OcrPage>, SubmitError> {
        self.submit(JobKind::Ocr, deadline, |ticket| Job::Ocr {
            input: OcrInput::Image(image),
            language,
            ticket,
        })
    }

    /// Queues the OCR of page `page` (1-based) of `pdf`, one job in the OCR
    /// queue: the worker rasterises the page to at most
    /// [`PoolSettings::pdf_max_side_px`] pixels on its longest side, then
    /// reads it. A PDF poppler cannot read, or a page it does not have, is
    /// answered [`ModelError::InvalidInput`]; without poppler installed,
    /// [`ModelError::ToolMissing`]; a rasterisation still running at the
    /// deadline is killed and answered [`JobError::DeadlineExceeded`].
    pub fn ocr_pdf_page(
        &self,
        pdf: Arc<pdf::PdfFile>,
        page: usize,
        language: OcrLanguage,
        deadline: Instant,
    ) -> Result<JobHandle<OcrPage>, SubmitError> {
        self.submit(JobKind::Ocr, deadline, |ticket| Job::Ocr {
            input: OcrInput::PdfPage { pdf, page },
            language,
            ticket,
        })
    }

    fn submit<T>(
        &self,
        kind: JobKind,
        deadline: Instant,
        job: impl FnOnce(Ticket<T>) -> Job,
    ) -> Result<JobHandle<T>, SubmitError> {
        let settings = &self.shared.settings;
        let mut queues = self.shared.queues.lock();
        if queues.shut_down {
            return Err(SubmitError::ShutDown);
        }
        let capacity = settings.capacity(kind);
        if queues.jobs[kind.index()].len() >= capacity {
            return Err(SubmitError::Overloaded {
                kind,
                capacity,
                retry_after: settings.retry_after,
            });
        }
        let (tx, rx) = oneshot::channel();
        let cancel = CancelToken::default();
        queues.jobs[kind.index()].push_back(job(Ticket {
            deadline,
            cancel: cancel.clone(),
            reply: tx,
        }));
        drop(queues);
        self.shared.ready.notify_one();
        Ok(JobHandle { reply: rx, cancel })
    }
}

impl Drop for ModelPool {
    fn drop(&mut self) {
        self.shared.queues.lock().shut_down = true;
        self.shared.ready.notify_all();
        for handle in self.workers.drain(..) {
            if handle.join().is_err() {
                tracing::error!("a model worker panicked");
            }
        }
    }
}

fn worker_loop(shared: &Shared, mut state: WorkerState) {
    loop {
        let job = {
            let mut queues = shared.queues.lock();
            loop {
                if let Some(job) = queues.pop() {
                    break job;
                }
                if queues.shut_down {
                    return;
                }
                shared.ready.wait(&mut queues);
            }
        };
        // A panic inside a model drops the job's reply (the caller sees
        // WorkerLost) but keeps the worker serving.
        if catch_unwind(AssertUnwindSafe(|| run(job, &mut state, &shared.settings))).is_err() {
            tracing::error!("a model job panicked");
        }
    }
}

fn run(job: Job, state: &mut WorkerState, settings: &PoolSettings) {
    match job {
        Job::Embed { kind, text, ticket } => {
            if let Some(e) = ticket.interrupted() {
                return ticket.answer(Err(e));
            }
            let embedder = match kind {
                EmbeddingKind::ParaphraseL3 => state.paraphrase.as_mut(),
                EmbeddingKind::MiniLmL6Int8 => state.minilm.as_mut(),
            };
            let result = match embedder {
                Some(embedder) => embedder.embed(&text).map_err(JobError::from),
                None => Err(ModelError::Unavailable(kind.model_name()).into()),
            };
            ticket.answer(result);
        }
        Job::Ocr {
            input,
            language,
            ticket,
        } => {
            if let Some(e) = ticket.interrupted() {
                return ticket.answer(Err(e));
            }
            let Some(engine) = state.ocr.as_mut() else {
                return ticket.answer(Err(ModelError::Unavailable("tesseract").into()));
            };
            let result = match input {
                OcrInput::Image(image) => engine.recognize(&image, language),
                OcrInput::PdfPage { pdf, page } => {
                    let image =
                        match pdf.rasterize_page(page, settings.pdf_side_px(), ticket.deadline) {
                            Ok(image) => image,
                            Err(e) => return ticket.answer(Err(e.into())),
                        };
                    // Rasterising took time: the caller may be gone by now.
                    if let Some(e) = ticket.interrupted() {
                        return ticket.answer(Err(e));
                    }
                    engine.recognize(&image, language)
                }
            };
            ticket.answer(result.map_err(JobError::from));
        }
        Job::Generate {
            prompt,
            params,
            mut sink,
            ticket,
        } => {
            if let Some(e) = ticket.interrupted() {
                return ticket.answer(Err(e));
            }
            let Some(generator) = state.generator.as_mut() else {
                return ticket.answer(Err(ModelError::Unavailable("smollm2").into()));
            };
            let mut interrupt = || {
                ticket.interrupted().map(|e| match e {
                    JobError::DeadlineExceeded => FinishReason::DeadlineExceeded,
                    _ => FinishReason::Cancelled,
                })
            };
            let result = generator.generate(&prompt, &params, &mut interrupt, &mut *sink);
            ticket.answer(result.map_err(JobError::from));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ocr_only_pool(workers: usize, ocr_queue: usize) -> ModelPool {
        let models = ModelSet {
            ocr: None,
            ..ModelSet::default()
        };
        let settings = PoolSettings {
            workers,
            ocr_queue,
            pin_to_cores: false,
            ..PoolSettings::default()
        };
        ModelPool::start(models, settings).expect("a pool without models starts")
    }

    #[test]
    fn a_job_without_its_model_is_answered_unavailable() {
        let pool = ocr_only_pool(1, 4);
        let handle = pool.ocr(
            vec![1, 2, 3],
            OcrLanguage::Eng,
            Instant::now() + Duration::from_secs(60),
        );
        let result = handle.expect("accepted").wait_blocking();
        assert!(
            matches!(result, Err(JobError::Model(ModelError::Unavailable(_)))),
            "{result:?}"
        );
    }

    /// A PNG header declaring `width` × `height` (the check never reads
    /// further, so no pixel data is needed).
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 0, 0, 0, 0]);
        png
    }

    #[test]
    fn an_image_over_the_pixel_limit_is_refused_before_tesseract_or_leptonica_run() {
        // The engine creates tesseract lazily: the refusal comes first, so
        // this holds on a machine without tesseract's language data too.
        let models = ModelSet {
            ocr: Some(super::super::OcrConfig {
                datapath: Some("/nonexistent/tessdata".into()),
            }),
            ..ModelSet::default()
        };
        let settings = PoolSettings {
            workers: 1,
            pin_to_cores: false,
            max_image_pixels: 1_000_000,
            ..PoolSettings::default()
        };
        let pool = ModelPool::start(models, settings).expect("starts");
        let later = Instant::now() + Duration::from_secs(60);
        let result = pool
            .ocr(png_header(16_000, 16_000), OcrLanguage::Eng, later)
            .expect("accepted")
            .wait_blocking();
        match result {
            Err(JobError::Model(ModelError::ImageTooLarge {
                width, max_pixels, ..
            })) => assert_eq!((width, max_pixels), (16_000, 1_000_000)),
            other => panic!("expected ImageTooLarge, got {other:?}"),
        }
        let result = pool
            .ocr(b"GIF89a".to_vec(), OcrLanguage::Eng, later)
            .expect("accepted")
            .wait_blocking();
        assert!(
            matches!(result, Err(JobError::Model(ModelError::InvalidInput(_)))),
            "a size the header does not tell: {result:?}"
        );
    }

    #[test]
    fn pdf_pages_are_rasterised_within_the_pixel_limit() {
        let defaults = PoolSettings::default();
        assert_eq!(defaults.pdf_side_px(), pdf::DEFAULT_MAX_SIDE_PX);
        let tight = PoolSettings {
            max_image_pixels: 1_000_000,
            ..PoolSettings::default()
        };
        assert_eq!(tight.pdf_side_px(), 1_000);
    }

    #[test]
    fn a_deadline_inside_the_model_is_the_jobs_deadline() {
        assert!(matches!(
            JobError::from(ModelError::DeadlineExceeded),
            JobError::DeadlineExceeded
        ));
        assert!(matches!(
            JobError::from(ModelError::InvalidInput("x".into())),
            JobError::Model(ModelError::InvalidInput(_))
        ));
    }

    #[test]
    fn a_pdf_page_waits_in_the_ocr_queue_and_needs_tesseract() {
        let pdf = Arc::new(pdf::PdfFile::write(b"%PDF-1.4").expect("writes"));
        let later = Instant::now() + Duration::from_secs(60);
        let full = ocr_only_pool(1, 0).ocr_pdf_page(Arc::clone(&pdf), 1, OcrLanguage::Eng, later);
        assert!(
            matches!(
                full,
                Err(SubmitError::Overloaded {
                    kind: JobKind::Ocr,
                    ..
                })
            ),
            "{full:?}"
        );
        let pool = ocr_only_pool(1, 4);
        let result = pool
            .ocr_pdf_page(pdf, 1, OcrLanguage::Eng, later)
            .expect("accepted")
            .wait_blocking();
        assert!(
            matches!(result, Err(JobError::Model(ModelError::Unavailable(_)))),
            "{result:?}"
        );
    }

    #[test]
    fn a_full_queue_refuses_at_once_with_overloaded() {
        let pool = ocr_only_pool(1, 0);
        let result = pool.ocr(
            vec![1],
            OcrLanguage::Eng,
            Instant::now() + Duration::from_secs(60),
        );
        let Err(err) = result else {
            panic!("a zero-capacity queue accepted a job")
        };
        assert_eq!(
            err,
            SubmitError::Overloaded {
                kind: JobKind::Ocr,
                capacity: 0,
                retry_after: Duration::from_secs(2)
            }
        );
    }

    #[test]
    fn a_job_past_its_deadline_is_not_run() {
        let pool = ocr_only_pool(1, 4);
        let handle = pool
            .ocr(vec![1], OcrLanguage::Eng, Instant::now())
            .expect("accepted");
        assert!(matches!(
            handle.wait_blocking(),
            Err(JobError::DeadlineExceeded)
        ));
    }

    #[test]
    fn a_cancelled_job_is_not_run() {
        let pool = ocr_only_pool(1, 4);
        let handle = pool
            .ocr(
                vec![1],
                OcrLanguage::Eng,
                Instant::now() + Duration::from_secs(60),
            )
            .expect("accepted");
        // Whether the worker already took it or not, it ends without a model error.
        handle.cancel_token().cancel();
        let result = handle.wait_blocking();
        assert!(
            matches!(
                result,
                Err(JobError::Cancelled) | Err(JobError::Model(ModelError::Unavailable(_)))
            ),
            "{result:?}"
        );
    }
}
