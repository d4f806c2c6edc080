//! Issue 6's user-facing parts: the `probrs` command line (subcommands, exit codes, one-line
//! errors, nothing written on failure), the plots (files produced, valid and non-empty), the
//! progress callback, and the fit report's standard errors, BIC and family ranking.

use probrs::distributions::{Distribution, MultivariateNormalDiag, Normal};
use probrs::fit::{fit_family, rank_families, FitOptions};
use probrs::plot::{density_over_histogram, loss_trace, pairwise_contours, surrogate_marginal, PlotOptions};
use probrs::progress::{Progress, ProgressBar};
use probrs::tensor::{DType, Tensor};
use std::path::PathBuf;
use std::process::Command;

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("probrs_test_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn probrs(args: &[&str], dir: &PathBuf) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_probrs")).args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn is_png(path: &PathBuf) -> bool {
    let b = std::fs::read(path).unwrap();
    b.len() > 2000 && b.starts_with(&[0x89, b'P', b'N', b'G'])
}

fn is_svg(path: &PathBuf) -> bool {
    let s = std::fs::read_to_string(path).unwrap();
    s.contains("<svg") && s.trim_end().ends_with("</svg>") && s.len() > 2000
}

/// Deterministic "data": Gamma(2, 1/1.5)-like values from a fixed formula (quantiles of an
/// exponential sum are not needed: any positive skewed sample does).
fn positive_data(n: usize) -> Vec<f64> {
    (0..n).map(|i| {
        let u = (i as f64 + 0.5) / n as f64;
        let v = ((i * 7919) % n) as f64 / n as f64 + 0.5 / n as f64;
        -1.5 * (u.ln() + v.ln())
    }).collect()
}

#[test]
fn plots_are_written_in_both_formats() {
    let dir = scratch("plots");
    if std::env::var_os("PROBRS_KEEP_PLOTS").is_some() {
        eprintln!("pictures in {}", dir.display());
    }
    let losses: Vec<f64> = (0..200).map(|i| 5.0 * (-0.02 * i as f64).exp() + 1.0).collect();
    for ext in ["svg", "png"] {
        let p = dir.join(format!("loss.{ext}"));
        loss_trace(&p, &losses, &PlotOptions::default()).unwrap();
        assert!(if ext == "png" { is_png(&p) } else { is_svg(&p) }, "{p:?}");
    }
    // Continuous density over a histogram, and a mass function over frequencies.
    let x = positive_data(500);
    let model = Normal::new(Tensor::scalar(3.0, DType::F64).unwrap(), Tensor::scalar(2.0, DType::F64).unwrap()).unwrap();
    let p = dir.join("hist.png");
    density_over_histogram(&p, &x, &model, false, &PlotOptions::default()).unwrap();
    assert!(is_png(&p));
    let counts: Vec<f64> = (0..300).map(|i| ((i * 37) % 7) as f64).collect();
    let pois = probrs::distributions::Poisson::from_rate(Tensor::scalar(3.0, DType::F64).unwrap()).unwrap();
    let p = dir.join("pmf.svg");
    density_over_histogram(&p, &counts, &pois, true, &PlotOptions::default()).unwrap();
    assert!(is_svg(&p));
    // VI pictures: 1-D marginal and pairwise contours (three coordinates: three panels).
    let q = Normal::new(Tensor::scalar(2.5, DType::F64).unwrap(), Tensor::scalar(0.7, DType::F64).unwrap()).unwrap();
    let grid: Vec<f64> = (0..100).map(|i| -1.0 + 7.0 * i as f64 / 99.0).collect();
    let p = dir.join("marginal.png");
    surrogate_marginal(&p, &grid, &|z| probrs::demo::normal_normal_log_prob(z, 5.0), &|z| q.log_prob(z), "z", &PlotOptions::default()).unwrap();
    assert!(is_png(&p));
    let mvn = MultivariateNormalDiag::new(Tensor::vector(&[0.0, 1.0, -1.0], DType::F64).unwrap(), Tensor::vector(&[1.0, 0.5, 0.8], DType::F64).unwrap()).unwrap();
    let target = |x: &Tensor| x.square()?.sum_last(1)?.mul_scalar(-0.5);
    let p = dir.join("pairs.png");
    pairwise_contours(&p, &["a", "b", "c"], &[(-3.0, 3.0), (-2.0, 3.0), (-3.0, 2.0)], &[0.0, 1.0, -1.0], &target, &|x| mvn.log_prob(x), &PlotOptions { width: 900, height: 800, title: None }).unwrap();
    assert!(is_png(&p));
    // Bad input: a wrong-length log-density, an empty trace, a bad range; nothing written.
    let p = dir.join("bad.svg");
    assert!(surrogate_marginal(&p, &grid, &|z| z.sum_all(), &|z| q.log_prob(z), "z", &PlotOptions::default()).is_err());
    assert!(loss_trace(&p, &[], &PlotOptions::default()).is_err());
    assert!(pairwise_contours(&p, &["a", "b"], &[(1.0, 0.0), (0.0, 1.0)], &[0.0, 0.0], &target, &target, &PlotOptions::default()).is_err());
    assert!(!p.exists());
    // No temporary files left beside the pictures.
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
}

