//! The trainer actor and the [`Recommender`] handle the HTTP layer holds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use agora_events::domain::DomainEvent;
use agora_events::domain::recommender::{MODELS_STREAM, RecommenderEvent, RecommenderModelTrained};
use agora_events::{EventMetadata, EventStore, ExpectedVersion, ReadDirection, StreamName};
use arc_swap::ArcSwapOption;
use parking_lot::Mutex;
use tokio::sync::{oneshot, watch};

use super::serving::ServingModel;
use super::training::{fit, training_matrix};
use super::{RecommenderConfig, RecommenderError, Trigger};
use crate::clock::Clock;
use crate::projection::ProjectionHandle;
use crate::projection::interactions::InteractionsView;

/// The `actor_id` of the model events.
const ACTOR_ID: &str = "agora-recommender";

/// Longest wait of [`Recommender::train`] for the interactions projection
/// to apply what the log held when it was called; past it the run trains
/// on what the projection has.
const CATCH_UP_WAIT: Duration = Duration::from_secs(5);

/// Where the recommender stands.
#[derive(Clone, Debug, PartialEq)]
pub struct RecommenderStatus {
    /// Whether a training run is in flight.
    pub training: bool,
    /// Whether the start-up check ran (the projection caught up with the
    /// log as it was at start).
    pub started: bool,
    /// The published model's event (`None`: no model yet).
    pub model: Option<RecommenderModelTrained>,
    /// Why the last run failed, if it did.
    pub last_error: Option<String>,
    /// Interaction events in the projection.
    pub interactions: u64,
    /// Of which arrived since the last run started.
    pub interactions_since_training: u64,
}

#[derive(Default)]
struct Progress {
    training: bool,
    started: bool,
    last_error: Option<String>,
    changes_at_last: u64,
}

struct Shared {
    model: ArcSwapOption<ServingModel>,
    progress: Mutex<Progress>,
    /// The published model's version (0: none yet), sent after `model` is
    /// stored.
    published: watch::Sender<u64>,
    /// Checks the trainer made (its ticks), for tests that must see it
    /// look at a state without a run following.
    checks: watch::Sender<u64>,
}

/// Stops the trainer's arbiter when the last handle goes.
struct ArbiterGuard(Option<Arbiter>);

impl Drop for ArbiterGuard {
    fn drop(&mut self) {
        if let Some(arbiter) = self.0.take() {
            arbiter.stop();
            if arbiter.join().is_err() {
                tracing::error!("the recommender arbiter panicked");
            }
        }
    }
}

/// The recommender: the current model and the trainer. Cheap to clone.
#[derive(Clone)]
pub struct Recommender {
    shared: Arc<Shared>,
    store: Arc<dyn EventStore>,
    view: ProjectionHandle<InteractionsView>,
    config: Arc<RecommenderConfig>,
    trainer: Addr<Trainer>,
    _arbiter: Arc<ArbiterGuard>,
}

type Outcome = Result<Arc<ServingModel>, RecommenderError>;

impl Recommender {
    /// Starts the trainer on its own arbiter over the interactions
    /// projection `view`, appending model events to `store`. Must be
    /// called inside a running actix `System`.
    ///
    /// # Errors
    /// [`RecommenderError::Settings`] if `config` is out of range.
    pub fn start(
        store: Arc<dyn EventStore>,
        view: ProjectionHandle<InteractionsView>,
        config: RecommenderConfig,
        clock: Clock,
    ) -> Result<Self, RecommenderError> {
        config.validate()?;
        let config = Arc::new(config);
        let shared = Arc::new(Shared {
            model: ArcSwapOption::empty(),
            progress: Mutex::new(Progress::default()),
            published: watch::Sender::new(0),
            checks: watch::Sender::new(0),
        });
        let trainer = Trainer {
            shared: Arc::clone(&shared),
            store: Arc::clone(&store),
            view: view.clone(),
            config: Arc::clone(&config),
            clock,
            running: false,
            waiting: Vec::new(),
            queued: Vec::new(),
            last_run: Instant::now(),
            last_finished: None,
            start_head: StartHead::Reading,
        };
        let arbiter = Arbiter::new();
        let trainer = Trainer::start_in_arbiter(&arbiter.handle(), move |_| trainer);
        Ok(Self {
            shared,
            store,
            view,
            config,
            trainer,
            _arbiter: Arc::new(ArbiterGuard(Some(arbiter))),
        })
    }

    /// The published model, if any: every answer computed from one `Arc`
    /// comes from one version.
    pub fn current(&self) -> Option<Arc<ServingModel>> {
        self.shared.model.load_full()
    }

    /// Waits, at most `timeout`, until a model of `version` or later is
    /// published, and answers it (`None` if none was in time).
    pub async fn published(&self, version: u64, timeout: Duration) -> Option<Arc<ServingModel>> {
        let mut versions = self.shared.published.subscribe();
        let reached = tokio::time::timeout(timeout, versions.wait_for(|v| *v >= version)).await;
        match reached {
            Ok(Ok(_)) => self.current().filter(|model| model.version() >= version),
            _ => None,
        }
    }

