//! The factorizer's core: alternating least squares on the user × item
//! interaction matrix, scoring, and offline ranking metrics.
//!
//! Everything here is pure computation — no actor, no I/O, no clock. The
//! factorizer actor (retraining, publishing model versions) and the HTTP
//! serving sit on top of it.
//!
//! - [`matrix`]: interactions → a sparse user × item CSR matrix
//!   ([`sprs::CsMat`]) and its transpose, with dense index maps between
//!   external ids and rows/columns ([`InteractionMatrix`]);
//! - [`implicit`]: implicit-feedback ALS (Hu, Koren & Volinsky 2008) with
//!   conjugate-gradient solves as in the `implicit` library
//!   ([`ImplicitSettings`], [`fit_implicit`]);
//! - [`explicit`]: explicit-rating ALS with biases and weighted-λ
//!   regularisation (Zhou et al. 2008) ([`ExplicitSettings`], [`fit_explicit`]);
//! - [`model`]: a trained [`Model`]: top-k recommendations by partial
//!   selection, batched scoring with a GEMM kernel, item-item cosine
//!   similarity, fold-in of unseen users, and explanations;
//! - [`metrics`]: precision@k, recall@k, NDCG@k and MAP@k over a held-out
//!   set, and the popularity baseline.
//!
//! Where work happens: a fit runs on the caller's thread and fans each
//! half-step out over the rayon global pool (one task per chunk of rows).
//! Each row's solve reads only the other side's factors from the previous
//! half-step, so the result depends on the seed alone — not on the number of
//! threads or their scheduling.
//!
//! ```
//! use agora_actors::factorizer::{fit_implicit, ImplicitSettings, InteractionMatrix};
//!
//! let mut builder = InteractionMatrix::builder();
//! builder.push("ann", "rust-book", 1.0);
//! builder.push("ann", "sql-course", 1.0);
//! builder.push("bob", "rust-book", 1.0);
//! let matrix = builder.build();
//! let settings = ImplicitSettings { factors: 4, iterations: 5, ..ImplicitSettings::default() };
//! let model = fit_implicit(&matrix, &settings).expect("valid settings");
//! let bob = matrix.users().index("bob").expect("bob is a row");
//! let recs = model.recommend(bob, 1, matrix.user_items().row(bob).0);
//! assert_eq!(recs.len(), 1);
//! assert_eq!(matrix.items().id(recs[0].item), Some("sql-course"));
//! ```

mod dense;
pub mod explicit;
pub mod implicit;
pub mod matrix;
pub mod metrics;
pub mod model;
mod topk;

pub use dense::Factors;
pub use explicit::{ExplicitSettings, fit_explicit};
pub use implicit::{ImplicitSettings, fit_implicit, implicit_loss};
pub use matrix::{IdIndex, InteractionMatrix, InteractionsBuilder, SparseRows};
pub use metrics::{
    HeldOut, Popularity, RankingMetrics, evaluate, evaluate_model, popularity_ranker,
};
pub use model::{Contribution, Model, ModelKind, Scored};
pub use topk::top_k;

/// Why a fit or a query could not run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FactorizerError {
    /// A setting is out of range (zero factors, negative regularisation, …);
    /// the caller passed bad input and should fix it (HTTP 400).
    #[error("invalid setting: {0}")]
    InvalidSettings(String),
    /// The interaction matrix has no users or no items, so there is nothing
    /// to factorize; wait for interactions before training.
    #[error("the interaction matrix is empty")]
    EmptyMatrix,
}
