//! `probrs fit`'s library: on data each continuous family draws itself (3000 points, fixed
//! seed), maximum likelihood recovers the generating parameters within 15% relative error
//! (several standard errors at this sample size). CSV errors name the line and column.

use probrs::distributions::*;
use probrs::fit::{fit_family, read_csv_column, FitOptions};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};

fn s(v: f64) -> Tensor {
    Tensor::scalar(v, DType::F64).unwrap()
}

fn recover(name: &str, d: &dyn Distribution, truth: &[(&str, f64)]) {
    let x = d.sample(&[3000], Seed::new(17)).unwrap().to_vec().unwrap();
    let fit = fit_family(name, &x, &FitOptions { steps: 2000, learning_rate: 0.05, seed: 1, ..Default::default() }).unwrap_or_else(|e| panic!("{name}: {e}"));
    for (p, want) in truth {
        let got = fit.parameters.iter().find(|(n, _)| n == p).unwrap_or_else(|| panic!("{name}: no {p}")).1[0];
        assert!((got - want).abs() <= 0.15 * want.abs().max(0.5), "{name}.{p}: fitted {got}, generating {want}");
    }
    assert!(fit.log_likelihood.is_finite());
}

#[test]
fn maximum_likelihood_recovers_generating_parameters() {
    recover("Normal", &Normal::new(s(2.0), s(1.5)).unwrap(), &[("loc", 2.0), ("scale", 1.5)]);
    recover("LogNormal", &LogNormal::new(s(0.5), s(0.4)).unwrap(), &[("loc", 0.5), ("scale", 0.4)]);
    recover("HalfNormal", &HalfNormal::new(s(2.0)).unwrap(), &[("scale", 2.0)]);
    recover("Exponential", &Exponential::new(s(0.7)).unwrap(), &[("rate", 0.7)]);
    recover("Gamma", &Gamma::new(s(3.0), s(2.0)).unwrap(), &[("concentration", 3.0), ("rate", 2.0)]);
    recover("InverseGamma", &InverseGamma::new(s(4.0), s(3.0)).unwrap(), &[("concentration", 4.0), ("scale", 3.0)]);
    recover("Chi2", &Chi2::new(s(4.0)).unwrap(), &[("df", 4.0)]);
    recover("Beta", &Beta::new(s(2.0), s(5.0)).unwrap(), &[("concentration1", 2.0), ("concentration0", 5.0)]);
    recover("Uniform", &Uniform::new(s(-1.0), s(3.0)).unwrap(), &[("low", -1.0), ("high", 3.0)]);
    recover("StudentT", &StudentT::new(s(6.0), s(1.0), s(2.0)).unwrap(), &[("loc", 1.0), ("scale", 2.0)]);
    recover("Cauchy", &Cauchy::new(s(-1.0), s(0.5)).unwrap(), &[("loc", -1.0), ("scale", 0.5)]);
    recover("Laplace", &Laplace::new(s(0.5), s(1.5)).unwrap(), &[("loc", 0.5), ("scale", 1.5)]);
    recover("Logistic", &Logistic::new(s(2.0), s(0.7)).unwrap(), &[("loc", 2.0), ("scale", 0.7)]);
    recover("Gumbel", &Gumbel::new(s(1.0), s(2.0)).unwrap(), &[("loc", 1.0), ("scale", 2.0)]);
    recover("Weibull", &Weibull::new(s(1.5), s(2.0)).unwrap(), &[("concentration", 1.5), ("scale", 2.0)]);
    recover("Pareto", &Pareto::new(s(3.0), s(1.5)).unwrap(), &[("concentration", 3.0), ("scale", 1.5)]);
    recover("Kumaraswamy", &Kumaraswamy::new(s(2.0), s(3.0)).unwrap(), &[("concentration1", 2.0), ("concentration0", 3.0)]);
    recover("HalfCauchy", &HalfCauchy::new(s(0.0), s(1.5)).unwrap(), &[("scale", 1.5)]);
    recover("VonMises", &VonMises::new(s(0.8), s(3.0)).unwrap(), &[("loc", 0.8), ("concentration", 3.0)]);
    recover("Poisson", &Poisson::from_rate(s(4.0)).unwrap(), &[("rate", 4.0)]);
    recover("Geometric", &Geometric::new(s(0.3)).unwrap(), &[("probs", 0.3)]);
    // logits = log(p/(1 − p)) = log(0.4/0.6)
    recover("NegativeBinomial", &NegativeBinomial::from_probs(s(3.0), s(0.4)).unwrap(), &[("total_count", 3.0), ("logits", (0.4f64 / 0.6).ln())]);
}

#[test]
fn bad_input_is_named() {
    let dir = std::env::temp_dir();
    let p = dir.join("probrs_fit_bad.csv");
    std::fs::write(&p, "x,y\n1.0,2\n2.5,abc\n").unwrap();
    let path = p.to_str().unwrap();
    assert_eq!(read_csv_column(path, Some("x")).unwrap(), vec![1.0, 2.5]);
    let e = read_csv_column(path, Some("y")).unwrap_err().to_string();
    assert!(e.contains(":3:2") && e.contains("abc"), "{e}");
    assert!(read_csv_column(path, Some("z")).unwrap_err().to_string().contains("no column named"));
    assert!(read_csv_column("/nonexistent.csv", None).is_err());
    // A spreadsheet's byte-order mark and CRLF line ends, quoted cells.
    let b = dir.join("probrs_fit_bom.csv");
    std::fs::write(&b, "\u{feff}\"x\",y\r\n\"1.5\",2\r\n3,4\r\n").unwrap();
    assert_eq!(read_csv_column(b.to_str().unwrap(), Some("x")).unwrap(), vec![1.5, 3.0]);
    let neg = [-1.0, 2.0, 3.0];
    let e = fit_family("Gamma", &neg, &FitOptions::default()).unwrap_err().to_string();
    assert!(e.contains("Gamma") && e.contains("-1"), "{e}");
    assert!(fit_family("NoSuchFamily", &neg, &FitOptions::default()).unwrap_err().to_string().contains("unknown family"));
    assert!(fit_family("Normal", &[], &FitOptions::default()).is_err());
    // A fit needs steps and a usable learning rate.
    for (opts, name) in [(FitOptions { steps: 0, ..Default::default() }, "steps"), (FitOptions { learning_rate: 0.0, ..Default::default() }, "learning_rate"), (FitOptions { learning_rate: f64::NAN, ..Default::default() }, "learning_rate")] {
        match fit_family("Normal", &[1.0, 2.0], &opts) {
            Err(probrs::Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{:?}", other.map(|r| r.family)),
        }
    }
}
