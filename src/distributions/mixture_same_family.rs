//! `MixtureSameFamily`: a mixture of `K` components of one family, weighted by a
//! `Categorical`.
//!
//! ```text
//! p(x) = Σ_k w_k p_k(x),   log p(x) = logsumexp_k(log w_k + log p_k(x))
//! mean = Σ_k w_k μ_k       variance = Σ_k w_k (σ²_k + (μ_k − mean)²)
//! ```
//! The components' batch shape is `batch_shape + [K]`; any event shape works (multivariate
//! components included). With `reparameterize`, samples carry TFP's implicit
//! reparameterization gradients through the *distributional transform*: for components that
//! factorize over the event (univariate components, or `Independent` of univariate ones),
//! `u_d = F(x_d | x_<d)` is differentiated w.r.t. the parameters and
//! `dx/dθ = −(∂u/∂x)⁻¹ ∂u/∂θ` with the lower-triangular `∂u/∂x` — so the mixture can serve as a
//! reparameterized VI surrogate.

use super::distribution::{check_dtype, impl_display};
use super::mvn_linear_operator::ScaleSpec;
use super::{Categorical, Distribution, Independent, MultivariateNormalDiag, MultivariateNormalTriL, ReparameterizationType};
use crate::error::{Error, Result};
use crate::params::{Param, Variable};
use crate::random::Seed;
use crate::tensor::{broadcast_shapes, linalg::triangular_solve, DType, Tensor};
use std::any::Any;
use std::sync::Arc;

/// A mixture of same-family components.
///
/// ```
/// use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, Normal};
/// use probrs::tensor::{DType, Tensor};
/// let mix = Categorical::from_probs(Tensor::vector(&[0.3, 0.7], DType::F64)?)?;
/// let comp = Normal::new(Tensor::vector(&[-1.0, 2.0], DType::F64)?, Tensor::vector(&[0.5, 1.0], DType::F64)?)?;
/// let m = MixtureSameFamily::new(mix, comp)?;
/// assert!((m.variance()?.to_scalar()? - 2.665).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MixtureSameFamily {
    mixture: Categorical,
    components: Arc<dyn Distribution>,
    batch_shape: Vec<usize>,
    reparameterize: bool,
    name: String,
}

