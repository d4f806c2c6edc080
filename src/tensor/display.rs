//! Printing tensors as numpy does: `array([0.5413246, 1.], dtype=float32)`.

use super::{DType, Tensor};
use std::fmt;

/// Shortest round-trip representation of one element, numpy style (`1.`, `0.5413246`).
pub(crate) fn fmt_element(v: f64, dtype: DType) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = match dtype {
        DType::F32 => format!("{}", v as f32),
        DType::F64 => format!("{}", v),
    };
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.")
    }
}

impl Tensor {
    /// numpy's `repr`: `array([0.5413246, 1.], dtype=float32)`; a scalar prints bare.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[0.5, 1.0], DType::F32)?.numpy_repr(), "array([0.5, 1. ], dtype=float32)");
    /// assert_eq!(Tensor::scalar(2.0, DType::F64)?.numpy_repr(), "2.");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn numpy_repr(&self) -> String {
        let vals = match self.to_vec() {
            Ok(v) => v,
            Err(e) => return format!("<error: {e}>"),
        };
        let dt = self.dtype();
        if self.rank() == 0 {
            return fmt_element(vals[0], dt);
        }
        let strs: Vec<String> = vals.iter().map(|&v| fmt_element(v, dt)).collect();
        // numpy aligns the decimal points within an array.
        let split = |s: &String| match s.find('.') {
            Some(i) => (s[..i].to_string(), s[i..].to_string()),
            None => (s.clone(), String::new()),
        };
        let (wi, wf) = strs.iter().map(split).fold((0, 0), |(a, b), (i, f)| (a.max(i.len()), b.max(f.len())));
        let padded: Vec<String> = strs
            .iter()
            .map(|s| {
                let (i, f) = split(s);
                format!("{:>wi$}{:<wf$}", i, f, wi = wi, wf = wf)
            })
            .collect();
        fn nest(shape: &[usize], items: &[String], depth: usize) -> String {
            if shape.len() == 1 {
                return format!("[{}]", items.join(", "));
            }
            let step = items.len() / shape[0].max(1);
            let rows: Vec<String> = (0..shape[0]).map(|i| nest(&shape[1..], &items[i * step..(i + 1) * step], depth + 1)).collect();
            let sep = format!(",\n{}", " ".repeat(depth + 7));
            format!("[{}]", rows.join(&sep))
        }
        format!("array({}, dtype={})", nest(self.shape(), &padded, 0), dt.name())
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={:?}, {})", self.shape(), self.numpy_repr())
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.numpy_repr())
    }
}
