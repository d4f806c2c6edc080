//! `ShardedSum`: a sum over a data set's row blocks that autodiff can differentiate, with the
//! blocks spread over ranks — the data-parallel loss of `minimize` and
//! `fit_surrogate_posterior`, and a sharded log-likelihood inside an MCMC target.
//!
//! Each rank evaluates its blocks' terms; their values are gathered and added in block order
//! ([`Shards::sum_blocks`]), and when a gradient is asked for, each rank takes the
//! vector–Jacobian product of its blocks and those are gathered and added the same way. Every
//! rank therefore holds the same loss and the same gradients — bit for bit, whatever the rank
//! count — and the optimizers, run on every rank from the same start, keep every rank's
//! parameters identical with no further communication. Per evaluation that is the terms'
//! size, then one value per block (times the batch of draws); per gradient, one gradient per
//! block.
//!
//! Every rank must make the same calls in the same order (they are collective): a fit runs the
//! same loop on every rank. Inside an MCMC target, run the chains one at a time
//! (`NutsOptions { num_threads: Some(1), .. }`): chains on threads would interleave their
//! exchanges differently on different ranks.

use super::communicator::Communicator;
use super::shards::{Block, Shards};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use crate::variables::Variable;
use std::sync::Arc;

/// A sharded sum over `shards`' blocks, on `comm`'s ranks.
///
/// ```
/// use probrs::distributed::{Shards, ShardedSum, SingleProcess};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // Σ_n (y_n − μ)² over 10 rows in 3 blocks, and its gradient in μ.
/// let y: Vec<f64> = (0..10).map(|i| i as f64).collect();
/// let comm = Arc::new(SingleProcess);
/// let sum = ShardedSum::new(comm.clone(), Shards::new(10, 3, comm.as_ref())?);
/// let mu = Tensor::scalar(2.0, DType::F64)?.tracked()?;
/// let loss = sum.sum(&[&mu], |p, block| Tensor::vector(&y[block.local.clone()], DType::F64)?.sub(&p[0])?.square()?.sum_all())?;
/// assert_eq!(loss.to_scalar()?, y.iter().map(|v| (v - 2.0) * (v - 2.0)).sum::<f64>());
/// let g = loss.grad(&[&mu])?[0].clone().expect("tracked");
/// assert_eq!(g.to_scalar()?, -2.0 * y.iter().map(|v| v - 2.0).sum::<f64>());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct ShardedSum {
    comm: Arc<dyn Communicator>,
    shards: Shards,
}

/// One block's term and the leaves (or variables) it was computed from, kept for the backward
/// pass.
struct Term {
    wrt: Vec<Tensor>,
    value: Tensor,
}

