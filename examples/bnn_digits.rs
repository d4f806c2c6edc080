//! The seed page's Bayesian neural networks trained on the embedded handwritten digits (80%
//! train, 20% test, seeded), then evaluated by the predictive mean of 20 stochastic passes:
//! `cargo run --release --example bnn_digits`.
//! - `MODEL=mnist` (default): the page's `MNISTModel`, two `DenseFlipout(10)`, the second
//!   applied twice;
//! - `MODEL=conv`: the page's convolutional model scaled to 8 × 8 digits: `Reshape([8, 8, 1])`,
//!   `Convolution2DFlipout(64, 5, same, relu)`, `MaxPooling2D(2, 2, same)`,
//!   `Reshape([4·4·64])`, `DenseFlipout(10)`.
//!
//! It prints the test accuracy of the predictive mean, the expected calibration error (10 bins)
//! and the mean predictive entropy of the correct and of the misclassified digits; `PLOT=f.svg`
//! draws the reliability diagram. `SEED=k` changes the split, the initialization and the noise;
//! `EPOCHS=n`. Its TF peer is
//! `benches/peers/bnn_digits_tf.py`; prints one JSON line.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use probrs::layers::{digits, predict_with_uncertainty, reliability, fit_classifier, Activation, ClassifierFitOptions, Convolution2DFlipout, DenseFlipout, MaxPooling2D, Padding, Reshape, Sequential};
use probrs::optim::Adam;
use probrs::random::Seed;
use std::sync::Arc;

fn main() -> probrs::Result<()> {
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let d = digits()?;
    let n = d.labels.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    {
        use rand::seq::SliceRandom;
        order.shuffle(&mut Seed::new(seed).rng());
    }
    let n_train = n * 4 / 5;
    let (train, test) = order.split_at(n_train);
    let (x_train, y_train) = (d.images.index_select(0, train)?, train.iter().map(|i| d.labels[*i as usize]).collect::<Vec<_>>());
    let (x_test, y_test) = (d.images.index_select(0, test)?, test.iter().map(|i| d.labels[*i as usize]).collect::<Vec<_>>());
    let epochs: usize = std::env::var("EPOCHS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let relu = std::env::var("RELU").is_ok();
    let conv = std::env::var("MODEL").is_ok_and(|m| m == "conv");
    let model = if conv {
        Sequential::new(vec![
            Arc::new(Reshape::new(&[8, 8, 1])),
            Arc::new(Convolution2DFlipout::new(64, [5, 5])?.with_padding(Padding::Same).with_activation(Activation::Relu).with_seed(10 * seed + 1)),
            Arc::new(MaxPooling2D::new([2, 2])?.with_strides([2, 2]).with_padding(Padding::Same)),
            Arc::new(Reshape::new(&[4 * 4 * 64])),
            Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 2)),
        ])
    } else {
        let dense1 = Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 1).with_activation(if relu { Activation::Relu } else { Activation::Linear }));
        let dense2 = Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 2));
        Sequential::new(vec![dense1, dense2.clone(), dense2])
    };
    let t0 = std::time::Instant::now();
    let h = fit_classifier(&model, &x_train, &y_train, &mut Adam::new(0.01), &ClassifierFitOptions { epochs, batch_size: 32, seed: 10 * seed + 3, ..Default::default() })?;
    let secs = t0.elapsed().as_secs_f64();
    // The predictive distribution from 20 passes: accuracy, calibration (10 bins) and the
    // predictive entropy of the misclassified digits against the correct ones.
    let u = predict_with_uncertainty(&model, &x_test, 20, Seed::new(1000))?;
    let predicted = u.predicted_labels()?;
    let cal = reliability(10, &u.mean, &y_test)?;
    let entropy = u.entropy.to_vec()?;
    let mean_of = |right: bool| {
        let e: Vec<f64> = entropy.iter().zip(predicted.iter().zip(&y_test)).filter(|(_, (p, y))| (p == y) == right).map(|(e, _)| *e).collect();
        e.iter().sum::<f64>() / e.len().max(1) as f64
    };
    if let Ok(path) = std::env::var("PLOT") {
        probrs::plot::reliability_diagram(&path, &cal, &probrs::plot::PlotOptions::default())?;
    }
    println!(
        "{{\"workload\": \"BNN-digits-{}\", \"system\": \"probrs\", \"seed\": {seed}, \"epochs\": {epochs}, \"time_per_epoch_s\": {}, \"test_accuracy\": {}, \"ece\": {:.4}, \"entropy_correct\": {:.4}, \"entropy_misclassified\": {:.4}, \"final_loss\": {}, \"train_accuracy\": {}}}",
        if conv { "conv" } else { "MNISTModel" },
        secs / epochs as f64,
        cal.accuracy,
        cal.ece,
        mean_of(true),
        mean_of(false),
        h.loss.last().unwrap(),
        h.accuracy.last().unwrap()
    );
    Ok(())
}
