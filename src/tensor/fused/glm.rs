//! A fused logistic-regression log-likelihood: `Σ_n log Bernoulli(y_n | logits = x_n · w)` for
//! every weight vector `w_s`, with its gradient `Σ_n (y_n − σ(x_n · w_s)) x_n` computed in the
//! same single pass over the rows of `X` (the design matrix is read once per evaluation, which
//! is the floor for large N). Rows are split across `RAYON_NUM_THREADS` / `CANDLE_NUM_THREADS`
//! threads. One autodiff node; the gradient is checked against finite differences in the tests.
//!
//! Two kernels, chosen once at construction: on CPUs with AVX-512 the data are repacked into
//! 16-row feature-major blocks for the hand-vectorized kernel of `glm_avx512.rs`; elsewhere the
//! rows stay row-major and each block of rows goes through faer's matrix products.
//!
//! ```
//! use probrs::tensor::{glm::BernoulliLogitGlm, DType, Tensor};
//! let x = Tensor::from_slice(&[1.0, 0.0, 0.5, -1.0], &[2, 2], DType::F32)?;
//! let glm = BernoulliLogitGlm::new(&x, &Tensor::vector(&[1.0, 0.0], DType::F32)?)?;
//! let w = Tensor::from_slice(&[0.2, 0.4], &[1, 2], DType::F32)?;
//! // log σ(0.2) + log(1 − σ(0.1 − 0.4))
//! let expect = -(1.0 + (-0.2f64).exp()).ln() - (1.0 + (-0.3f64).exp()).ln();
//! assert!((glm.log_prob(&w)?.to_vec()?[0] - expect).abs() < 1e-6);
//! # Ok::<(), probrs::Error>(())
//! ```

use crate::tensor::Tensor;
use crate::error::{Error, Result};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};
use std::sync::{Arc, Mutex};

/// The data of a logistic regression: `X [N, D]` and labels `y [N]` in {0, 1}.
///
/// ```
/// use probrs::tensor::glm::BernoulliLogitGlm;
/// use probrs::tensor::{DType, Tensor};
/// // Two points, one feature; weights [S = 2, D = 1].
/// let x = Tensor::from_slice(&[1.0, -2.0], &[2, 1], DType::F32)?;
/// let y = Tensor::vector(&[1.0, 0.0], DType::F32)?;
/// let glm = BernoulliLogitGlm::new(&x, &y)?;
/// let w = Tensor::from_slice(&[0.0, 1.0], &[2, 1], DType::F32)?;
/// let lp = glm.log_prob(&w)?.to_vec()?;
/// // w = 0: 2 log ½; w = 1: log σ(1) + log(1 − σ(−2))
/// let sig = |t: f64| 1.0 / (1.0 + (-t).exp());
/// assert!((lp[0] - 2.0 * 0.5f64.ln()).abs() < 1e-5);
/// assert!((lp[1] - (sig(1.0).ln() + (1.0 - sig(-2.0)).ln())).abs() < 1e-5);
/// // Labels other than 0 and 1 are rejected.
/// assert!(BernoulliLogitGlm::new(&x, &Tensor::vector(&[1.0, 2.0], DType::F32)?).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct BernoulliLogitGlm {
    data: Arc<Data>,
    n: usize,
    d: usize,
    /// The 8-row packing of `glm_single.rs`, made on the first single-vector evaluation.
    single: Arc<std::sync::OnceLock<super::glm_single::Packed>>,
    /// Use the portable kernels only (tests comparing kernels).
    portable: bool,
    /// The second thread single-vector evaluations are split over ([`BernoulliLogitGlm::with_two_threads`]).
    helper: Option<Arc<super::helper_thread::HelperThread>>,
}

/// The stored data, in the layout of the kernel that reads it.
enum Data {
    /// `x [N, D]` row-major and `y [N]`: the portable kernel.
    RowMajor { x: Vec<f32>, y: Vec<f32> },
    /// Super-blocks of 16-row feature-major blocks, `N` padded (`glm_avx512::pack`).
    Packed { x: Vec<f32>, y: Vec<f32>, valid: Vec<f32> },
}

