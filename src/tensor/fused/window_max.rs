//! Max pooling's reduction as one autodiff node: the maximum over each window of positions,
//! per example and channel, without materializing the windows; the forward pass remembers
//! where each maximum was, and the backward pass adds each output's gradient there.
//!
//! ```text
//! x [B, N, C],  windows [P, K] (positions in 0..N)
//! y[b, p, c] = max_k x[b, windows[p, k], c]                 (the first maximum wins)
//! ∂/∂x[b, n, c] = Σ_{p : argmax(b, p, c) = n} g[b, p, c]
//! ```
//!
//! The gradient goes whole to the first maximal entry of a window, as TensorFlow's `max_pool`
//! (ties are common: a convolution over an image's blank background gives equal outputs). As a
//! gather of the windows `[B, P, K, C]` and a reduction it cost two passes over `K` times the
//! input forward, and two more with a scatter backward; here it is one pass each way over the
//! input and the output.

use crate::error::{Error, Result};
use crate::tensor::{contiguous_slice, Tensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};
use std::sync::Mutex;

struct WindowMax {
    windows: Vec<u32>,
    k: usize,
    /// The input position of each output's maximum, kept for the backward pass.
    argmax: Mutex<Vec<u32>>,
}

fn forward<T: Copy + PartialOrd>(x: &[T], windows: &[u32], k: usize, (b, n, c): (usize, usize, usize), argmax: &mut Vec<u32>) -> Vec<T> {
    let p = windows.len() / k;
    let mut out = Vec::with_capacity(b * p * c);
    argmax.clear();
    argmax.reserve(b * p * c);
    for e in 0..b {
        let xe = &x[e * n * c..(e + 1) * n * c];
        for w in windows.chunks_exact(k) {
            let start = out.len();
            let first = w[0] as usize;
            out.extend_from_slice(&xe[first * c..(first + 1) * c]);
            argmax.extend(std::iter::repeat_n(w[0], c));
            let (best, at) = (&mut out[start..], &mut argmax[start..]);
            for &pos in &w[1..] {
                let row = &xe[pos as usize * c..(pos as usize + 1) * c];
                for ((m, a), &v) in best.iter_mut().zip(at.iter_mut()).zip(row) {
                    // NaN never compares greater, so a NaN only propagates from the first
                    // position; make it win from any position (and stay).
                    let take = v > *m || (v.partial_cmp(&v).is_none() && (*m).partial_cmp(&*m).is_some());
                    *m = if take { v } else { *m };
                    *a = if take { pos } else { *a };
                }
            }
        }
    }
    out
}

fn backward<T: Copy + Default + std::ops::AddAssign>(g: &[T], argmax: &[u32], (b, n, c): (usize, usize, usize)) -> Vec<T> {
    let mut dx = vec![T::default(); b * n * c];
    let per = argmax.len() / b.max(1);
    for e in 0..b {
        let (ge, ae, de) = (&g[e * per..(e + 1) * per], &argmax[e * per..(e + 1) * per], &mut dx[e * n * c..(e + 1) * n * c]);
        for (i, (&gv, &pos)) in ge.iter().zip(ae).enumerate() {
            de[pos as usize * c + i % c] += gv;
        }
    }
    dx
}

impl CustomOp1 for WindowMax {
    fn name(&self) -> &'static str {
        "window_max"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (b, n, c) = l.shape().dims3()?;
        let mut argmax = self.argmax.lock().map_err(|_| candle_core::Error::Msg("window_max: poisoned lock".into()))?;
        let out = match s {
            CpuStorage::F32(x) => CpuStorage::F32(forward(contiguous_slice(x, l, "window_max")?, &self.windows, self.k, (b, n, c), &mut argmax)),
            CpuStorage::F64(x) => CpuStorage::F64(forward(contiguous_slice(x, l, "window_max")?, &self.windows, self.k, (b, n, c), &mut argmax)),
            _ => candle_core::bail!("window_max: float32 or float64"),
        };
        Ok((out, Shape::from((b, self.windows.len() / self.k, c))))
    }
    fn bwd(&self, x: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let g = g.contiguous()?;
        let dims = x.dims3()?;
        let argmax = self.argmax.lock().map_err(|_| candle_core::Error::Msg("window_max: poisoned lock".into()))?;
        let dx = match x.dtype() {
            candle_core::DType::F32 => candle_core::Tensor::from_vec(crate::tensor::with_slice::<f32, _>(&g, |g| backward(g, &argmax, dims))?, x.dims(), x.device())?,
            _ => candle_core::Tensor::from_vec(crate::tensor::with_slice::<f64, _>(&g, |g| backward(g, &argmax, dims))?, x.dims(), x.device())?,
        };
        Ok(Some(dx))
    }
}

