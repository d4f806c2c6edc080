//! `RationalQuadraticSpline`: the monotone rational-quadratic spline of neural spline flows
//! (Durkan et al. 2019; TFP's `tfb.RationalQuadraticSpline(bin_widths, bin_heights,
//! knot_slopes, range_min)`), elementwise, identity outside its range.
//!
//! ```text
//! knots  x_0 = y_0 = range_min,  x_{k+1} = x_k + w_k,  y_{k+1} = y_k + h_k      (k < K)
//! slopes d_0 = d_K = 1 (boundary), d_1..d_{K−1} = knot_slopes
//! in bin k, ξ = (x − x_k)/w_k, s = h_k/w_k, D = d_k + d_{k+1} − 2s:
//!   y = y_k + h_k (s ξ² + d_k ξ(1 − ξ)) / (s + D ξ(1 − ξ))
//!   dy/dx = s² (d_{k+1} ξ² + 2s ξ(1 − ξ) + d_k (1 − ξ)²) / (s + D ξ(1 − ξ))²
//! inverse: ξ = 2c / (−b − √(b² − 4ac)) with η = y − y_k,
//!   a = h_k (s − d_k) + η D,  b = h_k d_k − η D,  c = −s η
//! ```
//!
//! The parameters' last axis is the bins (`K` widths and heights, `K − 1` slopes); their
//! leading axes broadcast against the input (one spline for all elements, or one per element
//! as a flow's network emits them). Widths and heights must sum alike (TFP's requirement), so
//! the range is `[range_min, range_min + Σ w]` both ways. Gradients reach every parameter
//! through the facade's autodiff; entries outside the range get the identity and zero
//! gradients.

use super::Bijector;
use crate::error::{Error, Result};
use crate::tensor::{Mask, Tensor};
use crate::variables::{Param, Variable};

/// A rational-quadratic spline bijector.
///
/// ```
/// use probrs::bijectors::{Bijector, RationalQuadraticSpline};
/// use probrs::tensor::{DType, Tensor};
/// let t = |v: &[f64]| Tensor::vector(v, DType::F64);
/// // Two bins over [-1, 1]; equal widths and heights with unit slopes is the identity.
/// let id = RationalQuadraticSpline::new(t(&[1.0, 1.0])?, t(&[1.0, 1.0])?, t(&[1.0])?, -1.0)?;
/// assert!((id.forward(&t(&[0.3])?)?.to_vec()?[0] - 0.3).abs() < 1e-12);
/// // Otherwise a monotone warp inside, the identity outside.
/// let b = RationalQuadraticSpline::new(t(&[0.5, 1.5])?, t(&[1.5, 0.5])?, t(&[2.0])?, -1.0)?;
/// let y = b.forward(&t(&[-0.5, 0.0, 3.0])?)?.to_vec()?;
/// assert!(y[0] > -0.5 && y[1] > y[0] && y[2] == 3.0);
/// assert!((b.inverse(&t(&y)?)?.to_vec()?[1]).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RationalQuadraticSpline {
    widths: Param,
    heights: Param,
    slopes: Param,
    range_min: f64,
}

/// The spline's per-element bin quantities, gathered for the bin each input falls in (safe
/// values where it falls in none).
struct Bin {
    inside: Mask,
    xk: Tensor,
    yk: Tensor,
    w: Tensor,
    h: Tensor,
    dk: Tensor,
    dk1: Tensor,
}

