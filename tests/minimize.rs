//! minimize: optimizers, traces, convergence criteria, variable discovery, and non-finite
//! handling (error names step and variable; variables keep their last finite values).

mod common;
use common::*;
use probrs::distributions::{Distribution, Normal};
use probrs::optim::*;
use probrs::params::{MakeTrainable, Variable};
use probrs::tensor::{DType, Tensor};
use probrs::Error;

fn quadratic_fit(opt: &mut dyn Optimizer, steps: usize) -> Vec<f64> {
    // minimize Σ (w − t)², t = [1, −2, 3]
    let w = Variable::new(&t64(&[0.0, 0.0, 0.0], &[3]), "w").unwrap();
    let target = t64(&[1.0, -2.0, 3.0], &[3]);
    minimize(|| w.value().sub(&target)?.square()?.sum_all(), steps, opt, MinimizeOptions::default(), trace_loss).unwrap();
    w.value().to_vec().unwrap()
}

#[test]
fn every_optimizer_minimizes_a_quadratic() {
    let target = [1.0, -2.0, 3.0];
    assert_close(&quadratic_fit(&mut Adam::new(0.1), 2000), &target, 0.0, 1e-3, "adam");
    assert_close(&quadratic_fit(&mut Adam::with_options(AdamOptions { learning_rate: 0.1, amsgrad: true, ..Default::default() }), 3000), &target, 0.0, 1e-3, "amsgrad");
    assert_close(&quadratic_fit(&mut Sgd::new(0.1), 300), &target, 0.0, 1e-6, "sgd");
    assert_close(&quadratic_fit(&mut Sgd::with_options(SgdOptions { learning_rate: 0.05, momentum: 0.9, nesterov: false }), 500), &target, 0.0, 1e-6, "momentum");
    assert_close(&quadratic_fit(&mut Sgd::with_options(SgdOptions { learning_rate: 0.05, momentum: 0.9, nesterov: true }), 500), &target, 0.0, 1e-6, "nesterov");
    assert_close(&quadratic_fit(&mut RmsProp::new(0.01), 2000), &target, 0.0, 2e-2, "rmsprop");
    assert_close(&quadratic_fit(&mut Adagrad::new(0.5), 2000), &target, 0.0, 1e-3, "adagrad");
}

#[test]
fn adam_first_step_is_tf_formula() {
    // Step 1 moves each coordinate by lr · g / (|g| + ε/√(1−β₂)) ≈ lr · sign(g).
    let w = Variable::new(&t64(&[0.0], &[1]), "w").unwrap();
    let mut opt = Adam::new(0.1);
    opt.apply_gradients(&[(t64(&[2.0], &[1]), w.clone())]).unwrap();
    let alpha = 0.1 * (1.0f64 - 0.999).sqrt() / (1.0 - 0.9);
    let expect = -alpha * 0.2 / ((0.001f64 * 4.0).sqrt() + 1e-7);
    assert!((w.value().to_vec().unwrap()[0] - expect).abs() < 1e-15);
    assert_eq!(opt.iterations(), 1);
}

#[test]
fn trace_records_step_loss_gradients_and_parameters() {
    let w = Variable::new(&t64(&[2.0], &[1]), "w").unwrap();
    let r = minimize(
        || w.value().square()?.sum_all(),
        3,
        &mut Sgd::new(0.25),
        MinimizeOptions::default(),
        |q| (q.step, q.loss_value, q.gradients[0].to_vec().unwrap()[0], q.parameters[0].to_vec().unwrap()[0], q.variables[0].name().to_string()),
    )
    .unwrap();
    // w: 2 → 1 → 0.5 → 0.25; loss before each update; gradient 2w.
    assert_eq!(r.trace[0], (0, 4.0, 4.0, 1.0, "w".to_string()));
    assert_eq!(r.trace[1], (1, 1.0, 2.0, 0.5, "w".to_string()));
    assert_eq!(r.trace[2], (2, 0.25, 1.0, 0.25, "w".to_string()));
    assert_eq!(r.num_steps_run, 3);
}

#[test]
fn loss_not_decreasing_stops_early_and_pads_when_asked() {
    let w = Variable::new(&t64(&[5.0], &[1]), "w").unwrap();
    let opts = MinimizeOptions { convergence_criterion: Some(Box::new(LossNotDecreasing::with_atol(1e-6))), ..Default::default() };
    let r = minimize(|| w.value().square()?.sum_all(), 10000, &mut Sgd::new(0.1), opts, trace_loss).unwrap();
    assert!(r.converged);
    assert!(r.num_steps_run >= 20 && r.num_steps_run < 200, "{}", r.num_steps_run);
    assert_eq!(r.trace.len(), r.num_steps_run);
    let w2 = Variable::new(&t64(&[5.0], &[1]), "w2").unwrap();
    let opts = MinimizeOptions {
        convergence_criterion: Some(Box::new(LossNotDecreasing::new(None, Some(1e-4), 10, 20).unwrap())),
        return_full_length_trace: true,
        ..Default::default()
    };
    let r2 = minimize(|| w2.value().square()?.sum_all(), 500, &mut Sgd::new(0.1), opts, |q| (q.has_converged, q.convergence_criterion_state.len())).unwrap();
    assert!(r2.converged);
    assert_eq!(r2.trace.len(), 500);
    assert_eq!(*r2.trace.last().unwrap(), (true, 3));
    assert!(!r2.trace[0].0);
    assert!(LossNotDecreasing::new(None, None, 10, 20).is_err());
}

