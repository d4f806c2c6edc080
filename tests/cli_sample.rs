//! `probrs sample`: the built-in models by name, the summary and reference check, CmdStan CSV
//! that `probrs summary` reads back, plots, JSON, the same draws for the same seed, and bad
//! input (unknown model, bad metric, missing directory) as one-line errors with exit code 1.

use std::path::PathBuf;
use std::process::Command;

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

#[test]
fn list_names_the_seven_models() {
    let dir = scratch("sample_list");
    let (code, out, _) = probrs(&["sample", "list"], &dir);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 7, "{out}");
    assert!(out.contains("eight_schools-eight_schools_noncentered") && out.contains("low_dim_gauss_mix"));
}

#[test]
fn sample_saves_chains_that_summary_reads_and_plots() {
    let dir = scratch("sample_save");
    let (code, out, err) = probrs(&["sample", "sblrc", "--warmup", "300", "--draws", "300", "--seed", "3", "--save", ".", "--plot", "sblrc.svg", "-q"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 chains, 1200 draws") && out.contains("beta.5") && out.contains("posteriordb reference:"), "{out}");
    for c in 1..=4 {
        assert!(dir.join(format!("sblrc-blr-{c}.csv")).exists());
    }
    let svg = std::fs::read_to_string(dir.join("sblrc.svg")).unwrap();
    assert!(svg.contains("beta.1: trace") && svg.contains("sigma: rank"));
    // probrs summary reads the files back to the same table.
    let files: Vec<String> = (1..=4).map(|c| format!("sblrc-blr-{c}.csv")).collect();
    let mut args = vec!["summary"];
    args.extend(files.iter().map(String::as_str));
    let (code, table, _) = probrs(&args, &dir);
    assert_eq!(code, 0);
    let row = |s: &str| s.lines().find(|l| l.starts_with("beta.3 ")).map(str::to_string);
    assert_eq!(row(&table), row(&out));
}

#[test]
fn json_output_and_the_same_draws_for_the_same_seed() {
    let dir = scratch("sample_json");
    let args = ["sample", "eight_schools", "--chains", "2", "--warmup", "200", "--draws", "200", "--seed", "9", "--json"];
    let (code, a, err) = probrs(&args, &dir);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(a.trim()).unwrap();
    assert_eq!(v["model"], "eight_schools-eight_schools_noncentered");
    assert_eq!(v["draws_per_chain"], serde_json::json!([200, 200]));
    assert_eq!(v["reference_check"].as_array().unwrap().len(), 10);
    let (_, b, _) = probrs(&args, &dir);
    let w: serde_json::Value = serde_json::from_str(b.trim()).unwrap();
    assert_eq!(v["summary"], w["summary"]);
}

#[test]
fn bad_input_is_a_one_line_error() {
    let dir = scratch("sample_bad");
    for (args, needle) in [
        (vec!["sample", "nine_schools"], "unknown model"),
        (vec!["sample", "kidiq", "--metric", "full"], "--metric"),
        (vec!["sample", "kidiq", "--save", "no/such/dir"], "--save"),
        (vec!["sample", "kidiq", "--plot", "x.jpg"], ".svg or .png"),
        (vec!["sample", "kidiq", "--adapt-delta", "1.5"], "target_accept_prob"),
    ] {
        let (code, out, err) = probrs(&args, &dir);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains(needle) && err.lines().count() == 1, "{args:?}: {err}");
    }
}
