//! TensorFlow's `sigmoid_cross_entropy_with_logits` as one autodiff node: the negative
//! Bernoulli log-likelihood of `labels` under `logits`, in the stable form
//!
//! ```text
//! loss(x, l) = max(l, 0) − l·x + log1p(exp(−|l|))  =  softplus(l) − l·x
//! ∂loss/∂l = sigmoid(l) − x,    ∂loss/∂x = −l
//! ```
//!
//! `Bernoulli::log_prob` from logits is its negation. As a graph of facade ops (product,
//! softplus, difference) it was three nodes, three intermediate tensors and a second pass of
//! `exp` and `log1p` in the softplus's backward; here the forward pass keeps `sigmoid(l)` (from the
//! same `exp(−|l|)` the value needs) for the backward pass when the logits are tracked.

use crate::error::Result;
use crate::tensor::{layout_slice, Tensor};
use crate::tensor::special::vector_exp::Real;
use candle_core::{CpuStorage, CustomOp2, Layout, Shape};
use std::sync::Mutex;

/// The op; `sigmoid` holds the forward pass's `sigmoid(l)` (in the logits' dtype) for the
/// backward pass when `keep` is set.
struct SigmoidCrossEntropy {
    keep: bool,
    sigmoid: Mutex<Option<CpuStorage>>,
}

/// `(loss, sigmoid(l))` for one element, from `e = exp(−|l|)`.
macro_rules! kernel {
    ($t:ty, $x:expr, $l:expr) => {{
        let (x, l): ($t, $t) = ($x, $l);
        let e = (-l.abs()).exp();
        let loss = l.max(0.0) - l * x + e.ln_1p();
        let s = if l >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
        (loss, s)
    }};
}

/// `ln(1 + e)` for `e ∈ [0, 1]`, branch-free (so a loop of it vectorizes): `u = 1 + e` rounded,
/// `ln u` by `2 atanh((m − 1)/(m + 1))` on `m = u` or `u/2` (whichever lies in [1/√2, √2]),
/// plus the rounding error of `u` to first order, `(e − (u − 1))/u`. Within 2 ulp of the exact
/// value (tested against f64), also for `e` below 2⁻²⁴ where `u` rounds to 1.
#[cfg(test)]
fn ln_1p_unit(e: f32) -> f32 {
    ln_1p_unit_with(e, 1.0 / (1.0 + e))
}

