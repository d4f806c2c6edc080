//! The seed page's InstEval model fitted by Bayes on all 73,421 ratings:
//! - `BayesianLmm` (the formula's density with a fused gradient) equals the page's program
//!   pinned to the ratings, mapped to unconstrained space as `sample_nuts_pinned` maps it —
//!   value and gradient, at two points;
//! - NUTS on it, VI on the program and lmer's ML fit agree where they should, and the posterior
//!   predictive replications reproduce the ratings' mean and spread.
//!
//! Statistical checks use fixed seeds; each bound is several posterior standard deviations
//! wide (false-failure rate below 1e-4 per assertion under the model).

use probrs::demo::{inst_eval_program, lme_bayes, InstEvalData, LmeBayesOptions};
use probrs::joint::Structure;
use probrs::mcmc::{LogDensity, TransformedLogDensity};
use probrs::mixed_effects::{inst_eval, BayesianLmm, LmmPriors};
use probrs::ppl::pinned_joint;
use probrs::tensor::Tensor;
use std::sync::Arc;

#[test]
fn the_fused_density_equals_the_pinned_program() {
    let df = inst_eval().unwrap();
    let page = LmmPriors { intercept: Some((0.0, 5.0)), coefficient_scale: Some(1.0), sd_scale: Some(1.0), sigma_scale: Some(1.0) };
    let fused = BayesianLmm::new("y ~ service + (1|s) + (1|d) + (1|dept)", &df, &page).unwrap();
    let posterior = pinned_joint(inst_eval_program(Arc::new(InstEvalData::new(&df).unwrap()), true).unwrap()).unwrap();
    let parts = posterior.unpinned_parts().unwrap();
    let init = Structure::Named(parts.iter().map(|p| (p.name.clone(), Tensor::ones(&p.event_shape, probrs::tensor::DType::F64).unwrap())).collect());
    let m = posterior.clone();
    let (program, _) = TransformedLogDensity::new(move |s: &Structure| m.unnormalized_log_prob(s), &init, parts.iter().map(|p| p.bijector.clone()).collect()).unwrap();
    // Both lay out (intercept, service, the four scales, student, instructor, department effects).
    assert_eq!(program.dim(), fused.dim());
    for k in 0..2 {
        let z: Vec<f64> = (0..fused.dim()).map(|j| ((j * (k + 3)) as f64 * 0.618).sin() * 0.5 + if j == 0 { 3.0 } else { 0.0 }).collect();
        let (mut g1, mut g2) = (vec![0.0; z.len()], vec![0.0; z.len()]);
        let a = fused.logp_and_grad(&z, &mut g1).unwrap();
        let b = program.logp_and_grad(&z, &mut g2).unwrap();
        assert!((a - b).abs() < 1e-9 * b.abs(), "point {k}: {a} vs {b}");
        for j in 0..z.len() {
            assert!((g1[j] - g2[j]).abs() < 1e-7 * (1.0 + g2[j].abs()), "point {k}, {}: {} vs {}", fused.param_names()[j], g1[j], g2[j]);
        }
    }
}

#[test]
fn nuts_vi_and_ml_side_by_side_with_posterior_predictive_checks() {
    let r = lme_bayes(&LmeBayesOptions { num_chains: 2, num_warmup: 300, num_draws: 300, vi_steps: 1000, predictive_draws: 20, seed: 1 }).unwrap();
    assert!(r.max_r_hat < 1.1, "max R-hat {}", r.max_r_hat);
    assert_eq!(r.divergences, 0);
    for row in &r.rows {
        let n = row.nuts.as_ref().unwrap();
        assert!(n.r_hat < 1.05, "{}: R-hat {}", row.site, n.r_hat);
        // lmer's ML estimate inside the posterior's 5–95% interval widened by one sd.
        assert!(row.ml > n.q5 - n.sd && row.ml < n.q95 + n.sd, "{}: posterior [{}, {}] vs ML {}", row.site, n.q5, n.q95, row.ml);
        // Mean-field VI: the means where the data pin them; the 14 departments' scale is
        // shrunk (mean-field's known bias), so only its sign and size are checked.
        if row.site == "dept_scale" {
            assert!(row.vi_mean > 0.0 && row.vi_mean < n.q95 + n.sd, "dept_scale: VI {} vs NUTS {}", row.vi_mean, n.mean);
        } else {
            assert!((row.vi_mean - n.mean).abs() < 4.0 * n.sd + 0.01, "{}: VI {} vs NUTS {} ± {}", row.site, row.vi_mean, n.mean, n.sd);
        }
    }
    // Posterior predictive: each replication's mean and sd next to the data's (the sd of a
    // replication's mean over draws is about 0.03; of its sd about 0.01).
    assert_eq!(r.replicated.len(), 20);
    for (m, s) in &r.replicated {
        assert!((m - r.observed.0).abs() < 0.15 && (s - r.observed.1).abs() < 0.05, "replicated ({m}, {s}) vs observed {:?}", r.observed);
    }
    // A Normal likelihood on a five-point scale puts some replicated ratings outside it.
    assert!(r.replicated_outside_1_5 > 0.01 && r.replicated_outside_1_5 < 0.2, "{}", r.replicated_outside_1_5);
}
