//! The Euclidean metric of Hamiltonian Monte Carlo: Stan's `unit_e`, `diag_e` and `dense_e`.
//!
//! With the inverse metric `M⁻¹` (Stan's `inv_metric`, an estimate of the posterior
//! covariance), momenta are drawn as `p ~ N(0, M)`, the kinetic energy is `½ pᵀ M⁻¹ p` and
//! positions move along the velocity `v = M⁻¹ p` (Stan's `dtau_dp`, the "sharp" momentum of the
//! U-turn criterion). For the dense metric with `M⁻¹ = L Lᵀ` (Cholesky), `p = L⁻ᵀ z` with
//! `z ~ N(0, I)`, whose covariance is `(L Lᵀ)⁻¹ = M`.

use crate::error::{Error, Result};
use rand::Rng;
use rand_distr::StandardNormal;

/// The inverse metric `M⁻¹` of [`NoUTurnSampler`](super::NoUTurnSampler) and
/// [`sample_nuts`](super::sample_nuts): unit, diagonal or dense.
///
/// ```
/// use probrs::mcmc::Metric;
/// let m = Metric::diagonal(vec![4.0, 0.25])?;
/// // Kinetic energy ½ pᵀ M⁻¹ p and velocity M⁻¹ p.
/// assert_eq!(m.kinetic_energy(&[1.0, 2.0]), 0.5 * (4.0 + 1.0));
/// assert_eq!(m.velocity(&[1.0, 2.0]), vec![4.0, 0.5]);
/// assert!(Metric::diagonal(vec![1.0, -1.0]).is_err()); // variances are positive
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Metric {
    /// `M = I` (Stan's `unit_e`).
    Unit,
    /// `M⁻¹ = diag(inv_metric)` (Stan's `diag_e`).
    Diagonal(Vec<f64>),
    /// `M⁻¹` dense, row-major `d × d`, with its lower Cholesky factor (Stan's `dense_e`).
    Dense {
        /// `M⁻¹`, row-major.
        inv_metric: Vec<f64>,
        /// `L` with `L Lᵀ = M⁻¹`, row-major lower triangle.
        cholesky: Vec<f64>,
    },
}

