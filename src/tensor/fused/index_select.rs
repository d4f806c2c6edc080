//! `index_select` as one autodiff node: rows of an axis gathered by index, the gradient
//! scattered back (summed where an index repeats) in one pass into one buffer.
//!
//! ```text
//! x [L, N, R],  idx [M]  →  y[l, j, r] = x[l, idx[j], r]          (y: [L, M, R])
//! ∂/∂x[l, n, r] = Σ_{j : idx[j] = n} g[l, j, r]
//! ```
//!
//! candle's gather copies each `R`-long row with its own `memcpy` and its backward adds into a
//! fresh zero tensor; a convolution's patches over a one-channel image (`R = 1`) were 51,200
//! four-byte copies per step of the convolutional BNN, a tenth of its time. Here `R = 1` is a
//! plain indexed loop, longer rows are slice copies.

use crate::error::{Error, Result};
use crate::tensor::{contiguous_slice, Tensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};

struct IndexSelect {
    axis: usize,
    indices: Vec<u32>,
}

impl IndexSelect {
    /// `(L, N, R)` of a shape split around the axis.
    fn split(&self, dims: &[usize]) -> (usize, usize, usize) {
        (dims[..self.axis].iter().product(), dims[self.axis], dims[self.axis + 1..].iter().product())
    }
}

fn gather<T: Copy>(x: &[T], idx: &[u32], (left, n, right): (usize, usize, usize)) -> Vec<T> {
    let mut out = Vec::with_capacity(left * idx.len() * right);
    for l in 0..left {
        let block = &x[l * n * right..(l + 1) * n * right];
        if right == 1 {
            out.extend(idx.iter().map(|&i| block[i as usize]));
        } else {
            for &i in idx {
                out.extend_from_slice(&block[i as usize * right..(i as usize + 1) * right]);
            }
        }
    }
    out
}

fn scatter_add<T: Copy + Default + std::ops::AddAssign>(g: &[T], idx: &[u32], (left, n, right): (usize, usize, usize)) -> Vec<T> {
    let m = idx.len();
    let mut out = vec![T::default(); left * n * right];
    for l in 0..left {
        let (src, dst) = (&g[l * m * right..(l + 1) * m * right], &mut out[l * n * right..(l + 1) * n * right]);
        for (j, &i) in idx.iter().enumerate() {
            let (s, d) = (&src[j * right..(j + 1) * right], &mut dst[i as usize * right..(i as usize + 1) * right]);
            for (d, s) in d.iter_mut().zip(s) {
                *d += *s;
            }
        }
    }
    out
}

impl CustomOp1 for IndexSelect {
    fn name(&self) -> &'static str {
        "index_select"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let parts = self.split(l.dims());
        let out = match s {
            CpuStorage::F32(x) => CpuStorage::F32(gather(contiguous_slice(x, l, "index_select")?, &self.indices, parts)),
            CpuStorage::F64(x) => CpuStorage::F64(gather(contiguous_slice(x, l, "index_select")?, &self.indices, parts)),
            _ => candle_core::bail!("index_select: float32 or float64"),
        };
        let mut dims = l.dims().to_vec();
        dims[self.axis] = self.indices.len();
        Ok((out, Shape::from(dims)))
    }
    fn bwd(&self, x: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let g = g.contiguous()?;
        let parts = self.split(x.dims());
        let dx = match x.dtype() {
            candle_core::DType::F32 => candle_core::Tensor::from_vec(crate::tensor::with_slice::<f32, _>(&g, |g| scatter_add(g, &self.indices, parts))?, x.dims(), x.device())?,
            _ => candle_core::Tensor::from_vec(crate::tensor::with_slice::<f64, _>(&g, |g| scatter_add(g, &self.indices, parts))?, x.dims(), x.device())?,
        };
        Ok(Some(dx))
    }
}

impl Tensor {
    /// Select entries `indices` along `axis` (an index may repeat; its gradient is summed).
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Variable::new(&Tensor::vector(&[10.0, 20.0, 30.0], DType::F64)?, "t")?.value();
    /// let y = t.index_select(0, &[2, 0, 2])?;
    /// assert_eq!(y.to_vec()?, vec![30.0, 10.0, 30.0]);
    /// assert_eq!(y.sum_all()?.grad(&[&t])?[0].as_ref().unwrap().to_vec()?, vec![1.0, 0.0, 2.0]);
    /// assert!(t.index_select(0, &[3]).is_err()); // out of range
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn index_select(&self, axis: usize, indices: &[u32]) -> Result<Tensor> {
        if axis >= self.rank() {
            return Err(Error::invalid_shape("index_select", self.shape(), format!("no axis {axis}")));
        }
        let n = self.shape()[axis];
        if let Some(bad) = indices.iter().find(|&&i| i as usize >= n) {
            return Err(Error::invalid_shape("index_select", self.shape(), format!("index {bad} out of range for axis {axis} of length {n}")));
        }
        Ok(Tensor(self.0.contiguous()?.apply_op1(IndexSelect { axis, indices: indices.to_vec() })?))
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Values and gradients against candle's own `index_select` (and its `index_add` backward),
    /// for every axis of a rank-3 tensor, with repeated indices; f32 and f64.
    #[test]
    fn equals_candles_gather_and_gradient() {
        for dtype in [DType::F64, DType::F32] {
            let xs: Vec<f64> = (0..24).map(|i| (i as f64 * 0.37).sin()).collect();
            for (axis, idx) in [(0usize, vec![1u32, 0, 1]), (1, vec![2, 2, 0, 1, 2]), (2, vec![3, 0, 0])] {
                let xv = Variable::new(&Tensor::from_slice(&xs, &[2, 3, 4], dtype).unwrap(), "x").unwrap();
                let x = xv.value();
                let y = x.index_select(axis, &idx).unwrap();
                let ids = candle_core::Tensor::from_slice(&idx, idx.len(), &candle_core::Device::Cpu).unwrap();
                let reference = Tensor(x.0.index_select(&ids, axis).unwrap());
                assert_eq!(y.shape(), reference.shape());
                assert_eq!(y.to_vec().unwrap(), reference.to_vec().unwrap());
                let w = Tensor::from_slice(&(0..y.elem_count()).map(|i| 1.0 + i as f64 * 0.5).collect::<Vec<_>>(), y.shape(), dtype).unwrap();
                let g = y.mul(&w).unwrap().sum_all().unwrap().grad(&[&x]).unwrap()[0].clone().unwrap().to_vec().unwrap();
                let gr = reference.mul(&w).unwrap().sum_all().unwrap().grad(&[&x]).unwrap()[0].clone().unwrap().to_vec().unwrap();
                assert_eq!(g, gr, "{dtype:?} axis {axis}");
            }
            let x = Tensor::from_slice(&xs, &[2, 3, 4], dtype).unwrap();
            assert!(x.index_select(3, &[0]).is_err());
            assert!(x.index_select(1, &[3]).is_err());
            assert_eq!(x.index_select(1, &[]).unwrap().shape(), &[2, 0, 4]);
        }
    }
}
