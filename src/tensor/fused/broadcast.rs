//! Broadcasting a tracked operand as one autodiff node whose backward sums the upstream
//! gradient over the broadcast axes in one contiguous pass.
//!
//! candle broadcasts by a strided view and reduces the gradient with its generic strided
//! reduction, which computes a source index per element by division — the largest single cost
//! of a VAE or convolution training step once the GEMMs are done (a posterior's `loc [B, n]`
//! against draws `[S, B, n]`, a mixture's components against every code). Here the operand is
//! copied out to the full shape (so the elementwise op that follows reads contiguous memory)
//! and the gradient is reduced by an odometer that keeps the source offset incrementally.
//!
//! ```text
//! forward:  y[i] = x[j(i)]             j drops the broadcast axes (size 1 or missing in x)
//! backward: ∂/∂x[j] = Σ_{i: j(i) = j} g[i]
//! ```

use candle_core::{CpuStorage, CustomOp1, Layout, Shape};

struct Broadcast {
    shape: Vec<usize>,
}

/// The runs of `out` along its last axis, in row-major order: `f(out_start, x_offset, len,
/// step)` for each, where the run's elements come from `x[x_offset + k·step]`, `k < len` (`x`
/// has dims `x_dims`, contiguous, right-aligned to `out`; `step` is 0 when the last axis is
/// broadcast, else 1). The offset is kept incrementally by an odometer over the outer axes.
fn walk(x_dims: &[usize], out: &[usize], mut f: impl FnMut(usize, usize, usize, usize)) {
    let n = out.len();
    let pad = n - x_dims.len();
    // Row-major strides of x, 0 on broadcast axes.
    let mut stride = vec![0usize; n];
    let mut s = 1;
    for i in (0..n).rev() {
        let d = if i >= pad { x_dims[i - pad] } else { 1 };
        stride[i] = if d == 1 { 0 } else { s };
        s *= d;
    }
    let total: usize = out.iter().product();
    if total == 0 {
        return;
    }
    let inner = *out.last().unwrap_or(&1);
    let inner_stride = *stride.last().unwrap_or(&0);
    let mut idx = vec![0usize; n.saturating_sub(1)];
    let mut base = 0usize;
    let mut i = 0;
    while i < total {
        f(i, base, inner, inner_stride);
        i += inner;
        // Advance the outer odometer.
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            base += stride[d];
            if idx[d] < out[d] {
                break;
            }
            base -= stride[d] * out[d];
            idx[d] = 0;
        }
    }
}

/// `x` copied out to `out`: each run a slice copy, or a fill where the last axis is broadcast.
fn expand<T: Copy + Default>(x: &[T], x_dims: &[usize], out: &[usize]) -> Vec<T> {
    let mut y = vec![T::default(); out.iter().product()];
    walk(x_dims, out, |i, j, len, step| {
        if step == 1 {
            y[i..i + len].copy_from_slice(&x[j..j + len]);
        } else {
            y[i..i + len].fill(x[j]);
        }
    });
    y
}

/// The gradient summed back to `x_dims`: each run added slice to slice, or summed into one entry.
fn reduce<T: Copy + Default + std::ops::AddAssign>(g: &[T], x_dims: &[usize], out: &[usize]) -> Vec<T> {
    let mut r = vec![T::default(); x_dims.iter().product()];
    walk(x_dims, out, |i, j, len, step| {
        if step == 1 {
            for (r, g) in r[j..j + len].iter_mut().zip(&g[i..i + len]) {
                *r += *g;
            }
        } else {
            let rj = &mut r[j];
            for g in &g[i..i + len] {
                *rj += *g;
            }
        }
    });
    r
}

impl CustomOp1 for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let dims = l.dims();
        let out = match s {
            CpuStorage::F32(v) => CpuStorage::F32(expand(crate::tensor::contiguous_slice(v, l, "broadcast")?, dims, &self.shape)),
            CpuStorage::F64(v) => CpuStorage::F64(expand(crate::tensor::contiguous_slice(v, l, "broadcast")?, dims, &self.shape)),
            _ => candle_core::bail!("broadcast: float32 or float64"),
        };
        Ok((out, Shape::from(self.shape.clone())))
    }
    fn bwd(&self, x: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let g = g.contiguous()?;
        let r = match g.dtype() {
            candle_core::DType::F32 => candle_core::Tensor::from_vec(crate::tensor::with_slice::<f32, _>(&g, |v| reduce(v, x.dims(), &self.shape))?, x.dims(), x.device())?,
            _ => candle_core::Tensor::from_vec(crate::tensor::with_slice::<f64, _>(&g, |v| reduce(v, x.dims(), &self.shape))?, x.dims(), x.device())?,
        };
        Ok(Some(r))
    }
}

/// `t` broadcast to `shape`: a tracked float tensor as the node above, anything else as
/// candle's free view (no gradient to reduce).
pub(crate) fn broadcast_as(t: &candle_core::Tensor, shape: &[usize]) -> candle_core::Result<candle_core::Tensor> {
    if t.track_op() && t.dtype().is_float() && matches!(t.dtype(), candle_core::DType::F32 | candle_core::DType::F64) && t.device().is_cpu() {
        t.contiguous()?.apply_op1(Broadcast { shape: shape.to_vec() })
    } else {
        t.broadcast_as(shape)
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    #[test]
    fn values_and_gradients_equal_candles_broadcast() {
        // Leading, middle and trailing broadcast axes; the gradient of Σ w ⊙ (x + y) by both
        // paths (a tracked x takes the fused node, an untracked copy candle's view).
        for (xs, ys) in [(vec![3usize], vec![4usize, 2, 3]), (vec![2, 1, 3], vec![2, 4, 3]), (vec![4, 1], vec![4, 5]), (vec![1, 3, 1], vec![2, 3, 4])] {
            for dtype in [DType::F64, DType::F32] {
                let n: usize = xs.iter().product();
                let m: usize = ys.iter().product();
                let xv: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 1.0).collect();
                let yv: Vec<f64> = (0..m).map(|i| (i % 7) as f64).collect();
                let w: Vec<f64> = (0..m).map(|i| 1.0 + (i % 5) as f64 * 0.25).collect();
                let x = Variable::new(&Tensor::from_slice(&xv, &xs, dtype).unwrap(), "x").unwrap().value();
                let y = Tensor::from_slice(&yv, &ys, dtype).unwrap();
                let out = x.add(&y).unwrap();
                let plain = Tensor::from_slice(&xv, &xs, dtype).unwrap().add(&y).unwrap();
                assert_eq!(out.to_vec().unwrap(), plain.to_vec().unwrap(), "{xs:?} + {ys:?}");
                let g = out.mul(&Tensor::from_slice(&w, &ys, dtype).unwrap()).unwrap().sum_all().unwrap().grad(&[&x]).unwrap()[0].clone().unwrap().to_vec().unwrap();
                // By hand: each x entry's gradient is the sum of the weights it was added to.
                let pad = ys.len() - xs.len();
                let mut want = vec![0.0; n];
                for (i, wi) in w.iter().enumerate() {
                    let mut rem = i;
                    let mut j = 0;
                    let mut stride = 1;
                    for d in (0..ys.len()).rev() {
                        let k = rem % ys[d];
                        rem /= ys[d];
                        if d >= pad && xs[d - pad] != 1 {
                            j += k * stride;
                            stride *= xs[d - pad];
                        }
                    }
                    want[j] += wi;
                }
                for (a, b) in g.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-5, "{xs:?} + {ys:?} {dtype:?}: {g:?} vs {want:?}");
                }
            }
        }
    }
}
