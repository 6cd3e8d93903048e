//! Configuration, merged from four layers, each overriding the one before:
//!
//! 1. defaults ([`Settings::default`]);
//! 2. a TOML file: `--config FILE` (or `AGORA_CONFIG`), else `agora.toml` in
//!    the working directory if it exists;
//! 3. environment variables `AGORA_*`, nested with `__`
//!    (`AGORA_DATA_DIR`, `AGORA_LISTEN`, `AGORA_LOG__SEGMENT_BYTES`); the
//!    `models` section also takes one `_` (`AGORA_MODELS_ENABLED`,
//!    `AGORA_MODELS_DIR`, the variable `ops/models/install` uses);
//! 4. command-line flags (`--data-dir`, `--listen`).
//!
//! Unknown keys are errors, so a typo never goes unnoticed.

use std::path::{Path, PathBuf};

use agora_actors::factorizer::{ExplicitSettings, ImplicitSettings};
use agora_actors::matching::MatchingSettings;
use agora_actors::projection::interactions::InteractionWeights;
use agora_actors::recommender::{RecommenderConfig, TrainingMode};
use agora_events::LogConfig;
use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The configuration file read when `--config` is not given, if it exists.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "agora.toml";

/// Prefix of the environment variables that override settings.
const ENV_PREFIX: &str = "AGORA_";

/// Default of `recommender.max_k` (also the bound the OpenAPI document states).
pub(crate) const DEFAULT_MAX_K: usize = 100;
/// Default of `models.max_images` (also the bound the OpenAPI document states).
pub(crate) const DEFAULT_MAX_IMAGES: usize = 4;
/// Default of `models.max_prompt_chars` (also the bound the OpenAPI document
/// states).
pub(crate) const DEFAULT_MAX_PROMPT_CHARS: usize = 4_000;

/// Environment variables with the prefix that are not settings.
const ENV_NOT_SETTINGS: &[&str] = &["config", "admin_password"];

