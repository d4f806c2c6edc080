//! Stateless, splittable randomness, as in TFP's `tfp.random`.
//!
//! A [`Seed`] is a plain value. Every sampler is a pure function of its seed: the same seed
//! gives bit-identical samples whatever the thread count, because each draw runs on one
//! ChaCha8 stream keyed by the seed. Use [`Seed::split`] to derive independent seeds (never
//! reuse one seed for two draws that should be independent).
//!
//! ```
//! use probrs::random::{self, Seed};
//! use probrs::tensor::DType;
//! let seed = Seed::new(42);
//! let [a, b] = seed.split2();
//! let x = random::normal(&[3], DType::F32, a)?;
//! let y = random::normal(&[3], DType::F32, a)?;
//! assert_eq!(x.to_vec()?, y.to_vec()?); // same seed, same draw
//! assert_ne!(x.to_vec()?, random::normal(&[3], DType::F32, b)?.to_vec()?);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;


/// A stateless PRNG seed (two 64-bit words, like TFP's pair of int32s).
///
/// ```
/// use probrs::random::{normal, Seed};
/// use probrs::tensor::DType;
/// let seed = Seed::new(42);
/// // Stateless: the same seed always gives the same draws; split seeds give independent ones.
/// assert_eq!(normal(&[3], DType::F64, seed)?.to_vec()?, normal(&[3], DType::F64, seed)?.to_vec()?);
/// let [a, b] = seed.split2();
/// assert_ne!(normal(&[3], DType::F64, a)?.to_vec()?, normal(&[3], DType::F64, b)?.to_vec()?);
/// assert_eq!(seed.split(4)[2], seed.fold_in(2));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Seed(pub [u64; 2]);

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Seed {
    /// A seed from an integer (as `tfp.random.sanitize_seed(42)`).
    ///
    /// ```
    /// use probrs::random::Seed;
    /// assert_eq!(Seed::new(42), Seed::new(42));
    /// assert_ne!(Seed::new(42), Seed::new(43));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(s: u64) -> Self {
        Seed([splitmix64(s), splitmix64(s ^ 0xD1B5_4A32_D192_ED03)])
    }
    /// `n` independent seeds derived from this one.
    ///
    /// ```
    /// use probrs::random::Seed;
    /// let seeds = Seed::new(0).split(3);
    /// assert_eq!(seeds.len(), 3);
    /// assert!(seeds[0] != seeds[1] && seeds[1] != seeds[2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn split(&self, n: usize) -> Vec<Seed> {
        (0..n as u64).map(|i| self.fold_in(i)).collect()
    }
    /// The `i`-th seed of [`split`](Self::split), without the others.
    ///
    /// ```
    /// use probrs::random::Seed;
    /// let s = Seed::new(7);
    /// assert_eq!(s.fold_in(1), s.split(5)[1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn fold_in(&self, i: u64) -> Seed {
        let a = splitmix64(self.0[0] ^ splitmix64(i.wrapping_mul(2).wrapping_add(1)));
        let b = splitmix64(self.0[1].wrapping_add(splitmix64(i.wrapping_mul(2).wrapping_add(2))) ^ a);
        Seed([a, b])
    }
    /// Two independent seeds.
    ///
    /// ```
    /// use probrs::random::Seed;
    /// let [a, b] = Seed::new(1).split2();
    /// assert_ne!(a, b);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn split2(&self) -> [Seed; 2] {
        let v = self.split(2);
        [v[0], v[1]]
    }
    /// The generator this seed keys.
    ///
    /// ```
    /// use probrs::random::Seed;
    /// use rand::RngCore;
    /// let (mut a, mut b) = (Seed::new(3).rng(), Seed::new(3).rng());
    /// assert_eq!(a.next_u64(), b.next_u64()); // the same stream for the same seed
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn rng(&self) -> ChaCha8Rng {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&self.0[0].to_le_bytes());
        key[8..16].copy_from_slice(&self.0[1].to_le_bytes());
        key[16..24].copy_from_slice(&splitmix64(self.0[0] ^ self.0[1]).to_le_bytes());
        key[24..].copy_from_slice(&splitmix64(self.0[1].rotate_left(17)).to_le_bytes());
        ChaCha8Rng::from_seed(key)
    }
}

