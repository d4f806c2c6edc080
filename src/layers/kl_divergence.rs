//! TFP's `KLDivergenceRegularizer` and `KLDivergenceAddLoss`: the divergence of a layer's
//! output distribution `a` (a VAE's posterior `q(z | x)`) from a fixed or learnable `b` (the
//! prior), added to the model's loss:
//!
//! ```text
//! exact:        KL[a ‖ b]                                  (the KL registry)
//! Monte Carlo:  log a(z) − log b(z),  z the test points    (TFP's default: z = a's sample)
//! loss = Σ_batch weight · KL                               (weight 1 when unset)
//! ```
//!
//! The Monte Carlo form works for any prior with a `log_prob` — TFP's VAE example's learnable
//! mixture prior, which has no closed-form KL.

use std::sync::{Arc, Mutex};

use crate::distributions::{kl_divergence, Distribution};
use crate::error::Result;
use crate::params::Variable;
use crate::tensor::Tensor;

/// The KL penalty of a distribution from `distribution_b`.
///
/// ```
/// use probrs::distributions::{Independent, Normal};
/// use probrs::layers::KLDivergenceRegularizer;
/// use probrs::tensor::{DType, Tensor};
/// let prior = Independent::new(Normal::new(Tensor::zeros(&[2], DType::F64)?, 1.0)?, 1)?;
/// let q = Independent::new(Normal::new(Tensor::from_slice(&[1.0, 0.0, 0.0, 0.0], &[2, 2], DType::F64)?, 1.0)?, 1)?;
/// // Exact: KL(N(μ, 1) ‖ N(0, 1)) = μ²/2 summed over the batch.
/// let kl = KLDivergenceRegularizer::new(prior).with_exact_kl(true).call(&q, None)?;
/// assert!((kl.to_scalar()? - 0.5).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct KLDivergenceRegularizer {
    distribution_b: Arc<dyn Distribution>,
    use_exact_kl: bool,
    weight: Option<f64>,
}

impl KLDivergenceRegularizer {
    /// The regularizer towards `distribution_b` (TFP's defaults: Monte Carlo, no weight).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// let _ = probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(distribution_b: impl Distribution + 'static) -> Self {
        Self::from_arc(Arc::new(distribution_b))
    }

    /// As [`new`](Self::new), from a shared distribution (a learnable prior used elsewhere too).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let p: Arc<dyn probrs::distributions::Distribution> = Arc::new(probrs::distributions::Normal::new(0.0, 1.0)?);
    /// let _ = probrs::layers::KLDivergenceRegularizer::from_arc(p);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_arc(distribution_b: Arc<dyn Distribution>) -> Self {
        KLDivergenceRegularizer { distribution_b, use_exact_kl: false, weight: None }
    }

    /// Exact KL through the registry (`true`) or the Monte Carlo estimate (`false`, default).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// let _ = probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?).with_exact_kl(true);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_exact_kl(mut self, use_exact_kl: bool) -> Self {
        self.use_exact_kl = use_exact_kl;
        self
    }

    /// A multiplier of each batch member's KL (TFP's `weight`).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::layers::KLDivergenceRegularizer;
    /// use probrs::tensor::{DType, Tensor};
    /// let q = Normal::new(Tensor::vector(&[1.0], DType::F32)?, 1.0)?;
    /// let kl = KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?).with_exact_kl(true).with_weight(4.0).call(&q, None)?;
    /// assert!((kl.to_scalar()? - 2.0).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_weight(mut self, weight: f64) -> Self {
        self.weight = Some(weight);
        self
    }

    /// The prior's trainable variables (a learnable prior is trained with the model).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// assert!(probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?).trainable_variables().is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trainable_variables(&self) -> Vec<Variable> {
        self.distribution_b.trainable_variables()
    }

    /// `Σ weight · KL[a ‖ b]` over `a`'s batch: exact, or `log a(z) − log b(z)` at the test
    /// points `z` (the sample the model drew from `a`; required for Monte Carlo).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::layers::KLDivergenceRegularizer;
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let q = Normal::new(Tensor::vector(&[1.0, -1.0], DType::F32)?, 1.0)?;
    /// let z = q.sample(&[], Seed::new(0))?;
    /// let reg = KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?);
    /// let mc = reg.call(&q, Some(&z))?.to_scalar()?;
    /// let zv = z.to_vec()?;
    /// // log N(z; μ, 1) − log N(z; 0, 1) = μ z − μ²/2, summed.
    /// assert!((mc - (zv[0] - zv[1] - 1.0)).abs() < 1e-6);
    /// assert!(reg.call(&q, None).is_err()); // Monte Carlo needs test points
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call(&self, distribution_a: &dyn Distribution, test_points: Option<&Tensor>) -> Result<Tensor> {
        let kl = if self.use_exact_kl {
            kl_divergence(distribution_a, self.distribution_b.as_ref())?
        } else {
            let z = test_points.ok_or_else(|| crate::error::Error::invalid_parameter("test_points", "the Monte Carlo KL needs the sample drawn from the distribution (or use_exact_kl)"))?;
            distribution_a.log_prob(z)?.sub(&self.distribution_b.log_prob(z)?)?
        };
        self.weighted_sum(kl)
    }

    /// The Monte Carlo penalty `Σ weight · (log a(z) − log b(z))` at draws `z` whose
    /// log-density under `a` came with them (`Distribution::sample_and_log_prob`): what TFP's
    /// regularizer computes at a sample its bijector cache still holds, without evaluating
    /// `a.log_prob(z)` again (for a `MultivariateNormalTriL`, no triangular solve). Same value and
    /// gradients as [`KLDivergenceRegularizer::call`] at the same draws; with `use_exact_kl` it
    /// is that KL, as `call`.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::layers::KLDivergenceRegularizer;
    /// use probrs::random::Seed;
    /// use probrs::tensor::{DType, Tensor};
    /// let q = Normal::new(Tensor::vector(&[1.0, -1.0], DType::F32)?, 2.0)?;
    /// let (z, log_q) = q.sample_and_log_prob(&[], Seed::new(0))?;
    /// let reg = KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?);
    /// let a = reg.call_with_log_prob(&q, &z, &log_q)?.to_scalar()?;
    /// assert!((a - reg.call(&q, Some(&z))?.to_scalar()?).abs() < 1e-5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call_with_log_prob(&self, distribution_a: &dyn Distribution, test_points: &Tensor, log_prob_a: &Tensor) -> Result<Tensor> {
        if self.use_exact_kl {
            return self.call(distribution_a, Some(test_points));
        }
        self.weighted_sum(log_prob_a.sub(&self.distribution_b.log_prob(test_points)?)?)
    }

    fn weighted_sum(&self, kl: Tensor) -> Result<Tensor> {
        let kl = match self.weight {
            Some(w) => kl.mul_scalar(w)?,
            None => kl,
        };
        kl.sum_all()
    }
}

