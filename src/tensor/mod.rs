//! The tensor facade: a thin layer over candle-core's CPU tensors and reverse-mode autodiff.
//!
//! What it adds to candle:
//! - numpy/TFP broadcasting for every binary op (candle's `a + b` requires equal shapes);
//! - the ops TFP relies on and candle lacks, each with a gradient (see [`special`] and
//!   [`linalg`]): `log1p`, `expm1`, stable `softplus`, `lgamma`, `log_ndtr`, `cholesky`, ...;
//! - float-only tensors in `float32` / `float64` ([`DType`]), printed the way numpy prints.
//!
//! ```
//! use probrs::tensor::{DType, Tensor};
//! let a = Tensor::from_slice(&[1.0, 2.0, 3.0], &[3, 1], DType::F64)?;
//! let b = Tensor::from_slice(&[10.0, 20.0], &[2], DType::F64)?;
//! let c = a.add(&b)?; // broadcasts to [3, 2]
//! assert_eq!(c.shape(), &[3, 2]);
//! assert_eq!(c.to_vec()?, vec![11.0, 21.0, 12.0, 22.0, 13.0, 23.0]);
//! # Ok::<(), probrs::Error>(())
//! ```

pub mod bessel;
pub mod fused;
pub mod exponentiated_quadratic;
pub mod gaussian_log_likelihood;
pub mod gaussian_mixture;
pub mod glm;
mod glm_avx512;
pub mod incomplete;
pub mod linalg;
pub mod special;
pub(crate) mod vector_exp;

use crate::error::{Error, Result};
use candle_core::{Device, Tensor as CTensor};
use std::fmt;

/// Floating-point element type of a [`Tensor`].
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// let t = Tensor::scalar(0.1, DType::F32)?;
/// assert_eq!(t.dtype(), DType::F32);
/// assert_eq!(DType::F64.name(), "float64");
/// // float32 keeps float32's precision: 0.1 is not exactly 0.1.
/// assert_eq!(t.to_scalar()?, 0.1f32 as f64);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// IEEE single precision (TFP's default).
    F32,
    /// IEEE double precision.
    F64,
}

impl DType {
    /// Machine epsilon (`np.finfo(dtype).eps`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(DType::F32.eps(), f32::EPSILON as f64);
    /// assert_eq!(DType::F64.eps(), f64::EPSILON);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn eps(self) -> f64 {
        match self {
            DType::F32 => f32::EPSILON as f64,
            DType::F64 => f64::EPSILON,
        }
    }
    /// The numpy name: `float32` or `float64`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(DType::F32.name(), "float32");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
    /// Parses `float32` / `float64` (also `f32` / `f64`).
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(DType::parse("float64")?, DType::F64);
    /// assert!(DType::parse("int8").is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "float32" | "f32" => Ok(DType::F32),
            "float64" | "f64" => Ok(DType::F64),
            _ => Err(Error::invalid_parameter("dtype", format!("unknown dtype `{s}`"))),
        }
    }
    pub(crate) fn to_candle(self) -> candle_core::DType {
        match self {
            DType::F32 => candle_core::DType::F32,
            DType::F64 => candle_core::DType::F64,
        }
    }
    pub(crate) fn from_candle(d: candle_core::DType) -> Result<Self> {
        match d {
            candle_core::DType::F32 => Ok(DType::F32),
            candle_core::DType::F64 => Ok(DType::F64),
            other => Err(Error::DTypeMismatch {
                context: "tensor facade".into(),
                lhs: format!("{other:?}"),
                rhs: "float32 or float64".into(),
            }),
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A float32/float64 tensor on the CPU that records the ops applied to it for autodiff.
///
/// Cloning is cheap (shared storage). Every binary op broadcasts as numpy does.
///
/// ```
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64)?;
/// // numpy broadcasting: [2, 2] + [2]
/// let y = x.add(&Tensor::vector(&[10.0, 20.0], DType::F64)?)?;
/// assert_eq!(y.to_vec()?, vec![11.0, 22.0, 13.0, 24.0]);
/// // Reverse-mode gradients (of tensors that depend on a variable): d/dx Σ x² = 2x
/// let x = Variable::new(&x, "x")?.value();
/// let loss = x.square()?.sum_all()?;
/// let g = loss.grad(&[&x])?[0].clone().expect("loss depends on x");
/// assert_eq!(g.to_vec()?, vec![2.0, 4.0, 6.0, 8.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Tensor(pub(crate) CTensor);

/// A boolean mask produced by comparisons, consumed by [`Tensor::where_`].
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[-1.0, 0.5, 2.0], DType::F64)?;
/// let inside = x.gt_scalar(0.0)?.and(&x.lt_scalar(1.0)?)?;
/// assert!(inside.any()? && !inside.all()?);
/// let clipped = Tensor::where_(&inside, &x, &x.zeros_like()?)?;
/// assert_eq!(clipped.to_vec()?, vec![0.0, 0.5, 0.0]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mask(pub(crate) CTensor);

