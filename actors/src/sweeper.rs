//! The periodic sweeper both the membership service (renewal and expiry)
//! and the contract service (automatic acceptance) run: an actor that, at
//! the service's own interval, asks it to sweep. Sweeps also run on demand
//! (each service's `sweep`), e.g. when an admin moves a manual clock.
//!
//! Threads: the actor lives on the arbiter that starts it and does no work
//! itself — each tick spawns the sweep future there, and a tick that comes
//! while a sweep still runs is skipped. It holds the service weakly and
//! stops once the service is gone.

use std::future::Future;
use std::time::Duration;

use actix::prelude::*;

/// A service a [`Sweeper`] drives.
pub trait Swept: Sized + 'static {
    /// A handle that does not keep the service alive.
    type Weak: Unpin + 'static;
    /// The weak handle of this service.
    fn weak(&self) -> Self::Weak;
    /// The service, while anyone else still holds it.
    fn strong(weak: &Self::Weak) -> Option<Self>;
    /// How often to sweep.
    fn sweep_every(&self) -> Duration;
    /// One sweep, owning the service for its duration.
    fn sweep_once(self) -> impl Future<Output = ()> + 'static;
}

/// The sweeper actor of service `S`; see the module doc.
pub struct Sweeper<S: Swept> {
    service: S::Weak,
    busy: bool,
}

impl<S: Swept> Sweeper<S> {
    /// Starts a sweeper for `service` on the current arbiter. Must be
    /// called inside a running actix `System`.
    pub fn start(service: &S) -> Addr<Self> {
        Actor::start(Self {
            service: service.weak(),
            busy: false,
        })
    }
}

impl<S: Swept> Actor for Sweeper<S> {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let Some(service) = S::strong(&self.service) else {
            ctx.stop();
            return;
        };
        ctx.run_interval(service.sweep_every(), |sweeper, ctx| {
            if sweeper.busy {
                return;
            }
            let Some(service) = S::strong(&sweeper.service) else {
                ctx.stop();
                return;
            };
            sweeper.busy = true;
            ctx.spawn(
                service
                    .sweep_once()
                    .into_actor(sweeper)
                    .map(|(), sweeper, _| {
                        sweeper.busy = false;
                    }),
            );
        });
    }
}