impl RationalQuadraticSpline {
    /// `bin_widths` and `bin_heights` `[..., K]` (positive, equal sums), `knot_slopes`
    /// `[..., K − 1]` (positive), the lowest knot at `range_min`. Sizes that do not fit are
    /// errors naming the bijector and the shapes; values are checked when constant.
    ///
    /// ```
    /// use probrs::bijectors::RationalQuadraticSpline;
    /// use probrs::tensor::{DType, Tensor};
    /// let t = |v: &[f64]| Tensor::vector(v, DType::F64).unwrap();
    /// assert!(RationalQuadraticSpline::new(t(&[1.0, 1.0]), t(&[1.0, 1.0]), t(&[1.0, 1.0]), -1.0).is_err()); // K − 1 slopes
    /// assert!(RationalQuadraticSpline::new(t(&[1.0, 1.0]), t(&[1.0, 2.0]), t(&[1.0]), -1.0).is_err()); // sums differ
    /// assert!(RationalQuadraticSpline::new(t(&[1.0, -1.0]), t(&[1.0, -1.0]), t(&[1.0]), -1.0).is_err()); // a negative width
    /// ```
    pub fn new(bin_widths: impl Into<Param>, bin_heights: impl Into<Param>, knot_slopes: impl Into<Param>, range_min: f64) -> Result<Self> {
        let b = RationalQuadraticSpline { widths: bin_widths.into(), heights: bin_heights.into(), slopes: knot_slopes.into(), range_min };
        if b.widths.is_constant() && b.heights.is_constant() && b.slopes.is_constant() {
            let dtype = b.widths.dtype().unwrap_or(crate::tensor::DType::F64);
            let (w, h, s) = (b.widths.value(dtype)?, b.heights.value(dtype)?, b.slopes.value(dtype)?);
            b.check_shapes(&w, &h, &s)?;
            let (wv, hv, sv) = (w.to_vec()?, h.to_vec()?, s.to_vec()?);
            if let Some(bad) = wv.iter().chain(&hv).chain(&sv).find(|v| !(**v > 0.0 && v.is_finite())) {
                return Err(Error::invalid_parameter("bin_widths, bin_heights, knot_slopes", format!("must be positive and finite, got {bad}")));
            }
            let (sw, sh) = (w.sum_last(1)?.to_vec()?, h.sum_last(1)?.broadcast_to(&w.shape()[..w.rank() - 1])?.to_vec()?);
            // A sum of K float32 values carries ~K ulp of rounding: 1e-5 relative for float32.
            let tol = if dtype == crate::tensor::DType::F32 { 1e-5 } else { 1e-6 };
            if sw.iter().zip(&sh).any(|(a, b)| (a - b).abs() > tol * (1.0 + a.abs())) {
                return Err(Error::invalid_parameter("bin_heights", format!("must sum to the widths' total ({sw:?} vs {sh:?})")));
            }
        }
        Ok(b)
    }

    fn check_shapes(&self, w: &Tensor, h: &Tensor, s: &Tensor) -> Result<()> {
        let k = w.shape().last().copied().unwrap_or(0);
        if w.rank() == 0 || k == 0 || h.shape().last() != Some(&k) || s.shape().last() != Some(&(k - 1)) {
            return Err(Error::ShapeMismatch {
                context: "rational_quadratic_spline: bin_widths [..., K], bin_heights [..., K], knot_slopes [..., K − 1]".into(),
                lhs: [w.shape(), h.shape()].concat(),
                rhs: s.shape().to_vec(),
            });
        }
        Ok(())
    }

    /// The knots `[..., K + 1]` from `range_min` and the bin sizes.
    fn knots(&self, sizes: &Tensor) -> Result<Tensor> {
        let k = sizes.shape()[sizes.rank() - 1];
        let axis = sizes.rank() - 1;
        let mut acc = sizes.narrow(axis, 0, 1)?.zeros_like()?.add_scalar(self.range_min)?;
        let mut parts = vec![acc.clone()];
        for j in 0..k {
            acc = acc.add(&sizes.narrow(axis, j, 1)?)?;
            parts.push(acc.clone());
        }
        Tensor::concat(&parts.iter().collect::<Vec<_>>(), axis)
    }

    /// The bin of each entry of `v` against knots `lo..hi` (`xs` for forward, `ys` for
    /// inverse), and the bin's quantities.
    fn bin(&self, v: &Tensor, use_heights_for_search: bool) -> Result<Bin> {
        let dtype = v.dtype();
        let (w, h, s) = (self.widths.value(dtype)?, self.heights.value(dtype)?, self.slopes.value(dtype)?);
        self.check_shapes(&w, &h, &s)?;
        let k = w.shape()[w.rank() - 1];
        let (xs, ys) = (self.knots(&w)?, self.knots(&h)?);
        let mut one_shape = s.shape()[..s.rank() - 1].to_vec();
        one_shape.push(1);
        let one = Tensor::ones(&one_shape, dtype)?;
        let d = Tensor::concat(&[&one, &s, &one], s.rank() - 1)?; // [..., K + 1]
        let search = if use_heights_for_search { &ys } else { &xs };
        let ve = v.unsqueeze(v.rank())?;
        let lo = search.narrow(search.rank() - 1, 0, k)?;
        let hi = search.narrow(search.rank() - 1, 1, k)?;
        let in_bin = ve.ge(&lo)?.and(&ve.lt(&hi)?)?;
        let zeros = ve.sub(&lo)?.detach().zeros_like()?;
        let onehot = Tensor::where_(&in_bin, &zeros.ones_like()?, &zeros)?;
        let pick = |t: &Tensor, start: usize| -> Result<Tensor> { onehot.mul(&t.narrow(t.rank() - 1, start, k)?)?.sum_last(1) };
        let inside = onehot.sum_last(1)?.gt_scalar(0.5)?;
        let safe = |t: Tensor, fallback: f64| -> Result<Tensor> {
            let f = t.zeros_like()?.add_scalar(fallback)?;
            Tensor::where_(&inside, &t, &f)
        };
        Ok(Bin {
            xk: safe(pick(&xs, 0)?, 0.0)?,
            yk: safe(pick(&ys, 0)?, 0.0)?,
            w: safe(pick(&w, 0)?, 1.0)?,
            h: safe(pick(&h, 0)?, 1.0)?,
            dk: safe(pick(&d, 0)?, 1.0)?,
            dk1: safe(pick(&d, 1)?, 1.0)?,
            inside,
        })
    }
}

