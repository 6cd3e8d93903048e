//! Explicit-rating ALS with user and item biases and weighted-λ
//! regularisation (Zhou et al. 2008).
//!
//! The model predicts `r̂_ui = μ + b_u + b_i + x_u·y_i`. With the items
//! fixed, each user's `(x_u, b_u)` minimises
//! `Σ_i (r_ui − μ − b_i − x_u·y_i − b_u)² + λ n_u (‖x_u‖² + b_u²)` where
//! `n_u` is the user's number of ratings — a `(k+1) × (k+1)` least-squares
//! system solved by Cholesky; then the same for items.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::FactorizerError;
use super::dense::{Factors, cholesky_solve};
use super::matrix::{InteractionMatrix, SparseRows};
use super::model::{Model, ModelKind};

/// Settings of an explicit-rating ALS fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExplicitSettings {
    /// Latent factors per user and item (the rank of the model).
    pub factors: usize,
    /// Sweeps over users then items.
    pub iterations: usize,
    /// λ of the weighted-λ regularisation (scaled by each row's count).
    pub regularization: f32,
    /// Seed of the random initial factors; the same seed gives the same
    /// model.
    pub seed: u64,
}

impl Default for ExplicitSettings {
    fn default() -> Self {
        Self {
            factors: 64,
            iterations: 15,
            regularization: 0.05,
            seed: 42,
        }
    }
}

impl ExplicitSettings {
    /// Checks every setting is in range.
    ///
    /// # Errors
    /// [`FactorizerError::InvalidSettings`] naming the first bad setting.
    pub fn validate(&self) -> Result<(), FactorizerError> {
        if self.factors == 0 {
            return Err(FactorizerError::InvalidSettings(
                "factors must be at least 1".to_owned(),
            ));
        }
        if !(self.regularization.is_finite() && self.regularization > 0.0) {
            return Err(FactorizerError::InvalidSettings(
                "regularization must be a finite number > 0".to_owned(),
            ));
        }
        Ok(())
    }
}

/// Scale of the uniform initial factors.
const INIT_SCALE: f32 = 0.1;

/// Fits explicit-rating ALS to `matrix` (weights are the ratings).
///
/// Guarantees: deterministic for given settings and matrix, independent of
/// the number of rayon threads. A user (item) without ratings gets a zero
/// vector and bias.
///
/// # Errors
/// [`FactorizerError::InvalidSettings`] for out-of-range settings,
/// [`FactorizerError::EmptyMatrix`] if there are no ratings.
pub fn fit_explicit(
    matrix: &InteractionMatrix,
    settings: &ExplicitSettings,
) -> Result<Model, FactorizerError> {
    settings.validate()?;
    let ratings = matrix.user_items();
    if ratings.nnz() == 0 {
        return Err(FactorizerError::EmptyMatrix);
    }
    let mean = ratings
        .csr()
        .data()
        .iter()
        .map(|&r| f64::from(r))
        .sum::<f64>()
        / ratings.nnz() as f64;
    let mean = mean as f32;
    let k = settings.factors;
    let mut x = Factors::random(ratings.rows(), k, settings.seed, INIT_SCALE);
    let mut y = Factors::random(ratings.cols(), k, settings.seed.wrapping_add(1), INIT_SCALE);
    let mut bu = vec![0.0f32; ratings.rows()];
    let mut bi = vec![0.0f32; ratings.cols()];
    for _ in 0..settings.iterations {
        half_step(
            ratings,
            &mut x,
            &mut bu,
            &y,
            &bi,
            mean,
            settings.regularization,
        );
        half_step(
            matrix.item_users(),
            &mut y,
            &mut bi,
            &x,
            &bu,
            mean,
            settings.regularization,
        );
    }
    let mut model = Model::new(ModelKind::Explicit(settings.clone()), x, y);
    model.set_biases(mean, bu, bi);
    Ok(model)
}

