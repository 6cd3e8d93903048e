//! Wiring the domain: the key store, the aggregate registries, the
//! projections and the services the HTTP handlers call. Everything here
//! needs a running actix `System` (actors live on arbiters).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agora_actors::aggregate::{Registry, RegistryConfig};
use agora_actors::clock::Clock;
use agora_actors::content::{Content, ContentService};
use agora_actors::contract::{Contract, ContractConfig, ContractService};
use agora_actors::membership::sweeper::Sweeper;
use agora_actors::membership::{MembershipConfig, MembershipService, Plan};
use agora_actors::partner::{ImportSettings, Partner, PartnerService};
use agora_actors::projection::bodies::BodiesView;
use agora_actors::projection::catalog::CatalogView;
use agora_actors::projection::contracts::{ContractsView, ReputationPrior};
use agora_actors::projection::dashboard::DashboardView;
use agora_actors::projection::discussions::DiscussionsView;
use agora_actors::projection::interactions::InteractionsView;
use agora_actors::projection::ledger::LedgerView;
use agora_actors::projection::library::LibraryView;
use agora_actors::projection::memberships::MembershipsView;
use agora_actors::projection::near_dup::NearDupProjection;
use agora_actors::projection::requirements::RequirementsView;
use agora_actors::projection::users::UsersView;
use agora_actors::projection::vendors::VendorsView;
use agora_actors::projection::{
    self, Projection, ProjectionConfig, ProjectionGroup, ProjectionHandle, ReplayReport,
};
use agora_actors::recommender::Recommender;
use agora_actors::requirement::{Requirement, RequirementService};
use agora_actors::user::{User, UserService};
use agora_actors::vendor::{Vendor, VendorService};
use agora_events::personal::{KeyStore, MasterKey};
use agora_events::{EventStore, Timestamp};
use anyhow::Context;

use crate::config::Settings;

/// The running domain.
pub(crate) struct Domain {
    /// Registration and profiles.
    pub(crate) users: UserService,
    /// Content items, purchases and engagement, and the catalog.
    pub(crate) contents: ContentService,
    /// The clock every service stamps commands with.
    pub(crate) clock: Clock,
    /// Partner platforms and their catalog imports.
    pub(crate) partners: PartnerService,
    /// Membership plans, subscriptions, renewals and expiries.
    pub(crate) memberships: MembershipService,
    /// Outsourcing contracts: milestone escrow, disputes, reviews, and
    /// vendors' reputation and load.
    pub(crate) contracts: ContractService,
    /// The recommender and the interaction matrix it trains on.
    pub(crate) recommender: Recommender,
    /// Vendors' public profiles.
    pub(crate) vendors: VendorService,
    /// Requirements and their bids, up to the award.
    pub(crate) requirements: RequirementService,
    /// Every read model (the services above hold handles on some of them).
    pub(crate) projections: Projections,
}