struct Op {
    glm: BernoulliLogitGlm,
    /// The gradient computed by the forward pass, `[S, D]`, for the backward pass.
    grad: Mutex<Option<Vec<f64>>>,
}

impl BernoulliLogitGlm {
    /// `x [N, D]`, `y [N]` (stored once as float32, the precision of the data).
    ///
    /// ```
    /// use probrs::tensor::glm::BernoulliLogitGlm;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, 2.0, 3.0], &[3, 1], DType::F32)?;
    /// assert!(BernoulliLogitGlm::new(&x, &Tensor::vector(&[0.0, 1.0, 1.0], DType::F32)?).is_ok());
    /// // x and y must agree on N.
    /// assert!(BernoulliLogitGlm::new(&x, &Tensor::vector(&[0.0, 1.0], DType::F32)?).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(x: &Tensor, y: &Tensor) -> Result<Self> {
        if x.rank() != 2 || y.rank() != 1 || y.shape()[0] != x.shape()[0] {
            return Err(Error::ShapeMismatch { context: "BernoulliLogitGlm x [N, D] and y [N]".into(), lhs: x.shape().to_vec(), rhs: y.shape().to_vec() });
        }
        let yv = y.to_vec()?;
        if let Some(bad) = yv.iter().position(|v| *v != 0.0 && *v != 1.0) {
            return Err(Error::invalid_parameter("y", format!("labels must be 0 or 1; entry {bad} is {}", yv[bad])));
        }
        let (n, d) = (x.shape()[0], x.shape()[1]);
        let xf: Vec<f32> = x.to_vec()?.into_iter().map(|v| v as f32).collect();
        let yf: Vec<f32> = yv.into_iter().map(|v| v as f32).collect();
        let data = if super::glm_avx512::available() {
            let (x, y, valid) = super::glm_avx512::pack(&xf, &yf, n, d);
            Data::Packed { x, y, valid }
        } else {
            Data::RowMajor { x: xf, y: yf }
        };
        Ok(BernoulliLogitGlm { data: Arc::new(data), n, d, single: Default::default(), portable: false, helper: None })
    }

    /// The same GLM with its single-vector evaluations ([`log_prob_and_gradient`]) split over
    /// two threads — the calling thread and a helper thread this GLM owns (it spins while
    /// gradients keep coming and parks after 2 ms without one) — for one chain on a machine
    /// with a core to spare (W7's HMC: one chain, one gradient at a time). The result is the
    /// same bits as on one thread (the chunks' partial sums are added in the same order). Leave
    /// it off when chains already run on every core; clones share the helper, and a clone
    /// called while another is using it computes on its own thread alone.
    ///
    /// Errors: [`Error::Io`] when the operating system refuses the thread.
    ///
    /// [`log_prob_and_gradient`]: BernoulliLogitGlm::log_prob_and_gradient
    ///
    /// ```
    /// use probrs::tensor::glm::BernoulliLogitGlm;
    /// use probrs::tensor::{DType, Tensor};
    /// let n = 2000;
    /// let x: Vec<f64> = (0..2 * n).map(|k| ((k * 37) % 11) as f64 / 5.0 - 1.0).collect();
    /// let y: Vec<f64> = (0..n).map(|i| (i % 3 == 0) as u8 as f64).collect();
    /// let glm = BernoulliLogitGlm::new(&Tensor::from_slice(&x, &[n, 2], DType::F32)?, &Tensor::vector(&y, DType::F32)?)?;
    /// let (mut g1, mut g2) = ([0.0; 2], [0.0; 2]);
    /// let one = glm.log_prob_and_gradient(&[0.3, -0.2], &mut g1)?;
    /// let two = glm.with_two_threads()?.log_prob_and_gradient(&[0.3, -0.2], &mut g2)?;
    /// assert_eq!((one, g1), (two, g2));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_two_threads(&self) -> Result<Self> {
        let helper = super::helper_thread::HelperThread::new().map_err(|e| Error::Io { path: "thread probrs-helper".into(), reason: e.to_string() })?;
        Ok(BernoulliLogitGlm { helper: Some(Arc::new(helper)), ..self.clone() })
    }

    /// The same data for the portable (row-major, faer) kernel whatever the CPU: for tests
    /// that compare the two kernels.
    #[doc(hidden)]
    pub fn portable(&self) -> Self {
        let data = match &*self.data {
            Data::RowMajor { .. } => return BernoulliLogitGlm { portable: true, single: Default::default(), ..self.clone() },
            Data::Packed { x, y, .. } => {
                let (n, d) = (self.n, self.d);
                let mut xr = vec![0f32; n * d];
                for i in 0..n {
                    for j in 0..d {
                        xr[i * d + j] = x[super::glm_avx512::index(i, j, d)];
                    }
                }
                Data::RowMajor { x: xr, y: y[..n].to_vec() }
            }
        };
        BernoulliLogitGlm { data: Arc::new(data), n: self.n, d: self.d, single: Default::default(), portable: true, helper: None }
    }

    /// The units of work the rows are split into across threads: rows, or super-blocks.
    fn units(&self) -> usize {
        match &*self.data {
            Data::RowMajor { .. } => self.n,
            Data::Packed { y, .. } => y.len() / super::glm_avx512::SUPER_ROWS,
        }
    }

    /// `[...]` log-likelihoods of weights `w [..., D]`.
    ///
    /// ```
    /// use probrs::params::Variable;
    /// use probrs::tensor::glm::BernoulliLogitGlm;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, -1.0], &[2, 1], DType::F32)?;
    /// let glm = BernoulliLogitGlm::new(&x, &Tensor::vector(&[1.0, 0.0], DType::F32)?)?;
    /// // The log-likelihood of w = 0 is 2 log ½, and its gradient is Σ (y − σ(0)) x = 1.
    /// let w = Variable::new(&Tensor::vector(&[0.0], DType::F32)?, "w")?.value();
    /// let ll = glm.log_prob(&w)?;
    /// assert!((ll.to_scalar()? - 2.0 * 0.5f64.ln()).abs() < 1e-6);
    /// let g = ll.grad(&[&w])?[0].clone().unwrap().to_vec()?;
    /// assert!((g[0] - 1.0).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_prob(&self, w: &Tensor) -> Result<Tensor> {
        if w.rank() == 0 || w.shape()[w.rank() - 1] != self.d {
            return Err(Error::ShapeMismatch { context: "BernoulliLogitGlm weights [..., D] vs X [N, D]".into(), lhs: w.shape().to_vec(), rhs: vec![self.n, self.d] });
        }
        let lead = w.shape()[..w.rank() - 1].to_vec();
        let s: usize = lead.iter().product();
        let flat = w.reshape(&[s, self.d])?.contiguous()?;
        let out = Tensor(flat.0.apply_op1(Op { glm: self.clone(), grad: Mutex::new(None) })?);
        out.reshape(&lead)
    }

    /// The log-likelihood at one weight vector `w [D]` with its gradient written into `grad`,
    /// without the tensor facade: for hand-written log-densities (MCMC), where the caller runs
    /// chains on threads, so this runs on the calling thread only.
    ///
    /// ```
    /// use probrs::tensor::glm::BernoulliLogitGlm;
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, -1.0], &[2, 1], DType::F32)?;
    /// let glm = BernoulliLogitGlm::new(&x, &Tensor::vector(&[1.0, 0.0], DType::F32)?)?;
    /// let mut g = [0.0];
    /// let ll = glm.log_prob_and_gradient(&[0.0], &mut g)?;
    /// assert!((ll - 2.0 * 0.5f64.ln()).abs() < 1e-6 && (g[0] - 1.0).abs() < 1e-6);
    /// assert!(glm.log_prob_and_gradient(&[0.0, 1.0], &mut g).is_err()); // D = 1
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn log_prob_and_gradient(&self, w: &[f64], grad: &mut [f64]) -> Result<f64> {
        if w.len() != self.d || grad.len() != self.d {
            return Err(Error::ShapeMismatch { context: "BernoulliLogitGlm weights and gradient [D] vs X [N, D]".into(), lhs: vec![w.len(), grad.len()], rhs: vec![self.n, self.d] });
        }
        let wf: Vec<f32> = w.iter().map(|v| *v as f32).collect();
        let (ll, g) = self.single_vector(&wf);
        grad.copy_from_slice(&g);
        Ok(ll)
    }

    /// Log-likelihood and gradient at one weight vector, by the 8-row kernel of `glm_single.rs`
    /// (the data packed for it on first use).
    fn single_vector(&self, w: &[f32]) -> (f64, Vec<f64>) {
        let packed = self.single.get_or_init(|| {
            let d = self.d;
            match &*self.data {
                Data::RowMajor { x, y } => super::glm_single::pack(|i, j| x[i * d + j], y, self.n, d),
                Data::Packed { x, y, .. } => super::glm_single::pack(|i, j| x[super::glm_avx512::index(i, j, d)], &y[..self.n], self.n, d),
            }
        });
        if self.portable {
            super::glm_single::log_prob_and_gradient_portable(packed, self.d, w)
        } else {
            match &self.helper {
                Some(h) => super::glm_single::log_prob_and_gradient(packed, self.d, w, Some(&|a, b| h.join(a, b))),
                None => super::glm_single::log_prob_and_gradient(packed, self.d, w, None),
            }
        }
    }

    /// Log-likelihood and gradient for `w [S, D]` (row-major) over the units `[lo, hi)`: the
    /// AVX-512 kernel on packed data; otherwise (portable kernel) rows `[lo, hi)` in blocks of
    /// `BLOCK` rows small enough to stay in cache between the two products: the logits
    /// `L = X_B Wᵀ` (faer's matmul, runtime-dispatched AVX-512 / AVX2 kernels), the per-entry
    /// log-likelihood `y l − softplus(l)` and residual `y − σ(l)` (one `exp` and one `ln` each),
    /// then `Gᵀ += X_Bᵀ R` while `X_B` is still cached — so `X` is read from memory once.
    fn block(&self, w: &[f32], s: usize, lo: usize, hi: usize) -> (Vec<f64>, Vec<f64>) {
        let (x, y) = match &*self.data {
            Data::Packed { x, y, valid } => return super::glm_avx512::block(x, y, valid, self.d, w, s, lo, hi),
            Data::RowMajor { x, y } => (x.as_slice(), y.as_slice()),
        };
        // The whole block is compiled for the widest instruction set present, so that no legacy
        // SSE instruction runs after faer's AVX-512 kernels (on Intel, mixing the two with a
        // dirty upper register state costs a state transition per switch: 30x slower here).
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports the features the function is compiled for.
                return unsafe { Self::block_avx512(x, y, self.d, w, s, lo, hi) };
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: as above.
                return unsafe { Self::block_avx2(x, y, self.d, w, s, lo, hi) };
            }
        }
        Self::block_impl(x, y, self.d, w, s, lo, hi)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block_avx512(x: &[f32], y: &[f32], d: usize, w: &[f32], s: usize, lo: usize, hi: usize) -> (Vec<f64>, Vec<f64>) {
        Self::block_impl(x, y, d, w, s, lo, hi)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn block_avx2(x: &[f32], y: &[f32], d: usize, w: &[f32], s: usize, lo: usize, hi: usize) -> (Vec<f64>, Vec<f64>) {
        Self::block_impl(x, y, d, w, s, lo, hi)
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn block_impl(x: &[f32], y: &[f32], d: usize, w: &[f32], s: usize, lo: usize, hi: usize) -> (Vec<f64>, Vec<f64>) {
        use faer::{linalg::matmul::matmul, Accum, MatMut, MatRef, Par};
        use wide::f32x8;
        const BLOCK: usize = 512;
        let mut ll = vec![0.0f64; s];
        let mut gt = vec![0.0f32; d * s];
        let mut l = vec![0.0f32; BLOCK * s];
        let wt = MatRef::from_row_major_slice(w, s, d).transpose();
        let chunks = s.div_ceil(8);
        let mut b0 = lo;
        while b0 < hi {
            let b = (hi - b0).min(BLOCK);
            let xb = MatRef::from_row_major_slice(&x[b0 * d..(b0 + b) * d], b, d);
            let lb = &mut l[..b * s];
            matmul(MatMut::from_row_major_slice_mut(lb, b, s), Accum::Replace, xb, wt, 1.0f32, Par::Seq);
            // Eight logits at a time: one exp and one ln serve softplus(l) and σ(l).
            let mut acc = vec![f32x8::ZERO; chunks];
            for (row, y) in lb.chunks_exact_mut(s).zip(&y[b0..b0 + b]) {
                let yv = f32x8::splat(*y);
                for (part, a) in row.chunks_mut(8).zip(acc.iter_mut()) {
                    let mut lanes = [0.0f32; 8];
                    lanes[..part.len()].copy_from_slice(part);
                    let lv = f32x8::new(lanes);
                    let e = (-lv.abs()).exp();
                    let one_e = e + f32x8::ONE;
                    let softplus = lv.max(f32x8::ZERO) + one_e.ln();
                    let sig = lv.simd_ge(f32x8::ZERO).select(f32x8::ONE / one_e, e / one_e);
                    *a += yv * lv - softplus;
                    let r = (yv - sig).to_array();
                    let k = part.len();
                    part.copy_from_slice(&r[..k]);
                }
            }
            for (c, a) in acc.iter().enumerate() {
                for (k, v) in a.to_array().iter().enumerate().take(s - c * 8) {
                    ll[c * 8 + k] += *v as f64;
                }
            }
            matmul(MatMut::from_row_major_slice_mut(&mut gt, d, s), Accum::Add, xb.transpose(), MatRef::from_row_major_slice(lb, b, s), 1.0f32, Par::Seq);
            b0 += b;
        }
        let mut grad = vec![0.0f64; s * d];
        for j in 0..d {
            for k in 0..s {
                grad[k * d + j] = gt[j * s + k] as f64;
            }
        }
        (ll, grad)
    }
}

impl CustomOp1 for Op {
    fn name(&self) -> &'static str {
        "bernoulli_logit_glm_log_prob"
    }
    fn cpu_fwd(&self, st: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let wv: Vec<f32> = crate::tensor::storage_f64(st, l)?.into_iter().map(|v| v as f32).collect();
        let d = self.glm.d;
        let s = wv.len() / d;
        if s == 1 {
            // One weight vector (an HMC or NUTS chain): the 8-row kernel, on this thread.
            let (ll, grad) = self.glm.single_vector(&wv);
            *self.grad.lock().unwrap_or_else(|p| p.into_inner()) = Some(grad);
            let out = match st {
                CpuStorage::F32(_) => CpuStorage::F32(vec![ll as f32]),
                _ => CpuStorage::F64(vec![ll]),
            };
            return Ok((out, Shape::from(vec![1])));
        }
        let n = self.glm.units();
        let per_unit = self.glm.n.div_ceil(n.max(1)) * d * s;
        let parts = crate::tensor::parallel_ranges(n, per_unit, |lo, hi| self.glm.block(&wv, s, lo, hi));
        let mut ll = vec![0.0; s];
        let mut grad = vec![0.0; s * d];
        for (a, g) in parts {
            ll.iter_mut().zip(&a).for_each(|(x, y)| *x += y);
            grad.iter_mut().zip(&g).for_each(|(x, y)| *x += y);
        }
        *self.grad.lock().unwrap_or_else(|p| p.into_inner()) = Some(grad);
        let out = match st {
            CpuStorage::F32(_) => CpuStorage::F32(ll.iter().map(|v| *v as f32).collect()),
            _ => CpuStorage::F64(ll),
        };
        Ok((out, Shape::from(vec![s])))
    }
    fn bwd(&self, w: &candle_core::Tensor, _res: &candle_core::Tensor, g: &candle_core::Tensor) -> candle_core::Result<Option<candle_core::Tensor>> {
        let grad = self.grad.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(|| candle_core::Error::Msg("glm backward before forward".into()))?;
        let gv = Tensor(g.clone()).to_vec().map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        let d = self.glm.d;
        let out: Vec<f64> = grad.iter().enumerate().map(|(i, v)| v * gv[i / d]).collect();
        Ok(Some(candle_core::Tensor::from_vec(out, w.dims(), w.device())?.to_dtype(w.dtype())?))
    }
}