/// Re-solves every row of `(x, bias)` against the fixed `(y, other_bias)`.
fn half_step(
    rows: &SparseRows,
    x: &mut Factors,
    bias: &mut [f32],
    y: &Factors,
    other_bias: &[f32],
    mean: f32,
    lambda: f32,
) {
    let k = x.k();
    x.as_mut_slice()
        .par_chunks_mut(k)
        .zip(bias.par_iter_mut())
        .enumerate()
        .for_each(|(r, (xu, bu))| {
            let (cols, ratings) = rows.row(r);
            let targets = cols
                .iter()
                .zip(ratings)
                .map(|(&i, &rating)| (i, rating - mean - other_bias[i]));
            match solve_row(targets, y, lambda) {
                Some(z) => {
                    for (v, zv) in xu.iter_mut().zip(&z) {
                        *v = *zv as f32;
                    }
                    *bu = z[k] as f32;
                }
                None => {
                    xu.fill(0.0);
                    *bu = 0.0;
                }
            }
        });
}

/// The normal equations `A z = b` of one row: `A = Σ y'y'ᵀ + λ n I` and
/// `b = Σ t y'` over `(column, target)` pairs, with `y' = (y_i, 1)`.
/// `None` for a row without ratings.
pub(crate) fn row_system(
    targets: impl Iterator<Item = (usize, f32)>,
    y: &Factors,
    lambda: f32,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = y.k() + 1;
    let mut a = vec![0.0f64; n * n];
    let mut b = vec![0.0f64; n];
    let mut count = 0usize;
    let mut yp = vec![1.0f64; n];
    for (i, t) in targets {
        count += 1;
        for (d, v) in y.row(i).iter().enumerate() {
            yp[d] = f64::from(*v);
        }
        for r in 0..n {
            b[r] += f64::from(t) * yp[r];
            for q in r..n {
                a[r * n + q] += yp[r] * yp[q];
            }
        }
    }
    if count == 0 {
        return None;
    }
    let reg = f64::from(lambda) * count as f64;
    for r in 0..n {
        a[r * n + r] += reg;
        for q in 0..r {
            a[r * n + q] = a[q * n + r];
        }
    }
    Some((a, b))
}

/// Solves one row's `(x, bias)`: the first `k` values are the factors, the
/// last the bias. `None` for a row without ratings.
pub(crate) fn solve_row(
    targets: impl Iterator<Item = (usize, f32)>,
    y: &Factors,
    lambda: f32,
) -> Option<Vec<f64>> {
    let (mut a, mut b) = row_system(targets, y, lambda)?;
    cholesky_solve(&mut a, &mut b).then_some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_als_fits_a_low_rank_rating_matrix() {
        // Ratings of a rank-1 matrix plus biases: the fit reproduces them.
        let mut b = InteractionMatrix::builder();
        let uf = [1.0f32, 0.5, -0.5, 1.5, 0.0, 1.0];
        let itf = [1.0f32, -1.0, 0.5, 0.8, -0.3];
        let mut cells = Vec::new();
        for (u, a) in uf.iter().enumerate() {
            for (i, c) in itf.iter().enumerate() {
                if (u + i) % 4 != 0 {
                    let r = 3.0 + a * c + 0.1 * i as f32;
                    b.push(&format!("u{u}"), &format!("i{i}"), r);
                    cells.push((u, i, r));
                }
            }
        }
        let m = b.build();
        let s = ExplicitSettings {
            factors: 3,
            iterations: 30,
            regularization: 0.001,
            seed: 1,
        };
        let model = fit_explicit(&m, &s).expect("fit");
        let rmse = (cells
            .iter()
            .map(|&(u, i, r)| {
                let u = m.users().index(&format!("u{u}")).expect("user");
                let i = m.items().index(&format!("i{i}")).expect("item");
                (model.predict(u, i) - r).powi(2)
            })
            .sum::<f32>()
            / cells.len() as f32)
            .sqrt();
        assert!(rmse < 0.1, "rmse {rmse}");
    }
}
