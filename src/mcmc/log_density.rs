//! One chain's log-density over a flat vector of unconstrained reals, with its gradient: what
//! the No-U-Turn sampler integrates (as nuts-rs's `CpuLogpFunc` and Stan's `log_prob_grad`).
//!
//! A model written by hand (e.g. a GLM with a fused gradient) implements [`LogDensity`]
//! directly; a TFP-style target over a [`Structure`] of tensors is adapted by
//! [`StructureLogDensity`], which lays one chain's state parts end to end ([`Layout`]) and
//! takes the gradient by autodiff.

use super::kernel::TargetLogProbFn;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// A log-density `log π(x)` of one chain's flat state `x ∈ ℝᵈ`, and its gradient.
///
/// ```
/// use probrs::mcmc::LogDensity;
/// // An isotropic Gaussian in 3-D, written by hand.
/// struct Iso;
/// impl LogDensity for Iso {
///     fn dim(&self) -> usize {
///         3
///     }
///     fn logp_and_grad(&self, x: &[f64], grad: &mut [f64]) -> probrs::Result<f64> {
///         grad.iter_mut().zip(x).for_each(|(g, x)| *g = -x);
///         Ok(-0.5 * x.iter().map(|x| x * x).sum::<f64>())
///     }
/// }
/// let mut g = [0.0; 3];
/// assert_eq!(Iso.logp_and_grad(&[1.0, 2.0, 0.0], &mut g)?, -2.5);
/// assert_eq!(g, [-1.0, -2.0, 0.0]);
/// assert_eq!(Iso.param_names(), vec!["x.1", "x.2", "x.3"]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait LogDensity: Send + Sync {
    /// The number of coordinates `d`.
    fn dim(&self) -> usize;
    /// Writes `∇log π(x)` into `grad` and returns `log π(x)`. A point outside the support may
    /// return `−∞` (the sampler treats it as a divergence); an `Err` stops the chain.
    fn logp_and_grad(&self, x: &[f64], grad: &mut [f64]) -> Result<f64>;
    /// Names of the coordinates, as CmdStan names columns (`x.1`, `x.2`, ... by default).
    fn param_names(&self) -> Vec<String> {
        (1..=self.dim()).map(|i| format!("x.{i}")).collect()
    }
}

/// How one chain's state parts lie end to end in a flat vector: the structure's kind, each
/// part's event shape (without chain dimensions) and the dtype.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::Layout;
/// use probrs::tensor::{DType, Tensor};
/// let state = Structure::Named(vec![("mu".into(), Tensor::scalar(0.5, DType::F64)?), ("theta".into(), Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?)]);
/// let layout = Layout::of(&state, 0)?;
/// assert_eq!(layout.dim(), 5);
/// assert_eq!(layout.flatten(&state)?, vec![vec![0.5, 1.0, 2.0, 3.0, 4.0]]);
/// // Stan's names, 1-based, in the flat (row-major) order.
/// assert_eq!(layout.param_names(), vec!["mu", "theta.1.1", "theta.1.2", "theta.2.1", "theta.2.2"]);
/// let back = layout.structure(&[&[0.5, 1.0, 2.0, 3.0, 4.0]], &[])?;
/// assert_eq!(back.get("theta")?.shape(), &[2, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// `None` for a single tensor, `Some(names)` for named parts, `Some(empty names)` for a
    /// positional list.
    kind: Kind,
    /// Each part's event shape.
    pub shapes: Vec<Vec<usize>>,
    /// The dtype the target receives.
    pub dtype: DType,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Tensor,
    List,
    Named(Vec<String>),
}

