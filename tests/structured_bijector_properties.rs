//! Property tests over every structured (non-elementwise) bijector, in float32 and float64:
//! output shape = batch + forward_event_shape, f⁻¹(f(x)) = x, ildj(f(x)) = −fldj(x) (finite,
//! batch shaped), and, where the map is square in suitable coordinates, fldj = ln|det J| from
//! the autodiff Jacobian (float64). The elementwise bijectors are in `tests/bijectors.rs`.

mod common;
use common::autodiff_logdet;

use probrs::bijectors::*;
use probrs::tensor::{DType, Tensor};
use proptest::prelude::*;
use std::sync::Arc;

type Make = fn(DType) -> Arc<dyn Bijector>;
/// Maps a flat vector of free coordinates to one input event, and one output event back to its
/// free coordinates (so the Jacobian is square).
type Coords = Option<(fn(&Tensor) -> Tensor, fn(&Tensor) -> Tensor)>;

fn lower(x: &Tensor) -> Tensor {
    x.fill_triangular_inverse().unwrap()
}
fn strictly_lower(y: &Tensor) -> Tensor {
    let n = y.shape()[y.rank() - 1];
    y.narrow(y.rank() - 2, 1, n - 1).unwrap().narrow(y.rank() - 1, 0, n - 1).unwrap().contiguous().unwrap().fill_triangular_inverse().unwrap()
}
fn flat(x: &Tensor) -> Tensor {
    x.flatten().unwrap()
}

