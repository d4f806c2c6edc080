//! `probrs demo sts` (TFP's structural time-series tutorial on the Mauna Loa CO2 record): the
//! fit and the held-out decade's forecast land where TFP on JAX lands with the same settings
//! (`benches/peers/sts_co2_tfp.py`, this machine, 2026-12-05): posterior means of the scales
//! observation noise 0.182, level 0.177, slope 0.0042, seasonal drift 0.051; held-out mean
//! absolute error 0.907 ppm; 80% and 95% intervals covering 97.5% and 100% of the months.
//! Fixed seeds; the bounds below allow for the two systems' different random streams.

use probrs::demo::{sts_co2, StsOptions};

#[test]
fn co2_demo_matches_tfp() {
    let r = sts_co2(&StsOptions::default()).unwrap();
    assert_eq!((r.num_training, r.mean.len(), r.losses.len()), (406, 120, 200));
    assert!(r.losses[199] < r.losses[0], "the loss falls: {} -> {}", r.losses[0], r.losses[199]);
    let want = [0.182, 0.177, 0.0042, 0.051];
    let tol = [0.03, 0.04, 0.003, 0.02];
    for ((name, got), (w, t)) in r.parameter_means.iter().zip(want.iter().zip(tol)) {
        assert!((got - w).abs() < t, "{name}: {got} vs TFP {w}");
    }
    assert!(r.mae < 1.2, "held-out MAE {} ppm (TFP 0.907)", r.mae);
    assert!(r.coverage_80 >= 0.85 && r.coverage_95 >= 0.95, "coverage {} / {} (TFP 0.975 / 1.0)", r.coverage_80, r.coverage_95);
    // The intervals nest around the mean.
    assert!((0..120).all(|i| r.lower_95[i] < r.lower_80[i] && r.lower_80[i] < r.mean[i] && r.mean[i] < r.upper_80[i] && r.upper_80[i] < r.upper_95[i]));
}
