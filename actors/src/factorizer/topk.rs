//! Top-k by partial selection: `select_nth_unstable_by` splits the
//! candidates around the k-th best in linear time, and only those k are
//! sorted — never all scores.

use std::cmp::Ordering;

/// Best first: higher score, then lower index (so ties break the same way
/// every time). NaN scores rank last.
fn better(a: &(usize, f32), b: &(usize, f32)) -> Ordering {
    match (a.1.is_nan(), b.1.is_nan()) {
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)),
    }
}

/// The `k` best `(index, score)` pairs of `scores`, best first, leaving out
/// every index for which `skip` is true.
///
/// Guarantees: the same result as sorting all kept pairs by descending
/// score (ties by ascending index) and taking the first `k`, in
/// O(n + k log k) time.
pub fn top_k(scores: &[f32], k: usize, skip: impl Fn(usize) -> bool) -> Vec<(usize, f32)> {
    if k == 0 {
        return Vec::new();
    }
    let mut candidates: Vec<(usize, f32)> = scores
        .iter()
        .copied()
        .enumerate()
        .filter(|&(i, _)| !skip(i))
        .collect();
    if candidates.len() > k {
        candidates.select_nth_unstable_by(k - 1, better);
        candidates.truncate(k);
    }
    candidates.sort_unstable_by(better);
    candidates
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn top_k_equals_the_head_of_a_full_sort(
            scores in proptest::collection::vec(-5i8..5, 0..200),
            k in 0usize..30,
            skip_mod in 1usize..7,
        ) {
            // Small integer scores force many ties.
            let scores: Vec<f32> = scores.into_iter().map(f32::from).collect();
            let skip = |i: usize| skip_mod > 1 && i.is_multiple_of(skip_mod);
            let mut all: Vec<(usize, f32)> =
                scores.iter().copied().enumerate().filter(|&(i, _)| !skip(i)).collect();
            all.sort_by(better);
            all.truncate(k);
            prop_assert_eq!(top_k(&scores, k, skip), all);
        }
    }
}
