//! Deterministic synthetic tenders for benchmarks: `R` requirements each
//! with bids from `B` distinct vendors out of `V`, capacities uniform in a
//! range, scores mixing a per-vendor quality with a per-bid fit (so some
//! vendors are wanted by many requirements and capacity binds, as in a real
//! market). The generator is SplitMix64, written out here so a seed gives
//! the same instance on every machine and every version of `rand`.

use super::assignment::{IndexError, IndexedBid, Instance, SCALE};

/// The shape of a synthetic tender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenderShape {
    /// Requirements.
    pub requirements: usize,
    /// Vendors.
    pub vendors: usize,
    /// Bids per requirement (distinct vendors; at most `vendors`).
    pub bids_per_requirement: usize,
    /// Smallest remaining capacity of a vendor.
    pub min_capacity: u32,
    /// Largest remaining capacity of a vendor.
    pub max_capacity: u32,
    /// The seed.
    pub seed: u64,
}

impl TenderShape {
    /// The benchmark's tender: 2,000 requirements × 500 vendors × 20 bids
    /// each, capacities 1–5, seed 42.
    pub fn benchmark() -> Self {
        TenderShape {
            requirements: 2_000,
            vendors: 500,
            bids_per_requirement: 20,
            min_capacity: 1,
            max_capacity: 5,
            seed: 42,
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny seeded generator for
/// synthetic data. The same seed gives the same sequence on every machine.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by rejection so it is unbiased.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The tender of `shape`, always the same for the same shape. Fails only
/// when the shape has more than 2^32 − 1 requirements or vendors.
pub fn tender(shape: TenderShape) -> Result<Instance, IndexError> {
    let mut rng = SplitMix64(shape.seed);
    let (lo, hi) = (
        shape.min_capacity.min(shape.max_capacity),
        shape.max_capacity.max(shape.min_capacity),
    );
    let capacities: Vec<u32> = (0..shape.vendors)
        .map(|_| lo + rng.below(u64::from(hi - lo) + 1) as u32)
        .collect();
    let quality: Vec<f64> = (0..shape.vendors).map(|_| rng.unit()).collect();
    let per = shape.bids_per_requirement.min(shape.vendors);
    let mut bids = Vec::with_capacity(shape.requirements * per);
    let mut chosen: Vec<u32> = Vec::with_capacity(per);
    for r in 0..shape.requirements {
        chosen.clear();
        while chosen.len() < per {
            let v = rng.below(shape.vendors as u64) as u32;
            if !chosen.contains(&v) {
                chosen.push(v);
            }
        }
        for &v in &chosen {
            let score = 0.5 * quality[v as usize] + 0.5 * rng.unit();
            bids.push(IndexedBid {
                requirement: r as u32,
                vendor: v,
                weight: ((score * SCALE as f64).round() as i64).clamp(0, SCALE),
            });
        }
    }
    Instance::new(shape.requirements, capacities, bids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_tender_and_the_shape_asked_for() {
        let shape = TenderShape {
            requirements: 50,
            vendors: 30,
            bids_per_requirement: 7,
            min_capacity: 1,
            max_capacity: 5,
            seed: 7,
        };
        let (a, b) = (
            tender(shape).expect("builds"),
            tender(shape).expect("builds"),
        );
        assert_eq!(a.bid_count(), 50 * 7);
        assert_eq!(a.capacities(), b.capacities());
        for r in 0..50 {
            assert_eq!(a.bids_of(r), b.bids_of(r));
        }
        assert!(a.capacities().iter().all(|c| (1..=5).contains(c)));
        let other = tender(TenderShape { seed: 8, ..shape }).expect("builds");
        assert_ne!(a.bids_of(0), other.bids_of(0));
    }
}
