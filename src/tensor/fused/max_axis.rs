//! The maximum along one axis as one autodiff node, with TensorFlow's `reduce_max` gradient:
//! the upstream gradient goes to the maximal entries, shared equally where several tie.
//!
//! ```text
//! x [L, N, R]  →  y[l, r] = max_n x[l, n, r]                     (NaN if any entry is NaN)
//! ∂/∂x[l, n, r] = g[l, r] · 1[x[l, n, r] = y[l, r]] / #{n' : x[l, n', r] = y[l, r]}
//! ```
//!
//! candle's backward broadcast the maximum back over the axis, compared it with the input
//! (a strided comparison per element), converted the mask and multiplied: a tenth of the
//! convolutional BNN's step in its max-pooling layer, and each tied entry got the whole gradient.
//! Here the backward is one pass over the input. (Pooling layers use `window_max.rs`, whose
//! gradient goes whole to the first maximal entry, as TensorFlow's `max_pool`.)

use crate::error::{Error, Result};
use crate::tensor::{contiguous_slice, Tensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};

struct MaxAxis {
    axis: usize,
}

impl MaxAxis {
    fn split(&self, dims: &[usize]) -> (usize, usize, usize) {
        (dims[..self.axis].iter().product(), dims[self.axis], dims[self.axis + 1..].iter().product())
    }
}

fn max<T: Copy + PartialOrd>(x: &[T], (left, n, right): (usize, usize, usize)) -> Vec<T> {
    let mut out = Vec::with_capacity(left * right);
    for l in 0..left {
        let block = &x[l * n * right..(l + 1) * n * right];
        let start = out.len();
        out.extend_from_slice(&block[..right]);
        let acc = &mut out[start..];
        for row in block.chunks_exact(right).skip(1) {
            for (m, &v) in acc.iter_mut().zip(row) {
                if v > *m || v.partial_cmp(&v).is_none() {
                    *m = v;
                }
            }
        }
    }
    out
}

/// The backward pass: `g` shared among each reduction's maximal entries. Written with selects
/// and unconditional stores, so it vectorizes and has no branch to mispredict.
fn max_grad<T: Copy + PartialEq + PartialOrd + num_like::Float>(x: &[T], y: &[T], g: &[T], (left, n, right): (usize, usize, usize)) -> Vec<T> {
    let mut out = vec![T::ZERO; x.len()];
    let mut share = vec![T::ZERO; right];
    for l in 0..left {
        let (block, ys, gs) = (&x[l * n * right..(l + 1) * n * right], &y[l * right..(l + 1) * right], &g[l * right..(l + 1) * right]);
        share.iter_mut().for_each(|c| *c = T::ZERO);
        for row in block.chunks_exact(right) {
            for (c, (&v, &m)) in share.iter_mut().zip(row.iter().zip(ys)) {
                *c = *c + if v == m { T::ONE } else { T::ZERO };
            }
        }
        for (s, &gv) in share.iter_mut().zip(gs) {
            *s = if *s > T::ZERO { gv / *s } else { T::ZERO };
        }
        let dst = &mut out[l * n * right..(l + 1) * n * right];
        for (drow, row) in dst.chunks_exact_mut(right).zip(block.chunks_exact(right)) {
            for ((d, &v), (&m, &s)) in drow.iter_mut().zip(row).zip(ys.iter().zip(&share)) {
                *d = if v == m { s } else { T::ZERO };
            }
        }
    }
    out
}

/// The two float types' few operations the kernels need.
mod num_like {
    pub(super) trait Float: Copy + std::ops::Add<Output = Self> + std::ops::Div<Output = Self> {
        const ZERO: Self;
        const ONE: Self;
    }
    macro_rules! impls {
        ($($t:ty),*) => {$(
            impl Float for $t {
                const ZERO: Self = 0.0;
                const ONE: Self = 1.0;
            }
        )*};
    }
    impls!(f32, f64);
}

impl CustomOp1 for MaxAxis {
    fn name(&self) -> &'static str {
        "max_axis"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let parts = self.split(l.dims());
        let out = match s {
            CpuStorage::F32(x) => CpuStorage::F32(max(contiguous_slice(x, l, "max_axis")?, parts)),
            CpuStorage::F64(x) => CpuStorage::F64(max(contiguous_slice(x, l, "max_axis")?, parts)),
            _ => candle_core::bail!("max_axis: float32 or float64"),
        };
        let mut dims = l.dims().to_vec();
        dims[self.axis] = 1;
        Ok((out, Shape::from(dims)))
    }
    fn bwd(&self, x: &candle_core::Tensor, res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let g = g.contiguous()?;
        let parts = self.split(x.dims());
        let dx = match x.dtype() {
            candle_core::DType::F32 => {
                let v = crate::tensor::with_slice::<f32, _>(x, |x| crate::tensor::with_slice::<f32, _>(res, |y| crate::tensor::with_slice::<f32, _>(&g, |g| max_grad(x, y, g, parts))))???;
                candle_core::Tensor::from_vec(v, x.dims(), x.device())?
            }
            _ => {
                let v = crate::tensor::with_slice::<f64, _>(x, |x| crate::tensor::with_slice::<f64, _>(res, |y| crate::tensor::with_slice::<f64, _>(&g, |g| max_grad(x, y, g, parts))))???;
                candle_core::Tensor::from_vec(v, x.dims(), x.device())?
            }
        };
        Ok(Some(dx))
    }
}

