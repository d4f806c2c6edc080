//! The surrogate builders on a pinned model: parts read from the model's unpinned sites and
//! their event-space bijectors; factored and affine (diag, tril) surrogates fitted by
//! `fit_surrogate_posterior` recover the posterior of a conjugate model; the affine surrogate's
//! `log_prob` of its own draws equals its `sample_and_log_prob`.

use probrs::distributions::{Distribution, Gamma, Independent, Normal};
use probrs::joint::{JointDistributionCoroutine, Root};
use probrs::optim::Adam;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::vi::*;

/// loc ~ N(0, 10), precision τ ~ Gamma(2, 1), x_i ~ N(loc, 1/√τ) for 30 observations.
fn model() -> (JointDistributionCoroutine, Tensor, f64) {
    let data: Vec<f64> = (0..30).map(|i| 1.5 + ((i * 37 % 17) as f64 - 8.0) / 8.0).collect();
    let mean = data.iter().sum::<f64>() / 30.0;
    let x = Tensor::vector(&data, DType::F64).unwrap();
    let m = JointDistributionCoroutine::new(|m| {
        let f = DType::F64;
        let loc = m.sample("loc", Root(Normal::new(Tensor::scalar(0.0, f)?, 10.0)?))?;
        let tau = m.sample("tau", Root(Gamma::new(Tensor::scalar(2.0, f)?, 1.0)?))?;
        let r = loc.rank();
        let scale = tau.sqrt()?.recip()?.unsqueeze(r)?;
        m.sample("x", Independent::new(Normal::new(loc.unsqueeze(r)?, scale)?.with_shape_hint(30)?, 1)?)?;
        Ok(())
    });
    (m, x, mean)
}

trait ShapeHint: Sized {
    fn with_shape_hint(self, n: usize) -> probrs::Result<Normal>;
}
impl ShapeHint for Normal {
    /// Broadcasts the batch to `[..., n]` so `Independent` reinterprets the observations.
    fn with_shape_hint(self, n: usize) -> probrs::Result<Normal> {
        let loc = self.mean()?;
        let mut s = loc.shape().to_vec();
        *s.last_mut().unwrap() = n;
        Normal::new(loc.broadcast_to(&s)?, self.stddev()?.broadcast_to(&s)?)
    }
}

#[test]
fn builders_fit_the_posterior_of_a_pinned_model() {
    let (m, x, mean) = model();
    let pinned = m.pin(vec![("x".into(), x)]).unwrap();
    let parts = SurrogatePart::from_pinned(&pinned).unwrap();
    assert_eq!(parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["loc", "tau"]);
    let target = |v: &Structure| pinned.unnormalized_log_prob(v);
    let factored = build_factored_surrogate_posterior(&parts, DType::F64, 1, 1e-2).unwrap();
    let affine_diag = build_affine_surrogate_posterior(&parts, AffineOperator::Diag, DType::F64, 2, 1e-2).unwrap();
    let affine_tril = build_affine_surrogate_posterior(&parts, AffineOperator::TriL, DType::F64, 3, 1e-2).unwrap();
    for (name, q) in [("factored", &factored as &dyn SurrogatePosterior), ("affine diag", &affine_diag), ("affine tril", &affine_tril)] {
        let r = fit_surrogate_posterior(target, q, &mut Adam::new(0.05), 1500, FitOptions { sample_size: 8, seed: 5, ..Default::default() }, |t| t.loss_value).unwrap();
        let early = r.trace[..50].iter().sum::<f64>() / 50.0;
        let late = r.trace[1400..].iter().sum::<f64>() / 100.0;
        assert!(late < early, "{name}: loss {early} -> {late}");
        // Posterior mean of loc ≈ the data mean (prior N(0, 10) is weak); tau > 0.
        let draws = q.sample_structure(&[4000], Seed::new(9)).unwrap();
        let loc_mean = draws.get("loc").unwrap().mean_all().unwrap().to_scalar().unwrap();
        assert!((loc_mean - mean).abs() < 0.15, "{name}: E[loc] {loc_mean} vs data mean {mean}");
        assert!(draws.get("tau").unwrap().to_vec().unwrap().iter().all(|t| *t > 0.0));
        // log_prob of its own draws equals sample_and_log_prob's.
        let (xs, lp) = q.sample_and_log_prob_structure(&[5], Seed::new(10)).unwrap();
        let lp2 = q.log_prob_structure(&xs).unwrap();
        for (a, b) in lp.to_vec().unwrap().iter().zip(lp2.to_vec().unwrap()) {
            assert!((a - b).abs() < 1e-8 * (1.0 + b.abs()), "{name}: {a} vs {b}");
        }
    }
    assert_eq!(affine_tril.surrogate_variables().len(), 2);
}
