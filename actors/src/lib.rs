//! # agora-actors
//!
//! The actix actors of Agora and the pure domain logic they wrap.
//!
//! Where work happens:
//! - **Aggregate actors** ([`aggregate`]): one actix actor per live aggregate
//!   instance (a user, a content item, …), started on demand by a
//!   [`aggregate::Registry`] on one of its arbiters (one thread each; the
//!   instance id picks the arbiter) and stopped after an idle time. An actor
//!   takes the commands waiting for it as one batch: catch up on its stream,
//!   decide each with the pure aggregate against the state the earlier ones
//!   left, append all their events at once with the expected version, then
//!   answer each. Commands that arrive meanwhile form the next batch, so a
//!   busy instance pays one durable append per batch, not per command.
//! - **Projection groups** ([`projection`]): one actor per group of read
//!   models, consuming `$all` once from the oldest checkpoint on its own
//!   arbiter and applying each chunk to every model; queries read
//!   the model through a shared lock and can wait for a position
//!   (read-your-writes). State and checkpoint are snapshotted together.
//!
//! - **Factorizer core** ([`factorizer`]): ALS fits run on the caller's
//!   thread and fan each half-step out over the rayon global pool; scoring
//!   and metrics are pure functions of a trained model.
//! - **Model workers** ([`models`]): a pool of OS threads, each pinned to a
//!   core and owning its own tract states and tesseract instances; jobs wait
//!   in bounded queues per kind (embed, generate, OCR) and a full queue is
//!   refused at once.
//!
//! - **Recommender** ([`recommender`]): a trainer actor on its own arbiter
//!   decides when to retrain; each fit runs on a dedicated thread (fanning
//!   out over rayon), and the new model version is swapped in atomically
//!   after its event is durable.
//!
//! Domain types live in [`user`] and [`content`] (pure aggregate: `handle` decides, `apply`
//! changes state, no I/O) and are tested as stories with
//! [`aggregate::testing`].

pub mod aggregate;
pub mod award;
pub mod clock;
pub mod content;
pub mod contract;
pub mod factorizer;
pub mod ids;
pub mod matching;
pub mod membership;
pub mod models;
pub mod partner;
pub mod projection;
pub mod recommender;
pub mod requirement;
pub mod sweeper;
pub mod user;
pub mod vendor;
