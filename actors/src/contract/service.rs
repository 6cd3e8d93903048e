//! The contract service: the one function per use case that the HTTP
//! layer, the award route (after merge) and the sweeper call. It checks
//! what the aggregate cannot see (ids from the URL), passes the settings
//! (outsourcing fee, automatic-acceptance delay) and the caller's admin
//! role into the commands, stamps them with the clock, and answers the
//! reputation and load of a vendor from the contracts projection.
//!
//! The service is cheap to clone (one shared inner part); the
//! [`sweeper`](super::sweeper) holds only a weak reference to it, so
//! dropping the last service stops the sweeper too.

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use agora_events::EventStore;
use agora_events::domain::contract::{ContractEvent, MilestoneTerms};
use agora_events::domain::money::Money;

use super::{Contract, ContractCommand, ContractError};
use crate::aggregate::{CommandError, Execute, Executed, Registry};
use crate::clock::Clock;
use crate::ids::valid_id;
use crate::membership::Caller;
use crate::projection::ProjectionHandle;
use crate::projection::contracts::{ContractsView, Reputation, ReputationPrior};

/// The actor id stamped on the events of automatic acceptances.
pub const SWEEPER_ACTOR: &str = "agora-contract-sweeper";

/// Settings of the contract service.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractConfig {
    /// The platform's fee on every release of escrow to a vendor, in basis
    /// points (1000 = 10 %), fixed into each release when it happens.
    pub fee_bps: u32,
    /// How long a submission may stay unanswered before it is accepted
    /// automatically (default 7 days); fixed into each submission.
    pub auto_accept_after: Duration,
    /// How often the sweeper accepts due submissions (default 60 s).
    /// Moving a manual clock sweeps at once as well.
    pub sweep_every: Duration,
    /// Longest wait of a sweep for the contracts projection to catch up
    /// with the log before it looks for due submissions (default 5 s).
    pub sweep_catch_up: Duration,
    /// The prior of every reputation's Bayesian average.
    pub prior: ReputationPrior,
}

impl Default for ContractConfig {
    fn default() -> Self {
        Self {
            fee_bps: 1_000,
            auto_accept_after: Duration::from_secs(7 * 86_400),
            sweep_every: Duration::from_secs(60),
            sweep_catch_up: Duration::from_secs(5),
            prior: ReputationPrior::default(),
        }
    }
}

/// Why a contract use case failed; each variant maps to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ContractServiceError {
    /// An id (named) from the request breaks the id rules (400).
    #[error("the {0} must be 1 to 64 characters of A-Z a-z 0-9 _ - . :")]
    InvalidId(&'static str),
    /// The command failed (see [`CommandError`]).
    #[error(transparent)]
    Command(#[from] CommandError<ContractError>),
}

/// What opens a contract: the award's facts. The contract's id is the
/// requirement's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenContract {
    /// The contract's id; must equal `requirement_id`.
    pub contract_id: String,
    /// The requirement awarded.
    pub requirement_id: String,
    /// The client.
    pub client_id: String,
    /// The vendor awarded.
    pub vendor_id: String,
    /// The awarded price.
    pub price: Money,
    /// The milestones `(title, amount_cents, due_day)` as the winning bid
    /// planned them; their amounts add up to the price.
    pub milestones: Vec<MilestoneTerms>,
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Contracts that had a due submission.
    pub contracts: usize,
    /// Milestones accepted automatically.
    pub accepted: usize,
    /// Contracts whose sweep failed (logged; the next sweep retries them).
    pub failed: usize,
}

/// A vendor's standing for its public view and the bid ranking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VendorStanding {
    /// Its reputation (Bayesian average of the reviews it received).
    pub reputation: Reputation,
    /// Contracts open now: its current load.
    pub open_contracts: u64,
    /// Contracts completed.
    pub completed_contracts: u64,
}

struct Inner {
    registry: Registry<Contract>,
    view: ProjectionHandle<ContractsView>,
    store: Arc<dyn EventStore>,
    clock: Clock,
    config: ContractConfig,
    /// One sweep at a time (a tick and a clock move may coincide).
    sweeping: tokio::sync::Mutex<()>,
}

