//! The shared core of the multivariate normals (TFP's `MultivariateNormalLinearOperator`):
//! `X = loc + S Z`, `Z ~ N(0, I_n)`, covariance `Σ = S Sᵀ`, with `S` held as a diagonal, a
//! lower-triangular factor, a full covariance (factored by Cholesky), or a diagonal plus a
//! low-rank update.
//!
//! ```text
//! log p(x) = −½ ‖L⁻¹(x − loc)‖² − Σ log|L_ii| − (n/2) log 2π,   L = chol(Σ)
//! entropy  = (n/2)(1 + log 2π) + Σ log|L_ii|
//! ```
//! Everything goes through triangular solves; no matrix is inverted. Sample dimensions are
//! folded into the right-hand side's columns, so a batch of `N` points costs one solve with
//! `N` columns (no copy of `L` per point).

use super::ReparameterizationType;
use crate::error::{Error, Result};
use crate::params::{broadcast_batch_shape, resolve_dtype, Param};
use crate::random::{self, Seed};
use crate::tensor::{broadcast_shapes, linalg::triangular_solve, DType, Tensor};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// How the scale is given.
#[derive(Clone, Debug)]
pub(crate) enum ScaleSpec {
    Diag(Param),
    TriL(Param),
    FullCovariance(Param),
    /// `S = diag(d) + U diag(v) Uᵀ` (TFP's `MultivariateNormalDiagPlusLowRank`).
    DiagPlusLowRank { diag: Param, factor: Param, perturb_diag: Option<Param> },
}

/// loc + scale, shapes, dtype.
#[derive(Clone, Debug)]
pub(crate) struct MvnCore {
    pub loc: Param,
    pub scale: ScaleSpec,
    pub dtype: DType,
    pub batch_shape: Vec<usize>,
    pub n: usize,
    pub validate_args: bool,
}

fn check_square(name: &str, p: &Param) -> Result<usize> {
    let s = p.shape();
    if s.len() < 2 || s[s.len() - 1] != s[s.len() - 2] {
        return Err(Error::invalid_shape(name, &s, "expected [..., n, n]"));
    }
    Ok(s[s.len() - 1])
}

impl MvnCore {
    pub(crate) fn new(loc: Param, scale: ScaleSpec) -> Result<Self> {
        let (n, mut params): (usize, Vec<(&str, &Param, usize)>) = match &scale {
            ScaleSpec::Diag(d) => (*d.shape().last().ok_or_else(|| Error::invalid_shape("scale_diag", &[], "needs a last dimension"))?, vec![("scale_diag", d, 1)]),
            ScaleSpec::TriL(l) => (check_square("scale_tril", l)?, vec![("scale_tril", l, 2)]),
            ScaleSpec::FullCovariance(c) => (check_square("covariance_matrix", c)?, vec![("covariance_matrix", c, 2)]),
            ScaleSpec::DiagPlusLowRank { diag, factor, perturb_diag } => {
                let fs = factor.shape();
                if fs.len() < 2 {
                    return Err(Error::invalid_shape("scale_perturb_factor", &fs, "expected [..., n, r]"));
                }
                let mut v = vec![("scale_diag", diag, 1), ("scale_perturb_factor", factor, 2)];
                if let Some(p) = perturb_diag {
                    v.push(("scale_perturb_diag", p, 1));
                }
                (fs[fs.len() - 2], v)
            }
        };
        params.insert(0, ("loc", &loc, 1));
        // Event sizes must agree.
        let ls = loc.shape();
        if ls.last().copied() != Some(n) {
            return Err(Error::ShapeMismatch { context: format!("loc vs {} (event size)", params[1].0), lhs: ls.clone(), rhs: params[1].1.shape() });
        }
        let dtype = resolve_dtype(&params.iter().map(|(n, p, _)| (*n, *p)).collect::<Vec<_>>())?;
        let batch_shape = broadcast_batch_shape(&params)?;
        let core = MvnCore { loc, scale, dtype, batch_shape, n, validate_args: false };
        core.check_constant()?;
        Ok(core)
    }

