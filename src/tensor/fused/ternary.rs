//! Fused elementwise kernels: a value and its partial derivatives computed in one pass, as a
//! single autodiff node (the hot paths of log-densities: one op instead of eight, and no
//! intermediate tensors).
//!
//! A [`TernaryKernel`] maps `(a, b, c)` elementwise (after numpy broadcasting) to `f(a, b, c)`;
//! its backward multiplies the upstream gradient by `∂f/∂a, ∂f/∂b, ∂f/∂c` and candle sums
//! them back over broadcast dimensions. The backward is computed directly (it is not itself
//! differentiable). Each kernel's gradient is checked by finite differences in the tests.

use crate::tensor::{broadcast_shapes, map_layout, storage_f64, Tensor};
use crate::tensor::custom_op::{f64_like, tensor_f64};
use crate::error::Result;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape};

/// An elementwise function of three arguments with its three partial derivatives.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::tensor::fused::TernaryKernel;
/// use probrs::tensor::{DType, Tensor};
/// // a·b + c as one op with its partial derivatives.
/// static FMA: TernaryKernel = TernaryKernel { name: "fma", value: |a, b, c| a * b + c, partials: |a, b, _| [b, a, 1.0] };
/// // Variables' values are tracked for autodiff; plain tensors are constants.
/// let a = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, "a")?.value();
/// let b = Variable::new(&Tensor::scalar(3.0, DType::F64)?, "b")?.value();
/// let c = Tensor::scalar(0.5, DType::F64)?;
/// let y = Tensor::ternary(&a, &b, &c, &FMA)?;
/// assert_eq!(y.to_vec()?, vec![3.5, 6.5]);
/// let g = y.sum_all()?.grad(&[&a, &b])?;
/// assert_eq!(g[0].as_ref().unwrap().to_vec()?, vec![3.0, 3.0]);
/// assert_eq!(g[1].as_ref().unwrap().to_scalar()?, 3.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct TernaryKernel {
    /// Name of the op (in graphs and errors).
    pub name: &'static str,
    /// `f(a, b, c)`.
    pub value: fn(f64, f64, f64) -> f64,
    /// `[∂f/∂a, ∂f/∂b, ∂f/∂c]`.
    pub partials: fn(f64, f64, f64) -> [f64; 3],
}

struct Op(&'static TernaryKernel);

impl CustomOp3 for Op {
    fn name(&self) -> &'static str {
        self.0.name
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let f = self.0.value;
        let out: Vec<f64> = match (s1, s2, s3) {
            (CpuStorage::F32(a), CpuStorage::F32(b), CpuStorage::F32(c)) => {
                let (a, b, c) = (map_layout(a, l1, |x| x), map_layout(b, l2, |x| x), map_layout(c, l3, |x| x));
                let v: Vec<f32> = a.iter().zip(&b).zip(&c).map(|((a, b), c)| f(*a as f64, *b as f64, *c as f64) as f32).collect();
                return Ok((CpuStorage::F32(v), l1.shape().clone()));
            }
            _ => {
                let (a, b, c) = (storage_f64(s1, l1)?, storage_f64(s2, l2)?, storage_f64(s3, l3)?);
                a.iter().zip(&b).zip(&c).map(|((a, b), c)| f(*a, *b, *c)).collect()
            }
        };
        Ok((CpuStorage::F64(out), l1.shape().clone()))
    }
    fn bwd(
        &self,
        a: &candle_core::Tensor,
        b: &candle_core::Tensor,
        c: &candle_core::Tensor,
        _res: &candle_core::Tensor,
        g: &candle_core::Tensor,
    ) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (av, bv, cv, gv) = (tensor_f64(a)?, tensor_f64(b)?, tensor_f64(c)?, tensor_f64(g)?);
        let n = av.len();
        let (mut da, mut db, mut dc) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let [pa, pb, pc] = (self.0.partials)(av[i], bv[i], cv[i]);
            da.push(gv[i] * pa);
            db.push(gv[i] * pb);
            dc.push(gv[i] * pc);
        }
        Ok((Some(f64_like(da, a)?), Some(f64_like(db, b)?), Some(f64_like(dc, c)?)))
    }
}

impl Tensor {
    /// `kernel(a, b, c)` elementwise with numpy broadcasting, as one autodiff node.
    ///
    /// ```
    /// use probrs::tensor::fused::TernaryKernel;
    /// use probrs::tensor::{DType, Tensor};
    /// // clamp(a, lo, hi) with its partials
    /// static CLAMP: TernaryKernel = TernaryKernel {
    ///     name: "clamp",
    ///     value: |a, lo, hi| a.max(lo).min(hi),
    ///     partials: |a, lo, hi| if a < lo { [0.0, 1.0, 0.0] } else if a > hi { [0.0, 0.0, 1.0] } else { [1.0, 0.0, 0.0] },
    /// };
    /// let a = Tensor::vector(&[-1.0, 0.5, 2.0], DType::F64)?;
    /// let (lo, hi) = (Tensor::scalar(0.0, DType::F64)?, Tensor::scalar(1.0, DType::F64)?);
    /// assert_eq!(Tensor::ternary(&a, &lo, &hi, &CLAMP)?.to_vec()?, vec![0.0, 0.5, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ternary(a: &Tensor, b: &Tensor, c: &Tensor, kernel: &'static TernaryKernel) -> Result<Tensor> {
        a.check_dtype(b, kernel.name)?;
        a.check_dtype(c, kernel.name)?;
        let shape = broadcast_shapes(&broadcast_shapes(a.shape(), b.shape())?, c.shape())?;
        let (a, b, c) = (a.broadcast_to(&shape)?, b.broadcast_to(&shape)?, c.broadcast_to(&shape)?);
        Ok(Tensor(a.0.apply_op3(&b.0, &c.0, Op(kernel))?))
    }
}
