//! The diagnostics of Vehtari et al. (2021) against the R `posterior` package's values (0.1.2,
//! ArviZ's golden data: two Stan chains of 48 parameters), to 1e-8 relative; and TFP's
//! `effective_sample_size` / `potential_scale_reduction` against their formulas.
//! Deterministic: no false failures.

use probrs::mcmc::*;
use probrs::tensor::{DType, Tensor};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mcmc_diagnostics/");

fn reference() -> Vec<(String, Vec<(String, f64)>)> {
    let text = std::fs::read_to_string(format!("{DIR}reference_posterior.csv")).unwrap();
    let mut lines = text.lines();
    let cols: Vec<String> = lines.next().unwrap().split(',').map(|s| s.trim_matches('"').to_string()).collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].trim_matches('"').to_string(), cols[1..].iter().cloned().zip(cells[1..].iter().map(|c| c.parse::<f64>().unwrap())).collect())
        })
        .collect()
}

#[test]
fn vehtari_diagnostics_reproduce_posterior_to_1e_8() {
    let chains = [CmdStanCsv::read(format!("{DIR}blocker.1.csv")).unwrap(), CmdStanCsv::read(format!("{DIR}blocker.2.csv")).unwrap()];
    let rows = reference();
    assert_eq!(rows.len(), 48);
    let mut checked = 0;
    let mut worst = (0.0f64, String::new());
    for (name, values) in &rows {
        // posterior's names `mu[1]` are CmdStan's `mu.1`.
        let column = name.replace('[', ".").replace(']', "");
        let x: Vec<&[f64]> = chains.iter().map(|c| c.column(&column).unwrap_or_else(|| panic!("no column {column}"))).collect();
        for (stat, want) in values {
            let got = match stat.as_str() {
                "rhat_rank" => rhat(&x),
                "rhat_raw" => rhat_basic(&x, false),
                "ess_bulk" => ess_bulk(&x),
                "ess_tail" => ess_tail(&x),
                "ess_mean" => ess_mean(&x),
                "ess_sd" => ess_sd(&x),
                "ess_median" => ess_median(&x),
                "ess_raw" => ess_basic(&x, false),
                "ess_quantile01" => ess_quantile(&x, 0.01),
                "ess_quantile10" => ess_quantile(&x, 0.1),
                "ess_quantile30" => ess_quantile(&x, 0.3),
                "mcse_mean" => mcse_mean(&x),
                "mcse_sd" => mcse_sd(&x),
                "mcse_median" => mcse_median(&x),
                "mcse_quantile01" => mcse_quantile(&x, 0.01),
                "mcse_quantile10" => mcse_quantile(&x, 0.1),
                "mcse_quantile30" => mcse_quantile(&x, 0.3),
                other => panic!("unknown statistic {other}"),
            }
            .unwrap();
            let rel = (got - want).abs() / want.abs();
            if rel > worst.0 {
                worst = (rel, format!("{name} {stat}: {got} vs {want}"));
            }
            assert!(rel <= 1e-8, "{name} {stat}: {got} vs posterior's {want} (relative {rel:.1e})");
            checked += 1;
        }
    }
    assert_eq!(checked, 48 * 17);
    eprintln!("{checked} values, worst relative difference {:.1e} ({})", worst.0, worst.1);
}

#[test]
fn degenerate_and_bad_input() {
    // A constant or non-finite quantity has NaN diagnostics (posterior's NA), not a panic.
    assert!(rhat(&[vec![1.0; 10], vec![1.0; 10]]).unwrap().is_nan());
    assert!(ess_bulk(&[vec![1.0, 2.0, f64::NAN, 4.0, 5.0]]).unwrap().is_nan());
    // A short chain whose first autocorrelation pair sums below zero (Stan's max_t = −1): τ takes
    // its floor 1/log10(S), as ArviZ's `_ess` (4.668907502301862 on this chain), not a panic.
    let e = ess_basic(&[vec![1.0, -1.0, 1.1, -1.0, 1.0, -0.9]], false).unwrap();
    assert!((e - 4.668907502301862).abs() < 1e-12, "{e}");
    assert!(ess_bulk(&[vec![1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0]]).unwrap().is_finite());
    // Typed errors naming the argument.
    assert!(rhat(&[vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 2.0]]).unwrap_err().to_string().contains("chain 1"));
    assert!(ess_bulk(&Vec::<Vec<f64>>::new()).unwrap_err().to_string().contains("chains"));
    // Too short for Geyer's sequence once split (fewer than 5 draws a half): NaN, not a panic
    // (found by the summary's doc example).
    for n in 4..10 {
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.7 % 1.3).collect();
        assert_eq!(ess_bulk(&[x.clone()]).unwrap().is_nan(), n < 10, "{n}");
        assert_eq!(mcse_quantile(&[x.clone()], 0.3).unwrap().is_nan(), n < 10, "{n}");
        assert_eq!(ess_basic(&[x], false).unwrap().is_nan(), n < 5, "{n}");
    }
    assert!(ess_quantile(&[vec![1.0, 2.0, 3.0, 4.0]], 1.5).unwrap_err().to_string().contains("prob"));
    assert!(CmdStanCsv::read("/no/such/chain.csv").unwrap_err().to_string().contains("/no/such/chain.csv"));
}

