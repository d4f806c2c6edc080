//! What a statsmodels user reads after a GLM fit (`GLMResults.summary()`): standard errors,
//! z statistics, p-values and 95% intervals per coefficient, the deviance, Pearson's χ², the
//! log-likelihood, AIC and BIC, and the dispersion ("scale").
//!
//! At the fitted `μᵢ = μ(rᵢ)`, with Fisher weights `Wᵢ = μ'ᵢ² / Varᵢ`:
//!
//! ```text
//! Cov(β̂) = φ (XᵀWX)⁻¹           se = √diag,  z = β̂ / se,  p = 2 Φ(−|z|)
//! φ = Σ (yᵢ − μᵢ)² / Varᵢ / (n − p)   for the normal, gamma and log-normal families
//!                                     (statsmodels' Pearson estimate), else 1
//! deviance = Σ d(yᵢ, μᵢ)              (the family's unit deviance)
//! AIC = −2 ℓ + 2p,   BIC = −2 ℓ + p log n   (statsmodels' `aic` and `bic_llf`)
//! ```
//!
//! `ℓ` is statsmodels' `llf`: the family's log-likelihood with the dispersion `φ` (for the
//! identity-link normal family, `φ = RSS / n`, statsmodels' maximum-likelihood scale there).
//! A known `dispersion` given to the fit replaces the estimate. The covariance ignores any L2
//! penalty (as statsmodels' unpenalized fit).

use crate::error::{Error, Result};

use super::family::ExponentialFamily;
use super::fit::{FitOptions, GlmData, GlmFit};

/// The summary of a GLM fit.
///
/// ```
/// use probrs::glm::{fit_data, FitOptions, GlmData, GlmSummary, Normal};
/// let data = GlmData::from_rows(vec![1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0], vec![1.1, 2.9, 5.2, 6.8], 2, &Normal::default())?;
/// let options = FitOptions::default();
/// let s = GlmSummary::new(&data, &Normal::default(), &fit_data(&data, &Normal::default(), &options)?, &options)?;
/// // The Gaussian family's scale is the residual variance RSS / (n − p).
/// let rss: f64 = [1.1, 2.9, 5.2, 6.8].iter().enumerate().map(|(i, y)| (y - s.coefficients[0] - s.coefficients[1] * i as f64).powi(2)).sum();
/// assert!((s.scale - rss / 2.0).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct GlmSummary {
    /// The family's name.
    pub family: String,
    /// Column names.
    pub names: Vec<String>,
    /// β̂.
    pub coefficients: Vec<f64>,
    /// Standard errors.
    pub standard_errors: Vec<f64>,
    /// `β̂ / se`.
    pub z: Vec<f64>,
    /// Two-sided p-values of the z statistics.
    pub p_values: Vec<f64>,
    /// 95% Wald intervals `(lower, upper)`.
    pub conf_int: Vec<(f64, f64)>,
    /// `φ Cov`: the coefficients' covariance matrix, row-major `[D, D]`.
    pub covariance: Vec<f64>,
    /// The deviance.
    pub deviance: f64,
    /// Pearson's χ².
    pub pearson_chi2: f64,
    /// The dispersion φ used for the standard errors (statsmodels' `scale`).
    pub scale: f64,
    /// The log-likelihood ℓ (statsmodels' `llf`).
    pub log_likelihood: f64,
    /// `−2ℓ + 2p`.
    pub aic: f64,
    /// `−2ℓ + p log n`.
    pub bic: f64,
    /// Observations.
    pub nobs: usize,
    /// `n − p`.
    pub df_resid: usize,
    /// Fisher-scoring steps and whether they converged.
    pub iterations: usize,
    /// Whether the fit converged.
    pub converged: bool,
}