    /// The settings.
    pub fn config(&self) -> &RecommenderConfig {
        &self.config
    }

    /// The interactions projection the recommender trains on.
    pub fn interactions(&self) -> &ProjectionHandle<InteractionsView> {
        &self.view
    }

    /// Where the recommender stands.
    pub fn status(&self) -> RecommenderStatus {
        let interactions = self.view.read(InteractionsView::changes);
        let progress = self.shared.progress.lock();
        RecommenderStatus {
            training: progress.training,
            started: progress.started,
            model: self.current().map(|m| m.event().clone()),
            last_error: progress.last_error.clone(),
            interactions,
            interactions_since_training: interactions.saturating_sub(progress.changes_at_last),
        }
    }

    /// Trains now (or right after the run in flight) and waits for the
    /// published model. The run covers every interaction acknowledged
    /// before the call: it first waits (at most 5 s, then it trains on
    /// what the projection has) until the interactions projection applied
    /// the log up to its head at the call.
    ///
    /// # Errors
    /// [`RecommenderError::NoData`] without interactions; the run's error
    /// if it failed; [`RecommenderError::Stopped`] if the trainer stopped.
    pub async fn train(&self) -> Result<Arc<ServingModel>, RecommenderError> {
        match self.store.head_position().await {
            Ok(Some(head)) => {
                if !self.view.wait_for(head, CATCH_UP_WAIT).await {
                    tracing::warn!(
                        head,
                        checkpoint = ?self.view.checkpoint(),
                        "the interactions projection is behind the log; training on what it has"
                    );
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "reading the log head; training on what the projection has");
            }
        }
        let answer = self
            .trainer
            .send(TrainNow)
            .await
            .map_err(|_| RecommenderError::Stopped)?;
        answer.await.map_err(|_| RecommenderError::Stopped)?
    }
}

/// The head of the log at start-up, which the projection must reach
/// before the start-up run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StartHead {
    /// Still asking the store.
    Reading,
    /// The projection must reach this position (`None`: the log was empty).
    Waiting(Option<u64>),
    /// The start-up check ran.
    Done,
}

struct Trainer {
    shared: Arc<Shared>,
    store: Arc<dyn EventStore>,
    view: ProjectionHandle<InteractionsView>,
    config: Arc<RecommenderConfig>,
    clock: Clock,
    running: bool,
    /// Waiting for the run in flight.
    waiting: Vec<oneshot::Sender<Outcome>>,
    /// Waiting for the run after it.
    queued: Vec<oneshot::Sender<Outcome>>,
    last_run: Instant,
    /// When the last run ended (`None`: none yet).
    last_finished: Option<Instant>,
    start_head: StartHead,
}

impl Actor for Trainer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let store = Arc::clone(&self.store);
        ctx.spawn(
            async move { store.head_position().await }
                .into_actor(self)
                .map(|head, trainer, ctx| {
                    trainer.start_head = StartHead::Waiting(head.unwrap_or_else(|error| {
                        tracing::warn!(%error, "reading the log head; the start-up run will not wait");
                        None
                    }));
                    trainer.tick(ctx);
                }),
        );
        ctx.run_interval(self.config.check_interval, |trainer, ctx| trainer.tick(ctx));
    }
}

impl Trainer {
    fn changes(&self) -> u64 {
        self.view.read(InteractionsView::changes)
    }