/// TFP's ESS from its formula, on an AR(1) chain with known autocorrelation.
#[test]
fn tfp_effective_sample_size_and_potential_scale_reduction() {
    // AR(1) with φ = 0.6 from a fixed pseudo-random sequence: ESS ≈ N (1 − φ)/(1 + φ) = N/4.
    let n = 20_000;
    let mut state = 12345u64;
    let mut uniform = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = vec![0.0; n];
    for i in 1..n {
        let z = (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos();
        x[i] = 0.6 * x[i - 1] + z;
    }
    let t = Tensor::vector(&x, DType::F64).unwrap();
    let ess = effective_sample_size(&t, &EffectiveSampleSizeOptions::default()).unwrap().to_scalar().unwrap();
    assert!((ess / (n as f64 / 4.0) - 1.0).abs() < 0.1, "ess {ess}");
    let pairs = effective_sample_size(&t, &EffectiveSampleSizeOptions { filter_beyond_positive_pairs: true, ..Default::default() }).unwrap().to_scalar().unwrap();
    assert!((pairs / (n as f64 / 4.0) - 1.0).abs() < 0.1, "ess {pairs}");
    // filter_beyond_lag = 0: lag 0 alone, ESS = N.
    let lag0 = effective_sample_size(&t, &EffectiveSampleSizeOptions { filter_beyond_lag: Some(0), ..Default::default() }).unwrap().to_scalar().unwrap();
    assert!((lag0 - n as f64).abs() < 1e-6);
    // Two columns are two chains: the result has their shape; cross_chain_dims combines them.
    let two: Vec<f64> = x.iter().flat_map(|v| [*v, -*v]).collect();
    let t2 = Tensor::from_slice(&two, &[n, 2], DType::F64).unwrap();
    let each = effective_sample_size(&t2, &EffectiveSampleSizeOptions::default()).unwrap();
    assert_eq!(each.shape(), &[2]);
    assert!((each.to_vec().unwrap()[0] - ess).abs() < 1e-6 * ess);
    let cross = effective_sample_size(&t2, &EffectiveSampleSizeOptions { cross_chain_dims: Some(vec![1]), ..Default::default() }).unwrap();
    assert_eq!(cross.shape(), &[] as &[usize]);
    assert!(cross.to_scalar().unwrap() > ess, "two mixing chains carry more information than one");
    assert!(effective_sample_size(&t2, &EffectiveSampleSizeOptions { cross_chain_dims: Some(vec![0]), ..Default::default() }).is_err());
    // R̂ by its formula on a small case: n = 3 draws, m = 2 chains.
    let s = Tensor::from_slice(&[1.0, 4.0, 2.0, 6.0, 3.0, 5.0], &[3, 2], DType::F64).unwrap();
    // chain 0: 1, 2, 3 (mean 2, var 1); chain 1: 4, 6, 5 (mean 5, var 1); B/n = var([2, 5]) = 4.5; W = 1.
    let want = 1.5 * ((2.0 / 3.0) * 1.0 + 4.5) / 1.0 - 2.0 / 6.0;
    assert!((potential_scale_reduction(&s, 1, false).unwrap().to_scalar().unwrap() - want).abs() < 1e-12);
    // Split chains double the chains and halve the draws.
    let long = Tensor::from_slice(&(0..40).map(|i| (i as f64 * 1.3).sin()).collect::<Vec<_>>(), &[20, 2], DType::F64).unwrap();
    assert!(potential_scale_reduction(&long, 1, true).unwrap().to_scalar().unwrap().is_finite());
    assert!(potential_scale_reduction(&s, 1, true).unwrap_err().to_string().contains("4 draws"));
    assert!(potential_scale_reduction(&s, 2, false).is_err());
}

/// `probrs summary` on the golden chains: the table's ESS and R-hat are posterior's values.
#[test]
fn probrs_summary_prints_the_golden_values() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_probrs"))
        .args(["summary", &format!("{DIR}blocker.1.csv"), &format!("{DIR}blocker.2.csv"), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["chains"], 2);
    assert_eq!(v["divergences"], serde_json::json!([0, 0]));
    let rows = v["summary"].as_array().unwrap();
    assert_eq!(rows.len(), 49, "lp__ and the 48 parameters");
    let d = rows.iter().find(|r| r["name"] == "d").unwrap();
    for (key, want) in [("ess_bulk", 465.136513484671), ("ess_tail", 349.135270438316), ("r_hat", 1.00780272388603), ("mcse_mean", 0.00265985849234941)] {
        let got = d[key].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-8 * want, "{key}: {got} vs {want}");
    }
    // A missing file: exit 1, one line naming it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_probrs")).args(["summary", "/no/such/chain.csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/chain.csv"));
}