/// Every setting of the `agora` binary. See the README's configuration table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// Data directory of the embedded event store.
    pub(crate) data_dir: PathBuf,
    /// Address the HTTP server listens on, `HOST:PORT`; port 0 picks a free one.
    pub(crate) listen: String,
    /// Log filter (`tracing` env-filter syntax) used when `RUST_LOG` is unset.
    pub(crate) log_level: String,
    /// HTTP worker threads; 0 means one per CPU core.
    pub(crate) http_workers: usize,
    /// Seconds a graceful shutdown waits for requests in flight.
    pub(crate) shutdown_timeout_secs: u64,
    /// The embedded event log.
    pub(crate) log: LogConfig,
    /// Personal-data master key (64 hex digits) that wraps every user's data
    /// key. Unset: read from `master_key_file`. Never printed.
    #[serde(skip_serializing)]
    pub(crate) master_key: Option<String>,
    /// File holding the master key. Unset: `DATA_DIR/master.key`, created
    /// with a fresh key on first start (fine for development; in production
    /// keep the key away from the data it protects).
    pub(crate) master_key_file: Option<PathBuf>,
    /// File holding the Ed25519 key that signs audit checkpoints (64 hex
    /// digits, the key's seed). Unset: `DATA_DIR/audit-signing.key`,
    /// created with a fresh key on first start.
    pub(crate) audit_signing_key_file: Option<PathBuf>,
    /// Seconds an aggregate actor stays in memory after its last command.
    pub(crate) actor_idle_secs: u64,
    /// Longest wait, in milliseconds, of a read with `?min_position=`.
    pub(crate) read_wait_ms: u64,
    /// Largest request body accepted, in bytes (larger ones get 413).
    pub(crate) max_body_bytes: usize,
    /// Seconds a login's bearer token is accepted.
    pub(crate) session_ttl_secs: u64,
    /// Login attempts allowed per account from one client address per 15
    /// minutes (an attacker elsewhere cannot lock the owner out).
    pub(crate) login_attempts_per_account: u32,
    /// Login attempts allowed per account from all addresses together per
    /// 15 minutes: the slow back-off against distributed guessing.
    pub(crate) login_attempts_per_account_total: u32,
    /// Login attempts allowed per client address per minute.
    pub(crate) login_attempts_per_address: u32,
    /// Registrations allowed per client address per minute.
    pub(crate) registrations_per_address: u32,
    /// Password hashes (argon2id, 19 MiB each) computed at once, for
    /// registrations and logins; 0 means one per core.
    pub(crate) password_hash_concurrency: usize,
    /// Requests allowed to wait for a password hash; more get 429 at once.
    pub(crate) password_hash_queue: usize,
    /// Days after a purchase during which its buyer may refund it.
    pub(crate) refund_window_days: u64,
    /// The platform's fee on every sale of a creator's item or membership,
    /// in basis points (2000 = 20 %); fixed into each sale when it happens.
    pub(crate) platform_fee_bps: u32,
    /// The platform's fee on every release of an outsourcing contract's
    /// escrow to its vendor, in basis points (1000 = 10 %); fixed into each
    /// release when it happens.
    pub(crate) outsourcing_fee_bps: u32,
    /// Days a submitted milestone may stay unanswered (not accepted, sent
    /// back or disputed) before it is accepted automatically; fixed into
    /// each submission.
    pub(crate) auto_accept_days: u64,
    /// The prior mean of every reputation's Bayesian average (1–5): a user
    /// without reviews has it.
    pub(crate) reputation_prior_mean: f64,
    /// How many reviews' worth the prior counts (≥ 0): one 5-star review
    /// moves a reputation far less than fifty 4.8s.
    pub(crate) reputation_prior_weight: f64,
    /// Start with a manual clock that stands still until an admin moves it
    /// (`POST /v1/admin/clock`): for tests and demos of renewals, expiries
    /// and refund windows. Never in production.
    pub(crate) manual_clock: bool,
    /// Most items one partner catalog import may carry; more get 413.
    pub(crate) partner_import_max_items: usize,
    /// Items of one catalog import listed at once (bounds the concurrent
    /// content commands of one call).
    pub(crate) partner_import_concurrency: usize,
    /// Largest catalog import body, in bytes (larger ones get 413); other
    /// routes keep `max_body_bytes`.
    pub(crate) partner_import_max_body_bytes: usize,
    /// The recommender (`recommender.*`, env `AGORA_RECOMMENDER__*`).
    pub(crate) recommender: RecommenderSettings,
    /// The model workers (generation and verification).
    pub(crate) models: ModelsSettings,
    /// Bid scoring and ranking (`matching.*`, env `AGORA_MATCHING__*`):
    /// the weights of the score's parts and the reputation prior.
    pub(crate) matching: MatchingSettings,
}

/// Settings of the recommender: what it trains, when, and the weights of
/// the interaction signals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RecommenderSettings {
    /// `implicit` (ALS on weighted purchases, check-ins and ratings) or
    /// `explicit` (ALS on the ratings alone).
    pub(crate) mode: TrainingMode,
    /// Latent factors per user and item.
    pub(crate) factors: usize,
    /// ALS sweeps per training run.
    pub(crate) iterations: usize,
    /// L2 regularisation λ.
    pub(crate) regularization: f32,
    /// Implicit confidence slope: a weight `w` counts `1 + alpha · w`.
    pub(crate) alpha: f32,
    /// Conjugate-gradient steps per row solve (implicit mode).
    pub(crate) cg_steps: usize,
    /// Seed of the initial factors (the same data and seed give the same
    /// model).
    pub(crate) seed: u64,
    /// Retrain after this many new interactions (0: never for this reason).
    pub(crate) retrain_after_interactions: u64,
    /// Retrain this many seconds after the last run when anything changed
    /// (0: never for this reason).
    pub(crate) retrain_interval_secs: u64,
    /// Seconds a counted or scheduled run waits after the previous run
    /// ended (0: no gap).
    pub(crate) retrain_min_gap_secs: u64,
    /// Train at start-up when the log holds interactions.
    pub(crate) train_on_start: bool,
    /// Implicit weight of a live purchase.
    pub(crate) weight_purchase: f32,
    /// Implicit weight of each day checked in.
    pub(crate) weight_check_in_per_day: f32,
    /// Days checked in that count at most.
    pub(crate) check_in_max_days: u32,
    /// Implicit weight per star above 3 (minus per star below).
    pub(crate) weight_rating_per_star: f32,
    /// Largest `k` a recommendation or similar-items request may ask for.
    pub(crate) max_k: usize,
}

