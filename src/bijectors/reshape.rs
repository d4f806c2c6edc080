//! `Reshape`: changes the event shape (`event_shape_in` → `event_shape_out`), batch dims kept.
//! A relabelling of entries: log-det-Jacobian 0.
//!
//! As TFP's `tfb.Reshape(event_shape_out, event_shape_in=(-1,))`: either shape may hold one
//! `-1`, a dimension inferred from the input's size. `event_shape_in` names how many trailing
//! dimensions of the input are the event (its rank) and what they must be (fixed entries must
//! match; `-1` matches any size); the output's `-1` takes whatever size keeps the element count.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Reshapes events.
///
/// ```
/// use probrs::bijectors::{Bijector, Reshape};
/// use probrs::tensor::{DType, Tensor};
/// // Events of shape [4] become [2, 2]; a batch dimension in front is kept.
/// let b = Reshape::new(&[2, 2], &[4])?;
/// let y = b.forward(&Tensor::zeros(&[3, 4], DType::F64)?)?;
/// assert_eq!(y.shape(), &[3, 2, 2]);
/// assert_eq!(b.inverse(&y)?.shape(), &[3, 4]);
/// // -1 infers a dimension: any vector event becomes [n/2, 2].
/// let b = Reshape::new(&[-1, 2], &[-1])?;
/// assert_eq!(b.forward(&Tensor::zeros(&[5, 6], DType::F64)?)?.shape(), &[5, 3, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Reshape {
    out: Vec<isize>,
    inp: Vec<isize>,
}

/// Checks a shape spec: entries ≥ 0 or a single `-1` (not beside a 0, which would leave it
/// undetermined).
fn check_spec(spec: &[isize], name: &str) -> Result<()> {
    if let Some(bad) = spec.iter().find(|&&d| d < -1) {
        return Err(Error::invalid_parameter(name, format!("dimensions must be non-negative or -1 (inferred), got {bad} in {spec:?}")));
    }
    if spec.iter().filter(|&&d| d == -1).count() > 1 {
        return Err(Error::invalid_parameter(name, format!("at most one -1 (inferred dimension), got {spec:?}")));
    }
    if spec.contains(&-1) && spec.contains(&0) {
        return Err(Error::invalid_parameter(name, format!("a -1 beside a 0 cannot be inferred: {spec:?}")));
    }
    Ok(())
}

fn known_product(spec: &[isize]) -> usize {
    spec.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product()
}

/// `spec` with its `-1` resolved for `count` elements, or an error.
fn resolve(spec: &[isize], count: usize, context: &str) -> Result<Vec<usize>> {
    let known = known_product(spec);
    let shape: Vec<usize> = if spec.contains(&-1) {
        if known == 0 || count % known != 0 {
            return Err(Error::invalid_shape(context, &[count], format!("{count} elements cannot fill the event shape {spec:?}")));
        }
        spec.iter().map(|&d| if d == -1 { count / known } else { d as usize }).collect()
    } else {
        spec.iter().map(|&d| d as usize).collect()
    };
    if shape.iter().product::<usize>() != count {
        return Err(Error::invalid_shape(context, &[count], format!("{count} elements do not fit the event shape {spec:?}")));
    }
    Ok(shape)
}

/// A log-det-Jacobian of 0 for each batch member of `x` (its dimensions before the event's).
fn zeros_over_batch(x: &Tensor, event_rank: usize) -> Result<Tensor> {
    Tensor::zeros(&x.shape()[..x.rank().saturating_sub(event_rank)], x.dtype())
}

impl Reshape {
    /// TFP's `Reshape(event_shape_out, event_shape_in)`: each may hold one `-1`; shapes without
    /// one must have the same number of elements.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Reshape};
    /// assert!(Reshape::new(&[3, 2], &[6]).is_ok());
    /// assert!(Reshape::new(&[3, 2], &[5]).is_err()); // different element counts
    /// assert!(Reshape::new(&[-1, 2], &[-1, 3]).is_ok()); // checked against each input
    /// assert!(Reshape::new(&[-1, -1], &[6]).is_err()); // two inferred dimensions
    /// assert!(Reshape::new(&[4, -1], &[6]).is_err()); // 6 is not a multiple of 4
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(event_shape_out: &[isize], event_shape_in: &[isize]) -> Result<Self> {
        check_spec(event_shape_out, "event_shape_out")?;
        check_spec(event_shape_in, "event_shape_in")?;
        let (out_known, in_known) = (known_product(event_shape_out), known_product(event_shape_in));
        let consistent = match (event_shape_out.contains(&-1), event_shape_in.contains(&-1)) {
            (false, false) => out_known == in_known,
            (true, false) => out_known != 0 && in_known % out_known == 0,
            (false, true) => in_known != 0 && out_known % in_known == 0,
            (true, true) => true,
        };
        if !consistent {
            return Err(Error::invalid_parameter("event_shape_out", format!("{event_shape_out:?} cannot hold the elements of event_shape_in {event_shape_in:?}")));
        }
        Ok(Reshape { out: event_shape_out.to_vec(), inp: event_shape_in.to_vec() })
    }
    /// TFP's default `event_shape_in = (-1,)`: any vector event, reshaped to `event_shape_out`.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Reshape};
    /// use probrs::tensor::{DType, Tensor};
    /// let b = Reshape::with_event_shape_out(&[2, -1])?;
    /// assert_eq!(b.forward(&Tensor::zeros(&[8], DType::F32)?)?.shape(), &[2, 4]);
    /// assert_eq!(b.inverse(&Tensor::zeros(&[7, 2, 3], DType::F32)?)?.shape(), &[7, 6]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_event_shape_out(event_shape_out: &[isize]) -> Result<Self> {
        Self::new(event_shape_out, &[-1])
    }
    /// The input's trailing `from.len()` dimensions, checked against `from`, reshaped to `to`.
    fn swap_shape(shape: &[usize], from: &[isize], to: &[isize], context: &str) -> Result<Vec<usize>> {
        let r = shape.len();
        let fits = r >= from.len() && shape[r - from.len()..].iter().zip(from).all(|(&s, &f)| f == -1 || s == f as usize);
        if !fits {
            let want: Vec<usize> = from.iter().map(|&d| if d < 0 { 0 } else { d as usize }).collect();
            return Err(Error::ShapeMismatch { context: format!("{context}: event shape {from:?} (0 marks -1) vs the input"), lhs: shape.to_vec(), rhs: want });
        }
        let count: usize = shape[r - from.len()..].iter().product();
        let mut out = shape[..r - from.len()].to_vec();
        out.extend(resolve(to, count, context)?);
        Ok(out)
    }
}

impl Bijector for Reshape {
    fn name(&self) -> &str {
        "reshape"
    }
    fn forward_min_event_ndims(&self) -> usize {
        self.inp.len()
    }
    fn inverse_min_event_ndims(&self) -> usize {
        self.out.len()
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.reshape(&Self::swap_shape(x.shape(), &self.inp, &self.out, "Reshape forward")?)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        y.reshape(&Self::swap_shape(y.shape(), &self.out, &self.inp, "Reshape inverse")?)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        zeros_over_batch(x, self.inp.len())
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        zeros_over_batch(y, self.out.len())
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        Self::swap_shape(s, &self.inp, &self.out, "Reshape forward_event_shape")
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        Self::swap_shape(s, &self.out, &self.inp, "Reshape inverse_event_shape")
    }
}