impl Tensor {
    /// Maximum along `axis` (NaN where any entry is NaN); the gradient goes to the maximal
    /// entries, shared equally among ties, as TensorFlow's `reduce_max`.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Variable::new(&Tensor::from_slice(&[1.0, 5.0, 3.0, 3.0], &[2, 2], DType::F64)?, "t")?.value();
    /// let m = t.max_axis(1, false)?;
    /// assert_eq!(m.to_vec()?, vec![5.0, 3.0]);
    /// // The tie in the second row shares its gradient.
    /// assert_eq!(m.sum_all()?.grad(&[&t])?[0].as_ref().unwrap().to_vec()?, vec![0.0, 1.0, 0.5, 0.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Result<Tensor> {
        if axis >= self.rank() || self.shape()[axis] == 0 {
            return Err(Error::invalid_shape("max_axis", self.shape(), format!("axis {axis} is missing or empty")));
        }
        let t = Tensor(self.0.contiguous()?.apply_op1(MaxAxis { axis })?);
        if keepdim {
            Ok(t)
        } else {
            t.squeeze(axis)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Values against a direct loop for every axis, NaN propagation, and gradients against
    /// central differences away from ties; f32 and f64.
    #[test]
    fn values_and_gradients() {
        for dtype in [DType::F64, DType::F32] {
            let xs: Vec<f64> = (0..24).map(|i| ((i * 7 % 13) as f64 * 0.61).sin() + i as f64 * 1e-3).collect();
            let dims = [2usize, 3, 4];
            for axis in 0..3 {
                let x = Variable::new(&Tensor::from_slice(&xs, &dims, dtype).unwrap(), "x").unwrap().value();
                let y = x.max_axis(axis, false).unwrap();
                let at = |i: [usize; 3]| xs[i[0] * 12 + i[1] * 4 + i[2]];
                let mut expect = Vec::new();
                let out_dims: Vec<usize> = (0..3).filter(|&d| d != axis).map(|d| dims[d]).collect();
                for a in 0..out_dims[0] {
                    for b in 0..out_dims[1] {
                        let mut m = f64::NEG_INFINITY;
                        for k in 0..dims[axis] {
                            let mut i = [0; 3];
                            let mut o = [a, b].into_iter();
                            for (d, slot) in i.iter_mut().enumerate() {
                                *slot = if d == axis { k } else { o.next().unwrap() };
                            }
                            m = m.max(at(i));
                        }
                        expect.push(m);
                    }
                }
                let got = y.to_vec().unwrap();
                for (g, e) in got.iter().zip(&expect) {
                    assert!((g - e).abs() < 1e-6, "axis {axis}: {g} vs {e}");
                }
                let w: Vec<f64> = (0..got.len()).map(|i| 1.0 + i as f64 * 0.25).collect();
                let loss = y.mul(&Tensor::from_slice(&w, y.shape(), dtype).unwrap()).unwrap().sum_all().unwrap();
                let g = loss.grad(&[&x]).unwrap()[0].clone().unwrap().to_vec().unwrap();
                let h = if dtype == DType::F64 { 1e-7 } else { 1e-4 };
                for i in 0..24 {
                    let f = |d: f64| {
                        let mut p = xs.clone();
                        p[i] += d;
                        Tensor::from_slice(&p, &dims, dtype).unwrap().max_axis(axis, false).unwrap().to_vec().unwrap().iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
                    };
                    let fd = (f(h) - f(-h)) / (2.0 * h);
                    assert!((fd - g[i]).abs() < 1e-3 * (1.0 + fd.abs()), "{dtype:?} axis {axis} x[{i}]: {} vs {fd}", g[i]);
                }
            }
            // Ties share the gradient.
            let tied = Variable::new(&Tensor::from_slice(&[2.0, 1.0, 2.0, 2.0, 0.0, 3.0], &[3, 2], dtype).unwrap(), "t").unwrap().value();
            let shared = tied.max_axis(0, false).unwrap().sum_all().unwrap().grad(&[&tied]).unwrap()[0].clone().unwrap().to_vec().unwrap();
            assert_eq!(shared, vec![0.5, 0.0, 0.5, 0.0, 0.0, 1.0]);
            let with_nan = Tensor::from_slice(&[1.0, f64::NAN, 2.0, 0.0], &[2, 2], dtype).unwrap();
            let m = with_nan.max_axis(0, false).unwrap().to_vec().unwrap();
            assert!(m[0] == 2.0 && m[1].is_nan());
            assert!(with_nan.max_axis(2, false).is_err());
        }
    }
}
