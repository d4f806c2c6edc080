//! Saving and loading (issue 6): every savable family, built by `make_trainable` in float32
//! and float64, round-trips through JSON and safetensors into an object whose `log_prob` is
//! equal bit for bit and whose variables carry the same names and stored values; mixed
//! parameter kinds survive; bad files and unsavable parameters give typed errors naming the
//! culprit and write nothing.

use probrs::distributions::*;
use probrs::params::{DeferredTensor, MakeTrainable, Trainable, Variable};
use probrs::random::Seed;
use probrs::save::{load_distribution, load_variables, save_distribution, save_variables, SAVABLE_FAMILIES};
use probrs::tensor::{DType, Tensor};
use std::path::PathBuf;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("probrs_save_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_vec().unwrap().iter().map(|v| v.to_bits()).collect()
}

fn check_round_trip(d: &dyn Distribution, dir: &PathBuf, tag: &str) {
    let x = d.sample(&[7], Seed::new(3)).unwrap_or_else(|e| panic!("{tag}: sample: {e}"));
    let want = d.log_prob(&x).unwrap();
    for ext in ["json", "safetensors"] {
        let path = dir.join(format!("{tag}.{ext}"));
        save_distribution(&path, d).unwrap_or_else(|e| panic!("{tag}.{ext}: save: {e}"));
        let back = load_distribution(&path).unwrap_or_else(|e| panic!("{tag}.{ext}: load: {e}"));
        assert_eq!(back.class_name(), d.class_name(), "{tag}.{ext}");
        assert_eq!(back.dtype(), d.dtype(), "{tag}.{ext}");
        assert_eq!(bits(&back.log_prob(&x).unwrap()), bits(&want), "{tag}.{ext}: log_prob bits");
        let (a, b) = (d.trainable_variables(), back.trainable_variables());
        assert_eq!(a.len(), b.len(), "{tag}.{ext}");
        for (u, v) in a.iter().zip(&b) {
            assert_eq!(u.name(), v.name(), "{tag}.{ext}");
            assert_eq!(bits(&u.numpy()), bits(&v.numpy()), "{tag}.{ext}: {} stored bits", u.name());
        }
    }
}

fn trainable<T: Trainable + Distribution + 'static>(dtype: DType, shape: Option<&[usize]>) -> Box<dyn Distribution> {
    let mut b = MakeTrainable::new().parameter_dtype(dtype).seed(11);
    if let Some(s) = shape {
        b = b.batch_and_event_shape(s);
    }
    Box::new(b.build::<T>().unwrap_or_else(|e| panic!("{}: {e}", T::NAME)))
}

