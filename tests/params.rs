//! Variables, TransformedVariable, DeferredTensor, trainable-variable discovery, printing, and
//! make_trainable (values, init functions, shapes, dtypes, fixed parameters, stateless form,
//! errors naming the parameter).

mod common;
use common::*;
use probrs::bijectors::{Bijector, Exp, Softplus};
use probrs::distributions::{Distribution, Normal};
use probrs::params::*;
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use probrs::Error;

#[test]
fn variables_print_like_tf() {
    let v = Variable::new(&Tensor::zeros(&[4], DType::F32).unwrap(), "loc").unwrap();
    assert_eq!(v.to_string(), "<Variable 'loc:0' shape=(4,) dtype=float32, numpy=array([0., 0., 0., 0.], dtype=float32)>");
    let m = Variable::new(&Tensor::from_slice(&[9.999954, 1.5, -0.25, 10.0], &[2, 2], DType::F32).unwrap(), "scale").unwrap();
    assert_eq!(
        m.to_string(),
        "<Variable 'scale:0' shape=(2, 2) dtype=float32, numpy=array([[ 9.999954,  1.5     ],\n       [-0.25    , 10.      ]], dtype=float32)>"
    );
    let s = Variable::new(&Tensor::scalar(0.5413246, DType::F32).unwrap(), "scale").unwrap();
    assert_eq!(s.to_string(), "<Variable 'scale:0' shape=() dtype=float32, numpy=0.5413246>");
    assert_eq!(format_variables(&[v.clone()]), format!("({v},)"));
}

#[test]
fn assign_checks_shape_and_shares_storage() {
    let v = Variable::new(&t64(&[1.0, 2.0], &[2]), "w").unwrap();
    let alias = v.clone();
    v.assign(&t64(&[3.0, 4.0], &[2])).unwrap();
    assert_eq!(alias.value().to_vec().unwrap(), vec![3.0, 4.0]);
    match v.assign(&t64(&[1.0], &[1])) {
        Err(Error::ShapeMismatch { context, .. }) => assert!(context.contains("`w`")),
        other => panic!("{other:?}"),
    }
    assert_eq!(v.value().to_vec().unwrap(), vec![3.0, 4.0], "a failed assign changes nothing");
}

#[test]
fn transformed_variable_stores_inverse_and_gradients_reach_it() {
    let tv = TransformedVariable::new(&Tensor::ones(&[4], DType::F32).unwrap(), Softplus::new(), "scale").unwrap();
    assert_close(&tv.pretransformed_input().value().to_vec().unwrap(), &[0.54132485; 4], 1e-6, 0.0, "softplus⁻¹(1)");
    assert_close(&tv.value().unwrap().to_vec().unwrap(), &[1.0; 4], 1e-6, 0.0, "read");
    let y = tv.value().unwrap().sum_all().unwrap();
    let g = y.grad(&[&tv.pretransformed_input().value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    // d softplus(x)/dx = sigmoid(0.5413) = 1 − e^{-1}
    assert_close(&g, &[1.0 - (-1f64).exp(); 4], 1e-6, 0.0, "gradient");
    tv.assign(&Tensor::full(2.0, &[4], DType::F32).unwrap()).unwrap();
    assert_close(&tv.value().unwrap().to_vec().unwrap(), &[2.0; 4], 1e-6, 0.0, "assign in constrained space");
    // Outside the bijector's range: a typed error naming the variable, value kept.
    match tv.assign(&Tensor::full(-1.0, &[4], DType::F32).unwrap()) {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "scale"),
        other => panic!("{other:?}"),
    }
    assert_close(&tv.value().unwrap().to_vec().unwrap(), &[2.0; 4], 1e-6, 0.0, "kept");
    assert!(TransformedVariable::new(&t64(&[-1.0], &[1]), Exp::new(), "bad").is_err());
}

#[test]
fn deferred_tensor_runs_at_each_read() {
    let raw = Variable::new(&t64(&[0.0], &[1]), "raw").unwrap();
    let d = DeferredTensor::new(raw.clone(), |x| x.exp());
    let n = Normal::new(0.0, d).unwrap();
    assert_eq!(n.stddev().unwrap().to_vec().unwrap(), vec![1.0]);
    raw.assign(&t64(&[1.0], &[1])).unwrap();
    assert!((n.stddev().unwrap().to_vec().unwrap()[0] - 1f64.exp()).abs() < 1e-12);
    let vars = n.trainable_variables();
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0].name(), "raw");
}

