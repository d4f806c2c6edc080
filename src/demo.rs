//! The seed examples as library functions, shared by `probrs demo`, `examples/` and the
//! integration tests (so each runs the same code).

use crate::distributions::{Distribution, Normal};
use crate::error::Result;
use crate::optim::{minimize, trace_loss, Adam, MinimizeOptions};
use crate::params::{format_variables, MakeTrainable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

/// The ten samples of TFP's `make_trainable` page.
pub const SEED_SAMPLES: [f64; 10] = [4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44];

/// The result of fitting a Normal to [`SEED_SAMPLES`].
#[derive(Clone, Debug)]
pub struct FitNormal {
    pub mean: f64,
    pub stddev: f64,
    /// The loss before each update.
    pub losses: Vec<f64>,
    /// How the trained model prints.
    pub model: String,
    /// How its trainable variables print.
    pub variables: String,
}

/// `make_trainable(Normal)` fitted by `minimize(-log_prob(samples).sum(), Adam(0.1))`.
///
/// With `initial` = `Some((loc, scale))` the start is fixed (as the baselines' W1 and TFP's
/// `initial_parameters`); otherwise it is drawn from `seed` as `make_trainable` does.
pub fn fit_normal(num_steps: usize, initial: Option<(f64, f64)>, seed: u64, dtype: DType) -> Result<FitNormal> {
    let samples = Tensor::vector(&SEED_SAMPLES, dtype)?;
    let mut builder = MakeTrainable::new().parameter_dtype(dtype).seed(Seed::new(seed));
    if let Some((loc, scale)) = initial {
        builder = builder.initial_value("loc", loc).initial_value("scale", scale);
    }
    let model: Normal = builder.build()?;
    let result = minimize(
        || model.log_prob(&samples)?.sum_all()?.neg(),
        num_steps,
        &mut Adam::new(0.1),
        MinimizeOptions::default(),
        trace_loss,
    )?;
    Ok(FitNormal {
        mean: model.mean()?.to_scalar()?,
        stddev: model.stddev()?.to_scalar()?,
        losses: result.trace,
        model: model.to_string(),
        variables: format_variables(&model.trainable_variables()),
    })
}

/// The sample mean and (population) standard deviation: the MLE the fit should reach.
pub fn seed_moments() -> (f64, f64) {
    let n = SEED_SAMPLES.len() as f64;
    let m = SEED_SAMPLES.iter().sum::<f64>() / n;
    let v = SEED_SAMPLES.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, v.sqrt())
}
