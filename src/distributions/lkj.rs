//! The LKJ distribution on `d × d` correlation matrices (Lewandowski, Kurowicka and Joe 2009).
//!
//! ```text
//! p(C) = det(C)^{η − 1} / Z(η)
//! log Z = Σ_{k=1}^{d−1} [ (k/2) log π + lgamma(η + (d − 1 − k)/2) − lgamma(η + (d − 1)/2) ]
//! mean = I
//! ```
//! `η = 1` is uniform over correlation matrices; larger `η` concentrates near the identity.
//! Samples are drawn by the onion method in Cholesky space (as TFP: Beta draws for the squared
//! row norms, uniform directions), not reparameterized. With `input_output_cholesky`, samples
//! are the Cholesky factors `L` and `log_prob` takes `L` (still the density of `C = L Lᵀ`, as
//! TFP; [`CholeskyLKJ`](super::CholeskyLKJ) is the density of `L` itself).
//! A matrix that is not positive definite has log-probability `−inf`.
//!
//! ```
//! use probrs::distributions::{Distribution, LKJ};
//! use probrs::tensor::{DType, Tensor};
//! let d = LKJ::new(2, Tensor::scalar(3.0, DType::F64)?)?;
//! let c = Tensor::from_slice(&[1.0, 0.5, 0.5, 1.0], &[2, 2], DType::F64)?;
//! // d = 2: the correlation r has density (1 − r²)^{η−1} / B(½, η), and B(½, 3) = 16/15.
//! assert!((d.log_prob(&c)?.to_scalar()? - (2.0 * 0.75f64.ln() - (16.0f64 / 15.0).ln())).abs() < 1e-12);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::distribution::{check_dtype, impl_display};
use super::Distribution;
use crate::bijectors::{Bijector, Chain, CholeskyOuterProduct, CorrelationCholesky};
use crate::error::{Error, Result};
use crate::params::{constraining, resolve_dtype, Arg, Param, ParameterProperties, Parameters, Trainable};
use crate::random::Seed;
use crate::tensor::{DType, Tensor};
use rand_distr::Distribution as _;
use std::sync::Arc;

/// What LKJ and CholeskyLKJ share: the dimension, the concentration and its checks.
#[derive(Clone)]
pub(crate) struct LkjCore {
    pub(crate) dimension: usize,
    pub(crate) concentration: Param,
    pub(crate) dtype: DType,
    pub(crate) validate_args: bool,
}

