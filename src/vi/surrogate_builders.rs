//! Surrogate posterior builders (TFP's `tfp.experimental.vi.build_factored_surrogate_posterior`
//! and `build_affine_surrogate_posterior`): trainable variational families for a set of named
//! parts, each with an event shape and a bijector onto its support — given directly, or read
//! from a pinned joint distribution (its unpinned sites and their default event-space
//! bijectors).
//!
//! - **factored**: per part `bijector(Independent(Normal(loc, softplus(scale))))`, locations
//!   drawn uniformly in (−2, 2) and scales starting at `initial_unconstrained_scale` (1e-2), as
//!   TFP. A [`JointDistributionNamed`].
//! - **affine**: one multivariate normal over all unconstrained coordinates, `loc + S z`, with
//!   `S` diagonal (`Diag`) or lower triangular (`TriL`, through `FillScaleTriL`), split into the
//!   parts and pushed through their bijectors: correlations between parts are captured.
//! - **split flow** (TFP's `build_split_flow_surrogate_posterior`): the same split and
//!   constraining of one flat vector, drawn from a trainable flow over a standard normal (an
//!   IAF, a RealNVP stack): non-Gaussian shapes such as a funnel's are captured.
//!
//! ```
//! use probrs::bijectors::Exp;
//! use probrs::vi::{build_factored_surrogate_posterior, SurrogatePart, SurrogatePosterior};
//! use probrs::random::Seed;
//! use probrs::tensor::DType;
//! let q = build_factored_surrogate_posterior(&[SurrogatePart::new("scale", &[2], Exp::new())], DType::F32, 0, 1e-2)?;
//! let (x, lp) = q.sample_and_log_prob_structure(&[3], Seed::new(1))?;
//! assert_eq!(x.get("scale")?.shape(), &[3, 2]);
//! assert!(x.get("scale")?.to_vec()?.iter().all(|v| *v > 0.0));
//! assert_eq!(lp.shape(), &[3]);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::joint::{SurrogatePart, Structure, SurrogatePosterior};
use crate::bijectors::{Bijector, FillScaleTriL, Softplus};
use crate::distributions::{Distribution, Independent, MultivariateNormalDiag, MultivariateNormalTriL, Normal, TransformedDistribution};
use crate::error::{Error, Result};
use crate::joint::{JointDistributionNamed, NamedPart};
use crate::params::{TransformedVariable, Variable};
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::sync::Arc;


/// The factored (mean-field) surrogate: independent normals in unconstrained space.
///
/// ```
/// use probrs::bijectors::{Identity, Softplus};
/// use probrs::random::Seed;
/// use probrs::tensor::DType;
/// use probrs::vi::{build_factored_surrogate_posterior, SurrogatePart, SurrogatePosterior};
/// let parts = [SurrogatePart::new("loc", &[2], Identity::new()), SurrogatePart::new("scale", &[], Softplus::new())];
/// let q = build_factored_surrogate_posterior(&parts, DType::F32, 0, 0.01)?;
/// let draw = q.sample_structure(&[5], Seed::new(1))?;
/// assert_eq!(draw.get("loc")?.shape(), &[5, 2]);
/// assert!(draw.get("scale")?.to_vec()?.iter().all(|&s| s > 0.0));
/// assert_eq!(q.surrogate_variables().len(), 4); // a loc and a scale per part
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn build_factored_surrogate_posterior(parts: &[SurrogatePart], dtype: DType, seed: u64, initial_unconstrained_scale: f64) -> Result<JointDistributionNamed> {
    if parts.is_empty() {
        return Err(Error::invalid_parameter("parts", "a surrogate needs at least one part"));
    }
    let seeds = Seed::new(seed).split(parts.len());
    let mut named = vec![];
    for (p, s) in parts.iter().zip(seeds) {
        let shape = p.unconstrained_shape()?;
        let loc = Variable::new(&random::uniform_range(&shape, -2.0, 2.0, dtype, s)?, format!("{}_loc", p.name))?;
        let scale = TransformedVariable::new(&Tensor::full(initial_unconstrained_scale, &shape, dtype)?, Softplus::new(), format!("{}_scale", p.name))?;
        let base = Independent::new(Normal::new(&loc, scale)?, shape.len() as isize)?;
        let d = TransformedDistribution::from_arcs(Arc::new(base), p.bijector.clone())?;
        named.push((p.name.clone(), NamedPart::dist(d)));
    }
    JointDistributionNamed::new(named.iter().map(|(n, d)| (n.as_str(), d.clone())).collect())
}

