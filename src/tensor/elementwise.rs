//! Elementwise arithmetic: broadcasting binary ops (`add`, `mul`, `pow`, ...), ops with a
//! scalar (`affine`, `powf`), candle's unary ops (`exp`, `log`, `sqrt`, ...), and the `+ - * /`
//! operators on `&Tensor`.

use super::fused::broadcast::broadcast_as;
use super::{broadcast_shapes, Tensor};
use crate::error::{Error, Result};
use candle_core::Tensor as CTensor;

impl Tensor {
    // ----- broadcasting binary ops --------------------------------------------------------

    pub(crate) fn check_dtype(&self, other: &Tensor, op: &str) -> Result<()> {
        if self.dtype() != other.dtype() {
            return Err(Error::DTypeMismatch {
                context: op.into(),
                lhs: self.dtype().name().into(),
                rhs: other.dtype().name().into(),
            });
        }
        Ok(())
    }

    pub(crate) fn binary(
        &self,
        other: &Tensor,
        op: &str,
        same: fn(&CTensor, &CTensor) -> candle_core::Result<CTensor>,
    ) -> Result<Tensor> {
        self.check_dtype(other, op)?;
        if self.shape() == other.shape() {
            return Ok(Tensor(same(&self.0, &other.0)?));
        }
        let shape = broadcast_shapes(self.shape(), other.shape()).map_err(|_| Error::ShapeMismatch {
            context: op.into(),
            lhs: self.shape().to_vec(),
            rhs: other.shape().to_vec(),
        })?;
        let a = if self.shape() == shape.as_slice() { self.0.clone() } else { broadcast_as(&self.0, &shape)? };
        let b = if other.shape() == shape.as_slice() { other.0.clone() } else { broadcast_as(&other.0, &shape)? };
        Ok(Tensor(same(&a, &b)?))
    }

    /// `self + o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[1.0, 2.0], &[2, 1], DType::F64)?;
    /// let b = Tensor::vector(&[10.0, 20.0, 30.0], DType::F64)?;
    /// assert_eq!(a.add(&b)?.shape(), &[2, 3]); // broadcast
    /// assert!(a.add(&Tensor::vector(&[1.0, 2.0, 3.0], DType::F32)?).is_err()); // dtypes must match
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, "add", |a, b| a.add(b))
    }
    /// `self − o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[5.0, 7.0], DType::F64)?;
    /// assert_eq!(a.sub(&Tensor::scalar(1.0, DType::F64)?)?.to_vec()?, vec![4.0, 6.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, "sub", |a, b| a.sub(b))
    }
    /// `self · o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[2.0, 3.0], DType::F64)?;
    /// assert_eq!(a.mul(&a)?.to_vec()?, vec![4.0, 9.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, "mul", |a, b| a.mul(b))
    }
    /// `self / o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 3.0], DType::F64)?;
    /// assert_eq!(a.div(&Tensor::scalar(2.0, DType::F64)?)?.to_vec()?, vec![0.5, 1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, "div", |a, b| a.div(b))
    }
    /// Elementwise maximum, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 5.0], DType::F64)?;
    /// assert_eq!(a.maximum(&Tensor::scalar(3.0, DType::F64)?)?.to_vec()?, vec![3.0, 5.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn maximum(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, "maximum", |a, b| a.maximum(b))
    }
    /// Elementwise minimum, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 5.0], DType::F64)?;
    /// assert_eq!(a.minimum(&Tensor::scalar(3.0, DType::F64)?)?.to_vec()?, vec![1.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn minimum(&self, o: &Tensor) -> Result<Tensor> {
        self.binary(o, "minimum", |a, b| a.minimum(b))
    }
    /// `self ** o`, elementwise with broadcasting (positive base).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[2.0, 9.0], DType::F64)?;
    /// let e = Tensor::vector(&[3.0, 0.5], DType::F64)?;
    /// let p = a.pow(&e)?.to_vec()?; // exp(e · log a)
