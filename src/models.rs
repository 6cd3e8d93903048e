//! The model workers as the server runs them.
//!
//! [`Models::start`] returns at once: when `models.enabled`, one background
//! thread (`models-loader`) loads the installed models (several seconds:
//! tract optimizes each graph) and then starts the pinned worker pool
//! ([`ModelPool`]); until then, or when disabled or not installed, the
//! model endpoints answer 503 `models-unavailable` while every other route
//! (and `/healthz`) serves normally. A model request that comes while the
//! models load first waits for them, up to `read_wait_ms`
//! ([`Models::ready_within`]). The pool's threads and queues are
//! described in `agora_actors::models::pool`.

use std::sync::Arc;
use std::time::Duration;

use agora_actors::models::generator::{GENERATOR_FILE, GENERATOR_MODEL_NAME};
use agora_actors::models::pool::{ModelPool, PoolSettings};
use agora_actors::models::verify::{Verifier, VerifySettings};
use agora_actors::models::{ModelSet, ModelsDir};
use agora_actors::projection::ProjectionHandle;
use agora_actors::projection::near_dup::NearDupProjection;
use agora_events::domain::content_models::ModelVersion;
use parking_lot::RwLock;
use tokio::sync::watch;

use crate::config::ModelsSettings;

/// The loaded models: the pool and the verification pipeline over it.
pub(crate) struct Ready {
    /// The worker pool.
    pub(crate) pool: Arc<ModelPool>,
    /// The verification pipeline.
    pub(crate) verifier: Verifier,
    /// The generation model's name with its file's sha256
    /// (`name@sha256`), recorded with every draft.
    pub(crate) generator_model: String,
}

/// Where loading stands.
enum Status {
    /// `models.enabled` is false.
    Disabled,
    /// The loader thread is still running.
    Loading,
    /// Loaded and serving.
    Ready(Arc<Ready>),
    /// Loading failed; the reason, for the 503's detail.
    Failed(String),
}

/// The server's model workers (see the module doc). Cheap to share.
#[derive(Clone)]
pub(crate) struct Models {
    status: Arc<RwLock<Status>>,
    /// Becomes true once loading ended (ready or failed).
    settled: Arc<watch::Sender<bool>>,
    settings: ModelsSettings,
}

impl Models {
    /// Starts loading in the background when enabled; never blocks.
    pub(crate) fn start(
        settings: &ModelsSettings,
        near_dup: ProjectionHandle<NearDupProjection>,
    ) -> Self {
        let models = Models {
            status: Arc::new(RwLock::new(if settings.enabled {
                Status::Loading
            } else {
                Status::Disabled
            })),
            settled: Arc::new(watch::Sender::new(!settings.enabled)),
            settings: settings.clone(),
        };
        if settings.enabled {
            let status = Arc::clone(&models.status);
            let settled = Arc::clone(&models.settled);
            let settings = settings.clone();
            let spawned = std::thread::Builder::new()
                .name("models-loader".into())
                .spawn(move || {
                    let loaded = load(&settings, near_dup);
                    *status.write() = match loaded {
                        Ok(ready) => {
                            tracing::info!("model workers ready");
                            Status::Ready(Arc::new(ready))
                        }
                        Err(reason) => {
                            tracing::error!(%reason, "model workers unavailable");
                            Status::Failed(reason)
                        }
                    };
                    settled.send_replace(true);
                });
            if let Err(e) = spawned {
                *models.status.write() = Status::Failed(format!("cannot start the loader: {e}"));
                models.settled.send_replace(true);
            }
        }
        models
    }

    /// The settings.
    pub(crate) fn settings(&self) -> &ModelsSettings {
        &self.settings
    }

    /// Like [`Models::ready`], but while the models load it first waits
    /// for the loader, at most `wait`.
    pub(crate) async fn ready_within(&self, wait: Duration) -> Result<Arc<Ready>, String> {
        let mut settled = self.settled.subscribe();
        // Whatever the outcome (loaded, failed, still loading), `ready`
        // tells it.
        let _ = tokio::time::timeout(wait, settled.wait_for(|done| *done)).await;
        self.ready()
    }

    /// The loaded models, or why there are none (for a 503's detail).
    pub(crate) fn ready(&self) -> Result<Arc<Ready>, String> {
        match &*self.status.read() {
            Status::Ready(ready) => Ok(Arc::clone(ready)),
            Status::Disabled => Err("the model workers are disabled (models.enabled)".into()),
            Status::Loading => Err("the models are still loading; retry shortly".into()),
            Status::Failed(reason) => Err(format!("the models could not be loaded: {reason}")),
        }
    }
}

/// The models directory of the settings (default: the install script's).
fn models_dir(settings: &ModelsSettings) -> ModelsDir {
    match &settings.dir {
        Some(dir) => ModelsDir::new(dir.clone()),
        None => ModelsDir::from_env(),
    }
}

fn load(
    settings: &ModelsSettings,
    near_dup: ProjectionHandle<NearDupProjection>,
) -> Result<Ready, String> {
    let dir = models_dir(settings);
    if !dir.is_installed() {
        return Err(format!(
            "no models in {} (run ops/models/install)",
            dir.path().display()
        ));
    }
    let set = ModelSet::load_all(&dir).map_err(|e| e.to_string())?;
    let defaults = PoolSettings::default();
    let pool = ModelPool::start(
        set,
        PoolSettings {
            workers: if settings.workers == 0 {
                defaults.workers
            } else {
                settings.workers
            },
            pin_to_cores: settings.pin_to_cores,
            embed_queue: settings.embed_queue,
            generate_queue: settings.generate_queue,
            ocr_queue: settings.ocr_queue,
            pdf_max_side_px: defaults.pdf_max_side_px,
            max_image_pixels: settings.max_image_pixels,
            retry_after: Duration::from_secs(u64::from(settings.retry_after_secs)),
        },
    )
    .map_err(|e| e.to_string())?;
    let versions: Vec<ModelVersion> = dir
        .model_versions()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(name, sha256)| ModelVersion { name, sha256 })
        .collect();
    let generator_model = versions
        .iter()
        .find(|v| v.name == GENERATOR_FILE)
        .map_or_else(
            || GENERATOR_MODEL_NAME.to_owned(),
            |v| format!("{GENERATOR_MODEL_NAME}@{}", v.sha256),
        );
    let verifier = Verifier::new(
        Arc::new(pool),
        near_dup,
        VerifySettings {
            deadline: Duration::from_secs(settings.verify_timeout_secs),
            max_pdf_pages: settings.max_pdf_pages,
            ..VerifySettings::default()
        },
        versions,
    );
    Ok(Ready {
        pool: Arc::clone(verifier.pool()),
        verifier,
        generator_model,
    })
}
