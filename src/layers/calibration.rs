//! Calibration of a classifier's probabilities (Guo et al. 2017; TFP's
//! `tfp.stats.expected_calibration_error`): the examples binned by confidence (the largest
//! class probability) into `num_bins` equal bins of `[0, 1]`, and in each bin the accuracy set
//! against the mean confidence:
//!
//! ```text
//! ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b|
//! ```
//!
//! A calibrated model's bins lie on the diagonal (the reliability diagram,
//! `plot::reliability_diagram`).

use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

use super::activation::Activation;
use super::training::argmax;

/// One confidence bin `[lo, hi)` (the last includes 1).
///
/// ```
/// let b = probrs::layers::ReliabilityBin { lo: 0.9, hi: 1.0, count: 10, confidence: 0.95, accuracy: 0.9 };
/// assert!((b.gap() - 0.05).abs() < 1e-12);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReliabilityBin {
    /// The bin's lower edge.
    pub lo: f64,
    /// The bin's upper edge.
    pub hi: f64,
    /// Examples whose confidence falls in the bin.
    pub count: usize,
    /// Their mean confidence (0 when empty).
    pub confidence: f64,
    /// The share of them predicted right (0 when empty).
    pub accuracy: f64,
}

impl ReliabilityBin {
    /// `|accuracy − confidence|`.
    ///
    /// ```
    /// let b = probrs::layers::ReliabilityBin { lo: 0.5, hi: 0.6, count: 4, confidence: 0.55, accuracy: 0.75 };
    /// assert!((b.gap() - 0.2).abs() < 1e-12);
    /// ```
    pub fn gap(&self) -> f64 {
        (self.accuracy - self.confidence).abs()
    }
}

/// The bins and the expected calibration error of a set of predictions.
///
/// ```
/// use probrs::layers::reliability;
/// use probrs::tensor::{DType, Tensor};
/// let probs = Tensor::from_slice(&[0.9, 0.1, 0.2, 0.8], &[2, 2], DType::F64)?;
/// let r = reliability(10, &probs, &[0, 0])?;
/// // One right at confidence 0.9, one wrong at 0.8: ECE = ½·0.1 + ½·0.8.
/// assert!((r.ece - 0.45).abs() < 1e-12);
/// assert_eq!(r.bins.len(), 10);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Reliability {
    /// `num_bins` equal bins of `[0, 1]`.
    pub bins: Vec<ReliabilityBin>,
    /// The expected calibration error.
    pub ece: f64,
    /// The share of examples predicted right.
    pub accuracy: f64,
}

/// The reliability bins of class probabilities `probs` `[n, classes]` against `labels`.
/// Errors: no bins, no rows, labels that do not match the rows or fall outside the classes,
/// and probabilities that are not finite or not in `[0, 1]` (naming the row).
///
/// ```
/// use probrs::layers::reliability;
/// use probrs::tensor::{DType, Tensor};
/// let probs = Tensor::from_slice(&[0.9, 0.1], &[1, 2], DType::F64)?;
/// assert!(reliability(0, &probs, &[0]).is_err());
/// assert!(reliability(10, &probs, &[2]).unwrap_err().to_string().contains("row 0"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn reliability(num_bins: usize, probs: &Tensor, labels: &[u32]) -> Result<Reliability> {
    if num_bins == 0 {
        return Err(Error::invalid_parameter("num_bins", "needs at least one bin"));
    }
    let [n, k] = probs.shape() else {
        return Err(Error::InvalidShape { what: "probabilities".into(), shape: probs.shape().to_vec(), reason: "[rows, classes] expected".into() });
    };
    let (n, k) = (*n, *k);
    if n == 0 || k == 0 || labels.len() != n {
        return Err(Error::ShapeMismatch { context: "reliability: labels vs probability rows (at least one)".into(), lhs: vec![labels.len()], rhs: vec![n] });
    }
    if let Some(r) = labels.iter().position(|l| *l as usize >= k) {
        return Err(Error::invalid_parameter("labels", format!("row {r}: label {} outside the {k} classes", labels[r])));
    }
    let p = probs.to_vec()?;
    let mut count = vec![0usize; num_bins];
    let mut conf = vec![0.0; num_bins];
    let mut hits = vec![0.0; num_bins];
    for (r, row) in p.chunks(k).enumerate() {
        if row.iter().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(Error::invalid_parameter("probs", format!("row {r}: probabilities must be finite and in [0, 1], got {row:?}")));
        }
        let best = argmax(row);
        let c = row[best];
        let b = ((c * num_bins as f64) as usize).min(num_bins - 1);
        count[b] += 1;
        conf[b] += c;
        hits[b] += f64::from(u8::from(best == labels[r] as usize));
    }
    let bins: Vec<ReliabilityBin> = (0..num_bins)
        .map(|b| {
            let m = count[b].max(1) as f64;
            ReliabilityBin { lo: b as f64 / num_bins as f64, hi: (b + 1) as f64 / num_bins as f64, count: count[b], confidence: conf[b] / m, accuracy: hits[b] / m }
        })
        .collect();
    let ece = bins.iter().map(|b| b.count as f64 / n as f64 * b.gap()).sum();
    Ok(Reliability { ece, accuracy: hits.iter().sum::<f64>() / n as f64, bins })
}

/// TFP's `tfp.stats.expected_calibration_error(num_bins, logits, labels_true)`: the ECE of
/// `softmax(logits)` (pass `log(probs)` for probabilities).
///
/// ```
/// use probrs::layers::expected_calibration_error;
/// use probrs::tensor::{DType, Tensor};
/// // Confident and always right: ECE = 1 − confidence.
/// let logits = Tensor::from_slice(&[3.0, 0.0, 0.0, 3.0], &[2, 2], DType::F64)?;
/// let c = 1.0 / (1.0 + (-3f64).exp());
/// assert!((expected_calibration_error(10, &logits, &[0, 1])? - (1.0 - c)).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn expected_calibration_error(num_bins: usize, logits: &Tensor, labels_true: &[u32]) -> Result<f64> {
    Ok(reliability(num_bins, &Activation::Softmax.apply(&logits.to_dtype(DType::F64)?)?, labels_true)?.ece)
}
