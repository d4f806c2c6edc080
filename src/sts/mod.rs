//! TFP's `tfp.sts` (Layer 4 of the seed overview): structural time series. So far its
//! foundation, the [`LinearGaussianStateSpaceModel`] distribution (Kalman filter log-likelihood,
//! forward filtering, RTS smoothing, simulation), with time-varying terms and missing
//! observations; the components, fitting and forecasting build on it.
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

mod linear_gaussian_ssm;

pub use linear_gaussian_ssm::{FilterResults, GaussianTerm, LinearGaussianStateSpaceModel, TimeVarying};
