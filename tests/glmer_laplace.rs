//! `glmer` (Laplace approximation, lme4's `nAGQ = 1`) on synthetic random-intercept data: its
//! log-likelihood at the optimum equals the Laplace approximation computed independently, one
//! group at a time (a scalar Newton solve for each conditional mode and `log(1 + θ² Σ wᵢ)` for
//! the curvature); the gradient of the Laplace deviance vanishes there; binomial (`cbind`) and
//! Poisson responses; bad responses are named. Deterministic: no false-failure rate.

use probrs::glm::{Bernoulli, ExponentialFamily, Poisson};
use probrs::mixed_effects::{glmer, DataFrame, GlmerFit, GlmerOptions};

/// (group, x, successes, failures) for 12 herds × 4 periods.
fn binomial_csv() -> String {
    let mut csv = String::from("herd,x,k,f\n");
    let herd = [-0.8, 0.4, -0.2, 0.9, 0.0, -0.5, 0.3, 1.1, -1.0, 0.2, 0.6, -0.3];
    for (g, b) in herd.iter().enumerate() {
        for t in 0..4 {
            let n = 8 + (g * 3 + t) % 9;
            let p = 1.0 / (1.0 + (-(-1.2 + 0.5 * t as f64 + b)).exp());
            let k = ((n as f64) * p + ((g * 7 + t * 3) % 5) as f64 / 5.0 - 0.4).round().clamp(0.0, n as f64);
            csv.push_str(&format!("{g},{t},{k},{}\n", n as f64 - k));
        }
    }
    csv
}

/// −2 × the Laplace log-likelihood of a random-intercept model, group by group.
fn laplace_by_group(fit: &GlmerFit, rows: &[(usize, f64, f64, f64)], log_p: &dyn Fn(f64, f64, f64) -> f64, mean_var: &dyn Fn(f64, f64) -> (f64, f64, f64)) -> f64 {
    let theta = fit.theta[0];
    let groups = rows.iter().map(|r| r.0).max().unwrap() + 1;
    let mut total = 0.0;
    for g in 0..groups {
        let mine: Vec<&(usize, f64, f64, f64)> = rows.iter().filter(|r| r.0 == g).collect();
        let eta = |u: f64, r: &(usize, f64, f64, f64)| fit.beta[0] + fit.beta[1] * r.1 + theta * u;
        let mut u = 0.0;
        for _ in 0..100 {
            let (mut grad, mut hess) = (2.0 * u, 2.0);
            for r in &mine {
                let (mu, var, d) = mean_var(eta(u, r), r.3);
                grad -= 2.0 * (r.2 - mu) * d / var * theta;
                hess += 2.0 * d * d / var * theta * theta;
            }
            u -= grad / hess;
        }
        let w: f64 = mine.iter().map(|r| {
            let (_, var, d) = mean_var(eta(u, r), r.3);
            d * d / var
        }).sum();
        let ll: f64 = mine.iter().map(|r| log_p(r.2, eta(u, r), r.3)).sum();
        total += -2.0 * ll + u * u + (1.0 + theta * theta * w).ln();
    }
    total
}

#[test]
fn binomial_laplace_matches_a_group_by_group_computation() {
    let csv = binomial_csv();
    let df = DataFrame::from_csv_str(&csv, "herds.csv").unwrap();
    let fit = glmer("cbind(k, f) ~ x + (1 | herd)", &df, &Bernoulli, &GlmerOptions::default()).unwrap();
    assert!(fit.converged, "{fit}");
    assert!(fit.gradient.iter().all(|g| g.abs() < 1e-3), "gradient {:?}", fit.gradient);
    let rows: Vec<(usize, f64, f64, f64)> = csv.lines().skip(1).map(|l| {
        let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        (v[0] as usize, v[1], v[2], v[2] + v[3])
    }).collect();
    let log_p = |y: f64, eta: f64, n: f64| {
        let p = 1.0 / (1.0 + (-eta).exp());
        libm::lgamma(n + 1.0) - libm::lgamma(y + 1.0) - libm::lgamma(n - y + 1.0) + y * p.ln() + (n - y) * (1.0 - p).ln()
    };
    let mean_var = |eta: f64, n: f64| {
        let p = 1.0 / (1.0 + (-eta).exp());
        (n * p, n * p * (1.0 - p), n * p * (1.0 - p))
    };
    let want = laplace_by_group(&fit, &rows, &log_p, &mean_var);
    assert!((-2.0 * fit.log_likelihood - want).abs() < 1e-8 * want, "{} vs {want}", -2.0 * fit.log_likelihood);
    assert!(fit.beta[1] > 0.2 && fit.beta[1] < 0.8 && fit.components[0].sd[0] > 0.2, "{fit}");
    assert!(fit.standard_errors.iter().all(|s| s.is_finite() && *s > 0.0));
    let printed = fit.to_string();
    assert!(printed.contains("Laplace Approximation") && printed.contains("herd, 12"), "{printed}");
}

#[test]
fn poisson_laplace_matches_a_group_by_group_computation() {
    let mut csv = String::from("g,x,y\n");
    let effect = [-0.5, 0.2, 0.7, -0.1, 0.4, -0.8, 0.0, 0.3];
    let mut rows = vec![];
    for (g, b) in effect.iter().enumerate() {
        for t in 0..6 {
            let rate: f64 = (0.4 + 0.25 * t as f64 + b).exp();
            let y = (rate + ((g * 5 + t * 7) % 7) as f64 / 3.0 - 1.0).round().max(0.0);
            csv.push_str(&format!("{g},{t},{y}\n"));
            rows.push((g, t as f64, y, 1.0));
        }
    }
    let fit = glmer("y ~ x + (1 | g)", &DataFrame::from_csv_str(&csv, "counts.csv").unwrap(), &Poisson, &GlmerOptions::default()).unwrap();
    assert!(fit.converged);
    let log_p = |y: f64, eta: f64, _: f64| Poisson.log_prob(y, eta);
    let mean_var = |eta: f64, _: f64| Poisson.call(eta);
    let want = laplace_by_group(&fit, &rows, &log_p, &mean_var);
    assert!((-2.0 * fit.log_likelihood - want).abs() < 1e-8 * want, "{} vs {want}", -2.0 * fit.log_likelihood);
    assert!((fit.beta[1] - 0.25).abs() < 0.1, "{fit}");
}

#[test]
fn bad_responses_are_named() {
    let df = DataFrame::from_csv_str("g,x,k,f\n0,1,3,-1\n1,2,1,1\n0,0,1,1\n1,1,0,2\n", "bad.csv").unwrap();
    let e = glmer("cbind(k, f) ~ x + (1 | g)", &df, &Bernoulli, &GlmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("row 1"), "{e}");
    let df = DataFrame::from_csv_str("g,y\n0,1\n1,2\n0,0\n1,1\n", "b.csv").unwrap();
    let e = glmer("y ~ 1 + (1 | g)", &df, &Bernoulli, &GlmerOptions::default()).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("Bernoulli"), "{e}");
}
