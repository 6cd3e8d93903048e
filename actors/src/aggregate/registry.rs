//! Activating aggregate actors on demand and forgetting idle ones.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use actix::prelude::*;
use agora_events::EventStore;
use dashmap::DashMap;
use tokio::sync::Notify;

use super::actor::{AggregateActor, CommandError, Execute, Executed, Inspect};
use super::{Aggregate, stream_name};

/// Settings of a [`Registry`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryConfig {
    /// An actor that handled nothing for this long stops (default 60 s).
    pub idle_after: Duration,
    /// Arbiters (threads) the actors are spread over (default: one per core).
    pub arbiters: usize,
    /// Longest time a command may wait for its actor (default 30 s).
    pub command_timeout: Duration,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            idle_after: Duration::from_secs(60),
            arbiters: std::thread::available_parallelism().map_or(2, |n| n.get()),
            command_timeout: Duration::from_secs(30),
        }
    }
}

struct Entry<A: Aggregate> {
    generation: u64,
    addr: Addr<AggregateActor<A>>,
}

type Actors<A> = DashMap<String, Entry<A>>;

/// The registry's record of one live actor; the actor releases it when it stops.
pub(super) struct Slot<A: Aggregate> {
    actors: Arc<Actors<A>>,
    live: Arc<AtomicUsize>,
    released: Arc<Notify>,
    id: String,
    generation: u64,
}

impl<A: Aggregate> Slot<A> {
    pub(super) fn release(&self) {
        self.actors
            .remove_if(&self.id, |_, entry| entry.generation == self.generation);
        self.live.fetch_sub(1, Ordering::Relaxed);
        self.released.notify_waiters();
    }
}

/// Finds or starts the actor of each aggregate instance.
///
/// Guarantees: at most one *running* actor per instance id in this process
/// (an actor that is stopping is replaced, never shared); commands for one
/// instance are handled one at a time, in arrival order.
pub struct Registry<A: Aggregate> {
    actors: Arc<Actors<A>>,
    store: Arc<dyn EventStore>,
    arbiters: Vec<Arbiter>,
    config: RegistryConfig,
    live: Arc<AtomicUsize>,
    /// Woken each time an actor stops.
    released: Arc<Notify>,
    peak: AtomicUsize,
    generations: AtomicU64,
}

impl<A: Aggregate> Registry<A> {
    /// A registry over `store`. Must be created inside a running actix
    /// `System` (it starts arbiter threads).
    pub fn new(store: Arc<dyn EventStore>, config: RegistryConfig) -> Self {
        let arbiters = (0..config.arbiters.max(1))
            .map(|_| Arbiter::new())
            .collect();
        Self {
            actors: Arc::new(DashMap::new()),
            store,
            arbiters,
            config,
            live: Arc::new(AtomicUsize::new(0)),
            released: Arc::new(Notify::new()),
            peak: AtomicUsize::new(0),
            generations: AtomicU64::new(0),
        }
    }

    /// Actors running now.
    pub fn live_actors(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Waits until at most `count` actors run (idle ones stop after
    /// [`RegistryConfig::idle_after`]), woken by each actor that stops, for
    /// at most `timeout`; answers whether it got there.
    pub async fn wait_live_at_most(&self, count: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Registered before the check, so a stop in between wakes it.
            released.as_mut().enable();
            if self.live_actors() <= count {
                return true;
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return self.live_actors() <= count;
            }
        }
    }

    /// The most actors that ran at once.
    pub fn peak_actors(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Sends `command` to instance `id`, starting its actor if needed.
    pub async fn execute(
        &self,
        id: &str,
        command: Execute<A>,
    ) -> Result<Executed<A>, CommandError<A::Error>> {
        self.ask(id, || command.clone()).await?
    }

    /// The current state and version of instance `id` (a fresh instance
    /// answers the default state and `None`).
    pub async fn state(&self, id: &str) -> Result<(A, Option<u64>), CommandError<A::Error>> {
        self.ask(id, || Inspect(std::marker::PhantomData)).await?
    }

    /// Sends a message made by `message` to instance `id`'s actor, replacing
    /// an actor that stopped between lookup and send.
    async fn ask<M>(
        &self,
        id: &str,
        message: impl Fn() -> M,
    ) -> Result<M::Result, CommandError<A::Error>>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        AggregateActor<A>: Handler<M>,
        <AggregateActor<A> as Actor>::Context: actix::dev::ToEnvelope<AggregateActor<A>, M>,
    {
        let stream = stream_name::<A>(id)?;
        for _ in 0..3 {
            let addr = self.activate(id, &stream);
            match addr
                .send(message())
                .timeout(self.config.command_timeout)
                .await
            {
                Ok(answer) => return Ok(answer),
                // The actor stopped between lookup and send: start a fresh one.
                Err(MailboxError::Closed) => {
                    self.actors.remove_if(id, |_, entry| entry.addr == addr);
                }
                Err(MailboxError::Timeout) => {
                    return Err(CommandError::Unavailable(
                        "the aggregate did not answer in time".into(),
                    ));
                }
            }
        }
        Err(CommandError::Unavailable(
            "the aggregate actor kept stopping".into(),
        ))
    }

    fn activate(&self, id: &str, stream: &agora_events::StreamName) -> Addr<AggregateActor<A>> {
        if let Some(entry) = self.actors.get(id)
            && entry.addr.connected()
        {
            return entry.addr.clone();
        }
        let mut entry = self
            .actors
            .entry(id.to_owned())
            .or_insert_with(|| self.start(id, stream));
        if !entry.addr.connected() {
            *entry = self.start(id, stream);
        }
        entry.addr.clone()
    }

    fn start(&self, id: &str, stream: &agora_events::StreamName) -> Entry<A> {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed);
        let slot = Slot {
            actors: Arc::clone(&self.actors),
            live: Arc::clone(&self.live),
            released: Arc::clone(&self.released),
            id: id.to_owned(),
            generation,
        };
        let live = self.live.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(live, Ordering::Relaxed);
        let arbiter = &self.arbiters[arbiter_for(id, self.arbiters.len())];
        let actor = AggregateActor::new(
            id.to_owned(),
            stream.clone(),
            Arc::clone(&self.store),
            self.config.idle_after,
            slot,
        );
        let addr = AggregateActor::start_in_arbiter(&arbiter.handle(), move |_| actor);
        Entry { generation, addr }
    }
}

impl<A: Aggregate> Drop for Registry<A> {
    /// Stops every actor and waits for the arbiter threads, so the store
    /// handles they hold are released when the registry is gone.
    fn drop(&mut self) {
        for arbiter in &self.arbiters {
            arbiter.stop();
        }
        for arbiter in self.arbiters.drain(..) {
            if arbiter.join().is_err() {
                tracing::error!(aggregate = A::CATEGORY, "an aggregate arbiter panicked");
            }
        }
    }
}

/// The arbiter that hosts instance `id` (stable for the process).
fn arbiter_for(id: &str, arbiters: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut hasher);
    (hasher.finish() % arbiters as u64) as usize
}