impl From<u64> for Seed {
    fn from(s: u64) -> Self {
        Seed::new(s)
    }
}

fn build(values: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    match dtype {
        DType::F64 => Tensor::from_f64s(values, shape),
        DType::F32 => Tensor::from_f32s(values.into_iter().map(|x| x as f32).collect(), shape),
    }
}

fn count(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Uniform draws on `[0, 1)`.
///
/// ```
/// use probrs::random::{uniform, Seed};
/// use probrs::tensor::DType;
/// let u = uniform(&[1000], DType::F32, Seed::new(0))?.to_vec()?;
/// assert!(u.iter().all(|v| (0.0..1.0).contains(v)));
/// // mean ½ with standard error 0.009: within 0.05 for this fixed seed
/// assert!((u.iter().sum::<f64>() / 1000.0 - 0.5).abs() < 0.05);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn uniform(shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
    let mut rng = seed.rng();
    match dtype {
        DType::F64 => build((0..count(shape)).map(|_| rng.random::<f64>()).collect(), shape, dtype),
        DType::F32 => Tensor::from_f32s((0..count(shape)).map(|_| rng.random::<f32>()).collect(), shape),
    }
}

/// Uniform draws on `[low, high)`.
///
/// ```
/// use probrs::random::{uniform_range, Seed};
/// use probrs::tensor::DType;
/// let u = uniform_range(&[2, 50], -3.0, 2.0, DType::F64, Seed::new(1))?;
/// assert_eq!(u.shape(), &[2, 50]);
/// assert!(u.to_vec()?.iter().all(|v| (-3.0..2.0).contains(v)));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn uniform_range(shape: &[usize], low: f64, high: f64, dtype: DType, seed: Seed) -> Result<Tensor> {
    uniform(shape, dtype, seed)?.affine(high - low, low)
}

/// Keras's `GlorotUniform` draw of a tensor of `shape`: `U(−l, l)` with `l = √(6 / (fan_in +
/// fan_out))`, `fan_in = Π shape[..−1]`, `fan_out = Π shape[..−2] · shape[−1]` (a convolution's
/// receptive field counts in both); for a rank-1 shape both fans are its length. Every dense
/// kernel's default initializer (`layers`, the MADE, the RealNVP template).
///
/// ```
/// use probrs::random::{glorot_uniform, Seed};
/// use probrs::tensor::DType;
/// // A dense kernel 3 → 2: |w| ≤ √(6/5); a 5 × 5 convolution 1 → 4: |w| ≤ √(6 / (25 + 100)).
/// assert!(glorot_uniform(&[3, 2], DType::F64, Seed::new(0))?.to_vec()?.iter().all(|w| w.abs() <= (1.2f64).sqrt()));
/// assert!(glorot_uniform(&[5, 5, 1, 4], DType::F64, Seed::new(0))?.to_vec()?.iter().all(|w| w.abs() <= (6.0f64 / 125.0).sqrt()));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn glorot_uniform(shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
    let (fan_in, fan_out) = match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [.., o] => {
            let fan_in: usize = shape[..shape.len() - 1].iter().product();
            (fan_in, shape[..shape.len() - 2].iter().product::<usize>() * o)
        }
    };
    let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
    uniform_range(shape, -limit, limit, dtype, seed)
}