/// [`ln_1p_unit`] given `r = 1/(1 + e)` (the sigmoid's reciprocal, already computed).
#[inline(always)]
fn ln_1p_unit_with(e: f32, r: f32) -> f32 {
    let u = 1.0 + e;
    let big = u > std::f32::consts::SQRT_2;
    let m = if big { u * 0.5 } else { u };
    let k = if big { std::f32::consts::LN_2 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    // |s| ≤ 0.172, z ≤ 0.0295: the z⁵/11 term is below 2e-9 relative.
    let p = 1.0 + z * (1.0 / 3.0 + z * (1.0 / 5.0 + z * (1.0 / 7.0 + z * (1.0 / 9.0))));
    k + 2.0 * s * p + (e - (u - 1.0)) * r
}

/// `(loss, sigmoid(l))` for one float32 element, branch-free (`Real::vexp`, [`ln_1p_unit_with`]);
/// `1/(1 + e)` serves both the sigmoid and the logarithm's rounding correction.
#[inline(always)]
fn kernel_f32(x: f32, l: f32) -> (f32, f32) {
    let e = (-l.abs()).vexp();
    let r = 1.0 / (1.0 + e);
    let loss = l.max(0.0) - l * x + ln_1p_unit_with(e, r);
    (loss, if l >= 0.0 { r } else { e * r })
}

/// The float32 pass, compiled for the widest vector lanes the CPU has (glibc's scalar `log1pf`
/// alone took 14 ns an element, a seventh of the VAE's training step; `wide`'s eight-lane
/// `exp` and `ln_1p` on the baseline target still a tenth).
fn forward_f32(x: &[f32], l: &[f32], keep: bool) -> (Vec<f32>, Vec<f32>) {
    let n = l.len();
    let mut out = vec![0f32; n];
    let mut sig = vec![0f32; if keep { n } else { 0 }];
    crate::tensor::special::vector_exp::multiversion!({
        if keep {
            for (((o, s), x), l) in out.iter_mut().zip(sig.iter_mut()).zip(x).zip(l) {
                (*o, *s) = kernel_f32(*x, *l);
            }
        } else {
            for ((o, x), l) in out.iter_mut().zip(x).zip(l) {
                *o = kernel_f32(*x, *l).0;
            }
        }
    });
    (out, sig)
}

/// The float64 pass, one element at a time.
fn forward_f64(x: &[f64], l: &[f64], keep: bool) -> (Vec<f64>, Vec<f64>) {
    let mut out = Vec::with_capacity(l.len());
    let mut sig = Vec::with_capacity(if keep { l.len() } else { 0 });
    for (x, l) in x.iter().zip(l) {
        let (v, s) = kernel!(f64, *x, *l);
        out.push(v);
        if keep {
            sig.push(s);
        }
    }
    (out, sig)
}

impl CustomOp2 for SigmoidCrossEntropy {
    fn name(&self) -> &'static str {
        "sigmoid_cross_entropy_with_logits"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (out, sig) = match (s1, s2) {
            (CpuStorage::F32(x), CpuStorage::F32(l)) => {
                let (out, sig) = forward_f32(&layout_slice(x, l1), &layout_slice(l, l2), self.keep);
                (CpuStorage::F32(out), CpuStorage::F32(sig))
            }
            (CpuStorage::F64(x), CpuStorage::F64(l)) => {
                let (out, sig) = forward_f64(&layout_slice(x, l1), &layout_slice(l, l2), self.keep);
                (CpuStorage::F64(out), CpuStorage::F64(sig))
            }
            _ => candle_core::bail!("sigmoid_cross_entropy_with_logits: float32 or float64 inputs of one dtype"),
        };
        if self.keep {
            *self.sigmoid.lock().map_err(|_| candle_core::Error::Msg("sigmoid_cross_entropy_with_logits: poisoned lock".into()))? = Some(sig);
        }
        Ok((out, l2.shape().clone()))
    }
    fn bwd(&self, x: &candle_core::Tensor, l: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let g = g.contiguous()?;
        let dx = if x.track_op() { Some(g.mul(l)?.neg()?) } else { None };
        let dl = if l.track_op() {
            let kept = self.sigmoid.lock().map_err(|_| candle_core::Error::Msg("sigmoid_cross_entropy_with_logits: poisoned lock".into()))?.clone();
            // Tracked logits always had their sigmoid kept by the forward pass.
            let sig = match kept {
                Some(CpuStorage::F32(s)) => candle_core::Tensor::from_vec(s, l.dims(), l.device())?,
                Some(CpuStorage::F64(s)) => candle_core::Tensor::from_vec(s, l.dims(), l.device())?,
                _ => candle_core::bail!("sigmoid_cross_entropy_with_logits: no forward pass kept sigmoid(logits)"),
            };
            let xs = x.contiguous()?;
            Some(fused_dl(&g, &sig, &xs)?)
        } else {
            None
        };
        Ok((dx, dl))
    }
}

