//! Posterior and prior predictive draws (NumPyro's `Predictive`, Pyro's `uncondition`).
//!
//! For draw `i` of the posterior samples, the program runs with the sampled sites fixed to
//! that draw (`substitute`), its observed sites drawn afresh instead of read from the data
//! ([`uncondition`]), and every other site drawn with `seed.fold_in(i)`; the sites asked for are
//! stacked along a new leading axis of length `S`, the number of draws.
//!
//! ```text
//! ỹ⁽ⁱ⁾ ~ p(y | θ⁽ⁱ⁾),   θ⁽ⁱ⁾ ~ p(θ | y)   (posterior predictive)
//! ỹ⁽ⁱ⁾ ~ p(y | θ⁽ⁱ⁾),   θ⁽ⁱ⁾ ~ p(θ)       (prior predictive: nothing substituted)
//! ```

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::random::Seed;
use crate::tensor::Tensor;

use super::handlers::{seed, substitute, trace};
use super::program::{Handled, Handler, Message, Program};

/// Pyro's `uncondition`: each observed site is drawn from its distribution instead of taking
/// its data (the handler under [`Predictive`]).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, seed, trace, uncondition};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let y = Tensor::scalar(100.0, DType::F32)?;
/// let model = program(move |fx| fx.observe("y", Normal::new(0.0, 1.0)?, &y));
/// let (_, tr) = trace(seed(uncondition(model), Seed::new(0))).get_trace()?;
/// assert!(!tr.site("y")?.is_observed && tr.value("y")?.to_scalar()?.abs() < 10.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn uncondition<P>(program: P) -> Handled<P> {
    Handled::new(program, Arc::new(Uncondition))
}

struct Uncondition;

impl Handler for Uncondition {
    fn process(&self, msg: &mut Message) -> Result<()> {
        if msg.is_observed {
            msg.value = None;
            msg.is_observed = false;
        }
        Ok(())
    }
}

/// NumPyro's `Predictive`: draws of a program's sites given posterior samples (posterior
/// predictive) or from the prior (prior predictive).
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::ppl::{program, Predictive};
/// use probrs::random::Seed;
/// use probrs::tensor::{DType, Tensor};
/// let y = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
/// let model = program(move |fx| {
///     let mu = fx.sample("mu", Normal::new(Tensor::scalar(0.0, DType::F64)?, 10.0)?)?;
///     fx.observe("y", Normal::new(mu.unsqueeze(0)?, 0.1)?, &y)
/// });
/// // Three posterior draws of mu: the replicated y sit around each.
/// let mu = Tensor::vector(&[1.9, 2.0, 2.1], DType::F64)?;
/// let out = Predictive::new(model, vec![("mu".into(), mu)])?.call(Seed::new(0))?;
/// assert_eq!(out[0].0, "y");
/// let y_rep = out[0].1.to_vec()?;
/// assert_eq!(y_rep.len(), 3); // [S = 3, 1]
/// assert!((y_rep[2] - 2.1).abs() < 0.6);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Predictive<P> {
    model: P,
    posterior_samples: Vec<(String, Tensor)>,
    num_samples: usize,
    return_sites: Option<Vec<String>>,
}

