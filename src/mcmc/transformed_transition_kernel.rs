//! `TransformedTransitionKernel`: TFP's `tfp.mcmc.TransformedTransitionKernel`. The inner kernel
//! runs in unconstrained space `z`, on the target pushed back through bijectors `x = f(z)`
//! (one per state part):
//!
//! ```text
//! log π_z(z) = log π(f(z)) + log |det J_f(z)|      (each part's event: its dimensions after the chains')
//! ```
//!
//! while the states it returns are in the target's own (constrained) space. The initial state
//! is mapped in by `f⁻¹`. This is how HMC samples a scale or a probability without stepping
//! outside its support.

use super::kernel::{TargetLogProbFn, TransitionKernel};
use super::transformed_log_density::map_parts;
use crate::bijectors::Bijector;
use crate::error::{Error, Result};
use crate::joint::Structure;
use crate::random::Seed;
use crate::tensor::Tensor;
use std::sync::Arc;

/// An inner kernel run on the unconstrained image of the target.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp};
/// use probrs::joint::Structure;
/// use probrs::mcmc::{sample_chain, HamiltonianMonteCarlo, SampleChainOptions, TransformedTransitionKernel};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// // Exponential(1) on x > 0, sampled by HMC on z = log x.
/// let target = |s: &Structure| s.as_tensor()?.neg();
/// let exp: Arc<dyn Bijector> = Arc::new(Exp::new());
/// let kernel = TransformedTransitionKernel::new(target, vec![exp], |t| HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.5], 4))?;
/// let run = sample_chain(500, &Structure::Tensor(Tensor::ones(&[4], DType::F64)?), None, &kernel, &SampleChainOptions::default(), |_, _| ())?;
/// assert!(run.all_states.as_tensor()?.to_vec()?.iter().all(|x| *x > 0.0));
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct TransformedTransitionKernel<K> {
    inner: K,
    target: Arc<TargetLogProbFn>,
    bijectors: Vec<Arc<dyn Bijector>>,
}

/// TFP's `TransformedTransitionKernelResults`.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp};
/// use probrs::joint::Structure;
/// use probrs::mcmc::{HamiltonianMonteCarlo, TransformedTransitionKernel, TransitionKernel};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let exp: Arc<dyn Bijector> = Arc::new(Exp::new());
/// let k = TransformedTransitionKernel::new(|s: &Structure| s.as_tensor()?.neg(), vec![exp], |t| HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.5], 4))?;
/// let r = k.bootstrap_results(&Structure::Tensor(Tensor::vector(&[1.0], DType::F64)?))?;
/// assert_eq!(r.transformed_state.as_tensor()?.to_vec()?, vec![0.0]); // log 1
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TransformedTransitionKernelResults<R> {
    /// The current state in unconstrained space.
    pub transformed_state: Structure,
    /// The inner kernel's results there.
    pub inner_results: R,
}

impl<K: TransitionKernel> TransformedTransitionKernel<K> {
    /// Builds the inner kernel with `make_inner_kernel`, which receives the unconstrained target
    /// `log π(f(z)) + log|det J_f(z)|`; `bijectors` has one bijector per state part.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp, Identity};
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{HamiltonianMonteCarlo, TransformedTransitionKernel, TransitionKernel};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let b: Vec<Arc<dyn Bijector>> = vec![Arc::new(Identity::new()), Arc::new(Exp::new())];
    /// let target = |s: &Structure| s.part(0)?.square()?.neg()?.sub(s.part(1)?);
    /// let k = TransformedTransitionKernel::new(target, b, |t| HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.3], 3))?;
    /// // One bijector per part: a state of one part is refused.
    /// assert!(k.bootstrap_results(&Structure::List(vec![Tensor::zeros(&[2], DType::F64)?])).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(
        target_log_prob_fn: impl Fn(&Structure) -> Result<Tensor> + Send + Sync + 'static,
        bijectors: Vec<Arc<dyn Bijector>>,
        make_inner_kernel: impl FnOnce(Arc<TargetLogProbFn>) -> Result<K>,
    ) -> Result<Self> {
        let target: Arc<TargetLogProbFn> = Arc::new(target_log_prob_fn);
        let (t, b) = (target.clone(), bijectors.clone());
        let transformed: Arc<TargetLogProbFn> = Arc::new(move |z: &Structure| {
            let x = map_parts(z, &b, true)?;
            let lp = t(&x)?;
            let chain_rank = lp.rank();
            let mut total = lp;
            for (part, bij) in z.tensors().iter().zip(&b) {
                let event_ndims = part.rank().checked_sub(chain_rank).ok_or_else(|| Error::invalid_shape("state part", part.shape(), "has fewer dimensions than the target's chains"))?;
                total = total.add(&bij.forward_log_det_jacobian(part, event_ndims)?)?;
            }
            Ok(total)
        });
        Ok(TransformedTransitionKernel { inner: make_inner_kernel(transformed)?, target, bijectors })
    }
    /// The inner kernel.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp};
    /// use probrs::joint::Structure;
    /// use probrs::mcmc::{HamiltonianMonteCarlo, TransformedTransitionKernel, TransitionKernel};
    /// use std::sync::Arc;
    /// let exp: Arc<dyn Bijector> = Arc::new(Exp::new());
    /// let k = TransformedTransitionKernel::new(|s: &Structure| s.as_tensor()?.neg(), vec![exp], |t| HamiltonianMonteCarlo::new(move |z: &Structure| t(z), vec![0.5], 4))?;
    /// assert!(k.inner_kernel().is_calibrated());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn inner_kernel(&self) -> &K {
        &self.inner
    }
}

impl<K: TransitionKernel> TransitionKernel for TransformedTransitionKernel<K> {
    type Results = TransformedTransitionKernelResults<K::Results>;
    fn one_step(&self, _current_state: &Structure, previous: &Self::Results, seed: Seed) -> Result<(Structure, Self::Results)> {
        let (z, inner_results) = self.inner.one_step(&previous.transformed_state, &previous.inner_results, seed)?;
        Ok((map_parts(&z, &self.bijectors, true)?, TransformedTransitionKernelResults { transformed_state: z, inner_results }))
    }
    fn bootstrap_results(&self, init_state: &Structure) -> Result<Self::Results> {
        // The target must be finite at the initial state in its own space, too.
        super::kernel::target_at(self.target.as_ref(), init_state, true)?;
        let z = map_parts(init_state, &self.bijectors, false)?;
        Ok(TransformedTransitionKernelResults { inner_results: self.inner.bootstrap_results(&z)?, transformed_state: z })
    }
    fn is_calibrated(&self) -> bool {
        self.inner.is_calibrated()
    }
}
