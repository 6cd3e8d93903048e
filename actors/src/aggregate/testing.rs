//! Given / when / then: aggregate tests that read as stories.
//!
//! ```
//! # use agora_actors::aggregate::testing::Story;
//! # use agora_actors::user::{User, UserCommand, UserError};
//! Story::<User>::new("u1").given([]).when(&UserCommand::UpdateProfile { display_name: None, personal: None })
//!     .then_error(&UserError::NotRegistered);
//! ```

use agora_events::Timestamp;

use super::{Aggregate, CommandContext};

/// One story about one aggregate instance.
pub struct Story<A: Aggregate> {
    state: A,
    ctx: CommandContext,
    outcome: Option<Result<Vec<A::Event>, A::Error>>,
}

impl<A: Aggregate> Story<A> {
    /// A story about instance `id`, at a fixed time.
    pub fn new(id: &str) -> Self {
        Self {
            state: A::default(),
            ctx: CommandContext {
                aggregate_id: id.to_owned(),
                now: Timestamp(1_700_000_000_000_000),
                actor_id: None,
            },
            outcome: None,
        }
    }

    /// Sets the decision time.
    pub fn at(mut self, now: Timestamp) -> Self {
        self.ctx.now = now;
        self
    }

    /// Sets who sends the commands (`CommandContext::actor_id`).
    pub fn by(mut self, actor_id: &str) -> Self {
        self.ctx.actor_id = Some(actor_id.to_owned());
        self
    }

    /// These events already happened.
    pub fn given(mut self, events: impl IntoIterator<Item = A::Event>) -> Self {
        for event in events {
            self.state.apply(&event);
        }
        self
    }

    /// This command arrives.
    pub fn when(mut self, command: &A::Command) -> Self {
        self.outcome = Some(self.state.handle(command, &self.ctx));
        self
    }

    /// It records exactly these events.
    #[track_caller]
    pub fn then_events(self, expected: &[A::Event]) -> A
    where
        A::Event: PartialEq,
    {
        match self.outcome {
            Some(Ok(events)) => {
                assert_eq!(events, expected, "recorded events differ");
                let mut state = self.state;
                for event in &events {
                    state.apply(event);
                }
                state
            }
            Some(Err(e)) => panic!("expected events, the aggregate refused: {e}"),
            None => panic!("a story needs a `when`"),
        }
    }

    /// It records events that pass `check`; returns them.
    #[track_caller]
    pub fn then_check(self, check: impl FnOnce(&[A::Event])) -> Vec<A::Event> {
        match self.outcome {
            Some(Ok(events)) => {
                check(&events);
                events
            }
            Some(Err(e)) => panic!("expected events, the aggregate refused: {e}"),
            None => panic!("a story needs a `when`"),
        }
    }

    /// It refuses with exactly this error.
    #[track_caller]
    pub fn then_error(self, expected: &A::Error)
    where
        A::Error: PartialEq,
    {
        match self.outcome {
            Some(Err(e)) => assert_eq!(&e, expected),
            Some(Ok(events)) => panic!("expected {expected}, got events {events:?}"),
            None => panic!("a story needs a `when`"),
        }
    }
}