impl MixtureSameFamily {
    /// The mixture's number of categories must equal the components' last batch dimension,
    /// and the remaining batch shapes must broadcast.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, Normal};
    /// // ½ N(−1, 1) + ½ N(1, 1): mean 0, variance 1 + 1.
    /// let mix = Categorical::from_probs(Tensor::vector(&[0.5, 0.5], DType::F64)?)?;
    /// let comps = Normal::new(Tensor::vector(&[-1.0, 1.0], DType::F64)?, 1.0)?;
    /// let d = MixtureSameFamily::new(mix, comps)?;
    /// assert!(d.mean()?.to_scalar()?.abs() < 1e-12);
    /// assert!((d.variance()?.to_scalar()? - 2.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(mixture_distribution: Categorical, components_distribution: impl Distribution + 'static) -> Result<Self> {
        Self::from_arc(mixture_distribution, Arc::new(components_distribution))
    }
    /// As [`MixtureSameFamily::new`] with components already behind an `Arc`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, Normal};
    /// use std::sync::Arc;
    /// let comps: Arc<dyn Distribution> = Arc::new(Normal::new(Tensor::vector(&[0.0, 5.0], DType::F64)?, 1.0)?);
    /// let mix = Categorical::from_probs(Tensor::vector(&[0.8, 0.2], DType::F64)?)?;
    /// assert!((MixtureSameFamily::from_arc(mix, comps)?.mean()?.to_scalar()? - 1.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(mixture: Categorical, components: Arc<dyn Distribution>) -> Result<Self> {
        let cb = components.batch_shape();
        let Some(&k) = cb.last() else {
            return Err(Error::invalid_shape("components_distribution batch shape", &cb, "needs a last dimension of K components"));
        };
        if mixture.num_categories() != k {
            return Err(Error::ShapeMismatch {
                context: format!("mixture_distribution categories ({}) vs components_distribution batch (last dim K = {k})", mixture.num_categories()),
                lhs: mixture.batch_shape().into_iter().chain([mixture.num_categories()]).collect(),
                rhs: cb,
            });
        }
        let batch_shape = broadcast_shapes(&mixture.batch_shape(), &cb[..cb.len() - 1]).map_err(|_| Error::ShapeMismatch {
            context: "mixture_distribution batch shape vs components_distribution batch shape (without K)".into(),
            lhs: mixture.batch_shape(),
            rhs: cb[..cb.len() - 1].to_vec(),
        })?;
        if mixture.dtype() != components.dtype() {
            return Err(Error::DTypeMismatch { context: "MixtureSameFamily".into(), lhs: mixture.dtype().name().into(), rhs: components.dtype().name().into() });
        }
        Ok(MixtureSameFamily { mixture, components, batch_shape, reparameterize: false, name: "MixtureSameFamily".into() })
    }
    /// Sets the instance name.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, Normal};
    /// let mix = Categorical::from_probs(Tensor::vector(&[0.5, 0.5], DType::F64)?)?;
    /// let d = MixtureSameFamily::new(mix, Normal::new(Tensor::vector(&[0.0, 1.0], DType::F64)?, 1.0)?)?.with_name("bimodal");
    /// assert_eq!(d.name(), "bimodal");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    /// Turn on implicit reparameterization gradients for samples; fails for components that do
    /// not factorize over the event (see the module docs).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, Normal, ReparameterizationType};
    /// let mix = Categorical::from_probs(Tensor::vector(&[0.5, 0.5], DType::F64)?)?;
    /// let d = MixtureSameFamily::new(mix, Normal::new(Tensor::vector(&[0.0, 1.0], DType::F64)?, 1.0)?)?;
    /// assert_eq!(d.reparameterization_type(), ReparameterizationType::NotReparameterized);
    /// let d = d.with_reparameterize(true)?;
    /// assert_eq!(d.reparameterization_type(), ReparameterizationType::FullyReparameterized);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_reparameterize(mut self, reparameterize: bool) -> Result<Self> {
        if reparameterize {
            self.univariate_view()?;
        }
        self.reparameterize = reparameterize;
        Ok(self)
    }
    /// The categorical mixing distribution.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, MixtureSameFamily, Normal};
    /// let mix = Categorical::from_probs(Tensor::vector(&[0.25, 0.75], DType::F64)?)?;
    /// let d = MixtureSameFamily::new(mix, Normal::new(Tensor::vector(&[0.0, 1.0], DType::F64)?, 1.0)?)?;
    /// assert_eq!(d.mixture_distribution().num_categories(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mixture_distribution(&self) -> &Categorical {
        &self.mixture
    }
    /// The batch of component distributions (the mixture axis is their rightmost batch axis).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::distributions::{Categorical, Distribution, MixtureSameFamily, Normal};
    /// let mix = Categorical::from_probs(Tensor::vector(&[0.25, 0.75], DType::F64)?)?;
    /// let d = MixtureSameFamily::new(mix, Normal::new(Tensor::vector(&[0.0, 1.0], DType::F64)?, 1.0)?)?;
    /// assert_eq!(d.components_distribution().batch_shape(), vec![2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn components_distribution(&self) -> &Arc<dyn Distribution> {
        &self.components
    }
    fn event_rank(&self) -> usize {
        self.components.event_shape().len()
    }
    fn k(&self) -> usize {
        self.mixture.num_categories()
    }
    /// Mixture weights `[B, K]` with `ones` trailing dims appended.
    fn weights(&self, trailing: usize) -> Result<Tensor> {
        let mut w = self.mixture.probs()?;
        for _ in 0..trailing {
            w = w.unsqueeze(w.rank())?;
        }
        Ok(w)
    }
    /// The univariate distribution whose batch is `B + [K, n]` (n = 1 for univariate components).
    fn univariate_view(&self) -> Result<(Arc<dyn Distribution>, bool)> {
        match self.event_rank() {
            0 => Ok((self.components.clone(), true)),
            1 => match self.components.as_any().downcast_ref::<Independent>() {
                Some(ind) if ind.reinterpreted_batch_ndims() == 1 && ind.distribution().event_shape().is_empty() => Ok((ind.distribution().clone(), false)),
                _ => Err(Error::not_defined(format!("MixtureSameFamily of {}", self.components.class_name()), "reparameterize (components must factorize over the event)")),
            },
            _ => Err(Error::not_defined("MixtureSameFamily with event rank > 1", "reparameterize")),
        }
    }

    /// TFP's implicit reparameterization of a (detached) sample `x`.
    fn reparameterize_sample(&self, x: &Tensor) -> Result<Tensor> {
        let (uni, scalar_event) = self.univariate_view()?;
        let xv = if scalar_event { x.unsqueeze(x.rank())? } else { x.clone() }; // [S, B, n]
        let r = xv.rank();
        let n = xv.shape()[r - 1];
        let k = self.k();
        // Each component evaluated at every point: [S, B, K, n].
        let mut full = xv.shape()[..r - 1].to_vec();
        full.extend([k, n]);
        let xk = Variable::new(&xv.unsqueeze(r - 1)?.broadcast_to(&full)?.contiguous()?, "x")?;
        let xin = if scalar_event { xk.value().squeeze(r)? } else { xk.value() };
        let lp = uni.log_prob(&xin)?;
        let cdf = uni.cdf(&xin)?;
        let (lp, cdf) = if scalar_event { (lp.unsqueeze(r)?, cdf.unsqueeze(r)?) } else { (lp, cdf) };
        // Scores ∂ log p_kd / ∂x_d (constants for the Jacobian).
        let score = lp.sum_all()?.grad(&[&xk.value()])?[0].clone().map(|g| g.detach()).ok_or_else(|| Error::not_defined(uni.class_name(), "log_prob gradient"))?;
        // log w_k^(d) ∝ log w_k + Σ_{j<d} lp_kj : exclusive cumulative sum over d.
        let log_w = self.mixture.log_probs()?.unsqueeze(self.mixture.log_probs()?.rank())?; // [B, K, 1]
        let cum = exclusive_cumsum_last(&lp)?;
        let lw = cum.add(&log_w)?;
        let kaxis = lw.rank() - 2;
        let lw = lw.sub(&lw.logsumexp(kaxis, true)?)?; // normalized over K: [S, B, K, n]
        let w = lw.exp()?;
        let u = w.mul(&cdf)?.sum_axes(&[kaxis], false)?; // [S, B, n], depends on θ
        // The Jacobian J = ∂u/∂x (lower triangular), computed from detached values.
        let (wv, cv, pv, sv) = (w.detach().to_vec()?, cdf.detach().to_vec()?, lp.detach().exp()?.to_vec()?, score.to_vec()?);
        let npts = wv.len() / (k * n);
        let mut jac = vec![0.0; npts * n * n];
        for p in 0..npts {
            let at = |kk: usize, d: usize| p * k * n + kk * n + d;
            for d in 0..n {
                jac[p * n * n + d * n + d] = (0..k).map(|kk| wv[at(kk, d)] * pv[at(kk, d)]).sum();
                for j in 0..d {
                    let mean_s: f64 = (0..k).map(|m| wv[at(m, d)] * sv[at(m, j)]).sum();
                    jac[p * n * n + d * n + j] = (0..k).map(|kk| cv[at(kk, d)] * wv[at(kk, d)] * (sv[at(kk, j)] - mean_s)).sum();
                }
            }
        }
        let mut jshape = xv.shape().to_vec();
        jshape.push(n);
        let j = Tensor::from_slice(&jac, &jshape, x.dtype())?;
        let delta = u.sub(&u.detach())?; // value 0, gradient ∂u/∂θ
        let step = triangular_solve(&j, &delta.unsqueeze(delta.rank())?, false)?.squeeze(delta.rank())?;
        let out = xv.detach().sub(&step)?;
        if scalar_event {
            out.squeeze(r - 1)
        } else {
            Ok(out)
        }
    }
}

