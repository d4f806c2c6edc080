//! The handwritten digits the seed page's VAE and BNN examples train on, embedded (`data/`:
//! UCI's optical digits as scikit-learn ships them, CC BY 4.0).

use std::io::Read;

use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// 1,797 handwritten digits: 8×8 images as rows of 64 pixels scaled to [0, 1] (the file's 0–16
/// divided by 16), and their labels 0–9.
///
/// ```
/// let d = probrs::layers::digits()?;
/// assert_eq!((d.images.shape(), d.labels.len()), (&[1797usize, 64][..], 1797));
/// assert_eq!(d.labels[..4], [0, 1, 2, 3]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Digits {
    /// `[1797, 64]`, float32, in [0, 1].
    pub images: Tensor,
    /// The digit each image shows.
    pub labels: Vec<u32>,
}

/// The embedded digits ([`Digits`]).
///
/// ```
/// let d = probrs::layers::digits()?;
/// let px = d.images.to_vec()?;
/// assert!(px.iter().all(|p| (0.0..=1.0).contains(p)));
/// assert!((0..10).all(|k| d.labels.iter().filter(|l| **l == k).count() >= 170));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn digits() -> Result<Digits> {
    let mut text = String::new();
    let bad = |line: usize, reason: String| Error::BadInput { location: format!("embedded digits.csv.gz, line {line}"), reason };
    flate2::read::GzDecoder::new(&include_bytes!("data/digits.csv.gz")[..]).read_to_string(&mut text).map_err(|e| bad(0, e.to_string()))?;
    let (mut pixels, mut labels) = (Vec::with_capacity(1797 * 64), Vec::with_capacity(1797));
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let v: Vec<f64> = line.split(',').map(|f| f.trim().parse::<f64>().map_err(|e| bad(i + 1, format!("{f:?}: {e}")))).collect::<Result<_>>()?;
        if v.len() != 65 {
            return Err(bad(i + 1, format!("{} fields, 65 expected", v.len())));
        }
        pixels.extend(v[..64].iter().map(|p| p / 16.0));
        labels.push(v[64] as u32);
    }
    Ok(Digits { images: Tensor::from_slice(&pixels, &[labels.len(), 64], DType::F32)?, labels })
}