/// Declares the projections the server keeps, each once: the
/// [`Projections`] handles, the group they are added to, the health
/// (`/readyz`, metrics) and `agora replay` all come from this one list.
macro_rules! projections {
    ($($(#[$doc:meta])* $field:ident: $view:ty,)+) => {
        /// A handle on every projection the server keeps.
        pub(crate) struct Projections {
            $($(#[$doc])* pub(crate) $field: ProjectionHandle<$view>,)+
        }

        impl Projections {
            /// Every projection's name (its snapshot's file name).
            #[cfg(test)]
            const NAMES: &[&str] = &[$(<$view as Projection>::NAME),+];

            /// Adds every projection to `group`.
            fn add_to(group: &mut ProjectionGroup) -> Self {
                Self {
                    $($field: group.add::<$view>(),)+
                }
            }

            /// Projection health: `(name, checkpoint, failure)` of each
            /// projection.
            pub(crate) fn health(&self) -> Vec<(&'static str, Option<u64>, Option<String>)> {
                vec![$(
                    (
                        <$view as Projection>::NAME,
                        self.$field.checkpoint(),
                        self.$field.failure(),
                    ),
                )+]
            }

            /// Rebuilds every projection from the log, comparing each with
            /// (and with `write` replacing) its snapshot in `dir`.
            async fn replay(
                store: &dyn EventStore,
                dir: &Path,
                write: bool,
            ) -> anyhow::Result<Vec<ReplayReport>> {
                Ok(vec![$(
                    projection::replay::<$view>(store, dir, write)
                        .await
                        .with_context(|| {
                            format!("replaying the {} projection", <$view as Projection>::NAME)
                        })?,
                )+])
            }
        }
    };
}

projections! {
    /// Users, their roles and profiles.
    users: UsersView,
    /// The catalog: listings, search and each item's figures.
    catalog: CatalogView,
    /// Each learner's owned items, check-ins and ratings.
    library: LibraryView,
    /// Each creator's sales, revenue, refunds and ratings per day.
    dashboard: DashboardView,
    /// Each item's body, for those who may read it.
    bodies: BodiesView,
    /// Each item's reviews (with their writers' ratings) and comment threads.
    discussions: DiscussionsView,
    /// The revenue ledger.
    ledger: LedgerView,
    /// Membership plans and their members.
    memberships: MembershipsView,
    /// Who bought, rated and checked in on what: the recommender's input.
    interactions: InteractionsView,
    /// Published texts and their MinHash signatures, for verification.
    near_dup: NearDupProjection,
    /// Vendors' public profiles.
    vendors: VendorsView,
    /// Requirements, their bids and search, and each vendor's awarded work.
    requirements: RequirementsView,
    /// Outsourcing contracts, their escrow and reviews; users' standing.
    contracts: ContractsView,
}

/// Where the projections keep their snapshots.
pub(crate) fn projections_dir(settings: &Settings) -> PathBuf {
    settings.data_dir.join("projections")
}

impl Domain {
    /// Opens the key store and starts the registries and projections over
    /// `store`. Must run inside an actix `System`.
    pub(crate) fn start(settings: &Settings, store: Arc<dyn EventStore>) -> anyhow::Result<Self> {
        let master = master_key(settings)?;
        let keys = KeyStore::open(settings.data_dir.join("keys"), master)
            .context("opening the personal-data key store")?;
        let registry_config = RegistryConfig {
            idle_after: Duration::from_secs(settings.actor_idle_secs),
            ..RegistryConfig::default()
        };
        let registry = Registry::<User>::new(Arc::clone(&store), registry_config.clone());
        let plans = Registry::<Plan>::new(Arc::clone(&store), registry_config.clone());
        let contents = Registry::<Content>::new(Arc::clone(&store), registry_config.clone());
        let vendor_registry = Arc::new(Registry::<Vendor>::new(
            Arc::clone(&store),
            registry_config.clone(),
        ));
        let requirement_registry =
            Registry::<Requirement>::new(Arc::clone(&store), registry_config.clone());
        let contract_registry =
            Registry::<Contract>::new(Arc::clone(&store), registry_config.clone());
        let partners = Arc::new(Registry::<Partner>::new(
            Arc::clone(&store),
            registry_config,
        ));
        let projection_config = ProjectionConfig::new(projections_dir(settings));
        // One subscription feeds every projection (see ProjectionGroup).
        let mut group = ProjectionGroup::new(Arc::clone(&store), projection_config)
            .context("starting the projections")?;
        let projections = Projections::add_to(&mut group);
        let membership_store = Arc::clone(&store);
        group.start().context("starting the projections")?;
        let import = ImportSettings {
            max_items: settings.partner_import_max_items,
            concurrency: settings.partner_import_concurrency,
            max_body_bytes: settings.partner_import_max_body_bytes,
        };
        let refund_window = Duration::from_secs(settings.refund_window_days.saturating_mul(86_400));
        let clock = if settings.manual_clock {
            Clock::manual(Timestamp::now())
        } else {
            Clock::system()
        };
        let partner_service = PartnerService::new(
            Arc::clone(&partners),
            projections.users.clone(),
            settings.platform_fee_bps,
            import,
        )
        .with_clock(clock.clone());
        let memberships = MembershipService::new(
            plans,
            projections.memberships.clone(),
            membership_store,
            clock.clone(),
            MembershipConfig {
                platform_fee_bps: settings.platform_fee_bps,
                ..MembershipConfig::default()
            },
        );
        Sweeper::start(&memberships);
        let contracts = ContractService::new(
            contract_registry,
            projections.contracts.clone(),
            Arc::clone(&store),
            clock.clone(),
            ContractConfig {
                fee_bps: settings.outsourcing_fee_bps,
                auto_accept_after: Duration::from_secs(
                    settings.auto_accept_days.saturating_mul(86_400),
                ),
                prior: ReputationPrior {
                    mean: settings.reputation_prior_mean,
                    weight: settings.reputation_prior_weight,
                },
                ..ContractConfig::default()
            },
        );
        agora_actors::contract::sweeper::Sweeper::start(&contracts);
        let recommender = Recommender::start(
            store,
            projections.interactions.clone(),
            settings.recommender.config(),
            clock.clone(),
        )
        .context("starting the recommender")?;
        let vendors = VendorService::new(
            Arc::clone(&vendor_registry),
            projections.users.clone(),
            clock.clone(),
        );
        let requirements = RequirementService::new(
            requirement_registry,
            vendor_registry,
            projections.requirements.clone(),
            projections.vendors.clone(),
            clock.clone(),
        );
        Ok(Self {
            vendors,
            requirements,
            users: UserService::new(registry, Arc::new(keys), projections.users.clone())
                .with_clock(clock.clone()),
            contents: ContentService::new(contents, projections.catalog.clone(), refund_window)
                .with_clock(clock.clone())
                .with_revenue(settings.platform_fee_bps, partners),
            clock,
            partners: partner_service,
            memberships,
            contracts,
            recommender,
            projections,
        })
    }
}

impl Domain {
    /// Opens the contract of every awarded requirement left without one (a
    /// crash between the award's two appends), once the views reached the
    /// log's head (waiting at most `wait`). Run at start-up before serving.
    pub(crate) async fn open_awarded_contracts(
        &self,
        store: &dyn EventStore,
        wait: Duration,
    ) -> agora_actors::award::OpenReport {
        let head = match store.head_position().await {
            Ok(head) => head,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the log head before opening contracts");
                None
            }
        };
        agora_actors::award::open_missing(&self.requirements, &self.contracts, head, wait).await
    }
}

/// Rebuilds every projection from the log; with `write`, replaces the
/// snapshots (the server must be stopped, which holding the store ensures).
pub(crate) async fn replay_all(
    store: &dyn EventStore,
    settings: &Settings,
    write: bool,
) -> anyhow::Result<Vec<ReplayReport>> {
    Projections::replay(store, &projections_dir(settings), write).await
}

/// The master key from the settings, or from its file (created on first use).
fn master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    if let Some(hex) = &settings.master_key {
        return MasterKey::from_hex(hex).context("the master_key setting");
    }
    let path = settings
        .master_key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir.join("master.key"));
    if path.exists() {
        let hex = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return MasterKey::from_hex(&hex)
            .with_context(|| format!("the master key in {}", path.display()));
    }
    let key = MasterKey::generate();
    write_new_key(&path, &key)?;
    tracing::warn!(file = %path.display(), "generated a new personal-data master key; back it up and, in production, keep it away from the data directory");
    Ok(key)
}

fn write_new_key(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(file, "{}", key.to_hex())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::Projections;

    #[test]
    fn every_projection_has_a_snapshot_file_of_its_own() {
        let mut names = Projections::NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Projections::NAMES.len(), "{names:?}");
        assert!(Projections::NAMES.contains(&"ledger"));
    }
}
