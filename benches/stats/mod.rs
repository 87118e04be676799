//! Small statistics for timing benchmarks: quantiles, a Welch interval for the difference of
//! two means, a bootstrap interval for the difference of two medians.

/// xorshift64*: reproducible shuffles and resamples without another dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

pub fn sorted(samples: &[f64]) -> Vec<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
}

pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

pub fn mean(samples: &[f64]) -> f64 {
    samples.iter().sum::<f64>() / samples.len() as f64
}

fn variance(samples: &[f64]) -> f64 {
    let m = mean(samples);
    samples.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (samples.len() as f64 - 1.0)
}

/// mean(a) − mean(b) and its 95 % Welch interval.
pub fn welch(a: &[f64], b: &[f64]) -> (f64, (f64, f64)) {
    let (va, vb) = (variance(a) / a.len() as f64, variance(b) / b.len() as f64);
    let se = (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va.powi(2) / (a.len() as f64 - 1.0) + vb.powi(2) / (b.len() as f64 - 1.0));
    // Student's t quantile from the normal one (Cornish–Fisher); exact enough for df > 30.
    let z: f64 = 1.959_964;
    let t = z + (z.powi(3) + z) / (4.0 * df);
    let difference = mean(a) - mean(b);
    (difference, (difference - t * se, difference + t * se))
}

fn median_of(samples: &mut [f64]) -> f64 {
    let middle = samples.len() / 2;
    *samples.select_nth_unstable_by(middle, f64::total_cmp).1
}

/// median(a) − median(b) and its 95 % percentile-bootstrap interval over `resamples`.
pub fn bootstrap_median_difference(a: &[f64], b: &[f64], resamples: usize, rng: &mut Rng) -> (f64, (f64, f64)) {
    let difference = median_of(&mut a.to_vec()) - median_of(&mut b.to_vec());
    let (mut ra, mut rb) = (vec![0.0; a.len()], vec![0.0; b.len()]);
    let mut differences = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        ra.iter_mut().for_each(|x| *x = a[rng.below(a.len())]);
        rb.iter_mut().for_each(|x| *x = b[rng.below(b.len())]);
        differences.push(median_of(&mut ra) - median_of(&mut rb));
    }
    let differences = sorted(&differences);
    (difference, (quantile(&differences, 0.025), quantile(&differences, 0.975)))
}
