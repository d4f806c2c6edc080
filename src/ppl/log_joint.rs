//! Edward2's `make_log_joint_fn`: the log joint density of a program as a function of named
//! values, `Σ log p(site value)` over every site — latent sites at the values given, observed
//! sites (`observe`, `condition`) at their data.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

use super::handlers::{substitute, trace};
use super::program::Program;

/// The log joint of a program (Edward2's `make_log_joint_fn(model)`).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{make_log_joint_fn, program};
/// use probrs::tensor::{DType, Tensor};
/// let lj = make_log_joint_fn(program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)));
/// assert!(lj.call(&[("z", Tensor::scalar(1.0, DType::F32)?)])?.to_scalar()? < -1.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct LogJoint<P> {
    program: P,
}

/// `make_log_joint_fn(program)`: call the result with a value for each latent site.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{make_log_joint_fn, program};
/// use probrs::tensor::{DType, Tensor};
/// let x = Tensor::scalar(1.0, DType::F32)?;
/// let model = program(move |fx| {
///     let z = fx.sample("z", Normal::new(0.0, 1.0)?)?;
///     fx.observe("x", Normal::new(&z, 1.0)?, &x)
/// });
/// let log_joint = make_log_joint_fn(model);
/// let lp = log_joint.call(&[("z", Tensor::scalar(0.5, DType::F32)?)])?.to_scalar()?;
/// // log N(0.5; 0, 1) + log N(1; 0.5, 1)
/// let want = -0.5 * 0.25 - 0.5 * 0.25 - (2.0 * std::f64::consts::PI).ln();
/// assert!((lp - want).abs() < 1e-6);
/// // A missing latent value and an unknown name are errors naming the site.
/// assert!(log_joint.call(&[]).unwrap_err().to_string().contains("`z`"));
/// assert!(log_joint.call(&[("z", Tensor::scalar(0.5, DType::F32)?), ("w", Tensor::scalar(0.0, DType::F32)?)]).unwrap_err().to_string().contains("`w`"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn make_log_joint_fn<P>(program: P) -> LogJoint<P> {
    LogJoint { program }
}

impl<P: Clone> LogJoint<P> {
    /// `log p(values, data)`: every site's log-density summed over all its elements.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{make_log_joint_fn, program};
    /// use probrs::tensor::{DType, Tensor};
    /// let lj = make_log_joint_fn(program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?)));
    /// let lp = lj.call(&[("z", Tensor::scalar(0.0, DType::F32)?)])?.to_scalar()?;
    /// assert!((lp + 0.918_938_533_204_672_7).abs() < 1e-6);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call<T>(&self, values: &[(&str, Tensor)]) -> Result<Tensor>
    where
        P: Program<T>,
    {
        let given: Vec<(String, Tensor)> = values.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
        let (_, tr) = trace(substitute(self.program.clone(), given)).get_trace()?;
        if let Some((name, _)) = values.iter().find(|(n, _)| tr.sites.iter().all(|s| s.name != *n)) {
            return Err(Error::invalid_parameter(*name, format!("`{name}` is not a site of the program (sites: {})", tr.names().join(", "))));
        }
        tr.log_prob_sum()
    }
}