#[test]
fn trainable_variables_are_found_with_names_and_shapes() {
    let loc = Variable::new(&Tensor::zeros(&[4], DType::F32).unwrap(), "loc").unwrap();
    let scale = TransformedVariable::new(&Tensor::ones(&[1], DType::F32).unwrap(), Exp::new(), "scale").unwrap();
    let n = Normal::new(&loc, &scale).unwrap();
    let vars = n.trainable_variables();
    let desc: Vec<(String, Vec<usize>)> = vars.iter().map(|v| (v.name().to_string(), v.shape().to_vec())).collect();
    assert_eq!(desc, vec![("loc".to_string(), vec![4]), ("scale".to_string(), vec![1])]);
    assert_eq!(vars[1].numpy().to_vec().unwrap(), vec![0.0], "Exp⁻¹(1) = 0, as the zoo page prints");
    // The same variable used twice is listed once.
    let n2 = Normal::new(&loc, &loc).unwrap();
    assert_eq!(n2.trainable_variables().len(), 1);
}

#[test]
fn make_trainable_defaults_and_initial_values() {
    let n: Normal = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build().unwrap();
    let vars = n.trainable_variables();
    assert_eq!(vars.iter().map(|v| v.name()).collect::<Vec<_>>(), vec!["loc", "scale"]);
    // Softplus(low = eps) inverse of 1 in float32 (the reference README's 0.5413246).
    assert!((vars[1].numpy().to_scalar().unwrap() - 0.5413246).abs() < 1e-7);
    assert!((n.stddev().unwrap().to_scalar().unwrap() - 1.0).abs() < 1e-6);
    // Random initial values: reproducible by seed, in the domain.
    let a: Normal = MakeTrainable::new().batch_and_event_shape(&[3]).seed(5).build().unwrap();
    let b: Normal = MakeTrainable::new().batch_and_event_shape(&[3]).seed(5).build().unwrap();
    assert_eq!(a.batch_shape(), vec![3]);
    assert_eq!(a.mean().unwrap().to_vec().unwrap(), b.mean().unwrap().to_vec().unwrap());
    assert!(a.stddev().unwrap().to_vec().unwrap().iter().all(|s| *s > 0.0));
    let c: Normal = MakeTrainable::new().batch_and_event_shape(&[3]).seed(6).build().unwrap();
    assert_ne!(a.mean().unwrap().to_vec().unwrap(), c.mean().unwrap().to_vec().unwrap());
}

#[test]
fn make_trainable_init_fn_dtype_and_fixed_parameters() {
    let n: Normal = MakeTrainable::new()
        .parameter_dtype(DType::F64)
        .batch_and_event_shape(&[2])
        .initial_parameters_fn(|name, shape, dtype, _seed: Seed, b: &dyn Bijector| {
            let v = if name == "loc" { 3.0 } else { 0.0 };
            b.forward(&Tensor::full(v, shape, dtype)?)
        })
        .build()
        .unwrap();
    assert_eq!(n.dtype(), DType::F64);
    assert_eq!(n.mean().unwrap().to_vec().unwrap(), vec![3.0, 3.0]);
    assert_close(&n.stddev().unwrap().to_vec().unwrap(), &[2f64.ln() + f64::EPSILON; 2], 1e-12, 0.0, "softplus(0) + eps");
    // A fixed parameter gets no variable and stays fixed.
    let f: Normal = MakeTrainable::new().fixed("scale", 1.0).initial_value("loc", 2.0).build().unwrap();
    let vars = f.trainable_variables();
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0].name(), "loc");
    assert_eq!(f.stddev().unwrap().to_scalar().unwrap(), 1.0);
}

#[test]
fn make_trainable_errors_name_the_parameter() {
    match MakeTrainable::new().initial_value("locc", 0.0).build::<Normal>() {
        Err(Error::UnknownParameter { name, family }) => assert_eq!((name.as_str(), family.as_str()), ("locc", "Normal")),
        other => panic!("{other:?}"),
    }
    match MakeTrainable::new().batch_and_event_shape(&[3]).initial_value("loc", t64(&[1.0, 2.0], &[2])).build::<Normal>() {
        Err(Error::InvalidShape { what, .. }) => assert!(what.contains("loc"), "{what}"),
        other => panic!("{other:?}"),
    }
    match MakeTrainable::new().fixed("nonsense", 1.0).build::<Normal>() {
        Err(Error::UnknownParameter { name, .. }) => assert_eq!(name, "nonsense"),
        other => panic!("{other:?}"),
    }
    // An initial value outside the domain (negative scale) cannot be stored.
    match MakeTrainable::new().initial_value("scale", -1.0).build::<Normal>() {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "scale"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stateless_form_init_and_apply() {
    let st = MakeTrainable::new().initial_value("loc", 1.0).initial_value("scale", 2.0).stateless::<Normal>().unwrap();
    assert_eq!(st.parameter_names(), &["loc".to_string(), "scale".to_string()]);
    let raw = st.init_fn(0).unwrap();
    assert_eq!(raw[0].to_scalar().unwrap(), 1.0);
    let n = st.apply_fn(&raw).unwrap();
    assert!((n.stddev().unwrap().to_scalar().unwrap() - 2.0).abs() < 1e-6);
    assert!(n.trainable_variables().is_empty());
    assert!(st.apply_fn(&raw[..1]).is_err());
}
