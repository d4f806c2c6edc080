//! TFP's `sts.Sum`: an additive model. Each component's state is stacked (block-diagonal
//! transitions and noises, observation rows side by side), and the observation adds Gaussian
//! noise and a constant offset:
//!
//! ```text
//! y_t = Σ_c H_c z_{c,t} + constant_offset + N(0, observation_noise_scale²)
//! ```
//! Defaults from the observed series: `observation_noise_scale ~ LogNormal(log(0.01 σ), 2)`
//! through `Scale(σ) ∘ Softplus`, `constant_offset` = the series' mean (the components' priors
//! are centered on it). Parameters: `observation_noise_scale`, then each component's, named
//! `{component}_{parameter}` (TFP's names).

use std::sync::Arc;

use super::linear_gaussian_ssm::Combiner;
use super::structural_time_series::{scalar_values, scale_parameter, stats_of};
use super::{EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries, TimeVarying};
use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// A sum of components with observation noise (module doc).
///
/// ```
/// use probrs::distributions::Distribution;
/// use probrs::sts::{LocalLevel, LocalLinearTrend, StructuralTimeSeries, Sum};
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::Arc;
/// let y = Tensor::vector(&[1.0, 3.0, 2.0, 4.0, 5.0], DType::F64)?;
/// let model = Sum::new(vec![Arc::new(LocalLinearTrend::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
/// let names: Vec<String> = model.parameters().into_iter().map(|p| p.name).collect();
/// assert_eq!(names, ["observation_noise_scale", "LocalLinearTrend_level_scale", "LocalLinearTrend_slope_scale"]);
/// let v = |x: f64| Tensor::vector(&[x], DType::F64);
/// let ssm = model.make_state_space_model(5, &[v(0.5)?, v(0.2)?, v(0.1)?])?;
/// assert!(ssm.log_prob(&y.reshape(&[5, 1])?)?.to_scalar()?.is_finite());
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Sum {
    components: Vec<Arc<dyn StructuralTimeSeries>>,
    stats: EmpiricalStatistics,
    dtype: DType,
    params: Vec<Parameter>,
}

