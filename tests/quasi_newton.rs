//! TFP's `bfgs_minimize` / `lbfgs_minimize`: convergence on known problems, the result fields,
//! the stopping tests, and bad input (typed errors, never a panic; the last good position kept).

use probrs::optim::{bfgs_minimize, bfgs_minimize_variables, lbfgs_minimize, lbfgs_minimize_variables, OptimizerResults, QuasiNewtonOptions, StoppingCondition};
use probrs::params::Variable;
use probrs::tensor::{DType, Tensor};

type Vg = Box<dyn Fn(&Tensor) -> probrs::Result<(Tensor, Tensor)>>;

/// TFP's doc example: Σ scales·(x − 1)² in 60 dimensions, from (60, 59, ..., 1).
fn bowl() -> (Vg, Tensor) {
    let n = 60;
    let scales = Tensor::arange(1, n + 1, DType::F64).unwrap();
    let start = Tensor::vector(&(0..n).rev().map(|i| (i + 1) as f64).collect::<Vec<_>>(), DType::F64).unwrap();
    (
        Box::new(move |x: &Tensor| {
            let d = x.add_scalar(-1.0)?;
            Ok((scales.mul(&d.square()?)?.sum_all()?, scales.mul(&d)?.mul_scalar(2.0)?))
        }),
        start,
    )
}

fn rosenbrock(x: &Tensor) -> probrs::Result<(Tensor, Tensor)> {
    let v = x.to_vec()?;
    let (a, b) = (v[0], v[1]);
    let value = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
    let grad = [-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)];
    Ok((Tensor::scalar(value, x.dtype())?, Tensor::vector(&grad, x.dtype())?))
}