#[test]
fn progress_is_reported_every_step_and_the_bar_stays_off_a_non_terminal() {
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let log = seen.clone();
    let x = positive_data(100);
    let opts = FitOptions { steps: 40, ..Default::default() };
    let r = probrs::fit::fit_family_with_progress("Gamma", &x, &opts, Some(Box::new(move |p: &Progress| log.lock().unwrap().push(p.clone())))).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 40);
    assert!(seen.iter().enumerate().all(|(i, p)| p.step == i + 1 && p.num_steps == 40));
    assert!(seen.windows(2).all(|w| w[1].elapsed >= w[0].elapsed));
    assert_eq!(seen.iter().map(|p| p.loss.unwrap()).collect::<Vec<_>>(), r.losses);
    // Under the test harness standard error is not a terminal: the bar draws nothing.
    let bar = ProgressBar::new(10, "test");
    assert!(bar.is_hidden());
    assert!(ProgressBar::hidden().is_hidden());
}

#[test]
fn fit_report_standard_errors_bic_and_ranking() {
    // Normal: se(loc) = σ̂/√n, se(scale) = σ̂/√(2n) at the MLE.
    let x = positive_data(400);
    let n = x.len() as f64;
    let r = fit_family("Normal", &x, &FitOptions { steps: 3000, ..Default::default() }).unwrap();
    let sigma = r.parameters[1].1[0];
    let se = r.standard_errors.clone().unwrap();
    assert!((se[0] - sigma / n.sqrt()).abs() < 1e-3 * se[0], "{se:?}");
    assert!((se[1] - sigma / (2.0 * n).sqrt()).abs() < 1e-2 * se[1], "{se:?}");
    assert!((r.bic() - (2.0 * n.ln() - 2.0 * r.log_likelihood)).abs() < 1e-9);
    // Exponential: se(rate) = rate/√n.
    let r = fit_family("Exponential", &x, &FitOptions::default()).unwrap();
    let rate = r.parameters[0].1[0];
    assert!((r.standard_errors.unwrap()[0] - rate / n.sqrt()).abs() < 1e-3 * rate / n.sqrt());
    // Uniform's maximum is on the boundary: no standard errors.
    assert!(fit_family("Uniform", &x, &FitOptions::default()).unwrap().standard_errors.is_none());
    // Ranking: ordered by AIC, no discrete or circular family, Beta skipped (data outside (0, 1)).
    let (ranked, skipped) = rank_families(&x, &FitOptions { steps: 600, ..Default::default() }).unwrap();
    assert!(ranked.windows(2).all(|w| w[0].aic() <= w[1].aic()));
    assert!(ranked.iter().all(|r| !["Poisson", "Geometric", "VonMises", "Beta"].contains(&r.family.as_str())));
    assert!(skipped.iter().any(|(f, _)| f == "Beta"));
    assert!(rank_families(&[], &FitOptions::default()).is_err());
}