/// (name, constructor, input event shape, square coordinates).
fn registry() -> Vec<(&'static str, Make, Vec<usize>, Coords)> {
    vec![
        ("FillTriangular", |_| Arc::new(FillTriangular::new()), vec![6], Some((|v| v.clone(), lower))),
        ("FillTriangular(upper)", |_| Arc::new(FillTriangular::upper()), vec![6], None),
        ("FillScaleTriL", |_| Arc::new(FillScaleTriL::new()), vec![6], Some((|v| v.clone(), lower))),
        ("FillScaleTriL(Exp, no shift)", |_| Arc::new(FillScaleTriL::with_options(Exp::new().into_arc(), None)), vec![6], Some((|v| v.clone(), lower))),
        ("TransformDiagonal(Exp)", |_| Arc::new(TransformDiagonal::new(Exp::new().into_arc())), vec![3, 3], Some((|v| v.reshape(&[3, 3]).unwrap(), flat))),
        (
            "ScaleMatvecTriL",
            |d| Arc::new(ScaleMatvecTriL::new(Tensor::from_slice(&[2.0, 0.0, 0.0, 0.5, 1.0, 0.0, -0.3, 0.2, 0.7], &[3, 3], d).unwrap()).unwrap()),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "ScaleMatvecLU",
            |d| Arc::new(ScaleMatvecLU::new(Tensor::from_slice(&[2.0, 0.5, -1.0, 0.3, 1.5, 0.2, -0.4, 0.6, 0.8], &[3, 3], d).unwrap(), vec![2, 0, 1]).unwrap()),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "ActivationNormalization (initialized on a batch)",
            |d| {
                let an = ActivationNormalization::new(4, d, "actnorm").unwrap();
                an.inverse(&Tensor::from_slice(&[0.1, 2.0, -3.0, 0.5, 0.4, 1.0, -2.0, 0.6, 0.2, 3.5, -2.5, 0.9], &[3, 4], d).unwrap()).unwrap();
                Arc::new(an)
            },
            vec![4],
            Some((|v| v.clone(), flat)),
        ),
        ("ScaleMatvecDiag", |d| Arc::new(ScaleMatvecDiag::new(Tensor::from_slice(&[2.0, -0.5, 3.0], &[3], d).unwrap())), vec![3], Some((|v| v.clone(), flat))),
        ("CorrelationCholesky", |_| Arc::new(CorrelationCholesky::new()), vec![3], Some((|v| v.clone(), strictly_lower))),
        ("CorrelationCholesky(n=4)", |_| Arc::new(CorrelationCholesky::new()), vec![6], Some((|v| v.clone(), strictly_lower))),
        ("SoftmaxCentered", |_| Arc::new(SoftmaxCentered::new()), vec![3], None),
        (
            "MaskedAutoregressiveFlow",
            |d| Arc::new(MaskedAutoregressiveFlow::new(AutoregressiveNetwork::new(2, 3, &[8, 8], d, probrs::random::Seed::new(4)).unwrap().with_activation(Tensor::tanh)).unwrap()),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "Invert(MaskedAutoregressiveFlow)",
            |d| Arc::new(Invert::new(MaskedAutoregressiveFlow::new(AutoregressiveNetwork::new(2, 3, &[8], d, probrs::random::Seed::new(5)).unwrap().with_activation(Tensor::relu)).unwrap())),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "RationalQuadraticSpline",
            |d| {
                let t = |v: &[f64]| Tensor::vector(v, d).unwrap();
                Arc::new(RationalQuadraticSpline::new(t(&[0.5, 1.5, 1.0]), t(&[1.2, 0.3, 1.5]), t(&[0.7, 2.0]), -1.5).unwrap())
            },
            vec![4],
            Some((|v| v.clone(), flat)),
        ),
        ("Permute", |_| Arc::new(Permute::new(vec![2, 0, 3, 1]).unwrap()), vec![4], Some((|v| v.clone(), flat))),
        (
            "MaskedAutoregressiveFlow(AutoregressiveSplineParams)",
            |d| Arc::new(MaskedAutoregressiveFlow::from_bijector_fn(3, Arc::new(AutoregressiveSplineParams::new(3, 4, &[8], d, probrs::random::Seed::new(9)).unwrap().with_bound(2.0).unwrap())).unwrap()),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "BatchNormalization(inference, statistics from a training pass)",
            |d| {
                let bn = BatchNormalization::new(3, d).unwrap().with_momentum_and_epsilon(0.5, 1e-3).unwrap();
                bn.inverse(&Tensor::from_slice(&[1.0, -2.0, 4.0, 3.0, 0.0, 9.0, -1.0, 1.0, 5.0], &[3, 3], d).unwrap()).unwrap();
                Arc::new(bn.with_training(false))
            },
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "RealNVP(first 1 of 3, default template)",
            |d| Arc::new(RealNVP::new(Masked::Num(1), Arc::new(RealNVPDefaultTemplate::new(&[8, 8], 1, 2, false, d, probrs::random::Seed::new(6)).unwrap().with_activation(Tensor::tanh))).unwrap()),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "RealNVP(first 1 of 3, conditional template, context broadcast)",
            |d| {
                let net = RealNVPDefaultTemplate::new(&[8], 1, 2, false, d, probrs::random::Seed::new(9)).unwrap().with_activation(Tensor::tanh).with_conditional(2, probrs::random::Seed::new(10)).unwrap();
                Arc::new(RealNVP::new(Masked::Num(1), Arc::new(net)).unwrap().with_conditional_input(Tensor::from_slice(&[0.7, -1.2], &[2], d).unwrap()).unwrap())
            },
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "RealNVP(last 2 of 3, NICE)",
            |d| Arc::new(RealNVP::new(Masked::Num(-2), Arc::new(RealNVPDefaultTemplate::new(&[8], 2, 1, true, d, probrs::random::Seed::new(7)).unwrap())).unwrap()),
            vec![3],
            Some((|v| v.clone(), flat)),
        ),
        (
            "RealNVP(fraction ½ of 4, SplineParams)",
            |d| Arc::new(RealNVP::from_bijector_fn(Masked::Fraction(0.5), Arc::new(SplineParams::new(2, 2, 5, d, probrs::random::Seed::new(8)).unwrap())).unwrap()),
            vec![4],
            Some((|v| v.clone(), flat)),
        ),
        (
            "Blockwise(Exp, ScaleMatvecTriL, Sigmoid)",
            |d| {
                let tril = ScaleMatvecTriL::new(Tensor::from_slice(&[1.5, 0.0, 0.4, 0.8], &[2, 2], d).unwrap()).unwrap();
                Arc::new(Blockwise::new(vec![Exp::new().into_arc(), Arc::new(tril), Sigmoid::new().into_arc()], Some(vec![1, 2, 1])).unwrap())
            },
            vec![4],
            Some((|v| v.clone(), flat)),
        ),
        ("Ascending", |_| Arc::new(Ascending::new()), vec![4], Some((|v| v.clone(), flat))),
        ("Pad", |_| Arc::new(Pad::new(vec![(1, 2)]).unwrap().with_constant_values(0.5)), vec![3], None),
        ("Reshape", |_| Arc::new(Reshape::new(&[3, 2], &[6]).unwrap()), vec![6], Some((|v| v.clone(), flat))),
        ("Transpose", |_| Arc::new(Transpose::new(vec![1, 0]).unwrap()), vec![2, 3], Some((|v| v.reshape(&[2, 3]).unwrap(), flat))),
        ("Chain(CholeskyOuterProduct, CorrelationCholesky)", |_| Arc::new(Chain::new(vec![Arc::new(CholeskyOuterProduct::new()), Arc::new(CorrelationCholesky::new())])), vec![3], None),
        ("Chain(TransformDiagonal, FillScaleTriL, ScaleMatvecDiag)", |d| {
            Arc::new(Chain::new(vec![Arc::new(TransformDiagonal::new(Softplus::new().into_arc())), Arc::new(FillScaleTriL::with_options(Exp::new().into_arc(), None)), Arc::new(ScaleMatvecDiag::new(Tensor::from_slice(&[1.5; 6], &[6], d).unwrap()))]))
        }, vec![6], Some((|v| v.clone(), lower))),
    ]
}

/// CholeskyOuterProduct needs a lower-triangular input with a positive diagonal: its own
/// property test builds one from the raw values.
fn cholesky_input(raw: &[f64], dtype: DType) -> Tensor {
    let l = Tensor::from_slice(raw, &[6], dtype).unwrap().fill_triangular().unwrap();
    l.set_diag(&l.diag_part().unwrap().exp().unwrap()).unwrap()
}

