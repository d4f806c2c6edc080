//! Property tests over a registry of distributions, driven by `parameter_properties`: draw
//! unconstrained parameters, push them through the default constraining bijectors, construct,
//! then check sample shapes, seed reproducibility, finite log_prob on samples, agreement of
//! `sample_and_log_prob`, and finite parameter gradients equal to finite differences.
//! Later families join by adding a line to `registry()`.

use probrs::distributions::{Bernoulli, Categorical, Distribution, Exponential, MultivariateNormalDiag, MultivariateNormalTriL, Normal};
use probrs::params::{Param, Parameters, Trainable, Variable};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use proptest::prelude::*;

type Build = fn(Parameters) -> probrs::Result<Box<dyn Distribution>>;
type Props = fn(DType) -> Vec<(&'static str, probrs::params::ParameterProperties)>;

/// (family, its parameter properties, its constructor, dims appended to the batch shape to form
/// `batch_and_event_shape`: the event, or Categorical's number of categories).
fn registry() -> Vec<(&'static str, Props, Build, Vec<usize>)> {
    vec![
        ("Normal", Normal::parameter_properties, |p| Ok(Box::new(Normal::from_parameters(p)?)), vec![]),
        ("Exponential", Exponential::parameter_properties, |p| Ok(Box::new(Exponential::from_parameters(p)?)), vec![]),
        ("Bernoulli", Bernoulli::parameter_properties, |p| Ok(Box::new(Bernoulli::from_parameters(p)?)), vec![]),
        ("Categorical", Categorical::parameter_properties, |p| Ok(Box::new(Categorical::from_parameters(p)?)), vec![4]),
        ("MultivariateNormalDiag", MultivariateNormalDiag::parameter_properties, |p| Ok(Box::new(MultivariateNormalDiag::from_parameters(p)?)), vec![3]),
        ("MultivariateNormalTriL", MultivariateNormalTriL::parameter_properties, |p| Ok(Box::new(MultivariateNormalTriL::from_parameters(p)?)), vec![3]),
    ]
}

/// Builds a distribution from unconstrained values `raw` (consumed in order), holding the
/// unconstrained parameters as variables so gradients can be checked. Only preferred
/// parameters are set, as `make_trainable` does.
fn build(
    props: &[(&'static str, probrs::params::ParameterProperties)],
    make: Build,
    batch_and_event: &[usize],
    raw: &[f64],
    dtype: DType,
) -> (Box<dyn Distribution>, Vec<Variable>) {
    let mut params = Parameters::new();
    let mut vars = vec![];
    let mut k = 0;
    for (name, p) in props.iter().filter(|(_, p)| p.is_preferred) {
        let bij = (p.default_constraining_bijector)(dtype);
        let shape = bij.inverse_event_shape(&(p.shape_fn)(batch_and_event)).unwrap();
        let n: usize = shape.iter().product();
        let u = Tensor::from_slice(&raw[k..k + n], &shape, dtype).unwrap();
        k += n;
        let v = Variable::new(&u, *name).unwrap();
        let value = bij.forward(&v.value()).unwrap();
        vars.push(v);
        params.insert(name, Param::Tensor(value));
    }
    (make(params).unwrap(), vars)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prop_distribution_contracts(which in 0usize..6, batch in prop::collection::vec(1usize..4, 0..3),
                                   raw in prop::collection::vec(-2.0f64..2.0, 256), seed in any::<u64>(),
                                   f32_ in any::<bool>(), n in 1usize..4) {
        let reg = registry();
        let (name, props_fn, make, extra) = reg[which].clone();
        let dtype = if f32_ { DType::F32 } else { DType::F64 };
        let props = props_fn(dtype);
        let batch_and_event: Vec<usize> = batch.iter().chain(&extra).copied().collect();
        let (d, vars) = build(&props, make, &batch_and_event, &raw, dtype);
        prop_assert_eq!(d.batch_shape(), batch.clone());
        // sample shape = sample_shape + batch_shape + event_shape
        let s = d.sample(&[n], Seed::new(seed)).unwrap();
        let mut expect = vec![n];
        expect.extend(&batch);
        expect.extend(d.event_shape());
        prop_assert_eq!(s.shape(), expect.as_slice());
        prop_assert_eq!(s.to_vec().unwrap(), d.sample(&[n], Seed::new(seed)).unwrap().to_vec().unwrap());
        let lp = d.log_prob(&s).unwrap();
        prop_assert!(lp.all_finite().unwrap(), "{name}: log_prob not finite on its samples");
        let (x2, lp2) = d.sample_and_log_prob(&[n], Seed::new(seed)).unwrap();
        prop_assert_eq!(x2.to_vec().unwrap(), s.to_vec().unwrap());
        prop_assert_eq!(lp2.to_vec().unwrap(), lp.to_vec().unwrap());
        // Gradients of Σ log_prob(x) w.r.t. the unconstrained parameters: finite, and equal to
        // central differences (float64 only).
        let x = s.detach();
        let total = d.log_prob(&x).unwrap().sum_all().unwrap();
        let values: Vec<Tensor> = vars.iter().map(|v| v.value()).collect();
        let refs: Vec<&Tensor> = values.iter().collect();
        let grads = total.grad(&refs).unwrap();
        for g in &grads {
            prop_assert!(g.as_ref().map(|g| g.all_finite().unwrap()).unwrap_or(false), "{name}: gradient missing or not finite");
        }
        if dtype == DType::F64 {
            let h = 1e-6;
            let mut k = 0;
            for (vi, v) in vars.iter().enumerate() {
                let g = grads[vi].as_ref().unwrap().to_vec().unwrap();
                for j in 0..v.shape().iter().product::<usize>() {
                    let eval = |delta: f64| {
                        let mut r = raw.clone();
                        r[k + j] += delta;
                        let (d2, _) = build(&props, make, &batch_and_event, &r, dtype);
                        d2.log_prob(&x).unwrap().sum_all().unwrap().to_scalar().unwrap()
                    };
                    let fd = (eval(h) - eval(-h)) / (2.0 * h);
                    prop_assert!((g[j] - fd).abs() <= 1e-5 * (1.0 + fd.abs()), "{name}: grad {} vs fd {}", g[j], fd);
                }
                k += v.shape().iter().product::<usize>();
            }
        }
    }
}
