//! The automatic-acceptance sweeper: an actor that, every
//! [`ContractConfig::sweep_every`](super::ContractConfig::sweep_every),
//! asks the [`ContractService`] to accept every submission
//! left unanswered too long. Sweeps also run on demand
//! ([`ContractService::sweep`]), e.g. when an admin moves a manual clock.
//!
//! Threads: the actor lives on the arbiter that starts it and does no work
//! itself — each tick spawns the sweep future there, and a tick that comes
//! while a sweep still runs is skipped. It holds the service weakly and
//! stops once the service is gone.

use actix::prelude::*;

use super::ContractService;
use super::service::WeakService;

/// The sweeper actor; see the module doc.
pub struct Sweeper {
    service: WeakService,
    busy: bool,
}

impl Sweeper {
    /// Starts a sweeper for `service` on the current arbiter. Must be
    /// called inside a running actix `System`.
    pub fn start(service: &ContractService) -> Addr<Self> {
        Actor::start(Self {
            service: service.downgrade(),
            busy: false,
        })
    }
}

impl Actor for Sweeper {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let Some(service) = self.service.upgrade() else {
            ctx.stop();
            return;
        };
        let every = service.config().sweep_every;
        ctx.run_interval(every, |sweeper, ctx| {
            if sweeper.busy {
                return;
            }
            let Some(service) = sweeper.service.upgrade() else {
                ctx.stop();
                return;
            };
            sweeper.busy = true;
            let sweep = async move {
                service.sweep().await;
            };
            ctx.spawn(sweep.into_actor(sweeper).map(|(), sweeper, _| {
                sweeper.busy = false;
            }));
        });
    }
}