impl LkjCore {
    pub(crate) fn new(dimension: usize, concentration: Param) -> Result<Self> {
        if dimension == 0 {
            return Err(Error::invalid_parameter("dimension", "must be at least 1"));
        }
        let dtype = resolve_dtype(&[("concentration", &concentration)])?;
        let c = LkjCore { dimension, concentration, dtype, validate_args: false };
        if c.concentration.is_constant() {
            c.check()?;
        }
        Ok(c)
    }
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(bad) = self.concentration.values_f64(self.dtype)?.iter().find(|v| !(**v > 0.0)) {
            return Err(Error::invalid_parameter("concentration", format!("must be positive, got {bad}")));
        }
        Ok(())
    }
    pub(crate) fn eta(&self) -> Result<Tensor> {
        if self.validate_args {
            self.check()?;
        }
        self.concentration.value(self.dtype)
    }
    pub(crate) fn batch_shape(&self) -> Vec<usize> {
        self.concentration.shape()
    }
    pub(crate) fn event_shape(&self) -> Vec<usize> {
        vec![self.dimension, self.dimension]
    }
    /// `log Z(η)` (batch shaped).
    pub(crate) fn log_normalization(&self) -> Result<Tensor> {
        let eta = self.eta()?;
        let d = self.dimension as f64;
        let mut ans = eta.zeros_like()?;
        for k in 1..self.dimension {
            let k = k as f64;
            ans = ans
                .add_scalar(0.5 * k * std::f64::consts::PI.ln())?
                .add(&eta.add_scalar((d - 1.0 - k) / 2.0)?.lgamma()?)?
                .sub(&eta.add_scalar((d - 1.0) / 2.0)?.lgamma()?)?;
        }
        Ok(ans)
    }
    /// Checks that `x` ends in `[d, d]` and has the right dtype.
    pub(crate) fn check_input(&self, d: &dyn Distribution, x: &Tensor) -> Result<()> {
        check_dtype(d, x, "log_prob")?;
        let s = x.shape();
        let n = self.dimension;
        if s.len() < 2 || s[s.len() - 1] != n || s[s.len() - 2] != n {
            return Err(Error::invalid_shape(format!("{}.log_prob input", d.class_name()), s, format!("expected [..., {n}, {n}]")));
        }
        Ok(())
    }
    /// Onion-method Cholesky factors of shape `sample_shape + batch + [d, d]`.
    pub(crate) fn sample_cholesky(&self, sample_shape: &[usize], seed: Seed) -> Result<Tensor> {
        let etas = self.eta()?.detach().to_vec()?;
        let d = self.dimension;
        let ns: usize = sample_shape.iter().product();
        let mut out = vec![0.0; ns * etas.len() * d * d];
        let mut rng = seed.rng();
        let beta = |a: f64, b: f64| {
            rand_distr::Beta::new(a, b).map_err(|e| Error::invalid_parameter("concentration", format!("{e} (Beta({a}, {b}) in the onion sampler)")))
        };
        for (m, chunk) in out.chunks_mut(d * d).enumerate() {
            if d == 0 {
                break;
            }
            let eta = etas[m % etas.len()];
            chunk[0] = 1.0;
            if d == 1 {
                continue;
            }
            let mut bc = eta + (d as f64 - 2.0) / 2.0;
            let r = 2.0 * beta(bc, bc)?.sample(&mut rng) - 1.0;
            chunk[d] = r;
            chunk[d + 1] = (1.0 - r * r).max(0.0).sqrt();
            for n in 2..d {
                bc -= 0.5;
                let y: f64 = beta(n as f64 / 2.0, bc)?.sample(&mut rng);
                let dir: Vec<f64> = (0..n).map(|_| rand_distr::StandardNormal.sample(&mut rng)).collect();
                let norm = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
                for (j, v) in dir.iter().enumerate() {
                    chunk[n * d + j] = y.sqrt() * v / norm;
                }
                chunk[n * d + n] = (1.0 - y).max(0.0).sqrt();
            }
        }
        let mut shape = sample_shape.to_vec();
        shape.extend(self.batch_shape());
        shape.extend([d, d]);
        Tensor::from_slice(&out, &shape, self.dtype)
    }
}

/// The accessors and builders LKJ and CholeskyLKJ share (both hold an `LkjCore` and a name).
macro_rules! lkj_accessors {
    () => {
        fn name(&self) -> &str {
            &self.name
        }
        fn dtype(&self) -> $crate::tensor::DType {
            self.core.dtype
        }
        fn batch_shape(&self) -> Vec<usize> {
            self.core.batch_shape()
        }
        fn event_shape(&self) -> Vec<usize> {
            self.core.event_shape()
        }
        fn reparameterization_type(&self) -> $crate::distributions::ReparameterizationType {
            $crate::distributions::ReparameterizationType::NotReparameterized
        }
        fn validate_args(&self) -> bool {
            self.core.validate_args
        }
        fn parameters(&self) -> Vec<(&'static str, &$crate::params::Param)> {
            vec![("concentration", &self.core.concentration)]
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    };
}
pub(crate) use lkj_accessors;

macro_rules! lkj_builders {
    ($t:ident) => {
        /// Sets the instance name.
        ///
        #[doc = concat!(
            "```\n",
            "use probrs::distributions::{Distribution, ", stringify!($t), "};\n",
            "let d = ", stringify!($t), "::new(3, 2.0)?.with_name(\"correlations\");\n",
            "assert_eq!(d.name(), \"correlations\");\n",
            "# Ok::<(), probrs::Error>(())\n",
            "```"
        )]
        pub fn with_name(mut self, name: &str) -> Self {
            self.name = name.into();
            self
        }
        /// Checks the concentration at every use too (it may be a variable).
        ///
        #[doc = concat!(
            "```\n",
            "use probrs::distributions::{Distribution, ", stringify!($t), "};\n",
            "use probrs::params::Variable;\n",
            "use probrs::tensor::{DType, Tensor};\n",
            "let c = Variable::new(&Tensor::scalar(2.0, DType::F64)?, \"concentration\")?;\n",
            "let d = ", stringify!($t), "::new(2, &c)?.with_validate_args(true)?;\n",
            "c.assign(&Tensor::scalar(-1.0, DType::F64)?)?;\n",
            "// The bad value is caught when the distribution is used.\n",
            "assert!(d.log_prob(&probrs::tensor::linalg::eye(2, DType::F64)?).is_err());\n",
            "# Ok::<(), probrs::Error>(())\n",
            "```"
        )]
        pub fn with_validate_args(mut self, v: bool) -> $crate::Result<Self> {
            self.core.validate_args = v;
            self.core.check()?;
            Ok(self)
        }
        /// The dimension d of the `d × d` matrices.
        ///
        #[doc = concat!(
            "```\n",
            "use probrs::distributions::{Distribution, ", stringify!($t), "};\n",
            "let d = ", stringify!($t), "::new(4, 1.0)?;\n",
            "assert_eq!(d.dimension(), 4);\n",
            "assert_eq!(d.event_shape(), vec![4, 4]);\n",
            "# Ok::<(), probrs::Error>(())\n",
            "```"
        )]
        pub fn dimension(&self) -> usize {
            self.core.dimension
        }
    };
}
pub(crate) use lkj_builders;

