//! The Pareto distribution (concentration α, scale m) on `[m, ∞)`.
//!
//! ```text
//! log p(x) = log α + α log m − (α + 1) log x (x ≥ m)      cdf = 1 − (m/x)^α
//! mean = αm/(α − 1) (α > 1, else ∞)   variance = m²α/((α − 1)²(α − 2)) (α > 2, else ∞)
//! mode = m   entropy = log(m/α) + 1/α + 1
//! ```
//! Samples are reparameterized: `m (1 − u)^{−1/α}`.

use super::family::{family, family_accessors, outside_support, sample_shape};
use super::{distribution::check_dtype, Distribution};
use crate::error::Result;
use crate::random::{self, Seed};
use crate::tensor::Tensor;

family! {
    /// Pareto(concentration, scale).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Pareto};
    /// use probrs::tensor::Tensor;
    /// // Pareto(α = 3, scale m = 1): density α m^α / x^(α+1) on x ≥ m; mean α m/(α − 1)
    /// let d = Pareto::new(3.0, 1.0)?;
    /// assert!((d.prob(&Tensor::scalar(2.0, d.dtype())?)?.to_scalar()? - 3.0 / 16.0).abs() < 1e-6);
    /// assert!((d.mean()?.to_scalar()? - 1.5).abs() < 1e-5);
    /// assert_eq!(d.prob(&Tensor::scalar(0.5, d.dtype())?)?.to_scalar()?, 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    Pareto, "Pareto", FullyReparameterized, { concentration: Positive, scale: Positive }, (3.0, 1.0)  // the example arguments of `new`
}

impl Pareto {
    fn check_extra(&self) -> Result<()> {
        Ok(())
    }
    fn am(&self) -> Result<(Tensor, Tensor)> {
        Ok((self.value("concentration")?, self.value("scale")?))
    }
}

impl Distribution for Pareto {
    family_accessors!();
    fn default_event_space_bijector(&self) -> Result<std::sync::Arc<dyn crate::bijectors::Bijector>> {
        use crate::bijectors::{Chain, IntoArcBijector, Shift, Softplus};
        Ok(Chain::new(vec![Shift::new(self.scale.clone()).into_arc(), Softplus::new().into_arc()]).into_arc())
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let (a, m) = self.am()?;
        let lp = a.log()?.add(&a.mul(&m.log()?)?)?.sub(&a.add_scalar(1.0)?.mul(&x.log()?)?)?;
        outside_support(&x.lt(&m)?, &lp)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "cdf")?;
        let (a, m) = self.am()?;
        let c = m.div(&x.maximum(&m)?)?.log()?.mul(&a)?.exp()?.affine(-1.0, 1.0)?;
        Ok(c)
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let (a, m) = self.am()?;
        let u = random::uniform(&sample_shape(shape, &self.batch_shape), self.dtype, seed)?;
        u.neg()?.log1p()?.div(&a)?.neg()?.exp()?.mul(&m)
    }
    fn mean(&self) -> Result<Tensor> {
        let (a, m) = self.am()?;
        let v = a.mul(&m)?.div(&a.add_scalar(-1.0)?)?;
        self.batch(Tensor::where_(&a.gt_scalar(1.0)?, &v, &v.full_like(f64::INFINITY)?)?)
    }
    fn variance(&self) -> Result<Tensor> {
        let (a, m) = self.am()?;
        let v = m.square()?.mul(&a)?.div(&a.add_scalar(-1.0)?.square()?.mul(&a.add_scalar(-2.0)?)?)?;
        self.batch(Tensor::where_(&a.gt_scalar(2.0)?, &v, &v.full_like(f64::INFINITY)?)?)
    }
    fn mode(&self) -> Result<Tensor> {
        let (a, m) = self.am()?;
        self.batch(m.add(&a.zeros_like()?)?)
    }
    fn entropy(&self) -> Result<Tensor> {
        let (a, m) = self.am()?;
        self.batch(m.div(&a)?.log()?.add(&a.recip()?)?.add_scalar(1.0)?)
    }
}

/// KL(Pareto(α₁, m₁) ‖ Pareto(α₂, m₂)) = log(α₁/α₂) + α₂ log(m₁/m₂) + α₂/α₁ − 1 when
/// m₁ ≥ m₂, else +∞ (p puts mass where q has none).
///
/// ```
/// use probrs::distributions::{kl_pareto, Pareto};
/// assert!(kl_pareto(&Pareto::new(3.0, 1.0)?, &Pareto::new(3.0, 1.0)?)?.to_scalar()?.abs() < 1e-6);
/// assert!(kl_pareto(&Pareto::new(3.0, 2.0)?, &Pareto::new(2.0, 1.0)?)?.to_scalar()? > 0.0);
/// // Defined only when p's support lies inside q's (scale_p ≥ scale_q): infinite otherwise.
/// assert_eq!(kl_pareto(&Pareto::new(3.0, 1.0)?, &Pareto::new(3.0, 2.0)?)?.to_scalar()?, f64::INFINITY);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_pareto(p: &Pareto, q: &Pareto) -> Result<Tensor> {
    let (a1, m1, a2, m2) = (p.value("concentration")?, p.value("scale")?, q.value("concentration")?, q.value("scale")?);
    let kl = a1.log()?.sub(&a2.log()?)?.add(&a2.mul(&m1.log()?.sub(&m2.log()?)?)?)?.add(&a2.div(&a1)?)?.add_scalar(-1.0)?;
    Tensor::where_(&m1.lt(&m2)?, &kl.full_like(f64::INFINITY)?, &kl)
}
