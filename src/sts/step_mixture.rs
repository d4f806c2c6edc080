//! What the structural queries return: per step, an equally weighted mixture of normals, one
//! per parameter draw (TFP returns `MixtureSameFamily` distributions of this shape from
//! `forecast`, `one_step_predictive`, `impute_missing_values` and the decompositions).
//! Moments are the mixture's; quantiles invert its CDF `(1/S) Σ Φ((x − μ_s)/σ_s)` by bisection.

use crate::error::{Error, Result};
use crate::tensor::special::ndtr_scalar;

/// Per step `t` of `T`: `(1/S) Σ_s N(means[s, t], stddevs[s, t]²)`.
///
/// ```
/// use probrs::sts::StepMixture;
/// // Two draws, one step: N(0, 1) and N(2, 1).
/// let m = StepMixture::new(vec![0.0, 2.0], vec![1.0, 1.0], 1)?;
/// assert_eq!(m.mean(), vec![1.0]);
/// assert!((m.stddev()[0] - 2f64.sqrt()).abs() < 1e-15);
/// assert!((m.quantile(0.5)?[0] - 1.0).abs() < 1e-9);
/// assert!(StepMixture::new(vec![0.0], vec![-1.0], 1).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct StepMixture {
    means: Vec<f64>,
    stddevs: Vec<f64>,
    num_steps: usize,
}