#[test]
fn every_savable_family_round_trips_bit_for_bit() {
    let dir = scratch("families");
    let mut covered = vec![];
    for dtype in [DType::F32, DType::F64] {
        let ds: Vec<Box<dyn Distribution>> = vec![
            trainable::<Normal>(dtype, Some(&[2])),
            trainable::<LogNormal>(dtype, None),
            trainable::<HalfNormal>(dtype, None),
            trainable::<HalfCauchy>(dtype, None),
            trainable::<TruncatedNormal>(dtype, None),
            trainable::<Exponential>(dtype, Some(&[3])),
            trainable::<Gamma>(dtype, None),
            trainable::<InverseGamma>(dtype, None),
            trainable::<Chi2>(dtype, None),
            trainable::<Beta>(dtype, None),
            trainable::<Kumaraswamy>(dtype, None),
            trainable::<Uniform>(dtype, None),
            trainable::<StudentT>(dtype, None),
            trainable::<Cauchy>(dtype, None),
            trainable::<Laplace>(dtype, None),
            trainable::<Logistic>(dtype, None),
            trainable::<Gumbel>(dtype, None),
            trainable::<Weibull>(dtype, None),
            trainable::<Pareto>(dtype, None),
            trainable::<VonMises>(dtype, None),
            trainable::<Deterministic>(dtype, None),
            trainable::<Bernoulli>(dtype, None),
            Box::new(MakeTrainable::new().parameter_dtype(dtype).seed(11).fixed("total_count", Tensor::scalar(10.0, dtype).unwrap()).build::<Binomial>().unwrap()),
            trainable::<Poisson>(dtype, None),
            trainable::<Geometric>(dtype, None),
            trainable::<Categorical>(dtype, Some(&[4])),
            trainable::<Dirichlet>(dtype, Some(&[3])),
            trainable::<MultivariateNormalDiag>(dtype, Some(&[3])),
            trainable::<MultivariateNormalTriL>(dtype, Some(&[3])),
            trainable::<MultivariateNormalFullCovariance>(dtype, Some(&[3])),
            trainable::<NegativeBinomial>(dtype, None),
            Box::new(MakeTrainable::new().parameter_dtype(dtype).seed(11).batch_and_event_shape(&[3]).fixed("total_count", Tensor::scalar(6.0, dtype).unwrap()).build::<Multinomial>().unwrap()),
            trainable::<OneHotCategorical>(dtype, Some(&[3])),
            trainable::<VectorDeterministic>(dtype, Some(&[2])),
        ];
        for d in &ds {
            check_round_trip(d.as_ref(), &dir, &format!("{}_{}", d.class_name(), dtype.name()));
            covered.push(d.class_name().to_string());
        }
    }
    for f in SAVABLE_FAMILIES {
        assert!(covered.iter().any(|c| c == f), "{f} not covered");
    }
}

#[test]
fn mixed_parameter_kinds_and_fitted_models_round_trip() {
    let dir = scratch("mixed");
    // A fixed tensor, a bare number and a plain variable.
    let scale = Variable::new(&Tensor::vector(&[0.5, 2.0], DType::F64).unwrap(), "my_scale").unwrap();
    let d = Normal::new(Tensor::vector(&[1.0, -3.0], DType::F64).unwrap(), &scale).unwrap().with_name("mixed");
    check_round_trip(&d, &dir, "mixed");
    let back = load_distribution(dir.join("mixed.json")).unwrap();
    assert_eq!(back.name(), "mixed");
    assert_eq!(back.trainable_variables()[0].name(), "my_scale");
    check_round_trip(&StudentT::new(3.0, 0.5, 2.0).unwrap(), &dir, "scalars");
    // A model fitted by `probrs fit`'s library.
    let data: Vec<f64> = (1..200).map(|i| (i as f64 / 50.0).sin() + 2.0).collect();
    let fit = probrs::fit::fit_family("Gamma", &data, &probrs::fit::FitOptions { steps: 200, ..Default::default() }).unwrap();
    check_round_trip(fit.model.as_ref(), &dir, "fitted");
}

