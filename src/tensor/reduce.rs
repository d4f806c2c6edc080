//! Reductions: sums and means over all or some axes, `max_axis`, `logsumexp`.

use super::Tensor;
use crate::error::{Error, Result};

impl Tensor {
    // ----- reductions ---------------------------------------------------------------------

    /// Sum of all elements (rank 0).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(t.sum_all()?.to_scalar()?, 10.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sum_all(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.sum_all()?))
    }
    /// Mean of all elements (rank 0).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(t.mean_all()?.to_scalar()?, 2.5);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mean_all(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.mean_all()?))
    }
    /// Sum over the given axes; the axes are removed unless `keepdim`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(t.sum_axes(&[0], false)?.to_vec()?, vec![4.0, 6.0]);
    /// assert_eq!(t.sum_axes(&[1], true)?.shape(), &[2, 1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        if axes.is_empty() {
            return Ok(self.clone());
        }
        for &a in axes {
            if a >= self.rank() {
                return Err(Error::invalid_shape("sum axis", self.shape(), format!("axis {a} out of range")));
            }
        }
        let t = self.0.sum_keepdim(axes.to_vec())?;
        if keepdim {
            return Ok(Tensor(t));
        }
        let shape: Vec<usize> =
            self.shape().iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect();
        Ok(Tensor(t.reshape(shape)?))
    }
    /// Sum over the last `k` axes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::ones(&[2, 3, 4], DType::F64)?;
    /// assert_eq!(t.sum_last(2)?.to_vec()?, vec![12.0, 12.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn sum_last(&self, k: usize) -> Result<Tensor> {
        if k > self.rank() {
            return Err(Error::invalid_shape("sum_last", self.shape(), format!("cannot reduce {k} axes")));
        }
        let axes: Vec<usize> = (self.rank() - k..self.rank()).collect();
        self.sum_axes(&axes, false)
    }
    /// Mean over the given axes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(t.mean_axes(&[1], false)?.to_vec()?, vec![1.5, 3.5]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn mean_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        let n: usize = axes.iter().map(|&a| self.shape()[a]).product();
        self.sum_axes(axes, keepdim)?.mul_scalar(1.0 / n as f64)
    }
    /// Numerically stable `log(sum(exp(x)))` along one axis.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// // No overflow where exp would: log(e^1000 + e^1000) = 1000 + log 2.
    /// let t = Tensor::vector(&[1000.0, 1000.0], DType::F64)?;
    /// assert!((t.logsumexp(0, false)?.to_scalar()? - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn logsumexp(&self, axis: usize, keepdim: bool) -> Result<Tensor> {
        let m = self.max_axis(axis, true)?.detach();
        let m = Tensor::where_(&m.is_finite()?, &m, &m.zeros_like()?)?;
        let s = self.sub(&m)?.exp()?.sum_axes(&[axis], true)?.log()?.add(&m)?;
        if keepdim {
            Ok(s)
        } else {
            s.squeeze(axis)
        }
    }
}
