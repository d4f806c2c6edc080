//! What TFP's variational dense and convolution layers share
//! (`tfp.layers.dense_variational._DenseVariational`, `conv_variational._ConvVariational` and
//! `tfp.layers.util`): the default posterior and prior builders, and the layer core — the
//! kernel's and bias's posteriors made at the first call (a dense kernel `[in, units]`, a
//! convolution's `[k_1..k_R, in_channels, filters]`), the bias and activation applied after the
//! layer's kernel estimator, and the KL divergence added as the layer's loss.
//!
//! ```text
//! q(W) = Π N(loc, ε + softplus(ρ))      loc ~ N(0, 0.1²), ρ ~ N(−3, 0.1²) at build (TFP's defaults)
//! q(b) = δ(loc_b)                        Deterministic (is_singular), loc_b ~ N(0, 0.1²)
//! p(W) = Π N(0, 1)                       default_multivariate_normal_fn; no bias prior
//! loss = KL(q(W) ‖ p(W))                 analytic (Independent Normal ‖ Independent Normal)
//! ```

use std::sync::OnceLock;

use crate::distributions::{kl_divergence, Independent, Normal};
use crate::error::{Error, Result};
use crate::params::Variable;
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::convolution::check_channels;
use super::dense::check_input;

/// TFP's `default_mean_field_normal_fn` settings: how a mean-field Normal (or, `is_singular`,
/// Deterministic) posterior over a parameter is initialized.
///
/// ```
/// let f = probrs::layers::default_mean_field_normal_fn(false);
/// assert_eq!((f.loc_stddev, f.untransformed_scale_mean, f.untransformed_scale_stddev), (0.1, -3.0, 0.1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanFieldNormalFn {
    /// A point mass at `loc` (no scale variable).
    pub is_singular: bool,
    /// `loc` starts `N(0, loc_stddev²)`.
    pub loc_stddev: f64,
    /// The untransformed scale ρ starts `N(untransformed_scale_mean, untransformed_scale_stddev²)`.
    pub untransformed_scale_mean: f64,
    /// See `untransformed_scale_mean`.
    pub untransformed_scale_stddev: f64,
}

/// TFP's `default_mean_field_normal_fn(is_singular)`: `loc ~ N(0, 0.1²)`, `ρ ~ N(−3, 0.1²)`,
/// scale `ε + softplus(ρ)` (ε the dtype's machine epsilon).
///
/// ```
/// assert!(probrs::layers::default_mean_field_normal_fn(true).is_singular);
/// ```
pub fn default_mean_field_normal_fn(is_singular: bool) -> MeanFieldNormalFn {
    MeanFieldNormalFn { is_singular, loc_stddev: 0.1, untransformed_scale_mean: -3.0, untransformed_scale_stddev: 0.1 }
}

impl MeanFieldNormalFn {
    /// The posterior over a parameter of `shape`, its variables named `{name}_loc` and
    /// `{name}_untransformed_scale`.
    ///
    /// ```
    /// use probrs::layers::default_mean_field_normal_fn;
    /// use probrs::random::Seed;
    /// use probrs::tensor::DType;
    /// let q = default_mean_field_normal_fn(false).build(DType::F64, &[3, 2], "kernel_posterior", Seed::new(0))?;
    /// let s = q.scale()?.unwrap().to_vec()?;
    /// assert!(s.iter().all(|s| (s - 0.0486).abs() < 0.01)); // softplus(−3 ± 0.3)
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn build(&self, dtype: DType, shape: &[usize], name: &str, seed: Seed) -> Result<MeanFieldNormal> {
        let loc = Variable::new(&random::normal(shape, dtype, seed.fold_in(0))?.mul_scalar(self.loc_stddev)?, format!("{name}_loc"))?;
        let untransformed_scale = if self.is_singular {
            None
        } else {
            let rho = random::normal(shape, dtype, seed.fold_in(1))?.affine(self.untransformed_scale_stddev, self.untransformed_scale_mean)?;
            Some(Variable::new(&rho, format!("{name}_untransformed_scale"))?)
        };
        Ok(MeanFieldNormal { loc, untransformed_scale })
    }
}

/// A built mean-field posterior: `loc` and, unless singular, the untransformed scale.
///
/// ```
/// use probrs::layers::default_mean_field_normal_fn;
/// use probrs::random::Seed;
/// use probrs::tensor::DType;
/// let q = default_mean_field_normal_fn(true).build(DType::F32, &[4], "bias_posterior", Seed::new(1))?;
/// assert!(q.scale()?.is_none() && q.variables().len() == 1);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct MeanFieldNormal {
    loc: Variable,
    untransformed_scale: Option<Variable>,
}

