//! The KL-divergence registry: closed forms by pair of families, extendable by users and
//! by later families (TFP's `tfd.kl_divergence` / `RegisterKL`).
//!
//! ```
//! use probrs::distributions::{kl_divergence, Normal};
//! let p = Normal::new(0.0, 1.0)?;
//! let q = Normal::new(1.0, 2.0)?;
//! let kl = kl_divergence(&p, &q)?.to_scalar()?;
//! assert!((kl - (2f64.ln() + 2.0 / 8.0 - 0.5)).abs() < 1e-6);
//! # Ok::<(), probrs::Error>(())
//! ```

use super::{Distribution, Independent, Sample};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

type KlFn = Arc<dyn Fn(&dyn Any, &dyn Any) -> Result<Tensor> + Send + Sync>;

fn registry() -> &'static RwLock<HashMap<(TypeId, TypeId), KlFn>> {
    static R: OnceLock<RwLock<HashMap<(TypeId, TypeId), KlFn>>> = OnceLock::new();
    R.get_or_init(|| {
        let mut m: HashMap<(TypeId, TypeId), KlFn> = HashMap::new();
        insert(&mut m, super::normal::kl_normal_normal);
        insert(&mut m, kl_independent);
        insert(&mut m, super::exponential::kl_exponential);
        insert(&mut m, super::bernoulli::kl_bernoulli);
        insert(&mut m, super::categorical::kl_categorical);
        insert(&mut m, super::gamma::kl_gamma);
        insert(&mut m, super::beta::kl_beta);
        insert(&mut m, super::dirichlet::kl_dirichlet);
        insert(&mut m, super::poisson::kl_poisson);
        insert(&mut m, super::uniform::kl_uniform);
        insert(&mut m, super::von_mises::kl_von_mises);
        insert(&mut m, super::laplace::kl_laplace);
        insert(&mut m, super::gumbel::kl_gumbel);
        insert(&mut m, super::half_normal::kl_half_normal);
        insert(&mut m, super::log_normal::kl_log_normal);
        insert(&mut m, super::chi2::kl_chi2);
        insert(&mut m, super::pareto::kl_pareto);
        insert(&mut m, super::weibull::kl_weibull);
        insert(&mut m, super::one_hot_categorical::kl_one_hot_categorical);
        insert(&mut m, kl_sample);
        register_mvn_pairs(&mut m);
        RwLock::new(m)
    })
}

fn insert<P: Any, Q: Any>(m: &mut HashMap<(TypeId, TypeId), KlFn>, f: fn(&P, &Q) -> Result<Tensor>) {
    let g: KlFn = Arc::new(move |p: &dyn Any, q: &dyn Any| {
        match (p.downcast_ref::<P>(), q.downcast_ref::<Q>()) {
            (Some(p), Some(q)) => f(p, q),
            _ => Err(Error::not_defined("kl_divergence", "downcast")),
        }
    });
    m.insert((TypeId::of::<P>(), TypeId::of::<Q>()), g);
}

/// Registers (or replaces) the closed-form KL(P ‖ Q).
///
/// ```
/// use probrs::distributions::{kl_divergence, kl_gamma, register_kl, Distribution, Exponential, Gamma};
/// use probrs::tensor::Tensor;
/// use probrs::Result;
/// // KL(Exponential ‖ Gamma) is not built in; Exponential(rate) is Gamma(1, rate).
/// fn kl_exponential_gamma(p: &Exponential, q: &Gamma) -> Result<Tensor> {
///     let rate = p.parameters()[0].1.clone();
///     kl_gamma(&Gamma::new(1.0, rate)?, q)
/// }
/// register_kl(kl_exponential_gamma);
/// let kl = kl_divergence(&Exponential::new(2.0)?, &Gamma::new(1.0, 1.0)?)?.to_scalar()?;
/// assert!((kl - (2f64.ln() - 0.5)).abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn register_kl<P: Distribution + 'static, Q: Distribution + 'static>(f: fn(&P, &Q) -> Result<Tensor>) {
    let mut m = registry().write().unwrap_or_else(|p| p.into_inner());
    insert(&mut m, f);
}

