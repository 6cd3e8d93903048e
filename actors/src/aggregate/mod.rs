//! The aggregate pattern: a pure decision type, the actor around it, and
//! the registry that activates and passivates actors.

mod actor;
mod registry;
pub mod testing;

use agora_events::Timestamp;
use agora_events::domain::DomainEvent;

pub use actor::{CommandError, Execute, Executed};
pub use registry::{Registry, RegistryConfig};

/// Inputs a decision may depend on besides state and command: no clock,
/// randomness or I/O inside an aggregate — they come in here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandContext {
    /// The id of the aggregate instance.
    pub aggregate_id: String,
    /// The time the command is decided at.
    pub now: Timestamp,
    /// Who sent the command, if known.
    pub actor_id: Option<String>,
}

/// A consistency boundary: decides on commands against its state and
/// evolves by applying its own events.
///
/// Guarantees expected of implementors: `handle` and `apply` are pure and
/// deterministic; `apply` never fails (events are facts); replaying the
/// stream rebuilds exactly the state the live instance had.
pub trait Aggregate: Clone + Default + Send + Unpin + 'static {
    /// Imperatives this aggregate accepts.
    type Command: Clone + Send + Unpin + 'static;
    /// Facts it records.
    type Event: DomainEvent + Clone + Unpin + std::fmt::Debug;
    /// Why it refuses a command.
    type Error: std::error::Error + Clone + Send + Sync + 'static;

    /// Prefix of each instance's stream: `{CATEGORY}-{id}`.
    const CATEGORY: &'static str;

    /// Decides what happens: the events to record, or why not. An empty list
    /// means the command changes nothing.
    fn handle(
        &self,
        command: &Self::Command,
        ctx: &CommandContext,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    /// Evolves the state by one recorded event.
    fn apply(&mut self, event: &Self::Event);
}

/// The stream name of aggregate `A`'s instance `id`.
pub fn stream_name<A: Aggregate>(
    id: &str,
) -> Result<agora_events::StreamName, agora_events::StoreError> {
    agora_events::StreamName::new(format!("{}-{id}", A::CATEGORY))
}