impl MeanFieldNormal {
    /// The location.
    ///
    /// ```
    /// use probrs::layers::default_mean_field_normal_fn;
    /// let q = default_mean_field_normal_fn(true).build(probrs::tensor::DType::F32, &[2], "b", probrs::random::Seed::new(1))?;
    /// assert_eq!(q.loc().shape(), &[2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn loc(&self) -> Tensor {
        self.loc.value()
    }

    /// The scale `ε + softplus(ρ)`, `None` for a point mass.
    ///
    /// ```
    /// use probrs::layers::default_mean_field_normal_fn;
    /// let q = default_mean_field_normal_fn(false).build(probrs::tensor::DType::F32, &[2], "k", probrs::random::Seed::new(1))?;
    /// assert!(q.scale()?.unwrap().to_vec()?.iter().all(|s| *s > 0.0));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn scale(&self) -> Result<Option<Tensor>> {
        self.untransformed_scale
            .as_ref()
            .map(|rho| {
                let v = rho.value();
                let eps = if v.dtype() == DType::F32 { f32::EPSILON as f64 } else { f64::EPSILON };
                v.softplus()?.add_scalar(eps)
            })
            .transpose()
    }

    /// Its variables: `loc`, then the untransformed scale.
    ///
    /// ```
    /// use probrs::layers::default_mean_field_normal_fn;
    /// let q = default_mean_field_normal_fn(false).build(probrs::tensor::DType::F32, &[2], "k", probrs::random::Seed::new(1))?;
    /// assert_eq!(q.variables()[1].name(), "k_untransformed_scale");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn variables(&self) -> Vec<Variable> {
        std::iter::once(self.loc.clone()).chain(self.untransformed_scale.clone()).collect()
    }
}

/// TFP's `default_multivariate_normal_fn`: the standard normal prior over every entry.
///
/// ```
/// use probrs::layers::default_multivariate_normal_fn;
/// use probrs::distributions::Distribution;
/// let p = default_multivariate_normal_fn(probrs::tensor::DType::F64, &[3, 2])?;
/// assert_eq!(p.event_shape(), vec![3, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn default_multivariate_normal_fn(dtype: DType, shape: &[usize]) -> Result<Independent> {
    Independent::new(Normal::new(Tensor::zeros(shape, dtype)?, Tensor::scalar(1.0, dtype)?)?, shape.len() as isize)
}

/// The prior a variational layer's kernel is held to (TFP's `kernel_prior_fn`); this version
/// has TFP's default only.
///
/// ```
/// assert_eq!(probrs::layers::StandardNormalPrior, probrs::layers::StandardNormalPrior::default());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StandardNormalPrior;

/// The core of TFP's variational dense and convolution layers: units (filters), activation,
/// name, seed and dtype, the kernel and bias posteriors (built at the first call), the bias and
/// activation, the KL loss. [`DenseReparameterization`](super::DenseReparameterization),
/// [`DenseLocalReparameterization`](super::DenseLocalReparameterization) and
/// [`DenseFlipout`](super::DenseFlipout) differ only in how they draw `inputs · W`, and the
/// convolution layers in how they draw `conv(inputs, W)`.
///
/// ```
/// use probrs::layers::{Layer, DenseReparameterization};
/// let layer = DenseReparameterization::new(3)?;
/// assert_eq!(layer.core().units(), 3);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct VariationalCore {
    units: usize,
    /// A convolution's window `[k_1..k_R]` (its inputs `[batch, R spatial, channels]`); `None`
    /// for a dense layer.
    window: Option<Vec<usize>>,
    activation: Activation,
    name: String,
    seed: Seed,
    dtype: DType,
    kernel_posterior_fn: MeanFieldNormalFn,
    bias_posterior_fn: Option<MeanFieldNormalFn>,
    built: OnceLock<(MeanFieldNormal, Option<MeanFieldNormal>)>,
    /// The KL term of the latest call (Keras's `add_loss` in `call`), from the same scale.
    last_kl: std::sync::Mutex<Option<Tensor>>,
}

impl VariationalCore {
    pub(super) fn new(units: usize, name: &str) -> Result<Self> {
        if units == 0 {
            return Err(Error::invalid_parameter("units", format!("a {name} layer needs at least one unit")));
        }
        Ok(VariationalCore {
            units,
            window: None,
            activation: Activation::Linear,
            name: name.into(),
            seed: Seed::new(0),
            dtype: DType::F32,
            kernel_posterior_fn: default_mean_field_normal_fn(false),
            bias_posterior_fn: Some(default_mean_field_normal_fn(true)),
            built: OnceLock::new(),
            last_kl: std::sync::Mutex::new(None),
        })
    }

