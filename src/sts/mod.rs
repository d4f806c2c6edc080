//! TFP's `tfp.sts` (Layer 4 of the seed overview): structural time series. The foundation is
//! the [`LinearGaussianStateSpaceModel`] distribution (Kalman filter log-likelihood, forward
//! filtering, RTS smoothing, posterior and prior simulation) with time-varying terms and missing
//! observations; components ([`LocalLevel`], [`LocalLinearTrend`], their [`Sum`] with
//! observation noise) implement [`StructuralTimeSeries`] and build one at given parameter
//! values. Fitting and forecasting build on these.
//!
//! ```
//! use probrs::distributions::Distribution;
//! use probrs::random::Seed;
//! use probrs::sts::{GaussianTerm, LinearGaussianStateSpaceModel};
//! use probrs::tensor::{DType, Tensor};
//! // A local linear trend: level and slope, the level observed with noise.
//! let a = Tensor::from_slice(&[1.0, 1.0, 0.0, 1.0], &[2, 2], DType::F64)?;
//! let h = Tensor::from_slice(&[1.0, 0.0], &[1, 2], DType::F64)?;
//! let ssm = LinearGaussianStateSpaceModel::new(
//!     20, &a, GaussianTerm::diag(&Tensor::vector(&[0.1, 0.01], DType::F64)?)?,
//!     &h, GaussianTerm::diag(&Tensor::vector(&[0.5], DType::F64)?)?,
//!     GaussianTerm::zero_mean(Tensor::eye(2, &[], DType::F64)?),
//! )?;
//! let series = ssm.sample(&[3], Seed::new(0))?; // three simulated series [3, 20, 1]
//! assert_eq!(ssm.log_prob(&series)?.shape(), &[3]);
//! # Ok::<(), probrs::Error>(())
//! ```

mod arima;
mod autoregressive;
pub mod datasets;
mod decompose;
mod dynamic_linear_regression;
mod fitting;
mod forecast;
mod linear_gaussian_ssm;
mod linear_regression;
mod local_level;
mod local_linear_trend;
mod observed;
mod queries;
mod seasonal;
mod semi_local_linear_trend;
mod smooth_seasonal;
mod sparse_linear_regression;
mod step_mixture;
mod structural_time_series;
mod sum;

pub use arima::AutoregressiveIntegratedMovingAverage;
pub use autoregressive::Autoregressive;
pub use decompose::{decompose_by_component, decompose_forecast_by_component, ComponentContribution};
pub use dynamic_linear_regression::DynamicLinearRegression;
pub use fitting::{build_factored_surrogate_posterior, fit_with_hmc, fit_with_vi, joint_log_prob, parameter_values, HmcFit, VariationalFit};
pub use forecast::{forecast, Forecast};
pub use linear_gaussian_ssm::{FilterResults, GaussianTerm, LinearGaussianStateSpaceModel, TimeVarying};
pub use linear_regression::LinearRegression;
pub use local_level::LocalLevel;
pub use local_linear_trend::LocalLinearTrend;
pub use observed::ObservedTimeSeries;
pub use queries::{detect_anomalies, impute_missing_values, one_step_predictive, AnomalyPredictions};
pub use seasonal::{Seasonal, SeasonalOptions, StepsPerSeason};
pub use semi_local_linear_trend::SemiLocalLinearTrend;
pub use smooth_seasonal::SmoothSeasonal;
pub use sparse_linear_regression::SparseLinearRegression;
pub use step_mixture::StepMixture;
pub use structural_time_series::{empirical_statistics, EmpiricalStatistics, Parameter, StateSpaceTerms, StructuralTimeSeries};
pub use sum::Sum;