/// A forward evaluation's shared terms: the bin, `ξ`, `s = h/w` and `D = d_k + d_{k+1} − 2s`.
struct Local {
    b: Bin,
    xi: Tensor,
    s: Tensor,
    dd: Tensor,
}

impl RationalQuadraticSpline {
    fn local(&self, x: &Tensor) -> Result<Local> {
        let b = self.bin(x, false)?;
        let xi = Tensor::where_(&b.inside, x, &b.xk)?.sub(&b.xk)?.div(&b.w)?;
        let s = b.h.div(&b.w)?;
        let dd = b.dk.add(&b.dk1)?.sub(&s.mul_scalar(2.0)?)?;
        Ok(Local { b, xi, s, dd })
    }
}

impl Bijector for RationalQuadraticSpline {
    fn name(&self) -> &str {
        "rational_quadratic_spline"
    }
    fn is_increasing(&self) -> Result<Option<Mask>> {
        super::bijector::increasing()
    }
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let Local { b, xi, s, dd } = self.local(x)?;
        let xi1 = xi.mul(&xi.neg()?.add_scalar(1.0)?)?; // ξ(1 − ξ)
        let num = b.h.mul(&s.mul(&xi.square()?)?.add(&b.dk.mul(&xi1)?)?)?;
        let den = s.add(&dd.mul(&xi1)?)?;
        let y = b.yk.add(&num.div(&den)?)?;
        Tensor::where_(&b.inside, &y, x)
    }
    fn inverse(&self, y: &Tensor) -> Result<Tensor> {
        let b = self.bin(y, true)?;
        let eta = Tensor::where_(&b.inside, y, &b.yk)?.sub(&b.yk)?;
        let s = b.h.div(&b.w)?;
        let dd = b.dk.add(&b.dk1)?.sub(&s.mul_scalar(2.0)?)?;
        let a = b.h.mul(&s.sub(&b.dk)?)?.add(&eta.mul(&dd)?)?;
        let bq = b.h.mul(&b.dk)?.sub(&eta.mul(&dd)?)?;
        let c = s.mul(&eta)?.neg()?;
        let disc = bq.square()?.sub(&a.mul(&c)?.mul_scalar(4.0)?)?.relu()?.sqrt()?;
        let xi = c.mul_scalar(2.0)?.div(&bq.neg()?.sub(&disc)?)?;
        let x = xi.mul(&b.w)?.add(&b.xk)?;
        Tensor::where_(&b.inside, &x, y)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> Result<Tensor> {
        let Local { b, xi, s, dd } = self.local(x)?;
        let one_minus = xi.neg()?.add_scalar(1.0)?;
        let xi1 = xi.mul(&one_minus)?;
        let num = b.dk1.mul(&xi.square()?)?.add(&s.mul(&xi1)?.mul_scalar(2.0)?)?.add(&b.dk.mul(&one_minus.square()?)?)?;
        let den = s.add(&dd.mul(&xi1)?)?;
        let ldj = s.log()?.mul_scalar(2.0)?.add(&num.log()?)?.sub(&den.log()?.mul_scalar(2.0)?)?;
        Tensor::where_(&b.inside, &ldj, &ldj.zeros_like()?)
    }
    fn visit_variables(&self, f: &mut dyn FnMut(&Variable)) {
        self.widths.visit_variables(f);
        self.heights.visit_variables(f);
        self.slopes.visit_variables(f);
    }
}