/// ln|det ∂g/∂v| at v0 for g = to_coords ∘ f ∘ from_coords, by autodiff (f64).
fn autodiff_log_det(b: &dyn Bijector, coords: (fn(&Tensor) -> Tensor, fn(&Tensor) -> Tensor), v0: &[f64]) -> f64 {
    autodiff_logdet(&|v| (coords.1)(&b.forward(&(coords.0)(v)).unwrap()), v0)
}

fn check(b: &dyn Bijector, x: &Tensor, batch: &[usize], event_ndims: usize, tol: f64) -> Result<(), TestCaseError> {
    let y = b.forward(x).unwrap();
    let mut expect = batch.to_vec();
    expect.extend(b.forward_event_shape(&x.shape()[batch.len()..]).unwrap());
    prop_assert_eq!(y.shape(), expect.as_slice(), "{} forward shape", b.name());
    prop_assert_eq!(y.dtype(), x.dtype());
    let back = b.inverse(&y).unwrap().to_vec().unwrap();
    for (a, e) in back.iter().zip(x.to_vec().unwrap()) {
        prop_assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{} round trip {} vs {}", b.name(), a, e);
    }
    let y_ndims = y.rank() - batch.len();
    let f = b.forward_log_det_jacobian(x, event_ndims).unwrap().broadcast_to(batch).unwrap().to_vec().unwrap();
    let i = b.inverse_log_det_jacobian(&y, y_ndims).unwrap().broadcast_to(batch).unwrap().to_vec().unwrap();
    for (a, e) in f.iter().zip(&i) {
        prop_assert!(a.is_finite() && e.is_finite(), "{}: non-finite log-det", b.name());
        prop_assert!((a + e).abs() <= tol * (1.0 + a.abs()), "{} fldj {} ildj {}", b.name(), a, e);
    }
    // The joint methods (what log_prob and sampling use) equal the separate ones.
    let (y2, f2) = b.forward_and_forward_log_det_jacobian(x, event_ndims).unwrap();
    let (x2, i2) = b.inverse_and_inverse_log_det_jacobian(&y, y_ndims).unwrap();
    let pairs = [(y2.to_vec().unwrap(), y.to_vec().unwrap(), "forward"), (f2.broadcast_to(batch).unwrap().to_vec().unwrap(), f, "fldj"), (x2.to_vec().unwrap(), back, "inverse"), (i2.broadcast_to(batch).unwrap().to_vec().unwrap(), i, "ildj")];
    for (joint, separate, what) in pairs {
        for (a, e) in joint.iter().zip(&separate) {
            prop_assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{} joint {} {} vs {}", b.name(), what, a, e);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_0001), ..ProptestConfig::default() })]

    #[test]
    fn prop_structured_bijectors(which in 0usize..1 << 16, batch in prop::collection::vec(1usize..3, 0..2),
                                 raw in prop::collection::vec(-1.5f64..1.5, 64), f32_ in any::<bool>()) {
        let reg = registry();
        let (name, make, event, coords) = &reg[which % reg.len()];
        let dtype = if f32_ { DType::F32 } else { DType::F64 };
        let tol = if f32_ { 2e-3 } else { 1e-8 };
        let b = make(dtype);
        let mut shape = batch.clone();
        shape.extend(event);
        let n: usize = shape.iter().product();
        let x = Tensor::from_slice(&raw[..n], &shape, dtype).unwrap();
        check(b.as_ref(), &x, &batch, event.len(), tol)?;
        if let (Some(c), false) = (coords, f32_) {
            let m: usize = event.iter().product();
            let fldj = b.forward_log_det_jacobian(&Tensor::from_slice(&raw[..m], event, DType::F64).unwrap(), event.len()).unwrap().to_scalar().unwrap();
            let ad = autodiff_log_det(b.as_ref(), *c, &raw[..m]);
            prop_assert!((fldj - ad).abs() <= 1e-8 * (1.0 + ad.abs()), "{name}: fldj {fldj} vs autodiff {ad}");
        }
    }

    #[test]
    fn prop_cholesky_outer_product(raw in prop::collection::vec(-1.5f64..1.5, 6), f32_ in any::<bool>()) {
        let dtype = if f32_ { DType::F32 } else { DType::F64 };
        let tol = if f32_ { 2e-3 } else { 1e-8 };
        let b = CholeskyOuterProduct::new();
        check(&b, &cholesky_input(&raw, dtype), &[], 2, tol)?;
        if !f32_ {
            let x0 = cholesky_input(&raw, DType::F64).fill_triangular_inverse().unwrap().to_vec().unwrap();
            let fldj = b.forward_log_det_jacobian(&cholesky_input(&raw, DType::F64), 2).unwrap().to_scalar().unwrap();
            let ad = autodiff_log_det(&b, (|v| v.fill_triangular().unwrap(), lower), &x0);
            prop_assert!((fldj - ad).abs() <= 1e-8 * (1.0 + ad.abs()), "fldj {fldj} vs autodiff {ad}");
        }
    }
}
