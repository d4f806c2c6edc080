//! The exponentiated-quadratic kernel matrix as one autodiff node:
//!
//! ```text
//! K_ij = a² exp(−‖x1_i − x2_j‖² / (2 ℓ²))
//! ∂/∂a = Σ G⊙K · 2/a,   ∂/∂ℓ = Σ G⊙K ⊙ D² / ℓ³,   ∂/∂x1_i = −Σ_j (G⊙K)_ij (x1_i − x2_j) / ℓ²
//! ```
//!
//! The generic path builds `[n, m, d]` differences, squares, sums, scales, exponentiates and
//! scales again, each an n × m tensor forward and backward; this node reads the points once and
//! writes `K` once, and its backward is one pass over `G` and `K` (the gradient with respect to
//! the points only when they are being differentiated). When both point sets are the same
//! tensor, only the lower triangle is computed and mirrored. Gradients are checked against
//! finite differences in `tests/gradients.rs`.

use super::Tensor;
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp3, Layout, Shape, WithDType};

struct Op {
    /// Whether the two point sets are one tensor (the matrix is symmetric).
    same: bool,
}


fn forward<T: WithDType>(x1: &[T], x2: &[T], p: &[T], n: usize, m: usize, d: usize, same: bool) -> Vec<T> {
    let (a, l) = (p[0].to_f64(), p[1].to_f64());
    let (a2, c) = (a * a, -0.5 / (l * l));
    // float32 matrices take float32's exp (half the cost of f64's), from the same f64 exponent.
    let single = T::DTYPE == candle_core::DType::F32;
    let entry = |i: usize, j: usize| {
        let d2: f64 = x1[i * d..(i + 1) * d].iter().zip(&x2[j * d..(j + 1) * d]).map(|(u, v)| (u.to_f64() - v.to_f64()).powi(2)).sum();
        if single {
            T::from_f64(((a2 as f32) * ((c * d2) as f32).exp()) as f64)
        } else {
            T::from_f64(a2 * (c * d2).exp())
        }
    };
    // Rows split across threads; for a symmetric matrix only the lower triangle is computed (the
    // split balances the triangle's area), then mirrored.
    let t = super::threads_for(n * m * d).min(n.max(1));
    let bounds: Vec<usize> = (0..=t).map(|k| if same { (n as f64 * (k as f64 / t as f64).sqrt()).round() as usize } else { n * k / t }).collect();
    let mut k = vec![T::zero(); n * m];
    {
        let mut rest = k.as_mut_slice();
        let mut parts = Vec::with_capacity(t);
        for w in bounds.windows(2) {
            let (head, tail) = rest.split_at_mut((w[1] - w[0]) * m);
            parts.push((w[0], w[1], head));
            rest = tail;
        }
        let fill = |(lo, hi, rows): (usize, usize, &mut [T])| {
            for i in lo..hi {
                let row = &mut rows[(i - lo) * m..(i - lo + 1) * m];
                for (j, v) in row.iter_mut().enumerate().take(if same { i + 1 } else { m }) {
                    *v = entry(i, j);
                }
            }
        };
        if t == 1 {
            parts.into_iter().for_each(fill);
        } else {
            std::thread::scope(|sc| {
                for part in parts {
                    sc.spawn(move || fill(part));
                }
            });
        }
    }
    if same {
        for i in 0..n {
            for j in i + 1..m {
                k[i * m + j] = k[j * m + i];
            }
        }
    }
    k
}

/// `(∂/∂x1, ∂/∂x2, ∂/∂[a, ℓ])`; the point gradients only when asked for. Rows are split across
/// threads; each returns its sums and its share of the point gradients.
#[allow(clippy::too_many_arguments)]
fn backward<T: WithDType>(x1: &[T], x2: &[T], p: &[T], k: &[T], g: &[T], n: usize, m: usize, d: usize, want_x: bool) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (a, l) = (p[0].to_f64(), p[1].to_f64());
    let inv_l2 = 1.0 / (l * l);
    let parts = super::parallel_ranges(n, m * d, |lo, hi| {
        let (mut s_a, mut s_l) = (0.0, 0.0);
        let mut g1 = vec![0.0; if want_x { (hi - lo) * d } else { 0 }];
        let mut g2 = vec![0.0; if want_x { m * d } else { 0 }];
        for i in lo..hi {
            let xi = &x1[i * d..(i + 1) * d];
            for j in 0..m {
                let t = g[i * m + j].to_f64() * k[i * m + j].to_f64();
                if t == 0.0 {
                    continue;
                }
                let xj = &x2[j * d..(j + 1) * d];
                let d2: f64 = xi.iter().zip(xj).map(|(u, v)| (u.to_f64() - v.to_f64()).powi(2)).sum();
                s_a += t;
                s_l += t * d2;
                if want_x {
                    for q in 0..d {
                        let diff = (xi[q].to_f64() - xj[q].to_f64()) * t * inv_l2;
                        g1[(i - lo) * d + q] -= diff;
                        g2[j * d + q] += diff;
                    }
                }
            }
        }
        (s_a, s_l, g1, g2)
    });
    let (mut s_a, mut s_l) = (0.0, 0.0);
    let mut g1 = Vec::with_capacity(if want_x { n * d } else { 0 });
    let mut g2 = vec![0.0; if want_x { m * d } else { 0 }];
    for (pa, pl, p1, p2) in parts {
        s_a += pa;
        s_l += pl;
        g1.extend(p1);
        g2.iter_mut().zip(p2).for_each(|(x, y)| *x += y);
    }
    let conv = |v: Vec<f64>| v.into_iter().map(T::from_f64).collect::<Vec<T>>();
    (conv(g1), conv(g2), vec![T::from_f64(2.0 * s_a / a), T::from_f64(s_l / (l * l * l))])
}

