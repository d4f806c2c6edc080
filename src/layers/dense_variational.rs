//! TFP's `tfp.layers.DenseVariational(units, make_posterior_fn, make_prior_fn, kl_weight,
//! kl_use_exact)`: a dense layer whose kernel and bias, flattened into one vector of
//! `in·units + units` weights, have any posterior and any prior the user builds — each from
//! `(kernel_size, bias_size, dtype)`, as TFP's — and the divergence between them as its loss:
//!
//! ```text
//! w ~ q (one reparameterized draw per call)   kernel = w[..in·units] as [in, units], bias = the rest
//! outputs = activation(inputs · kernel + bias)
//! loss    = kl_weight · (KL[q ‖ p] exact, or log q(w) − log p(w) at the same draw)   (KLDivergenceRegularizer)
//! ```
//!
//! [`posterior_mean_field`] and [`prior_trainable`] are the builders of TFP's "Probabilistic
//! Layers Regression" tutorial (a mean-field Normal posterior with scale
//! `1e-5 + softplus(log(e − 1) + ρ)`, and a Normal(·, 1) prior with a learnable mean; both start
//! at zeros).

use std::sync::{Arc, Mutex, OnceLock};

use crate::distributions::{Distribution, Independent, Normal};
use crate::error::{Error, Result};
use crate::params::{DeferredTensor, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::dense::check_input;
use super::kl_divergence::KLDivergenceRegularizer;
use super::layer::{layer_builders, Layer};

/// A builder of the distribution over a layer's weights: `(kernel_size, bias_size, dtype)`.
/// The input width, the posterior and the prior, made at the first call.
type Built = (usize, Arc<dyn Distribution>, Arc<dyn Distribution>);

type MakeWeightsFn = Box<dyn Fn(usize, usize, DType) -> Result<Arc<dyn Distribution>> + Send + Sync>;

/// The layer.
///
/// ```
/// use probrs::layers::{posterior_mean_field, prior_trainable, DenseVariational, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let layer = DenseVariational::new(1, posterior_mean_field, prior_trainable)?.with_kl_weight(1.0 / 100.0);
/// let y = layer.call(&Tensor::ones(&[8, 3], DType::F32)?, Seed::new(0))?;
/// assert_eq!(y.shape(), &[8, 1]);
/// // Posterior loc and ρ (2·4 weights) and the prior's mean (4 weights).
/// assert_eq!(layer.trainable_variables().iter().map(|v| v.shape()[0]).collect::<Vec<_>>(), vec![8, 4]);
/// assert!(layer.losses()?[0].to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct DenseVariational {
    units: usize,
    make_posterior_fn: MakeWeightsFn,
    make_prior_fn: MakeWeightsFn,
    kl_weight: Option<f64>,
    kl_use_exact: bool,
    activation: Activation,
    use_bias: bool,
    name: String,
    dtype: DType,
    built: OnceLock<Built>,
    last_kl: Mutex<Option<Tensor>>,
}

impl DenseVariational {
    /// `units` outputs with the weight distributions `make_posterior_fn` and `make_prior_fn`
    /// build (TFP's defaults: Monte Carlo KL, no weight, linear, with a bias, float32).
    ///
    /// ```
    /// use probrs::layers::{posterior_mean_field, prior_trainable, DenseVariational};
    /// assert!(DenseVariational::new(0, posterior_mean_field, prior_trainable).is_err());
    /// ```
    pub fn new(
        units: usize,
        make_posterior_fn: impl Fn(usize, usize, DType) -> Result<Arc<dyn Distribution>> + Send + Sync + 'static,
        make_prior_fn: impl Fn(usize, usize, DType) -> Result<Arc<dyn Distribution>> + Send + Sync + 'static,
    ) -> Result<Self> {
        if units == 0 {
            return Err(Error::invalid_parameter("units", "a dense_variational layer needs at least one unit"));
        }
        Ok(DenseVariational {
            units,
            make_posterior_fn: Box::new(make_posterior_fn),
            make_prior_fn: Box::new(make_prior_fn),
            kl_weight: None,
            kl_use_exact: false,
            activation: Activation::Linear,
            use_bias: true,
            name: "dense_variational".into(),
            dtype: DType::F32,
            built: OnceLock::new(),
            last_kl: Mutex::new(None),
        })
    }

    /// The KL term's weight (TFP's `kl_weight`, typically `1 / num_train`).
    ///
    /// ```
    /// use probrs::layers::{posterior_mean_field, prior_trainable, DenseVariational};
    /// let _ = DenseVariational::new(2, posterior_mean_field, prior_trainable)?.with_kl_weight(0.01);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_kl_weight(mut self, kl_weight: f64) -> Self {
        self.kl_weight = Some(kl_weight);
        self
    }

    /// Exact KL through the registry (TFP's `kl_use_exact=True`) instead of the Monte Carlo
    /// estimate at the call's draw.
    ///
    /// ```
    /// use probrs::layers::{posterior_mean_field, prior_trainable, DenseVariational, Layer};
    /// let layer = DenseVariational::new(1, posterior_mean_field, prior_trainable)?.with_kl_use_exact(true);
    /// layer.call(&probrs::tensor::Tensor::ones(&[2, 1], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
    /// // At the start both are N(0, ·) with scale 1 + 1e-5 against 1: a KL near 0.
    /// assert!(layer.losses()?[0].to_scalar()?.abs() < 1e-3);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_kl_use_exact(mut self, exact: bool) -> Self {
        self.kl_use_exact = exact;
        self
    }

    /// The posterior and prior over the flattened weights, once built.
    ///
    /// ```
    /// use probrs::distributions::Distribution;
    /// use probrs::layers::{posterior_mean_field, prior_trainable, DenseVariational, Layer};
    /// let layer = DenseVariational::new(2, posterior_mean_field, prior_trainable)?;
    /// assert!(layer.posterior_and_prior().is_none());
    /// layer.call(&probrs::tensor::Tensor::ones(&[1, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
    /// assert_eq!(layer.posterior_and_prior().unwrap()[0].event_shape(), vec![8]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn posterior_and_prior(&self) -> Option<[&Arc<dyn Distribution>; 2]> {
        self.built.get().map(|(_, q, p)| [q, p])
    }
}