impl Layout {
    /// The layout of `state`, whose parts lead with `chain_rank` chain dimensions.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::Layout;
    /// use probrs::tensor::{DType, Tensor};
    /// // 4 chains of a 3-vector.
    /// let layout = Layout::of(&Structure::Tensor(Tensor::zeros(&[4, 3], DType::F32)?), 1)?;
    /// assert_eq!((layout.dim(), layout.dtype), (3, DType::F32));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn of(state: &Structure, chain_rank: usize) -> Result<Self> {
        let parts = state.tensors();
        let first = parts.first().ok_or_else(|| Error::invalid_parameter("state", "has no parts"))?;
        let chains = &first.shape()[..chain_rank.min(first.rank())];
        let mut shapes = vec![];
        for (k, t) in parts.iter().enumerate() {
            if t.rank() < chain_rank || &t.shape()[..chain_rank] != chains {
                return Err(Error::ShapeMismatch { context: format!("state part {k}: chain dimensions lead every part"), lhs: t.shape().to_vec(), rhs: chains.to_vec() });
            }
            shapes.push(t.shape()[chain_rank..].to_vec());
        }
        let kind = match state {
            Structure::Tensor(_) => Kind::Tensor,
            Structure::List(_) => Kind::List,
            Structure::Named(v) => Kind::Named(v.iter().map(|(n, _)| n.clone()).collect()),
        };
        Ok(Layout { kind, shapes, dtype: first.dtype() })
    }

    /// The number of coordinates of one chain.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::Layout;
    /// use probrs::tensor::{DType, Tensor};
    /// let s = Structure::List(vec![Tensor::zeros(&[2, 3], DType::F64)?, Tensor::zeros(&[4], DType::F64)?]);
    /// assert_eq!(Layout::of(&s, 0)?.dim(), 10);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dim(&self) -> usize {
        self.shapes.iter().map(|s| s.iter().product::<usize>()).sum()
    }

    /// Each chain's flat vector (chains in row-major order of the chain dimensions).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::Layout;
    /// use probrs::tensor::{DType, Tensor};
    /// // Two chains of (a scalar, a 2-vector).
    /// let s = Structure::List(vec![Tensor::vector(&[1.0, 2.0], DType::F64)?, Tensor::from_slice(&[3.0, 4.0, 5.0, 6.0], &[2, 2], DType::F64)?]);
    /// assert_eq!(Layout::of(&s, 1)?.flatten(&s)?, vec![vec![1.0, 3.0, 4.0], vec![2.0, 5.0, 6.0]]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn flatten(&self, state: &Structure) -> Result<Vec<Vec<f64>>> {
        let parts = state.tensors();
        if parts.len() != self.shapes.len() {
            return Err(Error::invalid_parameter("state", format!("{} parts, the layout has {}", parts.len(), self.shapes.len())));
        }
        let sizes: Vec<usize> = self.shapes.iter().map(|s| s.iter().product()).collect();
        let data: Vec<Vec<f64>> = parts.iter().map(|t| t.to_vec()).collect::<Result<_>>()?;
        let chains = if sizes[0] == 0 { 1 } else { data[0].len() / sizes[0] };
        Ok((0..chains).map(|c| data.iter().zip(&sizes).flat_map(|(d, n)| d[c * n..(c + 1) * n].iter().copied()).collect()).collect())
    }

    /// The structure of `chains` (one flat vector each) with chain dimensions `batch_shape`
    /// (empty for one chain without a chain dimension).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::Layout;
    /// use probrs::tensor::{DType, Tensor};
    /// let layout = Layout::of(&Structure::Tensor(Tensor::zeros(&[2], DType::F64)?), 0)?;
    /// let s = layout.structure(&[&[1.0, 2.0], &[3.0, 4.0]], &[2])?;
    /// assert_eq!(s.as_tensor()?.shape(), &[2, 2]);
    /// assert!(layout.structure(&[&[1.0]], &[1]).is_err()); // one value short
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn structure(&self, chains: &[&[f64]], batch_shape: &[usize]) -> Result<Structure> {
        let d = self.dim();
        if let Some((c, x)) = chains.iter().enumerate().find(|(_, x)| x.len() != d) {
            return Err(Error::ShapeMismatch { context: format!("chain {c}'s flat state vs the layout"), lhs: vec![x.len()], rhs: vec![d] });
        }
        let mut offset = 0;
        let mut parts = vec![];
        for shape in &self.shapes {
            let n: usize = shape.iter().product();
            let data: Vec<f64> = chains.iter().flat_map(|x| x[offset..offset + n].iter().copied()).collect();
            let full: Vec<usize> = batch_shape.iter().chain(shape).copied().collect();
            parts.push(Tensor::from_slice(&data, &full, self.dtype)?);
            offset += n;
        }
        Ok(match &self.kind {
            Kind::Tensor => Structure::Tensor(parts.remove(0)),
            Kind::List => Structure::List(parts),
            Kind::Named(names) => Structure::Named(names.iter().cloned().zip(parts).collect()),
        })
    }

    /// Each coordinate's name as CmdStan writes it, in the flat (row-major) order of the
    /// coordinates: the part's name (`x` for a single tensor, `x0`, `x1`, ... for a list),
    /// then 1-based indices (`theta.2.1`: row 2, column 1).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::Layout;
    /// use probrs::tensor::{DType, Tensor};
    /// let s = Structure::List(vec![Tensor::scalar(0.0, DType::F64)?, Tensor::zeros(&[2], DType::F64)?]);
    /// assert_eq!(Layout::of(&s, 0)?.param_names(), vec!["x0", "x1.1", "x1.2"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn param_names(&self) -> Vec<String> {
        let names: Vec<String> = match &self.kind {
            Kind::Tensor => vec!["x".into()],
            Kind::List => (0..self.shapes.len()).map(|k| format!("x{k}")).collect(),
            Kind::Named(n) => n.clone(),
        };
        let mut out = vec![];
        for (name, shape) in names.iter().zip(&self.shapes) {
            let n: usize = shape.iter().product();
            for k in 0..n {
                if shape.is_empty() {
                    out.push(name.clone());
                    continue;
                }
                let mut rest = k;
                let mut index = vec![0; shape.len()];
                for (i, d) in index.iter_mut().zip(shape).rev() {
                    *i = rest % d + 1;
                    rest /= d;
                }
                out.push(format!("{name}.{}", index.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(".")));
            }
        }
        out
    }
}

