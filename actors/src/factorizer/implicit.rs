//! Implicit-feedback ALS (Hu, Koren & Volinsky 2008) with conjugate-gradient
//! solves, as in the `implicit` library's `least_squares_cg` (Takács et al.
//! 2011).
//!
//! With confidence `c_ui = 1 + alpha · w_ui` for an observed weight `w_ui`
//! (and `c = 1`, preference 0 for everything unobserved), each half-step
//! minimises, for every user `u` with the item factors `Y` fixed,
//! `Σ_i c_ui (p_ui − x_u·y_i)² + λ‖x_u‖²`, i.e. solves
//! `(YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u`. `YᵀY + λI` is computed once
//! per half-step with a GEMM kernel; the rest touches only the user's own
//! items. The solve is `cg_steps` conjugate-gradient iterations started from
//! the previous `x_u`, so a few steps per sweep suffice.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::FactorizerError;
use super::dense::{Factors, axpy, dot, gram, matvec};
use super::matrix::{InteractionMatrix, SparseRows};
use super::model::{Model, ModelKind};

/// Settings of an implicit-feedback ALS fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImplicitSettings {
    /// Latent factors per user and item (the rank of the model).
    pub factors: usize,
    /// Sweeps over users then items.
    pub iterations: usize,
    /// L2 regularisation λ on every factor vector.
    pub regularization: f32,
    /// Confidence slope: an observed weight `w` counts with confidence
    /// `1 + alpha · w`.
    pub alpha: f32,
    /// Conjugate-gradient iterations per row solve.
    pub cg_steps: usize,
    /// Seed of the random initial factors; the same seed gives the same
    /// model.
    pub seed: u64,
}

impl Default for ImplicitSettings {
    fn default() -> Self {
        Self {
            factors: 64,
            iterations: 15,
            regularization: 0.05,
            alpha: 10.0,
            cg_steps: 3,
            seed: 42,
        }
    }
}

impl ImplicitSettings {
    /// Checks every setting is in range.
    ///
    /// # Errors
    /// [`FactorizerError::InvalidSettings`] naming the first bad setting.
    pub fn validate(&self) -> Result<(), FactorizerError> {
        let bad = |what: &str| Err(FactorizerError::InvalidSettings(what.to_owned()));
        if self.factors == 0 {
            return bad("factors must be at least 1");
        }
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return bad("regularization must be a finite number ≥ 0");
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return bad("alpha must be a finite number ≥ 0");
        }
        if self.cg_steps == 0 {
            return bad("cg_steps must be at least 1");
        }
        Ok(())
    }
}

/// Scale of the uniform initial factors (as in `implicit`: `[0, 0.01)`).
const INIT_SCALE: f32 = 0.01;
/// Residual norm² below which a conjugate-gradient solve stops early.
const CG_TOLERANCE: f32 = 1e-20;

/// Fits implicit-feedback ALS to `matrix` (weights are the observations
/// `w_ui`).
///
/// Guarantees: deterministic for given settings and matrix — independent of
/// the number of rayon threads. A user (item) without interactions gets a
/// zero vector.
///
/// # Errors
/// [`FactorizerError::InvalidSettings`] for out-of-range settings,
/// [`FactorizerError::EmptyMatrix`] if there are no users or no items.
pub fn fit_implicit(
    matrix: &InteractionMatrix,
    settings: &ImplicitSettings,
) -> Result<Model, FactorizerError> {
    fit_implicit_with(matrix, settings, |_, _, _| {})
}

/// [`fit_implicit`], calling `after_iteration(iteration, &users, &items)`
/// after each full sweep (for progress reports and loss curves).
///
/// # Errors
/// As [`fit_implicit`].
pub fn fit_implicit_with(
    matrix: &InteractionMatrix,
    settings: &ImplicitSettings,
    mut after_iteration: impl FnMut(usize, &Factors, &Factors),
) -> Result<Model, FactorizerError> {
    settings.validate()?;
    let (users, items) = (matrix.users().len(), matrix.items().len());
    if users == 0 || items == 0 {
        return Err(FactorizerError::EmptyMatrix);
    }
    let k = settings.factors;
    let mut x = Factors::random(users, k, settings.seed, INIT_SCALE);
    let mut y = Factors::random(items, k, settings.seed.wrapping_add(1), INIT_SCALE);
    for iteration in 0..settings.iterations {
        cg_half_step(matrix.user_items(), &mut x, &y, settings);
        cg_half_step(matrix.item_users(), &mut y, &x, settings);
        after_iteration(iteration, &x, &y);
    }
    Ok(Model::new(ModelKind::Implicit(settings.clone()), x, y))
}

