//! Programs as joint distributions: a program's sites become a `JointDistributionCoroutine`'s
//! sites in the same order, so that a program is a target wherever a joint distribution is —
//! `pin` and `JointDistributionPinned`, `sample_nuts_pinned`, `fit_surrogate_posterior` with a
//! surrogate built over the pinned joint's event space.

use crate::error::Result;
use crate::joint::{JointDistributionCoroutine, JointDistributionPinned};
use crate::random::Seed;

use super::handlers::{seed, trace};
use super::program::{Effects, Program};

/// The joint distribution of a program's sites (observed ones included, as ordinary sites).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, to_joint_distribution};
/// use probrs::random::Seed;
/// let model = program(|fx| {
///     let z = fx.sample("z", Normal::new(0.0, 1.0)?)?;
///     fx.sample("x", Normal::new(&z, 0.5)?)
/// });
/// let joint = to_joint_distribution(model);
/// assert_eq!(joint.site_names()?, vec!["z", "x"]);
/// let draw = joint.sample(&[], Seed::new(0))?;
/// assert!(joint.log_prob(&draw)?.to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn to_joint_distribution<T: 'static, P: Program<T> + 'static>(program: P) -> JointDistributionCoroutine {
    JointDistributionCoroutine::new(move |m| {
        let mut fx = Effects::on_backend(m);
        program.run_with(&mut fx)?;
        Ok(())
    })
}

/// The posterior of a program given its observed sites: its joint distribution with every
/// observed site pinned to its data (what `sample_nuts_pinned` and a surrogate posterior fit).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{pinned_joint, program};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::vector(&[1.0, 2.0, 1.5], DType::F32)?;
/// let model = program(move |fx| {
///     let mu = fx.sample("mu", Normal::new(0.0, 10.0)?)?;
///     fx.observe("x", Normal::new(&mu, 1.0)?, &x)
/// });
/// let posterior = pinned_joint(model)?;
/// assert_eq!(posterior.pins()[0].0, "x");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn pinned_joint<T: 'static, P: Program<T> + Clone + 'static>(program: P) -> Result<JointDistributionPinned> {
    // One seeded run finds the observed sites and their data.
    let (_, tr) = trace(seed(program.clone(), Seed::new(0))).get_trace()?;
    let pins = tr.sites.iter().filter(|s| s.is_observed).map(|s| (s.name.clone(), s.value.clone())).collect();
    to_joint_distribution(program).pin(pins)
}
