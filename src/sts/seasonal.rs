//! TFP's `sts.Seasonal`: `num_seasons` recurring effects, each active for a number of steps,
//! each drifting by a Gaussian random walk from one occurrence to the next:
//!
//! ```text
//! effect[season, occurrence i] = effect[season, occurrence i − 1] + N(0, drift_scale²)
//! ```
//! The state holds the effects with the current season's first; when a season ends (step `t`
//! is the last of its season: `t mod Σ steps` is in `cumsum(num_steps_per_season) − 1`) the
//! state rotates to the next season and the ended season's effect drifts; otherwise it stays.
//! The observation is the current season's effect.
//!
//! With `constrain_mean_effect_to_zero` (the default) the effects sum to zero: the state is the
//! first `N − 1` effects (the last is minus their sum), the rotation is `z'_i = z_{i+1}` with
//! the last row `−1` throughout, the drift adds `N(0, (drift_scale/N)² 1 1ᵀ)` and the initial
//! covariance is `σ₀² (I − 1/N)` (TFP's `ConstrainedSeasonalStateSpaceModel`, derived in its
//! docstring). Without it the state is all `N` effects, rotated by a permutation, and the drift
//! goes to the ended season alone (`SeasonalStateSpaceModel`).
//!
//! Default priors from the observed series: each initial effect `N(initial_centered,
//! (|initial_centered| + σ)²)`, `drift_scale ~ LogNormal(log(0.01 σ), 3)` through
//! `Scale(σ) ∘ Softplus`.

use std::sync::Arc;

use super::structural_time_series::{scalar_values, scale_parameter, stats_of};
use super::{EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries, TimeVarying};
use crate::distributions::Distribution;
use crate::error::{Error, Result};
use crate::tensor::{DType, Tensor};

/// How many steps each season lasts (TFP's `num_steps_per_season`).
///
/// ```
/// use probrs::sts::StepsPerSeason;
/// // Day-of-week effects on hourly data; months on daily data with a leap year every fourth.
/// let hourly = StepsPerSeason::Each(24);
/// let months = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/// let mut leap = months;
/// leap[1] = 29;
/// let daily = StepsPerSeason::Cycles(vec![months.to_vec(), leap.to_vec(), months.to_vec(), months.to_vec()]);
/// assert_eq!((hourly.cycle_length(7), daily.cycle_length(12)), (168, 1461));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum StepsPerSeason {
    /// Every season lasts this many steps.
    Each(usize),
    /// Season `i` lasts `v[i]` steps in every cycle.
    PerSeason(Vec<usize>),
    /// Season `i` of cycle `c` lasts `v[c][i]` steps (cycles repeat).
    Cycles(Vec<Vec<usize>>),
}

impl StepsPerSeason {
    /// The steps in one full cycle of all seasons (of all listed cycles).
    ///
    /// ```
    /// assert_eq!(probrs::sts::StepsPerSeason::PerSeason(vec![2, 3]).cycle_length(2), 5);
    /// ```
    pub fn cycle_length(&self, num_seasons: usize) -> usize {
        self.flat(num_seasons).iter().sum()
    }

    fn flat(&self, num_seasons: usize) -> Vec<usize> {
        match self {
            StepsPerSeason::Each(n) => vec![*n; num_seasons],
            StepsPerSeason::PerSeason(v) => v.clone(),
            StepsPerSeason::Cycles(c) => c.concat(),
        }
    }

    fn check(&self, num_seasons: usize) -> Result<()> {
        let ok = match self {
            StepsPerSeason::Each(n) => *n > 0,
            StepsPerSeason::PerSeason(v) => v.len() == num_seasons && v.iter().all(|n| *n > 0),
            StepsPerSeason::Cycles(c) => !c.is_empty() && c.iter().all(|v| v.len() == num_seasons && v.iter().all(|n| *n > 0)),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::invalid_parameter("num_steps_per_season", format!("expected positive step counts, one per season ({num_seasons}) in each cycle; got {self:?}")))
        }
    }
}