layer_builders!([] DenseVariational, "DenseVariational::new(2, probrs::layers::posterior_mean_field, probrs::layers::prior_trainable)?");

impl Layer for DenseVariational {
    fn call(&self, inputs: &Tensor, seed: Seed) -> Result<Tensor> {
        let in_size = check_input(&self.name, inputs, self.built.get().map(|b| b.0))?;
        let (_, q, p) = match self.built.get() {
            Some(b) => b,
            None => {
                let (k, b) = (in_size * self.units, if self.use_bias { self.units } else { 0 });
                let q = (self.make_posterior_fn)(k, b, self.dtype)?;
                let p = (self.make_prior_fn)(k, b, self.dtype)?;
                for (what, d) in [("make_posterior_fn", &q), ("make_prior_fn", &p)] {
                    if d.event_shape() != [k + b] || !d.batch_shape().is_empty() {
                        return Err(Error::ShapeMismatch { context: format!("layer `{}`: {what}'s distribution vs the {k} + {b} weights", self.name), lhs: [d.batch_shape(), d.event_shape()].concat(), rhs: vec![k + b] });
                    }
                }
                let _ = self.built.set((in_size, q, p));
                self.built.get().expect("set above")
            }
        };
        let w = q.sample(&[], seed)?;
        let mut penalty = KLDivergenceRegularizer::from_arc(p.clone()).with_exact_kl(self.kl_use_exact);
        if let Some(c) = self.kl_weight {
            penalty = penalty.with_weight(c);
        }
        *self.last_kl.lock().unwrap_or_else(|e| e.into_inner()) = Some(penalty.call(q.as_ref(), Some(&w))?);
        let n_kernel = in_size * self.units;
        let kernel = w.narrow(0, 0, n_kernel)?.reshape(&[in_size, self.units])?;
        let mut out = inputs.to_dtype(self.dtype)?.matmul(&kernel)?;
        if self.use_bias {
            out = out.bias_add(&w.narrow(0, n_kernel, self.units)?)?;
        }
        self.activation.apply(&out)
    }

    fn trainable_variables(&self) -> Vec<Variable> {
        self.built.get().map_or(vec![], |(_, q, p)| q.trainable_variables().into_iter().chain(p.trainable_variables()).collect())
    }

    fn losses(&self) -> Result<Vec<Tensor>> {
        Ok(self.last_kl.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect())
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// TFP's tutorial posterior: `Independent(Normal(t[..n], 1e-5 + softplus(log(e − 1) + t[n..])))`
/// over `n = kernel_size + bias_size` weights, `t` one variable of `2n` zeros (so it starts at
/// `N(0, (1 + 1e-5)²)`).
///
/// ```
/// use probrs::distributions::Distribution;
/// let q = probrs::layers::posterior_mean_field(3, 1, probrs::tensor::DType::F64)?;
/// assert_eq!(q.event_shape(), vec![4]);
/// assert!(q.stddev()?.to_vec()?.iter().all(|s| (s - 1.0).abs() < 1e-4));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn posterior_mean_field(kernel_size: usize, bias_size: usize, dtype: DType) -> Result<Arc<dyn Distribution>> {
    let n = kernel_size + bias_size;
    let t = Variable::new(&Tensor::zeros(&[2 * n], dtype)?, "posterior_mean_field/constant")?;
    let c = (std::f64::consts::E - 1.0).ln();
    let loc = DeferredTensor::new(t.clone(), move |v| v.narrow(0, 0, n));
    let scale = DeferredTensor::new(t, move |v| v.narrow(0, n, n)?.add_scalar(c)?.softplus()?.add_scalar(1e-5));
    Ok(Arc::new(Independent::new(Normal::new(loc, scale)?, 1)?))
}

/// TFP's tutorial prior: `Independent(Normal(t, 1))` with `t` a variable of `n` zeros (a learned
/// prior mean: empirical Bayes).
///
/// ```
/// use probrs::distributions::Distribution;
/// let p = probrs::layers::prior_trainable(3, 1, probrs::tensor::DType::F64)?;
/// assert_eq!((p.event_shape(), p.trainable_variables().len()), (vec![4], 1));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn prior_trainable(kernel_size: usize, bias_size: usize, dtype: DType) -> Result<Arc<dyn Distribution>> {
    let t = Variable::new(&Tensor::zeros(&[kernel_size + bias_size], dtype)?, "prior_trainable/constant")?;
    Ok(Arc::new(Independent::new(Normal::new(t, Tensor::scalar(1.0, dtype)?)?, 1)?))
}
