//! The seed page's variational autoencoder ("Variational Autoencoder with TFP Utilities") on
//! the embedded handwritten digits, binarized (a pixel is on when its 0–16 value is over 8),
//! with the structure of TFP's VAE example (`tensorflow_probability/examples/vae.py`) and its
//! "Probabilistic Layers VAE" tutorial:
//!
//! ```text
//! encoder  x [64] → Dense(h, relu) → Dense(h, relu) → Dense(n + n(n+1)/2) → MultivariateNormalTriL(n)   q(z | x)
//! decoder  z [n]  → Dense(h, relu) → Dense(h, relu) → Dense(64)           → IndependentBernoulli([64])  p(x | z)
//! prior    MixtureSameFamily(Categorical(logits), MultivariateNormalDiag(loc, softplus(ρ)))  all learnable (vae.py)
//!
//! elbo_local[s, b] = log p(x_b | z_sb) − (log q(z_sb | x_b) − log p(z_sb)),   z_sb ~ q(· | x_b), s = 1..S
//! loss             = −mean elbo_local                                          (vae.py; S = n_samples)
//! −log p(x) ≤ IW-NLL = −(logsumexp_s elbo_local[s, ·] − log K)                 (K importance samples)
//! ```
//!
//! The prior has no closed-form KL to the posterior, so the rate is TFP's Monte Carlo
//! `KLDivergenceRegularizer` at the posterior's draw (vae.py's `analytic_kl=False`).

use std::sync::Arc;