/// A seasonal component's settings beyond the number of seasons; `Default` is TFP's.
///
/// ```
/// use probrs::sts::{SeasonalOptions, StepsPerSeason};
/// let o = SeasonalOptions { num_steps_per_season: StepsPerSeason::Each(24), name: Some("day_of_week".into()), ..Default::default() };
/// assert!(o.allow_drift && o.constrain_mean_effect_to_zero);
/// ```
#[derive(Clone)]
pub struct SeasonalOptions {
    /// Steps per season (default 1).
    pub num_steps_per_season: StepsPerSeason,
    /// Effects drift between occurrences (default true); `false` removes `drift_scale`.
    pub allow_drift: bool,
    /// Effects sum to zero (default true).
    pub constrain_mean_effect_to_zero: bool,
    /// `drift_scale`'s prior (default: `LogNormal(log(0.01 σ), 3)`).
    pub drift_scale_prior: Option<Arc<dyn Distribution>>,
    /// Each season's initial effect `N(loc, scale²)`, independently (TFP's scalar `Normal`
    /// form; default: `(initial_centered, |initial_centered| + σ)`).
    pub initial_effect_prior: Option<(f64, f64)>,
    /// A joint prior on the `N` initial effects, `N(loc [N], covariance [N × N] row-major)`
    /// (TFP's multivariate `initial_effect_prior`); overrides `initial_effect_prior`. With the
    /// zero-sum constraint it is mapped to the constrained coordinates (`E2R loc`,
    /// `E2R C E2Rᵀ`).
    pub initial_effects_prior: Option<(Vec<f64>, Vec<f64>)>,
    /// The component's name (default `"Seasonal"`); names must be unique within a `Sum`.
    pub name: Option<String>,
}

impl Default for SeasonalOptions {
    fn default() -> Self {
        SeasonalOptions { num_steps_per_season: StepsPerSeason::Each(1), allow_drift: true, constrain_mean_effect_to_zero: true, drift_scale_prior: None, initial_effect_prior: None, initial_effects_prior: None, name: None }
    }
}

/// A seasonal component (module doc).
///
/// ```
/// use probrs::sts::{Seasonal, StructuralTimeSeries};
/// use probrs::tensor::{DType, Tensor};
/// let s = Seasonal::new(4, None, DType::F64)?;
/// assert_eq!((s.latent_size(), s.parameters()[0].name.as_str()), (3, "drift_scale"));
/// let terms = s.state_space_terms(&[Tensor::vector(&[0.4], DType::F64)?])?;
/// // The constrained rotation: z'_0 = z_1, z'_1 = z_2, z'_2 = −(z_0 + z_1 + z_2).
/// assert_eq!(terms.transition_matrix.at(0)?.to_vec()?, vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0, -1.0, -1.0, -1.0]);
/// // The drift (0.4 / 4)² reaches every constrained effect.
/// assert!(terms.transition_covariance.at(0)?.to_vec()?.iter().all(|v| (v - 0.01).abs() < 1e-15));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone)]
pub struct Seasonal {
    num_seasons: usize,
    options: SeasonalOptions,
    name: String,
    /// The initial effects' common mean and standard deviation.
    initial_effect: (f64, f64),
    changepoints: Vec<usize>,
    cycle: usize,
    dtype: DType,
    params: Vec<Parameter>,
}

impl Seasonal {
    /// `num_seasons` seasons of one step each, with TFP's default priors scaled to
    /// `observed_time_series` (`[T]` or `[T, 1]`, NaN for missing values; a unit series when
    /// `None`).
    ///
    /// ```
    /// use probrs::sts::Seasonal;
    /// use probrs::tensor::{DType, Tensor};
    /// let short = Tensor::vector(&[1.0, 2.0, 3.0], DType::F64)?;
    /// let err = Seasonal::new(12, Some(&short), DType::F64).err().unwrap().to_string();
    /// assert!(err.contains("Seasonal") && err.contains("3 steps"), "{err}");
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(num_seasons: usize, observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        Seasonal::with_options(num_seasons, SeasonalOptions::default(), observed_time_series, dtype)
    }