/// The scale operator of the affine surrogate.
///
/// ```
/// use probrs::bijectors::Identity;
/// use probrs::tensor::DType;
/// use probrs::vi::{build_affine_surrogate_posterior, AffineOperator, SurrogatePart, SurrogatePosterior};
/// let parts = [SurrogatePart::new("w", &[3], Identity::new())];
/// let mean_field = build_affine_surrogate_posterior(&parts, AffineOperator::Diag, DType::F32, 0, 0.01)?;
/// let full_rank = build_affine_surrogate_posterior(&parts, AffineOperator::TriL, DType::F32, 0, 0.01)?;
/// // The loc, and a diagonal (3 numbers) or a lower triangle (6 numbers, packed).
/// let count = |q: &dyn SurrogatePosterior| q.surrogate_variables().iter().map(|v| v.shape().iter().product::<usize>()).sum::<usize>();
/// assert_eq!((count(&mean_field), count(&full_rank)), (6, 9));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AffineOperator {
    /// A diagonal scale (mean-field).
    Diag,
    /// A lower-triangular scale (full-rank).
    TriL,
}

/// A surrogate over one flat vector of every unconstrained coordinate, split into the parts and
/// pushed through their bijectors: the affine surrogate (one multivariate normal) or the split
/// flow (a trainable flow over a standard normal).
///
/// ```
/// use probrs::bijectors::{Identity, Softplus};
/// use probrs::random::Seed;
/// use probrs::tensor::DType;
/// use probrs::vi::{build_affine_surrogate_posterior, AffineOperator, SurrogatePart, SurrogatePosterior};
/// let parts = [SurrogatePart::new("loc", &[], Identity::new()), SurrogatePart::new("scale", &[], Softplus::new())];
/// let q = build_affine_surrogate_posterior(&parts, AffineOperator::TriL, DType::F64, 0, 0.01)?;
/// let (x, lp) = q.sample_and_log_prob_structure(&[3], Seed::new(2))?;
/// assert!(x.get("scale")?.to_vec()?.iter().all(|&s| s > 0.0));
/// let again = q.log_prob_structure(&x)?.to_vec()?;
/// assert!(lp.to_vec()?.iter().zip(&again).all(|(a, b)| (a - b).abs() < 1e-9));
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct SplitSurrogatePosterior {
    parts: Vec<SurrogatePart>,
    unconstrained: Vec<Vec<usize>>,
    base: Base,
}

/// The affine surrogate's name for [`SplitSurrogatePosterior`] (what
/// [`build_affine_surrogate_posterior`] returns).
///
/// ```
/// use probrs::bijectors::Identity;
/// use probrs::tensor::DType;
/// use probrs::vi::{build_affine_surrogate_posterior, AffineOperator, AffineSurrogatePosterior, SurrogatePart};
/// let q: AffineSurrogatePosterior = build_affine_surrogate_posterior(&[SurrogatePart::new("w", &[2], Identity::new())], AffineOperator::Diag, DType::F64, 0, 0.01)?;
/// # Ok::<(), probrs::Error>(())
/// ```
pub type AffineSurrogatePosterior = SplitSurrogatePosterior;

/// The distribution of the flat unconstrained vector.
enum Base {
    Affine { loc: Variable, scale: ScaleVar },
    Flow(TransformedDistribution),
}

enum ScaleVar {
    Diag(TransformedVariable),
    TriL(Variable),
}

/// The parts' unconstrained shapes and their total size `D`.
fn flat_size(parts: &[SurrogatePart]) -> Result<(Vec<Vec<usize>>, usize)> {
    if parts.is_empty() {
        return Err(Error::invalid_parameter("parts", "a surrogate needs at least one part"));
    }
    let unconstrained: Vec<Vec<usize>> = parts.iter().map(|p| p.unconstrained_shape()).collect::<Result<_>>()?;
    let d = unconstrained.iter().map(|s| s.iter().product::<usize>()).sum();
    Ok((unconstrained, d))
}

