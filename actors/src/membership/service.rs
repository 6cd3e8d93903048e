//! The membership service: the one function per use case that the HTTP
//! layer (and the sweeper) calls. It checks what the aggregate cannot see
//! (ids from the URL), generates plan ids, passes the platform fee setting
//! and the caller's admin role into the commands, stamps them with the
//! clock, and answers access questions from the memberships projection.
//!
//! The service is cheap to clone (one shared inner part); the
//! [`sweeper`](super::sweeper) holds only a weak reference to it, so
//! dropping the last service stops the sweeper too.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use agora_events::domain::content::Money;
use agora_events::domain::membership::{MembershipEvent, PlanOwner};
use agora_events::{EventMetadata, EventStore};
use uuid::Uuid;

use super::{MembershipCommand, MembershipError, Plan};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::projection::ProjectionHandle;
use crate::projection::memberships::MembershipsView;
use crate::user::valid_id;

/// The actor id stamped on the events of sweeps.
pub const SWEEPER_ACTOR: &str = "agora-sweeper";

/// Settings of the membership service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipConfig {
    /// The platform's fee on every payment for a creator's plan, in basis
    /// points (2000 = 20 %), fixed into each payment when it happens.
    pub platform_fee_bps: u32,
    /// How often the sweeper renews and expires memberships whose period
    /// ended (default 60 s). Moving a manual clock sweeps at once as well.
    pub sweep_every: Duration,
    /// Longest wait of a sweep for the memberships projection to catch up
    /// with the log before it looks for due plans (default 5 s).
    pub sweep_catch_up: Duration,
}

impl Default for MembershipConfig {
    fn default() -> Self {
        Self {
            platform_fee_bps: 2_000,
            sweep_every: Duration::from_secs(60),
            sweep_catch_up: Duration::from_secs(5),
        }
    }
}

/// Why a membership use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum MembershipServiceError {
    /// An id (named) from the request breaks the id rules (400).
    #[error("the {0} must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId(&'static str),
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<MembershipError>),
}

/// Who asks, and how: the caller, whether they are an admin, the request's
/// idempotency id and the version it saw (`If-Match`).
#[derive(Clone, Debug)]
pub struct Caller {
    /// The caller's user id (the events' actor).
    pub user_id: String,
    /// Whether the caller holds the admin role.
    pub is_admin: bool,
    /// The id derived from `Idempotency-Key`, if given.
    pub idempotency_key: Option<Uuid>,
    /// The version the caller saw, if the command is conditional.
    pub if_match: Option<u64>,
}

impl Caller {
    /// A plain (not admin, not keyed, not conditional) request by `user_id`.
    pub fn user(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            is_admin: false,
            idempotency_key: None,
            if_match: None,
        }
    }

    fn metadata(&self) -> EventMetadata {
        EventMetadata {
            correlation_id: Some(self.idempotency_key.unwrap_or_else(Uuid::now_v7)),
            causation_id: None,
            actor_id: Some(self.user_id.clone()),
        }
    }
}

/// A new plan's terms.
#[derive(Clone, Debug)]
pub struct NewPlan {
    /// A client-chosen id, or `None` to have one generated.
    pub id: Option<String>,
    /// Who offers it.
    pub owner: PlanOwner,
    /// Its name.
    pub title: String,
    /// One period, in days.
    pub period_days: u32,
    /// Price of one period.
    pub price: Money,
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Plans that had a due membership.
    pub plans: usize,
    /// Renewals recorded.
    pub renewed: usize,
    /// Expiries recorded.
    pub expired: usize,
    /// Plans whose sweep failed (logged; the next sweep retries them).
    pub failed: usize,
}

struct Inner {
    registry: Registry<Plan>,
    view: ProjectionHandle<MembershipsView>,
    store: Arc<dyn EventStore>,
    clock: Clock,
    config: MembershipConfig,
    /// One sweep at a time (a tick and a clock move may coincide).
    sweeping: tokio::sync::Mutex<()>,
}

/// A [`MembershipService`] that may be gone.
#[derive(Clone)]
pub struct WeakService(Weak<Inner>);

impl WeakService {
    /// The service, if it still exists.
    pub(super) fn upgrade(&self) -> Option<MembershipService> {
        self.0.upgrade().map(|inner| MembershipService { inner })
    }
}

/// Membership use cases over the Plan aggregate and the memberships view.
#[derive(Clone)]
pub struct MembershipService {
    inner: Arc<Inner>,
}