impl ShardedSum {
    /// A sum over `shards`' blocks on `comm`'s ranks (`shards` made with the same `comm`).
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedSum, SingleProcess};
    /// use std::sync::Arc;
    /// let comm = Arc::new(SingleProcess);
    /// let sum = ShardedSum::new(comm.clone(), Shards::even(100_000, comm.as_ref())?);
    /// assert_eq!(sum.shards().num_blocks(), 32);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(comm: Arc<dyn Communicator>, shards: Shards) -> Self {
        ShardedSum { comm, shards }
    }

    /// The blocks and their ranks.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedSum, SingleProcess};
    /// use std::sync::Arc;
    /// let sum = ShardedSum::new(Arc::new(SingleProcess), Shards::new(10, 2, &SingleProcess)?);
    /// assert_eq!(sum.shards().local_rows(), 0..10);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shards(&self) -> &Shards {
        &self.shards
    }

    /// `Σ_b f(inputs, block b)` over every block of every rank, differentiable with respect to
    /// `inputs`: `f` receives this rank's copies of `inputs` (autodiff leaves) and one of its
    /// blocks, and returns that block's term (every block the same shape, e.g. `[S]` for a
    /// batch of `S` draws). The result has the terms' shape and dtype.
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedSum, ThreadRanks};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// // A batch of 2 draws of μ; each rank holds its rows of y only.
    /// let y: Vec<f64> = (0..9).map(|i| (i * i) as f64).collect();
    /// let grads = ThreadRanks::run(3, |comm| {
    ///     let comm = Arc::new(comm.clone());
    ///     let sum = ShardedSum::new(comm.clone(), Shards::new(9, 4, comm.as_ref())?);
    ///     let rows = sum.shards().local_rows();
    ///     let shard = Tensor::vector(&y[rows], DType::F64)?; // what this rank loaded
    ///     let mu = Tensor::vector(&[1.0, 2.0], DType::F64)?.tracked()?;
    ///     let ll = sum.sum(&[&mu], |p, b| shard.narrow(0, b.local.start, b.local.len())?.unsqueeze(0)?.sub(&p[0].unsqueeze(1)?)?.square()?.sum_axes(&[1], false)?.neg())?;
    ///     ll.sum_all()?.grad(&[&mu])?[0].clone().expect("tracked").to_vec()
    /// })?;
    /// let expect: Vec<f64> = [1.0, 2.0].iter().map(|m| 2.0 * y.iter().map(|v| v - m).sum::<f64>()).collect();
    /// assert!(grads.iter().all(|g| g == &expect));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sum(&self, inputs: &[&Tensor], f: impl Fn(&[Tensor], &Block) -> Result<Tensor>) -> Result<Tensor> {
        let track = inputs.iter().any(|t| t.is_tracked());
        let terms: Result<Vec<Term>> = self
            .shards
            .local_blocks()
            .map(|b| {
                let leaves: Vec<Tensor> = inputs.iter().map(|t| if track { t.tracked() } else { Ok(t.detach()) }).collect::<Result<_>>()?;
                let value = f(&leaves, &b)?;
                Ok(Term { wrt: leaves, value })
            })
            .collect();
        self.finish(inputs.iter().map(|t| (*t).clone()).collect(), terms, track)
    }

    /// `Σ_b f(block b)` differentiable with respect to `variables`, which `f` reads itself
    /// (a model whose parameters are trainable variables; `minimize`'s data-parallel loss).
    ///
    /// ```
    /// use probrs::distributed::{Shards, ShardedSum, ThreadRanks};
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
    /// use probrs::params::MakeTrainable;
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// // A Normal fitted by maximum likelihood, its 100 rows split over 2 ranks: every rank ends
    /// // with the same loc and scale as one rank does.
    /// let y: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin() * 2.0 + 1.0).collect();
    /// let fit = |ranks: usize| ThreadRanks::run(ranks, |comm| {
    ///     let comm = Arc::new(comm.clone());
    ///     let sum = ShardedSum::new(comm.clone(), Shards::new(100, 8, comm.as_ref())?);
    ///     let shard = Tensor::vector(&y[sum.shards().local_rows()], DType::F64)?;
    ///     let model: Normal = MakeTrainable::new().parameter_dtype(DType::F64).seed(3).build()?;
    ///     let vars = model.trainable_variables();
    ///     minimize(|| sum.sum_over_variables(&vars, |b| model.log_prob(&shard.narrow(0, b.local.start, b.local.len())?)?.sum_all()?.neg()), 300, &mut Adam::new(0.05), MinimizeOptions::default(), trace_loss)?;
    ///     Ok(vars.iter().map(|v| v.numpy().to_vec()).collect::<probrs::Result<Vec<_>>>()?)
    /// });
    /// let (one, two) = (fit(1)?, fit(2)?);
    /// assert_eq!(one[0], two[0]);
    /// assert_eq!(two[0], two[1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sum_over_variables(&self, variables: &[Variable], f: impl Fn(&Block) -> Result<Tensor>) -> Result<Tensor> {
        let wrt: Vec<Tensor> = variables.iter().map(|v| v.value()).collect();
        let terms: Result<Vec<Term>> = self.shards.local_blocks().map(|b| Ok(Term { wrt: wrt.clone(), value: f(&b)? })).collect();
        self.finish(wrt, terms, false)
    }

    /// Gathers the terms' values, and attaches the gathered vector–Jacobian product to
    /// `inputs` (`own_leaves`: each term was computed from leaves of its own).
    fn finish(&self, inputs: Vec<Tensor>, terms: Result<Vec<Term>>, own_leaves: bool) -> Result<Tensor> {
        let (terms, local) = match terms.and_then(|t| {
            let v = self.values(&t)?;
            Ok((t, v))
        }) {
            Ok((t, v)) => (t, Ok(v)),
            Err(e) => (vec![], Err(e)),
        };
        let (shape, values) = match local {
            Ok((s, v)) => (s, Ok(v)),
            Err(e) => (vec![], Err(e)),
        };
        // The terms' width is only known where they were computed: it travels first (−1 from a
        // rank that failed), so that every rank takes the same path.
        let width = values.as_ref().map_or(-1.0, |_| shape.iter().product::<usize>() as f64);
        let widths = self.comm.all_gather_f64(&[width], &vec![1; self.comm.size()])?;
        let known: Vec<(usize, f64)> = widths.iter().copied().enumerate().filter(|(_, w)| *w >= 0.0).collect();
        if let Some(&(r, w)) = known.iter().find(|(_, w)| *w != known[0].1) {
            return Err(Error::ShapeMismatch { context: format!("the blocks' terms on rank {} vs rank {r} (elements)", known[0].0), lhs: vec![known[0].1 as usize], rhs: vec![w as usize] });
        }
        let width = known.first().map_or(0, |(_, w)| *w as usize);
        // A rank whose terms failed fails every rank here, naming it.
        let sum = self.shards.sum_blocks(self.comm.as_ref(), values, width)?;
        let dtype = terms[0].value.dtype(); // every rank holds a block
        let value = Tensor::from_slice(&sum, &shape, dtype)?;
        if !inputs.iter().any(|t| t.is_tracked()) {
            return Ok(value);
        }
        let flat: Vec<Tensor> = inputs.iter().map(|t| t.reshape(&[t.elem_count()])?.to_dtype(dtype)).collect::<Result<_>>()?;
        let proxy = Tensor::concat(&flat.iter().collect::<Vec<_>>(), 0)?;
        let sizes: Vec<usize> = inputs.iter().map(|t| t.elem_count()).collect();
        let (comm, shards) = (self.comm.clone(), self.shards.clone());
        proxy.custom_gradient(&value, move |upstream| {
            let local = (|| -> Result<Vec<f64>> {
                let mut out = Vec::with_capacity(terms.len() * sizes.iter().sum::<usize>());
                let mut take = |grads: &[Option<Tensor>]| -> Result<()> {
                    for (g, &n) in grads.iter().zip(sizes.iter().cycle()) {
                        match g {
                            Some(g) => out.extend(g.to_vec()?),
                            None => out.extend(std::iter::repeat_n(0.0, n)),
                        }
                    }
                    Ok(())
                };
                if own_leaves {
                    // Each block has its own leaves, so one backward pass over the blocks' sum
                    // gives each block's product apart, with the same bits as one pass each.
                    let mut total = terms[0].value.mul(upstream)?.sum_all()?;
                    for t in &terms[1..] {
                        total = total.add(&t.value.mul(upstream)?.sum_all()?)?;
                    }
                    let leaves: Vec<&Tensor> = terms.iter().flat_map(|t| t.wrt.iter()).collect();
                    take(&total.grad(&leaves)?)?;
                } else {
                    // The variables are every block's: one pass per block keeps them apart.
                    for t in &terms {
                        take(&t.value.mul(upstream)?.sum_all()?.grad(&t.wrt.iter().collect::<Vec<_>>())?)?;
                    }
                }
                Ok(out)
            })();
            let total: usize = sizes.iter().sum();
            let g = shards.sum_blocks(comm.as_ref(), local, total)?;
            Tensor::from_slice(&g, &[total], dtype)
        })
    }

    /// This rank's terms as one vector, block after block, with their common shape.
    fn values(&self, terms: &[Term]) -> Result<(Vec<usize>, Vec<f64>)> {
        let shape = terms.first().map(|t| t.value.shape().to_vec()).unwrap_or_default();
        let mut values = vec![];
        for (t, b) in terms.iter().zip(self.shards.local_blocks()) {
            if t.value.shape() != shape.as_slice() {
                return Err(Error::ShapeMismatch { context: format!("block {}'s term vs this rank's first block's", b.index), lhs: t.value.shape().to_vec(), rhs: shape.clone() });
            }
            values.extend(t.value.to_vec()?);
        }
        Ok((shape, values))
    }
}
