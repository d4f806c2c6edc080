//! Seed page 003, the Normal–Normal model: `z ~ N(0, 1)`, `x ~ N(z, 1)`, posterior `p(z | x = 5)`
//! fitted by `fit_surrogate_posterior` — reverse KL (reparameterized gradients) and forward KL
//! (score-function gradients, `sample_size` 10). The exact posterior is N(2.5, 1/√2).
//!
//! TFP:
//! ```python
//! q_z = tfd.Normal(loc=tf.Variable(0., name='q_z_loc'),
//!                  scale=tfp.util.TransformedVariable(1., tfb.Softplus(), name='q_z_scale'))
//! losses = tfp.vi.fit_surrogate_posterior(conditioned_log_prob, surrogate_posterior=q_z,
//!                                         optimizer=tf.optimizers.Adam(learning_rate=0.1), num_steps=100)
//! ```
//! Run: `cargo run --release --example vi_normal_normal`

use probrs::demo::vi_normal_normal;
use probrs::tensor::DType;
use probrs::vi::GradientEstimator;

fn main() -> probrs::Result<()> {
    let r = vi_normal_normal(false, None, 1, 1000, 42, DType::F32)?;
    println!("reverse KL: q_z mean {:.4}, stddev {:.4} (last 200 steps: {:.4}, {:.4}); final loss {:.4}", r.final_mean, r.final_stddev, r.avg_mean, r.avg_stddev, r.losses.last().unwrap_or(&f64::NAN));
    let r = vi_normal_normal(true, Some(GradientEstimator::ScoreFunction), 10, 1000, 42, DType::F32)?;
    println!("forward KL (score function, 10 draws): q_z mean {:.4}, stddev {:.4} (last 200 steps: {:.4}, {:.4})", r.final_mean, r.final_stddev, r.avg_mean, r.avg_stddev);
    println!("exact posterior: mean 2.5, stddev {:.4}", 0.5f64.sqrt());
    Ok(())
}