/// TFP's `KLDivergenceAddLoss`: the regularizer as a pass-through step that records its loss
/// (Keras's `add_loss`), collected by [`losses`](Self::losses).
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::layers::{KLDivergenceAddLoss, KLDivergenceRegularizer};
/// use probrs::tensor::{DType, Tensor};
/// let add = KLDivergenceAddLoss::new(KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?).with_exact_kl(true));
/// assert!(add.losses().is_empty());
/// let q = Normal::new(Tensor::vector(&[2.0], DType::F32)?, 1.0)?;
/// add.call(&q, None)?;
/// assert!((add.losses()[0].to_scalar()? - 2.0).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct KLDivergenceAddLoss {
    regularizer: KLDivergenceRegularizer,
    last: Mutex<Option<Tensor>>,
}

impl KLDivergenceAddLoss {
    /// The pass-through step of `regularizer`.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// let _ = probrs::layers::KLDivergenceAddLoss::new(probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(regularizer: KLDivergenceRegularizer) -> Self {
        KLDivergenceAddLoss { regularizer, last: Mutex::new(None) }
    }

    /// Records the penalty of `distribution_a` (at `test_points` for Monte Carlo) as the loss.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, Normal};
    /// use probrs::tensor::{DType, Tensor};
    /// let add = probrs::layers::KLDivergenceAddLoss::new(probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?));
    /// let q = Normal::new(Tensor::vector(&[0.0], DType::F32)?, 1.0)?;
    /// add.call(&q, Some(&Tensor::vector(&[0.3], DType::F32)?))?;
    /// assert!(add.losses()[0].to_scalar()?.abs() < 1e-6); // q = b: zero at any point
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call(&self, distribution_a: &dyn Distribution, test_points: Option<&Tensor>) -> Result<()> {
        let kl = self.regularizer.call(distribution_a, test_points)?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(kl);
        Ok(())
    }

    /// The latest call's penalty (none before the first).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// assert!(probrs::layers::KLDivergenceAddLoss::new(probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?)).losses().is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn losses(&self) -> Vec<Tensor> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    /// The prior's trainable variables.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// assert!(probrs::layers::KLDivergenceAddLoss::new(probrs::layers::KLDivergenceRegularizer::new(Normal::new(0.0, 1.0)?)).trainable_variables().is_empty());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trainable_variables(&self) -> Vec<Variable> {
        self.regularizer.trainable_variables()
    }
}