impl Sum {
    /// The sum of `components` (uniquely named), its observation-noise prior and offset from
    /// `observed_time_series` (a unit, zero-mean series when `None`).
    ///
    /// ```
    /// use probrs::sts::{LocalLevel, Sum};
    /// use probrs::tensor::DType;
    /// use std::sync::Arc;
    /// let twice = vec![Arc::new(LocalLevel::new(None, DType::F64)?) as Arc<dyn probrs::sts::StructuralTimeSeries>; 2];
    /// assert!(Sum::new(twice, None, DType::F64).is_err_and(|e| e.to_string().contains("LocalLevel")));
    /// assert!(Sum::new(vec![], None, DType::F64).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(components: Vec<Arc<dyn StructuralTimeSeries>>, observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        if components.is_empty() {
            return Err(Error::invalid_parameter("components", "a Sum needs at least one component"));
        }
        for (i, c) in components.iter().enumerate() {
            if components[..i].iter().any(|d| d.name() == c.name()) {
                return Err(Error::invalid_parameter("components", format!("two components are named `{}`; names must be unique", c.name())));
            }
        }
        let stats = stats_of(observed_time_series)?;
        let mut params = vec![scale_parameter("observation_noise_scale", 0.01, 2.0, stats.stddev, dtype)?];
        for c in &components {
            params.extend(c.parameters().into_iter().map(|p| Parameter { name: format!("{}_{}", c.name(), p.name), ..p }));
        }
        Ok(Sum { components, stats, dtype, params })
    }

    /// The same model with some parameters' priors replaced (TFP's components take
    /// `level_scale_prior=...` and the like; here any parameter of the sum, named as
    /// [`parameters`](StructuralTimeSeries::parameters) lists it). A prior must keep the
    /// parameter's event shape and dtype; an unknown name is an error listing the names.
    ///
    /// ```
    /// use probrs::distributions::{Distribution, LogNormal};
    /// use probrs::sts::{LocalLevel, StructuralTimeSeries, Sum};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let s = Sum::new(vec![Arc::new(LocalLevel::new(None, DType::F64)?)], None, DType::F64)?;
    /// let tight = LogNormal::new(Tensor::scalar(-3.0, DType::F64)?, Tensor::scalar(0.1, DType::F64)?)?;
    /// let s = s.with_priors(vec![("LocalLevel_level_scale", Arc::new(tight))])?;
    /// assert!((s.parameters()[1].prior.mean()?.to_scalar()? - (-3.0f64 + 0.005).exp()).abs() < 1e-12);
    /// assert!(s.with_priors(vec![("level", Arc::new(LogNormal::new(0.0, 1.0)?))]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_priors(mut self, priors: Vec<(&str, Arc<dyn Distribution>)>) -> Result<Self> {
        for (name, prior) in priors {
            let names: Vec<String> = self.params.iter().map(|p| p.name.clone()).collect();
            let Some(p) = self.params.iter_mut().find(|p| p.name == name) else {
                return Err(Error::invalid_parameter("priors", format!("no parameter `{name}`; the model's are {}", names.join(", "))));
            };
            if prior.event_shape() != p.prior.event_shape() || prior.dtype() != p.prior.dtype() {
                return Err(Error::invalid_parameter(name.to_string(), format!("the prior's event shape {:?} and dtype {} must be the parameter's, {:?} and {}", prior.event_shape(), prior.dtype().name(), p.prior.event_shape(), p.prior.dtype().name())));
            }
            p.prior = prior;
        }
        Ok(self)
    }

    /// The constant added to every observation (the observed series' mean).
    ///
    /// ```
    /// use probrs::sts::{LocalLevel, Sum};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let y = Tensor::vector(&[1.0, 3.0], DType::F64)?;
    /// let s = Sum::new(vec![Arc::new(LocalLevel::new(Some(&y), DType::F64)?)], Some(&y), DType::F64)?;
    /// assert_eq!(s.constant_offset(), 2.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn constant_offset(&self) -> f64 {
        self.stats.mean
    }

    /// The components, in order.
    ///
    /// ```
    /// use probrs::sts::{LocalLevel, StructuralTimeSeries, Sum};
    /// use probrs::tensor::DType;
    /// use std::sync::Arc;
    /// let s = Sum::new(vec![Arc::new(LocalLevel::new(None, DType::F64)?)], None, DType::F64)?;
    /// assert_eq!(s.components()[0].name(), "LocalLevel");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn components(&self) -> &[Arc<dyn StructuralTimeSeries>] {
        &self.components
    }

    /// `param_vals` (the sum's, observation noise first) split into each component's.
    ///
    /// ```
    /// use probrs::sts::{LocalLevel, LocalLinearTrend, Sum};
    /// use probrs::tensor::{DType, Tensor};
    /// use std::sync::Arc;
    /// let s = Sum::new(vec![Arc::new(LocalLevel::new(None, DType::F64)?), Arc::new(LocalLinearTrend::new(None, DType::F64)?)], None, DType::F64)?;
    /// let vals: Vec<Tensor> = (0..4).map(|i| Tensor::vector(&[i as f64], DType::F64)).collect::<probrs::Result<_>>()?;
    /// let parts = s.split_parameter_values(&vals)?;
    /// assert_eq!((parts[0].len(), parts[1].len()), (1, 2));
    /// assert!(s.split_parameter_values(&vals[..3]).is_err());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn split_parameter_values<'a>(&self, param_vals: &'a [Tensor]) -> Result<Vec<&'a [Tensor]>> {
        if param_vals.len() != self.params.len() {
            return Err(Error::ShapeMismatch { context: "Sum: parameter values".into(), lhs: vec![param_vals.len()], rhs: vec![self.params.len()] });
        }
        let mut at = 1;
        Ok(self
            .components
            .iter()
            .map(|c| {
                let n = c.parameters().len();
                at += n;
                &param_vals[at - n..at]
            })
            .collect())
    }
}

