//! Seed pages 000/001: `make_trainable(tfd.Normal)` fitted by `tfp.math.minimize`.
//!
//! TFP:
//! ```python
//! model = tfp.util.make_trainable(tfd.Normal)
//! losses = tfp.math.minimize(lambda: -model.log_prob(samples), optimizer=tf.optimizers.Adam(0.1), num_steps=200)
//! print('Fit Normal distribution with mean {} and stddev {}'.format(model.mean(), model.stddev()))
//! ```
//! Run: `cargo run --release --example fit_normal`

use probrs::distributions::{Distribution, Normal};
use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use probrs::params::{format_variables, make_trainable};
use probrs::tensor::{DType, Tensor};

fn main() -> probrs::Result<()> {
    let samples = Tensor::vector(&[4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44], DType::F32)?;
    let model = make_trainable::<Normal>()?;
    let losses = minimize(|| model.log_prob(&samples)?.sum_all()?.neg(), 1000, &mut Adam::new(0.1), MinimizeOptions::default(), trace_loss)?;
    println!("{model}");
    println!("{}", format_variables(&model.trainable_variables()));
    println!("final loss {:.4} after {} steps", losses.trace.last().unwrap_or(&f64::NAN), losses.num_steps_run);
    println!("Fit Normal distribution with mean {} and stddev {}", model.mean()?, model.stddev()?);
    Ok(())
}