impl MembershipService {
    /// A service over these parts, stamping commands with `clock`.
    pub fn new(
        registry: Registry<Plan>,
        view: ProjectionHandle<MembershipsView>,
        store: Arc<dyn EventStore>,
        clock: Clock,
        config: MembershipConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                view,
                store,
                clock,
                config,
                sweeping: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// A handle that does not keep the service alive, for the sweeper.
    pub(super) fn downgrade(&self) -> WeakService {
        WeakService(Arc::downgrade(&self.inner))
    }

    /// The memberships read model.
    pub fn view(&self) -> &ProjectionHandle<MembershipsView> {
        &self.inner.view
    }

    /// The aggregate registry (for its actor counts).
    pub fn registry(&self) -> &Registry<Plan> {
        &self.inner.registry
    }

    /// The service's settings.
    pub fn config(&self) -> &MembershipConfig {
        &self.inner.config
    }

    /// The clock commands are stamped with.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Offers a new plan. The id is the client's (checked) or `pl-<uuid>`,
    /// derived from the idempotency key when there is one. Returns the id
    /// and what was recorded.
    pub async fn offer(
        &self,
        new: NewPlan,
        caller: &Caller,
    ) -> Result<(String, Executed<Plan>), MembershipServiceError> {
        let id = match new.id {
            Some(id) if valid_id(&id) => id,
            Some(_) => return Err(MembershipServiceError::InvalidId("plan id")),
            None => format!(
                "pl-{}",
                caller.idempotency_key.unwrap_or_else(Uuid::now_v7).simple()
            ),
        };
        let command = MembershipCommand::OfferPlan {
            owner: new.owner,
            title: new.title,
            period_days: new.period_days,
            price: new.price,
            by_admin: caller.is_admin,
        };
        let executed = self.execute(&id, command, caller).await?;
        Ok((id, executed))
    }

    /// Changes the price of later payments (the owner or an admin).
    pub async fn change_price(
        &self,
        id: &str,
        price: Money,
        caller: &Caller,
    ) -> Result<Executed<Plan>, MembershipServiceError> {
        let command = MembershipCommand::ChangePrice {
            price,
            by_admin: caller.is_admin,
        };
        self.execute(id, command, caller).await
    }

    /// Withdraws the plan (the owner or an admin).
    pub async fn withdraw(
        &self,
        id: &str,
        caller: &Caller,
    ) -> Result<Executed<Plan>, MembershipServiceError> {
        let command = MembershipCommand::Withdraw {
            by_admin: caller.is_admin,
        };
        self.execute(id, command, caller).await
    }

    /// The caller subscribes and pays the first period. Returns the
    /// payment's id (also for a replayed keyed request) and what was
    /// recorded.
    pub async fn subscribe(
        &self,
        id: &str,
        caller: &Caller,
    ) -> Result<(Option<String>, Executed<Plan>), MembershipServiceError> {
        let command = MembershipCommand::Subscribe {
            member_id: caller.user_id.clone(),
            platform_fee_bps: self.inner.config.platform_fee_bps,
        };
        let executed = self.execute(id, command, caller).await?;
        let payment_id = executed.events.iter().find_map(|e| match e {
            MembershipEvent::Started(started) => Some(started.payment_id.clone()),
            _ => None,
        });
        Ok((payment_id, executed))
    }

    /// Stops `member_id`'s auto-renewal (the member or an admin).
    pub async fn cancel(
        &self,
        id: &str,
        member_id: &str,
        caller: &Caller,
    ) -> Result<Executed<Plan>, MembershipServiceError> {
        if !valid_id(member_id) {
            return Err(MembershipServiceError::InvalidId("member id"));
        }
        let command = MembershipCommand::Cancel {
            member_id: member_id.to_owned(),
            by_admin: caller.is_admin,
        };
        self.execute(id, command, caller).await
    }

    /// Whether `user_id` holds, now, a membership covering content by
    /// `creator_id` (a plan of that creator or a platform plan). Cheap: it
    /// reads only the user's own memberships in the projection.
    pub fn covers(&self, user_id: &str, creator_id: &str) -> bool {
        let now = self.inner.clock.now();
        self.inner
            .view
            .read(|view| view.covers(user_id, creator_id, now))
    }

    /// Renews or expires every membership whose period ended by now. First
    /// lets the projection catch up with the log (bounded by
    /// `sweep_catch_up`), so a membership started just before a clock
    /// move is seen; then sends a sweep to each plan with a due
    /// membership. A plan whose sweep fails is logged and retried by the
    /// next sweep. Returns once the projection shows what the sweep wrote
    /// (bounded by `sweep_catch_up` too), so reads after a sweep see it.
    pub async fn sweep(&self) -> SweepReport {
        let _one_at_a_time = self.inner.sweeping.lock().await;
        match self.inner.store.head_position().await {
            Ok(Some(head)) => {
                if !self
                    .inner
                    .view
                    .wait_for(head, self.inner.config.sweep_catch_up)
                    .await
                {
                    tracing::warn!(
                        head,
                        "memberships view behind the log; sweeping what it has"
                    );
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the log head before a sweep"),
        }
        let now = self.inner.clock.now();
        let due: BTreeSet<String> = self.inner.view.read(|view| view.due_plans(now));
        let mut report = SweepReport {
            plans: due.len(),
            ..SweepReport::default()
        };
        let caller = Caller::user(SWEEPER_ACTOR);
        let mut written = None;
        for plan in due {
            let command = MembershipCommand::Sweep {
                platform_fee_bps: self.inner.config.platform_fee_bps,
            };
            match self.execute(&plan, command, &caller).await {
                Ok(executed) => {
                    written = written.max(executed.position);
                    for event in &executed.events {
                        match event {
                            MembershipEvent::Renewed(_) => report.renewed += 1,
                            MembershipEvent::Expired(_) => report.expired += 1,
                            _ => {}
                        }
                    }
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(plan = %plan, error = %e, "sweeping a plan failed; the next sweep retries");
                }
            }
        }
        if let Some(position) = written
            && !self
                .inner
                .view
                .wait_for(position, self.inner.config.sweep_catch_up)
                .await
        {
            tracing::warn!(position, "memberships view behind the sweep's own writes");
        }
        if report.renewed + report.expired + report.failed > 0 {
            tracing::info!(
                plans = report.plans,
                renewed = report.renewed,
                expired = report.expired,
                failed = report.failed,
                "membership sweep"
            );
        }
        report
    }

    async fn execute(
        &self,
        id: &str,
        command: MembershipCommand,
        caller: &Caller,
    ) -> Result<Executed<Plan>, MembershipServiceError> {
        if !valid_id(id) {
            return Err(MembershipServiceError::InvalidId("plan id"));
        }
        let execute = Execute {
            command,
            expected_version: caller.if_match.map(Some),
            idempotency_key: caller.idempotency_key,
            metadata: caller.metadata(),
            now: self.inner.clock.now(),
        };
        Ok(self.inner.registry.execute(id, execute).await?)
    }
}
