//! Building tensors (from slices, scalars, `full`, `eye`, `arange`), reading them back
//! (`shape`, `to_vec`, `to_scalar`), and converting them (`detach`, `contiguous`, `to_dtype`).

use super::custom_op::with_slice;
use super::{cpu, map_layout, DType, Tensor};
use crate::error::{Error, Result};
use candle_core::{Device, Tensor as CTensor};

impl Tensor {
    // ----- construction -------------------------------------------------------------------

    /// Wraps a candle tensor (must be f32 or f64).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::vector(&[1.0, 2.0], DType::F32)?;
    /// let back = Tensor::from_candle(t.as_candle().clone())?;
    /// assert_eq!(back.to_vec()?, vec![1.0, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_candle(t: CTensor) -> Result<Self> {
        DType::from_candle(t.dtype())?;
        Ok(Tensor(t))
    }
    /// The underlying candle tensor.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::zeros(&[2, 3], DType::F64)?;
    /// assert_eq!(t.as_candle().dims(), &[2, 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn as_candle(&self) -> &CTensor {
        &self.0
    }
    /// A tensor of the given shape and dtype from f64 values (cast to f32 if asked).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], DType::F32)?;
    /// assert_eq!(t.shape(), &[2, 3]);
    /// // The number of values must match the shape.
    /// assert!(Tensor::from_slice(&[1.0, 2.0], &[3], DType::F32).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_slice(data: &[f64], shape: &[usize], dtype: DType) -> Result<Self> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(Error::invalid_shape("tensor data", shape, format!("{} values given", data.len())));
        }
        let t = match dtype {
            DType::F64 => CTensor::from_slice(data, shape, cpu())?,
            DType::F32 => {
                let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
                CTensor::from_vec(v, shape, cpu())?
            }
        };
        Ok(Tensor(t))
    }
    /// A rank-1 tensor.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let v = Tensor::vector(&[0.5, 1.5], DType::F64)?;
    /// assert_eq!((v.shape(), v.to_vec()?), (&[2usize][..], vec![0.5, 1.5]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn vector(data: &[f64], dtype: DType) -> Result<Self> {
        Self::from_slice(data, &[data.len()], dtype)
    }
    /// A float32 tensor from f32 values.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_f32s(vec![1.5, 2.5], &[2, 1])?;
    /// assert_eq!((t.dtype(), t.shape()), (DType::F32, &[2usize, 1][..]));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_f32s(data: Vec<f32>, shape: &[usize]) -> Result<Self> {
        Ok(Tensor(CTensor::from_vec(data, shape, cpu())?))
    }
    /// A float64 tensor from f64 values.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_f64s(vec![0.1, 0.2, 0.3], &[3])?;
    /// assert_eq!(t.to_vec()?, vec![0.1, 0.2, 0.3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn from_f64s(data: Vec<f64>, shape: &[usize]) -> Result<Self> {
        Ok(Tensor(CTensor::from_vec(data, shape, cpu())?))
    }
    /// A rank-0 tensor.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let s = Tensor::scalar(2.5, DType::F64)?;
    /// assert_eq!((s.rank(), s.to_scalar()?), (0, 2.5));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn scalar(v: f64, dtype: DType) -> Result<Self> {
        Self::from_slice(&[v], &[], dtype)
    }
    /// A tensor filled with `v`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::full(7.0, &[2], DType::F32)?.to_vec()?, vec![7.0, 7.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn full(v: f64, shape: &[usize], dtype: DType) -> Result<Self> {
        Ok(Tensor(CTensor::full(v, shape, cpu())?.to_dtype(dtype.to_candle())?))
    }
    /// A tensor of zeros.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[3], DType::F64)?.to_vec()?, vec![0.0; 3]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType) -> Result<Self> {
        Ok(Tensor(CTensor::zeros(shape, dtype.to_candle(), cpu())?))
    }
    /// A tensor of ones.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::ones(&[2, 2], DType::F64)?.sum_all()?.to_scalar()?, 4.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn ones(shape: &[usize], dtype: DType) -> Result<Self> {
        Ok(Tensor(CTensor::ones(shape, dtype.to_candle(), cpu())?))
    }
    /// Identity matrices of shape `batch_shape + [n, n]`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let i = Tensor::eye(2, &[3], DType::F64)?; // three 2 × 2 identities
    /// assert_eq!(i.shape(), &[3, 2, 2]);
    /// assert_eq!(i.sum_all()?.to_scalar()?, 6.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn eye(n: usize, batch_shape: &[usize], dtype: DType) -> Result<Self> {
        let e = Tensor(CTensor::eye(n, dtype.to_candle(), cpu())?);
        if batch_shape.is_empty() {
            return Ok(e);
        }
        let mut s = batch_shape.to_vec();
        s.extend([n, n]);
        e.broadcast_to(&s)?.contiguous()
    }
    /// `[start, start+1, ..., end-1]` as floats.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::arange(2, 5, DType::F64)?.to_vec()?, vec![2.0, 3.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn arange(start: usize, end: usize, dtype: DType) -> Result<Self> {
        let v: Vec<f64> = (start..end).map(|i| i as f64).collect();
        Self::vector(&v, dtype)
    }
    /// A tensor of the same shape and dtype filled with `v`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::zeros(&[2], DType::F32)?;
    /// assert_eq!(t.full_like(3.0)?.to_vec()?, vec![3.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn full_like(&self, v: f64) -> Result<Self> {
        Self::full(v, self.shape(), self.dtype())
    }
    /// Zeros of this tensor's shape and dtype.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::vector(&[1.0, 2.0], DType::F64)?;
    /// assert_eq!(t.zeros_like()?.to_vec()?, vec![0.0, 0.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn zeros_like(&self) -> Result<Self> {
        Self::zeros(self.shape(), self.dtype())
    }

    // ----- inspection ---------------------------------------------------------------------

    /// The shape.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[4, 1], DType::F64)?.shape(), &[4, 1]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.0.dims()
    }
    /// The number of axes.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[4, 1], DType::F64)?.rank(), 2);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn rank(&self) -> usize {
        self.0.rank()
    }
    /// The number of elements.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::zeros(&[4, 3], DType::F64)?.elem_count(), 12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn elem_count(&self) -> usize {
        self.0.elem_count()
    }
    /// The element type.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::scalar(1.0, DType::F32)?.dtype(), DType::F32);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        // Invariant: every facade tensor is f32 or f64.
        match self.0.dtype() {
            candle_core::DType::F32 => DType::F32,
            _ => DType::F64,
        }
    }
    /// All values, row-major, as f64.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
    /// assert_eq!(t.to_vec()?, vec![1.0, 2.0, 3.0, 4.0]); // row-major
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn to_vec(&self) -> Result<Vec<f64>> {
        // Read the storage through the layout: no temporary tensor.
        let (storage, layout) = self.0.storage_and_layout();
        match &*storage {
            candle_core::Storage::Cpu(candle_core::CpuStorage::F64(v)) => Ok(map_layout(v, layout, |x| x)),
            candle_core::Storage::Cpu(candle_core::CpuStorage::F32(v)) => Ok(map_layout(v, layout, |x| x as f64)),
            _ => {
                let flat = self.0.flatten_all()?.to_dtype(candle_core::DType::F64)?.to_device(&Device::Cpu)?;
                Ok(flat.to_vec1::<f64>()?)
            }
        }
    }
    /// The elements in row-major order as float64, written into `out` (cleared first; its
    /// allocation is reused): `to_vec` for a loop that runs every step.
    pub(crate) fn read_f64_into(&self, out: &mut Vec<f64>) -> Result<()> {
        out.clear();
        match self.dtype() {
            DType::F32 => with_slice(&self.0, |v: &[f32]| out.extend(v.iter().map(|x| *x as f64)))?,
            DType::F64 => with_slice(&self.0, |v: &[f64]| out.extend_from_slice(v))?,
        }
        Ok(())
    }
    /// The single value of a one-element tensor.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[4.0], DType::F64)?.to_scalar()?, 4.0);
    /// assert!(Tensor::vector(&[1.0, 2.0], DType::F64)?.to_scalar().is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn to_scalar(&self) -> Result<f64> {
        if self.elem_count() != 1 {
            return Err(Error::invalid_shape("to_scalar", self.shape(), "expected exactly one element"));
        }
        Ok(self.to_vec()?[0])
    }
    /// True when every element is finite.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(Tensor::vector(&[1.0, 2.0], DType::F64)?.all_finite()?);
    /// assert!(!Tensor::vector(&[1.0, f64::NAN], DType::F64)?.all_finite()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn all_finite(&self) -> Result<bool> {
        Ok(!self.any_element(|x| !x.is_finite(), |x| !x.is_finite())?)
    }
    /// True when some element is NaN.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert!(!Tensor::vector(&[1.0, f64::INFINITY], DType::F32)?.any_nan()?);
    /// assert!(Tensor::vector(&[1.0, f64::NAN], DType::F32)?.any_nan()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn any_nan(&self) -> Result<bool> {
        self.any_element(f32::is_nan, f64::is_nan)
    }
    /// Whether some element satisfies the predicate of its dtype, read in place when the
    /// storage is contiguous (a validity scan allocates nothing).
    fn any_element(&self, f32_pred: impl Fn(f32) -> bool, f64_pred: impl Fn(f64) -> bool) -> Result<bool> {
        Ok(match self.dtype() {
            DType::F32 => with_slice(&self.0, |v: &[f32]| v.iter().any(|x| f32_pred(*x)))?,
            DType::F64 => with_slice(&self.0, |v: &[f64]| v.iter().any(|x| f64_pred(*x)))?,
        })
    }
    /// Same tensor, cut from the autodiff graph.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Variable::new(&Tensor::scalar(2.0, DType::F64)?, "x")?.value();
    /// // The detached copy is a constant: no gradient flows through it.
    /// let y = x.detach().mul(&x)?;
    /// let g = y.grad(&[&x])?[0].clone().unwrap();
    /// assert_eq!(g.to_scalar()?, 2.0); // d(c·x)/dx with c = 2, not d(x²)/dx = 4
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn detach(&self) -> Self {
        Tensor(self.0.detach())
    }
    /// A row-major copy (or this tensor, when already row-major).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?.matrix_transpose()?.contiguous()?;
    /// assert_eq!(t.to_vec()?, vec![1.0, 3.0, 2.0, 4.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn contiguous(&self) -> Result<Self> {
        Ok(Tensor(self.0.contiguous()?))
    }
    /// Converted to `dtype` (differentiable).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::scalar(0.1, DType::F64)?.to_dtype(DType::F32)?;
    /// assert_eq!((t.dtype(), t.to_scalar()?), (DType::F32, 0.1f32 as f64));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Result<Self> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        Ok(Tensor(self.0.to_dtype(dtype.to_candle())?))
    }
}
