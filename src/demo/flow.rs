//! The seed page's masked autoregressive flow as a density estimator: `TransformedDistribution(
//! N(0, I₂), Chain([MAF, Permute, MAF, …]))` (each MAF's shift and log scale from a MADE with
//! relu hidden layers, TFP's `masked_autoregressive_default_template`), fitted by maximum
//! likelihood with Adam on minibatches of a two-moons sample (scikit-learn's `make_moons`
//! construction with uniform angles, noise 0.1), scored on a held-out sample.
//!
//! ```text
//! moon 1: (cos t, sin t),  moon 2: (1 − cos t, ½ − sin t),  t ~ U(0, π),  + N(0, 0.1²) noise
//! ```

use crate::bijectors::{AutoregressiveNetwork, Bijector, Chain, MaskedAutoregressiveFlow, Permute};
use crate::distributions::{Distribution, MultivariateNormalDiag, TransformedDistribution};
use crate::error::Result;
use crate::layers::train_step;
use crate::optim::Adam;
use crate::random::{self, Seed};
use crate::tensor::{DType, Tensor};
use std::sync::Arc;

/// `n` points of two interleaved half circles with Gaussian noise `noise`, `[n, 2]` (float32).
///
/// ```
/// let x = probrs::demo::two_moons(100, 0.1, probrs::random::Seed::new(0))?;
/// assert_eq!(x.shape(), &[100, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn two_moons(n: usize, noise: f64, seed: Seed) -> Result<Tensor> {
    let t = random::uniform(&[n], DType::F64, seed.fold_in(0))?.to_vec()?;
    let e = random::normal(&[n, 2], DType::F64, seed.fold_in(1))?.to_vec()?;
    let mut pts = Vec::with_capacity(2 * n);
    for (i, t) in t.iter().enumerate() {
        let a = t * std::f64::consts::PI;
        let (x, y) = if i % 2 == 0 { (a.cos(), a.sin()) } else { (1.0 - a.cos(), 0.5 - a.sin()) };
        pts.extend([x + noise * e[2 * i], y + noise * e[2 * i + 1]]);
    }
    Tensor::from_slice(&pts, &[n, 2], DType::F32)
}

/// Settings of [`maf_two_moons`].
///
/// ```
/// let o = probrs::demo::FlowOptions::default();
/// assert_eq!((o.flow_steps, o.hidden_units.clone()), (5, vec![64, 64]));
/// ```
#[derive(Clone, Debug)]
pub struct FlowOptions {
    /// MAF layers (a `Permute` reversing the coordinates between consecutive ones).
    pub flow_steps: usize,
    /// Each MADE's hidden layers (the page's template: `[512, 512]`).
    pub hidden_units: Vec<usize>,
    /// Training points.
    pub num_train: usize,
    /// Held-out points.
    pub num_test: usize,
    /// Points per Adam step.
    pub batch_size: usize,
    /// Adam steps.
    pub num_steps: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seeds the data, the weights and the batches.
    pub seed: u64,
}

impl Default for FlowOptions {
    /// 5 MAF steps with `[64, 64]` MADEs, 4,000 training and 2,000 held-out points, batch 512,
    /// 1,000 steps of Adam(1e-3), seed 0 (the page's template has `[512, 512]`).
    ///
    /// ```
    /// assert_eq!(probrs::demo::FlowOptions::default().batch_size, 512);
    /// ```
    fn default() -> Self {
        FlowOptions { flow_steps: 5, hidden_units: vec![64, 64], num_train: 4000, num_test: 2000, batch_size: 512, num_steps: 1000, learning_rate: 1e-3, seed: 0 }
    }
}

/// What [`maf_two_moons`] measured.
///
/// ```
/// let o = probrs::demo::FlowOptions { num_steps: 3, num_train: 600, num_test: 100, ..Default::default() };
/// let r = probrs::demo::maf_two_moons(&o)?;
/// assert_eq!(r.losses.len(), 3);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FlowReport {
    /// The minibatch loss (mean negative log-likelihood) per step.
    pub losses: Vec<f64>,
    /// Mean negative log-likelihood of the held-out points, nats per point.
    pub test_nll: f64,
    /// The held-out points' NLL under the best Gaussian fitted to the training points.
    pub gaussian_test_nll: f64,
    /// Mean wall time of one Adam step (forward, gradient, update), seconds.
    pub seconds_per_step: f64,
}