/// A contiguous input's elements, borrowed (the shared helper, with this op's name).
fn slice<'a, T>(s: &'a [T], l: &Layout) -> candle_core::Result<&'a [T]> {
    super::contiguous_slice(s, l, "exponentiated_quadratic_matrix")
}

impl CustomOp3 for Op {
    fn name(&self) -> &'static str {
        "exponentiated_quadratic_matrix"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, d) = l1.shape().dims2()?;
        let m = l2.shape().dims()[0];
        let out = match (s1, s2, s3) {
            (CpuStorage::F32(x1), CpuStorage::F32(x2), CpuStorage::F32(p)) => CpuStorage::F32(forward(slice(x1, l1)?, slice(x2, l2)?, slice(p, l3)?, n, m, d, self.same)),
            (CpuStorage::F64(x1), CpuStorage::F64(x2), CpuStorage::F64(p)) => CpuStorage::F64(forward(slice(x1, l1)?, slice(x2, l2)?, slice(p, l3)?, n, m, d, self.same)),
            _ => candle_core::bail!("exponentiated_quadratic_matrix: float32 or float64 inputs of one dtype"),
        };
        Ok((out, Shape::from(vec![n, m])))
    }
    #[allow(clippy::type_complexity)]
    fn bwd(&self, x1: &candle_core::Tensor, x2: &candle_core::Tensor, p: &candle_core::Tensor, res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<(Option<candle_core::Tensor>, Option<candle_core::Tensor>, Option<candle_core::Tensor>)> {
        let (n, d) = x1.dims2()?;
        let m = x2.dims()[0];
        let want_x = x1.track_op() || x2.track_op();
        let dev = x1.device();
        let g = g.contiguous()?;
        macro_rules! run {
            ($t:ty) => {{
                let v = |t: &candle_core::Tensor| t.flatten_all()?.to_vec1::<$t>();
                let (x1v, x2v, pv) = (v(x1)?, v(x2)?, v(p)?);
                // K and its upstream gradient (n × m each) are read in place.
                let (g1, g2, gp) = super::with_slice::<$t, _>(res, |k| super::with_slice::<$t, _>(&g, |gs| backward(&x1v, &x2v, &pv, k, gs, n, m, d, want_x)))??;
                let gp = candle_core::Tensor::from_vec(gp, 2, dev)?;
                if want_x {
                    (Some(candle_core::Tensor::from_vec(g1, (n, d), dev)?), Some(candle_core::Tensor::from_vec(g2, (m, d), dev)?), Some(gp))
                } else {
                    (None, None, Some(gp))
                }
            }};
        }
        Ok(match x1.dtype() {
            candle_core::DType::F32 => run!(f32),
            _ => run!(f64),
        })
    }
}

impl Tensor {
    /// The `[n, m]` matrix `a² exp(−‖x1_i − x2_j‖² / (2ℓ²))` of points `x1 [n, d]`, `x2 [m, d]`
    /// for scalar `amplitude` `a` and `length_scale` `ℓ`, as one node.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F64)?;
    /// let k = Tensor::exponentiated_quadratic_matrix(&x, &x, &Tensor::scalar(2.0, DType::F64)?, &Tensor::scalar(0.5, DType::F64)?)?;
    /// assert!((k.to_vec()?[1] - 4.0 * (-2.0f64).exp()).abs() < 1e-12);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn exponentiated_quadratic_matrix(x1: &Tensor, x2: &Tensor, amplitude: &Tensor, length_scale: &Tensor) -> Result<Tensor> {
        if x1.rank() != 2 || x2.rank() != 2 || x1.shape()[1] != x2.shape()[1] {
            return Err(Error::ShapeMismatch { context: "exponentiated_quadratic_matrix points [n, d] and [m, d]".into(), lhs: x1.shape().to_vec(), rhs: x2.shape().to_vec() });
        }
        if amplitude.elem_count() != 1 || length_scale.elem_count() != 1 {
            return Err(Error::ShapeMismatch { context: "exponentiated_quadratic_matrix amplitude and length_scale (scalars)".into(), lhs: amplitude.shape().to_vec(), rhs: length_scale.shape().to_vec() });
        }
        x1.check_dtype(x2, "exponentiated_quadratic_matrix")?;
        x1.check_dtype(amplitude, "exponentiated_quadratic_matrix")?;
        x1.check_dtype(length_scale, "exponentiated_quadratic_matrix")?;
        let same = x1.0.id() == x2.0.id();
        let p = Tensor::concat(&[&amplitude.reshape(&[1])?, &length_scale.reshape(&[1])?], 0)?;
        let (a, b) = (x1.contiguous()?, x2.contiguous()?);
        Ok(Tensor(a.0.apply_op3(&b.0, &p.0, Op { same })?))
    }
}
