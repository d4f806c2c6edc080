//! The seed page's Bayesian neural networks ("Bayesian Neural Networks with TFP Probabilistic
//! Layers") on the embedded handwritten digits (80% train, 20% test, shuffled by the seed):
//!
//! - [`BnnModel::MnistModel`]: the page's `MNISTModel`, two `DenseFlipout(10)`, the second
//!   applied twice (one set of weights);
//! - [`BnnModel::Conv`]: the page's convolutional model scaled from 32 × 32 × 3 images to the
//!   8 × 8 digits: `Reshape([8, 8, 1])`, `Convolution2DFlipout(64, 5, same, relu)`,
//!   `MaxPooling2D(2, 2, same)`, `Reshape([4·4·64])`, `DenseFlipout(10)`.
//!
//! Trained by `fit_classifier` (batch 32, Adam(0.01), the negative ELBO per example), then
//! evaluated by the predictive distribution of 20 stochastic passes: accuracy, expected
//! calibration error (10 bins) and the predictive entropy of correct and misclassified digits.

use std::sync::Arc;

use crate::error::Result;
use crate::layers::{digits, fit_classifier, predict_with_uncertainty, reliability, shuffled_batches, Activation, ClassifierFitOptions, Convolution2DFlipout, DenseFlipout, History, MaxPooling2D, Padding, Reliability, Reshape, Sequential};
use crate::optim::Adam;
use crate::random::Seed;

/// Which of the page's two networks.
///
/// ```
/// assert_ne!(probrs::demo::BnnModel::MnistModel, probrs::demo::BnnModel::Conv);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BnnModel {
    /// Two `DenseFlipout(10)`, the second applied twice.
    MnistModel,
    /// The convolutional Flipout model on 8 × 8 images.
    Conv,
}

/// What [`bnn_digits`] measured.
///
/// ```
/// let _ = |r: probrs::demo::BnnReport| r.reliability.ece;
/// ```
#[derive(Clone, Debug)]
pub struct BnnReport {
    /// Per-epoch training metrics.
    pub history: History,
    /// Training seconds per epoch.
    pub seconds_per_epoch: f64,
    /// Calibration of the predictive mean on the test digits (its accuracy and ECE).
    pub reliability: Reliability,
    /// Mean predictive entropy (nats) of the correctly classified test digits.
    pub entropy_correct: f64,
    /// Mean predictive entropy of the misclassified ones.
    pub entropy_misclassified: f64,
}

/// The network of `model` with layer seeds from `seed`.
///
/// ```
/// use probrs::layers::Layer;
/// let m = probrs::demo::bnn_model(probrs::demo::BnnModel::MnistModel, 0)?;
/// assert_eq!(m.layers().len(), 3); // dense1, dense2, dense2
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn bnn_model(model: BnnModel, seed: u64) -> Result<Sequential> {
    Ok(match model {
        BnnModel::Conv => Sequential::new(vec![
            Arc::new(Reshape::new(&[8, 8, 1])),
            Arc::new(Convolution2DFlipout::new(64, [5, 5])?.with_padding(Padding::Same).with_activation(Activation::Relu).with_seed(10 * seed + 1)),
            Arc::new(MaxPooling2D::new([2, 2])?.with_strides([2, 2]).with_padding(Padding::Same)),
            Arc::new(Reshape::new(&[4 * 4 * 64])),
            Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 2)),
        ]),
        BnnModel::MnistModel => {
            let dense1 = Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 1));
            let dense2 = Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 2));
            Sequential::new(vec![dense1, dense2.clone(), dense2])
        }
    })
}

/// Trains `model` for `epochs` on the digits and evaluates it (module doc).
///
/// ```
/// use probrs::demo::{bnn_digits, BnnModel};
/// let (_, r) = bnn_digits(BnnModel::MnistModel, 2, 0)?;
/// assert_eq!(r.history.loss.len(), 2);
/// assert!(r.reliability.accuracy > 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn bnn_digits(model: BnnModel, epochs: usize, seed: u64) -> Result<(Sequential, BnnReport)> {
    let d = digits()?;
    let n = d.labels.len();
    let order = shuffled_batches(n, n, Seed::new(seed)).remove(0);
    let n_train = n * 4 / 5;
    let (train, test) = order.split_at(n_train);
    let (x_train, y_train) = (d.images.index_select(0, train)?, train.iter().map(|i| d.labels[*i as usize]).collect::<Vec<_>>());
    let (x_test, y_test) = (d.images.index_select(0, test)?, test.iter().map(|i| d.labels[*i as usize]).collect::<Vec<_>>());
    let net = bnn_model(model, seed)?;
    let history = fit_classifier(&net, &x_train, &y_train, &mut Adam::new(0.01), &ClassifierFitOptions { epochs, batch_size: 32, seed: 10 * seed + 3, ..Default::default() })?;
    let seconds_per_epoch = history.seconds_per_epoch();
    let u = predict_with_uncertainty(&net, &x_test, 20, Seed::new(1000))?;
    let predicted = u.predicted_labels()?;
    let entropy = u.entropy.to_vec()?;
    let mean_of = |right: bool| {
        let e: Vec<f64> = entropy.iter().zip(predicted.iter().zip(&y_test)).filter(|(_, (p, y))| (p == y) == right).map(|(e, _)| *e).collect();
        e.iter().sum::<f64>() / e.len().max(1) as f64
    };
    let report = BnnReport { history, seconds_per_epoch, reliability: reliability(10, &u.mean, &y_test)?, entropy_correct: mean_of(true), entropy_misclassified: mean_of(false) };
    Ok((net, report))
}
