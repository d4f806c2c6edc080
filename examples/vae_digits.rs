//! The seed page's variational autoencoder on the embedded digits, binarized: an MLP encoder to
//! a `MultivariateNormalTriL` posterior, an MLP decoder to `IndependentBernoulli` pixels, the
//! learnable mixture prior of TFP's `vae.py` (`probrs::demo::vae_digits`). Trains on 80%,
//! reports the test ELBO and the importance-weighted bound on −log p(x) per image:
//! `cargo run --release --example vae_digits` (`SEED=k`, `EPOCHS=n`, `PLOT=prefix` writes
//! `prefix_reconstructions.png` and `prefix_samples.png`). Its TF peer is
//! `benches/peers/vae_digits_tf.py`; prints one JSON line.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use probrs::demo::{vae_digits, VaeOptions};
use probrs::random::Seed;

fn main() -> probrs::Result<()> {
    probrs::allocator::retain_freed_memory();
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<u64>().ok());
    let o = VaeOptions { seed: env("SEED").unwrap_or(0), epochs: env("EPOCHS").unwrap_or(50) as usize, ..Default::default() };
    let (vae, r) = vae_digits(&o)?;
    if let Ok(prefix) = std::env::var("PLOT") {
        let test = r.test_images.as_ref().expect("kept by vae_digits").narrow(0, 0, 12)?;
        let recon = vae.reconstruct(&test)?;
        let both = probrs::tensor::Tensor::concat(&[&test, &recon], 0)?;
        let opts = probrs::plot::PlotOptions { title: Some("test digits (top) and their reconstructions (bottom)".into()), ..Default::default() };
        probrs::plot::image_grid(format!("{prefix}_reconstructions.png"), &both, [8, 8], 12, &opts)?;
        let samples = vae.sample_images(36, Seed::new(5))?;
        let opts = probrs::plot::PlotOptions { title: Some("digits drawn from the learned mixture prior".into()), ..Default::default() };
        probrs::plot::image_grid(format!("{prefix}_samples.png"), &samples, [8, 8], 12, &opts)?;
    }
    println!(
        "{{\"workload\": \"VAE-digits\", \"system\": \"probrs\", \"seed\": {}, \"epochs\": {}, \"time_per_epoch_s\": {}, \"first_epoch_s\": {}, \"test_elbo\": {:.3}, \"test_iw_nll\": {:.3}, \"iw_samples\": {}, \"final_train_loss\": {:.3}}}",
        o.seed,
        o.epochs,
        r.seconds_per_epoch,
        r.epoch_seconds.first().copied().unwrap_or(f64::NAN),
        r.test_elbo,
        r.test_iw_nll,
        o.iw_samples,
        r.train_loss.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