#[test]
fn successive_gradients_uncorrelated_detects_noise_floor() {
    // SGD with a large step oscillates around the optimum: successive gradients alternate sign.
    let w = Variable::new(&t64(&[3.0], &[1]), "w").unwrap();
    let opts = MinimizeOptions { convergence_criterion: Some(Box::new(SuccessiveGradientsAreUncorrelated::default())), ..Default::default() };
    let r = minimize(|| w.value().square()?.sum_all(), 1000, &mut Sgd::new(0.9), opts, trace_loss).unwrap();
    assert!(r.converged && r.num_steps_run < 1000, "{}", r.num_steps_run);
    assert!(r.num_steps_run >= 20);
}

#[test]
fn variables_are_discovered_or_checked() {
    let used = Variable::new(&t64(&[1.0], &[1]), "used").unwrap();
    let unused = Variable::new(&t64(&[1.0], &[1]), "unused").unwrap();
    let r = minimize(|| used.value().square()?.sum_all(), 1, &mut Sgd::new(0.1), MinimizeOptions::default(), trace_loss).unwrap();
    assert_eq!(r.variables.len(), 1);
    assert_eq!(r.variables[0].name(), "used");
    let opts = MinimizeOptions { trainable_variables: Some(vec![used.clone(), unused.clone()]), ..Default::default() };
    match minimize(|| used.value().square()?.sum_all(), 1, &mut Sgd::new(0.1), opts, trace_loss) {
        Err(Error::NoGradient { variable }) => assert_eq!(variable, "unused"),
        other => panic!("{other:?}"),
    }
    // A loss that depends on no variable is an error, not a silent no-op.
    assert!(minimize(|| Tensor::scalar(1.0, DType::F64), 1, &mut Sgd::new(0.1), MinimizeOptions::default(), trace_loss).is_err());
}

#[test]
fn nan_loss_names_the_step_and_keeps_last_finite_values() {
    // loss = log(w): finite while w > 0; SGD with lr 2 pushes w below 0 at the third update.
    let w = Variable::new(&t64(&[3.0], &[1]), "w").unwrap();
    let mut seen = vec![];
    let err = minimize(|| w.value().log()?.sum_all(), 100, &mut Sgd::new(2.0), MinimizeOptions::default(), |q| {
        seen.push(q.parameters[0].to_vec().unwrap()[0]);
    })
    .unwrap_err();
    match err {
        Error::NonFinite { step, .. } => assert_eq!(step, seen.len()),
        other => panic!("{other:?}"),
    }
    let last = w.value().to_vec().unwrap()[0];
    assert!(last.is_finite());
    assert_eq!(last, *seen.last().unwrap(), "the variable keeps its last good value");
}

#[test]
fn nan_gradient_names_the_variable() {
    // sqrt'(0) = inf: the gradient is non-finite at the first step.
    let a = Variable::new(&t64(&[1.0], &[1]), "fine").unwrap();
    let b = Variable::new(&t64(&[0.0], &[1]), "culprit").unwrap();
    let opts = MinimizeOptions { trainable_variables: Some(vec![a.clone(), b.clone()]), ..Default::default() };
    match minimize(|| a.value().square()?.add(&b.value().sqrt()?)?.sum_all(), 5, &mut Adam::new(0.1), opts, trace_loss) {
        Err(Error::NonFinite { step, variable, .. }) => {
            assert_eq!(step, 0);
            assert_eq!(variable.as_deref(), Some("culprit"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.value().to_vec().unwrap(), vec![1.0], "no variable was updated");
    assert_eq!(b.value().to_vec().unwrap(), vec![0.0]);
}

#[test]
fn fits_a_trainable_normal_in_f64() {
    let x = t64(&probrs::demo::SEED_SAMPLES, &[10]);
    let model: Normal = MakeTrainable::new().parameter_dtype(DType::F64).seed(3).build().unwrap();
    minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 1500, &mut Adam::new(0.1), MinimizeOptions::default(), trace_loss).unwrap();
    let (m, s) = probrs::demo::seed_moments();
    assert!((model.mean().unwrap().to_scalar().unwrap() - m).abs() < 1e-4);
    assert!((model.stddev().unwrap().to_scalar().unwrap() - s).abs() < 1e-4);
}
