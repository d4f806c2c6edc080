//! `lmer` against lme4 and statsmodels on `sleepstudy`, `Reaction ~ Days + (Days | Subject)`,
//! REML and ML: every number to 1e-5 relative of statsmodels' MixedLM fit, optimized tightly and printed to full
//! precision (`tests/data/lmer_sleepstudy_statsmodels.py`, statsmodels 0.15.0), and to the
//! printed precision of lme4's published summary (half a unit in the last digit). The
//! profiled deviance's gradient at the optimum is checked too (below 1e-5). Deterministic: no
//! false-failure rate.

use probrs::mixed_effects::{lmer, DataFrame, LmerFit, LmerOptions};

fn sleepstudy() -> DataFrame {
    DataFrame::read_csv(concat!(env!("CARGO_MANIFEST_DIR"), "/src/mixed_effects/data/sleepstudy.csv")).unwrap()
}

struct Reference {
    beta: [f64; 2],
    se: [f64; 2],
    sd: [f64; 2],
    corr: f64,
    sigma: f64,
    loglik: f64,
}

fn check(fit: &LmerFit, sm: &Reference, lme4: &Reference) {
    let c = &fit.components[0];
    let got = Reference { beta: [fit.beta[0], fit.beta[1]], se: [fit.standard_errors[0], fit.standard_errors[1]], sd: [c.sd[0], c.sd[1]], corr: c.correlation[2], sigma: fit.sigma, loglik: fit.log_likelihood };
    let rows = |r: &Reference| vec![("intercept", r.beta[0]), ("Days", r.beta[1]), ("se intercept", r.se[0]), ("se Days", r.se[1]), ("sd intercept", r.sd[0]), ("sd Days", r.sd[1]), ("correlation", r.corr), ("residual sd", r.sigma), ("log-likelihood", r.loglik)];
    for (((name, g), (_, s)), (_, l)) in rows(&got).into_iter().zip(rows(sm)).zip(rows(lme4)) {
        assert!((g - s).abs() <= 1e-5 * s.abs(), "{name}: {g} vs statsmodels {s}");
        // lme4's printed values: 3 decimals.
        assert!((g - l).abs() <= 5e-4 + 1e-9, "{name}: {g} vs lme4 {l}");
    }
    assert!(fit.converged && fit.gradient.iter().all(|g| g.abs() < 1e-5), "gradient at the optimum {:?}", fit.gradient);
}

#[test]
fn sleepstudy_reml_matches_lme4_and_statsmodels() {
    let fit = lmer("Reaction ~ Days + (Days | Subject)", &sleepstudy(), &LmerOptions::default()).unwrap();
    let sm = Reference { beta: [251.40510484848454, 10.467285959595875], se: [6.8245565240600605, 1.5457888964642166], sd: [24.740451424063927, 5.922133104444188], corr: 0.06555132489909553, sigma: 25.59181562832992, loglik: -871.8141359792453 };
    let lme4 = Reference { beta: [251.405, 10.467], se: [6.825, 1.546], sd: [24.740, 5.922], corr: 0.066, sigma: 25.592, loglik: -871.814 };
    check(&fit, &sm, &lme4);
    let printed = fit.to_string();
    for line in ["REML criterion at convergence: 1743.6", "-3.9536", "5.1793", "Number of obs: 180, groups:  Subject, 18", "36.838", "-0.138"] {
        assert!(printed.contains(line), "summary lacks {line:?}:\n{printed}");
    }
}

#[test]
fn sleepstudy_ml_matches_lme4_and_statsmodels() {
    let fit = lmer("Reaction ~ Days + (Days | Subject)", &sleepstudy(), &LmerOptions { reml: false, ..Default::default() }).unwrap();
    let sm = Reference { beta: [251.40510484848485, 10.467285959595939], se: [6.632276571478343, 1.5022367751328842], sd: [23.78056577728024, 5.716834502786804], corr: 0.08132015664903101, sigma: 25.59181573282994, loglik: -875.9696722315988 };
    let lme4 = Reference { beta: [251.405, 10.467], se: [6.632, 1.502], sd: [23.781, 5.717], corr: 0.081, sigma: 25.592, loglik: -875.970 };
    check(&fit, &sm, &lme4);
    assert!((fit.aic - 1763.9).abs() < 0.05 && (fit.bic - 1783.1).abs() < 0.05, "AIC {} BIC {}", fit.aic, fit.bic);
}

