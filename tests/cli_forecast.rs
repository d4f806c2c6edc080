//! `probrs forecast`: the table, the JSON object, the pictures and bad input (exit code 1 with
//! the culprit named).

use std::path::PathBuf;
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("probrs_cli_forecast_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn probrs(args: &[&str], dir: &PathBuf) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_probrs")).args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A trend with a period-4 pattern, two gaps, and a second column.
fn write_series(dir: &PathBuf) -> PathBuf {
    let mut text = String::from("t,sales\n");
    for t in 0..60 {
        let v = if t == 10 || t == 33 { String::new() } else if t == 20 { "NA".into() } else { format!("{:.4}", 10.0 + 0.3 * t as f64 + [2.0, -1.0, 0.5, -1.5][t % 4] + 0.2 * ((t * 7) as f64).sin()) };
        text.push_str(&format!("{t},{v}\n"));
    }
    let path = dir.join("sales.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn forecast_prints_a_table_json_and_pictures() {
    let dir = scratch("ok");
    write_series(&dir);
    let (code, out, err) = probrs(&["forecast", "sales.csv", "--column", "sales", "--seasonal", "4", "--horizon", "6", "--plot", "f.svg", "--components", "c.png"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("60 steps (3 missing)") && out.contains("4 seasons"), "{out}");
    assert_eq!(out.lines().filter(|l| l.trim_start().starts_with(char::is_numeric)).count(), 6, "{out}");
    assert!(std::fs::read_to_string(dir.join("f.svg")).unwrap().contains("<svg"));
    assert!(std::fs::read(dir.join("c.png")).unwrap().starts_with(&[0x89, b'P', b'N', b'G']));
    let (code, out, err) = probrs(&["forecast", "sales.csv", "--column", "sales", "--seasonal", "4", "--horizon", "6", "--json"], &dir);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let rows = v["forecast"].as_array().unwrap();
    assert_eq!((rows.len(), v["missing"].as_u64()), (6, Some(3)));
    // The trend continues (0.3 per step) and the pattern repeats: step 60 is season 0 (+2),
    // step 61 season 1 (−1); the intervals nest.
    let mean = |i: usize| rows[i]["mean"].as_f64().unwrap();
    assert!((mean(0) - (10.0 + 0.3 * 60.0 + 2.0)).abs() < 1.0 && (mean(1) - (10.0 + 0.3 * 61.0 - 1.0)).abs() < 1.0, "{rows:?}");
    for r in rows {
        let q = |k: &str| r[k].as_f64().unwrap();
        assert!(q("q025") < q("q10") && q("q10") < q("mean") && q("mean") < q("q90") && q("q90") < q("q975"));
    }
}

#[test]
fn bad_forecast_input_exits_1_naming_the_culprit() {
    let dir = scratch("bad");
    write_series(&dir);
    let (code, _, err) = probrs(&["forecast", "sales.csv"], &dir);
    assert!(code == 1 && err.contains("--column"), "{err}");
    let (code, _, err) = probrs(&["forecast", "sales.csv", "--column", "units"], &dir);
    assert!(code == 1 && err.contains("units"), "{err}");
    let (code, _, err) = probrs(&["forecast", "sales.csv", "--column", "sales", "--horizon", "0"], &dir);
    assert!(code == 1 && err.contains("horizon"), "{err}");
    let (code, _, err) = probrs(&["forecast", "sales.csv", "--column", "sales", "--seasonal", "100"], &dir);
    assert!(code == 1 && err.contains("fewer than one cycle"), "{err}");
    std::fs::write(dir.join("words.csv"), "y\n1\n2\nthree\n").unwrap();
    let (code, _, err) = probrs(&["forecast", "words.csv"], &dir);
    assert!(code == 1 && err.contains("words.csv:4") && err.contains("three"), "{err}");
    std::fs::write(dir.join("empty.csv"), "y\nNA\n\nNaN\n").unwrap();
    let (code, _, err) = probrs(&["forecast", "empty.csv"], &dir);
    assert!(code == 1 && err.contains("missing"), "{err}");
    let (code, _, err) = probrs(&["forecast", "nope.csv"], &dir);
    assert!(code == 1 && err.contains("nope.csv"), "{err}");
}