use crate::distributions::{Categorical, Distribution, MixtureSameFamily, MultivariateNormalDiag};
use crate::error::{Error, Result};
use crate::layers::{digits, glorot_uniform, shuffled_batches, steady_seconds_per_epoch, train_step, Activation, Dense, DistributionLayer, IndependentBernoulli, KLDivergenceRegularizer, Layer, MultivariateNormalTriL, Sequential};
use crate::optim::Adam;
use crate::params::{DeferredTensor, Variable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

/// The VAE's settings (`Default`: latent 8, hidden 128, 10 mixture components, 16 posterior
/// samples per example as vae.py, 500 importance samples for the test NLL, 50 epochs of batch
/// 32, Adam(1e-3), seed 0).
///
/// ```
/// let o = probrs::demo::VaeOptions::default();
/// assert_eq!((o.latent_size, o.n_samples, o.batch_size), (8, 16, 32));
/// ```
#[derive(Clone, Debug)]
pub struct VaeOptions {
    /// Dimensions of the code `z`.
    pub latent_size: usize,
    /// Units of each hidden layer (two in the encoder, two in the decoder).
    pub hidden_units: usize,
    /// Components of the learnable mixture prior (1: a fixed standard normal, vae.py's rule).
    pub mixture_components: usize,
    /// Posterior draws per example in the training loss and the test ELBO.
    pub n_samples: usize,
    /// Importance samples per test example for the IW bound on −log p(x).
    pub iw_samples: usize,
    /// Passes over the training digits.
    pub epochs: usize,
    /// Digits per step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed of the split, the initialization and the noise.
    pub seed: u64,
}

impl Default for VaeOptions {
    fn default() -> Self {
        VaeOptions { latent_size: 8, hidden_units: 128, mixture_components: 10, n_samples: 16, iw_samples: 500, epochs: 50, batch_size: 32, learning_rate: 1e-3, seed: 0 }
    }
}

/// The model: encoder, decoder, their distribution layers, and the prior.
///
/// ```
/// use probrs::demo::{Vae, VaeOptions};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let vae = Vae::new(&VaeOptions { latent_size: 2, hidden_units: 16, ..Default::default() })?;
/// let x = Tensor::zeros(&[3, 64], DType::F32)?;
/// let elbo = vae.elbo_local(&x, 4, Seed::new(0))?;
/// assert_eq!(elbo.shape(), &[4, 3]);
/// assert!(elbo.to_vec()?.iter().all(|v| *v < 0.0)); // a log-likelihood bound of binary pixels
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct Vae {
    encoder: Sequential,
    posterior: MultivariateNormalTriL,
    decoder: Sequential,
    likelihood: IndependentBernoulli,
    prior: Arc<dyn Distribution>,
    rate: KLDivergenceRegularizer,
    latent_size: usize,
}

impl Vae {
    /// The untrained model for 64-pixel images (Keras's initializers for the layers; the
    /// prior's variables Glorot-uniform as vae.py's `tf.compat.v1.get_variable`).
    ///
    /// ```
    /// assert!(probrs::demo::Vae::new(&probrs::demo::VaeOptions { latent_size: 0, ..Default::default() }).is_err());
    /// ```
    pub fn new(o: &VaeOptions) -> Result<Self> {
        let (n, h, k) = (o.latent_size, o.hidden_units, o.mixture_components);
        if n == 0 || h == 0 || k == 0 {
            return Err(Error::invalid_parameter("options", format!("latent_size {n}, hidden_units {h} and mixture_components {k} must be positive")));
        }
        let posterior = MultivariateNormalTriL::new(n)?;
        let likelihood = IndependentBernoulli::new(&[64]);
        let s = Seed::new(o.seed).fold_in(11);
        let dense = |units: usize, relu: bool, name: &str, i: u64| -> Result<Arc<dyn Layer>> {
            let d = Dense::new(units)?.with_name(name).with_seed(o.seed.wrapping_mul(1000).wrapping_add(11 + i));
            Ok(Arc::new(if relu { d.with_activation(Activation::Relu) } else { d }))
        };
        let encoder = Sequential::new(vec![dense(h, true, "encoder/dense", 0)?, dense(h, true, "encoder/dense_1", 1)?, dense(posterior.params_size(), false, "encoder/dense_2", 2)?]);
        let decoder = Sequential::new(vec![dense(h, true, "decoder/dense", 3)?, dense(h, true, "decoder/dense_1", 4)?, dense(likelihood.params_size(), false, "decoder/dense_2", 5)?]);
        let prior: Arc<dyn Distribution> = if k == 1 {
            Arc::new(MultivariateNormalDiag::new(Tensor::zeros(&[n], DType::F32)?, Tensor::ones(&[n], DType::F32)?)?)
        } else {
            let glorot = |shape: &[usize], i: u64| glorot_uniform(shape, DType::F32, s.fold_in(100 + i));
            let loc = Variable::new(&glorot(&[k, n], 0)?, "prior/loc")?;
            let raw_scale = Variable::new(&glorot(&[k, n], 1)?, "prior/raw_scale_diag")?;
            let logits = Variable::new(&glorot(&[k], 2)?, "prior/mixture_logits")?;
            let components = MultivariateNormalDiag::new(loc, DeferredTensor::new(raw_scale, |r| r.softplus()))?;
            Arc::new(MixtureSameFamily::new(Categorical::from_logits(logits)?, components)?)
        };
        let rate = KLDivergenceRegularizer::from_arc(prior.clone());
        Ok(Vae { encoder, posterior, decoder, likelihood, prior, rate, latent_size: n })
    }

    /// Every trainable variable: the encoder's, the decoder's, the prior's (the layers are
    /// built on a first call, which this makes).
    ///
    /// ```
    /// let vae = probrs::demo::Vae::new(&probrs::demo::VaeOptions::default())?;
    /// // 3 + 3 dense layers (kernel, bias) and the prior's loc, raw scale, logits.
    /// assert_eq!(vae.trainable_variables()?.len(), 15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn trainable_variables(&self) -> Result<Vec<Variable>> {
        if self.encoder.trainable_variables().is_empty() {
            self.elbo_local(&Tensor::zeros(&[1, 64], DType::F32)?, 1, Seed::new(0))?;
        }
        Ok([self.encoder.trainable_variables(), self.decoder.trainable_variables(), self.prior.trainable_variables()].concat())
    }

    /// `elbo_local [S, B]` of the images `x [B, 64]` (module doc), `S` posterior draws each.
    ///
    /// ```
    /// let vae = probrs::demo::Vae::new(&probrs::demo::VaeOptions::default())?;
    /// assert!(vae.elbo_local(&probrs::tensor::Tensor::zeros(&[2, 63], probrs::tensor::DType::F32)?, 1, probrs::random::Seed::new(0)).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn elbo_local(&self, x: &Tensor, n_samples: usize, seed: Seed) -> Result<Tensor> {
        let Draws { x, z, log_q, logits, .. } = self.draws(x, n_samples, seed)?;
        let distortion = self.likelihood.distribution(&logits)?.log_prob(&x)?.neg()?;
        let rate = log_q.sub(&self.prior.log_prob(&z)?)?;
        rate.add(&distortion)?.neg()
    }

    /// The images in float32, the posterior, its `S` draws `[S, B, n]` with their log-density,
    /// and the decoder's logits at them `[S, B, 64]`.
    fn draws(&self, x: &Tensor, n_samples: usize, seed: Seed) -> Result<Draws> {
        let x = x.to_dtype(DType::F32)?;
        let q = self.posterior.distribution(&self.encoder.call(&x, seed.fold_in(0))?)?;
        // The draws with their log q(z) (TFP's bijector cache gives its regularizer the same).
        let (z, log_q) = q.sample_and_log_prob(&[n_samples], seed.fold_in(1))?;
        let b = x.shape()[0];
        let logits = self.decoder.call(&z.reshape(&[n_samples * b, self.latent_size])?, seed.fold_in(2))?.reshape(&[n_samples, b, 64])?;
        Ok(Draws { x, q, z, log_q, logits })
    }

    /// The training loss `−mean elbo_local`, its Monte Carlo rate computed by TFP's
    /// `KLDivergenceRegularizer` at the same draws.
    ///
    /// ```
    /// let vae = probrs::demo::Vae::new(&probrs::demo::VaeOptions::default())?;
    /// let l = vae.loss(&probrs::tensor::Tensor::zeros(&[4, 64], probrs::tensor::DType::F32)?, 2, probrs::random::Seed::new(0))?;
    /// assert!(l.to_scalar()? > 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn loss(&self, x: &Tensor, n_samples: usize, seed: Seed) -> Result<Tensor> {
        let Draws { x, q, z, log_q, logits } = self.draws(x, n_samples, seed)?;
        let distortion = self.likelihood.distribution(&logits)?.log_prob(&x)?.neg()?.sum_all()?;
        let rate = self.rate.call_with_log_prob(&q, &z, &log_q)?;
        distortion.add(&rate)?.mul_scalar(1.0 / (n_samples * x.shape()[0]) as f64)
    }

    /// The mean ELBO per image over `x`, and the importance-weighted bound on `−log p(x)`
    /// with `k` samples, in nats; computed in chunks of images without gradients.
    ///
    /// ```
    /// let vae = probrs::demo::Vae::new(&probrs::demo::VaeOptions::default())?;
    /// let (elbo, iw_nll) = vae.evaluate(&probrs::tensor::Tensor::zeros(&[5, 64], probrs::tensor::DType::F32)?, 16, 64, probrs::random::Seed::new(0))?;
    /// assert!(-iw_nll >= elbo - 1.0); // the IW bound is the tighter one (up to Monte Carlo noise)
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn evaluate(&self, x: &Tensor, n_samples: usize, k: usize, seed: Seed) -> Result<(f64, f64)> {
        let n = x.shape()[0];
        let (mut elbo, mut iw) = (0.0, 0.0);
        for (c, start) in (0..n).step_by(64).enumerate() {
            let len = 64.min(n - start);
            let xs = x.narrow(0, start, len)?;
            elbo += self.elbo_local(&xs, n_samples, seed.fold_in(2 * c as u64))?.detach().mean_axes(&[0], false)?.sum_all()?.to_scalar()?;
            let local = self.elbo_local(&xs, k, seed.fold_in(2 * c as u64 + 1))?.detach().to_dtype(DType::F64)?;
            iw += local.logsumexp(0, false)?.add_scalar(-(k as f64).ln())?.sum_all()?.to_scalar()?;
        }
        Ok((elbo / n as f64, -iw / n as f64))
    }

    /// The decoder's pixel probabilities at the posterior mean of each image's code: the
    /// reconstructions `[B, 64]`.
    ///
    /// ```
    /// let vae = probrs::demo::Vae::new(&probrs::demo::VaeOptions::default())?;
    /// let r = vae.reconstruct(&probrs::tensor::Tensor::zeros(&[2, 64], probrs::tensor::DType::F32)?)?;
    /// assert!(r.to_vec()?.iter().all(|p| (0.0..=1.0).contains(p)));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn reconstruct(&self, x: &Tensor) -> Result<Tensor> {
        let q = self.posterior.distribution(&self.encoder.call(&x.to_dtype(DType::F32)?, Seed::new(0))?)?;
        self.decoder.call(&q.mean()?, Seed::new(0))?.sigmoid().map(|t| t.detach())
    }

    /// Pixel probabilities `[count, 64]` of codes drawn from the prior: new digits.
    ///
    /// ```
    /// let vae = probrs::demo::Vae::new(&probrs::demo::VaeOptions::default())?;
    /// assert_eq!(vae.sample_images(6, probrs::random::Seed::new(1))?.shape(), &[6, 64]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sample_images(&self, count: usize, seed: Seed) -> Result<Tensor> {
        let z = self.prior.sample(&[count], seed)?;
        self.decoder.call(&z.to_dtype(DType::F32)?, Seed::new(0))?.sigmoid().map(|t| t.detach())
    }
}

