//! `Chain`: composition of bijectors in TFP's order — the **last** bijector in the list is
//! applied first. `Chain([f, g]).forward(x) = f(g(x))`.
//!
//! The log-det-Jacobian is the sum of the parts, each evaluated at its own input with the
//! event rank carried through rank-changing parts (e.g. `FillScaleTriL`: vector → matrix).

use super::Bijector;
use crate::error::{Error, Result};
use crate::variables::Variable;
use crate::tensor::{Mask, Tensor};
use std::sync::Arc;

/// A composition of bijectors.
///
/// ```
/// use probrs::bijectors::{Bijector, Chain, Exp, IntoArcBijector, Shift};
/// use probrs::tensor::{DType, Tensor};
/// // exp(x + 1): Shift first, then Exp.
/// let b = Chain::new(vec![Exp::new().into_arc(), Shift::new(1.0).into_arc()]);
/// let y = b.forward(&Tensor::vector(&[0.0], DType::F64)?)?;
/// assert!((y.to_vec()?[0] - 1f64.exp()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Chain {
    bijectors: Vec<Arc<dyn Bijector>>,
    name: String,
    fmin: usize,
    imin: usize,
}

fn rank_change(b: &dyn Bijector) -> isize {
    b.inverse_min_event_ndims() as isize - b.forward_min_event_ndims() as isize
}

impl Chain {
    /// `bijectors[0](bijectors[1](...(x)))`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::bijectors::{Bijector, Chain, IntoArcBijector, Scale, Shift};
    /// // 2x + 1: Scale is applied first (it is last in the list), as in TFP.
    /// let b = Chain::new(vec![Shift::new(1.0).into_arc(), Scale::new(2.0)?.into_arc()]);
    /// assert_eq!(b.forward(&Tensor::vector(&[3.0], DType::F64)?)?.to_vec()?, vec![7.0]);
    /// assert_eq!(b.inverse(&Tensor::vector(&[7.0], DType::F64)?)?.to_vec()?, vec![3.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(bijectors: Vec<Arc<dyn Bijector>>) -> Self {
        let (mut need, mut offset) = (0isize, 0isize);
        for b in bijectors.iter().rev() {
            need = need.max(b.forward_min_event_ndims() as isize - offset);
            offset += rank_change(b.as_ref());
        }
        let name = if bijectors.is_empty() {
            "identity".to_string()
        } else {
            format!("chain_of_{}", bijectors.iter().map(|b| b.name().to_string()).collect::<Vec<_>>().join("_of_"))
        };
        Chain { bijectors, name, fmin: need as usize, imin: (need + offset).max(0) as usize }
    }
    /// The bijectors in the order given (the last one is applied first).
    ///
    /// ```
    /// use probrs::bijectors::{Chain, Exp, IntoArcBijector, Shift};
    /// let b = Chain::new(vec![Exp::new().into_arc(), Shift::new(1.0).into_arc()]);
    /// assert_eq!(b.bijectors().iter().map(|b| b.name()).collect::<Vec<_>>(), vec!["exp", "shift"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn bijectors(&self) -> &[Arc<dyn Bijector>] {
        &self.bijectors
    }
}

/// Boxes a bijector for [`Chain::new`] and friends.
///
/// ```
/// use probrs::bijectors::{Bijector, Exp, IntoArcBijector};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let b: Arc<dyn Bijector> = Exp::new().into_arc();
/// assert_eq!(b.forward(&Tensor::scalar(0.0, DType::F64)?)?.to_scalar()?, 1.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub trait IntoArcBijector {
    /// The bijector behind an `Arc`.
    fn into_arc(self) -> Arc<dyn Bijector>;
}
impl<B: Bijector + 'static> IntoArcBijector for B {
    fn into_arc(self) -> Arc<dyn Bijector> {
        Arc::new(self)
    }
}

fn accumulate(total: Option<Tensor>, ldj: Tensor) -> Result<Option<Tensor>> {
    Ok(Some(match total {
        None => ldj,
        Some(t) => t.add(&ldj)?,
    }))
}