fn sup(t: &Tensor) -> f64 {
    t.to_vec().unwrap().iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

fn both(f: &Vg, start: &Tensor, opts: QuasiNewtonOptions) -> [(&'static str, OptimizerResults); 2] {
    [("lbfgs", lbfgs_minimize(f, start, 10, opts.clone()).unwrap()), ("bfgs", bfgs_minimize(f, start, None, opts).unwrap())]
}

#[test]
fn converge_on_the_quadratic_bowl_and_rosenbrock() {
    let (f, start) = bowl();
    for (name, r) in both(&f, &start, QuasiNewtonOptions { max_iterations: 200, ..Default::default() }) {
        assert!(r.converged && !r.failed, "{name}");
        assert!(sup(&r.objective_gradient) <= 1e-8, "{name}");
        // |∇f| ≤ 1e-8 with curvature ≥ 2 puts every coordinate within 5e-9 of 1.
        assert!(r.position.to_vec().unwrap().iter().all(|v| (v - 1.0).abs() < 5e-9), "{name}");
        assert!(r.num_objective_evaluations > r.num_iterations, "{name}: the start and one per iteration at least");
    }
    let f: Vg = Box::new(rosenbrock);
    let start = Tensor::vector(&[-1.2, 1.0], DType::F64).unwrap();
    for (name, r) in both(&f, &start, QuasiNewtonOptions { max_iterations: 500, ..Default::default() }) {
        assert!(r.converged, "{name}: {r:?}");
        let x = r.position.to_vec().unwrap();
        assert!((x[0] - 1.0).abs() < 1e-7 && (x[1] - 1.0).abs() < 1e-7, "{name}: {x:?}");
        assert!(r.objective_value.to_scalar().unwrap() < 1e-14, "{name}");
    }
}

#[test]
fn bfgs_inverse_hessian_estimate_approaches_the_inverse_hessian() {
    // f = ½ xᵀ A x with A = [[3, 1], [1, 2]]: H⁻¹ = A⁻¹ = [[0.4, −0.2], [−0.2, 0.6]].
    let f = |x: &Tensor| {
        let v = x.to_vec()?;
        let g = [3.0 * v[0] + v[1], v[0] + 2.0 * v[1]];
        Ok((Tensor::scalar(0.5 * (v[0] * g[0] + v[1] * g[1]), DType::F64)?, Tensor::vector(&g, DType::F64)?))
    };
    let r = bfgs_minimize(f, &Tensor::vector(&[1.0, -2.0], DType::F64).unwrap(), None, QuasiNewtonOptions { tolerance: 1e-12, ..Default::default() }).unwrap();
    assert!(r.converged);
    let h = r.inverse_hessian_estimate.unwrap().to_vec().unwrap();
    // Two updates along independent steps; with inexact (unit) steps the older secant condition
    // holds only approximately, so the estimate is close, not exact (3e-5 here).
    for (got, want) in h.iter().zip([0.4, -0.2, -0.2, 0.6]) {
        assert!((got - want).abs() < 1e-3, "{h:?}");
    }
    // L-BFGS forms no matrix.
    let r = lbfgs_minimize(f, &Tensor::vector(&[1.0, -2.0], DType::F64).unwrap(), 5, QuasiNewtonOptions::default()).unwrap();
    assert!(r.inverse_hessian_estimate.is_none());
}

#[test]
fn the_other_stopping_tests_stop_early() {
    let (f, start) = bowl();
    let full = lbfgs_minimize(&f, &start, 10, QuasiNewtonOptions { max_iterations: 200, ..Default::default() }).unwrap();
    // |Δf| ≤ 1e-3 |f| needs a minimum away from 0: the bowl lifted by 100.
    let lifted = |x: &Tensor| f(x).and_then(|(v, g)| Ok((v.add_scalar(100.0)?, g)));
    let loose = lbfgs_minimize(lifted, &start, 10, QuasiNewtonOptions { f_relative_tolerance: 1e-3, max_iterations: 200, ..Default::default() }).unwrap();
    assert!(loose.converged && loose.num_iterations < full.num_iterations);
    let loose = lbfgs_minimize(&f, &start, 10, QuasiNewtonOptions { x_tolerance: 1e-2, max_iterations: 200, ..Default::default() }).unwrap();
    assert!(loose.converged && loose.num_iterations < full.num_iterations);
    let loose = lbfgs_minimize(&f, &start, 10, QuasiNewtonOptions { f_absolute_tolerance: 1.0, max_iterations: 200, ..Default::default() }).unwrap();
    assert!(loose.converged && loose.num_iterations < full.num_iterations);
    // Out of iterations: not converged, not failed.
    let short = lbfgs_minimize(&f, &start, 10, QuasiNewtonOptions { max_iterations: 3, ..Default::default() }).unwrap();
    assert!(!short.converged && !short.failed && short.num_iterations == 3);
}

#[test]
fn float32_positions_stay_float32() {
    let f: Vg = Box::new(rosenbrock);
    let start = Tensor::vector(&[-1.2, 1.0], DType::F32).unwrap();
    let r = lbfgs_minimize(&f, &start, 10, QuasiNewtonOptions { tolerance: 1e-4, max_iterations: 500, ..Default::default() }).unwrap();
    assert_eq!(r.position.dtype(), DType::F32);
    assert_eq!(r.objective_gradient.dtype(), DType::F32);
    let x = r.position.to_vec().unwrap();
    assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3, "{x:?}");
}

#[test]
fn non_finite_objectives_back_off_or_fail_without_losing_the_position() {
    // log-barrier: undefined (NaN) for x ≤ 0; minimum of x − log x at 1. A long first step
    // lands in the NaN region and must be backed off from.
    let f = |x: &Tensor| {
        let v = x.to_vec()?[0];
        let (value, grad) = if v > 0.0 { (v - v.ln(), 1.0 - 1.0 / v) } else { (f64::NAN, f64::NAN) };
        Ok((Tensor::scalar(value, DType::F64)?, Tensor::vector(&[grad], DType::F64)?))
    };
    for start in [0.01, 5.0, 40.0] {
        let s = Tensor::vector(&[start], DType::F64).unwrap();
        for r in [lbfgs_minimize(f, &s, 10, QuasiNewtonOptions::default()).unwrap(), bfgs_minimize(f, &s, None, QuasiNewtonOptions::default()).unwrap()] {
            assert!(r.converged, "start {start}: {r:?}");
            assert!((r.position.to_vec().unwrap()[0] - 1.0).abs() < 1e-7);
        }
    }
    // NaN at the start: failed at once, the start returned.
    let s = Tensor::vector(&[-1.0], DType::F64).unwrap();
    let r = lbfgs_minimize(f, &s, 10, QuasiNewtonOptions::default()).unwrap();
    assert!(r.failed && !r.converged && r.num_iterations == 0);
    assert_eq!(r.position.to_vec().unwrap(), vec![-1.0]);
}

#[test]
fn bad_input_is_a_typed_error() {
    let f: Vg = Box::new(rosenbrock);
    let v = Tensor::vector(&[1.0, 2.0], DType::F64).unwrap();
    let msg = |r: probrs::Result<OptimizerResults>| r.unwrap_err().to_string();
    assert!(msg(lbfgs_minimize(&f, &Tensor::scalar(1.0, DType::F64).unwrap(), 10, QuasiNewtonOptions::default())).contains("initial_position"));
    // A batch of starts, but a function that returns one value for the whole batch.
    assert!(msg(lbfgs_minimize(|x: &Tensor| Ok((x.sum_all()?, x.zeros_like()?)), &Tensor::zeros(&[3, 2], DType::F64).unwrap(), 10, QuasiNewtonOptions::default())).contains("one value per batch member"));
    assert!(msg(lbfgs_minimize(&f, &v, 0, QuasiNewtonOptions::default())).contains("num_correction_pairs"));
    assert!(msg(bfgs_minimize(&f, &v, None, QuasiNewtonOptions { tolerance: -1.0, ..Default::default() })).contains("tolerance"));
    assert!(msg(bfgs_minimize(&f, &v, Some(&Tensor::eye(3, &[], DType::F64).unwrap()), QuasiNewtonOptions::default())).contains("initial_inverse_hessian_estimate"));
    let not_spd = Tensor::from_slice(&[1.0, 2.0, 0.0, 1.0], &[2, 2], DType::F64).unwrap();
    assert!(msg(bfgs_minimize(&f, &v, Some(&not_spd), QuasiNewtonOptions::default())).contains("symmetric"));
    let wrong_grad = |x: &Tensor| Ok((x.sum_all()?, Tensor::zeros(&[3], DType::F64)?));
    assert!(msg(lbfgs_minimize(wrong_grad, &v, 10, QuasiNewtonOptions::default())).contains("gradient"));
    let not_scalar = |x: &Tensor| Ok((x.clone(), x.clone()));
    assert!(msg(lbfgs_minimize(not_scalar, &v, 10, QuasiNewtonOptions::default())).contains("scalar"));
}

#[test]
fn over_variables_the_minimizer_is_assigned_and_a_failing_loss_restores_the_start() {
    let a = Variable::new(&Tensor::vector(&[3.0, -1.0], DType::F64).unwrap(), "a").unwrap();
    let b = Variable::new(&Tensor::scalar(0.5, DType::F64).unwrap(), "b").unwrap();
    // (a − (1, 2))² + (b − 4)²
    let target = Tensor::vector(&[1.0, 2.0], DType::F64).unwrap();
    let loss = || a.value().sub(&target)?.square()?.sum_all()?.add(&b.value().add_scalar(-4.0)?.square()?);
    let r = lbfgs_minimize_variables(&loss, &[a.clone(), b.clone()], 10, QuasiNewtonOptions::default()).unwrap();
    assert!(r.converged);
    assert_eq!(r.position.shape(), &[3]);
    assert!((a.numpy().to_vec().unwrap()[1] - 2.0).abs() < 1e-9 && (b.numpy().to_scalar().unwrap() - 4.0).abs() < 1e-9);
    // A loss that errors once it is called away from the start: the variables go back.
    a.assign(&Tensor::vector(&[3.0, -1.0], DType::F64).unwrap()).unwrap();
    let calls = std::cell::Cell::new(0);
    let failing = || {
        calls.set(calls.get() + 1);
        if calls.get() > 1 {
            return Err(probrs::Error::invalid_parameter("loss", "fails on purpose"));
        }
        loss()
    };
    assert!(bfgs_minimize_variables(&failing, &[a.clone(), b.clone()], QuasiNewtonOptions::default()).is_err());
    assert_eq!(a.numpy().to_vec().unwrap(), vec![3.0, -1.0]);
    assert!(lbfgs_minimize_variables(&loss, &[], 10, QuasiNewtonOptions::default()).unwrap_err().to_string().contains("variables"));
}

/// Rosenbrock for a batch `[b, 2]`: values `[b]`, gradients `[b, 2]`.
fn batched_rosenbrock(x: &Tensor) -> probrs::Result<(Tensor, Tensor)> {
    let v = x.to_vec()?;
    let (mut f, mut g) = (vec![], vec![]);
    for p in v.chunks(2) {
        let (a, b) = (p[0], p[1]);
        f.push((1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2));
        g.extend([-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)]);
    }
    Ok((Tensor::vector(&f, x.dtype())?, Tensor::from_slice(&g, x.shape(), x.dtype())?))
}

