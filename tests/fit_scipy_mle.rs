//! `fit_family` reports the maximum-likelihood estimate itself: every family's parameters equal
//! scipy's MLEs to 1e-6 relative on fresh data (501 points each, drawn and fitted by
//! `tests/data/scipy_mle.py`, which wrote `tests/data/scipy_mle.json`; scipy 1.17.1). The
//! comparison is deterministic: no false-failure rate.

use probrs::fit::{canonical_family, fit_family, Estimate, FitOptions, FAMILIES};
use serde_json::Value;

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scipy_mle.json")).expect("the fixture");
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn every_family_matches_scipys_mle_to_1e_6() {
    let r = reference();
    let families = r["families"].as_object().unwrap();
    assert_eq!(families.len(), FAMILIES.len(), "one reference per family");
    let mut worst: Vec<(f64, String)> = vec![];
    let mut failures = vec![];
    for family in FAMILIES {
        let case = &families[*family];
        let data: Vec<f64> = case["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let fit = fit_family(family, &data, &FitOptions::default()).unwrap_or_else(|e| panic!("{family}: {e}"));
        if let Estimate::Lbfgs { converged, .. } = fit.estimate {
            assert!(converged, "{family}: L-BFGS did not converge");
        }
        for (name, want) in case["mle"].as_object().unwrap() {
            let want = want.as_f64().unwrap();
            let got = fit.parameters.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{family} has no parameter {name}")).1[0];
            let rel = (got - want).abs() / want.abs().max(1e-300);
            worst.push((rel, format!("{family}.{name}: {got} vs scipy {want}")));
            if rel > 1e-6 {
                failures.push(format!("{family}.{name}: {got} vs scipy {want} (relative {rel:.2e})"));
            }
        }
        let ll = case["log_likelihood"].as_f64().unwrap();
        assert!((fit.log_likelihood - ll).abs() <= 1e-6 * ll.abs(), "{family}: log-likelihood {} vs scipy {ll}", fit.log_likelihood);
    }
    worst.sort_by(|a, b| b.0.total_cmp(&a.0));
    eprintln!("largest relative differences:\n{}", worst.iter().take(5).map(|(r, s)| format!("  {r:.1e} {s}")).collect::<Vec<_>>().join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn family_names_are_case_insensitive_with_aliases() {
    for (name, want) in [("gamma", "Gamma"), ("NORMAL", "Normal"), ("gaussian", "Normal"), ("lognormal", "LogNormal"), ("t", "StudentT"), ("studentt", "StudentT"), ("negbinom", "NegativeBinomial"), ("half_cauchy", "HalfCauchy"), ("von-mises", "VonMises"), ("expon", "Exponential")] {
        assert_eq!(canonical_family(name).unwrap(), want, "{name}");
    }
    for f in FAMILIES {
        assert_eq!(canonical_family(&f.to_lowercase()).unwrap(), *f);
    }
    let err = canonical_family("wiebull").unwrap_err().to_string();
    assert!(err.contains("did you mean Weibull"), "{err}");
    let err = canonical_family("zzzzzzzz").unwrap_err().to_string();
    assert!(!err.contains("did you mean") && err.contains("known: Normal"), "{err}");
    // fit_family takes the aliases too, and reports the canonical name.
    let fit = fit_family("gamma", &[0.5, 1.5, 2.5, 1.0, 0.7], &FitOptions::default()).unwrap();
    assert_eq!(fit.family, "Gamma");
}