impl MixtureSameFamily {
    /// The fused kernel for a (non-batched) mixture of `MultivariateNormalTriL` or
    /// `MultivariateNormalDiag` components: one pass over the points for the value and one for
    /// the gradient (a diagonal scale by the diagonal kernel; the VAE's mixture prior took a
    /// per-component pass, a max and a logsumexp).
    fn fused_log_prob(&self, x: &Tensor) -> Result<Option<Tensor>> {
        let any = self.components.as_any();
        let Some(core) = any.downcast_ref::<MultivariateNormalTriL>().map(|d| d.core()).or_else(|| any.downcast_ref::<MultivariateNormalDiag>().map(|d| d.core())) else {
            return Ok(None);
        };
        let n = core.n;
        if !self.batch_shape.is_empty() || x.rank() == 0 || x.shape()[x.rank() - 1] != n || n > crate::tensor::gaussian_mixture::MAX_EVENT_SIZE {
            return Ok(None);
        }
        let k = self.k();
        let lead = x.shape()[..x.rank() - 1].to_vec();
        let npts: usize = lead.iter().product();
        let loc = core.loc()?.broadcast_to(&[k, n])?;
        let (points, log_weights) = (x.reshape(&[npts, n])?, self.mixture.log_probs()?);
        let out = match &core.scale {
            ScaleSpec::Diag(d) => Tensor::gaussian_mixture_diag_log_prob(&points, &loc, &d.value(core.dtype)?.broadcast_to(&[k, n])?, &log_weights)?,
            _ => Tensor::gaussian_mixture_log_prob(&points, &loc, &core.scale_tril()?.broadcast_to(&[k, n, n])?, &log_weights)?,
        };
        out.reshape(&lead).map(Some)
    }
}

/// `out[..., d] = Σ_{j<d} x[..., j]`.
fn exclusive_cumsum_last(x: &Tensor) -> Result<Tensor> {
    let n = x.shape()[x.rank() - 1];
    let mut tri = vec![0.0; n * n];
    for d in 0..n {
        for j in 0..d {
            tri[j * n + d] = 1.0;
        }
    }
    let t = Tensor::from_slice(&tri, &[n, n], x.dtype())?;
    let r = x.rank();
    x.unsqueeze(r - 1)?.matmul(&t)?.squeeze(r - 1)
}

