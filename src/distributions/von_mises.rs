//! The von Mises distribution on the circle, with samples in [−π, π].
//!
//! ```text
//! log p(x) = κ (cos(x − μ) − 1) − log(2π) − log(e^{−κ} I₀(κ))      (periodic in x)
//! mean = mode = μ (the circular mean)   variance = 1 − I₁(κ)/I₀(κ) (the circular variance)
//! entropy = κ (1 − I₁/I₀) + log(e^{−κ} I₀(κ)) + log 2π
//! ```
//! As TFP, the CDF is `∫₋π^{x−μ}` of the standardized density (Hill's algorithm, one more per
//! whole period), and samples are drawn by Best–Fisher rejection and carry TFP's implicit
//! reparameterization gradient `dx/dκ = −(∂F/∂κ) / p(x)`; `loc` enters by translation.
//! `concentration = 0` is the uniform distribution on the circle.
//!
//! ```
//! use probrs::distributions::{Distribution, VonMises};
//! use probrs::tensor::{DType, Tensor};
//! let d = VonMises::new(0.5, 2.0)?;
//! let lp = d.log_prob(&Tensor::scalar(0.5, DType::F32)?)?.to_scalar()?;
//! // p(μ) = e^{κ} / (2π I₀(κ)) with I₀(2) = 2.2795853.
//! assert!((lp - (2.0 - (2.0 * std::f64::consts::PI * 2.2795853f64).ln())).abs() < 1e-5);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::family::{family, family_accessors, implicit_reparameterize};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;
use std::f64::consts::PI;

family! {
    /// VonMises(loc, concentration).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, VonMises};
    /// use probrs::tensor::Tensor;
    /// // Zero concentration is the uniform distribution on the circle.
    /// let d = VonMises::new(0.0, 0.0)?;
    /// let lp = d.log_prob(&Tensor::scalar(1.0, d.dtype())?)?.to_scalar()?;
    /// assert!((lp + (2.0 * std::f64::consts::PI).ln()).abs() < 1e-5);
    /// // With κ > 0 the mode is `loc`.
    /// let d = VonMises::new(0.5, 4.0)?;
    /// assert!((d.mode()?.to_scalar()? - 0.5).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    VonMises, "VonMises", FullyReparameterized, { loc: Real, concentration: NonNegative }, (0.0, 2.0)  // the example arguments of `new`
}

impl VonMises {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn log_normalization(&self) -> Result<Tensor> {
        self.value("concentration")?.log_bessel_i0e()?.add_scalar((2.0 * PI).ln())
    }
    /// Maps angles to [−π, π] (the periods are constants for the gradient, as TFP's `round`).
    fn wrap(x: &Tensor) -> Result<Tensor> {
        let periods = x.detach().mul_scalar(1.0 / (2.0 * PI))?.add_scalar(0.5)?.floor()?;
        x.sub(&periods.mul_scalar(2.0 * PI)?)
    }
}

impl Distribution for VonMises {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        let low = Tensor::scalar(-PI, self.dtype)?;
        let high = Tensor::scalar(PI, self.dtype)?;
        Ok(std::sync::Arc::new(crate::bijectors::Sigmoid::with_bounds(low, high)?))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let k = self.value("concentration")?;
        let z = x.sub(&self.value("loc")?)?;
        z.cos()?.add_scalar(-1.0)?.mul(&k)?.sub(&self.log_normalization()?)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        Tensor::von_mises_cdf(&x.sub(&self.value("loc")?)?, &self.value("concentration")?)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let k = self.batch(self.value("concentration")?)?;
        let z = random::von_mises(shape, &k.detach().contiguous()?, seed)?;
        // Implicit reparameterization of the standardized draw w.r.t. κ.
        let cdf = Tensor::von_mises_cdf(&z, &k)?;
        let lp = z.cos()?.add_scalar(-1.0)?.mul(&k)?.sub(&k.log_bessel_i0e()?.add_scalar((2.0 * PI).ln())?)?;
        let z = implicit_reparameterize(&z, &cdf, &lp)?;
        Self::wrap(&z.add(&self.value("loc")?)?)
    }
    fn mean(&self) -> Result<Tensor> {
        self.batch(self.value("loc")?)
    }
    fn mode(&self) -> Result<Tensor> {
        self.mean()
    }
    fn variance(&self) -> Result<Tensor> {
        self.batch(self.value("concentration")?.bessel_i1_over_i0()?.neg()?.add_scalar(1.0)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let k = self.value("concentration")?;
        let ratio = k.bessel_i1_over_i0()?;
        self.batch(ratio.neg()?.add_scalar(1.0)?.mul(&k)?.add(&self.log_normalization()?)?)
    }
}

/// KL(vonMises(μ₁, κ₁) ‖ vonMises(μ₂, κ₂)) = (κ₂ − κ₁) + log I₀ᵉ(κ₂) − log I₀ᵉ(κ₁)
/// + (κ₁ − κ₂ cos(μ₂ − μ₁)) I₁(κ₁)/I₀(κ₁).
///
/// ```
/// use probrs::distributions::{kl_von_mises, VonMises};
/// assert!(kl_von_mises(&VonMises::new(0.0, 2.0)?, &VonMises::new(0.0, 2.0)?)?.to_scalar()?.abs() < 1e-6);
/// assert!(kl_von_mises(&VonMises::new(0.0, 2.0)?, &VonMises::new(1.0, 0.5)?)?.to_scalar()? > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_von_mises(p: &VonMises, q: &VonMises) -> Result<Tensor> {
    let (k1, k2) = (p.value("concentration")?, q.value("concentration")?);
    let dcos = q.value("loc")?.sub(&p.value("loc")?)?.cos()?;
    let t = k1.sub(&k2.mul(&dcos)?)?.mul(&k1.bessel_i1_over_i0()?)?;
    k2.sub(&k1)?.add(&k2.log_bessel_i0e()?)?.sub(&k1.log_bessel_i0e()?)?.add(&t)
}