    /// The component with `options` (a name, steps per season, drift, priors, constraint).
    /// A series shorter than one cycle of seasons is an error naming the component.
    ///
    /// ```
    /// use probrs::sts::{Seasonal, SeasonalOptions, StepsPerSeason, StructuralTimeSeries};
    /// use probrs::tensor::DType;
    /// let weekly = SeasonalOptions { num_steps_per_season: StepsPerSeason::Each(24), constrain_mean_effect_to_zero: false, allow_drift: false, name: Some("day_of_week".into()), ..Default::default() };
    /// let s = Seasonal::with_options(7, weekly, None, DType::F64)?;
    /// assert_eq!((s.name(), s.latent_size(), s.parameters().len()), ("day_of_week", 7, 0));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn with_options(num_seasons: usize, options: SeasonalOptions, observed_time_series: Option<&Tensor>, dtype: DType) -> Result<Self> {
        if num_seasons < 2 {
            return Err(Error::invalid_parameter("num_seasons", format!("a seasonal component needs at least 2 seasons, got {num_seasons}")));
        }
        options.num_steps_per_season.check(num_seasons)?;
        let name = options.name.clone().unwrap_or_else(|| "Seasonal".into());
        let flat = options.num_steps_per_season.flat(num_seasons);
        let cycle: usize = flat.iter().sum();
        let one_cycle: usize = flat[..num_seasons].iter().sum();
        if let Some(y) = observed_time_series {
            let len = y.shape().first().copied().unwrap_or(0);
            if len < one_cycle {
                return Err(Error::invalid_parameter("observed_time_series", format!("component `{name}`: the series has {len} steps, fewer than one cycle of its {num_seasons} seasons ({one_cycle} steps)")));
            }
        }
        if let Some((m, c)) = &options.initial_effects_prior {
            let symmetric = (0..num_seasons).all(|i| (0..num_seasons).all(|j| c.len() == num_seasons * num_seasons && c[i * num_seasons + j] == c[j * num_seasons + i]));
            if m.len() != num_seasons || !symmetric || m.iter().chain(c).any(|v| !v.is_finite()) || (0..num_seasons).any(|i| c[i * num_seasons + i] < 0.0) {
                return Err(Error::invalid_parameter("initial_effects_prior", format!("expected a finite mean of {num_seasons} effects and a symmetric {num_seasons} × {num_seasons} covariance")));
            }
        }
        let stats: EmpiricalStatistics = stats_of(observed_time_series)?;
        let initial_effect = options.initial_effect_prior.unwrap_or((stats.initial_centered, stats.initial_centered.abs() + stats.stddev));
        if !(initial_effect.1 > 0.0 && initial_effect.0.is_finite() && initial_effect.1.is_finite()) {
            return Err(Error::invalid_parameter("initial_effect_prior", format!("expected a finite mean and a positive scale, got {initial_effect:?}")));
        }
        let mut params = Vec::new();
        if options.allow_drift {
            let mut p = scale_parameter("drift_scale", 0.01, 3.0, stats.stddev, dtype)?;
            if let Some(prior) = &options.drift_scale_prior {
                p.prior = prior.clone();
            }
            params.push(p);
        }
        let mut changepoints: Vec<usize> = flat.iter().scan(0, |acc, n| {
            *acc += n;
            Some(*acc - 1)
        }).collect();
        changepoints.sort_unstable();
        Ok(Seasonal { num_seasons, options, name, initial_effect, changepoints, cycle, dtype, params })
    }

    /// Whether step `t` is the last of its season (the state rotates after it).
    ///
    /// ```
    /// use probrs::sts::{Seasonal, SeasonalOptions, StepsPerSeason};
    /// use probrs::tensor::DType;
    /// let o = SeasonalOptions { num_steps_per_season: StepsPerSeason::PerSeason(vec![2, 1]), ..Default::default() };
    /// let s = Seasonal::with_options(2, o, None, DType::F64)?;
    /// assert_eq!((0..6).map(|t| s.is_last_day_of_season(t)).collect::<Vec<_>>(), [false, true, true, false, true, true]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_last_day_of_season(&self, t: usize) -> bool {
        self.changepoints.binary_search(&(t % self.cycle)).is_ok()
    }

    /// The number of seasons.
    ///
    /// ```
    /// assert_eq!(probrs::sts::Seasonal::new(7, None, probrs::tensor::DType::F64)?.num_seasons(), 7);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn num_seasons(&self) -> usize {
        self.num_seasons
    }
}