impl Default for RecommenderSettings {
    fn default() -> Self {
        let implicit = ImplicitSettings::default();
        let weights = InteractionWeights::default();
        let config = RecommenderConfig::default();
        Self {
            mode: TrainingMode::Implicit,
            factors: implicit.factors,
            iterations: implicit.iterations,
            regularization: implicit.regularization,
            alpha: implicit.alpha,
            cg_steps: implicit.cg_steps,
            seed: implicit.seed,
            retrain_after_interactions: config.retrain_after_interactions,
            retrain_interval_secs: config.retrain_interval.as_secs(),
            retrain_min_gap_secs: config.retrain_min_gap.as_secs(),
            train_on_start: config.train_on_start,
            weight_purchase: weights.purchase,
            weight_check_in_per_day: weights.check_in_per_day,
            check_in_max_days: weights.check_in_max_days,
            weight_rating_per_star: weights.rating_per_star,
            max_k: DEFAULT_MAX_K,
        }
    }
}

impl RecommenderSettings {
    /// The recommender's configuration from these settings.
    pub(crate) fn config(&self) -> RecommenderConfig {
        RecommenderConfig {
            mode: self.mode,
            implicit: ImplicitSettings {
                factors: self.factors,
                iterations: self.iterations,
                regularization: self.regularization,
                alpha: self.alpha,
                cg_steps: self.cg_steps,
                seed: self.seed,
            },
            explicit: ExplicitSettings {
                factors: self.factors,
                iterations: self.iterations,
                regularization: self.regularization,
                seed: self.seed,
            },
            weights: InteractionWeights {
                purchase: self.weight_purchase,
                check_in_per_day: self.weight_check_in_per_day,
                check_in_max_days: self.check_in_max_days,
                rating_per_star: self.weight_rating_per_star,
            },
            retrain_after_interactions: self.retrain_after_interactions,
            retrain_interval: std::time::Duration::from_secs(self.retrain_interval_secs),
            retrain_min_gap: std::time::Duration::from_secs(self.retrain_min_gap_secs),
            ..RecommenderConfig::default()
        }
    }
}

/// Settings of the model workers (`[models]`, `AGORA_MODELS_*`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ModelsSettings {
    /// Load the models and serve the model endpoints. When false the
    /// endpoints answer 503 `models-unavailable` and nothing is loaded.
    pub(crate) enabled: bool,
    /// The models directory `ops/models/install` filled. Unset:
    /// `$HOME/.cache/agora/models` (the install script's default).
    pub(crate) dir: Option<PathBuf>,
    /// Worker threads; 0 means one per CPU core.
    pub(crate) workers: usize,
    /// Pin each worker to a core.
    pub(crate) pin_to_cores: bool,
    /// Most embedding jobs waiting; more are refused with 503.
    pub(crate) embed_queue: usize,
    /// Most generation jobs waiting; more are refused with 503.
    pub(crate) generate_queue: usize,
    /// Most OCR jobs waiting; more are refused with 503.
    pub(crate) ocr_queue: usize,
    /// `Retry-After` seconds advised when a queue is full.
    pub(crate) retry_after_secs: u32,
    /// Seconds a verification may take (504 after).
    pub(crate) verify_timeout_secs: u64,
    /// Seconds a generation may take; it stops there and keeps what it has.
    pub(crate) generate_timeout_secs: u64,
    /// Refuse to publish an item whose current text has no verification
    /// scoring at least `min_verification_score_bps`.
    pub(crate) require_verification_to_publish: bool,
    /// The passing verification score, in basis points (7000 = 0.7).
    pub(crate) min_verification_score_bps: u32,
    /// Most images (or PDFs) one verify request may carry.
    pub(crate) max_images: usize,
    /// Largest decoded image or PDF, in bytes.
    pub(crate) max_image_bytes: usize,
    /// Most pixels (width × height, read from the header before anything
    /// decodes it) of an image OCR reads; a larger one is refused with 413
    /// `image-too-large`. PDF pages are rasterised within it.
    pub(crate) max_image_pixels: u64,
    /// Most pages of a PDF sent to verify (each page is one OCR job); a
    /// longer one is refused with 422.
    pub(crate) max_pdf_pages: usize,
    /// Largest verify request body, in bytes (base64 images); other
    /// routes keep `max_body_bytes`.
    pub(crate) verify_max_body_bytes: usize,
    /// Longest generation prompt, in characters.
    pub(crate) max_prompt_chars: usize,
}

