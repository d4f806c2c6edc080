//! The seed page's `MNISTModel` — two `DenseFlipout(10)`, the second applied twice — trained on
//! the embedded handwritten digits (80% train, 20% test, seeded), then evaluated by the
//! predictive mean of 20 stochastic passes: `cargo run --release --example bnn_digits` (`SEED=k`
//! changes the split, the initialization and the noise; `EPOCHS=n`). Its TF peer is
//! `benches/peers/bnn_digits_tf.py`; prints one JSON line.
use probrs::layers::{accuracy, digits, fit_classifier, Activation, ClassifierFitOptions, DenseFlipout, Layer, Sequential};
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
    let dense1 = Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 1).with_activation(if relu { Activation::Relu } else { Activation::Linear }));
    let dense2 = Arc::new(DenseFlipout::new(10)?.with_seed(10 * seed + 2));
    let model = Sequential::new(vec![dense1, dense2.clone(), dense2]);
    let t0 = std::time::Instant::now();
    let h = fit_classifier(&model, &x_train, &y_train, &mut Adam::new(0.01), &ClassifierFitOptions { epochs, batch_size: 32, seed: 10 * seed + 3, ..Default::default() })?;
    let secs = t0.elapsed().as_secs_f64();
    // Predictive mean of 20 passes.
    let mut probs: Option<probrs::tensor::Tensor> = None;
    for s in 0..20 {
        let p = Activation::Softmax.apply(&model.call(&x_test, Seed::new(1000 + s))?)?;
        probs = Some(match probs { None => p, Some(q) => q.add(&p)? });
    }
    let probs = probs.unwrap().mul_scalar(1.0 / 20.0)?;
    println!(
        "{{\"workload\": \"BNN-digits-MNISTModel\", \"system\": \"probrs\", \"seed\": {seed}, \"epochs\": {epochs}, \"time_per_epoch_s\": {}, \"test_accuracy\": {}, \"final_loss\": {}, \"train_accuracy\": {}}}",
        secs / epochs as f64,
        accuracy(&probs, &y_test)?,
        h.loss.last().unwrap(),
        h.accuracy.last().unwrap()
    );
    Ok(())
}