/// `true` for each `[n, n]` matrix of `x` that is symmetric positive definite (f64 Cholesky).
pub(crate) fn positive_definite_mask(x: &Tensor) -> Result<Vec<bool>> {
    let n = x.shape()[x.rank() - 1];
    let sym_tol = x.dtype().eps().sqrt();
    let v = x.detach().to_vec()?;
    Ok(v.chunks((n * n).max(1))
        .map(|a| {
            let mut l = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..=i {
                    if (a[i * n + j] - a[j * n + i]).abs() > sym_tol * (1.0 + a[i * n + j].abs()) {
                        return false;
                    }
                    let s = a[i * n + j] - (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum::<f64>();
                    if i == j {
                        if !(s > 0.0) {
                            return false;
                        }
                        l[i * n + i] = s.sqrt();
                    } else {
                        l[i * n + j] = s / l[j * n + j];
                    }
                }
            }
            true
        })
        .collect())
}

/// LKJ(dimension, concentration).
///
/// ```
/// use probrs::distributions::{Distribution, LKJ};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// // For 2 × 2 matrices with concentration 1 the correlation is uniform on (−1, 1): density ½.
/// let d = LKJ::new(2, Tensor::scalar(1.0, DType::F64)?)?;
/// let r = Tensor::from_slice(&[1.0, 0.3, 0.3, 1.0], &[2, 2], DType::F64)?;
/// assert!((d.log_prob(&r)?.to_scalar()? + 2f64.ln()).abs() < 1e-9);
/// // Samples are correlation matrices: unit diagonal, symmetric.
/// let s = d.sample(&[], Seed::new(3))?.to_vec()?;
/// assert!((s[0] - 1.0).abs() < 1e-9 && (s[3] - 1.0).abs() < 1e-9 && (s[1] - s[2]).abs() < 1e-9);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct LKJ {
    core: LkjCore,
    input_output_cholesky: bool,
    name: String,
}

impl LKJ {
    /// `dimension` d and `concentration` η > 0 (any batch shape).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, LKJ};
    /// let d = LKJ::new(3, 2.0)?;
    /// assert_eq!(d.event_shape(), vec![3, 3]);
    /// assert!(LKJ::new(3, 0.0).is_err()); // the concentration must be positive
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(dimension: usize, concentration: impl Into<Param>) -> Result<Self> {
        Ok(LKJ { core: LkjCore::new(dimension, concentration.into())?, input_output_cholesky: false, name: "LKJ".into() })
    }
    /// Samples and `log_prob` inputs are Cholesky factors (a computational shortcut, as TFP).
    ///
    /// ```
    /// use probrs::distributions::{Distribution, LKJ};
    /// use probrs::random::Seed;
    /// // Samples are then Cholesky factors: zero above the diagonal.
    /// let d = LKJ::new(2, 1.0)?.with_input_output_cholesky(true);
    /// let l = d.sample(&[], Seed::new(0))?.to_vec()?;
    /// assert_eq!(l[1], 0.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_input_output_cholesky(mut self, yes: bool) -> Self {
        self.input_output_cholesky = yes;
        self
    }
    lkj_builders!(LKJ);
}