/// `g · (s − x)` in one pass.
fn fused_dl(g: &candle_core::Tensor, s: &candle_core::Tensor, x: &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor> {
    match g.dtype() {
        candle_core::DType::F32 => {
            let v = crate::tensor::with_slice::<f32, _>(g, |g| crate::tensor::with_slice::<f32, _>(s, |s| crate::tensor::with_slice::<f32, _>(x, |x| g.iter().zip(s).zip(x).map(|((g, s), x)| g * (s - x)).collect::<Vec<f32>>())))???;
            candle_core::Tensor::from_vec(v, g.dims(), g.device())
        }
        _ => {
            let v = crate::tensor::with_slice::<f64, _>(g, |g| crate::tensor::with_slice::<f64, _>(s, |s| crate::tensor::with_slice::<f64, _>(x, |x| g.iter().zip(s).zip(x).map(|((g, s), x)| g * (s - x)).collect::<Vec<f64>>())))???;
            candle_core::Tensor::from_vec(v, g.dims(), g.device())
        }
    }
}

impl Tensor {
    /// TensorFlow's `tf.nn.sigmoid_cross_entropy_with_logits(labels, logits)`:
    /// `softplus(logits) − labels·logits` elementwise (broadcasting), stable for any logits, as
    /// one autodiff node (module doc). `Bernoulli(logits).log_prob(labels)` is its negation.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let l = Variable::new(&Tensor::vector(&[0.0, 2.0, -1000.0], DType::F64)?, "l")?.value();
    /// let x = Tensor::vector(&[1.0, 0.0, 1.0], DType::F64)?;
    /// let loss = Tensor::sigmoid_cross_entropy_with_logits(&x, &l)?.to_vec()?;
    /// assert!((loss[0] - 2f64.ln()).abs() < 1e-15 && (loss[1] - (1.0 + 2f64.exp()).ln()).abs() < 1e-14);
    /// assert_eq!(loss[2], 1000.0); // no overflow at extreme logits
    /// let g = Tensor::sigmoid_cross_entropy_with_logits(&x, &l)?.sum_all()?.grad(&[&l])?;
    /// assert!((g[0].as_ref().unwrap().to_vec()?[0] + 0.5).abs() < 1e-15); // sigmoid(0) − 1
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sigmoid_cross_entropy_with_logits(labels: &Tensor, logits: &Tensor) -> Result<Tensor> {
        let keep = logits.0.track_op();
        type Same = fn(&candle_core::Tensor, &candle_core::Tensor) -> candle_core::Result<candle_core::Tensor>;
        let same: Same = if keep { |x, l| x.apply_op2(l, op(true)) } else { |x, l| x.apply_op2(l, op(false)) };
        labels.binary(logits, "sigmoid_cross_entropy_with_logits", same)
    }
}

fn op(keep: bool) -> SigmoidCrossEntropy {
    SigmoidCrossEntropy { keep, sigmoid: Mutex::new(None) }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Values against `softplus(l) − x·l` by the facade's ops, and the gradients in both inputs
    /// against central differences, with the labels broadcast over a leading axis; f32 and f64.
    #[test]
    fn ln_1p_unit_is_within_two_ulp_of_the_exact_value() {
        let mut e = 1.0f32;
        let mut worst = 0f32;
        // Every power of two down to 2^-40, and 20,000 points spread over (0, 1].
        while e > 1e-12 {
            let (got, want) = (super::ln_1p_unit(e) as f64, (e as f64).ln_1p());
            worst = worst.max(((got - want).abs() / (want * f32::EPSILON as f64)) as f32);
            e *= 0.5;
        }
        for i in 1..=20_000 {
            let e = i as f32 / 20_000.0;
            let (got, want) = (super::ln_1p_unit(e) as f64, (e as f64).ln_1p());
            worst = worst.max(((got - want).abs() / (want * f32::EPSILON as f64)) as f32);
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
    }

    #[test]
    fn values_and_gradients() {
        for dtype in [DType::F64, DType::F32] {
            let ls: Vec<f64> = (0..12).map(|i| ((i * 7 % 11) as f64 - 5.0) / 1.5 + 0.05).collect();
            let xs: Vec<f64> = (0..4).map(|i| [0.0, 1.0, 0.3, 1.0][i]).collect();
            let w: Vec<f64> = (0..12).map(|i| 0.5 + (i % 5) as f64 / 4.0).collect();
            let f = |l: &[f64], x: &[f64]| -> f64 {
                let l = Tensor::from_slice(l, &[3, 4], dtype).unwrap();
                let x = Tensor::vector(x, dtype).unwrap();
                let y = Tensor::sigmoid_cross_entropy_with_logits(&x, &l).unwrap().to_vec().unwrap();
                let reference = l.softplus().unwrap().sub(&l.mul(&x).unwrap()).unwrap().to_vec().unwrap();
                for (a, b) in y.iter().zip(&reference) {
                    assert!((a - b).abs() < if dtype == DType::F64 { 1e-14 } else { 1e-6 } * (1.0 + b.abs()), "{a} vs {b}");
                }
                y.iter().zip(&w).map(|(y, w)| y * w).sum()
            };
            let lv = Variable::new(&Tensor::from_slice(&ls, &[3, 4], dtype).unwrap(), "l").unwrap().value();
            let xv = Variable::new(&Tensor::vector(&xs, dtype).unwrap(), "x").unwrap().value();
            let loss = Tensor::sigmoid_cross_entropy_with_logits(&xv, &lv).unwrap().mul(&Tensor::from_slice(&w, &[3, 4], dtype).unwrap()).unwrap().sum_all().unwrap();
            let g = loss.grad(&[&lv, &xv]).unwrap();
            let (gl, gx) = (g[0].as_ref().unwrap().to_vec().unwrap(), g[1].as_ref().unwrap().to_vec().unwrap());
            let (h, tol) = if dtype == DType::F64 { (1e-6, 1e-8) } else { (1e-2, 2e-3) };
            for i in 0..12 {
                let (mut p, mut m) = (ls.clone(), ls.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (f(&p, &xs) - f(&m, &xs)) / (2.0 * h);
                assert!((fd - gl[i]).abs() < tol * (1.0 + fd.abs()), "{dtype:?} l[{i}]: {} vs {fd}", gl[i]);
            }
            for j in 0..4 {
                let (mut p, mut m) = (xs.clone(), xs.clone());
                p[j] += h;
                m[j] -= h;
                let fd = (f(&ls, &p) - f(&ls, &m)) / (2.0 * h);
                assert!((fd - gx[j]).abs() < tol * (1.0 + fd.abs()), "{dtype:?} x[{j}]: {} vs {fd}", gx[j]);
            }
            // Untracked logits: the value alone, nothing kept.
            let c = Tensor::sigmoid_cross_entropy_with_logits(&Tensor::vector(&xs, dtype).unwrap(), &Tensor::from_slice(&ls, &[3, 4], dtype).unwrap()).unwrap();
            assert_eq!(c.shape(), &[3, 4]);
        }
    }
}