impl Tensor {
    /// For `self` `[B, N, C]` and `windows` (`P` windows of `k` positions in `0..N`, row after
    /// row): `[B, P, C]`, each window's maximum per example and channel (module doc); the
    /// gradient goes to the first maximal entry, as TensorFlow's `max_pool`.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// // One example, four positions, one channel; windows {0, 1} and {1, 2, 3}.
    /// let x = Variable::new(&Tensor::from_slice(&[1.0, 4.0, 4.0, 2.0], &[1, 4, 1], DType::F64)?, "x")?.value();
    /// let y = x.window_max(&[0, 1, 1, 2], 2)?;
    /// assert_eq!(y.to_vec()?, vec![4.0, 4.0]);
    /// // Position 1 is the first maximum of both windows.
    /// assert_eq!(y.sum_all()?.grad(&[&x])?[0].as_ref().unwrap().to_vec()?, vec![0.0, 2.0, 0.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn window_max(&self, windows: &[u32], k: usize) -> Result<Tensor> {
        if self.rank() != 3 {
            return Err(Error::invalid_shape("window_max", self.shape(), "must be [batch, positions, channels]"));
        }
        let n = self.shape()[1];
        if k == 0 || !windows.len().is_multiple_of(k) {
            return Err(Error::invalid_shape("window_max", &[windows.len()], format!("is not whole windows of {k} positions")));
        }
        if let Some(bad) = windows.iter().find(|&&i| i as usize >= n) {
            return Err(Error::invalid_shape("window_max", self.shape(), format!("window position {bad} is past the {n} positions")));
        }
        Ok(Tensor(self.0.contiguous()?.apply_op1(WindowMax { windows: windows.to_vec(), k, argmax: Mutex::new(Vec::new()) })?))
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Values against a gather and `max_axis`, gradients against central differences (away from
    /// ties), the first-maximum rule on ties, NaN; f32 and f64.
    #[test]
    fn values_gradients_and_ties() {
        for dtype in [DType::F64, DType::F32] {
            let (b, n, c) = (2usize, 5usize, 3usize);
            let xs: Vec<f64> = (0..b * n * c).map(|i| ((i * 11 % 17) as f64 * 0.73).cos() + i as f64 * 1e-3).collect();
            let windows: Vec<u32> = vec![0, 1, 2, 2, 3, 4, 4, 0, 1, 1, 1, 3];
            let k = 3;
            let x = Variable::new(&Tensor::from_slice(&xs, &[b, n, c], dtype).unwrap(), "x").unwrap().value();
            let y = x.window_max(&windows, k).unwrap();
            let reference = x.index_select(1, &windows).unwrap().reshape(&[b, 4, k, c]).unwrap().max_axis(2, false).unwrap();
            assert_eq!(y.shape(), &[b, 4, c]);
            assert_eq!(y.to_vec().unwrap(), reference.to_vec().unwrap());
            let w: Vec<f64> = (0..b * 4 * c).map(|i| 1.0 + i as f64 * 0.1).collect();
            let wt = Tensor::from_slice(&w, &[b, 4, c], dtype).unwrap();
            let g = y.mul(&wt).unwrap().sum_all().unwrap().grad(&[&x]).unwrap()[0].clone().unwrap().to_vec().unwrap();
            let h = if dtype == DType::F64 { 1e-7 } else { 1e-4 };
            for i in 0..xs.len() {
                let f = |d: f64| {
                    let mut p = xs.clone();
                    p[i] += d;
                    Tensor::from_slice(&p, &[b, n, c], dtype).unwrap().window_max(&windows, k).unwrap().to_vec().unwrap().iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
                };
                let fd = (f(h) - f(-h)) / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-3 * (1.0 + fd.abs()), "{dtype:?} x[{i}]: {} vs {fd}", g[i]);
            }
            // Ties: the first maximal position of the window gets the whole gradient.
            let t = Variable::new(&Tensor::from_slice(&[3.0, 1.0, 3.0, 3.0], &[1, 4, 1], dtype).unwrap(), "t").unwrap().value();
            let gt = t.window_max(&[1, 2, 3, 0], 4).unwrap().sum_all().unwrap().grad(&[&t]).unwrap()[0].clone().unwrap().to_vec().unwrap();
            assert_eq!(gt, vec![0.0, 0.0, 1.0, 0.0]);
            // NaN anywhere in a window is its maximum.
            let m = Tensor::from_slice(&[1.0, f64::NAN, 2.0], &[1, 3, 1], dtype).unwrap().window_max(&[0, 1, 2], 3).unwrap().to_vec().unwrap();
            assert!(m[0].is_nan());
            // Bad windows are errors naming the shapes.
            assert!(x.window_max(&[0, 5], 2).is_err());
            assert!(x.window_max(&[0, 1, 2], 2).is_err());
            assert!(x.reshape(&[b * n * c]).unwrap().window_max(&[0], 1).is_err());
        }
    }
}
