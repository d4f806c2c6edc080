//! Neural building blocks and TFP's probabilistic layers (`tf.keras.layers`, `tfp.layers`), on
//! the tensor facade:
//!
//! - [`Layer`]: a layer is called like a function on a batch of inputs with a seed for its
//!   stochastic parts; it owns its variables (made at the first call, from the input's last
//!   dimension, as Keras builds) and reports its added losses (the KL terms) (`layer.rs`);
//! - [`Activation`]: Keras's activations by name (`activation.rs`);
//! - [`Dense`]: Keras's dense layer, Glorot-uniform kernel and zero bias, seeded (`dense.rs`;
//!   the initializers, [`glorot_uniform`], in `initializers.rs`);
//! - Keras's convolutions [`Conv1D`], [`Conv2D`], [`Conv3D`] (channels last, `valid` or `same`
//!   [`Padding`], strides, dilation), [`MaxPooling1D`]/[`MaxPooling2D`]/[`MaxPooling3D`],
//!   [`Reshape`] and [`Flatten`]; the windows are gathered once and multiplied (im2col,
//!   `convolution.rs`), so gradients come from the tensor facade's autodiff;
//! - [`Sequential`]: layers in order; a layer added twice (or shared through `Arc`) is one set
//!   of weights, as the page's `dense2` (`sequential.rs`);
//! - TFP's variational dense layers with TFP's defaults: [`DenseReparameterization`],
//!   [`DenseLocalReparameterization`], [`DenseFlipout`] (one file each), sharing the posterior
//!   and prior builders [`default_mean_field_normal_fn`] and [`default_multivariate_normal_fn`]
//!   and the layer core (`variational.rs`); and the convolutions
//!   [`Convolution1DReparameterization`] (2D, 3D) and [`Convolution1DFlipout`] (2D, 3D) on the
//!   same core;
//! - TFP's independent distribution layers with their `params_size`: [`IndependentNormal`],
//!   [`IndependentLogistic`], [`IndependentBernoulli`], [`IndependentPoisson`]
//!   ([`DistributionLayer`], `independent.rs`);
//! - TFP's other distribution layers: [`MultivariateNormalTriL`] (a VAE's posterior),
//!   [`OneHotCategorical`], [`MixtureSameFamily`], [`MixtureNormal`], [`MixtureLogistic`]
//!   (one file each, `mixture.rs` for the mixtures), [`DistributionLambda`]; the KL penalties
//!   [`KLDivergenceRegularizer`] and [`KLDivergenceAddLoss`] (exact or Monte Carlo,
//!   `kl_divergence.rs`); [`VariableLayer`];
//! - [`DenseVariational`] with user-built weight posteriors and priors ([`posterior_mean_field`],
//!   [`prior_trainable`] as TFP's tutorial);
//! - the handwritten [`digits`] of the page's examples, embedded (`datasets.rs`, `data/`);
//! - prediction with uncertainty over stochastic passes ([`predict_with_uncertainty`]: predictive
//!   mean and sd, entropy, its aleatoric and epistemic parts, `prediction.rs`) and calibration
//!   ([`reliability`] bins, [`expected_calibration_error`], `calibration.rs`);
//! - Keras's `fit` for classifiers: [`fit_classifier`] with minibatches, shuffling, a
//!   validation split, the KL terms weighted per example, accuracy, early stopping, a progress
//!   bar with the loss and accuracy ([`fit_classifier_with_progress`]) (`training.rs`).
//!
//! The seed page's `MNISTModel` — two `DenseFlipout(10)`, the second applied twice:
//!
//! ```
//! use probrs::layers::{DenseFlipout, Layer, Sequential};
//! use probrs::random::Seed;
//! use probrs::tensor::{DType, Tensor};
//! use std::sync::Arc;
//! let dense1 = Arc::new(DenseFlipout::new(10)?.with_seed(1));
//! let dense2 = Arc::new(DenseFlipout::new(10)?.with_seed(2));
//! let model = Sequential::new(vec![dense1, dense2.clone(), dense2]);
//! let images = Tensor::ones(&[32, 64], DType::F32)?;
//! let logits = model.call(&images, Seed::new(0))?;
//! assert_eq!(logits.shape(), &[32, 10]);
//! // Two layers' weights (kernel loc, kernel scale, bias loc each), and one KL term per layer.
//! assert_eq!(model.trainable_variables().len(), 6);
//! assert_eq!(model.losses()?.len(), 2);
//! # Ok::<(), probrs::Error>(())
//! ```

mod activation;
mod calibration;
mod conv;
mod conv_flipout;
mod conv_reparameterization;
mod convolution;
mod datasets;
mod dense;
mod dense_flipout;
mod dense_local_reparameterization;
mod dense_reparameterization;
mod dense_variational;
mod distribution_lambda;
mod glow_networks;
mod independent;
mod initializers;
mod kl_divergence;
mod layer;
mod mixture;
mod multivariate_normal_tril;
mod one_hot_categorical;
mod pooling;
mod prediction;
mod reshape;
mod sequential;
mod training;
mod variable_layer;
mod variational;

pub use activation::Activation;
pub use calibration::{expected_calibration_error, reliability, Reliability, ReliabilityBin};
pub use conv::{Conv, Conv1D, Conv2D, Conv3D};
pub use conv_flipout::{Convolution1DFlipout, Convolution2DFlipout, Convolution3DFlipout, ConvolutionFlipout};
pub use conv_reparameterization::{Convolution1DReparameterization, Convolution2DReparameterization, Convolution3DReparameterization, ConvolutionReparameterization};
pub use convolution::Padding;
pub use datasets::{digits, Digits};
pub use dense::Dense;
pub use dense_flipout::DenseFlipout;
pub use dense_local_reparameterization::DenseLocalReparameterization;
pub use dense_reparameterization::DenseReparameterization;
pub use dense_variational::{posterior_mean_field, prior_trainable, DenseVariational};
pub use distribution_lambda::DistributionLambda;
pub use glow_networks::{GlowDefaultExitNetwork, GlowDefaultNetwork};
pub use independent::{DistributionLayer, IndependentBernoulli, IndependentLogistic, IndependentNormal, IndependentPoisson};
pub use initializers::{glorot_uniform, Initializer};
pub use kl_divergence::{KLDivergenceAddLoss, KLDivergenceRegularizer};
pub use layer::Layer;
pub use mixture::{MixtureLogistic, MixtureNormal, MixtureSameFamily};
pub use multivariate_normal_tril::MultivariateNormalTriL;
pub use one_hot_categorical::OneHotCategorical;
pub use prediction::{predict_with_uncertainty, PredictiveUncertainty};
pub use pooling::{MaxPooling, MaxPooling1D, MaxPooling2D, MaxPooling3D};
pub use reshape::{Flatten, Reshape};
pub use sequential::Sequential;
pub use training::{accuracy, fit_classifier, fit_classifier_with_progress, shuffled_batches, sparse_categorical_crossentropy, steady_seconds_per_epoch, train_step, ClassifierFitOptions, History};
pub use variable_layer::VariableLayer;
pub use variational::{default_mean_field_normal_fn, default_multivariate_normal_fn, MeanFieldNormal, MeanFieldNormalFn, StandardNormalPrior, VariationalCore};
