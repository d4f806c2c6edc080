//! `custom_gradient`: a value computed outside autodiff, with its vector–Jacobian product given
//! by hand (TF's `tf.custom_gradient`, JAX's `custom_vjp`). The distributed sums use it: the
//! value is gathered from other processes, and so is the gradient when it is asked for.

use super::Tensor;
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};

/// The hand-given vector–Jacobian product: the upstream gradient to the input's.
type GradFn = Box<dyn Fn(&Tensor) -> Result<Tensor> + Send + Sync>;

/// The op: returns the stored value whatever its input holds; its backward calls `grad_fn`.
struct CustomGradient {
    value: Vec<f64>,
    dtype: candle_core::DType,
    shape: Vec<usize>,
    grad_fn: GradFn,
}

impl CustomOp1 for CustomGradient {
    fn name(&self) -> &'static str {
        "custom_gradient"
    }
    fn cpu_fwd(&self, _: &CpuStorage, _: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = match self.dtype {
            candle_core::DType::F32 => CpuStorage::F32(self.value.iter().map(|v| *v as f32).collect()),
            _ => CpuStorage::F64(self.value.clone()),
        };
        Ok((out, Shape::from(self.shape.clone())))
    }
    fn bwd(&self, arg: &candle_core::Tensor, _res: &candle_core::Tensor, upstream: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let g = (self.grad_fn)(&Tensor(upstream.clone())).map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        if g.shape() != arg.dims() {
            candle_core::bail!("custom_gradient: the gradient function returned shape {:?} for an input of shape {:?}", g.shape(), arg.dims());
        }
        Ok(Some(g.0.to_dtype(arg.dtype())?))
    }
}

impl Tensor {
    /// A tensor equal to `value` whose gradient with respect to `self` is `grad_fn(upstream)`,
    /// where `upstream` is the gradient reaching the result (same shape as `value`) and the
    /// returned tensor has `self`'s shape. `value` is taken as numbers (detached); autodiff sees
    /// only the link from `self` through `grad_fn`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // y = Σ x², computed by hand, with its gradient 2x·u given by hand.
    /// let x = Tensor::vector(&[1.0, -2.0, 3.0], DType::F64)?.tracked()?;
    /// let v: f64 = x.to_vec()?.iter().map(|a| a * a).sum();
    /// let twice_x = x.detach().mul_scalar(2.0)?;
    /// let y = x.custom_gradient(&Tensor::scalar(v, DType::F64)?, move |u| twice_x.mul(u))?;
    /// assert_eq!(y.to_scalar()?, 14.0);
    /// let g = y.mul_scalar(0.5)?.grad(&[&x])?[0].clone().expect("x is tracked");
    /// assert_eq!(g.to_vec()?, vec![1.0, -2.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn custom_gradient(&self, value: &Tensor, grad_fn: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static) -> Result<Tensor> {
        let dtype = value.0.dtype();
        if !matches!(dtype, candle_core::DType::F32 | candle_core::DType::F64) {
            return Err(Error::invalid_parameter("value", format!("custom_gradient needs float32 or float64, got {dtype:?}")));
        }
        let op = CustomGradient { value: value.to_vec()?, dtype, shape: value.shape().to_vec(), grad_fn: Box::new(grad_fn) };
        Ok(Tensor(self.0.apply_op1(op)?))
    }
}