/// Rows per rayon task: large enough that scheduling costs nothing next to
/// the solves, small enough to balance uneven rows.
const ROWS_PER_TASK: usize = 16;

/// One half-step: every row of `x` re-solved against the fixed `y`, where
/// row `r` of `x` interacted with the columns of `rows.row(r)`.
pub(crate) fn cg_half_step(rows: &SparseRows, x: &mut Factors, y: &Factors, s: &ImplicitSettings) {
    let k = x.k();
    let yty = gram(y, s.regularization);
    x.as_mut_slice()
        .par_chunks_mut(k * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(chunk, block)| {
            let mut scratch = vec![0.0f32; 3 * k];
            for (offset, xu) in block.chunks_exact_mut(k).enumerate() {
                let (cols, weights) = rows.row(chunk * ROWS_PER_TASK + offset);
                cg_solve_row(xu, cols, weights, y, &yty, s, &mut scratch);
            }
        });
}

/// Conjugate gradient for one row, in place, exactly as `implicit`'s
/// `least_squares_cg`.
fn cg_solve_row(
    xu: &mut [f32],
    cols: &[usize],
    weights: &[f32],
    y: &Factors,
    yty: &[f32],
    s: &ImplicitSettings,
    scratch: &mut [f32],
) {
    if cols.is_empty() {
        xu.fill(0.0);
        return;
    }
    let k = xu.len();
    let (r, rest) = scratch.split_at_mut(k);
    let (p, ap) = rest.split_at_mut(k);
    // r = Yᵀ C_u p_u − (YᵀY + λI + Yᵀ(C_u − I)Y) x_u
    matvec(yty, xu, r);
    r.iter_mut().for_each(|v| *v = -*v);
    for (&i, &w) in cols.iter().zip(weights) {
        let c = 1.0 + s.alpha * w;
        let yi = y.row(i);
        axpy(c - (c - 1.0) * dot(yi, xu), yi, r);
    }
    p.copy_from_slice(r);
    let mut rs_old = dot(r, r);
    if rs_old < CG_TOLERANCE {
        return;
    }
    for _ in 0..s.cg_steps {
        // Ap = (YᵀY + λI + Yᵀ(C_u − I)Y) p, without forming the matrix.
        matvec(yty, p, ap);
        for (&i, &w) in cols.iter().zip(weights) {
            let yi = y.row(i);
            axpy(s.alpha * w * dot(yi, p), yi, ap);
        }
        let step = rs_old / dot(p, ap);
        axpy(step, p, xu);
        axpy(-step, ap, r);
        let rs_new = dot(r, r);
        if rs_new < CG_TOLERANCE {
            break;
        }
        let beta = rs_new / rs_old;
        for (pv, rv) in p.iter_mut().zip(r.iter()) {
            *pv = rv + beta * *pv;
        }
        rs_old = rs_new;
    }
}

