//! `x + bias` for a bias over the last axis (every dense and convolution layer), and `relu`, as
//! single autodiff nodes with direct backward passes: the bias's gradient is the column sums of
//! the upstream gradient in one contiguous pass, and relu's is the gradient where `x > 0` —
//! instead of candle's broadcast add, whose backward reduces the leading axes through its
//! generic strided reduction, and `maximum(x, 0)`, whose backward builds comparison masks.
//!
//! ```text
//! bias_add:  y[r, j] = x[r, j] + b[j]        ∂/∂x = g,   ∂/∂b[j] = Σ_r g[r, j]
//! relu:      y = max(x, 0)                    ∂/∂x = g · 1[x > 0]
//! ```

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape};

struct BiasAdd;

/// The contiguous slice of a storage, or an error naming `op`.
fn slice<'a, T>(v: &'a [T], l: &Layout, op: &str) -> candle_core::Result<&'a [T]> {
    crate::tensor::contiguous_slice(v, l, op)
}

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "bias_add"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        fn add<T: Copy + std::ops::Add<Output = T>>(x: &[T], b: &[T]) -> Vec<T> {
            let mut out = x.to_vec();
            for row in out.chunks_mut(b.len()) {
                for (o, b) in row.iter_mut().zip(b) {
                    *o = *o + *b;
                }
            }
            out
        }
        let out = match (s1, s2) {
            (CpuStorage::F32(x), CpuStorage::F32(b)) => CpuStorage::F32(add(slice(x, l1, "bias_add")?, slice(b, l2, "bias_add")?)),
            (CpuStorage::F64(x), CpuStorage::F64(b)) => CpuStorage::F64(add(slice(x, l1, "bias_add")?, slice(b, l2, "bias_add")?)),
            _ => candle_core::bail!("bias_add: float32 or float64 inputs of one dtype"),
        };
        Ok((out, l1.shape().clone()))
    }
    fn bwd(&self, _x: &candle_core::Tensor, b: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let g = g.contiguous()?;
        let f = b.dims1()?;
        let db = match g.dtype() {
            candle_core::DType::F32 => {
                let v = crate::tensor::with_slice::<f32, _>(&g, |v| column_sums(v, f))?;
                candle_core::Tensor::from_vec(v, f, b.device())?
            }
            _ => {
                let v = crate::tensor::with_slice::<f64, _>(&g, |v| column_sums(v, f))?;
                candle_core::Tensor::from_vec(v, f, b.device())?
            }
        };
        Ok((Some(g), Some(db)))
    }
}

fn column_sums<T: Copy + Default + std::ops::Add<Output = T>>(v: &[T], f: usize) -> Vec<T> {
    let mut out = vec![T::default(); f];
    for row in v.chunks(f) {
        for (o, x) in out.iter_mut().zip(row) {
            *o = *o + *x;
        }
    }
    out
}

struct Relu;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = match s {
            CpuStorage::F32(x) => CpuStorage::F32(slice(x, l, "relu")?.iter().map(|v| v.max(0.0)).collect()),
            CpuStorage::F64(x) => CpuStorage::F64(slice(x, l, "relu")?.iter().map(|v| v.max(0.0)).collect()),
            _ => candle_core::bail!("relu: float32 or float64"),
        };
        Ok((out, l.shape().clone()))
    }
    fn bwd(&self, x: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let g = g.contiguous()?;
        let out = match x.dtype() {
            candle_core::DType::F32 => {
                let v = crate::tensor::with_slice::<f32, _>(x, |xv| crate::tensor::with_slice::<f32, _>(&g, |gv| xv.iter().zip(gv).map(|(x, g)| if *x > 0.0 { *g } else { 0.0 }).collect::<Vec<f32>>()))??;
                candle_core::Tensor::from_vec(v, x.dims(), x.device())?
            }
            _ => {
                let v = crate::tensor::with_slice::<f64, _>(x, |xv| crate::tensor::with_slice::<f64, _>(&g, |gv| xv.iter().zip(gv).map(|(x, g)| if *x > 0.0 { *g } else { 0.0 }).collect::<Vec<f64>>()))??;
                candle_core::Tensor::from_vec(v, x.dims(), x.device())?
            }
        };
        Ok(Some(out))
    }
}

