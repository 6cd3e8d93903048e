//! Dense building blocks: a row-major factor matrix, vector kernels written
//! so the compiler vectorises them, the Gram matrix through a GEMM kernel,
//! and a Cholesky solve.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// A row-major matrix of latent factors: one row of `k` values per user (or
/// item).
#[derive(Clone, Debug, PartialEq)]
pub struct Factors {
    rows: usize,
    k: usize,
    data: Vec<f32>,
}

impl Factors {
    /// A `rows × k` matrix of zeros.
    pub fn zeros(rows: usize, k: usize) -> Self {
        Self {
            rows,
            k,
            data: vec![0.0; rows * k],
        }
    }

    /// A `rows × k` matrix with values drawn uniformly from `[0, scale)` by a
    /// generator seeded with `seed`: the same arguments give the same matrix.
    pub fn random(rows: usize, k: usize, seed: u64, scale: f32) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let data = (0..rows * k).map(|_| rng.random::<f32>() * scale).collect();
        Self { rows, k, data }
    }

    /// Wraps row-major `data`; `None` unless `data.len() == rows * k`.
    pub fn from_vec(rows: usize, k: usize, data: Vec<f32>) -> Option<Self> {
        (data.len() == rows * k).then_some(Self { rows, k, data })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of factors per row.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Row `row` (panics if out of range, like slice indexing).
    pub fn row(&self, row: usize) -> &[f32] {
        &self.data[row * self.k..(row + 1) * self.k]
    }

    /// All values, row after row.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, row after row, mutable.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }
}

/// Number of independent accumulators in [`dot`]: enough for the compiler
/// to keep a full SIMD register busy.
const LANES: usize = 8;

/// `a · b` over the shorter length.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in ca.by_ref().zip(cb.by_ref()) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// `y += alpha · x`.
#[inline]
pub(crate) fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `out = a · x` for a square row-major `n × n` matrix `a`.
#[inline]
pub(crate) fn matvec(a: &[f32], x: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (o, row) in out.iter_mut().zip(a.chunks_exact(n)) {
        *o = dot(row, x);
    }
}

/// `YᵀY + reg·I` (a `k × k` row-major matrix), computed with a GEMM kernel.
pub(crate) fn gram(y: &Factors, reg: f32) -> Vec<f32> {
    let k = y.k;
    let mut out = vec![0.0f32; k * k];
    if let Ok(view) = ArrayView2::from_shape((y.rows, k), y.as_slice()) {
        gemm_into(&view.t(), &view, &mut out);
    }
    for d in 0..k {
        out[d * k + d] += reg;
    }
    out
}

/// `c = a · b` into the row-major `c` (sized `a.rows × b.cols`), through
/// ndarray's `general_mat_mul`, which runs the `matrixmultiply` GEMM kernel
/// (packed, cache-blocked, SIMD). `c` of the wrong size is left untouched.
pub(crate) fn gemm_into(a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>, c: &mut [f32]) {
    let shape = (a.nrows(), b.ncols());
    if let Ok(mut out) = ArrayViewMut2::from_shape(shape, c) {
        general_mat_mul(1.0, a, b, 0.0, &mut out);
    }
}

/// Solves `a · x = b` for a symmetric positive definite `n × n` row-major
/// `a` by Cholesky, in `f64`. `a` is overwritten by its factor and `b` by
/// the solution. Returns `false` (leaving `b` unspecified) if `a` is not
/// positive definite.
pub(crate) fn cholesky_solve(a: &mut [f64], b: &mut [f64]) -> bool {
    let n = b.len();
    for j in 0..n {
        let mut d = a[j * n + j];
        for p in 0..j {
            d -= a[j * n + p] * a[j * n + p];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for p in 0..j {
                s -= a[i * n + p] * a[j * n + p];
            }
            a[i * n + j] = s / d;
        }
    }
    // L y = b
    for i in 0..n {
        let mut s = b[i];
        for p in 0..i {
            s -= a[i * n + p] * b[p];
        }
        b[i] = s / a[i * n + i];
    }
    // Lᵀ x = y
    for i in (0..n).rev() {
        let mut s = b[i];
        for p in i + 1..n {
            s -= a[p * n + i] * b[p];
        }
        b[i] = s / a[i * n + i];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_matches_naive_products() {
        let y = Factors::random(7, 5, 3, 1.0);
        let g = gram(&y, 0.5);
        for a in 0..5 {
            for b in 0..5 {
                let naive: f32 = (0..7).map(|r| y.row(r)[a] * y.row(r)[b]).sum();
                let expected = naive + if a == b { 0.5 } else { 0.0 };
                assert!((g[a * 5 + b] - expected).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn cholesky_solves_a_small_system() {
        let mut a = vec![4.0, 2.0, 2.0, 3.0];
        let mut b = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut a, &mut b));
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky_solve(&mut singular, &mut [1.0, 1.0]));
    }

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..19).map(|x| x as f32).collect();
        let expected: f32 = a.iter().map(|x| x * x).sum();
        assert_eq!(dot(&a, &a), expected);
    }
}