impl Distribution for MixtureSameFamily {
    fn class_name(&self) -> &'static str {
        "MixtureSameFamily"
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dtype(&self) -> DType {
        self.components.dtype()
    }
    fn batch_shape(&self) -> Vec<usize> {
        self.batch_shape.clone()
    }
    fn event_shape(&self) -> Vec<usize> {
        self.components.event_shape()
    }
    fn reparameterization_type(&self) -> ReparameterizationType {
        if self.reparameterize {
            ReparameterizationType::FullyReparameterized
        } else {
            ReparameterizationType::NotReparameterized
        }
    }
    fn parameters(&self) -> Vec<(&'static str, &Param)> {
        let mut v = self.mixture.parameters();
        v.extend(self.components.parameters());
        v
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.mixture.visit_variables(f);
        self.components.visit_variables(f);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn default_event_space_bijector(&self) -> Result<Arc<dyn crate::bijectors::Bijector>> {
        self.components.default_event_space_bijector()
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        check_dtype(self, x, "log_prob")?;
        let e = self.event_rank();
        if x.rank() < e {
            return Err(Error::invalid_shape("MixtureSameFamily.log_prob input", x.shape(), format!("needs the event rank {e}")));
        }
        if let Some(fast) = self.fused_log_prob(x)? {
            return Ok(fast);
        }
        let xe = x.unsqueeze(x.rank() - e)?; // [S, B, 1, E]
        let lp = self.components.log_prob(&xe)?; // [S, B, K]
        let r = lp.rank();
        lp.add(&self.mixture.log_probs()?)?.logsumexp(r - 1, false)
    }
    fn cdf(&self, x: &Tensor) -> Result<Tensor> {
        if self.event_rank() != 0 {
            return Err(Error::not_defined("MixtureSameFamily with vector events", "cdf"));
        }
        let c = self.components.cdf(&x.unsqueeze(x.rank())?)?;
        let r = c.rank();
        c.mul(&self.mixture.probs()?)?.sum_axes(&[r - 1], false)
    }
    fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let [s1, s2] = seed.split2();
        let idx = self.mixture.sample(sample_shape, s1)?; // [S, Bm]
        let comps = self.components.sample(sample_shape, s2)?.detach(); // [S, B, K, E]
        let e = self.event_rank();
        let kaxis = comps.rank() - e - 1;
        let mut onehot = idx.unsqueeze(idx.rank())?.eq(&Tensor::arange(0, self.k(), self.dtype())?)?; // [S, Bm, K]
        let mut hot = Tensor::where_(&onehot, &Tensor::scalar(1.0, self.dtype())?, &Tensor::scalar(0.0, self.dtype())?)?;
        for _ in 0..e {
            hot = hot.unsqueeze(hot.rank())?;
        }
        onehot = hot.gt_scalar(0.5)?;
        let picked = Tensor::where_(&onehot, &comps, &comps.zeros_like()?)?.sum_axes(&[kaxis], false)?;
        if self.reparameterize {
            self.reparameterize_sample(&picked)
        } else {
            Ok(picked)
        }
    }
    fn mean(&self) -> Result<Tensor> {
        let e = self.event_rank();
        let m = self.components.mean()?;
        let kaxis = m.rank() - e - 1;
        self.weights(e)?.mul(&m)?.sum_axes(&[kaxis], false)
    }
    fn variance(&self) -> Result<Tensor> {
        let e = self.event_rank();
        let m = self.components.mean()?;
        let v = self.components.variance()?;
        let kaxis = m.rank() - e - 1;
        let w = self.weights(e)?;
        let mean = w.mul(&m)?.sum_axes(&[kaxis], true)?;
        w.mul(&v.add(&m.sub(&mean)?.square()?)?)?.sum_axes(&[kaxis], false)
    }
    fn covariance(&self) -> Result<Tensor> {
        if self.event_rank() != 1 {
            return Err(Error::not_defined("MixtureSameFamily without vector events", "covariance"));
        }
        let m = self.components.mean()?; // [B, K, n]
        let c = self.components.covariance()?; // [B, K, n, n]
        let kaxis = m.rank() - 2;
        let w = self.weights(1)?;
        let mean = w.mul(&m)?.sum_axes(&[kaxis], true)?;
        let d = m.sub(&mean)?;
        let outer = d.unsqueeze(d.rank())?.mul(&d.unsqueeze(d.rank() - 1)?)?;
        self.weights(2)?.mul(&c.add(&outer)?)?.sum_axes(&[kaxis], false)
    }
}

impl_display!(MixtureSameFamily);