impl<P> Predictive<P> {
    /// The posterior predictive from `posterior_samples`: each a site's draws stacked on a
    /// leading axis of the same length `S` (an error names the site whose length differs).
    /// By default it returns the sites not among the samples (the observed ones, replicated).
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, Predictive};
    /// use probrs::tensor::{DType, Tensor};
    /// let model = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
    /// let e = Predictive::new(model.clone(), vec![("a".into(), Tensor::zeros(&[3], DType::F32)?), ("b".into(), Tensor::zeros(&[4], DType::F32)?)]);
    /// assert!(e.err().unwrap().to_string().contains("`b`"));
    /// assert!(Predictive::new(model, vec![("z".into(), Tensor::scalar(0.0, DType::F32)?)]).is_err()); // no leading axis
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(model: P, posterior_samples: Vec<(String, Tensor)>) -> Result<Self> {
        let mut num_samples = None;
        for (name, t) in &posterior_samples {
            let s = *t.shape().first().ok_or_else(|| Error::InvalidShape { what: format!("posterior samples of `{name}`"), shape: vec![], reason: "needs a leading axis of draws".into() })?;
            match num_samples {
                None => num_samples = Some(s),
                Some(n) if n != s => {
                    return Err(Error::ShapeMismatch { context: format!("Predictive: the draws of `{name}` vs those of `{}`", posterior_samples[0].0), lhs: t.shape().to_vec(), rhs: posterior_samples[0].1.shape().to_vec() });
                }
                _ => {}
            }
        }
        let num_samples = num_samples.ok_or_else(|| Error::invalid_parameter("posterior_samples", "no sites given: use Predictive::prior for prior draws"))?;
        Ok(Predictive { model, posterior_samples, num_samples, return_sites: None })
    }

    /// The prior predictive: `num_samples` runs with nothing substituted, returning every site.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, Predictive};
    /// use probrs::random::Seed;
    /// let model = program(|fx| {
    ///     let z = fx.sample("z", Normal::new(0.0, 1.0)?)?;
    ///     fx.sample("x", Normal::new(&z, 0.01)?)
    /// });
    /// let out = Predictive::prior(model, 100).call(Seed::new(1))?;
    /// let (z, x) = (out[0].1.to_vec()?, out[1].1.to_vec()?);
    /// assert_eq!((z.len(), out[1].0.as_str()), (100, "x"));
    /// assert!(z.iter().zip(&x).all(|(z, x)| (z - x).abs() < 0.1));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn prior(model: P, num_samples: usize) -> Self {
        Predictive { model, posterior_samples: vec![], num_samples, return_sites: None }
    }

    /// Returns these sites (and only these), sampled or not.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, Predictive};
    /// use probrs::random::Seed;
    /// let model = program(|fx| {
    ///     let z = fx.sample("z", Normal::new(0.0, 1.0)?)?;
    ///     fx.sample("x", Normal::new(&z, 1.0)?)
    /// });
    /// let out = Predictive::prior(model, 5).with_return_sites(&["x"]).call(Seed::new(1))?;
    /// assert_eq!(out.len(), 1);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_return_sites(mut self, sites: &[&str]) -> Self {
        self.return_sites = Some(sites.iter().map(|s| s.to_string()).collect());
        self
    }

    /// Runs the draws with `seed` (run `i` draws with `seed.fold_in(i)`); the named sites,
    /// each `[S, ...]`. A run that fails stops with an error naming the draw.
    ///
    /// ```
    /// use probrs::distributions::Normal;
    /// use probrs::ppl::{program, Predictive};
    /// use probrs::random::Seed;
    /// let model = program(|fx| fx.sample("z", Normal::new(0.0, 1.0)?));
    /// let p = Predictive::prior(model, 4);
    /// assert_eq!(p.call(Seed::new(3))?[0].1.to_vec()?, p.call(Seed::new(3))?[0].1.to_vec()?);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn call<T>(&self, seed_: Seed) -> Result<Vec<(String, Tensor)>>
    where
        P: Program<T> + Clone,
    {
        let mut stacked: Vec<(String, Vec<Tensor>)> = vec![];
        for i in 0..self.num_samples {
            let draw = self.posterior_samples.iter().map(|(n, t)| Ok((n.clone(), t.narrow(0, i, 1)?.squeeze(0)?))).collect::<Result<Vec<_>>>()?;
            let run = trace(seed(substitute(uncondition(self.model.clone()), draw), seed_.fold_in(i as u64)));
            let (_, tr) = run.get_trace().map_err(|e| Error::BadInput { location: format!("predictive draw {i}"), reason: e.to_string() })?;
            for site in tr.sites {
                let wanted = match &self.return_sites {
                    Some(r) => r.contains(&site.name),
                    None => !self.posterior_samples.iter().any(|(n, _)| *n == site.name),
                };
                if !wanted {
                    continue;
                }
                match stacked.iter_mut().find(|(n, _)| *n == site.name) {
                    Some((_, v)) => v.push(site.value.unsqueeze(0)?),
                    None => stacked.push((site.name, vec![site.value.unsqueeze(0)?])),
                }
            }
        }
        if let Some(r) = &self.return_sites {
            if let Some(missing) = r.iter().find(|n| !stacked.iter().any(|(s, _)| s == *n)) {
                return Err(Error::invalid_parameter(missing.as_str(), format!("no site `{missing}` in the program")));
            }
        }
        stacked
            .into_iter()
            .map(|(n, v)| {
                if v.len() != self.num_samples {
                    return Err(Error::invalid_parameter(n.as_str(), format!("site `{n}` appeared in {} of {} runs", v.len(), self.num_samples)));
                }
                Ok((n, Tensor::concat(&v.iter().collect::<Vec<_>>(), 0)?))
            })
            .collect()
    }
}