/// Keras's `HeNormal` (`VarianceScaling(2, "fan_in", "truncated_normal")`): normal draws
/// truncated to two standard deviations (redrawn beyond), scaled to standard deviation
/// `√(2 / fan_in) / 0.87962566` (the truncation's correction), `fan_in = Π shape[..−1]`. Glow's
/// default coupling network draws its relu kernels so.
///
/// ```
/// use probrs::random::{he_normal, Seed};
/// use probrs::tensor::DType;
/// // A 3 × 3 convolution 4 → 8: fan_in 36, so |w| ≤ 2 · √(2/36) / 0.8796.
/// let w = he_normal(&[3, 3, 4, 8], DType::F64, Seed::new(0))?.to_vec()?;
/// let sd = (2.0f64 / 36.0).sqrt() / 0.879_625_661_034_239_8;
/// assert!(w.iter().all(|v| v.abs() <= 2.0 * sd));
/// let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
/// assert!((var / (2.0 / 36.0) - 1.0).abs() < 0.2); // the variance is 2 / fan_in
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn he_normal(shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
    let fan_in: usize = match shape {
        [] => 1,
        [n] => *n,
        _ => shape[..shape.len() - 1].iter().product(),
    };
    let sd = (2.0 / fan_in.max(1) as f64).sqrt() / 0.879_625_661_034_239_8;
    let mut rng = seed.rng();
    let draws: Vec<f64> = (0..count(shape))
        .map(|_| loop {
            let z: f64 = rng.sample(rand_distr::StandardNormal);
            if z.abs() <= 2.0 {
                break z * sd;
            }
        })
        .collect();
    build(draws, shape, dtype)
}

/// Standard normal draws.
///
/// ```
/// use probrs::random::{normal, Seed};
/// use probrs::tensor::DType;
/// let z = normal(&[10_000], DType::F64, Seed::new(3))?.to_vec()?;
/// let mean = z.iter().sum::<f64>() / 1e4;
/// let var = z.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 1e4;
/// // standard errors 0.01 and 0.014: within 0.05 for this fixed seed
/// assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.05);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn normal(shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
    let mut rng = seed.rng();
    match dtype {
        DType::F64 => build((0..count(shape)).map(|_| rng.sample(rand_distr::StandardNormal)).collect(), shape, dtype),
        DType::F32 => {
            Tensor::from_f32s((0..count(shape)).map(|_| rng.sample::<f32, _>(rand_distr::StandardNormal)).collect(), shape)
        }
    }
}

/// Rademacher draws: ±1 with equal probability.
///
/// ```
/// use probrs::random::{rademacher, Seed};
/// use probrs::tensor::DType;
/// let r = rademacher(&[100], DType::F32, Seed::new(0))?.to_vec()?;
/// assert!(r.iter().all(|&v| v == 1.0 || v == -1.0));
/// assert!(r.contains(&1.0) && r.contains(&-1.0));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn rademacher(shape: &[usize], dtype: DType, seed: Seed) -> Result<Tensor> {
    let mut rng = seed.rng();
    build((0..count(shape)).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect(), shape, dtype)
}

/// Draws `sample_shape + params.shape` values, each from `make(param_values)`.
fn per_element<D, F>(sample_shape: &[usize], params: &[&Tensor], seed: Seed, name: &str, make: F) -> Result<Tensor>
where
    D: rand_distr::Distribution<f64>,
    F: Fn(&[f64]) -> std::result::Result<D, String>,
{
    let mut bshape: Vec<usize> = vec![];
    for p in params {
        bshape = crate::tensor::broadcast_shapes(&bshape, p.shape())?;
    }
    let vals: Vec<Vec<f64>> = params.iter().map(|p| p.broadcast_to(&bshape)?.to_vec()).collect::<Result<_>>()?;
    let nb = count(&bshape);
    let dists: Vec<D> = (0..nb)
        .map(|i| {
            let args: Vec<f64> = vals.iter().map(|v| v[i]).collect();
            make(&args).map_err(|e| Error::invalid_parameter(name, format!("{e} (values {args:?})")))
        })
        .collect::<Result<_>>()?;
    let mut rng = seed.rng();
    let ns = count(sample_shape);
    let mut out = Vec::with_capacity(ns * nb);
    for _ in 0..ns {
        for d in &dists {
            out.push(d.sample(&mut rng));
        }
    }
    let mut shape = sample_shape.to_vec();
    shape.extend(bshape);
    build(out, &shape, params.first().map(|p| p.dtype()).unwrap_or(DType::F32))
}

