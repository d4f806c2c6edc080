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
//! the points only when they are being differentiated). Both passes run over contiguous rows
//! (the points are read feature-major) with a vectorizable `exp` (`vector_exp`), compiled for
//! AVX-512 or AVX2 when the CPU has them. Gradients are checked against finite differences in
//! `tests/gradients.rs`.

use crate::tensor::Tensor;
use crate::error::{Error, Result};
use crate::tensor::special::vector_exp::Real;
use candle_core::{CpuStorage, CustomOp3, Layout, Shape};

struct Op;

/// `x [rows, d]` (row-major) as `[d, rows]`, so that one feature of consecutive points is
/// contiguous (the distance loops below then run over contiguous memory for any `d`).
fn feature_major<T: Copy>(x: &[T], rows: usize, d: usize) -> Vec<T> {
    (0..d).flat_map(|q| (0..rows).map(move |j| x[j * d + q])).collect()
}

/// `out[j] = ‖xi − x2_j‖²` for `j < out.len()`, from `x2t = feature_major(x2)` with `m` points.
#[inline(always)]
fn sq_dists<T: Real>(xi: &[T], x2t: &[T], m: usize, out: &mut [T]) {
    let len = out.len();
    out.fill(T::ZERO);
    for (q, &u) in xi.iter().enumerate() {
        for (o, &v) in out.iter_mut().zip(&x2t[q * m..q * m + len]) {
            let e = u - v;
            *o = *o + e * e;
        }
    }
}

/// `Σ_j a_j b_j` (and `Σ_j a_j b_j c_j` when `c` is given) in 16 independent partial sums (a
/// single running sum would not vectorize), returned in f64.
#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T], c: Option<&[T]>) -> f64 {
    const L: usize = 16;
    let mut acc = [T::ZERO; L];
    let n = a.len() / L * L;
    match c {
        None => {
            for (ca, cb) in a[..n].chunks_exact(L).zip(b[..n].chunks_exact(L)) {
                for l in 0..L {
                    acc[l] = acc[l] + ca[l] * cb[l];
                }
            }
        }
        Some(c) => {
            for ((ca, cb), cc) in a[..n].chunks_exact(L).zip(b[..n].chunks_exact(L)).zip(c[..n].chunks_exact(L)) {
                for l in 0..L {
                    acc[l] = acc[l] + ca[l] * cb[l] * cc[l];
                }
            }
        }
    }
    let tail: f64 = (n..a.len()).map(|j| (a[j] * b[j] * c.map_or(T::of(1.0), |c| c[j])).to_f64()).sum();
    acc.iter().map(|x| x.to_f64()).sum::<f64>() + tail
}