/// A [`ContractService`] that may be gone.
#[derive(Clone)]
pub struct WeakService(Weak<Inner>);

impl WeakService {
    /// The service, if it still exists.
    pub(super) fn upgrade(&self) -> Option<ContractService> {
        self.0.upgrade().map(|inner| ContractService { inner })
    }
}

/// Contract use cases over the Contract aggregate and the contracts view.
#[derive(Clone)]
pub struct ContractService {
    inner: Arc<Inner>,
}

impl ContractService {
    /// A service over these parts, stamping commands with `clock`.
    pub fn new(
        registry: Registry<Contract>,
        view: ProjectionHandle<ContractsView>,
        store: Arc<dyn EventStore>,
        clock: Clock,
        config: ContractConfig,
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

    /// The contracts read model.
    pub fn view(&self) -> &ProjectionHandle<ContractsView> {
        &self.inner.view
    }

    /// The aggregate registry (for its actor counts).
    pub fn registry(&self) -> &Registry<Contract> {
        &self.inner.registry
    }

    /// The service's settings.
    pub fn config(&self) -> &ContractConfig {
        &self.inner.config
    }

    /// Opens the contract of an award. Idempotent: the same award again
    /// records nothing and answers the contract as it is; other terms
    /// under the same id are refused (`ContractExists`).
    pub async fn open(
        &self,
        open: OpenContract,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        if open.contract_id != open.requirement_id {
            return Err(ContractServiceError::InvalidId(
                "contract id (it must equal the requirement id)",
            ));
        }
        for (what, id) in [
            ("client id", &open.client_id),
            ("vendor id", &open.vendor_id),
        ] {
            if !valid_id(id) {
                return Err(ContractServiceError::InvalidId(what));
            }
        }
        let command = ContractCommand::Open {
            requirement_id: open.requirement_id,
            client_id: open.client_id,
            vendor_id: open.vendor_id,
            price: open.price,
            milestones: open.milestones,
        };
        self.execute(&open.contract_id, command, caller).await
    }

    /// The client funds milestone `index` (its amount goes into escrow).
    pub async fn fund(
        &self,
        id: &str,
        index: u64,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        self.execute(id, ContractCommand::Fund { index }, caller)
            .await
    }

    /// The vendor submits milestone `index`.
    pub async fn submit(
        &self,
        id: &str,
        index: u64,
        note: String,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        let after =
            i64::try_from(self.inner.config.auto_accept_after.as_micros()).unwrap_or(i64::MAX);
        let command = ContractCommand::Submit {
            index,
            note,
            auto_accept_after_micros: after,
        };
        self.execute(id, command, caller).await
    }

    /// The client accepts milestone `index`: its escrow is released.
    pub async fn accept(
        &self,
        id: &str,
        index: u64,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        let command = ContractCommand::Accept {
            index,
            fee_bps: self.inner.config.fee_bps,
        };
        self.execute(id, command, caller).await
    }

    /// The client sends milestone `index` back for changes.
    pub async fn request_changes(
        &self,
        id: &str,
        index: u64,
        reason: String,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        let command = ContractCommand::RequestChanges { index, reason };
        self.execute(id, command, caller).await
    }

    /// Either party disputes submitted milestone `index`.
    pub async fn dispute(
        &self,
        id: &str,
        index: u64,
        reason: String,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        let command = ContractCommand::Dispute { index, reason };
        self.execute(id, command, caller).await
    }

    /// An admin resolves the dispute on milestone `index`: `vendor_cents`
    /// to the vendor (the fee applies), the rest refunded to the client.
    pub async fn resolve(
        &self,
        id: &str,
        index: u64,
        vendor_cents: u64,
        note: String,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        let command = ContractCommand::Resolve {
            index,
            vendor_cents,
            note,
            fee_bps: self.inner.config.fee_bps,
            by_admin: caller.is_admin,
        };
        self.execute(id, command, caller).await
    }

    /// A party reviews the other after completion.
    pub async fn review(
        &self,
        id: &str,
        scores: (u8, u8, u8),
        text: String,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        let (quality, communication, timeliness) = scores;
        let command = ContractCommand::Review {
            quality,
            communication,
            timeliness,
            text,
        };
        self.execute(id, command, caller).await
    }

    /// The contract as its aggregate decides (always current) and its
    /// version.
    pub async fn get(&self, id: &str) -> Result<(Contract, Option<u64>), ContractServiceError> {
        if !valid_id(id) {
            return Err(ContractServiceError::InvalidId("contract id"));
        }
        Ok(self.inner.registry.state(id).await?)
    }

    /// `vendor_id`'s reputation and load, from the contracts projection
    /// (for the vendor view and the bid ranking). A vendor without
    /// contracts has the prior's reputation and no load.
    pub fn standing(&self, vendor_id: &str) -> VendorStanding {
        let standing = self.inner.view.read(|view| view.standing(vendor_id));
        VendorStanding {
            reputation: standing.reputation(self.inner.config.prior),
            open_contracts: standing.open_contracts,
            completed_contracts: standing.completed_contracts,
        }
    }

    /// Accepts every submission whose automatic-acceptance time has come.
    /// First lets the projection catch up with the log (bounded by
    /// `sweep_catch_up`), so a submission made just before a clock move is
    /// seen; then sends a sweep to each contract with a due submission. A
    /// contract whose sweep fails is logged and retried by the next sweep.
    /// Returns once the projection shows what the sweep wrote (bounded by
    /// `sweep_catch_up` too), so reads after a sweep see it.
    pub async fn sweep(&self) -> SweepReport {
        let _one_at_a_time = self.inner.sweeping.lock().await;
        let catch_up = self.inner.config.sweep_catch_up;
        match self.inner.store.head_position().await {
            Ok(Some(head)) => {
                if !self.inner.view.wait_for(head, catch_up).await {
                    tracing::warn!(head, "contracts view behind the log; sweeping what it has");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the log head before a sweep"),
        }
        let now = self.inner.clock.now();
        let due: BTreeSet<String> = self.inner.view.read(|view| view.due_contracts(now));
        let mut report = SweepReport {
            contracts: due.len(),
            ..SweepReport::default()
        };
        let caller = Caller::user(SWEEPER_ACTOR);
        let mut written = None;
        for contract in due {
            let command = ContractCommand::Sweep {
                fee_bps: self.inner.config.fee_bps,
            };
            match self.execute(&contract, command, &caller).await {
                Ok(executed) => {
                    written = written.max(executed.position);
                    report.accepted += executed
                        .events
                        .iter()
                        .filter(|e| matches!(e, ContractEvent::Accepted(_)))
                        .count();
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(contract = %contract, error = %e, "sweeping a contract failed; the next sweep retries");
                }
            }
        }
        if let Some(position) = written
            && !self.inner.view.wait_for(position, catch_up).await
        {
            tracing::warn!(position, "contracts view behind the sweep's own writes");
        }
        if report.accepted + report.failed > 0 {
            tracing::info!(
                contracts = report.contracts,
                accepted = report.accepted,
                failed = report.failed,
                "contract sweep"
            );
        }
        report
    }

    async fn execute(
        &self,
        id: &str,
        command: ContractCommand,
        caller: &Caller,
    ) -> Result<Executed<Contract>, ContractServiceError> {
        if !valid_id(id) {
            return Err(ContractServiceError::InvalidId("contract id"));
        }
        let execute = Execute {
            command,
            expected_version: caller.if_match.map(Some),
            idempotency_key: caller.idempotency_key,
            metadata: agora_events::EventMetadata {
                correlation_id: Some(caller.idempotency_key.unwrap_or_else(uuid::Uuid::now_v7)),
                causation_id: None,
                actor_id: Some(caller.user_id.clone()),
            },
            now: self.inner.clock.now(),
        };
        Ok(self.inner.registry.execute(id, execute).await?)
    }
}
