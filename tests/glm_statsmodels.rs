//! Every `tfp.glm` family against statsmodels' GLM, number for number: coefficients to 1e-8
//! relative, and the summary (standard errors, deviance, Pearson χ², scale, log-likelihood,
//! AIC, BIC) to 1e-7. The data (500 rows per family) and statsmodels' fits (0.15.0, run to
//! tol = 1e-14) are in `tests/data/glm_statsmodels.json`, written by
//! `tests/data/glm_statsmodels.py`. Deterministic: no false-failure rate.

use probrs::glm::{convergence_criteria_small_relative_norm_weights_change, fit_data, Bernoulli, BernoulliNormalCDF, Binomial, ExponentialFamily, FitOptions, GammaExp, GammaSoftplus, GlmData, GlmSummary, LogNormal, LogNormalSoftplus, NegativeBinomial, NegativeBinomialSoftplus, Normal, NormalReciprocal, Poisson, PoissonSoftplus};
use probrs::tensor::{DType, Tensor};
use serde_json::Value;

fn family(name: &str, case: &Value) -> Box<dyn ExponentialFamily> {
    let k = || case["total_count"].as_f64().unwrap();
    match name {
        "Bernoulli" => Box::new(Bernoulli),
        "BernoulliNormalCDF" => Box::new(BernoulliNormalCDF),
        "Binomial" => Box::new(Binomial::new(k()).unwrap()),
        "Poisson" => Box::new(Poisson),
        "PoissonSoftplus" => Box::new(PoissonSoftplus),
        "Normal" => Box::new(Normal::default()),
        "NormalReciprocal" => Box::new(NormalReciprocal::default()),
        "LogNormal" => Box::new(LogNormal::default()),
        "LogNormalSoftplus" => Box::new(LogNormalSoftplus::default()),
        "GammaExp" => Box::new(GammaExp::default()),
        "GammaSoftplus" => Box::new(GammaSoftplus::default()),
        "NegativeBinomial" => Box::new(NegativeBinomial::new(k()).unwrap()),
        "NegativeBinomialSoftplus" => Box::new(NegativeBinomialSoftplus::new(k()).unwrap()),
        other => panic!("no family {other}"),
    }
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-3)
}

#[test]
fn every_family_matches_statsmodels() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/glm_statsmodels.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let x: Vec<f64> = r["x"].as_array().unwrap().iter().flat_map(floats).collect();
    let n = r["x"].as_array().unwrap().len();
    let cases = r["families"].as_object().unwrap();
    assert_eq!(cases.len(), 13, "TFP's thirteen families");
    let xt = Tensor::from_slice(&x, &[n, 3], DType::F64).unwrap();
    let mut failures = vec![];
    for (name, case) in cases {
        let f = family(name, case);
        let y = floats(&case["y"]);
        let data = GlmData::new(&xt, &Tensor::vector(&y, DType::F64).unwrap(), f.as_ref()).unwrap().with_names(&["const", "x1", "x2"]).unwrap();
        let options = FitOptions {
            model_coefficients_start: case["start"].as_array().map(|_| floats(&case["start"])),
            convergence_criteria_fn: Some(convergence_criteria_small_relative_norm_weights_change(1e-13)),
            ..Default::default()
        };
        let fit = fit_data(&data, f.as_ref(), &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(fit.is_converged, "{name}: not converged after {} steps", fit.iter);
        let s = GlmSummary::new(&data, f.as_ref(), &fit, &options).unwrap();
        let mut check = |what: &str, got: f64, want: f64, rel: f64| {
            if !close(got, want, rel) {
                failures.push(format!("{name} {what}: {got} vs statsmodels {want}"));
            }
        };
        for (j, want) in floats(&case["params"]).iter().enumerate() {
            check(&format!("coefficient {j}"), fit.model_coefficients[j], *want, 1e-8);
        }
        for (j, want) in floats(&case["bse"]).iter().enumerate() {
            check(&format!("standard error {j}"), s.standard_errors[j], *want, 1e-7);
        }
        for (what, got) in [("deviance", s.deviance), ("pearson_chi2", s.pearson_chi2), ("scale", s.scale), ("llf", s.log_likelihood), ("aic", s.aic), ("bic", s.bic)] {
            check(what, got, case[what].as_f64().unwrap(), 1e-7);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