impl GlmSummary {
    /// The summary of `fit` (from [`fit_data`](super::fit_data) on `data` with `options`).
    ///
    /// ```
    /// use probrs::glm::{fit_data, FitOptions, GlmData, GlmSummary, Poisson};
    /// use probrs::tensor::{DType, Tensor};
    /// let x = Tensor::from_slice(&[1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0], &[4, 2], DType::F64)?;
    /// let y = Tensor::vector(&[1.0, 2.0, 4.0, 9.0], DType::F64)?;
    /// let data = GlmData::new(&x, &y, &Poisson)?.with_names(&["const", "t"])?;
    /// let options = FitOptions::default();
    /// let fit = fit_data(&data, &Poisson, &options)?;
    /// let s = GlmSummary::new(&data, &Poisson, &fit, &options)?;
    /// assert_eq!((s.nobs, s.df_resid, s.scale), (4, 2, 1.0));
    /// assert!(s.standard_errors.iter().all(|v| *v > 0.0));
    /// assert!(s.to_string().contains("const"));
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(data: &GlmData, model: &dyn ExponentialFamily, fit: &GlmFit, options: &FitOptions) -> Result<Self> {
        let (n, d) = (data.n, data.d);
        if fit.model_coefficients.len() != d || fit.predicted_linear_response.len() != n {
            return Err(Error::ShapeMismatch { context: "glm summary: fit vs data".into(), lhs: vec![fit.predicted_linear_response.len(), fit.model_coefficients.len()], rhs: vec![n, d] });
        }
        let r = &fit.predicted_linear_response;
        let (mut w, mut pearson, mut deviance, mut rss) = (vec![0f64; n], 0.0, 0.0, 0.0);
        for i in 0..n {
            let (mu, var, g) = model.call(r[i]);
            let y = data.y[i];
            w[i] = if super::fit::informative(var, g) { g / var.sqrt() } else { 0.0 };
            pearson += (y - mu) * (y - mu) / var;
            deviance += model.unit_deviance(y, mu);
            rss += (y - mu) * (y - mu);
        }
        let df_resid = n.saturating_sub(d);
        let scale = match options.dispersion {
            Some(phi) => phi,
            None if model.estimates_dispersion() => pearson / df_resid.max(1) as f64,
            None => 1.0,
        };
        // statsmodels' llf: the identity-link Gaussian at its ML scale RSS/n.
        let llf_scale = if model.name() == "Normal" && options.dispersion.is_none() { rss / n as f64 } else { scale };
        let log_likelihood: f64 = (0..n).map(|i| model.log_prob_with_dispersion(data.y[i], r[i], llf_scale)).sum();
        let (info, _) = data.weighted_gram(&w, &vec![0.0; n])?;
        use faer::linalg::solvers::DenseSolveCore;
        let cov = super::fit::spd_factor(&info, &data.names, "glm summary")?.inverse();
        let covariance: Vec<f64> = (0..d * d).map(|k| scale * cov[(k / d, k % d)]).collect();
        let standard_errors: Vec<f64> = (0..d).map(|j| covariance[j * d + j].sqrt()).collect();
        let beta = fit.model_coefficients.clone();
        let z: Vec<f64> = beta.iter().zip(&standard_errors).map(|(b, s)| b / s).collect();
        let p_values = z.iter().map(|z| 2.0 * crate::tensor::special::ndtr_scalar(-z.abs())).collect();
        const Z975: f64 = 1.959_963_984_540_054;
        let conf_int = beta.iter().zip(&standard_errors).map(|(b, s)| (b - Z975 * s, b + Z975 * s)).collect();
        let p = d as f64;
        Ok(GlmSummary {
            family: model.name().to_string(),
            names: data.names.clone(),
            coefficients: beta,
            standard_errors,
            z,
            p_values,
            conf_int,
            covariance,
            deviance,
            pearson_chi2: pearson,
            scale,
            log_likelihood,
            aic: -2.0 * log_likelihood + 2.0 * p,
            bic: -2.0 * log_likelihood + p * (n as f64).ln(),
            nobs: n,
            df_resid,
            iterations: fit.iter,
            converged: fit.is_converged,
        })
    }
}

impl std::fmt::Display for GlmSummary {
    /// statsmodels' layout: a header of fit statistics, then one row per coefficient.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rule = "=".repeat(78);
        writeln!(f, "{:^78}", "Generalized Linear Model Regression Results")?;
        writeln!(f, "{rule}")?;
        let rows = [
            ("Model Family:", self.family.clone(), "No. Observations:", self.nobs.to_string()),
            ("Method:", "IRLS (Fisher scoring)".into(), "Df Residuals:", self.df_resid.to_string()),
            ("Converged:", self.converged.to_string(), "Df Model:", (self.coefficients.len().saturating_sub(1)).to_string()),
            ("No. Iterations:", self.iterations.to_string(), "Scale:", format!("{:.4}", self.scale)),
            ("Log-Likelihood:", format!("{:.3}", self.log_likelihood), "Deviance:", format!("{:.4}", self.deviance)),
            ("AIC:", format!("{:.3}", self.aic), "Pearson chi2:", format!("{:.4}", self.pearson_chi2)),
            ("BIC:", format!("{:.3}", self.bic), "", String::new()),
        ];
        for (a, b, c, e) in rows {
            writeln!(f, "{a:<16}{b:>22}   {c:<18}{e:>19}")?;
        }
        writeln!(f, "{rule}")?;
        let width = self.names.iter().map(|s| s.len()).max().unwrap_or(4).max(10);
        writeln!(f, "{:<width$} {:>10} {:>10} {:>8} {:>7} {:>10} {:>10}", "", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]")?;
        writeln!(f, "{}", "-".repeat(78))?;
        for j in 0..self.names.len() {
            writeln!(f, "{:<width$} {:>10.4} {:>10.3} {:>8.3} {:>7.3} {:>10.3} {:>10.3}", self.names[j], self.coefficients[j], self.standard_errors[j], self.z[j], self.p_values[j], self.conf_int[j].0, self.conf_int[j].1)?;
        }
        write!(f, "{rule}")
    }
}
