//! `Polynomial(b, s, c, e)`: `k = b² + (s² (x − c)·(y − c))^e` (`exponent` default 1, which is
//! `Linear`).

use super::kernel::{batch_param, check_points, visit_params, PositiveSemidefiniteKernel};
use super::linear::shifted_dot;
use crate::error::Result;
use crate::params::{Param, Variable};
use crate::tensor::Tensor;

/// The polynomial kernel.
///
/// ```
/// use probrs::psd_kernels::{Polynomial, PositiveSemidefiniteKernel};
/// use probrs::tensor::{DType, Tensor};
/// // (x·y)² with the defaults and exponent 2
/// let k = Polynomial::new(None, None, None, Some(2.0.into()));
/// let x = Tensor::from_slice(&[2.0, 3.0], &[2, 1], DType::F64)?;
/// let m = k.matrix(&x, &x)?.to_vec()?;
/// assert!(m.iter().zip([16.0, 36.0, 36.0, 81.0]).all(|(a, b)| (a - b).abs() < 1e-9));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Polynomial {
    /// The bias amplitude `σ_b` (`None`: 0).
    pub bias_amplitude: Option<Param>,
    /// The slope amplitude `σ_v` (`None`: 1).
    pub slope_amplitude: Option<Param>,
    /// The shift `c` subtracted from the inputs (`None`: 0).
    pub shift: Option<Param>,
    /// The exponent (`None`: 1).
    pub exponent: Option<Param>,
}

impl Polynomial {
    /// The kernel with the given parameters (`None`: TFP's defaults).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::psd_kernels::{Linear, Polynomial, PositiveSemidefiniteKernel};
    /// // Exponent 1 is the linear kernel.
    /// let x = Tensor::from_slice(&[1.0, -2.0], &[2, 1], DType::F64)?;
    /// let p = Polynomial::new(Some(1.0.into()), None, None, Some(1.0.into())).matrix(&x, &x)?.to_vec()?;
    /// let l = Linear::new(Some(1.0.into()), None, None).matrix(&x, &x)?.to_vec()?;
    /// assert!(p.iter().zip(&l).all(|(a, b)| (a - b).abs() < 1e-12));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(bias_amplitude: Option<Param>, slope_amplitude: Option<Param>, shift: Option<Param>, exponent: Option<Param>) -> Self {
        Polynomial { bias_amplitude, slope_amplitude, shift, exponent }
    }
}

impl PositiveSemidefiniteKernel for Polynomial {
    fn name(&self) -> &str {
        "Polynomial"
    }
    fn matrix(&self, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
        let dt = check_points(x1, x2, self.name())?;
        let mut dot = shifted_dot(x1, x2, &self.slope_amplitude, &self.shift, dt)?;
        if let Some(e) = &self.exponent {
            // d^e for negative d too (integer exponents, as TF's pow): |d|^e · cos(π e) there.
            let e = batch_param(e, dt)?;
            let neg = dot.lt_scalar(0.0)?;
            let mag = dot.abs()?.pow(&e)?;
            let sign = e.mul_scalar(std::f64::consts::PI)?.cos()?.add(&dot.zeros_like()?)?;
            dot = Tensor::where_(&neg, &mag.mul(&sign)?, &mag)?;
        }
        match &self.bias_amplitude {
            Some(b) => dot.add(&batch_param(b, dt)?.square()?),
            None => Ok(dot),
        }
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        visit_params(&[&self.bias_amplitude, &self.slope_amplitude, &self.shift, &self.exponent], f)
    }
}