#[test]
fn command_line_fit_vi_and_exit_codes() {
    let dir = scratch("cli");
    let x = positive_data(300);
    let csv: String = std::iter::once("id,waiting_time".to_string()).chain(x.iter().enumerate().map(|(i, v)| format!("{i},{v}"))).collect::<Vec<_>>().join("\n");
    std::fs::write(dir.join("data.csv"), csv).unwrap();
    // A fit with both plots and JSON output.
    let (code, out, err) = probrs(&["fit", "Gamma", "data.csv", "--column", "waiting_time", "--plot", "fit.png", "--loss-plot", "loss.svg", "--save", "gamma.json", "--json", "--steps", "600"], &dir);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["family"], "Gamma");
    assert!(j["aic"].as_f64().unwrap().is_finite() && j["bic"].as_f64().unwrap() > j["aic"].as_f64().unwrap());
    assert_eq!(j["standard_errors"].as_array().unwrap().len(), 2);
    assert!(is_png(&dir.join("fit.png")) && is_svg(&dir.join("loss.svg")));
    // The saved fit loads back with the printed parameters.
    let saved = probrs::save::load_distribution(dir.join("gamma.json")).unwrap();
    let conc = saved.parameters().iter().find(|(n, _)| *n == "concentration").unwrap().1.values_f64(DType::F64).unwrap()[0];
    assert_eq!(conc, j["parameters"]["concentration"][0].as_f64().unwrap());
    assert!(err.is_empty(), "no progress bar off a terminal: {err:?}");
    // Ranking by AIC.
    let (code, out, _) = probrs(&["fit", "auto", "data.csv", "--column", "1", "--steps", "300", "-q"], &dir);
    assert_eq!(code, 0);
    assert!(out.starts_with("family") && out.contains("skipped: bad input family Beta"));
    // The family may also be given as an option.
    let (code, out2, _) = probrs(&["fit", "--family", "auto", "data.csv", "--column", "1", "--steps", "300", "-q"], &dir);
    assert_eq!((code, out2), (0, out));
    // The seed's VI model, with its picture.
    let (code, out, err) = probrs(&["vi", "normal_normal", "--plot", "posterior.svg", "--steps", "300"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("exact posterior") && is_svg(&dir.join("posterior.svg")));
    // Bad input: exit 1, one line naming the culprit, nothing written.
    std::fs::write(dir.join("bad.csv"), "x\n1\nabc\n3\n").unwrap();
    std::fs::write(dir.join("neg.csv"), "x\n1\n-2\n3\n").unwrap();
    std::fs::write(dir.join("empty.csv"), "x,y\n").unwrap();
    for (args, culprit) in [
        (vec!["fit", "Normal", "missing.csv", "--plot", "m.svg"], "missing.csv"),
        (vec!["fit", "Normal", "bad.csv", "--plot", "m.svg"], "bad.csv:3:1"),
        (vec!["fit", "Normal", "empty.csv", "--column", "y", "--plot", "m.svg"], "empty"),
        (vec!["fit", "Normal", "data.csv", "--column", "nope", "--plot", "m.svg"], "nope"),
        (vec!["fit", "NoSuch", "data.csv", "--plot", "m.svg"], "family NoSuch"),
        (vec!["fit", "Gamma", "neg.csv", "--plot", "m.svg"], "family Gamma"),
        (vec!["fit", "Normal", "data.csv", "--plot", "m.jpg"], "m.jpg"),
        (vec!["fit", "Normal", "data.csv", "--plot", "m.svg", "--save", "m.txt"], "m.txt"),
        (vec!["vi", "nope", "--plot", "m.svg"], "model nope"),
        (vec!["fit", "Normal", "--plot", "m.svg"], "missing DATA"),
        (vec!["fit", "Normal", "data.csv", "--family", "Gamma", "--plot", "m.svg"], "twice"),
        (vec!["fit", "Normal", "data.csv", "--steps", "0", "--plot", "m.svg"], "steps"),
        (vec!["vi", "normal_normal", "--steps", "0", "--plot", "m.svg"], "steps"),
    ] {
        let (code, out, err) = probrs(&args, &dir);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(culprit), "{args:?}: {err}");
        assert!(!dir.join("m.svg").exists() && !dir.join("m.jpg").exists());
    }
    // A numerical failure: exit 2.
    let (code, _, err) = probrs(&["fit", "Normal", "data.csv", "--lr", "1e300", "-q"], &dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("non-finite"));
    // A usage error (unknown option, missing argument) is bad input too: exit 1.
    for args in [vec!["fit", "Normal", "data.csv", "--no-such-option"], vec!["fit"], vec!["nonsense"]] {
        let (code, out, err) = probrs(&args, &dir);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty() && err.contains("error"), "{args:?}: {err}");
    }
    // Every subcommand's --help carries an example.
    for sub in ["demo", "fit", "vi", "bench", "conformance"] {
        let (code, out, _) = probrs(&[sub, "--help"], &dir);
        assert_eq!(code, 0);
        assert!(out.contains("Example"), "{sub} --help: {out}");
    }
}