/// One pass of the model over a batch (`Vae::draws`).
struct Draws {
    x: Tensor,
    q: crate::distributions::MultivariateNormalTriL,
    z: Tensor,
    log_q: Tensor,
    logits: Tensor,
}

/// What [`vae_digits`] measured.
///
/// ```
/// let r = probrs::demo::VaeReport::default();
/// assert!(r.train_loss.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct VaeReport {
    /// Mean training loss (−ELBO per image, nats) of each epoch.
    pub train_loss: Vec<f64>,
    /// Mean test ELBO per image.
    pub test_elbo: f64,
    /// The importance-weighted bound on the test `−log p(x)` per image.
    pub test_iw_nll: f64,
    /// Training seconds per epoch in steady state (the median after the first epoch, as the TF
    /// peer reports: `layers::steady_seconds_per_epoch`).
    pub seconds_per_epoch: f64,
    /// Training seconds of each epoch.
    pub epoch_seconds: Vec<f64>,
    /// The held-out images `[n_test, 64]` (binarized), for pictures.
    pub test_images: Option<Tensor>,
}

/// Trains the VAE on 80% of the binarized digits and evaluates it on the rest (every fifth
/// digit, whatever the seed; the seed sets the initialization and the noise). A non-finite loss stops training with an error naming the epoch and batch.
///
/// ```
/// use probrs::demo::{vae_digits, VaeOptions};
/// let (_, r) = vae_digits(&VaeOptions { epochs: 1, hidden_units: 32, n_samples: 2, iw_samples: 8, ..Default::default() })?;
/// assert_eq!(r.train_loss.len(), 1);
/// assert!(r.test_elbo < 0.0 && r.test_iw_nll > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn vae_digits(o: &VaeOptions) -> Result<(Vae, VaeReport)> {
    let d = digits()?;
    let n = d.labels.len();
    let binary = Tensor::where_(&d.images.gt_scalar(0.5)?, &d.images.full_like(1.0)?, &d.images.zeros_like()?)?.to_dtype(DType::F32)?;
    // Every fifth digit is held out: the same split for every seed and for the TF peer.
    let (test_rows, train_rows): (Vec<u32>, Vec<u32>) = (0..n as u32).partition(|i| i % 5 == 4);
    let n_train = train_rows.len();
    let train = binary.index_select(0, &train_rows)?;
    let test = binary.index_select(0, &test_rows)?;
    let vae = Vae::new(o)?;
    let vars = vae.trainable_variables()?;
    let mut adam = Adam::new(o.learning_rate);
    let seed = Seed::new(o.seed).fold_in(7);
    let mut report = VaeReport::default();
    let mut step = 0;
    for epoch in 0..o.epochs {
        let t0 = std::time::Instant::now();
        let mut total = 0.0;
        let batches = shuffled_batches(n_train, o.batch_size, seed.fold_in(epoch as u64));
        for (b, rows) in batches.iter().enumerate() {
            let x = train.index_select(0, rows)?;
            total += train_step(|| vae.loss(&x, o.n_samples, seed.fold_in(1 << 32).fold_in(step as u64)), &vars, &mut adam, (epoch, b, step))?;
            step += 1;
        }
        report.train_loss.push(total / batches.len() as f64);
        report.epoch_seconds.push(t0.elapsed().as_secs_f64());
    }
    report.seconds_per_epoch = steady_seconds_per_epoch(&report.epoch_seconds);
    (report.test_elbo, report.test_iw_nll) = vae.evaluate(&test, o.n_samples, o.iw_samples, seed.fold_in(2 << 32))?;
    report.test_images = Some(test);
    Ok((vae, report))
}