/// The flow (module doc): `flow_steps` MAFs over 2-D points, float32.
fn build(o: &FlowOptions) -> Result<TransformedDistribution> {
    let mut parts: Vec<Arc<dyn Bijector>> = Vec::new();
    for k in 0..o.flow_steps {
        if k > 0 {
            parts.push(Arc::new(Permute::new(vec![1, 0])?));
        }
        let made = AutoregressiveNetwork::new(2, 2, &o.hidden_units, DType::F32, Seed::new(o.seed).fold_in(100 + k as u64))?.with_activation(Tensor::relu);
        parts.push(Arc::new(MaskedAutoregressiveFlow::new(made)?));
    }
    let base = MultivariateNormalDiag::new(Tensor::zeros(&[2], DType::F32)?, Tensor::ones(&[2], DType::F32)?)?;
    TransformedDistribution::new(base, Chain::new(parts))
}

/// The training and held-out two-moons points [`maf_two_moons`] uses (noise 0.1), `[n, 2]` each
/// (bench W8's peers read them, written by the example).
///
/// ```
/// let o = probrs::demo::FlowOptions { num_train: 10, num_test: 4, ..Default::default() };
/// let (train, test) = probrs::demo::flow_data(&o)?;
/// assert_eq!((train.shape(), test.shape()), (&[10, 2][..], &[4, 2][..]));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn flow_data(o: &FlowOptions) -> Result<(Tensor, Tensor)> {
    let seed = Seed::new(o.seed);
    Ok((two_moons(o.num_train, 0.1, seed.fold_in(1))?, two_moons(o.num_test, 0.1, seed.fold_in(2))?))
}

/// Fits the flow to a two-moons sample by minibatch maximum likelihood (module doc).
///
/// ```
/// let o = probrs::demo::FlowOptions { num_steps: 200, num_train: 1000, num_test: 500, hidden_units: vec![16, 16], ..Default::default() };
/// let r = probrs::demo::maf_two_moons(&o)?;
/// assert!(r.losses[199] < r.losses[0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn maf_two_moons(o: &FlowOptions) -> Result<FlowReport> {
    let seed = Seed::new(o.seed);
    let (train, test) = flow_data(o)?;
    let flow = build(o)?;
    let vars = flow.trainable_variables();
    let mut adam = Adam::new(o.learning_rate);
    let mut losses = Vec::with_capacity(o.num_steps);
    let started = std::time::Instant::now();
    for step in 0..o.num_steps {
        let idx = random::uniform(&[o.batch_size], DType::F64, seed.fold_in(1000 + step as u64))?.to_vec()?.iter().map(|u| ((u * o.num_train as f64) as usize).min(o.num_train - 1) as u32).collect::<Vec<_>>();
        let batch = train.index_select(0, &idx)?;
        losses.push(train_step(|| flow.log_prob(&batch)?.mean_all()?.neg(), &vars, &mut adam, (0, step, step))?);
    }
    let seconds_per_step = started.elapsed().as_secs_f64() / o.num_steps.max(1) as f64;
    let test_nll = flow.log_prob(&test)?.mean_all()?.neg()?.to_scalar()?;
    // The best Gaussian: the training points' mean and covariance.
    let tr = train.to_vec()?;
    let n = o.num_train as f64;
    let m = [tr.iter().step_by(2).sum::<f64>() / n, tr.iter().skip(1).step_by(2).sum::<f64>() / n];
    let mut s = [0.0; 3];
    for p in tr.chunks(2) {
        let (a, b) = (p[0] - m[0], p[1] - m[1]);
        s[0] += a * a / n;
        s[1] += a * b / n;
        s[2] += b * b / n;
    }
    let det = s[0] * s[2] - s[1] * s[1];
    let te = test.to_vec()?;
    let quad: f64 = te.chunks(2).map(|p| {
        let (a, b) = (p[0] - m[0], p[1] - m[1]);
        (s[2] * a * a - 2.0 * s[1] * a * b + s[0] * b * b) / det
    }).sum::<f64>() / o.num_test as f64;
    let gaussian_test_nll = (2.0 * std::f64::consts::PI).ln() + 0.5 * det.ln() + 0.5 * quad;
    Ok(FlowReport { losses, test_nll, gaussian_test_nll, seconds_per_step })
}
