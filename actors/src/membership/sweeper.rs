//! The renewal and expiry sweeper: an actor that, every
//! [`MembershipConfig::sweep_every`](super::MembershipConfig::sweep_every),
//! asks the [`MembershipService`] to renew or expire every membership
//! whose period ended. Sweeps also run on demand
//! ([`MembershipService::sweep`]), e.g. when an admin moves a manual clock.
//!
//! Threads: the actor lives on the arbiter that starts it and does no work
//! itself — each tick spawns the sweep future there, and a tick that comes
//! while a sweep still runs is skipped. It holds the service weakly and
//! stops once the service is gone.

use actix::prelude::*;

use super::MembershipService;
use super::service::WeakService;

/// The sweeper actor; see the module doc.
pub struct Sweeper {
    service: WeakService,
    busy: bool,
}

impl Sweeper {
    /// Starts a sweeper for `service` on the current arbiter. Must be
    /// called inside a running actix `System`.
    pub fn start(service: &MembershipService) -> Addr<Self> {
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