impl Metric {
    /// A diagonal inverse metric (the marginal posterior variances), checked positive and
    /// finite.
    ///
    /// ```
    /// use probrs::mcmc::Metric;
    /// assert!(matches!(Metric::diagonal(vec![1.0, 2.0])?, Metric::Diagonal(_)));
    /// assert!(Metric::diagonal(vec![f64::NAN]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn diagonal(inv_metric: Vec<f64>) -> Result<Self> {
        if let Some((i, v)) = inv_metric.iter().enumerate().find(|(_, v)| !(**v > 0.0 && v.is_finite())) {
            return Err(Error::invalid_parameter("inv_metric", format!("entry {i} is {v}; the diagonal inverse metric must be positive and finite")));
        }
        Ok(Metric::Diagonal(inv_metric))
    }

    /// A dense inverse metric (a posterior covariance, row-major `dim × dim`), checked
    /// symmetric positive definite by its Cholesky factorization (faer).
    ///
    /// ```
    /// use probrs::mcmc::Metric;
    /// let m = Metric::dense(vec![2.0, 1.0, 1.0, 2.0], 2)?;
    /// assert_eq!(m.velocity(&[1.0, 0.0]), vec![2.0, 1.0]);
    /// assert!(Metric::dense(vec![1.0, 2.0, 2.0, 1.0], 2).is_err()); // not positive definite
    /// assert!(Metric::dense(vec![1.0; 3], 2).is_err()); // not 2 × 2
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dense(inv_metric: Vec<f64>, dim: usize) -> Result<Self> {
        if inv_metric.len() != dim * dim {
            return Err(Error::ShapeMismatch { context: "dense inv_metric (row-major dim × dim)".into(), lhs: vec![inv_metric.len()], rhs: vec![dim, dim] });
        }
        if let Some((k, v)) = inv_metric.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::invalid_parameter("inv_metric", format!("entry ({}, {}) is {v}", k / dim, k % dim)));
        }
        for i in 0..dim {
            for j in 0..i {
                let (a, b) = (inv_metric[i * dim + j], inv_metric[j * dim + i]);
                if (a - b).abs() > 1e-10 * (1.0 + a.abs().max(b.abs())) {
                    return Err(Error::invalid_parameter("inv_metric", format!("not symmetric: ({i}, {j}) = {a} but ({j}, {i}) = {b}")));
                }
            }
        }
        let m = faer::Mat::from_fn(dim, dim, |i, j| inv_metric[i * dim + j]);
        let llt = m.llt(faer::Side::Lower).map_err(|_| Error::invalid_parameter("inv_metric", "the dense inverse metric is not positive definite"))?;
        let l = llt.L();
        let mut cholesky = vec![0.0; dim * dim];
        for i in 0..dim {
            for j in 0..=i {
                cholesky[i * dim + j] = l[(i, j)];
            }
        }
        Ok(Metric::Dense { inv_metric, cholesky })
    }

    /// The dimension this metric fixes (`None` for the unit metric, which fits any).
    ///
    /// ```
    /// use probrs::mcmc::Metric;
    /// assert_eq!(Metric::diagonal(vec![1.0; 3])?.dim(), Some(3));
    /// assert_eq!(Metric::Unit.dim(), None);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dim(&self) -> Option<usize> {
        match self {
            Metric::Unit => None,
            Metric::Diagonal(v) => Some(v.len()),
            Metric::Dense { cholesky, .. } => Some((cholesky.len() as f64).sqrt().round() as usize),
        }
    }

    /// Checks that this metric fits a state of `dim` coordinates.
    pub(crate) fn check_dim(&self, dim: usize) -> Result<()> {
        match self.dim() {
            Some(d) if d != dim => Err(Error::ShapeMismatch { context: "inv_metric vs the state's number of coordinates".into(), lhs: vec![d], rhs: vec![dim] }),
            _ => Ok(()),
        }
    }

    /// Draws a momentum `p ~ N(0, M)` into `p`.
    ///
    /// ```
    /// use probrs::mcmc::Metric;
    /// use probrs::random::Seed;
    /// // With M⁻¹ = diag(100), p = z / 10 has sd 0.1.
    /// let m = Metric::diagonal(vec![100.0])?;
    /// let mut rng = Seed::new(1).rng();
    /// let mut p = [0.0];
    /// let mut ss = 0.0;
    /// for _ in 0..4000 {
    ///     m.sample_momentum(&mut rng, &mut p);
    ///     ss += p[0] * p[0];
    /// }
    /// assert!(((ss / 4000.0).sqrt() - 0.1).abs() < 0.005);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample_momentum<R: Rng + ?Sized>(&self, rng: &mut R, p: &mut [f64]) {
        for x in p.iter_mut() {
            *x = rng.sample(StandardNormal);
        }
        match self {
            Metric::Unit => {}
            Metric::Diagonal(inv) => p.iter_mut().zip(inv).for_each(|(x, m)| *x /= m.sqrt()),
            Metric::Dense { cholesky, .. } => {
                // Solve Lᵀ p = z (upper triangular), in place, from the last row up.
                let d = p.len();
                for i in (0..d).rev() {
                    let mut s = p[i];
                    for k in i + 1..d {
                        s -= cholesky[k * d + i] * p[k];
                    }
                    p[i] = s / cholesky[i * d + i];
                }
            }
        }
    }

    /// `v = M⁻¹ p` into `v`.
    pub(crate) fn velocity_into(&self, p: &[f64], v: &mut [f64]) {
        match self {
            Metric::Unit => v.copy_from_slice(p),
            Metric::Diagonal(inv) => v.iter_mut().zip(p).zip(inv).for_each(|((v, p), m)| *v = p * m),
            Metric::Dense { inv_metric, .. } => {
                let d = p.len();
                for (i, vi) in v.iter_mut().enumerate() {
                    *vi = inv_metric[i * d..(i + 1) * d].iter().zip(p).map(|(a, b)| a * b).sum();
                }
            }
        }
    }

    /// The velocity `M⁻¹ p`.
    ///
    /// ```
    /// use probrs::mcmc::Metric;
    /// assert_eq!(Metric::Unit.velocity(&[1.0, -2.0]), vec![1.0, -2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn velocity(&self, p: &[f64]) -> Vec<f64> {
        let mut v = vec![0.0; p.len()];
        self.velocity_into(p, &mut v);
        v
    }

    /// The kinetic energy `½ pᵀ M⁻¹ p`.
    ///
    /// ```
    /// use probrs::mcmc::Metric;
    /// assert_eq!(Metric::Unit.kinetic_energy(&[3.0, 4.0]), 12.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn kinetic_energy(&self, p: &[f64]) -> f64 {
        0.5 * p.iter().zip(self.velocity(p)).map(|(a, b)| a * b).sum::<f64>()
    }
}