    /// Checks fixed scale parameters: lower-triangular with non-zero diagonal, positive
    /// definite covariance.
    pub(crate) fn check_constant(&self) -> Result<()> {
        match &self.scale {
            ScaleSpec::TriL(l) if l.is_constant() || self.validate_args => check_tril(&l.value(self.dtype)?),
            ScaleSpec::Diag(d) if d.is_constant() || self.validate_args => {
                if d.values_f64(self.dtype)?.iter().any(|v| *v == 0.0 || !v.is_finite()) {
                    return Err(Error::invalid_parameter("scale_diag", "entries must be finite and non-zero (the scale would be singular)"));
                }
                Ok(())
            }
            ScaleSpec::FullCovariance(c) if c.is_constant() || self.validate_args => {
                let c = c.value(self.dtype)?;
                let asym = c.sub(&c.matrix_transpose()?)?.abs()?.to_vec()?.into_iter().fold(0.0, f64::max);
                if asym > 1e-6 * (1.0 + c.abs()?.to_vec()?.into_iter().fold(0.0, f64::max)) {
                    return Err(Error::invalid_parameter("covariance_matrix", format!("must be symmetric (asymmetry {asym}, shape {:?})", c.shape())));
                }
                c.cholesky().map(|_| ()).map_err(|_| Error::invalid_parameter("covariance_matrix", format!("must be positive definite (shape {:?})", c.shape())))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn loc(&self) -> Result<Tensor> {
        self.loc.value(self.dtype)
    }

    /// The operator `S` as a dense matrix (for sampling): `X = loc + S Z`.
    pub(crate) fn scale_dense(&self) -> Result<Tensor> {
        match &self.scale {
            ScaleSpec::Diag(d) => Tensor::matrix_diag(&d.value(self.dtype)?),
            ScaleSpec::TriL(l) => l.value(self.dtype)?.band_lower(),
            ScaleSpec::FullCovariance(c) => c.value(self.dtype)?.cholesky(),
            ScaleSpec::DiagPlusLowRank { diag, factor, perturb_diag } => {
                let u = factor.value(self.dtype)?;
                let uv = match perturb_diag {
                    // U diag(v): scale the columns of U.
                    Some(v) => u.mul(&v.value(self.dtype)?.unsqueeze(v.shape().len().saturating_sub(1))?)?,
                    None => u.clone(),
                };
                Tensor::matrix_diag(&diag.value(self.dtype)?)?.add(&uv.matmul(&u.matrix_transpose()?)?)
            }
        }
    }

    /// Lower Cholesky factor of the covariance.
    pub(crate) fn scale_tril(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check_constant()?;
        }
        match &self.scale {
            ScaleSpec::Diag(d) => Tensor::matrix_diag(&d.value(self.dtype)?.abs()?),
            ScaleSpec::TriL(l) => l.value(self.dtype)?.band_lower(),
            ScaleSpec::FullCovariance(c) => c.value(self.dtype)?.cholesky(),
            ScaleSpec::DiagPlusLowRank { .. } => {
                let s = self.scale_dense()?;
                s.matmul(&s.matrix_transpose()?)?.cholesky()
            }
        }
    }

    /// Σ log|L_ii| with batch shape.
    fn half_logdet(&self, l: Option<&Tensor>) -> Result<Tensor> {
        match (&self.scale, l) {
            (ScaleSpec::Diag(d), _) => d.value(self.dtype)?.abs()?.log()?.sum_last(1),
            (_, Some(l)) => l.diag_part()?.abs()?.log()?.sum_last(1),
            (_, None) => self.scale_tril()?.diag_part()?.abs()?.log()?.sum_last(1),
        }
    }

    /// `L⁻¹ (x − loc)` for points `x [..., n]` (sample dims folded into columns).
    fn whiten(&self, x: &Tensor, l: Option<&Tensor>) -> Result<Tensor> {
        let dev = x.sub(&self.loc()?)?;
        match (&self.scale, l) {
            (ScaleSpec::Diag(d), _) => dev.div(&d.value(self.dtype)?.abs()?),
            (_, Some(l)) => apply_to_points(&dev, l, |l, cols| triangular_solve(l, cols, false)),
            (_, None) => unreachable!("a factor is passed for non-diagonal scales"),
        }
    }

    pub(crate) fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        if x.dtype() != self.dtype {
            return Err(Error::DTypeMismatch { context: "multivariate normal log_prob".into(), lhs: self.dtype.name().into(), rhs: x.dtype().name().into() });
        }
        if x.shape().last().copied() != Some(self.n) {
            return Err(Error::ShapeMismatch { context: "log_prob input event vs event shape".into(), lhs: x.shape().to_vec(), rhs: vec![self.n] });
        }
        let l = match self.scale {
            ScaleSpec::Diag(_) => None,
            _ => Some(self.scale_tril()?),
        };
        if let Some(lp) = self.fused_log_prob(x, l.as_ref())? {
            return Ok(lp);
        }
        let z = self.whiten(x, l.as_ref())?;
        z.square()?.sum_last(1)?.affine(-0.5, -0.5 * self.n as f64 * LN_2PI)?.sub(&self.half_logdet(l.as_ref())?)
    }

    /// The fused kernels for a batch of at most one dimension (`[]` or `[K]`) and `n ≤ 8`: points
    /// shared by every batch member (`[..., 1, n]` or `[..., n]`: one pass, no copy of the points
    /// per member), or each point under its own member (`[..., K, n]`).
    fn fused_log_prob(&self, x: &Tensor, l: Option<&Tensor>) -> Result<Option<Tensor>> {
        let n = self.n;
        if self.batch_shape.len() > 1 || n > crate::tensor::gaussian_mixture::MAX_EVENT_SIZE {
            return Ok(None);
        }
        // A diagonal scale takes the diagonal kernel (the components of a mixture prior against
        // every code: one pass instead of a broadcast difference, quotient, square and sum per
        // component), or for paired points its diagonal Cholesky factor.
        let tril = || match l {
            Some(l) => Ok(l.clone()),
            None => self.scale_tril(),
        };
        let k = self.batch_shape.first().copied().unwrap_or(1);
        let xb = &x.shape()[..x.rank() - 1];
        // Points shared across the batch: a trailing batch dim of 1 (or no batch at all).
        let (lead, squeeze_last) = match (self.batch_shape.is_empty(), xb.last()) {
            (true, _) => (xb.to_vec(), false),
            (false, Some(1)) => (xb[..xb.len() - 1].to_vec(), false),
            (false, None) => (vec![], false),
            // Each point under its own batch member (draws `[..., K, n]` of this batch).
            (false, Some(&kb)) if kb == k => {
                let npts: usize = xb[..xb.len() - 1].iter().product();
                let loc = self.loc()?.broadcast_to(&[k, n])?;
                let lk = tril()?.broadcast_to(&[k, n, n])?;
                let lp = Tensor::mvn_tril_log_prob_paired(&x.reshape(&[npts, k, n])?, &loc, &lk)?;
                return lp.reshape(xb).map(Some);
            }
            _ => return Ok(None),
        };
        let npts: usize = lead.iter().product();
        let loc = self.loc()?.broadcast_to(&[k, n])?;
        let points = x.reshape(&[npts, n])?;
        let lp = match (&self.scale, l) {
            (ScaleSpec::Diag(d), None) => Tensor::mvn_diag_log_prob(&points, &loc, &d.value(self.dtype)?.broadcast_to(&[k, n])?)?,
            _ => Tensor::mvn_tril_log_prob(&points, &loc, &tril()?.broadcast_to(&[k, n, n])?)?,
        };
        let mut shape = lead;
        if !self.batch_shape.is_empty() && !squeeze_last {
            shape.push(k);
        }
        lp.reshape(&shape).map(Some)
    }

    pub(crate) fn sample(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        shape.push(self.n);
        let z = random::normal(&shape, self.dtype, seed)?;
        let sz = match &self.scale {
            ScaleSpec::Diag(d) => z.mul(&d.value(self.dtype)?)?,
            _ => {
                let s = self.scale_dense()?;
                apply_to_points(&z, &s, |s, cols| s.matmul(cols))?
            }
        };
        sz.add(&self.loc()?)
    }

    /// Draws and their log-density from the standard-normal draws `z` (as TFP): `x = loc + S z`,
    /// `log p(x) = −½|z|² − (n/2) log 2π − log|det S|` — no triangular solve. As a function of
    /// the parameters through `x` this equals `log_prob(x)`, gradients included.
    pub(crate) fn sample_and_log_prob(&self, sample_shape: &[usize], seed: Seed) -> Result<(Tensor, Tensor)> {
        let mut shape = sample_shape.to_vec();
        shape.extend(&self.batch_shape);
        shape.push(self.n);
        let z = random::normal(&shape, self.dtype, seed)?;
        let (sz, half_logdet) = match &self.scale {
            ScaleSpec::Diag(d) => (z.mul(&d.value(self.dtype)?)?, self.half_logdet(None)?),
            ScaleSpec::DiagPlusLowRank { .. } => {
                let s = self.scale_dense()?;
                (apply_to_points(&z, &s, |s, cols| s.matmul(cols))?, self.half_logdet(Some(&self.scale_tril()?))?)
            }
            _ => {
                let s = self.scale_dense()?;
                (apply_to_points(&z, &s, |s, cols| s.matmul(cols))?, self.half_logdet(Some(&s))?)
            }
        };
        let lp = z.square()?.sum_last(1)?.affine(-0.5, -0.5 * self.n as f64 * LN_2PI)?.sub(&half_logdet)?;
        Ok((sz.add(&self.loc()?)?, lp))
    }

    pub(crate) fn mean(&self) -> Result<Tensor> {
        let mut s = self.batch_shape.clone();
        s.push(self.n);
        self.loc()?.broadcast_to(&s)?.contiguous()
    }

    pub(crate) fn covariance(&self) -> Result<Tensor> {
        let l = self.scale_tril()?;
        let c = l.matmul(&l.matrix_transpose()?)?;
        let mut s = self.batch_shape.clone();
        s.extend([self.n, self.n]);
        c.broadcast_to(&s)?.contiguous()
    }

    pub(crate) fn variance(&self) -> Result<Tensor> {
        let v = match &self.scale {
            ScaleSpec::Diag(d) => d.value(self.dtype)?.square()?,
            _ => self.scale_tril()?.square()?.sum_last(1)?,
        };
        let mut s = self.batch_shape.clone();
        s.push(self.n);
        v.broadcast_to(&s)?.contiguous()
    }

    pub(crate) fn entropy(&self) -> Result<Tensor> {
        let h = self.half_logdet(None)?.add_scalar(0.5 * self.n as f64 * (1.0 + LN_2PI))?;
        h.broadcast_to(&self.batch_shape)?.contiguous()
    }

    pub(crate) fn reparameterization_type(&self) -> ReparameterizationType {
        ReparameterizationType::FullyReparameterized
    }

    pub(crate) fn parameters(&self) -> Vec<(&'static str, &Param)> {
        let mut v = vec![("loc", &self.loc)];
        match &self.scale {
            ScaleSpec::Diag(d) => v.push(("scale_diag", d)),
            ScaleSpec::TriL(l) => v.push(("scale_tril", l)),
            ScaleSpec::FullCovariance(c) => v.push(("covariance_matrix", c)),
            ScaleSpec::DiagPlusLowRank { diag, factor, perturb_diag } => {
                v.push(("scale_diag", diag));
                v.push(("scale_perturb_factor", factor));
                if let Some(p) = perturb_diag {
                    v.push(("scale_perturb_diag", p));
                }
            }
        }
        v
    }
}

/// Checks a fixed `scale_tril`: lower triangular, non-zero finite diagonal.
fn check_tril(l: &Tensor) -> Result<()> {
    let n = l.shape()[l.rank() - 1];
    let v = l.to_vec()?;
    for (b, m) in v.chunks(n * n).enumerate() {
        for i in 0..n {
            for j in (i + 1)..n {
                if m[i * n + j] != 0.0 {
                    return Err(Error::invalid_parameter(
                        "scale_tril",
                        format!("must be lower triangular: entry ({i}, {j}) of matrix {b} is {} (shape {:?})", m[i * n + j], l.shape()),
                    ));
                }
            }
            if m[i * n + i] == 0.0 || !m[i * n + i].is_finite() {
                return Err(Error::invalid_parameter("scale_tril", format!("is singular: diagonal entry {i} of matrix {b} is {} (shape {:?})", m[i * n + i], l.shape())));
            }
        }
    }
    Ok(())
}

/// Applies `f(mat [b..., n, n], cols [b..., n, s]) -> [b..., n, s]` to points `x [S..., b..., n]`
/// by folding the sample dims `S` into the columns: one solve/product for all points.
pub(crate) fn apply_to_points(x: &Tensor, mat: &Tensor, f: impl Fn(&Tensor, &Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let n = mat.shape()[mat.rank() - 1];
    let mb = &mat.shape()[..mat.rank() - 2];
    let xb = &x.shape()[..x.rank() - 1];
    // Full batch of the points and the matrix.
    let batch = broadcast_shapes(xb, mb)?;
    let nb = mb.len();
    // Split the points' batch into sample dims (left) and the matrix's batch (right).
    let (s_dims, b_dims) = if batch.len() >= nb { batch.split_at(batch.len() - nb) } else { (&batch[..0], &batch[..]) };
    let mut full = batch.clone();
    full.push(n);
    let xf = x.broadcast_to(&full)?;
    let s: usize = s_dims.iter().product();
    let bsz: usize = b_dims.iter().product();
    // [s, b, n] -> [b, n, s]
    let cols = xf.reshape(&[s, bsz, n])?.permute(&[1, 2, 0])?.contiguous()?;
    let m = mat.broadcast_to(&b_dims.iter().copied().chain([n, n]).collect::<Vec<_>>())?.reshape(&[bsz, n, n])?;
    let out = f(&m, &cols)?; // [b, n, s]
    out.permute(&[2, 0, 1])?.contiguous()?.reshape(&full)
}


/// Implements `Distribution` (and Display) for a multivariate-normal family wrapping `core`.
macro_rules! mvn_family {
    ($t:ty, $class:literal, $example:literal) => {
        impl $crate::distributions::Distribution for $t {
            fn class_name(&self) -> &'static str {
                $class
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn dtype(&self) -> $crate::tensor::DType {
                self.core.dtype
            }
            fn batch_shape(&self) -> Vec<usize> {
                self.core.batch_shape.clone()
            }
            fn event_shape(&self) -> Vec<usize> {
                vec![self.core.n]
            }
            fn reparameterization_type(&self) -> $crate::distributions::ReparameterizationType {
                self.core.reparameterization_type()
            }
            fn validate_args(&self) -> bool {
                self.core.validate_args
            }
            fn parameters(&self) -> Vec<(&'static str, &$crate::params::Param)> {
                self.core.parameters()
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
            fn log_prob(&self, x: &$crate::tensor::Tensor) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.log_prob(x)
            }
            fn sample(&self, sample_shape: &[usize], seed: $crate::random::Seed) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.sample(sample_shape, seed)
            }
            fn sample_and_log_prob(&self, sample_shape: &[usize], seed: $crate::random::Seed) -> $crate::Result<($crate::tensor::Tensor, $crate::tensor::Tensor)> {
                self.core.sample_and_log_prob(sample_shape, seed)
            }
            fn mean(&self) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.mean()
            }
            fn mode(&self) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.mean()
            }
            fn variance(&self) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.variance()
            }
            fn covariance(&self) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.covariance()
            }
            fn entropy(&self) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.entropy()
            }
            fn default_event_space_bijector(&self) -> $crate::Result<std::sync::Arc<dyn $crate::bijectors::Bijector>> {
                Ok(std::sync::Arc::new($crate::bijectors::Identity::new()))
            }
        }
        impl $t {
            /// Sets the instance name.
            ///
            #[doc = concat!(
                "```\n",
                "use probrs::distributions::{Distribution, ", stringify!($t), "};\n",
                "use probrs::tensor::{DType, Tensor};\n",
                "let d = ", $example, ";\n",
                "assert_eq!(d.with_name(\"q\").name(), \"q\");\n",
                "# Ok::<(), probrs::Error>(())\n",
                "```"
            )]
            pub fn with_name(mut self, name: &str) -> Self {
                self.name = name.into();
                self
            }
            /// Check the scale at every use (it may be held by variables).
            ///
            #[doc = concat!(
                "```\n",
                "use probrs::distributions::{Distribution, ", stringify!($t), "};\n",
                "use probrs::tensor::{DType, Tensor};\n",
                "let d = ", $example, ";\n",
                "assert!(d.with_validate_args(true)?.validate_args());\n",
                "# Ok::<(), probrs::Error>(())\n",
                "```"
            )]
            pub fn with_validate_args(mut self, v: bool) -> $crate::Result<Self> {
                self.core.validate_args = v;
                self.core.check_constant()?;
                Ok(self)
            }
            /// Lower Cholesky factor of the covariance.
            ///
            #[doc = concat!(
                "```\n",
                "use probrs::distributions::{Distribution, ", stringify!($t), "};\n",
                "use probrs::tensor::{DType, Tensor};\n",
                "let d = ", $example, ";\n",
                "let l = d.scale_tril()?;\n",
                "// L Lᵀ is the covariance.\n",
                "let c = l.matmul(&l.matrix_transpose()?)?.to_vec()?;\n",
                "let expected = d.covariance()?.to_vec()?;\n",
                "assert!(c.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-9));\n",
                "# Ok::<(), probrs::Error>(())\n",
                "```"
            )]
            pub fn scale_tril(&self) -> $crate::Result<$crate::tensor::Tensor> {
                self.core.scale_tril()
            }
            pub(crate) fn core(&self) -> &$crate::distributions::mvn_linear_operator::MvnCore {
                &self.core
            }
        }
        $crate::distributions::distribution::impl_display!($t);
    };
}
pub(crate) use mvn_family;

/// KL(p ‖ q) between multivariate normals:
/// ½ [‖Lq⁻¹Lp‖²_F + ‖Lq⁻¹(μq − μp)‖² − n] + Σ log|Lq_ii| − Σ log|Lp_ii|.
pub(crate) fn kl_mvn(p: &MvnCore, q: &MvnCore) -> Result<Tensor> {
    if p.n != q.n || p.dtype != q.dtype {
        return Err(Error::ShapeMismatch { context: "kl_divergence between multivariate normals (event sizes)".into(), lhs: vec![p.n], rhs: vec![q.n] });
    }
    let (lp, lq) = (p.scale_tril()?, q.scale_tril()?);
    let m = triangular_solve(&lq, &lp, false)?;
    let tr = m.square()?.sum_last(2)?;
    let d = q.loc()?.sub(&p.loc()?)?;
    let z = apply_to_points(&d, &lq, |l, c| triangular_solve(l, c, false))?;
    let quad = z.square()?.sum_last(1)?;
    let ld = lq.diag_part()?.abs()?.log()?.sum_last(1)?.sub(&lp.diag_part()?.abs()?.log()?.sum_last(1)?)?;
    tr.add(&quad)?.affine(0.5, -0.5 * p.n as f64)?.add(&ld)
}
