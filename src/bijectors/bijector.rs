//! The `Bijector` trait: a differentiable, invertible map with a tractable Jacobian.
//!
//! Implement [`Bijector::forward`], [`Bijector::inverse`] and at least one of
//! [`Bijector::forward_log_det_jacobian_min`] / [`Bijector::inverse_log_det_jacobian_min`]
//! (the other defaults to its negation at the mapped point). The public
//! [`Bijector::forward_log_det_jacobian`] then handles any `event_ndims` the way TFP does:
//! the log-det at `forward_min_event_ndims` is summed over the extra event dimensions (a
//! constant Jacobian is multiplied by their size).

use crate::error::{Error, Result};
use crate::variables::{collect_variables, Param, Transform, Variable};
use crate::tensor::{broadcast_shapes, DType, Mask, Tensor};

/// A bijective transformation `y = f(x)`.
///
/// ```
/// use probrs::bijectors::Bijector;
/// use probrs::tensor::{DType, Tensor};
/// use probrs::Result;
/// /// `y = 2x`: only `name`, `forward`, `inverse` and one log-det-Jacobian are needed.
/// struct Double;
/// impl Bijector for Double {
///     fn name(&self) -> &str { "double" }
///     fn forward(&self, x: &Tensor) -> Result<Tensor> { x.mul_scalar(2.0) }
///     fn inverse(&self, y: &Tensor) -> Result<Tensor> { y.mul_scalar(0.5) }
///     fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> { x.full_like(2f64.ln()) }
/// }
/// let x = Tensor::vector(&[1.0, 3.0], DType::F64)?;
/// assert_eq!(Double.forward(&x)?.to_vec()?, vec![2.0, 6.0]);
/// // Over a 1-D event the two log-derivatives add up; the inverse's follows from the forward's.
/// let ldj = Double.forward_log_det_jacobian(&x, 1)?.to_scalar()?;
/// assert!((ldj - 2.0 * 2f64.ln()).abs() < 1e-12);
/// let ildj = Double.inverse_log_det_jacobian(&x, 0)?.to_vec()?;
/// assert!((ildj[0] + 2f64.ln()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait Bijector: Transform + Send + Sync {
    /// The bijector's name (`"exp"`, `"softplus"`, ...).
    fn name(&self) -> &str;
    /// Rank of the smallest input event the map acts on (0: elementwise).
    fn forward_min_event_ndims(&self) -> usize {
        0
    }
    /// Rank of the smallest output event.
    fn inverse_min_event_ndims(&self) -> usize {
        self.forward_min_event_ndims()
    }
    /// True when the log-det-Jacobian does not depend on the input.
    fn is_constant_jacobian(&self) -> bool {
        false
    }
    /// `y = f(x)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;
    /// `x = f⁻¹(y)`.
    fn inverse(&self, y: &Tensor) -> Result<Tensor>;
    /// `log |det J_f(x)|` over the rightmost `forward_min_event_ndims` dims of `x`.
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.inverse_log_det_jacobian_min(&self.forward(x)?)?.neg()
    }
    /// `log |det J_f⁻¹(y)|` over the rightmost `inverse_min_event_ndims` dims of `y`.
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.forward_log_det_jacobian_min(&self.inverse(y)?)?.neg()
    }
    /// Output event shape for an input event shape.
    fn forward_event_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }
    /// Input event shape for an output event shape.
    fn inverse_event_shape(&self, output: &[usize]) -> Result<Vec<usize>> {
        Ok(output.to_vec())
    }
    /// Calls `f` on every variable the bijector's parameters hold.
    fn visit_variables(&self, _f: &mut dyn FnMut(&Variable)) {}
    /// For a scalar bijector that is monotone: where it is increasing (a mask broadcastable
    /// over its batch, since a parameter's sign can decide, as Scale's), decreasing elsewhere.
    /// `None` when unknown or not monotone (the default). TFP's `_is_increasing`;
    /// `TransformedDistribution` needs it for `cdf`, `survival_function` and `quantile`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp, Scale, SoftmaxCentered};
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(Exp::new().is_increasing()?.unwrap().all()?);
    /// let s = Scale::new(Tensor::vector(&[2.0, -3.0], DType::F64)?)?;
    /// let inc = s.is_increasing()?.unwrap();
    /// assert!(inc.any()? && !inc.all()?);
    /// assert!(SoftmaxCentered::new().is_increasing()?.is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn is_increasing(&self) -> Result<Option<Mask>> {
        Ok(None)
    }

    /// `log |det J_f(x)|` treating the rightmost `event_ndims` dims of `x` as one event.
    fn forward_log_det_jacobian(&self, x: &Tensor, event_ndims: usize) -> Result<Tensor> {
        let min = self.forward_min_event_ndims();
        check_event_ndims(self.name(), x, event_ndims, min)?;
        let ldj = self.forward_log_det_jacobian_min(x)?;
        reduce_over_event(&ldj, &x.shape()[x.rank() - event_ndims..x.rank() - min])
    }
    /// `log |det J_f⁻¹(y)|` treating the rightmost `event_ndims` dims of `y` as one event.
    fn inverse_log_det_jacobian(&self, y: &Tensor, event_ndims: usize) -> Result<Tensor> {
        let min = self.inverse_min_event_ndims();
        check_event_ndims(self.name(), y, event_ndims, min)?;
        let ldj = self.inverse_log_det_jacobian_min(y)?;
        reduce_over_event(&ldj, &y.shape()[y.rank() - event_ndims..y.rank() - min])
    }
    /// `(f⁻¹(y), log |det J_f⁻¹(y)|)` over the rightmost `inverse_min_event_ndims` dims, computed
    /// together. The default calls `inverse` and `inverse_log_det_jacobian_min`; a bijector whose
    /// two share their work (an autoregressive flow's network) computes it once.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp};
    /// use probrs::tensor::{DType, Tensor};
    /// let (x, ildj) = Exp::new().inverse_and_inverse_log_det_jacobian_min(&Tensor::vector(&[1.0, 2.0], DType::F64)?)?;
    /// assert_eq!(x.to_vec()?, vec![0.0, 2f64.ln()]);
    /// assert_eq!(ildj.to_vec()?, vec![0.0, -(2f64.ln())]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((self.inverse(y)?, self.inverse_log_det_jacobian_min(y)?))
    }
    /// `(f(x), log |det J_f(x)|)` over the rightmost `forward_min_event_ndims` dims, computed
    /// together (the default calls `forward` and `forward_log_det_jacobian_min`).
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp};
    /// use probrs::tensor::{DType, Tensor};
    /// let (y, fldj) = Exp::new().forward_and_forward_log_det_jacobian_min(&Tensor::vector(&[0.0, 1.0], DType::F64)?)?;
    /// assert_eq!(y.to_vec()?, vec![1.0, 1f64.exp()]);
    /// assert_eq!(fldj.to_vec()?, vec![0.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        Ok((self.forward(x)?, self.forward_log_det_jacobian_min(x)?))
    }
    /// `(f⁻¹(y), log |det J_f⁻¹(y)|)` treating the rightmost `event_ndims` dims of `y` as one
    /// event, computed together: what a transformed distribution's `log_prob` needs, without
    /// computing the inverse twice.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp};
    /// use probrs::tensor::{DType, Tensor};
    /// let (x, ildj) = Exp::new().inverse_and_inverse_log_det_jacobian(&Tensor::vector(&[1.0, 2.0], DType::F64)?, 1)?;
    /// assert_eq!(x.to_vec()?, vec![0.0, 2f64.ln()]);
    /// assert!((ildj.to_scalar()? + 2f64.ln()).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn inverse_and_inverse_log_det_jacobian(&self, y: &Tensor, event_ndims: usize) -> Result<(Tensor, Tensor)> {
        let min = self.inverse_min_event_ndims();
        check_event_ndims(self.name(), y, event_ndims, min)?;
        let (x, ldj) = self.inverse_and_inverse_log_det_jacobian_min(y)?;
        Ok((x, reduce_over_event(&ldj, &y.shape()[y.rank() - event_ndims..y.rank() - min])?))
    }
    /// `(f(x), log |det J_f(x)|)` treating the rightmost `event_ndims` dims of `x` as one event,
    /// computed together.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Exp};
    /// use probrs::tensor::{DType, Tensor};
    /// let (y, fldj) = Exp::new().forward_and_forward_log_det_jacobian(&Tensor::vector(&[0.0, 1.0], DType::F64)?, 1)?;
    /// assert_eq!(y.to_vec()?, vec![1.0, 1f64.exp()]);
    /// assert_eq!(fldj.to_scalar()?, 1.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn forward_and_forward_log_det_jacobian(&self, x: &Tensor, event_ndims: usize) -> Result<(Tensor, Tensor)> {
        let min = self.forward_min_event_ndims();
        check_event_ndims(self.name(), x, event_ndims, min)?;
        let (y, ldj) = self.forward_and_forward_log_det_jacobian_min(x)?;
        Ok((y, reduce_over_event(&ldj, &x.shape()[x.rank() - event_ndims..x.rank() - min])?))
    }
    /// The variables this bijector holds, each once.
    fn trainable_variables(&self) -> Vec<Variable> {
        collect_variables(|f| self.visit_variables(f))
    }
}