/// `[[B_0, 0, ...], [0, B_1, ...], ...]` from square blocks, differentiable in each.
fn block_diagonal(blocks: &[Tensor], dtype: DType) -> Result<Tensor> {
    let total: usize = blocks.iter().map(|b| b.shape()[0]).sum();
    let mut rows = Vec::with_capacity(blocks.len());
    let mut before = 0;
    for b in blocks {
        let k = b.shape()[0];
        if k == 0 {
            continue; // a component without state (a regression)
        }
        let mut parts = Vec::new();
        if before > 0 {
            parts.push(Tensor::zeros(&[k, before], dtype)?);
        }
        parts.push(b.clone());
        if total - before - k > 0 {
            parts.push(Tensor::zeros(&[k, total - before - k], dtype)?);
        }
        rows.push(Tensor::concat(&parts.iter().collect::<Vec<_>>(), 1)?);
        before += k;
    }
    Tensor::concat(&rows.iter().collect::<Vec<_>>(), 0)
}

impl StructuralTimeSeries for Sum {
    fn name(&self) -> &str {
        "Sum"
    }
    fn latent_size(&self) -> usize {
        self.components.iter().map(|c| c.latent_size()).sum()
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let terms = self.components.iter().zip(self.split_parameter_values(param_vals)?).map(|(c, v)| c.state_space_terms(v)).collect::<Result<Vec<_>>>()?;
        let d = self.dtype;
        let pick = |f: fn(&StateSpaceTerms) -> &TimeVarying| terms.iter().map(|t| f(t).clone()).collect::<Vec<_>>();
        let diag: Combiner = Arc::new(move |b: &[Tensor]| block_diagonal(b, d));
        let side_by_side: Combiner = Arc::new(|h: &[Tensor]| Tensor::concat(&h.iter().collect::<Vec<_>>(), h[0].rank() - 1));
        // Transition means side by side, zeros for the components without one.
        let any_loc = terms.iter().any(|t| t.transition_loc.is_some());
        let locs: Vec<TimeVarying> = terms.iter().map(|t| t.transition_loc.clone().map_or_else(|| Ok(TimeVarying::Constant(Tensor::zeros(&[t.initial_loc.elem_count()], d)?)), Ok)).collect::<Result<_>>()?;
        let stacked: Combiner = Arc::new(|b: &[Tensor]| Tensor::concat(&b.iter().collect::<Vec<_>>(), 0));
        let offsets: Vec<TimeVarying> = terms.iter().filter_map(|t| t.observation_loc.clone()).collect();
        let total: Combiner = Arc::new(|v: &[Tensor]| v[1..].iter().try_fold(v[0].clone(), |acc, x| acc.add(x)));
        let initial = |f: fn(&StateSpaceTerms) -> &Tensor| terms.iter().map(|t| f(t).clone()).collect::<Vec<_>>();
        Ok(StateSpaceTerms {
            transition_matrix: TimeVarying::combine(&pick(|t| &t.transition_matrix), diag.clone())?,
            transition_covariance: TimeVarying::combine(&pick(|t| &t.transition_covariance), diag)?,
            transition_loc: if any_loc { Some(TimeVarying::combine(&locs, stacked)?) } else { None },
            observation_matrix: TimeVarying::combine(&pick(|t| &t.observation_matrix), side_by_side)?,
            observation_loc: if offsets.is_empty() { None } else { Some(TimeVarying::combine(&offsets, total)?) },
            initial_loc: Tensor::concat(&initial(|t| &t.initial_loc).iter().collect::<Vec<_>>(), 0)?,
            initial_covariance: block_diagonal(&initial(|t| &t.initial_covariance), d)?,
        })
    }
    fn max_timesteps(&self) -> Option<(usize, String)> {
        self.components.iter().filter_map(|c| c.max_timesteps()).min_by_key(|(m, _)| *m)
    }
    fn observation_noise(&self, param_vals: &[Tensor]) -> Result<Option<(Tensor, f64)>> {
        let first = param_vals.first().cloned().into_iter().collect::<Vec<_>>();
        Ok(Some((scalar_values("Sum", &first, 1)?.remove(0), self.stats.mean)))
    }
}
