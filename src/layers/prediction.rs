//! Prediction with uncertainty from a stochastic classifier (a Bayesian neural network): `S`
//! forward passes, each with its own seed (a fresh draw of every variational layer's weights),
//! summarized per example:
//!
//! ```text
//! p_s = softmax(model(x; seed_s))                         s = 1..S
//! mean = (1/S) Σ p_s          sd = √((1/S) Σ (p_s − mean)²)            per class
//! entropy            = H[mean] = −Σ_k mean_k log mean_k  total predictive uncertainty
//! expected_entropy   = (1/S) Σ H[p_s]                      aleatoric (the data's noise)
//! mutual_information = entropy − expected_entropy ≥ 0      epistemic (BALD: the weights')
//! ```
//!
//! The passes run without recording gradients (their outputs are detached), so memory stays
//! that of one pass.

use crate::error::{Error, Result};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::layer::Layer;
use super::training::argmax;

/// The per-example summary of `S` stochastic passes (module doc), each field `[n, classes]` or
/// `[n]`, in float64.
///
/// ```
/// use probrs::layers::{predict_with_uncertainty, Dense, Layer};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// // A deterministic model has no epistemic uncertainty.
/// let model = Dense::new(3)?.with_seed(1);
/// let p = predict_with_uncertainty(&model, &Tensor::ones(&[2, 4], DType::F32)?, 5, Seed::new(0))?;
/// assert!(p.mutual_information.to_vec()?.iter().all(|m| m.abs() < 1e-6));
/// assert!(p.sd.to_vec()?.iter().all(|s| s.abs() < 1e-6));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PredictiveUncertainty {
    /// The predictive mean of the class probabilities `[n, classes]`.
    pub mean: Tensor,
    /// Their standard deviation over the passes `[n, classes]`.
    pub sd: Tensor,
    /// The entropy of the predictive mean `[n]` (nats).
    pub entropy: Tensor,
    /// The mean entropy of the passes `[n]`.
    pub expected_entropy: Tensor,
    /// `entropy − expected_entropy` `[n]`.
    pub mutual_information: Tensor,
}

impl PredictiveUncertainty {
    /// Each example's most probable class under the predictive mean.
    ///
    /// ```
    /// use probrs::layers::{predict_with_uncertainty, Dense};
    /// let p = predict_with_uncertainty(&Dense::new(3)?, &probrs::tensor::Tensor::ones(&[2, 4], probrs::tensor::DType::F32)?, 2, probrs::random::Seed::new(0))?;
    /// assert_eq!(p.predicted_labels()?.len(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn predicted_labels(&self) -> Result<Vec<u32>> {
        let k = self.mean.shape()[1];
        let v = self.mean.to_vec()?;
        Ok(v.chunks(k).map(|row| argmax(row) as u32).collect())
    }
}

/// `num_samples` stochastic passes of `model` (logits out) over `inputs`, pass `s` seeded
/// `seed.fold_in(s)`, summarized (module doc). Errors: no passes, no rows, logits that are not
/// `[n, classes]`, and non-finite probabilities (naming the pass).
///
/// ```
/// use probrs::layers::{predict_with_uncertainty, DenseFlipout};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let model = DenseFlipout::new(4)?.with_seed(2);
/// let p = predict_with_uncertainty(&model, &Tensor::ones(&[3, 5], DType::F32)?, 20, Seed::new(1))?;
/// assert_eq!((p.mean.shape(), p.entropy.shape()), (&[3usize, 4][..], &[3usize][..]));
/// // Each row of the mean is a distribution, and H[mean] ≥ E[H] (Jensen).
/// let m = p.mean.to_vec()?;
/// assert!((m[..4].iter().sum::<f64>() - 1.0).abs() < 1e-6);
/// assert!(p.mutual_information.to_vec()?.iter().all(|v| *v >= -1e-9));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn predict_with_uncertainty(model: &dyn Layer, inputs: &Tensor, num_samples: usize, seed: Seed) -> Result<PredictiveUncertainty> {
    if num_samples == 0 {
        return Err(Error::invalid_parameter("num_samples", "needs at least one pass"));
    }
    if inputs.shape().first().copied().unwrap_or(0) == 0 {
        return Err(Error::InvalidShape { what: "predict_with_uncertainty inputs".into(), shape: inputs.shape().to_vec(), reason: "needs at least one row".into() });
    }
    let (mut n, mut k) = (0, 0);
    let (mut sum, mut sq, mut ent) = (vec![], vec![], vec![]);
    for s in 0..num_samples {
        let logits = model.call(inputs, seed.fold_in(s as u64))?.detach();
        if s == 0 {
            let [rows, classes] = logits.shape() else {
                return Err(Error::InvalidShape { what: format!("logits of `{}`", model.name()), shape: logits.shape().to_vec(), reason: "[rows, classes] expected".into() });
            };
            (n, k) = (*rows, *classes);
            (sum, sq, ent) = (vec![0.0; n * k], vec![0.0; n * k], vec![0.0; n]);
        }
        let p = Activation::Softmax.apply(&logits.to_dtype(DType::F64)?)?.to_vec()?;
        if p.len() != n * k || p.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: format!("class probabilities of pass {s}"), step: s, variable: None });
        }
        for (i, v) in p.iter().enumerate() {
            sum[i] += v;
            sq[i] += v * v;
            ent[i / k] -= xlogx(*v);
        }
    }
    let sn = num_samples as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / sn).collect();
    let sd: Vec<f64> = sq.iter().zip(&mean).map(|(q, m)| (q / sn - m * m).max(0.0).sqrt()).collect();
    let entropy: Vec<f64> = mean.chunks(k).map(|row| -row.iter().map(|p| xlogx(*p)).sum::<f64>()).collect();
    let expected: Vec<f64> = ent.iter().map(|e| e / sn).collect();
    let mi: Vec<f64> = entropy.iter().zip(&expected).map(|(h, e)| h - e).collect();
    Ok(PredictiveUncertainty {
        mean: Tensor::from_f64s(mean, &[n, k])?,
        sd: Tensor::from_f64s(sd, &[n, k])?,
        entropy: Tensor::from_f64s(entropy, &[n])?,
        expected_entropy: Tensor::from_f64s(expected, &[n])?,
        mutual_information: Tensor::from_f64s(mi, &[n])?,
    })
}

/// `p log p`, 0 at 0.
fn xlogx(p: f64) -> f64 {
    if p > 0.0 {
        p * p.ln()
    } else {
        0.0
    }
}