impl StructuralTimeSeries for Seasonal {
    fn name(&self) -> &str {
        &self.name
    }
    fn latent_size(&self) -> usize {
        if self.options.constrain_mean_effect_to_zero {
            self.num_seasons - 1
        } else {
            self.num_seasons
        }
    }
    fn parameters(&self) -> Vec<Parameter> {
        self.params.clone()
    }
    fn state_space_terms(&self, param_vals: &[Tensor]) -> Result<StateSpaceTerms> {
        let (n, k, d) = (self.num_seasons, self.latent_size(), self.dtype);
        let drift = match self.options.allow_drift {
            true => scalar_values(&self.name, param_vals, 1)?.remove(0),
            false => {
                scalar_values(&self.name, param_vals, 0)?;
                Tensor::zeros(&[1], d)?
            }
        };
        let constrained = self.options.constrain_mean_effect_to_zero;
        // The rotation when a season ends.
        let mut rotate = vec![0.0; k * k];
        for i in 0..k - 1 {
            rotate[i * k + i + 1] = 1.0;
        }
        if constrained {
            rotate[(k - 1) * k..].fill(-1.0);
        } else {
            rotate[(k - 1) * k] = 1.0;
        }
        let rotate = Tensor::from_slice(&rotate, &[k, k], d)?;
        // The drift's covariance when a season ends.
        let drift_cov = if constrained {
            drift.mul_scalar(1.0 / n as f64)?.square()?.reshape(&[1, 1])?.broadcast_to(&[k, k])?
        } else {
            let mut e = vec![0.0; k * k];
            e[k * k - 1] = 1.0;
            Tensor::from_slice(&e, &[k, k], d)?.mul(&drift.square()?.reshape(&[1, 1])?)?
        };
        let (loc, scale) = self.initial_effect;
        let (initial_loc, initial_covariance) = if let Some((m, c)) = &self.options.initial_effects_prior {
            if constrained {
                // E2R = (I − 1/N) without its last row: residuals of the first N − 1 effects.
                let e2r: Vec<f64> = (0..k * n).map(|e| if e / n == e % n { 1.0 } else { 0.0 } - 1.0 / n as f64).collect();
                let e2r = Tensor::from_slice(&e2r, &[k, n], d)?;
                let (m, c) = (Tensor::from_slice(m, &[n, 1], d)?, Tensor::from_slice(c, &[n, n], d)?);
                (e2r.matmul(&m)?.reshape(&[k])?, e2r.matmul(&c)?.matmul(&e2r.matrix_transpose()?)?)
            } else {
                (Tensor::from_slice(m, &[n], d)?, Tensor::from_slice(c, &[n, n], d)?)
            }
        } else if constrained {
            // E2R (loc 1) = 0; E2R diag(scale²) E2Rᵀ = scale² (I − 1/N) on the first N − 1.
            let cov: Vec<f64> = (0..k * k).map(|e| scale * scale * (if e / k == e % k { 1.0 } else { 0.0 } - 1.0 / n as f64)).collect();
            (Tensor::zeros(&[k], d)?, Tensor::from_slice(&cov, &[k, k], d)?)
        } else {
            (Tensor::full(loc, &[k], d)?, Tensor::eye(k, &[], d)?.mul_scalar(scale * scale)?)
        };
        let mut h = vec![0.0; k];
        h[0] = 1.0;
        let observation_matrix = Tensor::from_slice(&h, &[1, k], d)?;
        let every_step = self.changepoints.len() == self.cycle;
        let (transition_matrix, transition_covariance) = if every_step {
            (TimeVarying::Constant(rotate), TimeVarying::Constant(drift_cov))
        } else {
            // Value 0 when the season continues (identity, no drift), 1 when it ends.
            let stay = Tensor::eye(k, &[], d)?;
            let (changepoints, cycle) = (self.changepoints.clone(), self.cycle);
            let index: Arc<dyn Fn(usize) -> Option<usize> + Send + Sync> = Arc::new(move |t| Some(changepoints.binary_search(&(t % cycle)).is_ok() as usize));
            (
                TimeVarying::Indexed { values: Tensor::concat(&[&stay.unsqueeze(0)?, &rotate.unsqueeze(0)?], 0)?, index: index.clone() },
                TimeVarying::Indexed { values: Tensor::concat(&[&drift_cov.zeros_like()?.unsqueeze(0)?, &drift_cov.unsqueeze(0)?], 0)?, index },
            )
        };
        Ok(StateSpaceTerms { transition_matrix, transition_covariance, transition_loc: None, observation_matrix: observation_matrix.into(), observation_loc: None, initial_loc, initial_covariance })
    }
}