/// numpy broadcasting of two shapes.
///
/// ```
/// use probrs::tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[3, 1], &[4])?, vec![3, 4]);
/// assert!(broadcast_shapes(&[3], &[4]).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i < n - a.len() { 1 } else { a[i - (n - a.len())] };
        let db = if i < n - b.len() { 1 } else { b[i - (n - b.len())] };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::ShapeMismatch { context: "broadcast".into(), lhs: a.to_vec(), rhs: b.to_vec() });
        };
    }
    Ok(out)
}

fn cpu() -> &'static Device {
    static CPU: Device = Device::Cpu;
    &CPU
}

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
        Ok(self.to_vec()?.iter().all(|x| x.is_finite()))
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

    fn binary(
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
        let a = if self.shape() == shape.as_slice() { self.0.clone() } else { self.0.broadcast_as(shape.as_slice())? };
        let b = if other.shape() == shape.as_slice() { other.0.clone() } else { other.0.broadcast_as(shape.as_slice())? };
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
    /// Maximum along one axis.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::from_slice(&[1.0, 5.0, 3.0, 2.0], &[2, 2], DType::F64)?;
    /// assert_eq!(t.max_axis(1, false)?.to_vec()?, vec![5.0, 3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Result<Tensor> {
        let t = self.0.max_keepdim(axis)?;
        Ok(Tensor(if keepdim { t } else { t.squeeze(axis)? }))
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
    /// Select entries `indices` along `axis`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let t = Tensor::vector(&[10.0, 20.0, 30.0], DType::F64)?;
    /// assert_eq!(t.index_select(0, &[2, 0, 2])?.to_vec()?, vec![30.0, 10.0, 30.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn index_select(&self, axis: usize, indices: &[u32]) -> Result<Tensor> {
        let idx = CTensor::from_slice(indices, indices.len(), cpu())?;
        Ok(Tensor(self.0.contiguous()?.index_select(&idx, axis)?))
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
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn matmul(&self, o: &Tensor) -> Result<Tensor> {
        fix_matmul_thread_count();
        self.check_dtype(o, "matmul")?;
        if self.rank() < 2 || o.rank() < 2 || self.shape()[self.rank() - 1] != o.shape()[o.rank() - 2] {
            return Err(Error::ShapeMismatch { context: "matmul".into(), lhs: self.shape().to_vec(), rhs: o.shape().to_vec() });
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

    // ----- autodiff -----------------------------------------------------------------------

    /// Reverse-mode gradients of this (scalar) tensor with respect to `wrt`.
    ///
    /// Returns `None` for a tensor the value does not depend on.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Variable::new(&Tensor::vector(&[1.0, 2.0], DType::F64)?, "x")?.value();
    /// let unused = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "u")?.value();
    /// let g = x.exp()?.sum_all()?.grad(&[&x, &unused])?;
    /// assert_eq!(g[0].as_ref().unwrap().to_vec()?, vec![1f64.exp(), 2f64.exp()]);
    /// assert!(g[1].is_none());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn grad(&self, wrt: &[&Tensor]) -> Result<Vec<Option<Tensor>>> {
        let store = self.0.backward()?;
        Ok(wrt.iter().map(|t| store.get(&t.0).map(|g| Tensor(g.clone()))).collect())
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

/// Shortest round-trip representation of one element, numpy style (`1.`, `0.5413246`).
pub(crate) fn fmt_element(v: f64, dtype: DType) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = match dtype {
        DType::F32 => format!("{}", v as f32),
        DType::F64 => format!("{}", v),
    };
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.")
    }
}

impl Tensor {
    /// numpy's `repr`: `array([0.5413246, 1.], dtype=float32)`; a scalar prints bare.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// assert_eq!(Tensor::vector(&[0.5, 1.0], DType::F32)?.numpy_repr(), "array([0.5, 1. ], dtype=float32)");
    /// assert_eq!(Tensor::scalar(2.0, DType::F64)?.numpy_repr(), "2.");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn numpy_repr(&self) -> String {
        let vals = match self.to_vec() {
            Ok(v) => v,
            Err(e) => return format!("<error: {e}>"),
        };
        let dt = self.dtype();
        if self.rank() == 0 {
            return fmt_element(vals[0], dt);
        }
        let strs: Vec<String> = vals.iter().map(|&v| fmt_element(v, dt)).collect();
        // numpy aligns the decimal points within an array.
        let split = |s: &String| match s.find('.') {
            Some(i) => (s[..i].to_string(), s[i..].to_string()),
            None => (s.clone(), String::new()),
        };
        let (wi, wf) = strs.iter().map(split).fold((0, 0), |(a, b), (i, f)| (a.max(i.len()), b.max(f.len())));
        let padded: Vec<String> = strs
            .iter()
            .map(|s| {
                let (i, f) = split(s);
                format!("{:>wi$}{:<wf$}", i, f, wi = wi, wf = wf)
            })
            .collect();
        fn nest(shape: &[usize], items: &[String], depth: usize) -> String {
            if shape.len() == 1 {
                return format!("[{}]", items.join(", "));
            }
            let step = items.len() / shape[0].max(1);
            let rows: Vec<String> = (0..shape[0]).map(|i| nest(&shape[1..], &items[i * step..(i + 1) * step], depth + 1)).collect();
            let sep = format!(",\n{}", " ".repeat(depth + 7));
            format!("[{}]", rows.join(&sep))
        }
        format!("array({}, dtype={})", nest(self.shape(), &padded, 0), dt.name())
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={:?}, {})", self.shape(), self.numpy_repr())
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.numpy_repr())
    }
}

