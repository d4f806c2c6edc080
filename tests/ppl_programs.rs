//! The seed page's linear mixed-effects program (InstEval's model: intercept and service effect,
//! student, instructor and department effects as `MultivariateNormalDiag` random effects, ratings
//! `Normal` around `service_effects·service + gather(student_effects, students) +
//! gather(instructor_effects, instructors) + gather(dept_effects, depts) + intercept`), written
//! as a probrs model program (`probrs::demo::inst_eval_program`), on a synthetic data set of InstEval's shape (600 ratings, 40
//! students, 15 instructors, 4 departments, fixed seed):
//! - its `make_log_joint_fn` equals the log joint written out by hand;
//! - NUTS (`sample_nuts_pinned` on `pinned_joint(program)`) and VI (`fit_surrogate_posterior` on
//!   the same pinned joint) recover the fixed effects, and the variance components' posteriors
//!   sit next to `lmer`'s ML estimates on the same data.
//!
//! Statistical checks use fixed seeds; each compares with a tolerance of several posterior
//! standard deviations (false-failure rate below 1e-4 per assertion under the model).

use probrs::demo::{inst_eval_program, InstEvalData};
use probrs::distributions::{Distribution, Normal};
use probrs::mcmc::{sample_nuts_pinned, NutsOptions};
use probrs::mixed_effects::{lmer, Column, DataFrame, LmerOptions};
use probrs::optim::Adam;
use probrs::ppl::{make_log_joint_fn, pinned_joint, Program};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::vi::{build_factored_surrogate_posterior, fit_surrogate_posterior, FitOptions, SurrogatePart, SurrogatePosterior};
use std::sync::Arc;

const F: DType = DType::F64;

/// Ratings from the model with intercept 3.2, service −0.3, effect sds 0.4 (students), 0.6
/// (instructors), 0.3 (departments), residual sd 0.8.
fn data() -> InstEvalData {
    let (n, ns, ni, nd) = (600, 40, 15, 4);
    let z = |k: u64, m: usize| Normal::new(Tensor::scalar(0.0, F).unwrap(), 1.0).unwrap().sample(&[m], Seed::new(k)).unwrap().to_vec().unwrap();
    let (es, ei, ed, eps) = (z(1, ns), z(2, ni), z(3, nd), z(4, n));
    let mut d = InstEvalData { service: vec![], students: vec![], instructors: vec![], depts: vec![], ratings: vec![], num_students: ns, num_instructors: ni, num_depts: nd };
    for r in 0..n {
        let (s, i) = ((r * 7 + r / 13) % ns, (r * 5 + r / 7) % ni);
        let dept = i % nd;
        let service = ((r * 3) % 5 < 2) as u8 as f64;
        let y = 3.2 - 0.3 * service + 0.4 * es[s] + 0.6 * ei[i] + 0.3 * ed[dept] + 0.8 * eps[r];
        d.service.push(service);
        d.students.push(s as u32);
        d.instructors.push(i as u32);
        d.depts.push(dept as u32);
        d.ratings.push(y);
    }
    d
}

/// The page's program, with priors on what the page holds as variables
/// (`probrs::demo::inst_eval_program`, the one `probrs demo lme` fits to all of InstEval).
fn mixed_model(d: Arc<InstEvalData>) -> impl Program<Tensor> + Clone + 'static {
    inst_eval_program(d, true).unwrap()
}

#[test]
fn the_log_joint_equals_the_hand_written_density() {
    let d = Arc::new(data());
    let log_joint = make_log_joint_fn(mixed_model(d.clone()));
    let (b0, b1, ss, is, ds, ns) = (3.0, -0.2, 0.5, 0.7, 0.2, 0.9);
    let es: Vec<f64> = (0..d.num_students).map(|k| (k as f64 * 0.37).sin() * 0.4).collect();
    let ei: Vec<f64> = (0..d.num_instructors).map(|k| (k as f64 * 0.91).cos() * 0.5).collect();
    let ed: Vec<f64> = (0..d.num_depts).map(|k| k as f64 * 0.1 - 0.15).collect();
    let v = |x: f64| Tensor::scalar(x, F).unwrap();
    let lp = log_joint
        .call(&[
            ("intercept", v(b0)),
            ("service_effects", v(b1)),
            ("student_scale", v(ss)),
            ("instructor_scale", v(is)),
            ("dept_scale", v(ds)),
            ("noise_scale", v(ns)),
            ("student_effects", Tensor::vector(&es, F).unwrap()),
            ("instructor_effects", Tensor::vector(&ei, F).unwrap()),
            ("dept_effects", Tensor::vector(&ed, F).unwrap()),
        ])
        .unwrap()
        .to_scalar()
        .unwrap();
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let normal = |x: f64, m: f64, s: f64| -0.5 * ((x - m) / s).powi(2) - s.ln() - 0.5 * ln2pi;
    let half_normal = |x: f64, s: f64| normal(x, 0.0, s) + 2f64.ln();
    let mut want = normal(b0, 0.0, 5.0) + normal(b1, 0.0, 1.0) + half_normal(ss, 1.0) + half_normal(is, 1.0) + half_normal(ds, 1.0) + half_normal(ns, 1.0);
    want += es.iter().map(|e| normal(*e, 0.0, ss)).sum::<f64>() + ei.iter().map(|e| normal(*e, 0.0, is)).sum::<f64>() + ed.iter().map(|e| normal(*e, 0.0, ds)).sum::<f64>();
    for r in 0..d.ratings.len() {
        let m = b0 + b1 * d.service[r] + es[d.students[r] as usize] + ei[d.instructors[r] as usize] + ed[d.depts[r] as usize];
        want += normal(d.ratings[r], m, ns);
    }
    assert!((lp - want).abs() < 1e-9 * want.abs(), "{lp} vs {want}");
}