    /// Starts a run if one is due, and counts the check.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        self.check(ctx);
        self.shared.checks.send_modify(|n| *n = n.saturating_add(1));
    }

    fn check(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            return;
        }
        match self.start_head {
            StartHead::Reading => return,
            StartHead::Waiting(head) => {
                let checkpoint = self.view.checkpoint();
                let caught_up = head.is_none_or(|h| checkpoint.is_some_and(|c| c >= h));
                if !caught_up {
                    return;
                }
                self.start_head = StartHead::Done;
                let changes = self.changes();
                // A run an admin asked for meanwhile already covers the
                // data the log held at start.
                let trained = self.shared.model.load().is_some();
                let mut progress = self.shared.progress.lock();
                progress.started = true;
                if trained {
                    return;
                }
                if self.config.train_on_start && changes > 0 {
                    // Training from this instant: a status read between
                    // here and `begin` sees the start-up run in flight.
                    progress.training = true;
                    drop(progress);
                    self.begin(Trigger::StartUp, ctx);
                } else {
                    progress.changes_at_last = changes;
                }
                return;
            }
            StartHead::Done => {}
        }
        let new = self
            .changes()
            .saturating_sub(self.shared.progress.lock().changes_at_last);
        if new == 0 {
            return;
        }
        let gap_passed = self
            .last_finished
            .is_none_or(|at| at.elapsed() >= self.config.retrain_min_gap);
        if !gap_passed {
            return;
        }
        let after = self.config.retrain_after_interactions;
        let interval = self.config.retrain_interval;
        if after > 0 && new >= after {
            self.begin(Trigger::Interactions, ctx);
        } else if !interval.is_zero() && self.last_run.elapsed() >= interval {
            self.begin(Trigger::Schedule, ctx);
        }
    }

    /// Starts a run: the matrix is built and fitted on a thread of its own,
    /// the event appended, then the model published (in [`Self::finish`]).
    fn begin(&mut self, trigger: Trigger, ctx: &mut Context<Self>) {
        self.running = true;
        self.last_run = Instant::now();
        {
            let mut progress = self.shared.progress.lock();
            progress.training = true;
            progress.changes_at_last = self.view.read(InteractionsView::changes);
        }
        let store = Arc::clone(&self.store);
        let view = self.view.clone();
        let config = Arc::clone(&self.config);
        let clock = self.clock.clone();
        let run = async move {
            let stream = StreamName::new(MODELS_STREAM)?;
            let (expected, last_version) = last_model(&*store, &stream).await?;
            let version = last_version + 1;
            tracing::info!(
                version,
                trigger = trigger.as_str(),
                "recommender training run started"
            );
            let (sender, receiver) = oneshot::channel();
            std::thread::Builder::new()
                .name("recommender-train".into())
                .spawn(move || {
                    let started = Instant::now();
                    let checkpoint = view.checkpoint();
                    let matrix = view.read(|v| training_matrix(v, &config));
                    let fitted = fit(
                        &matrix,
                        checkpoint,
                        &config,
                        version,
                        trigger,
                        started,
                        || clock.now(),
                    );
                    let _ = sender.send(fitted);
                })
                .map_err(|e| RecommenderError::Failed(format!("no training thread: {e}")))?;
            let model = receiver
                .await
                .map_err(|_| RecommenderError::Failed("the training thread panicked".into()))??;
            let event = RecommenderEvent::ModelTrained(model.event().clone())
                .to_new_event(EventMetadata {
                    actor_id: Some(ACTOR_ID.into()),
                    ..EventMetadata::default()
                })
                .map_err(|e| RecommenderError::Failed(format!("encoding the event: {e}")))?;
            store.append(&stream, expected, vec![event]).await?;
            Ok::<_, RecommenderError>(Arc::new(model))
        };
        ctx.spawn(
            run.into_actor(self)
                .map(|outcome, trainer, ctx| trainer.finish(&outcome, ctx)),
        );
    }

    /// Publishes a run's model (or records its failure), answers those
    /// waiting, and starts the queued run if any.
    fn finish(&mut self, outcome: &Outcome, ctx: &mut Context<Self>) {
        self.running = false;
        self.last_finished = Some(Instant::now());
        {
            let mut progress = self.shared.progress.lock();
            progress.training = false;
            match outcome {
                Ok(model) => {
                    tracing::info!(
                        version = model.version(),
                        trigger = %model.event().trigger,
                        duration_ms = model.event().duration_ms,
                        interactions = model.event().metrics.interactions,
                        "recommender model published"
                    );
                    self.shared.model.store(Some(Arc::clone(model)));
                    self.shared.published.send_replace(model.version());
                    progress.last_error = None;
                }
                Err(error) => {
                    tracing::warn!(%error, "recommender training failed");
                    progress.last_error = Some(error.to_string());
                }
            }
        }
        for waiter in self.waiting.drain(..) {
            let _ = waiter.send(outcome.clone());
        }
        if !self.queued.is_empty() {
            self.waiting = std::mem::take(&mut self.queued);
            self.begin(Trigger::Admin, ctx);
        }
    }
}

/// The expected version for the next model event and the last version
/// recorded (0 before the first).
async fn last_model(
    store: &dyn EventStore,
    stream: &StreamName,
) -> Result<(ExpectedVersion, u64), RecommenderError> {
    let last = store
        .read_stream(stream, u64::MAX, 1, ReadDirection::Backward)
        .await?;
    let Some(event) = last.first() else {
        return Ok((ExpectedVersion::NoStream, 0));
    };
    let RecommenderEvent::ModelTrained(trained) = RecommenderEvent::from_recorded(event)
        .map_err(|e| RecommenderError::Store(format!("the last model event: {e}")))?;
    Ok((ExpectedVersion::Exact(event.version), trained.version))
}

/// Asks for a run; answers a receiver of its outcome.
struct TrainNow;

impl Message for TrainNow {
    type Result = oneshot::Receiver<Outcome>;
}

impl Handler<TrainNow> for Trainer {
    type Result = MessageResult<TrainNow>;

    fn handle(&mut self, _: TrainNow, ctx: &mut Self::Context) -> Self::Result {
        let (sender, receiver) = oneshot::channel();
        if self.changes() == 0 {
            let _ = sender.send(Err(RecommenderError::NoData));
        } else if self.running {
            self.queued.push(sender);
        } else {
            self.waiting.push(sender);
            self.begin(Trigger::Admin, ctx);
        }
        MessageResult(receiver)
    }
}

#[cfg(test)]
mod tests;