/// assert!((p[0] - 8.0).abs() < 1e-12 && (p[1] - 3.0).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn pow(&self, o: &Tensor) -> Result<Tensor> {
        o.mul(&self.log()?)?.exp()
    }

    // ----- scalar ops ---------------------------------------------------------------------

    /// `self * mul + add` (one fused op).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[1.0, 2.0], DType::F64)?.affine(3.0, 1.0)?.to_vec()?, vec![4.0, 7.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn affine(&self, mul: f64, add: f64) -> Result<Tensor> {
        Ok(Tensor(self.0.affine(mul, add)?))
    }
    /// `self + c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[1.0], DType::F64)?.add_scalar(0.5)?.to_vec()?, vec![1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn add_scalar(&self, c: f64) -> Result<Tensor> {
        self.affine(1.0, c)
    }
    /// `self · c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[1.5], DType::F64)?.mul_scalar(2.0)?.to_vec()?, vec![3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mul_scalar(&self, c: f64) -> Result<Tensor> {
        self.affine(c, 0.0)
    }
    /// A scalar tensor of this tensor's dtype.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let s = Tensor::zeros(&[3], DType::F32)?.scalar_like(2.0)?;
    /// assert_eq!((s.dtype(), s.rank(), s.to_scalar()?), (DType::F32, 0, 2.0));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn scalar_like(&self, v: f64) -> Result<Tensor> {
        Tensor::scalar(v, self.dtype())
    }
    /// `self ** e` for a constant exponent.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[4.0], DType::F64)?.powf(1.5)?.to_vec()?, vec![8.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn powf(&self, e: f64) -> Result<Tensor> {
        Ok(Tensor(self.0.powf(e)?))
    }

    // ----- unary ops (candle's own) -------------------------------------------------------

    /// `−self`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[1.0, -2.0], DType::F64)?.neg()?.to_vec()?, vec![-1.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn neg(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.neg()?))
    }
    /// `eˣ`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[0.0], DType::F64)?.exp()?.to_vec()?, vec![1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn exp(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.exp()?))
    }
    /// Natural logarithm.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[1.0, 0.0], DType::F64)?.log()?.to_vec()?, vec![0.0, f64::NEG_INFINITY]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.log()?))
    }
    /// Square root.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[9.0], DType::F64)?.sqrt()?.to_vec()?, vec![3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sqrt(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.sqrt()?))
    }
    /// `x²`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[-3.0], DType::F64)?.square()?.to_vec()?, vec![9.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn square(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.sqr()?))
    }
    /// `|x|`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[-3.0, 2.0], DType::F64)?.abs()?.to_vec()?, vec![3.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn abs(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.abs()?))
    }
    /// `1/x`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[4.0], DType::F64)?.recip()?.to_vec()?, vec![0.25]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn recip(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.recip()?))
    }
    /// Hyperbolic tangent.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[0.0], DType::F64)?.tanh()?.to_vec()?, vec![0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn tanh(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.tanh()?))
    }
    /// Sine.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!((Tensor::scalar(std::f64::consts::FRAC_PI_2, DType::F64)?.sin()?.to_scalar()? - 1.0).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sin(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.sin()?))
    }
    /// Cosine.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::scalar(0.0, DType::F64)?.cos()?.to_scalar()?, 1.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn cos(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.cos()?))
    }
    /// −1, 0 or 1.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[-2.0, 0.0, 5.0], DType::F64)?.sign()?.to_vec()?, vec![-1.0, 0.0, 1.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sign(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.sign()?))
    }
    /// Largest integer ≤ x.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[-1.5, 2.7], DType::F64)?.floor()?.to_vec()?, vec![-2.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn floor(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.floor()?))
    }
}

macro_rules! impl_op {
    ($tr:ident, $m:ident, $scalar:expr) => {
        impl std::ops::$tr<&Tensor> for &Tensor {
            type Output = Result<Tensor>;
            fn $m(self, o: &Tensor) -> Result<Tensor> {
                Tensor::$m(self, o)
            }
        }
        impl std::ops::$tr<Tensor> for Tensor {
            type Output = Result<Tensor>;
            fn $m(self, o: Tensor) -> Result<Tensor> {
                Tensor::$m(&self, &o)
            }
        }
        impl std::ops::$tr<f64> for &Tensor {
            type Output = Result<Tensor>;
            fn $m(self, c: f64) -> Result<Tensor> {
                let f: fn(&Tensor, f64) -> Result<Tensor> = $scalar;
                f(self, c)
            }
        }
    };
}
impl_op!(Add, add, |t, c| t.affine(1.0, c));
impl_op!(Sub, sub, |t, c| t.affine(1.0, -c));
impl_op!(Mul, mul, |t, c| t.affine(c, 0.0));
impl_op!(Div, div, |t, c| t.affine(1.0 / c, 0.0));

impl std::ops::Neg for &Tensor {
    type Output = Result<Tensor>;
    fn neg(self) -> Result<Tensor> {
        Tensor::neg(self)
    }
}