    /// The core of a convolution over the window `kernel_size` with `filters` outputs.
    pub(super) fn new_conv(filters: usize, kernel_size: &[usize], name: &str) -> Result<Self> {
        if kernel_size.contains(&0) {
            return Err(Error::invalid_parameter("kernel_size", format!("layer `{name}`: every entry must be positive, got {kernel_size:?}")));
        }
        Ok(VariationalCore { window: Some(kernel_size.to_vec()), ..VariationalCore::new(filters, name)? })
    }

    /// The number of outputs (a convolution's filters).
    ///
    /// ```
    /// assert_eq!(probrs::layers::DenseFlipout::new(7)?.core().units(), 7);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn units(&self) -> usize {
        self.units
    }

    /// The kernel's posterior, once built.
    ///
    /// ```
    /// use probrs::layers::{DenseFlipout, Layer};
    /// let layer = DenseFlipout::new(2)?;
    /// assert!(layer.core().kernel_posterior().is_none());
    /// layer.call(&probrs::tensor::Tensor::ones(&[1, 3], probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;
    /// assert_eq!(layer.core().kernel_posterior().unwrap().loc().shape(), &[3, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn kernel_posterior(&self) -> Option<&MeanFieldNormal> {
        self.built.get().map(|(k, _)| k)
    }

    pub(super) fn set_activation(&mut self, a: Activation) {
        self.activation = a;
    }
    pub(super) fn set_name(&mut self, n: String) {
        self.name = n;
    }
    pub(super) fn set_seed(&mut self, s: u64) {
        self.seed = Seed::new(s);
    }
    pub(super) fn set_dtype(&mut self, d: DType) {
        self.dtype = d;
    }
    pub(super) fn set_bias(&mut self, b: Option<MeanFieldNormalFn>) {
        self.bias_posterior_fn = b;
    }
    pub(super) fn set_kernel_posterior_fn(&mut self, f: MeanFieldNormalFn) {
        self.kernel_posterior_fn = f;
    }

    /// The inputs in the layer's dtype with the kernel's posterior (`loc`, `scale`), built
    /// at the first call; errors name the layer and the shapes.
    pub(super) fn prepare(&self, inputs: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let built_in = self.built.get().map(|(k, _)| k.loc().shape()[k.loc().rank() - 2]);
        let in_size = match &self.window {
            None => check_input(&self.name, inputs, built_in)?,
            Some(w) => check_channels(&self.name, inputs, w.len(), built_in)?,
        };
        let (kernel, _) = match self.built.get() {
            Some(b) => b,
            None => {
                let mut shape = self.window.clone().unwrap_or_default();
                shape.extend_from_slice(&[in_size, self.units]);
                let kernel = self.kernel_posterior_fn.build(self.dtype, &shape, &format!("{}/kernel_posterior", self.name), self.seed.fold_in(0))?;
                let bias = self.bias_posterior_fn.map(|f| f.build(self.dtype, &[self.units], &format!("{}/bias_posterior", self.name), self.seed.fold_in(1))).transpose()?;
                let _ = self.built.set((kernel, bias));
                self.built.get().expect("set above")
            }
        };
        let scale = kernel.scale()?.ok_or_else(|| Error::invalid_parameter("kernel_posterior_fn", format!("layer `{}` needs a Normal kernel posterior (is_singular = false)", self.name)))?;
        let loc = kernel.loc();
        let kl = self.kl_of(&loc, &scale)?;
        *self.last_kl.lock().unwrap_or_else(|e| e.into_inner()) = Some(kl);
        Ok((inputs.to_dtype(self.dtype)?, loc, scale))
    }

    /// `activation(outputs + bias)`, the bias a draw of its posterior (its `loc` for the
    /// default point mass).
    pub(super) fn finish(&self, outputs: Tensor, seed: Seed) -> Result<Tensor> {
        let mut out = outputs;
        if let Some((_, Some(bias))) = self.built.get() {
            let b = match bias.scale()? {
                None => bias.loc(),
                Some(s) => bias.loc().add(&s.mul(&random::normal(bias.loc().shape(), self.dtype, seed)?)?)?,
            };
            out = out.bias_add(&b)?;
        }
        self.activation.apply(&out)
    }

    pub(super) fn variables(&self) -> Vec<Variable> {
        self.built.get().map_or(vec![], |(k, b)| k.variables().into_iter().chain(b.iter().flat_map(|b| b.variables())).collect())
    }

    /// KL(q(W) ‖ p(W)) of the latest call (computed there from the scale the call used, as
    /// Keras's `add_loss` in `call`: after an optimizer step, call the layer again for the new
    /// value); before any call, none.
    pub(super) fn kl(&self) -> Result<Vec<Tensor>> {
        Ok(self.last_kl.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect())
    }

    /// KL(N(loc, scale) ‖ N(0, 1)) summed over the kernel, analytic through the KL registry
    /// (TFP's default `kernel_divergence_fn`).
    fn kl_of(&self, loc: &Tensor, scale: &Tensor) -> Result<Tensor> {
        let q = Independent::new(Normal::new(loc.clone(), scale.clone())?, loc.rank() as isize)?;
        let p = default_multivariate_normal_fn(self.dtype, loc.shape())?;
        kl_divergence(&q, &p)
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

/// What every variational layer has, on its `core` field: the builder methods and the
/// [`Layer`](super::Layer) implementation around the type's own `kernel_outputs(x, loc, scale,
/// seed)` (its estimator of `inputs · W`, or of the convolution). The arguments: the type's
/// generic parameters in brackets, the type, and for the doc examples a constructor call and an
/// input shape it accepts.
macro_rules! variational_builders {
    ([$($gen:tt)*] $t:ty, $doc_new:literal, $doc_in:literal) => {
        impl<$($gen)*> crate::layers::Layer for $t {
            fn call(&self, inputs: &crate::tensor::Tensor, seed: crate::random::Seed) -> crate::error::Result<crate::tensor::Tensor> {
                let (x, loc, scale) = self.core.prepare(inputs)?;
                let [s_kernel, s_bias] = seed.split2();
                let out = self.kernel_outputs(&x, &loc, &scale, s_kernel)?;
                self.core.finish(out, s_bias)
            }

            fn trainable_variables(&self) -> Vec<crate::params::Variable> {
                self.core.variables()
            }

            fn losses(&self) -> crate::error::Result<Vec<crate::tensor::Tensor>> {
                self.core.kl()
            }

            fn name(&self) -> &str {
                self.core.name()
            }
        }

        impl<$($gen)*> $t {
            /// With an activation.
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_activation(probrs::layers::Activation::Relu);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_activation(mut self, activation: crate::layers::Activation) -> Self {
                self.core.set_activation(activation);
                self
            }
            /// With a name (the prefix of its variables' names).
            ///
            /// ```
            /// use probrs::layers::Layer;
            #[doc = concat!("assert_eq!(probrs::layers::", $doc_new, ".with_name(\"out\").name(), \"out\");")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_name(mut self, name: impl Into<String>) -> Self {
                self.core.set_name(name.into());
                self
            }
            /// With the seed its variables are initialized from (its noise comes from each
            /// call's seed).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_seed(3);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_seed(mut self, seed: u64) -> Self {
                self.core.set_seed(seed);
                self
            }
            /// With the dtype of its variables (float32 by default).
            ///
            /// ```
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_dtype(probrs::tensor::DType::F64);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_dtype(mut self, dtype: crate::tensor::DType) -> Self {
                self.core.set_dtype(dtype);
                self
            }
            /// With another kernel posterior initialization (TFP's `kernel_posterior_fn`).
            ///
            /// ```
            /// use probrs::layers::default_mean_field_normal_fn;
            /// let f = probrs::layers::MeanFieldNormalFn { untransformed_scale_mean: -5.0, ..default_mean_field_normal_fn(false) };
            #[doc = concat!("let _ = probrs::layers::", $doc_new, ".with_kernel_posterior_fn(f);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_kernel_posterior_fn(mut self, f: crate::layers::MeanFieldNormalFn) -> Self {
                self.core.set_kernel_posterior_fn(f);
                self
            }
            /// With another bias posterior (TFP's `bias_posterior_fn`), or none (no bias).
            ///
            /// ```
            /// use probrs::layers::Layer;
            #[doc = concat!("let layer = probrs::layers::", $doc_new, ".with_bias_posterior_fn(None);")]
            #[doc = concat!("layer.call(&probrs::tensor::Tensor::ones(&", $doc_in, ", probrs::tensor::DType::F32)?, probrs::random::Seed::new(0))?;")]
            /// assert_eq!(layer.trainable_variables().len(), 2);
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn with_bias_posterior_fn(mut self, f: Option<crate::layers::MeanFieldNormalFn>) -> Self {
                self.core.set_bias(f);
                self
            }
            /// The shared variational core (posteriors, units).
            ///
            /// ```
            #[doc = concat!("assert_eq!(probrs::layers::", $doc_new, ".core().units(), 4);")]
            /// # Ok::<(), probrs::Error>(())
            /// ```
            pub fn core(&self) -> &crate::layers::VariationalCore {
                &self.core
            }
        }
    };
}
pub(super) use variational_builders;