/// Applies `f` to the elements of a strided CPU buffer, in row-major order of `layout`.
pub(crate) fn map_layout<T: Copy, U>(v: &[T], layout: &candle_core::Layout, mut f: impl FnMut(T) -> U) -> Vec<U> {
    match layout.contiguous_offsets() {
        Some((a, b)) => v[a..b].iter().map(|&x| f(x)).collect(),
        None => {
            let (dims, strides) = (layout.dims(), layout.stride());
            let n: usize = dims.iter().product();
            let mut idx = vec![0usize; dims.len()];
            let mut out = Vec::with_capacity(n);
            let mut off = layout.start_offset();
            for _ in 0..n {
                out.push(f(v[off]));
                for d in (0..dims.len()).rev() {
                    idx[d] += 1;
                    off += strides[d];
                    if idx[d] < dims[d] {
                        break;
                    }
                    off -= strides[d] * dims[d];
                    idx[d] = 0;
                }
            }
            out
        }
    }
}

/// A CPU storage's elements as f64, in row-major order of `layout`.
pub(crate) fn storage_f64(s: &candle_core::CpuStorage, layout: &candle_core::Layout) -> candle_core::Result<Vec<f64>> {
    Ok(match s {
        candle_core::CpuStorage::F64(v) => map_layout(v, layout, |x| x),
        candle_core::CpuStorage::F32(v) => map_layout(v, layout, |x| x as f64),
        _ => candle_core::bail!("probrs ops support float32 and float64 only"),
    })
}

