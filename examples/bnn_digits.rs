//! The seed page's Bayesian neural networks trained on the embedded handwritten digits (80%
//! train, 20% test, seeded), then evaluated by the predictive distribution of 20 stochastic
//! passes (`probrs::demo::bnn_digits`): `cargo run --release --example bnn_digits`.
//! - `MODEL=mnist` (default): the page's `MNISTModel`, two `DenseFlipout(10)`, the second
//!   applied twice;
//! - `MODEL=conv`: the page's convolutional model scaled to 8 × 8 digits: `Reshape([8, 8, 1])`,
//!   `Convolution2DFlipout(64, 5, same, relu)`, `MaxPooling2D(2, 2, same)`,
//!   `Reshape([4·4·64])`, `DenseFlipout(10)`.
//!
//! It prints the test accuracy of the predictive mean, the expected calibration error (10 bins)
//! and the mean predictive entropy of the correct and of the misclassified digits; `PLOT=f.svg`
//! draws the reliability diagram. `SEED=k` changes the split, the initialization and the noise;
//! `EPOCHS=n` (100). Its TF peer is `benches/peers/bnn_digits_tf.py`; prints one JSON line.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use probrs::demo::{bnn_digits, BnnModel};

fn main() -> probrs::Result<()> {
    probrs::allocator::retain_freed_memory();
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let epochs: usize = std::env::var("EPOCHS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let model = if std::env::var("MODEL").is_ok_and(|m| m == "conv") { BnnModel::Conv } else { BnnModel::MnistModel };
    let (_, r) = bnn_digits(model, epochs, seed)?;
    if let Ok(path) = std::env::var("PLOT") {
        probrs::plot::reliability_diagram(&path, &r.reliability, &probrs::plot::PlotOptions::default())?;
    }
    println!(
        "{{\"workload\": \"BNN-digits-{}\", \"system\": \"probrs\", \"seed\": {seed}, \"epochs\": {epochs}, \"time_per_epoch_s\": {}, \"first_epoch_s\": {}, \"test_accuracy\": {}, \"ece\": {:.4}, \"entropy_correct\": {:.4}, \"entropy_misclassified\": {:.4}, \"final_loss\": {}, \"train_accuracy\": {}}}",
        if model == BnnModel::Conv { "conv" } else { "MNISTModel" },
        r.seconds_per_epoch,
        r.history.epoch_seconds.first().copied().unwrap_or(f64::NAN),
        r.reliability.accuracy,
        r.reliability.ece,
        r.entropy_correct,
        r.entropy_misclassified,
        r.history.loss.last().unwrap(),
        r.history.accuracy.last().unwrap()
    );
    Ok(())
}
