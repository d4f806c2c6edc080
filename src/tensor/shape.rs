//! Shape ops: `reshape`, `broadcast_to`, `unsqueeze`, transposes, `narrow`, `concat`,
//! `index_select`, `pad`, `permute`, `flatten`; and matrix products (`matmul`, `matvec`).

use super::{broadcast_shapes, fix_matmul_thread_count, Tensor};
use candle_core::Tensor as CTensor;
use crate::error::{Error, Result};

impl Tensor {
    // ----- shape ops ----------------------------------------------------------------------

    /// The same elements in `shape` (row-major order).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::arange(0, 6, DType::F64)?.reshape(&[2, 3])?;
    /// assert_eq!(t.shape(), &[2, 3]);
    /// assert!(t.reshape(&[4]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != self.elem_count() {
            return Err(Error::ShapeMismatch { context: "reshape".into(), lhs: self.shape().to_vec(), rhs: shape.to_vec() });
        }
        if shape == self.shape() {
            return Ok(self.clone());
        }
        Ok(Tensor(self.0.reshape(shape)?))
    }
    /// Broadcast to `shape` (numpy rules), without copying.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::vector(&[1.0, 2.0], DType::F64)?.broadcast_to(&[3, 2])?;
    /// assert_eq!(t.sum_all()?.to_scalar()?, 9.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.shape() {
            return Ok(self.clone());
        }
        let b = broadcast_shapes(self.shape(), shape)?;
        if b != shape {
            return Err(Error::ShapeMismatch { context: "broadcast_to".into(), lhs: self.shape().to_vec(), rhs: shape.to_vec() });
        }
        Ok(Tensor(self.0.broadcast_as(shape)?))
    }
    /// A new axis of length 1 at `axis`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[3], DType::F64)?.unsqueeze(0)?.shape(), &[1, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn unsqueeze(&self, axis: usize) -> Result<Tensor> {
        Ok(Tensor(self.0.unsqueeze(axis)?))
    }
    /// Removes the length-1 axis `axis`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[3, 1], DType::F64)?.squeeze(1)?.shape(), &[3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn squeeze(&self, axis: usize) -> Result<Tensor> {
        Ok(Tensor(self.0.squeeze(axis)?))
    }
    /// Swap the last two axes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::zeros(&[5, 2, 3], DType::F64)?;
    /// assert_eq!(t.matrix_transpose()?.shape(), &[5, 3, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn matrix_transpose(&self) -> Result<Tensor> {
        let r = self.rank();
        if r < 2 {
            return Err(Error::invalid_shape("matrix_transpose", self.shape(), "rank must be >= 2"));
        }
        Ok(Tensor(self.0.transpose(r - 2, r - 1)?))
    }
    /// Axes `a` and `b` swapped.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[2, 3, 4], DType::F64)?.transpose(0, 2)?.shape(), &[4, 3, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn transpose(&self, a: usize, b: usize) -> Result<Tensor> {
        Ok(Tensor(self.0.transpose(a, b)?))
    }
    /// `len` entries starting at `start` along `axis`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::arange(0, 5, DType::F64)?;
    /// assert_eq!(t.narrow(0, 1, 3)?.to_vec()?, vec![1.0, 2.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Tensor> {
        Ok(Tensor(self.0.narrow(axis, start, len)?))
    }
    /// Concatenate along `axis`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::vector(&[1.0], DType::F64)?;
    /// let b = Tensor::vector(&[2.0, 3.0], DType::F64)?;
    /// assert_eq!(Tensor::concat(&[&a, &b], 0)?.to_vec()?, vec![1.0, 2.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn concat(ts: &[&Tensor], axis: usize) -> Result<Tensor> {
        let v: Vec<&CTensor> = ts.iter().map(|t| &t.0).collect();
        Ok(Tensor(CTensor::cat(&v, axis)?))
    }
    /// Pad `axis` with `left`/`right` entries of `value`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::vector(&[1.0, 2.0], DType::F64)?;
    /// assert_eq!(t.pad(0, 1, 2, 0.0)?.to_vec()?, vec![0.0, 1.0, 2.0, 0.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn pad(&self, axis: usize, left: usize, right: usize, value: f64) -> Result<Tensor> {
        if axis >= self.rank() {
            return Err(Error::invalid_shape("pad", self.shape(), format!("no axis {axis}")));
        }
        let mut parts: Vec<Tensor> = Vec::new();
        let mut shape = self.shape().to_vec();
        if left > 0 {
            shape[axis] = left;
            parts.push(Tensor::full(value, &shape, self.dtype())?);
        }
        parts.push(self.clone());
        if right > 0 {
            shape[axis] = right;
            parts.push(Tensor::full(value, &shape, self.dtype())?);
        }
        let refs: Vec<&Tensor> = parts.iter().collect();
        Tensor::concat(&refs, axis)
    }
    /// Reorders the axes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[2, 3, 4], DType::F64)?.permute(&[1, 2, 0])?.shape(), &[3, 4, 2]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn permute(&self, axes: &[usize]) -> Result<Tensor> {
        Ok(Tensor(self.0.permute(axes)?))
    }
    /// Flatten to rank 1.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F64)?.flatten()?.shape(), &[6]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn flatten(&self) -> Result<Tensor> {
        Ok(Tensor(self.0.flatten_all()?))
    }

    // ----- matrix products ----------------------------------------------------------------

    /// Batched matrix product `[..., m, k] @ [..., k, n]` with broadcast batch dims.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// let b = Tensor::from_slice(&[0.0, 1.0, 1.0, 0.0], &[2, 2], DType::F64)?;
    /// assert_eq!(a.matmul(&b)?.to_vec()?, vec![2.0, 1.0, 4.0, 3.0]);
    /// // A batch of matrices times one matrix.
    /// assert_eq!(Tensor::zeros(&[5, 3, 2], DType::F64)?.matmul(&a)?.shape(), &[5, 3, 2]);
    /// // ... computed as one product of stacked rows; the matrix's gradient sums over the batch.
    /// let w = probrs::params::Variable::new(&a, "w")?.value();
    /// let x = Tensor::from_slice(&[1.0, 0.0, 0.0, 1.0, 2.0, 3.0], &[3, 1, 2], DType::F64)?;
    /// let y = x.matmul(&w)?;
    /// assert_eq!(y.to_vec()?, vec![1.0, 2.0, 3.0, 4.0, 11.0, 16.0]);
    /// assert_eq!(y.sum_all()?.grad(&[&w])?[0].clone().unwrap().to_vec()?, vec![3.0, 3.0, 4.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn matmul(&self, o: &Tensor) -> Result<Tensor> {
        fix_matmul_thread_count();
        self.check_dtype(o, "matmul")?;
        if self.rank() < 2 || o.rank() < 2 || self.shape()[self.rank() - 1] != o.shape()[o.rank() - 2] {
            return Err(Error::ShapeMismatch { context: "matmul".into(), lhs: self.shape().to_vec(), rhs: o.shape().to_vec() });
        }
        if o.rank() == 2 && self.rank() > 2 {
            // One matrix against a batch of them (a dense layer on [S, B, k] inputs): the batch
            // stacks into the rows of one GEMM, rather than copying the matrix per batch entry
            // (and summing its gradient back over the copies).
            let (k, n) = (o.shape()[0], o.shape()[1]);
            let mut so = self.shape().to_vec();
            let rows = self.elem_count() / k;
            *so.last_mut().expect("rank > 2") = n;
            let out = self.0.contiguous()?.reshape((rows, k))?.matmul(&o.0.contiguous()?)?;
            return Ok(Tensor(out.reshape(so)?));
        }
        let (ba, bb) = (&self.shape()[..self.rank() - 2], &o.shape()[..o.rank() - 2]);
        let batch = broadcast_shapes(ba, bb)?;
        let mut sa = batch.clone();
        sa.extend_from_slice(&self.shape()[self.rank() - 2..]);
        let mut sb = batch.clone();
        sb.extend_from_slice(&o.shape()[o.rank() - 2..]);
        let a = self.broadcast_to(&sa)?.contiguous()?;
        let b = o.broadcast_to(&sb)?.contiguous()?;
        if batch.len() <= 1 {
            return Ok(Tensor(a.0.matmul(&b.0)?));
        }
        // candle rejects some batch layouts of rank > 3 (size-1 batch dims): fold the batch
        // into one axis and unfold the result.
        let nb: usize = batch.iter().product();
        let (m, k, n) = (sa[sa.len() - 2], sa[sa.len() - 1], sb[sb.len() - 1]);
        let out = a.0.reshape((nb, m, k))?.matmul(&b.0.reshape((nb, k, n))?)?;
        let mut so = batch;
        so.extend([m, n]);
        Ok(Tensor(out.reshape(so)?))
    }
    /// Batched matrix-vector product `[..., m, k] @ [..., k] -> [..., m]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let a = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(a.matvec(&Tensor::vector(&[1.0, 1.0], DType::F64)?)?.to_vec()?, vec![3.0, 7.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn matvec(&self, v: &Tensor) -> Result<Tensor> {
        let r = v.rank();
        self.matmul(&v.unsqueeze(r)?)?.squeeze(self.rank().max(r + 1) - 1)
    }
}