impl Default for ModelsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dir: None,
            workers: 0,
            pin_to_cores: true,
            embed_queue: 256,
            generate_queue: 8,
            ocr_queue: 32,
            retry_after_secs: 2,
            verify_timeout_secs: 60,
            generate_timeout_secs: 120,
            require_verification_to_publish: false,
            min_verification_score_bps: 7_000,
            max_images: DEFAULT_MAX_IMAGES,
            max_image_bytes: 8 << 20,
            max_image_pixels: 40_000_000,
            max_pdf_pages: 8,
            verify_max_body_bytes: 48 << 20,
            max_prompt_chars: DEFAULT_MAX_PROMPT_CHARS,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            listen: "127.0.0.1:8080".into(),
            log_level: "info".into(),
            http_workers: 0,
            shutdown_timeout_secs: 30,
            log: LogConfig::default(),
            master_key: None,
            master_key_file: None,
            audit_signing_key_file: None,
            actor_idle_secs: 60,
            read_wait_ms: 5_000,
            max_body_bytes: 1 << 20,
            session_ttl_secs: 24 * 60 * 60,
            login_attempts_per_account: 5,
            login_attempts_per_account_total: 100,
            login_attempts_per_address: 30,
            registrations_per_address: 60,
            password_hash_concurrency: 0,
            password_hash_queue: 64,
            refund_window_days: 14,
            platform_fee_bps: 2_000,
            outsourcing_fee_bps: 1_000,
            auto_accept_days: 7,
            reputation_prior_mean: 4.0,
            reputation_prior_weight: 10.0,
            manual_clock: false,
            partner_import_max_items: 5_000,
            partner_import_concurrency: 64,
            partner_import_max_body_bytes: 32 << 20,
            recommender: RecommenderSettings::default(),
            models: ModelsSettings::default(),
            matching: MatchingSettings::default(),
        }
    }
}

/// Settings given on the command line; `None` keeps the lower layers' value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Overrides {
    /// `--data-dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_dir: Option<PathBuf>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) listen: Option<String>,
}

impl Settings {
    /// Merges the four layers. `config_file` is the `--config` flag: a file
    /// named there must exist; without it `./agora.toml` is read if present.
    pub(crate) fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let figment = Self::figment(config_file, overrides)?;
        let settings: Self = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("invalid configuration")?;
        settings
            .matching
            .validate()
            .context("invalid configuration")?;
        Ok(settings)
    }

    /// The layered sources, before extraction.
    fn figment(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Figment> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) => {
                if !path.is_file() {
                    bail!("configuration file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                let path = Path::new(DEFAULT_CONFIG_FILE);
                if path.is_file() {
                    figment = figment.merge(Toml::file_exact(path));
                }
            }
        }
        Ok(figment
            .merge(
                Env::prefixed(ENV_PREFIX)
                    .ignore(ENV_NOT_SETTINGS)
                    .map(env_key),
            )
            .merge(Serialized::defaults(overrides)))
    }
}

/// The setting an `AGORA_*` variable (prefix stripped) names: `__` nests
/// (`log__segment_bytes` → `log.segment_bytes`), and so does the first `_`
/// after `models` (`models_enabled` → `models.enabled`).
fn env_key(key: &figment::value::UncasedStr) -> figment::value::Uncased<'_> {
    let key = key.as_str().to_ascii_lowercase().replace("__", ".");
    match key.strip_prefix("models_") {
        Some(rest) => format!("models.{rest}").into(),
        None => key.into(),
    }
}

#[cfg(test)]
#[allow(
    clippy::result_large_err,
    reason = "figment's `Jail` fixes the closures' error type"
)]
mod tests {
    use figment::Jail;

    use super::*;

    fn load(jail: &Jail, file: Option<&str>, overrides: &Overrides) -> Settings {
        let file = file.map(|f| jail.directory().join(f));
        Settings::load(file.as_deref(), overrides).expect("settings load")
    }

