//! Seed pages 000/001 (`make_trainable`): the documented numbers.

use probrs::demo::{fit_normal, seed_moments};
use probrs::tensor::DType;

#[test]
fn reaches_the_maximum_likelihood_estimate() {
    // The page: mean 5.40, stddev 1.95; the MLE is 5.397 and 1.9525 (population sd).
    let (m, s) = seed_moments();
    assert!((m - 5.397).abs() < 1e-9);
    assert!((s - 1.9524909).abs() < 1e-6);
    let fit = fit_normal(1000, None, 42, DType::F32).unwrap();
    assert!((fit.mean - 5.397).abs() < 1e-3, "mean {}", fit.mean);
    assert!((fit.stddev - 1.9525).abs() < 1e-3, "stddev {}", fit.stddev);
    assert_eq!(fit.model, "Normal(\"Normal\", batch_shape=[], event_shape=[], dtype=float32)");
    assert!(fit.variables.starts_with("(<Variable 'loc:0' shape=() dtype=float32, numpy=5.39"), "{}", fit.variables);
}

#[test]
fn matches_tfps_exact_trajectory() {
    // TFP-on-JAX, TFP-on-TF and NumPyro, from loc 0 and scale 1, 200 steps of Adam(0.1):
    // mean 5.14798, stddev 2.42913, loss 21.3573; losses at steps 0/1/2/10/50/100.
    for dtype in [DType::F32, DType::F64] {
        let fit = fit_normal(200, Some((0.0, 1.0)), 0, dtype).unwrap();
        assert!((fit.mean - 5.14798).abs() < 1e-4, "{dtype} mean {}", fit.mean);
        assert!((fit.stddev - 2.42913).abs() < 1e-4, "{dtype} stddev {}", fit.stddev);
        assert!((fit.losses[199] - 21.3573).abs() < 1e-4, "{dtype} loss {}", fit.losses[199]);
        for (i, v) in [(0, 173.88852), (1, 150.47552), (2, 131.05203), (10, 57.36088), (50, 26.14885), (100, 23.31104)] {
            assert!((fit.losses[i] - v).abs() < 1e-3, "{dtype} loss[{i}] {} vs {v}", fit.losses[i]);
        }
    }
}
