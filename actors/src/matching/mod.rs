//! # Matching bids to requirements: the explainable score and the exact
//! global assignment
//!
//! Pure building blocks of technology outsourcing's ranking, independent of
//! the Requirement and Contract aggregates: callers map their read models
//! onto the plain input structs here.
//!
//! - [`score`]: the score p_ij ∈ [0, 1] of a bid, with every part shown
//!   (semantic fit, skills, price, delivery, reputation, load), the weights
//!   and reputation prior as settings ([`MatchingSettings`]); the same
//!   signals without price and delivery score vendors who have not bid.
//! - [`semantic`]: the semantic part, cosine of sentence embeddings from
//!   the model workers, with a bounded cache. Where work happens: embedding
//!   jobs on the model pool's pinned threads; the caller only awaits.
//! - [`ranking`]: a requirement's bids scored and ordered; vendor
//!   suggestions.
//! - [`assignment`]: maximise Σ p_ij x_ij over many requirements at once,
//!   each vendor within its remaining capacity, each requirement at most one
//!   vendor — exact (successive shortest paths with potentials on integer
//!   costs), on the caller's thread; [`greedy`] beside it.
//! - [`synthetic`]: deterministic tenders for the benchmarks.
//!
//! Input and answer types derive serde and `JsonSchema`, ready for the
//! HTTP layer to expose.

pub mod assignment;
pub mod greedy;
pub mod ranking;
pub mod score;
pub mod semantic;
pub mod synthetic;

pub use assignment::{AssignmentAnswer, AssignmentError, AssignmentRequest, Instance, solve};
pub use score::{MatchingSettings, MatchingSettingsError, Score, ScorePart, ScorePartKind};
pub use semantic::{SemanticError, SemanticFit};