impl StepMixture {
    /// The mixture from per-draw, per-step means and standard deviations (`[S, T]` row-major,
    /// `T = num_steps`); standard deviations must be finite and non-negative.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![1.0, 2.0, 3.0], vec![0.1, 0.2, 0.3], 3)?;
    /// assert_eq!(m.num_draws(), 1);
    /// assert!(probrs::sts::StepMixture::new(vec![1.0, 2.0], vec![0.1], 2).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(means: Vec<f64>, stddevs: Vec<f64>, num_steps: usize) -> Result<Self> {
        if num_steps == 0 || means.is_empty() || means.len() != stddevs.len() || !means.len().is_multiple_of(num_steps) {
            return Err(Error::invalid_parameter("means", format!("expected [S, {num_steps}] means and standard deviations, got {} and {}", means.len(), stddevs.len())));
        }
        if let Some(i) = stddevs.iter().position(|s| !(s.is_finite() && *s >= 0.0)) {
            return Err(Error::invalid_parameter("stddevs", format!("entry {i} is {}", stddevs[i])));
        }
        if let Some(i) = means.iter().position(|m| !m.is_finite()) {
            return Err(Error::invalid_parameter("means", format!("entry {i} is {}", means[i])));
        }
        Ok(StepMixture { means, stddevs, num_steps })
    }

    /// The number of steps `T`.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![0.0; 6], vec![1.0; 6], 3)?;
    /// assert_eq!((m.num_steps(), m.num_draws()), (3, 2));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_steps(&self) -> usize {
        self.num_steps
    }

    /// The number of draws `S`.
    ///
    /// ```
    /// assert_eq!(probrs::sts::StepMixture::new(vec![0.0; 4], vec![1.0; 4], 1)?.num_draws(), 4);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_draws(&self) -> usize {
        self.means.len() / self.num_steps
    }

    /// Draw `s`'s mean and standard deviation at step `t`.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![1.0, 2.0], vec![0.5, 0.25], 2)?;
    /// assert_eq!(m.component(0, 1), (2.0, 0.25));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn component(&self, s: usize, t: usize) -> (f64, f64) {
        (self.means[s * self.num_steps + t], self.stddevs[s * self.num_steps + t])
    }

    fn at(&self, t: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
        (0..self.num_draws()).map(move |s| self.component(s, t))
    }

    /// The mean per step.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![1.0, 3.0], vec![1.0, 1.0], 1)?;
    /// assert_eq!(m.mean(), vec![2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mean(&self) -> Vec<f64> {
        let s = self.num_draws() as f64;
        (0..self.num_steps).map(|t| self.at(t).map(|(m, _)| m).sum::<f64>() / s).collect()
    }

    /// The variance per step: the draws' variances plus the variance of their means.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![1.0, 3.0], vec![1.0, 1.0], 1)?;
    /// assert_eq!(m.variance(), vec![2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn variance(&self) -> Vec<f64> {
        let s = self.num_draws() as f64;
        self.mean().iter().enumerate().map(|(t, mean)| self.at(t).map(|(m, sd)| sd * sd + (m - mean) * (m - mean)).sum::<f64>() / s).collect()
    }

    /// The standard deviation per step.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![0.0], vec![3.0], 1)?;
    /// assert_eq!(m.stddev(), vec![3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn stddev(&self) -> Vec<f64> {
        self.variance().into_iter().map(f64::sqrt).collect()
    }

    /// The CDF at `x [T]`, per step.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![0.0, 5.0], vec![1.0, 2.0], 2)?;
    /// assert_eq!(m.cdf(&[0.0, 5.0])?, vec![0.5, 0.5]);
    /// assert!(m.cdf(&[0.0]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn cdf(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_len(x)?;
        Ok(x.iter().enumerate().map(|(t, v)| self.cdf_at(t, *v)).collect())
    }

    fn cdf_at(&self, t: usize, x: f64) -> f64 {
        let s = self.num_draws() as f64;
        self.at(t).map(|(m, sd)| if sd > 0.0 { ndtr_scalar((x - m) / sd) } else if x >= m { 1.0 } else { 0.0 }).sum::<f64>() / s
    }

    /// The log-density at `x [T]`, per step.
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![0.0], vec![1.0], 1)?;
    /// assert!((m.log_prob(&[0.0])?[0] + 0.5 * (2.0 * std::f64::consts::PI).ln()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_prob(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check_len(x)?;
        let ln_s = (self.num_draws() as f64).ln();
        Ok(x
            .iter()
            .enumerate()
            .map(|(t, v)| {
                let terms: Vec<f64> = self.at(t).map(|(m, sd)| -0.5 * ((v - m) / sd).powi(2) - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()).collect();
                let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                top + terms.iter().map(|l| (l - top).exp()).sum::<f64>().ln() - ln_s
            })
            .collect())
    }

    /// The `q`-quantile per step, `q` in (0, 1) (bisection to 1e-10 of the spread).
    ///
    /// ```
    /// let m = probrs::sts::StepMixture::new(vec![0.0], vec![1.0], 1)?;
    /// assert!((m.quantile(0.975)?[0] - 1.959963984540054).abs() < 1e-8);
    /// assert!(m.quantile(0.0).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn quantile(&self, q: f64) -> Result<Vec<f64>> {
        if !(q > 0.0 && q < 1.0) {
            return Err(Error::invalid_parameter("q", format!("a quantile level must be in (0, 1), got {q}")));
        }
        Ok((0..self.num_steps)
            .map(|t| {
                let lo0 = self.at(t).map(|(m, sd)| m - 10.0 * sd).fold(f64::INFINITY, f64::min);
                let hi0 = self.at(t).map(|(m, sd)| m + 10.0 * sd).fold(f64::NEG_INFINITY, f64::max);
                let (mut lo, mut hi) = (lo0, hi0);
                let tol = 1e-10 * (hi0 - lo0).max(1e-300);
                while hi - lo > tol {
                    let mid = 0.5 * (lo + hi);
                    if self.cdf_at(t, mid) < q {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                0.5 * (lo + hi)
            })
            .collect())
    }

    fn check_len(&self, x: &[f64]) -> Result<()> {
        if x.len() != self.num_steps {
            return Err(Error::ShapeMismatch { context: "values per step vs the mixture's steps".into(), lhs: vec![x.len()], rhs: vec![self.num_steps] });
        }
        Ok(())
    }
}
