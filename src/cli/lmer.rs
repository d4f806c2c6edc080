//! `probrs lmer FORMULA data.csv [--reml | --ml] [--json]`: a linear mixed model fitted as lme4's `lmer`
//! fits it, printed as lme4's `summary` (or as one JSON object); `probrs glmer FORMULA data.csv
//! --family bernoulli|poisson [--json]` for a binomial (0/1 or `cbind`) or Poisson response by
//! the Laplace approximation.

use probrs::mixed_effects::{glmer, lmer, DataFrame, GlmerFit, GlmerOptions, LmerFit, LmerOptions};

/// Fits and prints.
pub(crate) fn run(formula: &str, data: &str, ml: bool, json: bool) -> probrs::Result<()> {
    let df = DataFrame::read_csv(data)?;
    let t0 = std::time::Instant::now();
    let fit = lmer(formula, &df, &LmerOptions { reml: !ml, ..Default::default() })?;
    let seconds = t0.elapsed().as_secs_f64();
    if json {
        println!("{}", to_json(&fit, seconds));
    } else {
        println!("{fit}");
        if !fit.converged {
            eprintln!("warning: the optimizer stopped before the gradient tolerance (gradient {:?})", fit.gradient);
        }
    }
    Ok(())
}

fn to_json(fit: &LmerFit, seconds: f64) -> serde_json::Value {
    let components: Vec<serde_json::Value> = fit.components.iter().map(|c| serde_json::json!({
        "group": c.group, "names": c.names, "levels": c.levels.len(), "sd": c.sd, "covariance": c.covariance, "correlation": c.correlation,
    })).collect();
    serde_json::json!({
        "formula": fit.formula, "data": fit.data, "method": if fit.reml { "REML" } else { "ML" },
        "fixed_effects": fit.fixed_names.iter().zip(fit.beta.iter().zip(&fit.standard_errors)).map(|(n, (b, s))| serde_json::json!({"name": n, "estimate": b, "std_error": s})).collect::<Vec<_>>(),
        "random_effects": components, "sigma": fit.sigma, "theta": fit.theta,
        "objective": fit.objective, "log_likelihood": fit.log_likelihood, "aic": fit.aic, "bic": fit.bic, "nobs": fit.nobs,
        "converged": fit.converged, "gradient": fit.gradient, "iterations": fit.iterations, "evaluations": fit.evaluations, "seconds": seconds,
    })
}

/// Fits a GLMM and prints it.
pub(crate) fn run_glmer(formula: &str, data: &str, family: &str, json: bool) -> probrs::Result<()> {
    let df = DataFrame::read_csv(data)?;
    let fam: Box<dyn probrs::glm::ExponentialFamily> = match family.to_ascii_lowercase().as_str() {
        "bernoulli" | "binomial" => Box::new(probrs::glm::Bernoulli),
        "poisson" => Box::new(probrs::glm::Poisson),
        other => return Err(probrs::Error::invalid_parameter("family", format!("unknown family {other:?}; available: bernoulli (binomial), poisson"))),
    };
    let t0 = std::time::Instant::now();
    let fit = glmer(formula, &df, fam.as_ref(), &GlmerOptions::default())?;
    let seconds = t0.elapsed().as_secs_f64();
    if json {
        println!("{}", glmer_json(&fit, seconds));
    } else {
        println!("{fit}");
    }
    Ok(())
}

fn glmer_json(fit: &GlmerFit, seconds: f64) -> serde_json::Value {
    serde_json::json!({
        "formula": fit.formula, "data": fit.data, "family": fit.family, "method": "Laplace",
        "fixed_effects": fit.fixed_names.iter().zip(fit.beta.iter().zip(&fit.standard_errors)).map(|(n, (b, s))| serde_json::json!({"name": n, "estimate": b, "std_error": s})).collect::<Vec<_>>(),
        "random_effects": fit.components.iter().map(|c| serde_json::json!({"group": c.group, "names": c.names, "levels": c.levels.len(), "sd": c.sd, "correlation": c.correlation})).collect::<Vec<_>>(),
        "theta": fit.theta, "log_likelihood": fit.log_likelihood, "aic": fit.aic, "bic": fit.bic, "nobs": fit.nobs,
        "converged": fit.converged, "gradient": fit.gradient, "seconds": seconds,
    })
}