#[test]
fn unsavable_and_bad_files_are_typed_errors_and_write_nothing() {
    let dir = scratch("bad");
    // A DeferredTensor parameter names itself.
    let raw = Variable::new(&Tensor::scalar(0.0, DType::F32).unwrap(), "raw").unwrap();
    let d = Normal::new(DeferredTensor::new(raw, |r| r.exp()), 1.0).unwrap();
    let e = save_distribution(dir.join("d.json"), &d).unwrap_err().to_string();
    assert!(e.contains("loc") && e.contains("DeferredTensor"), "{e}");
    assert!(!dir.join("d.json").exists());
    // Not a savable family.
    let ind = Independent::new(Normal::new(Tensor::vector(&[0.0, 1.0], DType::F32).unwrap(), 1.0).unwrap(), 1).unwrap();
    assert!(save_distribution(dir.join("i.json"), &ind).is_err());
    // Extension, missing file, malformed JSON (line and column), wrong structure.
    let g = Gamma::new(2.0, 1.0).unwrap();
    assert!(save_distribution(dir.join("g.txt"), &g).is_err());
    assert!(matches!(load_distribution(dir.join("missing.json")), Err(probrs::Error::Io { .. })));
    std::fs::write(dir.join("broken.json"), "{\n  \"family\": \"Gamma\",\n  oops\n}").unwrap();
    let e = load_distribution(dir.join("broken.json")).unwrap_err().to_string();
    assert!(e.contains("broken.json:3:"), "{e}");
    std::fs::write(dir.join("alien.json"), r#"{"family": "NoSuch", "dtype": "float32", "name": "x", "parameters": []}"#).unwrap();
    assert!(load_distribution(dir.join("alien.json")).unwrap_err().to_string().contains("NoSuch"));
    std::fs::write(dir.join("short.json"), r#"{"family": "Normal", "dtype": "float32", "name": "x", "parameters": [["loc", {"kind": "tensor", "value": {"dtype": "float32", "shape": [3], "values": [1.0]}}], ["scale", {"kind": "scalar", "value": 1.0}]]}"#).unwrap();
    assert!(load_distribution(dir.join("short.json")).unwrap_err().to_string().contains("1 values for shape [3]"));
    // A safetensors file that is not ours.
    std::fs::write(dir.join("junk.safetensors"), b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ").unwrap();
    assert!(load_distribution(dir.join("junk.safetensors")).is_err());
    // Non-finite values: JSON refuses (naming the parameter), safetensors keeps them.
    let inf = Normal::new(Tensor::vector(&[f64::INFINITY], DType::F64).unwrap(), Tensor::vector(&[1.0], DType::F64).unwrap());
    if let Ok(inf) = inf {
        assert!(save_distribution(dir.join("inf.json"), &inf).unwrap_err().to_string().contains("loc"));
        save_distribution(dir.join("inf.safetensors"), &inf).unwrap();
        assert_eq!(load_distribution(dir.join("inf.safetensors")).unwrap().mean().unwrap().to_vec().unwrap()[0], f64::INFINITY);
    }
    // No temporary files left behind.
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
}

#[test]
fn variables_round_trip_and_a_bad_file_changes_nothing() {
    let dir = scratch("vars");
    let a = Variable::new(&Tensor::vector(&[0.1, 0.2, 0.3], DType::F32).unwrap(), "a").unwrap();
    let b = Variable::new(&Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2], DType::F64).unwrap(), "b").unwrap();
    for ext in ["json", "safetensors"] {
        let path = dir.join(format!("v.{ext}"));
        save_variables(&path, &[a.clone(), b.clone()]).unwrap();
        let (a0, b0) = (bits(&a.numpy()), bits(&b.numpy()));
        a.assign(&Tensor::vector(&[9.0, 9.0, 9.0], DType::F32).unwrap()).unwrap();
        b.assign(&Tensor::from_slice(&[9.0; 4], &[2, 2], DType::F64).unwrap()).unwrap();
        load_variables(&path, &[a.clone(), b.clone()]).unwrap();
        assert_eq!((bits(&a.numpy()), bits(&b.numpy())), (a0, b0), "{ext}");
    }
    // A variable of another shape, or one missing from the file: an error, nothing assigned.
    let other = Variable::new(&Tensor::vector(&[5.0, 5.0], DType::F32).unwrap(), "a").unwrap();
    let before = bits(&b.numpy());
    assert!(load_variables(dir.join("v.json"), &[b.clone(), other.clone()]).unwrap_err().to_string().contains("variable a"));
    assert_eq!(bits(&b.numpy()), before);
    let c = Variable::new(&Tensor::scalar(1.0, DType::F32).unwrap(), "c").unwrap();
    assert!(load_variables(dir.join("v.safetensors"), &[c]).unwrap_err().to_string().contains("\"c\""));
    // Two variables with one name cannot be saved.
    assert!(save_variables(dir.join("dup.json"), &[a.clone(), other]).is_err());
    assert!(!dir.join("dup.json").exists());
}