/// Gamma(concentration, rate = 1) draws of shape `sample_shape + concentration.shape`.
///
/// ```
/// use probrs::random::{gamma, Seed};
/// use probrs::tensor::{DType, Tensor};
/// // Gamma(3, 1) has mean 3 (standard error of 4000 draws: 0.027).
/// let g = gamma(&[4000], &Tensor::scalar(3.0, DType::F64)?, Seed::new(5))?.to_vec()?;
/// assert!(g.iter().all(|&v| v > 0.0));
/// assert!((g.iter().sum::<f64>() / 4000.0 - 3.0).abs() < 0.15);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn gamma(sample_shape: &[usize], concentration: &Tensor, seed: Seed) -> Result<Tensor> {
    per_element(sample_shape, &[concentration], seed, "concentration", |a| {
        rand_distr::Gamma::new(a[0], 1.0).map_err(|e| e.to_string())
    })
}

/// Beta(a, b) draws of shape `sample_shape + broadcast(a, b)`.
///
/// ```
/// use probrs::random::{beta, Seed};
/// use probrs::tensor::{DType, Tensor};
/// let (a, b) = (Tensor::scalar(2.0, DType::F64)?, Tensor::vector(&[2.0, 6.0], DType::F64)?);
/// let x = beta(&[3000], &a, &b, Seed::new(2))?;
/// assert_eq!(x.shape(), &[3000, 2]);
/// let v = x.to_vec()?;
/// // Beta(2, 6) has mean ¼ (standard error 0.003)
/// let m = v.iter().skip(1).step_by(2).sum::<f64>() / 3000.0;
/// assert!((m - 0.25).abs() < 0.02);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn beta(sample_shape: &[usize], a: &Tensor, b: &Tensor, seed: Seed) -> Result<Tensor> {
    per_element(sample_shape, &[a, b], seed, "concentration", |p| rand_distr::Beta::new(p[0], p[1]).map_err(|e| e.to_string()))
}

/// Standardized von Mises(0, κ) draws in [−π, π] of shape `sample_shape + concentration.shape`
/// (Best–Fisher rejection with a wrapped-Cauchy envelope, Devroye 1986 §9.6; κ = 0 is uniform).
///
/// ```
/// use probrs::random::{von_mises, Seed};
/// use probrs::tensor::{DType, Tensor};
/// let x = von_mises(&[2000], &Tensor::scalar(4.0, DType::F64)?, Seed::new(0))?.to_vec()?;
/// let pi = std::f64::consts::PI;
/// assert!(x.iter().all(|v| (-pi..=pi).contains(v)));
/// // Concentrated around 0: the mean of cos is I₁(4)/I₀(4) ≈ 0.8635 (standard error ≈ 0.004).
/// let c = x.iter().map(|v| v.cos()).sum::<f64>() / 2000.0;
/// assert!((c - 0.8635).abs() < 0.03);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn von_mises(sample_shape: &[usize], concentration: &Tensor, seed: Seed) -> Result<Tensor> {
    per_element(sample_shape, &[concentration], seed, "concentration", |p| {
        let k = p[0];
        if !(k >= 0.0) || k.is_infinite() {
            return Err(format!("must be finite and non-negative, got {k}"));
        }
        // s = (1 + ρ²) / (2ρ) with ρ = (r − √(2r)) / (2κ), r = 1 + √(1 + 4κ²); 1/κ below the
        // point where the exact form loses precision to cancellation.
        let s = if k > 1.2e-4 {
            let r = 1.0 + (1.0 + 4.0 * k * k).sqrt();
            let rho = (r - (2.0 * r).sqrt()) / (2.0 * k);
            (1.0 + rho * rho) / (2.0 * rho)
        } else if k > 0.0 {
            1.0 / k
        } else {
            f64::INFINITY
        };
        Ok(VonMisesStd { k, s })
    })
}

struct VonMisesStd {
    k: f64,
    s: f64,
}