/// Builds the split-flow surrogate: `trainable_bijector` (acting on vectors of the parts' total
/// unconstrained size `D`) over `N(0, I_D)`, its draws split into the parts and pushed through
/// their bijectors (TFP's `build_split_flow_surrogate_posterior`).
///
/// ```
/// use probrs::bijectors::{AutoregressiveNetwork, Exp, Identity, Invert, MaskedAutoregressiveFlow};
/// use probrs::random::Seed;
/// use probrs::tensor::DType;
/// use probrs::vi::{build_split_flow_surrogate_posterior, SurrogatePart, SurrogatePosterior};
/// use std::sync::Arc;
/// // An IAF over a positive scale and a 2-vector: 3 unconstrained coordinates.
/// let iaf = Invert::new(MaskedAutoregressiveFlow::new(AutoregressiveNetwork::new(2, 3, &[16], DType::F64, Seed::new(0))?.with_activation(probrs::tensor::Tensor::relu))?);
/// let parts = [SurrogatePart::new("scale", &[], Exp::new()), SurrogatePart::new("w", &[2], Identity::new())];
/// let q = build_split_flow_surrogate_posterior(&parts, Arc::new(iaf), DType::F64)?;
/// let (x, lp) = q.sample_and_log_prob_structure(&[4], Seed::new(1))?;
/// assert!(x.get("scale")?.to_vec()?.iter().all(|s| *s > 0.0));
/// let again = q.log_prob_structure(&x)?.to_vec()?;
/// assert!(lp.to_vec()?.iter().zip(&again).all(|(a, b)| (a - b).abs() < 1e-9));
/// assert_eq!(q.surrogate_variables().len(), 4); // the MADE's two kernels and biases
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn build_split_flow_surrogate_posterior(parts: &[SurrogatePart], trainable_bijector: Arc<dyn Bijector>, dtype: DType) -> Result<SplitSurrogatePosterior> {
    let (unconstrained, d) = flat_size(parts)?;
    let base = MultivariateNormalDiag::new(Tensor::zeros(&[d], dtype)?, Tensor::ones(&[d], dtype)?)?;
    let flow = TransformedDistribution::from_arcs(Arc::new(base), trainable_bijector)?;
    Ok(SplitSurrogatePosterior { parts: parts.to_vec(), unconstrained, base: Base::Flow(flow) })
}

/// Builds the affine surrogate (TFP initializes `loc` uniformly in (−2, 2) and the scale at
/// `initial_unconstrained_scale`·I).
///
/// ```
/// use probrs::bijectors::Identity;
/// use probrs::distributions::{Distribution, MultivariateNormalTriL};
/// use probrs::optim::{trace_loss, Adam};
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::{build_affine_surrogate_posterior, fit_surrogate_posterior, AffineOperator, FitOptions, Structure, SurrogatePart};
/// // Fit a full-rank surrogate to a correlated 2-D Gaussian target.
/// let cov_tril = Tensor::from_slice(&[1.0, 0.0, 0.8, 0.6], &[2, 2], DType::F32)?;
/// let target_d = MultivariateNormalTriL::new(Tensor::vector(&[1.0, -1.0], DType::F32)?, cov_tril)?;
/// let target = move |z: &Structure| target_d.log_prob(z.get("w")?);
/// let q = build_affine_surrogate_posterior(&[SurrogatePart::new("w", &[2], Identity::new())], AffineOperator::TriL, DType::F32, 0, 0.01)?;
/// let run = fit_surrogate_posterior(target, &q, &mut Adam::new(0.05), 500, FitOptions { sample_size: 8, ..Default::default() }, trace_loss)?;
/// // At the optimum the loss (KL to a normalized target) is near 0.
/// let tail = run.trace[450..].iter().sum::<f64>() / 50.0;
/// assert!(tail.abs() < 0.1, "{tail}");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn build_affine_surrogate_posterior(parts: &[SurrogatePart], operator: AffineOperator, dtype: DType, seed: u64, initial_unconstrained_scale: f64) -> Result<AffineSurrogatePosterior> {
    let (unconstrained, d) = flat_size(parts)?;
    let loc = Variable::new(&random::uniform_range(&[d], -2.0, 2.0, dtype, Seed::new(seed))?, "affine_loc")?;
    let scale = match operator {
        AffineOperator::Diag => ScaleVar::Diag(TransformedVariable::new(&Tensor::full(initial_unconstrained_scale, &[d], dtype)?, Softplus::new(), "affine_scale_diag")?),
        AffineOperator::TriL => {
            let l = Tensor::eye(d, &[], dtype)?.mul_scalar(initial_unconstrained_scale)?;
            ScaleVar::TriL(Variable::new(&FillScaleTriL::new().inverse(&l)?, "affine_scale_tril")?)
        }
    };
    Ok(SplitSurrogatePosterior { parts: parts.to_vec(), unconstrained, base: Base::Affine { loc, scale } })
}