#[test]
fn a_batch_of_starting_points_is_searched_member_by_member() {
    // Three starts, one already at the minimum; each member ends where a lone search from its
    // start ends, to the last bit (members are independent).
    let starts = Tensor::from_slice(&[-1.2, 1.0, 1.0, 1.0, 2.0, -1.0], &[3, 2], DType::F64).unwrap();
    let opts = QuasiNewtonOptions { max_iterations: 500, ..Default::default() };
    for batched in [lbfgs_minimize(batched_rosenbrock, &starts, 10, opts.clone()).unwrap(), bfgs_minimize(batched_rosenbrock, &starts, None, opts.clone()).unwrap()] {
        assert!(batched.converged && !batched.failed);
        assert_eq!(batched.converged_members, vec![true, true, true]);
        assert_eq!(batched.position.shape(), &[3, 2]);
        assert_eq!(batched.objective_value.shape(), &[3]);
        assert!(batched.position.to_vec().unwrap().iter().all(|v| (v - 1.0).abs() < 1e-7));
    }
    let alone = lbfgs_minimize(rosenbrock, &Tensor::vector(&[2.0, -1.0], DType::F64).unwrap(), 10, opts.clone()).unwrap();
    let batched = lbfgs_minimize(batched_rosenbrock, &starts, 10, opts.clone()).unwrap();
    assert_eq!(batched.position.to_vec().unwrap()[4..], alone.position.to_vec().unwrap()[..]);
    let h = bfgs_minimize(batched_rosenbrock, &starts, None, opts.clone()).unwrap().inverse_hessian_estimate.unwrap();
    assert_eq!(h.shape(), &[3, 2, 2]);
    // converged_any: the member that starts at the minimum stops the batch at once.
    let any = lbfgs_minimize(batched_rosenbrock, &starts, 10, QuasiNewtonOptions { stopping_condition: StoppingCondition::ConvergedAny, ..opts }).unwrap();
    assert_eq!(any.num_iterations, 0);
    assert_eq!(any.converged_members, vec![false, true, false]);
    assert!(!any.converged);
}