impl Distribution for LKJ {
    fn class_name(&self) -> &'static str {
        "LKJ"
    }
    lkj_accessors!();
    fn default_event_space_bijector(&self) -> Result<Arc<dyn Bijector>> {
        if self.input_output_cholesky {
            return Ok(Arc::new(CorrelationCholesky::new()));
        }
        Ok(Arc::new(Chain::new(vec![Arc::new(CholeskyOuterProduct::new()), Arc::new(CorrelationCholesky::new())])))
    }
    fn log_prob(&self, x: &Tensor) -> Result<Tensor> {
        self.core.check_input(self, x)?;
        let eta = self.core.eta()?;
        let (logdet, outside) = if self.input_output_cholesky {
            (x.diag_part()?.log()?.sum_last(1)?.mul_scalar(2.0)?, None)
        } else {
            // Non-positive-definite matrices get −inf; their Cholesky runs on the identity.
            let pd = positive_definite_mask(x)?;
            let n = self.core.dimension;
            let mask_vals: Vec<f64> = pd.iter().map(|p| if *p { 0.0 } else { 1.0 }).collect();
            let bshape = x.shape()[..x.rank() - 2].to_vec();
            let bad = Tensor::from_slice(&mask_vals, &bshape, x.dtype())?;
            let eye = Tensor::eye(n, &[], x.dtype())?;
            let bad_m = bad.unsqueeze(bshape.len())?.unsqueeze(bshape.len() + 1)?;
            let safe = x.mul(&bad_m.affine(-1.0, 1.0)?)?.add(&eye.mul(&bad_m)?)?;
            // The factorization runs in float64 (near-singular float32 draws factor there too).
            let chol = safe.to_dtype(DType::F64)?.cholesky()?;
            (chol.diag_part()?.log()?.sum_last(1)?.mul_scalar(2.0)?.to_dtype(x.dtype())?, Some(bad.gt_scalar(0.5)?))
        };
        let lp = eta.add_scalar(-1.0)?.mul(&logdet)?.sub(&self.core.log_normalization()?)?;
        match outside {
            Some(m) => Tensor::where_(&m, &lp.full_like(f64::NEG_INFINITY)?, &lp),
            None => Ok(lp),
        }
    }
    fn sample(&self, shape: &[usize], seed: Seed) -> Result<Tensor> {
        let l = self.core.sample_cholesky(shape, seed)?;
        if self.input_output_cholesky {
            return Ok(l);
        }
        // L Lᵀ with the diagonal set to exactly one (as TFP).
        let c = l.matmul(&l.matrix_transpose()?)?;
        let n = self.core.dimension;
        c.set_diag(&Tensor::ones(&[n], self.core.dtype)?.broadcast_to(&c.shape()[..c.rank() - 1])?)
    }
    fn mean(&self) -> Result<Tensor> {
        Tensor::eye(self.core.dimension, &self.core.batch_shape(), self.core.dtype)
    }
}

impl_display!(LKJ);

impl Trainable for LKJ {
    const NAME: &'static str = "LKJ";
    /// `concentration` (batch shaped); the `dimension` argument (`Arg::Int`) is required and
    /// `input_output_cholesky` (`Arg::Bool`) optional.
    fn parameter_properties(_: DType) -> Vec<(&'static str, ParameterProperties)> {
        vec![("concentration", ParameterProperties { default_constraining_bijector: constraining::positive, ..Default::default() })]
    }
    fn from_parameters(mut p: Parameters) -> Result<Self> {
        let dimension = take_dimension(&mut p, Self::NAME)?;
        let mut d = LKJ::new(dimension, p.take_required("concentration", Self::NAME)?)?;
        if let Some(a) = p.take_arg("input_output_cholesky") {
            match a {
                Arg::Bool(b) => d = d.with_input_output_cholesky(b),
                other => return Err(Error::invalid_parameter("input_output_cholesky", format!("must be a bool, got {other:?}"))),
            }
        }
        if let Some(n) = p.name.take() {
            d = d.with_name(&n);
        }
        let v = p.validate_args;
        p.finish(Self::NAME)?;
        if v {
            d = d.with_validate_args(true)?;
        }
        Ok(d)
    }
}

/// The required `dimension` argument of LKJ and CholeskyLKJ.
pub(crate) fn take_dimension(p: &mut Parameters, family: &str) -> Result<usize> {
    match p.take_arg("dimension") {
        Some(Arg::Int(n)) if n >= 0 => Ok(n as usize),
        Some(other) => Err(Error::invalid_parameter("dimension", format!("must be a non-negative integer, got {other:?}"))),
        None => Err(Error::invalid_parameter("dimension", format!("{family} requires `dimension`"))),
    }
}