/// `is_increasing` of a bijector that increases everywhere.
pub(crate) fn increasing() -> Result<Option<Mask>> {
    Ok(Some(Tensor::scalar(1.0, DType::F32)?.gt_scalar(0.0)?))
}

/// Every bijector is a [`Transform`], the interface a
/// [`TransformedVariable`](crate::params::TransformedVariable) reads it through (defined below
/// the bijectors, so that parameters can hold bijectors and bijectors parameters).
impl<B: Bijector + ?Sized> Transform for B {
    fn transform_name(&self) -> &str {
        self.name()
    }
    fn transform_forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward(x)
    }
    fn transform_inverse(&self, y: &Tensor) -> Result<Tensor> {
        self.inverse(y)
    }
    fn visit_transform_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.visit_variables(f)
    }
}

fn check_event_ndims(name: &str, x: &Tensor, event_ndims: usize, min: usize) -> Result<()> {
    if event_ndims < min {
        return Err(Error::invalid_parameter("event_ndims", format!("{name} needs event_ndims >= {min}, got {event_ndims}")));
    }
    if event_ndims > x.rank() {
        return Err(Error::invalid_shape(format!("{name} input"), x.shape(), format!("rank is below event_ndims = {event_ndims}")));
    }
    Ok(())
}

/// Sums `ldj` over the extra event dims `reduce_shape` (a constant `ldj` counts once per
/// element), as TFP's `reduce_jacobian_det_over_shape`.
///
/// ```
/// use probrs::bijectors::reduce_over_event;
/// use probrs::tensor::{DType, Tensor};
/// // An elementwise log-det-Jacobian summed over a 3-element event.
/// let ldj = Tensor::vector(&[0.5, 1.0, 2.0], DType::F64)?;
/// assert_eq!(reduce_over_event(&ldj, &[3])?.to_scalar()?, 3.5);
/// // A constant (scalar) log-det-Jacobian counts once per element.
/// let c = Tensor::scalar(0.25, DType::F64)?;
/// assert_eq!(reduce_over_event(&c, &[2, 2])?.to_scalar()?, 1.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn reduce_over_event(ldj: &Tensor, reduce_shape: &[usize]) -> Result<Tensor> {
    if reduce_shape.is_empty() {
        return Ok(ldj.clone());
    }
    let full = broadcast_shapes(ldj.shape(), reduce_shape)?;
    ldj.broadcast_to(&full)?.sum_last(reduce_shape.len())
}

/// The dtype-matched value of a bijector parameter for input `x`.
pub(crate) fn param_for(p: &Param, x: &Tensor) -> Result<Tensor> {
    p.value(x.dtype())
}
