//! Wiring the domain: the key store, the aggregate registries, the
//! projections and the services the HTTP handlers call. Everything here
//! needs a running actix `System` (actors live on arbiters).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use agora_actors::aggregate::{Registry, RegistryConfig};
use agora_actors::clock::Clock;
use agora_actors::content::{Content, ContentService};
use agora_actors::membership::sweeper::Sweeper;
use agora_actors::membership::{MembershipConfig, MembershipService, Plan};
use agora_actors::partner::{ImportSettings, Partner, PartnerService};
use agora_actors::projection::bodies::BodiesView;
use agora_actors::projection::catalog::CatalogView;
use agora_actors::projection::dashboard::DashboardView;
use agora_actors::projection::discussions::DiscussionsView;
use agora_actors::projection::interactions::InteractionsView;
use agora_actors::projection::ledger::LedgerView;
use agora_actors::projection::library::LibraryView;
use agora_actors::projection::memberships::MembershipsView;
use agora_actors::projection::near_dup::NearDupProjection;
use agora_actors::projection::users::UsersView;
use agora_actors::projection::{
    self, ProjectionConfig, ProjectionGroup, ProjectionHandle, ReplayReport,
};
use agora_actors::recommender::Recommender;
use agora_actors::user::{User, UserService};
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
    /// Each learner's owned items, check-ins and ratings.
    pub(crate) library: ProjectionHandle<LibraryView>,
    /// Each creator's sales, revenue, refunds and ratings per day.
    pub(crate) dashboard: ProjectionHandle<DashboardView>,
    /// Each item's body, for those who may read it.
    pub(crate) bodies: ProjectionHandle<BodiesView>,
    /// Each item's reviews (with their writers' ratings) and comment threads.
    pub(crate) discussions: ProjectionHandle<DiscussionsView>,
    /// Partner platforms and their catalog imports.
    pub(crate) partners: PartnerService,
    /// The revenue ledger.
    pub(crate) ledger: ProjectionHandle<LedgerView>,
    /// Membership plans, subscriptions, renewals and expiries.
    pub(crate) memberships: MembershipService,
    /// The recommender and the interaction matrix it trains on.
    pub(crate) recommender: Recommender,
    /// Published texts and their MinHash signatures, for verification.
    pub(crate) near_dup: ProjectionHandle<NearDupProjection>,
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
        let partners = Arc::new(Registry::<Partner>::new(
            Arc::clone(&store),
            registry_config,
        ));
        let projection_config = ProjectionConfig::new(projections_dir(settings));
        // One subscription feeds every projection (see ProjectionGroup).
        let mut group = ProjectionGroup::new(Arc::clone(&store), projection_config)
            .context("starting the projections")?;
        let users_view = group.add::<UsersView>();
        let memberships_view = group.add::<MembershipsView>();
        let membership_store = Arc::clone(&store);
        let ledger = group.add::<LedgerView>();
        let catalog = group.add::<CatalogView>();
        let library = group.add::<LibraryView>();
        let dashboard = group.add::<DashboardView>();
        let bodies = group.add::<BodiesView>();
        let discussions = group.add::<DiscussionsView>();
        let interactions = group.add::<InteractionsView>();
        let near_dup = group.add::<NearDupProjection>();
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
            users_view.clone(),
            settings.platform_fee_bps,
            import,
        )
        .with_clock(clock.clone());
        let memberships = MembershipService::new(
            plans,
            memberships_view,
            membership_store,
            clock.clone(),
            MembershipConfig {
                platform_fee_bps: settings.platform_fee_bps,
                ..MembershipConfig::default()
            },
        );
        Sweeper::start(&memberships);
        let recommender = Recommender::start(
            store,
            interactions,
            settings.recommender.config(),
            clock.clone(),
        )
        .context("starting the recommender")?;
        Ok(Self {
            users: UserService::new(registry, Arc::new(keys), users_view).with_clock(clock.clone()),
            contents: ContentService::new(contents, catalog, refund_window)
                .with_clock(clock.clone())
                .with_revenue(settings.platform_fee_bps, partners),
            clock,
            library,
            dashboard,
            bodies,
            discussions,
            partners: partner_service,
            ledger,
            memberships,
            recommender,
            near_dup,
        })
    }

    /// Projection health: `(name, checkpoint, failure)` of each projection.
    pub(crate) fn projections(&self) -> Vec<(&'static str, Option<u64>, Option<String>)> {
        let users = self.users.view();
        let catalog = self.contents.catalog();
        vec![
            ("users", users.checkpoint(), users.failure()),
            ("catalog", catalog.checkpoint(), catalog.failure()),
            ("library", self.library.checkpoint(), self.library.failure()),
            (
                "dashboard",
                self.dashboard.checkpoint(),
                self.dashboard.failure(),
            ),
            ("bodies", self.bodies.checkpoint(), self.bodies.failure()),
            (
                "discussions",
                self.discussions.checkpoint(),
                self.discussions.failure(),
            ),
            ("ledger", self.ledger.checkpoint(), self.ledger.failure()),
            (
                "memberships",
                self.memberships.view().checkpoint(),
                self.memberships.view().failure(),
            ),
            (
                "interactions",
                self.recommender.interactions().checkpoint(),
                self.recommender.interactions().failure(),
            ),
            (
                "near_dup",
                self.near_dup.checkpoint(),
                self.near_dup.failure(),
            ),
        ]
    }
}

/// Rebuilds every projection from the log; with `write`, replaces the
/// snapshots (the server must be stopped, which holding the store ensures).
pub(crate) async fn replay_all(
    store: &dyn EventStore,
    settings: &Settings,
    write: bool,
) -> anyhow::Result<Vec<ReplayReport>> {
    let dir = projections_dir(settings);
    let users = projection::replay::<UsersView>(store, &dir, write)
        .await
        .context("replaying the users projection")?;
    let catalog = projection::replay::<CatalogView>(store, &dir, write)
        .await
        .context("replaying the catalog projection")?;
    let library = projection::replay::<LibraryView>(store, &dir, write)
        .await
        .context("replaying the library projection")?;
    let dashboard = projection::replay::<DashboardView>(store, &dir, write)
        .await
        .context("replaying the dashboard projection")?;
    let bodies = projection::replay::<BodiesView>(store, &dir, write)
        .await
        .context("replaying the bodies projection")?;
    let discussions = projection::replay::<DiscussionsView>(store, &dir, write)
        .await
        .context("replaying the discussions projection")?;
    let ledger = projection::replay::<LedgerView>(store, &dir, write)
        .await
        .context("replaying the ledger projection")?;
    let memberships = projection::replay::<MembershipsView>(store, &dir, write)
        .await
        .context("replaying the memberships projection")?;
    let interactions = projection::replay::<InteractionsView>(store, &dir, write)
        .await
        .context("replaying the interactions projection")?;
    let near_dup = projection::replay::<NearDupProjection>(store, &dir, write)
        .await
        .context("replaying the near-duplicate projection")?;
    Ok(vec![
        users,
        catalog,
        library,
        dashboard,
        bodies,
        discussions,
        ledger,
        memberships,
        interactions,
        near_dup,
    ])
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