/// lmer's ML fit of the same data: (sd students, sd instructors, sd departments, residual sd).
fn lmer_ml(d: &InstEvalData) -> (f64, f64, f64, f64, f64, f64) {
    let col = |v: &[u32]| Column::Numeric(v.iter().map(|x| *x as f64).collect());
    let df = DataFrame::new(vec![("y".into(), Column::Numeric(d.ratings.clone())), ("service".into(), Column::Numeric(d.service.clone())), ("s".into(), col(&d.students)), ("d".into(), col(&d.instructors)), ("dept".into(), col(&d.depts))]).unwrap();
    let fit = lmer("y ~ service + (1|s) + (1|d) + (1|dept)", &df, &LmerOptions { reml: false, ..Default::default() }).unwrap();
    let sd = |g: &str| fit.components.iter().find(|c| c.group == g).unwrap().sd[0];
    (fit.beta[0], fit.beta[1], sd("s"), sd("d"), sd("dept"), fit.sigma)
}

#[test]
fn nuts_and_vi_fit_the_program_next_to_lmer() {
    let d = Arc::new(data());
    let (b0, b1, s_s, s_i, s_d, sigma) = lmer_ml(&d);
    let posterior = pinned_joint(mixed_model(d.clone())).unwrap();
    // NUTS, Stan's defaults but 2 chains × 500 draws.
    let run = sample_nuts_pinned(&posterior, &NutsOptions { num_chains: 2, num_warmup: 500, num_draws: 500, seed: Seed::new(11), ..Default::default() }).unwrap();
    let summary = run.summary().unwrap();
    let row = |name: &str| summary.rows.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no {name} in {:?}", summary.rows.iter().map(|r| &r.name).take(12).collect::<Vec<_>>()));
    for r in summary.rows.iter().filter(|r| !r.name.ends_with("__")) {
        assert!(r.r_hat < 1.05, "{}: R-hat {}", r.name, r.r_hat);
    }
    // Fixed effects: posterior means within 4 posterior sds of lmer's ML estimates (flat-ish priors).
    for (name, ml) in [("intercept", b0), ("service_effects", b1)] {
        let r = row(name);
        assert!((r.mean - ml).abs() < 4.0 * r.sd, "{name}: posterior {} ± {} vs lmer {ml}", r.mean, r.sd);
    }
    // Variance components: lmer's ML estimate inside the posterior's 5–95% interval widened by
    // one sd (ML sits below the posterior mean for small groups).
    for (name, ml) in [("student_scale", s_s), ("instructor_scale", s_i), ("noise_scale", sigma)] {
        let r = row(name);
        assert!(ml > r.q5 - r.sd && ml < r.q95 + r.sd, "{name}: posterior [{}, {}] vs lmer {ml}", r.q5, r.q95);
    }
    let dept = row("dept_scale");
    assert!(dept.q5 >= 0.0 && s_d < dept.q95 + dept.sd, "dept_scale: posterior [{}, {}] vs lmer {s_d}", dept.q5, dept.q95);
    // VI on the same pinned joint: a factored surrogate over the event space.
    let parts = SurrogatePart::from_pinned(&posterior).unwrap();
    let q = build_factored_surrogate_posterior(&parts, F, 3, 1e-2).unwrap();
    let target = |v: &probrs::vi::Structure| posterior.unnormalized_log_prob(v);
    let fit = fit_surrogate_posterior(target, &q, &mut Adam::new(0.05), 1500, FitOptions { sample_size: 4, seed: 7, ..Default::default() }, |t| t.loss_value).unwrap();
    assert!(fit.trace[1400..].iter().sum::<f64>() / 100.0 < fit.trace[..50].iter().sum::<f64>() / 50.0);
    let draws = q.sample_structure(&[2000], Seed::new(8)).unwrap();
    let mean = |name: &str| draws.get(name).unwrap().mean_all().unwrap().to_scalar().unwrap();
    for name in ["intercept", "service_effects", "noise_scale"] {
        let r = row(name);
        assert!((mean(name) - r.mean).abs() < 3.0 * r.sd, "{name}: VI mean {} vs NUTS {} ± {}", mean(name), r.mean, r.sd);
    }
}
