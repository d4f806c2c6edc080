//! The public reference cases (TFP 0.26 values): no case may fail and none may be unsupported.

use probrs::conformance::{run_case, run_file, CaseResult};

const REF: &str = "../shared/reference/reference_public.json";

#[test]
fn public_reference_cases() {
    let Ok(text) = std::fs::read_to_string(REF) else {
        eprintln!("{REF} not found: skipped");
        return;
    };
    let s = run_file(REF).unwrap();
    assert_eq!(s.failed, 0, "{:#?}", s.failures);
    assert_eq!(s.unsupported, 0, "{:#?}", s.unsupported_cases);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let core = ["Normal", "Identity", "Exp", "Softplus", "Sigmoid", "Tanh", "Scale", "Shift", "Square", "Power", "Invert", "Chain"];
    let mut checked = 0;
    for case in json["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let chain_of_core = case["params"]["bijectors"]
            .as_array()
            .map(|bs| bs.iter().all(|b| core.contains(&b["name"].as_str().unwrap_or(""))))
            .unwrap_or(true);
        let inner_core = case["params"]["bijector"]["name"].as_str().map(|n| core.contains(&n)).unwrap_or(true);
        if case["kind"] != "seed_zoo" && core.contains(&name) && chain_of_core && inner_core {
            assert_eq!(run_case(case), CaseResult::Pass, "{}", case["id"]);
            checked += 1;
        }
    }
    assert!(checked >= 60, "only {checked} core cases found");
}

#[test]
fn malformed_files_are_errors_naming_the_location() {
    let dir = std::env::temp_dir().join("probrs_conformance_bad.json");
    std::fs::write(&dir, "{\"cases\": [1, 2,\n ]}").unwrap();
    let err = run_file(dir.to_str().unwrap()).unwrap_err().to_string();
    assert!(err.contains(":2:"), "{err}");
    assert!(run_file("/nonexistent/file.json").is_err());
}

#[test]
fn failing_and_unsupported_cases_are_reported() {
    let bad: serde_json::Value = serde_json::json!({"id": "x", "kind": "distribution", "name": "Normal",
        "params": {"loc": 0.0, "scale": 1.0}, "method": "mean", "input": null, "expected": 1.0,
        "rtol": 1e-9, "atol": 1e-12, "dtype": "float64"});
    assert!(matches!(run_case(&bad), CaseResult::Fail(_)));
    let unknown: serde_json::Value = serde_json::json!({"id": "y", "kind": "distribution", "name": "NoSuchFamily",
        "params": {}, "method": "mean", "input": null, "expected": 1.0, "dtype": "float64"});
    assert!(matches!(run_case(&unknown), CaseResult::Unsupported(_)));
}

/// The runner builds the families no public case uses yet, from TFP's keyword arguments;
/// expected values are independent closed forms (I₀(2) = 2.2795853023360673; TFP's
/// CorrelationCholesky docstring example; LKJ d = 2 density (1 − r²)^{η−1}/B(½, η)).
#[test]
fn runner_builds_von_mises_lkj_and_correlation_cholesky() {
    let vm = 2.0 - (2.0 * std::f64::consts::PI * 2.279_585_302_336_067_3f64).ln();
    let lkj = 2.0 * 0.75f64.ln() - (16.0f64 / 15.0).ln();
    let r2 = 0.5f64.sqrt();
    let cases = serde_json::json!([
        {"id": "distribution/VonMises/log_prob/x", "kind": "distribution", "name": "VonMises", "params": {"loc": 0.5, "concentration": 2.0},
         "method": "log_prob", "input": [0.5], "expected": [vm], "rtol": 1e-12, "atol": 1e-12, "dtype": "float64"},
        {"id": "distribution/LKJ/log_prob/x", "kind": "distribution", "name": "LKJ", "params": {"dimension": 2, "concentration": 3.0},
         "method": "log_prob", "input": [[[1.0, 0.5], [0.5, 1.0]]], "expected": [lkj], "rtol": 1e-12, "atol": 1e-12, "dtype": "float64"},
        {"id": "distribution/CholeskyLKJ/log_prob/x", "kind": "distribution", "name": "CholeskyLKJ", "params": {"dimension": 2, "concentration": 3.0},
         "method": "log_prob", "input": [[[1.0, 0.0], [0.5, 0.75f64.sqrt()]]], "expected": [lkj], "rtol": 1e-12, "atol": 1e-12, "dtype": "float64"},
        {"id": "bijector/CorrelationCholesky/forward/x", "kind": "bijector", "name": "CorrelationCholesky", "params": {},
         "method": "forward", "input": [[2.0, 2.0, 1.0]], "expected": [[[1.0, 0.0, 0.0], [r2, r2, 0.0], [2.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0]]],
         "rtol": 1e-12, "atol": 1e-12, "dtype": "float64"}
    ]);
    for case in cases.as_array().unwrap() {
        assert_eq!(run_case(case), CaseResult::Pass, "{}", case["id"]);
    }
}

/// The constructor arguments TFP documents beyond the public file's (defaults, alternative
/// parameterizations such as `log_rate` / `log_scale` / `logits`, `sample_shape`,
/// `batch_shape`, `validity_mask`, `event_shape_in`, `rightmost_transposed_ndims`, ...), against
/// scipy's values (`tests/data/conformance_constructor_args.py`). Arguments that change values
/// in ways probrs does not model are reported unsupported, not evaluated without them. And the
/// quantities seed page 002 prints about `make_trainable`'s objects: the stored, unconstrained
/// values beside the presented ones.
#[test]
fn every_documented_constructor_argument() {
    let s = run_file(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance_constructor_args.json")).unwrap();
    assert!(s.failures.is_empty(), "{}", s.failures.join("\n"));
    assert_eq!((s.passed, s.failed, s.unsupported), (35, 0, 2), "{:?}", s.unsupported_cases);
    assert!(s.unsupported_cases.iter().any(|u| u.contains("allow_nan_stats=False")));
    assert!(s.unsupported_cases.iter().any(|u| u.contains("atol")));
}