/// KL(p ‖ q) by the registered closed form; an error names the pair when none is known.
///
/// ```
/// use probrs::distributions::{kl_divergence, Laplace, Normal};
/// let kl = kl_divergence(&Normal::new(0.0, 1.0)?, &Normal::new(0.0, 1.0)?)?.to_scalar()?;
/// assert_eq!(kl, 0.0);
/// // A pair with no registered closed form is an error, not a guess.
/// assert!(kl_divergence(&Normal::new(0.0, 1.0)?, &Laplace::new(0.0, 1.0)?).is_err());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_divergence(p: &dyn Distribution, q: &dyn Distribution) -> Result<Tensor> {
    let key = (p.as_any().type_id(), q.as_any().type_id());
    let f = registry().read().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
    match f {
        Some(f) => f(p.as_any(), q.as_any()),
        None => Err(Error::not_defined(format!("({}, {})", p.class_name(), q.class_name()), "kl_divergence")),
    }
}

macro_rules! mvn_pairs {
    ($m:ident; $($p:ty),*) => { mvn_pairs!(@outer $m; [$($p),*]; $($p),*); };
    (@outer $m:ident; $all:tt; $($p:ty),*) => { $( mvn_pairs!(@inner $m; $p; $all); )* };
    (@inner $m:ident; $p:ty; [$($q:ty),*]) => {
        $( insert::<$p, $q>($m, |a, b| super::mvn_linear_operator::kl_mvn(a.core(), b.core())); )*
    };
}

fn register_mvn_pairs(m: &mut HashMap<(TypeId, TypeId), KlFn>) {
    use super::{MultivariateNormalDiag as D, MultivariateNormalDiagPlusLowRank as L, MultivariateNormalFullCovariance as F, MultivariateNormalTriL as T};
    mvn_pairs!(m; D, T, F, L);
}

/// KL(Independent(p) ‖ Independent(q)) = Σ over the reinterpreted dims of KL(p ‖ q).
///
/// ```
/// use probrs::distributions::{kl_independent, Independent, Normal};
/// use probrs::tensor::{DType, Tensor};
/// // Two independent coordinates: the KLs add up.
/// let p = Independent::new(Normal::new(Tensor::vector(&[0.0, 0.0], DType::F64)?, 1.0)?, 1)?;
/// let q = Independent::new(Normal::new(Tensor::vector(&[1.0, 2.0], DType::F64)?, 1.0)?, 1)?;
/// assert!((kl_independent(&p, &q)?.to_scalar()? - (0.5 + 2.0)).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_independent(p: &Independent, q: &Independent) -> Result<Tensor> {
    if p.reinterpreted_batch_ndims() != q.reinterpreted_batch_ndims() || p.event_shape() != q.event_shape() {
        return Err(Error::ShapeMismatch { context: "kl_divergence(Independent, Independent) event shapes".into(), lhs: p.event_shape(), rhs: q.event_shape() });
    }
    kl_divergence(p.distribution().as_ref(), q.distribution().as_ref())?.sum_last(p.reinterpreted_batch_ndims())
}

/// KL(Sample(p, s) ‖ Sample(q, s)) = |s| · KL(p ‖ q) for equal sample shapes (iid draws).
///
/// ```
/// use probrs::distributions::{kl_normal_normal, kl_sample, Normal, Sample};
/// // Three i.i.d. draws: three times the KL of one.
/// let p = Sample::new(Normal::new(0.0, 1.0)?, &[3])?;
/// let q = Sample::new(Normal::new(1.0, 1.0)?, &[3])?;
/// let one = kl_normal_normal(&Normal::new(0.0, 1.0)?, &Normal::new(1.0, 1.0)?)?.to_scalar()?;
/// assert!((kl_sample(&p, &q)?.to_scalar()? - 3.0 * one).abs() < 1e-5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn kl_sample(p: &Sample, q: &Sample) -> Result<Tensor> {
    if p.sample_shape() != q.sample_shape() {
        return Err(Error::ShapeMismatch { context: "kl_divergence(Sample, Sample) sample shapes".into(), lhs: p.sample_shape().to_vec(), rhs: q.sample_shape().to_vec() });
    }
    kl_divergence(p.distribution().as_ref(), q.distribution().as_ref())?.mul_scalar(p.sample_shape().iter().product::<usize>() as f64)
}