impl Tensor {
    /// `self + bias` for `bias` of shape `[last axis]` (module doc), one autodiff node.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// let b = Variable::new(&Tensor::vector(&[10.0, 20.0], DType::F64)?, "b")?.value();
    /// let y = x.bias_add(&b)?;
    /// assert_eq!(y.to_vec()?, vec![11.0, 22.0, 13.0, 24.0]);
    /// assert_eq!(y.sum_all()?.grad(&[&b])?[0].as_ref().unwrap().to_vec()?, vec![2.0, 2.0]);
    /// assert!(x.bias_add(&Tensor::vector(&[1.0], DType::F64)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn bias_add(&self, bias: &Tensor) -> Result<Tensor> {
        self.check_dtype(bias, "bias_add")?;
        if bias.rank() != 1 || self.rank() == 0 || self.shape().last() != bias.shape().first() {
            return Err(Error::ShapeMismatch { context: "bias_add: the input's last axis vs the bias".into(), lhs: self.shape().to_vec(), rhs: bias.shape().to_vec() });
        }
        Ok(Tensor(self.0.contiguous()?.apply_op2(&bias.0.contiguous()?, BiasAdd)?))
    }

    /// `max(self, 0)` elementwise, one autodiff node (gradient 0 at 0, as TensorFlow's).
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Variable::new(&Tensor::vector(&[-1.0, 0.0, 2.0], DType::F64)?, "x")?.value();
    /// let y = x.relu()?;
    /// assert_eq!(y.to_vec()?, vec![0.0, 0.0, 2.0]);
    /// assert_eq!(y.sum_all()?.grad(&[&x])?[0].as_ref().unwrap().to_vec()?, vec![0.0, 0.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn relu(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.contiguous()?.apply_op1(Relu)?))
    }
}

#[cfg(test)]
mod tests {
    use crate::params::Variable;
    use crate::tensor::{DType, Tensor};

    /// Central differences of `Σ w ⊙ f(x, b)` against autodiff, for both ops, f32 and f64.
    #[test]
    fn gradients_equal_finite_differences() {
        for dtype in [DType::F64, DType::F32] {
            let xs: Vec<f64> = (0..12).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0 + 0.05).collect();
            let bs = [0.3, -0.2, 0.7];
            let w: Vec<f64> = (0..12).map(|i| 0.5 + (i % 5) as f64 / 4.0).collect();
            let f = |x: &[f64], b: &[f64]| -> f64 {
                let y = Tensor::from_slice(x, &[4, 3], dtype).unwrap().bias_add(&Tensor::vector(b, dtype).unwrap()).unwrap().relu().unwrap().to_vec().unwrap();
                y.iter().zip(&w).map(|(y, w)| y * w).sum()
            };
            let xv = Variable::new(&Tensor::from_slice(&xs, &[4, 3], dtype).unwrap(), "x").unwrap();
            let bv = Variable::new(&Tensor::vector(&bs, dtype).unwrap(), "b").unwrap();
            let (x, b) = (xv.value(), bv.value());
            let loss = x.bias_add(&b).unwrap().relu().unwrap().mul(&Tensor::from_slice(&w, &[4, 3], dtype).unwrap()).unwrap().sum_all().unwrap();
            let g = loss.grad(&[&x, &b]).unwrap();
            let (gx, gb) = (g[0].as_ref().unwrap().to_vec().unwrap(), g[1].as_ref().unwrap().to_vec().unwrap());
            let h = if dtype == DType::F64 { 1e-6 } else { 1e-2 };
            let tol = if dtype == DType::F64 { 1e-8 } else { 1e-3 };
            for i in 0..12 {
                let (mut p, mut m) = (xs.clone(), xs.clone());
                p[i] += h;
                m[i] -= h;
                let fd = (f(&p, &bs) - f(&m, &bs)) / (2.0 * h);
                assert!((fd - gx[i]).abs() < tol * (1.0 + fd.abs()), "{dtype:?} x[{i}]: {} vs {fd}", gx[i]);
            }
            for j in 0..3 {
                let (mut p, mut m) = (bs.to_vec(), bs.to_vec());
                p[j] += h;
                m[j] -= h;
                let fd = (f(&xs, &p) - f(&xs, &m)) / (2.0 * h);
                assert!((fd - gb[j]).abs() < tol * (1.0 + fd.abs()), "{dtype:?} b[{j}]: {} vs {fd}", gb[j]);
            }
        }
    }
}