fn forward<T: Real>(x1: &[T], x2: &[T], p: &[T], n: usize, m: usize, d: usize) -> Vec<T> {
    let (a, l) = (p[0].to_f64(), p[1].to_f64());
    let (a2, c) = (T::of(a * a), T::of(-0.5 / (l * l)));
    let x2t = feature_major(x2, m, d);
    // Rows split across threads. With one point set for both, the matrix is computed whole
    // rather than as a triangle and a mirror (the vectorized rows cost less than the strided
    // mirror), and is exactly symmetric: (x_i − x_j)² = (x_j − x_i)² in floating point.
    let t = crate::tensor::threads_for(n * m * d).min(n.max(1));
    let bounds: Vec<usize> = (0..=t).map(|k| n * k / t).collect();
    // Written once, row by row, into uninitialized capacity (a zeroed n × m buffer would cost
    // one more pass over memory than the kernel itself).
    let mut k: Vec<T> = Vec::with_capacity(n * m);
    {
        let mut rest = &mut k.spare_capacity_mut()[..n * m];
        let mut parts = Vec::with_capacity(t);
        for w in bounds.windows(2) {
            let (head, tail) = rest.split_at_mut((w[1] - w[0]) * m);
            parts.push((w[0], w[1], head));
            rest = tail;
        }
        let x2t = &x2t;
        let fill = move |(lo, hi, rows): (usize, usize, &mut [std::mem::MaybeUninit<T>])| {
            crate::tensor::special::vector_exp::multiversion!({
                let mut row = vec![T::ZERO; m];
                for i in lo..hi {
                    sq_dists(&x1[i * d..(i + 1) * d], x2t, m, &mut row);
                    for (out, &v) in rows[(i - lo) * m..(i - lo + 1) * m].iter_mut().zip(&row) {
                        out.write(a2 * (c * v).vexp());
                    }
                }
            })
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
    // SAFETY: the ranges above cover 0..n·m and every element of each was written.
    unsafe { k.set_len(n * m) };
    k
}

/// `(∂/∂x1, ∂/∂x2, ∂/∂[a, ℓ])`; the point gradients only when asked for. Rows are split across
/// threads; each returns its sums and its share of the point gradients.
#[allow(clippy::too_many_arguments)]
fn backward<T: Real>(x1: &[T], x2: &[T], p: &[T], k: &[T], g: &[T], n: usize, m: usize, d: usize, want_x: bool) -> (Vec<T>, Vec<T>, Vec<T>) {
    let (a, l) = (p[0].to_f64(), p[1].to_f64());
    let inv_l2 = T::of(1.0 / (l * l));
    let x2t = feature_major(x2, m, d);
    let parts = crate::tensor::parallel_ranges(n, m * d, |lo, hi| {
        crate::tensor::special::vector_exp::multiversion!({
            let (mut s_a, mut s_l) = (0.0, 0.0);
            let mut g1 = vec![0.0; if want_x { (hi - lo) * d } else { 0 }];
            // Feature-major [d, m], like x2t.
            let mut g2t = vec![T::ZERO; if want_x { m * d } else { 0 }];
            let (mut d2, mut t) = (vec![T::ZERO; m], vec![T::ZERO; m]);
            for i in lo..hi {
                let (krow, grow) = (&k[i * m..(i + 1) * m], &g[i * m..(i + 1) * m]);
                let xi = &x1[i * d..(i + 1) * d];
                sq_dists(xi, &x2t, m, &mut d2);
                s_a += dot(grow, krow, None);
                s_l += dot(grow, krow, Some(&d2));
                if want_x {
                    for ((tj, &gj), &kj) in t.iter_mut().zip(grow).zip(krow) {
                        *tj = gj * kj * inv_l2;
                    }
                    for (q, &u) in xi.iter().enumerate() {
                        let (col, g2q) = (&x2t[q * m..(q + 1) * m], &mut g2t[q * m..(q + 1) * m]);
                        let mut acc = 0.0;
                        for ((&v, &tj), o) in col.iter().zip(&t).zip(g2q.iter_mut()) {
                            let e = (u - v) * tj;
                            *o = *o + e;
                            acc += e.to_f64();
                        }
                        g1[(i - lo) * d + q] -= acc;
                    }
                }
            }
            (s_a, s_l, g1, g2t)
        })
    });
    let (mut s_a, mut s_l) = (0.0, 0.0);
    let mut g1 = Vec::with_capacity(if want_x { n * d } else { 0 });
    let mut g2 = vec![0.0; if want_x { m * d } else { 0 }];
    for (pa, pl, p1, p2t) in parts {
        s_a += pa;
        s_l += pl;
        g1.extend(p1);
        for (idx, v) in p2t.into_iter().enumerate() {
            // [q, j] → [j, q]
            g2[(idx % m) * d + idx / m] += v.to_f64();
        }
    }
    let conv = |v: Vec<f64>| v.into_iter().map(T::of).collect::<Vec<T>>();
    (conv(g1), conv(g2), vec![T::of(2.0 * s_a / a), T::of(s_l / (l * l * l))])
}

/// A contiguous input's elements, borrowed (the shared helper, with this op's name).
fn slice<'a, T>(s: &'a [T], l: &Layout) -> candle_core::Result<&'a [T]> {
    crate::tensor::contiguous_slice(s, l, "exponentiated_quadratic_matrix")
}

impl CustomOp3 for Op {
    fn name(&self) -> &'static str {
        "exponentiated_quadratic_matrix"
    }
    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout, s3: &CpuStorage, l3: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (n, d) = l1.shape().dims2()?;
        let m = l2.shape().dims()[0];
        let out = match (s1, s2, s3) {
            (CpuStorage::F32(x1), CpuStorage::F32(x2), CpuStorage::F32(p)) => CpuStorage::F32(forward(slice(x1, l1)?, slice(x2, l2)?, slice(p, l3)?, n, m, d)),
            (CpuStorage::F64(x1), CpuStorage::F64(x2), CpuStorage::F64(p)) => CpuStorage::F64(forward(slice(x1, l1)?, slice(x2, l2)?, slice(p, l3)?, n, m, d)),
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
                let (g1, g2, gp) = crate::tensor::with_slice::<$t, _>(res, |k| crate::tensor::with_slice::<$t, _>(&g, |gs| backward(&x1v, &x2v, &pv, k, gs, n, m, d, want_x)))??;
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
        let p = Tensor::concat(&[&amplitude.reshape(&[1])?, &length_scale.reshape(&[1])?], 0)?;
        let (a, b) = (x1.contiguous()?, x2.contiguous()?);
        Ok(Tensor(a.0.apply_op3(&b.0, &p.0, Op)?))
    }
}