/// A TFP-style target over a [`Structure`] as a [`LogDensity`]: one chain's flat vector becomes
/// the structure (with `chain_rank` chain dimensions of size 1, as the target expects), and the
/// gradient comes from autodiff.
///
/// ```
/// use probrs::joint::Structure;
/// use probrs::mcmc::{Layout, LogDensity, StructureLogDensity};
/// use probrs::tensor::{DType, Tensor};
/// // log π(x) = −½|x|² over a [chains, 2] state.
/// let target = |s: &Structure| s.as_tensor()?.square()?.sum_axes(&[1], false)?.mul_scalar(-0.5);
/// let layout = Layout::of(&Structure::Tensor(Tensor::zeros(&[4, 2], DType::F64)?), 1)?;
/// let density = StructureLogDensity::new(target, layout, 1);
/// let mut g = [0.0; 2];
/// assert_eq!(density.logp_and_grad(&[1.0, 2.0], &mut g)?, -2.5);
/// assert_eq!(g, [-1.0, -2.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct StructureLogDensity {
    target: Arc<TargetLogProbFn>,
    layout: Layout,
    chain_rank: usize,
}

impl StructureLogDensity {
    /// `target` over states laid out as `layout`, which expects `chain_rank` leading chain
    /// dimensions (TFP's targets: 1, returning one value per chain; 0 for a target of one
    /// unbatched state returning a scalar).
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{Layout, LogDensity, StructureLogDensity};
    /// use probrs::tensor::{DType, Tensor};
    /// // An unbatched target: one state, a scalar log-density.
    /// let layout = Layout::of(&Structure::Tensor(Tensor::zeros(&[2], DType::F64)?), 0)?;
    /// let d = StructureLogDensity::new(|s: &Structure| s.as_tensor()?.sum_all(), layout, 0);
    /// let mut g = [0.0; 2];
    /// assert_eq!(d.logp_and_grad(&[1.0, 2.0], &mut g)?, 3.0);
    /// assert_eq!(g, [1.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(target: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static, layout: Layout, chain_rank: usize) -> Self {
        StructureLogDensity { target: Arc::new(target), layout, chain_rank }
    }
    /// The same from a shared target.
    pub(crate) fn from_arc(target: Arc<TargetLogProbFn>, layout: Layout, chain_rank: usize) -> Self {
        StructureLogDensity { target, layout, chain_rank }
    }
    /// The layout of one chain's state.
    ///
    /// ```
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{Layout, StructureLogDensity};
    /// use probrs::tensor::{DType, Tensor};
    /// let layout = Layout::of(&Structure::Tensor(Tensor::zeros(&[3], DType::F64)?), 0)?;
    /// let d = StructureLogDensity::new(|s: &Structure| s.as_tensor()?.sum_all(), layout.clone(), 0);
    /// assert_eq!(d.layout(), &layout);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
}

impl LogDensity for StructureLogDensity {
    fn dim(&self) -> usize {
        self.layout.dim()
    }
    fn logp_and_grad(&self, x: &[f64], grad: &mut [f64]) -> Result<f64> {
        let batch = vec![1; self.chain_rank];
        let state = self.layout.structure(&[x], &batch)?.try_map(|t| t.tracked())?;
        let lp = (self.target)(&state)?;
        if lp.elem_count() != 1 {
            return Err(Error::ShapeMismatch { context: "target_log_prob_fn output for one chain (one value)".into(), lhs: lp.shape().to_vec(), rhs: batch });
        }
        let lp = lp.sum_all()?;
        gradient_into(&lp, &state.tensors(), grad)?;
        lp.to_scalar()
    }
    fn param_names(&self) -> Vec<String> {
        self.layout.param_names()
    }
}

/// The gradient of the scalar `lp` with respect to `parts` (tracked), laid end to end in `grad`
/// (zeros for a part `lp` does not depend on).
pub(crate) fn gradient_into(lp: &Tensor, parts: &[&Tensor], grad: &mut [f64]) -> Result<()> {
    let grads = lp.grad(parts)?;
    let mut offset = 0;
    for (g, p) in grads.iter().zip(parts) {
        let n = p.elem_count();
        match g {
            Some(g) => grad[offset..offset + n].copy_from_slice(&g.to_vec()?),
            None => grad[offset..offset + n].fill(0.0),
        }
        offset += n;
    }
    Ok(())
}
