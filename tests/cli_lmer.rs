//! `probrs lmer` and `probrs glmer` from the command line: the JSON of sleepstudy's REML fit
//! carries lme4's numbers; the printed summary reads as lme4's; bad formulas and families exit 1
//! with the culprit named.

use std::process::Command;

fn probrs(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_probrs")).args(args).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

const SLEEP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/mixed_effects/data/sleepstudy.csv");

#[test]
fn lmer_prints_lme4s_summary_and_json() {
    let (code, out, err) = probrs(&["lmer", "Reaction ~ Days + (Days | Subject)", SLEEP]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("REML criterion at convergence: 1743.6") && out.contains("Subject, 18"), "{out}");
    let (code, out, err) = probrs(&["lmer", "Reaction ~ Days + (Days | Subject)", SLEEP, "--ml", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["method"], "ML");
    assert!((v["log_likelihood"].as_f64().unwrap() - (-875.970)).abs() < 1e-3);
    assert!((v["random_effects"][0]["sd"][0].as_f64().unwrap() - 23.781).abs() < 1e-3);
    // `--reml` says the default explicitly; with `--ml` it is a usage error.
    let (code, out, err) = probrs(&["lmer", "Reaction ~ Days + (Days | Subject)", SLEEP, "--reml", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["method"], "REML");
    let (code, _, err) = probrs(&["lmer", "Reaction ~ Days + (Days | Subject)", SLEEP, "--reml", "--ml"]);
    assert_ne!(code, 0);
    assert!(err.contains("--ml") || err.contains("--reml"), "{err}");
}

#[test]
fn glmer_fits_a_poisson_model_and_bad_input_exits_1() {
    let path = std::env::temp_dir().join("probrs_cli_glmer.csv");
    let mut csv = String::from("g,x,y\n");
    for i in 0..48 {
        csv.push_str(&format!("{},{},{}\n", i % 8, i % 6, i % 6 + (i % 8) / 3));
    }
    std::fs::write(&path, csv).unwrap();
    let p = path.to_str().unwrap();
    let (code, out, err) = probrs(&["glmer", "y ~ x + (1 | g)", p, "--family", "poisson", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["family"], "Poisson");
    assert!(v["converged"].as_bool().unwrap());
    let (code, _, err) = probrs(&["glmer", "y ~ x + (1 | g)", p, "--family", "gamma"]);
    assert_eq!(code, 1);
    assert!(err.contains("gamma"), "{err}");
    let (code, _, err) = probrs(&["lmer", "Reaction ~ Days + (Days | ", SLEEP]);
    assert_eq!(code, 1);
    assert!(err.contains("position"), "{err}");
}