impl SplitSurrogatePosterior {
    fn base(&self) -> Result<Box<dyn Distribution>> {
        Ok(match &self.base {
            Base::Affine { loc, scale: ScaleVar::Diag(s) } => Box::new(MultivariateNormalDiag::new(loc, s.clone())?),
            Base::Affine { loc, scale: ScaleVar::TriL(v) } => Box::new(MultivariateNormalTriL::new(loc, FillScaleTriL::new().forward(&v.value())?)?),
            Base::Flow(flow) => Box::new(flow.clone()),
        })
    }
    /// Splits `[..., D]` into the parts' constrained values; returns them with Σ fldj.
    fn push_forward(&self, z: &Tensor) -> Result<(Structure, Tensor)> {
        let r = z.rank();
        let lead = z.shape()[..r - 1].to_vec();
        let (mut off, mut out, mut fldj) = (0usize, vec![], None::<Tensor>);
        for (p, shape) in self.parts.iter().zip(&self.unconstrained) {
            let n: usize = shape.iter().product();
            let mut s = lead.clone();
            s.extend(shape);
            let u = z.narrow(r - 1, off, n)?.reshape(&s)?;
            off += n;
            let ldj = p.bijector.forward_log_det_jacobian(&u, shape.len())?;
            fldj = Some(match fldj {
                None => ldj,
                Some(t) => t.add(&ldj)?,
            });
            out.push((p.name.clone(), p.bijector.forward(&u)?));
        }
        Ok((Structure::Named(out), fldj.expect("at least one part")))
    }
}

impl SurrogatePosterior for SplitSurrogatePosterior {
    fn sample_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<Structure> {
        Ok(self.sample_and_log_prob_structure(sample_shape, seed)?.0)
    }
    fn sample_and_log_prob_structure(&self, sample_shape: &[usize], seed: Seed) -> Result<(Structure, Tensor)> {
        let (z, lp) = self.base()?.sample_and_log_prob(sample_shape, seed)?;
        let (x, fldj) = self.push_forward(&z)?;
        Ok((x, lp.sub(&fldj)?))
    }
    fn log_prob_structure(&self, x: &Structure) -> Result<Tensor> {
        let mut zs = vec![];
        let mut ildj: Option<Tensor> = None;
        for (i, (p, shape)) in self.parts.iter().zip(&self.unconstrained).enumerate() {
            let xi = match x {
                Structure::Named(_) => x.get(&p.name)?,
                _ => x.part(i)?,
            };
            let u = p.bijector.inverse(xi)?;
            let l = p.bijector.inverse_log_det_jacobian(xi, p.event_shape.len())?;
            ildj = Some(match ildj {
                None => l,
                Some(t) => t.add(&l)?,
            });
            let lead = u.shape()[..u.rank() - shape.len()].to_vec();
            let mut s = lead;
            s.push(shape.iter().product());
            zs.push(u.reshape(&s)?);
        }
        let refs: Vec<&Tensor> = zs.iter().collect();
        let z = Tensor::concat(&refs, zs[0].rank() - 1)?;
        self.base()?.log_prob(&z)?.add(&ildj.expect("at least one part"))
    }
    fn fully_reparameterized(&self) -> bool {
        true
    }
    fn surrogate_variables(&self) -> Vec<Variable> {
        match &self.base {
            Base::Affine { loc, scale } => {
                let mut v = vec![loc.clone()];
                match scale {
                    ScaleVar::Diag(s) => v.extend(s.trainable_variables()),
                    ScaleVar::TriL(t) => v.push(t.clone()),
                }
                v
            }
            Base::Flow(flow) => flow.trainable_variables(),
        }
    }
}