#[test]
fn bad_formulas_and_data_are_named() {
    let df = sleepstudy();
    let e = lmer("Reaction ~ Days + (Days | )", &df, &LmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("position"), "{e}");
    let e = lmer("Reaction ~ Hours + (1 | Subject)", &df, &LmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("`Hours`"), "{e}");
    let one = DataFrame::from_csv_str("y,x,g\n1,0,a\n2,1,a\n3,2,a\n", "one.csv").unwrap();
    let e = lmer("y ~ x + (1 | g)", &one, &LmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("`g`") && e.contains("1 level"), "{e}");
    let collinear = DataFrame::from_csv_str("y,x,z,g\n1,0,0,a\n2,1,2,a\n3,2,4,b\n2,3,6,b\n5,1,2,c\n", "c.csv").unwrap();
    let e = lmer("y ~ x + z + (1 | g)", &collinear, &LmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("`z`") && e.contains("rank deficient"), "{e}");
    let text = DataFrame::from_csv_str("y,x,g\n1,a,a\n2,b,b\n", "t.csv").unwrap();
    let e = lmer("x ~ 1 + (1 | g)", &text, &LmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("not numeric"), "{e}");
}


/// InstEval (lme4's data, 73,421 ratings): `y ~ service + (1 | d)` by ML equals statsmodels'
/// MixedLM (`benches/peers/lmer_statsmodels.py`, statsmodels 0.15.0: log-likelihood
/// −120085.27401158249, intercept 3.272328454488325, service −0.0994293035371096, instructor sd
/// 0.5169237346118624, residual sd 1.2218709010302022); the seed page's crossed model
/// `y ~ service + (1|s) + (1|d) + (1|dept)`, which statsmodels cannot fit, is checked as an
/// optimum: its exact gradient vanishes and moving θ in any direction lowers the likelihood.
#[test]
fn inst_eval_fits_are_optima() {
    use probrs::mixed_effects::inst_eval;
    let df = inst_eval().unwrap();
    let ml = LmerOptions { reml: false, ..Default::default() };
    let fit = lmer("y ~ service + (1 | d)", &df, &ml).unwrap();
    assert!((fit.log_likelihood - (-120085.27401158249)).abs() < 1e-6, "{}", fit.log_likelihood);
    assert!((fit.beta[0] - 3.272328454488325).abs() < 1e-5 && (fit.beta[1] - (-0.0994293035371096)).abs() < 1e-5, "{:?}", fit.beta);
    assert!((fit.components[0].sd[0] - 0.5169237346118624).abs() < 1e-5 && (fit.sigma - 1.2218709010302022).abs() < 1e-6);
    let fit = lmer("y ~ service + (1|s) + (1|d) + (1|dept)", &df, &ml).unwrap();
    assert!(fit.converged && fit.gradient.iter().all(|g| g.abs() < 1e-3), "gradient {:?}", fit.gradient);
    let groups: Vec<(&str, usize)> = fit.components.iter().map(|c| (c.group.as_str(), c.levels.len())).collect();
    assert_eq!(groups, [("s", 2972), ("d", 1128), ("dept", 14)]);
    let frame = probrs::mixed_effects::ModelFrame::new(&probrs::mixed_effects::Formula::parse("y ~ service + (1|s) + (1|d) + (1|dept)").unwrap(), &df).unwrap();
    let pd = probrs::mixed_effects::ProfiledDeviance::new(&frame, false).unwrap();
    let best = pd.evaluate(&fit.theta).unwrap().objective;
    assert!((best - fit.objective).abs() < 1e-6 * best);
    for j in 0..3 {
        for step in [-1e-3, 1e-3] {
            let mut t = fit.theta.clone();
            t[j] += step;
            assert!(pd.evaluate(&t).unwrap().objective > best, "θ_{j} {step:+}");
        }
    }
}

/// A grouping factor whose levels all have the same mean of y has a zero variance at the ML
/// optimum: lme4 reports θ = 0 exactly (a singular fit), and so does probrs (BFGS on log θ
/// drives it toward 0; the fit then sets it to 0 when that does not raise the deviance). The
/// other factor's fit is the one-factor model's.
#[test]
fn a_variance_on_the_boundary_is_exactly_zero() {
    let mut csv = String::from("y,g,h\n");
    for g in 0..6 {
        for h in 0..4 {
            for r in 0..2 {
                // Each h level sees the same values: its means are identical.
                csv.push_str(&format!("{},{g},{h}\n", 2.0 * g as f64 + if r == 0 { -0.5 } else { 0.5 } + 0.1 * ((g * 7 + r) % 3) as f64));
            }
        }
    }
    let df = DataFrame::from_csv_str(&csv, "boundary.csv").unwrap();
    let ml = LmerOptions { reml: false, ..Default::default() };
    let both = lmer("y ~ 1 + (1 | g) + (1 | h)", &df, &ml).unwrap();
    let h = both.components.iter().position(|c| c.group == "h").unwrap();
    assert_eq!(both.components[h].sd[0], 0.0, "{:?}", both.theta);
    let one = lmer("y ~ 1 + (1 | g)", &df, &ml).unwrap();
    assert!((both.log_likelihood - one.log_likelihood).abs() < 1e-8, "{} vs {}", both.log_likelihood, one.log_likelihood);
    let g = both.components.iter().position(|c| c.group == "g").unwrap();
    assert!((both.components[g].sd[0] - one.components[0].sd[0]).abs() < 1e-5);
}