impl Bijector for Chain {
    fn name(&self) -> &str {
        &self.name
    }
    fn forward_min_event_ndims(&self) -> usize {
        self.fmin
    }
    fn inverse_min_event_ndims(&self) -> usize {
        self.imin
    }
    fn is_constant_jacobian(&self) -> bool {
        self.bijectors.iter().all(|b| b.is_constant_jacobian())
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        // Increasing where an even number of the parts decrease.
        let mut acc: Option<Mask> = None;
        for b in &self.bijectors {
            let Some(m) = b.is_increasing()? else { return Ok(None) };
            acc = Some(match acc {
                None => m,
                Some(a) => a.equal(&m)?,
            });
        }
        Ok(acc)
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for b in self.bijectors.iter().rev() {
            x = b.forward(&x)?;
        }
        Ok(x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let mut y = y.clone();
        for b in &self.bijectors {
            y = b.inverse(&y)?;
        }
        Ok(y)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_log_det_jacobian(x, self.fmin)
    }
    fn inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<Tensor> {
        self.inverse_log_det_jacobian(y, self.imin)
    }
    fn forward_log_det_jacobian(&self, x: &Tensor, event_ndims: usize) -> Result<Tensor> {
        if event_ndims < self.fmin {
            return Err(Error::invalid_parameter("event_ndims", format!("{} needs event_ndims >= {}, got {event_ndims}", self.name, self.fmin)));
        }
        let (mut x, mut e, mut total) = (x.clone(), event_ndims as isize, None);
        for b in self.bijectors.iter().rev() {
            total = accumulate(total, b.forward_log_det_jacobian(&x, e as usize)?)?;
            e += rank_change(b.as_ref());
            x = b.forward(&x)?;
        }
        total.map_or_else(|| x.scalar_like(0.0), Ok)
    }
    fn inverse_log_det_jacobian(&self, y: &Tensor, event_ndims: usize) -> Result<Tensor> {
        if event_ndims < self.imin {
            return Err(Error::invalid_parameter("event_ndims", format!("{} needs event_ndims >= {}, got {event_ndims}", self.name, self.imin)));
        }
        let (mut y, mut e, mut total) = (y.clone(), event_ndims as isize, None);
        for b in &self.bijectors {
            total = accumulate(total, b.inverse_log_det_jacobian(&y, e as usize)?)?;
            e -= rank_change(b.as_ref());
            y = b.inverse(&y)?;
        }
        total.map_or_else(|| y.scalar_like(0.0), Ok)
    }
    fn inverse_and_inverse_log_det_jacobian_min(&self, y: &Tensor) -> Result<(Tensor, Tensor)> {
        self.inverse_and_inverse_log_det_jacobian(y, self.imin)
    }
    fn forward_and_forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        self.forward_and_forward_log_det_jacobian(x, self.fmin)
    }
    /// One pass through the chain: each bijector's inverse and log-det computed together, each
    /// intermediate point once (`inverse_log_det_jacobian` alone recomputes every inverse).
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Chain, Exp, Shift};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let c = Chain::new(vec![Arc::new(Exp::new()), Arc::new(Shift::new(Tensor::scalar(1.0, DType::F64)?))]);
    /// let y = Tensor::vector(&[3.0], DType::F64)?;
    /// let (x, ildj) = c.inverse_and_inverse_log_det_jacobian(&y, 1)?;
    /// assert!((x.to_vec()?[0] - (3f64.ln() - 1.0)).abs() < 1e-15); // Exp⁻¹ first, then Shift⁻¹
    /// assert!((ildj.to_scalar()? - c.inverse_log_det_jacobian(&y, 1)?.to_scalar()?).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn inverse_and_inverse_log_det_jacobian(&self, y: &Tensor, event_ndims: usize) -> Result<(Tensor, Tensor)> {
        if event_ndims < self.imin {
            return Err(Error::invalid_parameter("event_ndims", format!("{} needs event_ndims >= {}, got {event_ndims}", self.name, self.imin)));
        }
        let (mut y, mut e, mut total) = (y.clone(), event_ndims as isize, None);
        for b in &self.bijectors {
            let (x, ldj) = b.inverse_and_inverse_log_det_jacobian(&y, e as usize)?;
            total = accumulate(total, ldj)?;
            e -= rank_change(b.as_ref());
            y = x;
        }
        let total = total.map_or_else(|| y.scalar_like(0.0), Ok)?;
        Ok((y, total))
    }
    /// One pass through the chain, each forward and log-det computed together.
    ///
    /// ```
    /// use probrs::bijectors::{Bijector, Chain, Exp, Shift};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let c = Chain::new(vec![Arc::new(Shift::new(Tensor::scalar(1.0, DType::F64)?)), Arc::new(Exp::new())]);
    /// let (y, fldj) = c.forward_and_forward_log_det_jacobian(&Tensor::vector(&[0.5], DType::F64)?, 1)?;
    /// assert!((y.to_vec()?[0] - (0.5f64.exp() + 1.0)).abs() < 1e-15);
    /// assert!((fldj.to_scalar()? - 0.5).abs() < 1e-15);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    fn forward_and_forward_log_det_jacobian(&self, x: &Tensor, event_ndims: usize) -> Result<(Tensor, Tensor)> {
        if event_ndims < self.fmin {
            return Err(Error::invalid_parameter("event_ndims", format!("{} needs event_ndims >= {}, got {event_ndims}", self.name, self.fmin)));
        }
        let (mut x, mut e, mut total) = (x.clone(), event_ndims as isize, None);
        for b in self.bijectors.iter().rev() {
            let (y, ldj) = b.forward_and_forward_log_det_jacobian(&x, e as usize)?;
            total = accumulate(total, ldj)?;
            e += rank_change(b.as_ref());
            x = y;
        }
        let total = total.map_or_else(|| x.scalar_like(0.0), Ok)?;
        Ok((x, total))
    }
    fn forward_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let mut s = s.to_vec();
        for b in self.bijectors.iter().rev() {
            s = b.forward_event_shape(&s)?;
        }
        Ok(s)
    }
    fn inverse_event_shape(&self, s: &[usize]) -> Result<Vec<usize>> {
        let mut s = s.to_vec();
        for b in &self.bijectors {
            s = b.inverse_event_shape(&s)?;
        }
        Ok(s)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        for b in &self.bijectors {
            b.visit_variables(f);
        }
    }
}