    #[test]
    fn defaults_apply_without_file_env_or_flags() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            assert_eq!(load(jail, None, &Overrides::default()), Settings::default());
            Ok(())
        });
    }

    #[test]
    fn the_file_overrides_defaults() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "agora.toml",
                "data_dir = \"/srv/agora\"\n[log]\nsegment_bytes = 1048576\n",
            )?;
            let settings = load(jail, None, &Overrides::default());
            assert_eq!(settings.data_dir, PathBuf::from("/srv/agora"));
            assert_eq!(settings.log.segment_bytes, 1 << 20);
            assert_eq!(
                settings.log.max_batch_bytes,
                LogConfig::default().max_batch_bytes
            );
            assert_eq!(settings.listen, Settings::default().listen);
            Ok(())
        });
    }

    #[test]
    fn the_environment_overrides_the_file() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "other.toml",
                "listen = \"10.0.0.1:80\"\nlog_level = \"warn\"\n[log]\nsegment_bytes = 1048576\n",
            )?;
            jail.set_env("AGORA_LISTEN", "127.0.0.1:9000");
            jail.set_env("AGORA_LOG__SEGMENT_BYTES", "2097152");
            jail.set_env("AGORA_LOG_LEVEL", "debug");
            jail.set_env("AGORA_CONFIG", "ignored-by-the-settings.toml");
            let settings = load(jail, Some("other.toml"), &Overrides::default());
            assert_eq!(settings.listen, "127.0.0.1:9000");
            assert_eq!(settings.log.segment_bytes, 2 << 20);
            assert_eq!(settings.log_level, "debug");
            Ok(())
        });
    }

    #[test]
    fn flags_override_the_environment() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("AGORA_DATA_DIR", "/from/env");
            jail.set_env("AGORA_LISTEN", "127.0.0.1:9000");
            let overrides = Overrides {
                data_dir: Some(PathBuf::from("/from/flag")),
                listen: None,
            };
            let settings = load(jail, None, &overrides);
            assert_eq!(settings.data_dir, PathBuf::from("/from/flag"));
            assert_eq!(settings.listen, "127.0.0.1:9000");
            Ok(())
        });
    }

    #[test]
    fn a_named_file_must_exist() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            let missing = Settings::load(Some(Path::new("missing.toml")), &Overrides::default());
            assert!(missing.is_err());
            Ok(())
        });
    }

    #[test]
    fn recommender_settings_nest_in_the_file_and_the_environment() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "agora.toml",
                "[recommender]\nmode = \"explicit\"\nfactors = 16\n",
            )?;
            jail.set_env("AGORA_RECOMMENDER__RETRAIN_AFTER_INTERACTIONS", "50");
            let settings = load(jail, None, &Overrides::default());
            let config = settings.recommender.config();
            assert_eq!(config.mode, TrainingMode::Explicit);
            assert_eq!(config.explicit.factors, 16);
            assert_eq!(config.retrain_after_interactions, 50);
            assert_eq!(config.weights, InteractionWeights::default());
            jail.set_env("AGORA_RECOMMENDER__FACTORZ", "8");
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn model_settings_come_from_the_environment_with_one_or_two_underscores() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("AGORA_MODELS_ENABLED", "false");
            jail.set_env("AGORA_MODELS_DIR", "/opt/models");
            jail.set_env("AGORA_MODELS__MIN_VERIFICATION_SCORE_BPS", "8000");
            let settings = load(jail, None, &Overrides::default());
            assert!(!settings.models.enabled);
            assert_eq!(settings.models.dir, Some(PathBuf::from("/opt/models")));
            assert_eq!(settings.models.min_verification_score_bps, 8000);
            jail.set_env("AGORA_MODELS_ENABLE", "false");
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    fn matching_weights_come_from_the_file_and_the_environment_and_are_checked() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("agora.toml", "[matching]\nweight_price = 0.5\n")?;
            jail.set_env("AGORA_MATCHING__REPUTATION_PRIOR_WEIGHT", "12");
            let settings = load(jail, None, &Overrides::default());
            assert_eq!(settings.matching.weight_price, 0.5);
            assert_eq!(settings.matching.reputation_prior_weight, 12.0);
            assert_eq!(
                settings.matching.weight_semantic,
                MatchingSettings::default().weight_semantic
            );
            jail.set_env("AGORA_MATCHING__WEIGHT_LOAD", "-1");
            let error = Settings::load(None, &Overrides::default()).expect_err("negative weight");
            assert!(format!("{error:#}").contains("weight_load"), "{error:#}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors() {
        Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("agora.toml", "[log]\nsegment_byte = 1\n")?;
            assert!(Settings::load(None, &Overrides::default()).is_err());
            Ok(())
        });
    }
}