impl rand_distr::Distribution<f64> for VonMisesStd {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let pi = std::f64::consts::PI;
        if self.s.is_infinite() {
            // κ = 0: the uniform distribution on the circle.
            return pi * (2.0 * rng.random::<f64>() - 1.0);
        }
        loop {
            let u: f64 = 2.0 * rng.random::<f64>() - 1.0;
            let z = (pi * u).cos();
            let w = (1.0 + self.s * z) / (self.s + z);
            let y = self.k * (self.s - w);
            let v: f64 = rng.random::<f64>();
            if y * (2.0 - y) >= v || (y / v).ln() + 1.0 >= y {
                return w.clamp(-1.0, 1.0).acos().copysign(u);
            }
        }
    }
}

/// Poisson(rate) draws of shape `sample_shape + rate.shape`.
///
/// ```
/// use probrs::random::{poisson, Seed};
/// use probrs::tensor::{DType, Tensor};
/// let k = poisson(&[2000], &Tensor::scalar(4.0, DType::F64)?, Seed::new(9))?.to_vec()?;
/// assert!(k.iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
/// assert!((k.iter().sum::<f64>() / 2000.0 - 4.0).abs() < 0.2); // standard error 0.045
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn poisson(sample_shape: &[usize], rate: &Tensor, seed: Seed) -> Result<Tensor> {
    per_element(sample_shape, &[rate], seed, "rate", |p| {
        if p[0] == 0.0 {
            // rand_distr rejects rate 0; the draw is exactly 0.
            return Ok(PoissonOrZero(None));
        }
        rand_distr::Poisson::new(p[0]).map(|d| PoissonOrZero(Some(d))).map_err(|e| e.to_string())
    })
}

struct PoissonOrZero(Option<rand_distr::Poisson<f64>>);
impl rand_distr::Distribution<f64> for PoissonOrZero {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.0.as_ref().map(|d| d.sample(rng)).unwrap_or(0.0)
    }
}

/// Binomial(total_count, probs) draws of shape `sample_shape + broadcast(n, p)`.
///
/// ```
/// use probrs::random::{binomial, Seed};
/// use probrs::tensor::{DType, Tensor};
/// let n = Tensor::scalar(10.0, DType::F64)?;
/// let k = binomial(&[2000], &n, &Tensor::scalar(0.3, DType::F64)?, Seed::new(1))?.to_vec()?;
/// assert!(k.iter().all(|v| (0.0..=10.0).contains(v) && v.fract() == 0.0));
/// assert!((k.iter().sum::<f64>() / 2000.0 - 3.0).abs() < 0.15); // standard error 0.032
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn binomial(sample_shape: &[usize], total_count: &Tensor, probs: &Tensor, seed: Seed) -> Result<Tensor> {
    if let Some(bad) = probs.to_vec()?.into_iter().find(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::invalid_parameter("probs", format!("must be in [0, 1], got {bad}")));
    }
    per_element(sample_shape, &[total_count, probs], seed, "total_count", |p| {
        if p[0] < 0.0 || p[0].fract() != 0.0 {
            return Err(format!("total_count must be a non-negative integer, got {}", p[0]));
        }
        rand_distr::Binomial::new(p[0] as u64, p[1]).map(BinomialF64).map_err(|e| e.to_string())
    })
}

struct BinomialF64(rand_distr::Binomial);
impl rand_distr::Distribution<f64> for BinomialF64 {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.0.sample(rng) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn split_gives_distinct_reproducible_seeds() {
        let s = Seed::new(7);
        let a = s.split(4);
        assert_eq!(a, s.split(4));
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(a[i], a[j]);
            }
            assert_ne!(a[i], s);
        }
    }
    #[test]
    fn gamma_rejects_bad_concentration() {
        let c = Tensor::vector(&[1.0, -1.0], DType::F64).unwrap();
        assert!(matches!(gamma(&[2], &c, Seed::new(1)), Err(Error::InvalidParameter { .. })));
    }
}
