//! Comparisons (`lt`, `gt_scalar`, ...) that produce a [`Mask`], masks combined (`and`, `not`,
//! `any`, `all`), and `where_`.

use super::{broadcast_shapes, Mask, Tensor};
use crate::error::Result;

impl Tensor {

    fn compare(&self, o: &Tensor, op: candle_core::op::CmpOp) -> Result<Mask> {
        self.check_dtype(o, "compare")?;
        let shape = broadcast_shapes(self.shape(), o.shape())?;
        let a = self.0.broadcast_as(shape.as_slice())?;
        let b = o.0.broadcast_as(shape.as_slice())?;
        Ok(Mask(a.cmp(&b, op)?))
    }
    /// `self < o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// let m = a.lt(&Tensor::vector(&[2.0, 2.0, 2.0], DType::F64)?)?;
    /// assert_eq!(Tensor::where_(&m, &a, &a.zeros_like()?)?.to_vec()?, vec![1.0, 0.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn lt(&self, o: &Tensor) -> Result<Mask> {
        self.compare(o, candle_core::op::CmpOp::Lt)
    }
    /// `self ≤ o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// let m = a.le(&Tensor::scalar(2.0, DType::F64)?)?;
    /// assert_eq!(Tensor::where_(&m, &a, &a.zeros_like()?)?.to_vec()?, vec![1.0, 2.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn le(&self, o: &Tensor) -> Result<Mask> {
        self.compare(o, candle_core::op::CmpOp::Le)
    }
    /// `self > o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// assert!(a.gt(&Tensor::scalar(2.5, DType::F64)?)?.any()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn gt(&self, o: &Tensor) -> Result<Mask> {
        self.compare(o, candle_core::op::CmpOp::Gt)
    }
    /// `self ≥ o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// assert!(a.ge(&Tensor::scalar(1.0, DType::F64)?)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ge(&self, o: &Tensor) -> Result<Mask> {
        self.compare(o, candle_core::op::CmpOp::Ge)
    }
    /// `self = o`, broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, 2.0], DType::F64)?;
    /// assert!(a.eq(&a)?.all()?);
    /// assert!(!a.eq(&Tensor::scalar(1.0, DType::F64)?)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn eq(&self, o: &Tensor) -> Result<Mask> {
        self.compare(o, candle_core::op::CmpOp::Eq)
    }
    /// Mask of `self < c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[-1.0, 1.0], DType::F64)?;
    /// assert!(a.lt_scalar(0.0)?.any()? && !a.lt_scalar(0.0)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn lt_scalar(&self, c: f64) -> Result<Mask> {
        Ok(Mask(self.0.lt(c)?))
    }
    /// `self > c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(Tensor::vector(&[1.0, 2.0], DType::F64)?.gt_scalar(0.0)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn gt_scalar(&self, c: f64) -> Result<Mask> {
        Ok(Mask(self.0.gt(c)?))
    }
    /// `self ≤ c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(Tensor::vector(&[1.0, 2.0], DType::F64)?.le_scalar(2.0)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn le_scalar(&self, c: f64) -> Result<Mask> {
        Ok(Mask(self.0.le(c)?))
    }
    /// `self ≥ c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(!Tensor::vector(&[1.0, 2.0], DType::F64)?.ge_scalar(2.0)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ge_scalar(&self, c: f64) -> Result<Mask> {
        Ok(Mask(self.0.ge(c)?))
    }
    /// `self = c`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(Tensor::vector(&[0.0, 2.0], DType::F64)?.eq_scalar(2.0)?.any()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn eq_scalar(&self, c: f64) -> Result<Mask> {
        Ok(Mask(self.0.eq(c)?))
    }
    /// Elementwise choice `mask ? on_true : on_false`, broadcasting all three.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[-2.0, 3.0], DType::F64)?;
    /// let relu = Tensor::where_(&x.gt_scalar(0.0)?, &x, &Tensor::scalar(0.0, DType::F64)?)?;
    /// assert_eq!(relu.to_vec()?, vec![0.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn where_(mask: &Mask, on_true: &Tensor, on_false: &Tensor) -> Result<Tensor> {
        on_true.check_dtype(on_false, "where")?;
        let s = broadcast_shapes(mask.0.dims(), on_true.shape())?;
        let s = broadcast_shapes(&s, on_false.shape())?;
        let m = mask.0.broadcast_as(s.as_slice())?;
        let t = on_true.0.broadcast_as(s.as_slice())?;
        let f = on_false.0.broadcast_as(s.as_slice())?;
        Ok(Tensor(m.where_cond(&t, &f)?))
    }

}

impl Mask {
    /// Elementwise and.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[0.5, 1.5], DType::F64)?;
    /// let m = x.gt_scalar(0.0)?.and(&x.lt_scalar(1.0)?)?;
    /// assert_eq!(Tensor::where_(&m, &x, &x.zeros_like()?)?.to_vec()?, vec![0.5, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn and(&self, o: &Mask) -> Result<Mask> {
        let s = broadcast_shapes(self.0.dims(), o.0.dims())?;
        Ok(Mask(self.0.broadcast_as(s.as_slice())?.mul(&o.0.broadcast_as(s.as_slice())?)?))
    }
    /// Elementwise equality of two masks (true where both are set or both unset), broadcasting.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0, -1.0, 1.0], DType::F64)?.gt_scalar(0.0)?;
    /// let b = Tensor::vector(&[1.0, -1.0, -1.0], DType::F64)?.gt_scalar(0.0)?;
    /// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// assert_eq!(Tensor::where_(&a.equal(&b)?, &x, &x.zeros_like()?)?.to_vec()?, vec![1.0, 2.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn equal(&self, o: &Mask) -> Result<Mask> {
        let s = broadcast_shapes(self.0.dims(), o.0.dims())?;
        Ok(Mask(self.0.broadcast_as(s.as_slice())?.eq(&o.0.broadcast_as(s.as_slice())?)?))
    }
    /// Elementwise not.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::vector(&[0.5, 1.5], DType::F64)?;
    /// assert_eq!(Tensor::where_(&x.lt_scalar(1.0)?.not()?, &x, &x.zeros_like()?)?.to_vec()?, vec![0.0, 1.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn not(&self) -> Result<Mask> {
        Ok(Mask(self.0.eq(0u8)?))
    }
    /// True if any element is set.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(Tensor::vector(&[0.0, 1.0], DType::F64)?.gt_scalar(0.5)?.any()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn any(&self) -> Result<bool> {
        Ok(self.0.flatten_all()?.to_vec1::<u8>()?.iter().any(|&b| b != 0))
    }
    /// True if every element is set.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(!Tensor::vector(&[0.0, 1.0], DType::F64)?.gt_scalar(0.5)?.all()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn all(&self) -> Result<bool> {
        Ok(self.0.flatten_all()?.to_vec1::<u8>()?.iter().all(|&b| b != 0))
    }
}
