//! Stateless randomness: same seed ⇒ bit-identical samples, on any thread; the Gamma, Beta,
//! Poisson and Binomial samplers have the right moments.

use probrs::random::{self, Seed};
use probrs::tensor::{DType, Tensor};

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_vec().unwrap().iter().map(|x| x.to_bits()).collect()
}

#[test]
fn same_seed_same_bits_on_every_thread() {
    let reference = bits(&random::normal(&[1000], DType::F64, Seed::new(77)).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| bits(&random::normal(&[1000], DType::F64, Seed::new(77)).unwrap())))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), reference);
    }
    let u = random::uniform(&[100], DType::F32, Seed::new(1)).unwrap().to_vec().unwrap();
    assert!(u.iter().all(|x| (0.0..1.0).contains(x)));
    let r = random::rademacher(&[100], DType::F32, Seed::new(1)).unwrap().to_vec().unwrap();
    assert!(r.iter().all(|x| *x == 1.0 || *x == -1.0));
    assert!(r.iter().any(|x| *x == 1.0) && r.iter().any(|x| *x == -1.0));
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (m, v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0))
}

#[test]
fn gamma_beta_poisson_binomial_moments() {
    // 40000 draws each; every bound is ≥ 5 standard errors (false-failure rate < 1e-6 per
    // check; the seeds are fixed so the outcome is deterministic).
    let n = [40000];
    let g = random::gamma(&n, &Tensor::scalar(3.0, DType::F64).unwrap(), Seed::new(1)).unwrap().to_vec().unwrap();
    let (m, v) = mean_var(&g);
    assert!((m - 3.0).abs() < 5.0 * (3.0f64 / 40000.0).sqrt(), "gamma mean {m}");
    assert!((v - 3.0).abs() < 0.15, "gamma var {v}");
    let b = random::beta(&n, &Tensor::scalar(2.0, DType::F64).unwrap(), &Tensor::scalar(5.0, DType::F64).unwrap(), Seed::new(2))
        .unwrap()
        .to_vec()
        .unwrap();
    let (m, _) = mean_var(&b);
    assert!((m - 2.0 / 7.0).abs() < 5.0 * (10.0f64 / (49.0 * 8.0) / 40000.0).sqrt(), "beta mean {m}");
    let p = random::poisson(&n, &Tensor::vector(&[4.0, 0.0], DType::F64).unwrap(), Seed::new(3)).unwrap();
    assert_eq!(p.shape(), &[40000, 2]);
    let pv = p.to_vec().unwrap();
    let first: Vec<f64> = pv.iter().step_by(2).cloned().collect();
    let (m, v) = mean_var(&first);
    assert!((m - 4.0).abs() < 5.0 * (4.0f64 / 40000.0).sqrt(), "poisson mean {m}");
    assert!((v - 4.0).abs() < 0.2, "poisson var {v}");
    assert!(pv.iter().skip(1).step_by(2).all(|x| *x == 0.0), "rate 0 gives 0");
    let bi = random::binomial(&n, &Tensor::scalar(10.0, DType::F64).unwrap(), &Tensor::scalar(0.3, DType::F64).unwrap(), Seed::new(4))
        .unwrap()
        .to_vec()
        .unwrap();
    let (m, _) = mean_var(&bi);
    assert!((m - 3.0).abs() < 5.0 * (2.1f64 / 40000.0).sqrt(), "binomial mean {m}");
    assert!(bi.iter().all(|x| x.fract() == 0.0 && (0.0..=10.0).contains(x)));
}

#[test]
fn bad_sampler_parameters_are_errors_not_panics() {
    let bad = Tensor::scalar(-1.0, DType::F64).unwrap();
    assert!(random::gamma(&[2], &bad, Seed::new(0)).is_err());
    assert!(random::poisson(&[2], &bad, Seed::new(0)).is_err());
    let n = Tensor::scalar(2.5, DType::F64).unwrap();
    assert!(random::binomial(&[2], &n, &Tensor::scalar(0.5, DType::F64).unwrap(), Seed::new(0)).is_err());
    // The error names the parameter at fault.
    let three = Tensor::scalar(3.0, DType::F64).unwrap();
    match random::binomial(&[2], &three, &Tensor::scalar(1.5, DType::F64).unwrap(), Seed::new(0)) {
        Err(probrs::Error::InvalidParameter { name, .. }) => assert_eq!(name, "probs"),
        other => panic!("{:?}", other.map(|t| t.shape().to_vec())),
    }
}