/// The implicit-ALS objective
/// `Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²)` over all user/item
/// pairs (observed or not), computed in O(nnz·k + (users + items)·k²).
pub fn implicit_loss(
    matrix: &InteractionMatrix,
    x: &Factors,
    y: &Factors,
    s: &ImplicitSettings,
) -> f64 {
    let yty = gram(y, 0.0);
    let k = x.k();
    let rows = matrix.user_items();
    (0..x.rows())
        .into_par_iter()
        .map(|u| {
            let xu = x.row(u);
            let mut tmp = vec![0.0f32; k];
            matvec(&yty, xu, &mut tmp);
            // Every pair as if unobserved: Σ_i (x_u·y_i)² = x_uᵀ YᵀY x_u.
            let mut loss = f64::from(dot(xu, &tmp));
            let (cols, weights) = rows.row(u);
            for (&i, &w) in cols.iter().zip(weights) {
                let c = f64::from(1.0 + s.alpha * w);
                let pred = f64::from(dot(xu, y.row(i)));
                loss += c * (1.0 - pred).powi(2) - pred * pred;
            }
            loss + f64::from(s.regularization) * f64::from(dot(xu, xu))
        })
        .sum::<f64>()
        + f64::from(s.regularization) * f64::from(dot(y.as_slice(), y.as_slice()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn random_matrix(
        users: usize,
        items: usize,
        cells: &[(usize, usize, u8)],
    ) -> InteractionMatrix {
        let mut b = InteractionMatrix::builder();
        for u in 0..users {
            b.push(&format!("u{u}"), &format!("i{}", u % items), 1.0);
        }
        for &(u, i, w) in cells {
            b.push(
                &format!("u{}", u % users),
                &format!("i{}", i % items),
                f32::from(w),
            );
        }
        b.build()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn the_loss_never_rises_much_between_sweeps(
            cells in proptest::collection::vec((0usize..40, 0usize..30, 1u8..5), 20..300),
            seed in 0u64..1000,
        ) {
            let m = random_matrix(40, 30, &cells);
            let s = ImplicitSettings {
                factors: 6, iterations: 8, regularization: 0.1, alpha: 2.0, cg_steps: 3, seed,
            };
            let mut losses = Vec::new();
            fit_implicit_with(&m, &s, |_, x, y| losses.push(implicit_loss(&m, x, y, &s)))
                .expect("valid settings");
            for pair in losses.windows(2) {
                prop_assert!(pair[1] <= pair[0] * 1.01 + 1e-6, "loss rose: {losses:?}");
            }
        }
    }

    #[test]
    fn conjugate_gradient_with_many_steps_matches_a_direct_solve() {
        let m = random_matrix(10, 12, &[(1, 3, 2), (1, 5, 1), (1, 7, 4), (1, 11, 1)]);
        let s = ImplicitSettings {
            factors: 5,
            regularization: 0.3,
            alpha: 3.0,
            cg_steps: 50,
            ..ImplicitSettings::default()
        };
        let y = Factors::random(12, 5, 9, 1.0);
        let mut x = Factors::zeros(10, 5);
        cg_half_step(m.user_items(), &mut x, &y, &s);
        // Direct: (YᵀY + λI + Σ_i (c_i − 1) y_i y_iᵀ) x = Σ_i c_i y_i.
        let (cols, weights) = m.user_items().row(1);
        let mut a: Vec<f64> = gram(&y, s.regularization)
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let mut b = vec![0.0f64; 5];
        for (&i, &w) in cols.iter().zip(weights) {
            let c = f64::from(1.0 + s.alpha * w);
            let yi = y.row(i);
            for r in 0..5 {
                b[r] += c * f64::from(yi[r]);
                for q in 0..5 {
                    a[r * 5 + q] += (c - 1.0) * f64::from(yi[r]) * f64::from(yi[q]);
                }
            }
        }
        assert!(crate::factorizer::dense::cholesky_solve(&mut a, &mut b));
        for (got, want) in x.row(1).iter().zip(&b) {
            assert!(
                (f64::from(*got) - want).abs() < 1e-3,
                "{:?} vs {b:?}",
                x.row(1)
            );
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_factors_and_another_seed_does_not() {
        let m = random_matrix(30, 20, &[(3, 4, 1), (5, 9, 2), (7, 1, 3), (8, 8, 1)]);
        let s = ImplicitSettings {
            factors: 8,
            iterations: 4,
            ..ImplicitSettings::default()
        };
        let a = fit_implicit(&m, &s).expect("fit");
        let b = fit_implicit(&m, &s).expect("fit");
        assert_eq!(a.user_factors(), b.user_factors());
        assert_eq!(a.item_factors(), b.item_factors());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let single = pool.install(|| fit_implicit(&m, &s)).expect("fit");
        assert_eq!(a.user_factors(), single.user_factors());
        let other = fit_implicit(&m, &ImplicitSettings { seed: 7, ..s }).expect("fit");
        assert_ne!(a.user_factors(), other.user_factors());
    }

    #[test]
    fn bad_settings_and_empty_matrices_are_refused() {
        let m = random_matrix(2, 2, &[]);
        let zero = ImplicitSettings {
            factors: 0,
            ..ImplicitSettings::default()
        };
        assert!(matches!(
            fit_implicit(&m, &zero),
            Err(FactorizerError::InvalidSettings(_))
        ));
        let empty = InteractionMatrix::builder().build();
        assert_eq!(
            fit_implicit(&empty, &ImplicitSettings::default()).err(),
            Some(FactorizerError::EmptyMatrix)
        );
    }
}