/// A contiguous input's elements, borrowed (fused ops make their inputs contiguous first);
/// `op` names the op in the error otherwise.
pub(crate) fn contiguous_slice<'a, T>(s: &'a [T], layout: &candle_core::Layout, op: &str) -> candle_core::Result<&'a [T]> {
    match layout.contiguous_offsets() {
        Some((a, b)) => Ok(&s[a..b]),
        None => candle_core::bail!("{op}: non-contiguous input"),
    }
}

/// `f` of a tensor's elements in row-major order: borrowed from its CPU storage when contiguous,
/// else copied.
pub(crate) fn with_slice<T: candle_core::WithDType, R>(t: &candle_core::Tensor, f: impl FnOnce(&[T]) -> R) -> candle_core::Result<R> {
    {
        let (st, l) = t.storage_and_layout();
        if let (candle_core::Storage::Cpu(cs), Some((a, b))) = (&*st, l.contiguous_offsets()) {
            return Ok(f(&T::cpu_storage_as_slice(cs)?[a..b]));
        }
    }
    let v = t.flatten_all()?.to_vec1::<T>()?;
    Ok(f(&v))
}

/// The thread count of probrs's own parallel kernels: `RAYON_NUM_THREADS`, else
/// `CANDLE_NUM_THREADS`, else 1.
pub(crate) fn op_threads() -> usize {
    ["RAYON_NUM_THREADS", "CANDLE_NUM_THREADS"].iter().find_map(|k| std::env::var(k).ok().and_then(|s| s.parse::<usize>().ok()).filter(|n| *n > 0)).unwrap_or(1)
}

/// Elementary steps below which probrs's kernels stay on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 16;

/// Threads for a kernel of `work` elementary steps: `op_threads()` when the work is worth a
/// thread each (spawning costs tens of microseconds), else 1.
pub(crate) fn threads_for(work: usize) -> usize {
    if work >= PARALLEL_MIN_WORK {
        op_threads()
    } else {
        1
    }
}

/// `f(lo, hi)` over contiguous ranges splitting `0..n` — `threads_for(n · cost)` of them, run
/// inline when one. Results in range order.
pub(crate) fn parallel_ranges<R: Send>(n: usize, cost: usize, f: impl Fn(usize, usize) -> R + Sync) -> Vec<R> {
    let t = threads_for(n.saturating_mul(cost)).min(n.max(1));
    if t == 1 {
        return vec![f(0, n)];
    }
    let chunk = n.div_ceil(t);
    std::thread::scope(|sc| {
        let f = &f;
        let hs: Vec<_> = (0..t).map(|j| sc.spawn(move || f((j * chunk).min(n), ((j + 1) * chunk).min(n)))).collect();
        hs.into_iter().map(|h| h.join().expect("probrs worker thread")).collect()
    })
}

/// candle asks for its thread count on every matmul (forward and backward), and without
/// `RAYON_NUM_THREADS` that means re-reading `/proc/cpuinfo` and the CPU masks each time — 13%
/// of a Gaussian-process VI step, measured. Once per process, before the first matmul, this sets
/// `RAYON_NUM_THREADS` (when unset) to `CANDLE_NUM_THREADS` if given, else to candle's own
/// default, so the count is read from the environment afterwards. Same thread counts as
/// before, without the per-call probing. faer's factorizations (Cholesky, inverses) get the
/// same count: sequential for one thread, rayon's pool otherwise.
pub(crate) fn fix_matmul_thread_count() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            let n = std::env::var("CANDLE_NUM_THREADS").ok().and_then(|s| s.parse::<usize>().ok()).filter(|n| *n > 0).unwrap_or_else(candle_core::utils::get_num_threads);
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        }
        let n = op_threads();
        faer::set_global_parallelism(if n > 1 { faer::Par::rayon(n) } else { faer::Par::Seq });
    });
}

