//! Seed page 002 ("Learnable Distributions Zoo"): every construction prints as documented, its
//! trainable variables have the page's names, shapes and (deterministic) values, each fits by
//! maximum likelihood, and the fixed parts stay fixed.

use probrs::bijectors::{Bijector, FillScaleTriL};
use probrs::demo::{fit_by_mle, learnable_zoo, parameter_value, zoo_data};
use probrs::distributions::Distribution;
use probrs::params::Variable;
use probrs::tensor::{DType, Tensor};

fn vars(d: &dyn Distribution) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    d.trainable_variables().iter().map(|v: &Variable| (v.name().to_string(), v.shape().to_vec(), v.numpy().to_vec().unwrap())).collect()
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

const TRIL_ROW: [f64; 10] = [9.999945, 0.0, 0.0, 0.0, 9.999945, 9.999945, 0.0, 0.0, 0.0, 9.999945];

#[test]
fn constructions_print_and_hold_the_documented_variables() {
    let zoo = learnable_zoo(0).unwrap();
    let names: Vec<&str> = zoo.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        ["learnable_mvn_scaled_identity", "learnable_mvn_diag", "learnable_mix_mvn_scaled_identity", "learnable_mix_mvndiag_first_fixed", "learnable_mix_mvntril", "learnable_mix_mvntril_fixed_first"]
    );
    let printed: Vec<String> = zoo.iter().map(|(_, d)| format!("{d:?}")).collect();
    assert_eq!(printed[0], "Independent(\"learnable_mvn_scaled_identity\", batch_shape=[], event_shape=[4], dtype=float32)");
    assert_eq!(printed[1], "Independent(\"learnable_mvn_diag\", batch_shape=[], event_shape=[4], dtype=float32)");
    for (i, n) in names.iter().enumerate().skip(2) {
        assert_eq!(printed[i], format!("MixtureSameFamily(\"{n}\", batch_shape=[], event_shape=[4], dtype=float32)"));
    }

    // learnable_mvn_scaled_identity: loc (4,) zeros, scale (1,) [0.] (Exp⁻¹(1)).
    let v = vars(zoo[0].1.as_ref());
    assert_eq!(v, vec![("loc".into(), vec![4], vec![0.0; 4]), ("scale".into(), vec![1], vec![0.0])]);
    // learnable_mvn_diag: scale (4,) softplus⁻¹(1) = 0.54132485.
    let v = vars(zoo[1].1.as_ref());
    assert_eq!((v[1].0.as_str(), v[1].1.clone()), ("scale", vec![4]));
    assert!(close(&v[1].2, &[0.54132485; 4], 1e-7));
    // learnable_mix_mvn_scaled_identity: logits (3,) -0., loc (3, 4) random, scale (3, 1) 9.999954.
    let v = vars(zoo[2].1.as_ref());
    assert_eq!(v.iter().map(|x| (x.0.as_str(), x.1.clone())).collect::<Vec<_>>(), vec![("logits", vec![3]), ("loc", vec![3, 4]), ("scale", vec![3, 1])]);
    assert!(v[0].2.iter().all(|x| *x == 0.0 && x.is_sign_negative()), "the page prints -0.: {:?}", v[0].2);
    assert!(close(&v[2].2, &[9.999954; 3], 1e-5));
    let printed_vars = probrs::params::format_variables(&zoo[2].1.trainable_variables());
    assert!(printed_vars.starts_with("(<Variable 'logits:0' shape=(3,) dtype=float32, numpy=array([-0., -0., -0.], dtype=float32)>"), "{printed_vars}");
    // learnable_mix_mvndiag_first_fixed: the Pad-ed logits store (2,) [-0.4054651, -0.8109302].
    let v = vars(zoo[3].1.as_ref());
    assert_eq!((v[0].0.as_str(), v[0].1.clone()), ("Variable", vec![2]));
    assert!(close(&v[0].2, &[-0.4054651, -0.8109302], 1e-7));
    assert!(v[1].2.iter().all(|x| x.abs() == 1.0), "Rademacher loc");
    // learnable_mix_mvntril: scale_tril (3, 10) in TFP's packing order.
    let v = vars(zoo[4].1.as_ref());
    assert_eq!(v.iter().map(|x| (x.0.as_str(), x.1.clone())).collect::<Vec<_>>(), vec![("logits", vec![3]), ("loc", vec![3, 4]), ("scale_tril", vec![3, 10])]);
    assert!(close(&v[2].2, &TRIL_ROW.repeat(3), 1e-5));
    // learnable_mix_mvntril_fixed_first: first mixture weight and first component fixed.
    let v = vars(zoo[5].1.as_ref());
    assert_eq!(v.iter().map(|x| (x.0.as_str(), x.1.clone())).collect::<Vec<_>>(), vec![("logits", vec![2]), ("loc", vec![2, 4]), ("scale_tril", vec![2, 10])]);
    assert!(close(&v[0].2, &[0.0, 0.0], 0.0) && close(&v[1].2, &[0.0; 8], 0.0));
    assert!(close(&v[2].2, &TRIL_ROW.repeat(2), 1e-5));
}

#[test]
fn every_construction_trains_and_fixed_parts_stay_fixed() {
    let data = zoo_data(1000, 3).unwrap();
    let zoo = learnable_zoo(1).unwrap();
    let eye = Tensor::eye(4, &[], DType::F32).unwrap().to_vec().unwrap();
    let fixed_identity = FillScaleTriL::new().forward(&FillScaleTriL::new().inverse(&Tensor::eye(4, &[], DType::F32).unwrap()).unwrap()).unwrap().to_vec().unwrap();
    assert!(close(&fixed_identity, &eye, 1e-5));
    for (name, d) in &zoo {
        let (before, after) = fit_by_mle(d.as_ref(), &data, 150, 0.1).unwrap();
        assert!(after < before - 1.0, "{name}: mean NLL {before} -> {after}");
        assert!(after.is_finite());
        match *name {
            "learnable_mix_mvndiag_first_fixed" => {
                let logits = parameter_value(d.as_ref(), "logits").unwrap().to_vec().unwrap();
                assert_eq!(logits[0], 0.0, "first logit stays fixed");
                assert_ne!(logits[1], -0.4054651f32 as f64, "the others trained");
            }
            "learnable_mix_mvntril_fixed_first" => {
                let logits = parameter_value(d.as_ref(), "logits").unwrap().to_vec().unwrap();
                let loc = parameter_value(d.as_ref(), "loc").unwrap().to_vec().unwrap();
                let tril = parameter_value(d.as_ref(), "scale_tril").unwrap().to_vec().unwrap();
                assert_eq!(logits[0], 0.0);
                assert_eq!(&loc[..4], &[0.0; 4], "first component's loc stays fixed");
                assert!(close(&tril[..16], &fixed_identity, 0.0), "first component's scale stays the identity");
                assert!(loc[4..].iter().any(|x| *x != 0.0), "the other components trained");
            }
            _ => {}
        }
    }
}
