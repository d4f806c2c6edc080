//! Bijectors: round trips, log-det-Jacobians against autodiff, event_ndims handling, Chain
//! order, a user-defined bijector, and property tests over every elementwise bijector in
//! float32 and float64.

mod common;
use common::*;
use probrs::bijectors::*;
use probrs::params::Variable;
use probrs::tensor::{DType, Tensor};
use proptest::prelude::*;
use std::sync::Arc;

/// Every elementwise bijector, with the interval its inputs live on.
fn elementwise() -> Vec<(Arc<dyn Bijector>, f64, f64)> {
    vec![
        (Identity::new().into_arc(), -5.0, 5.0),
        (Exp::new().into_arc(), -5.0, 5.0),
        (Softplus::new().into_arc(), -10.0, 10.0),
        (Softplus::new().with_hinge_softness(0.5).unwrap().with_low(0.01).into_arc(), -5.0, 5.0),
        (Sigmoid::new().into_arc(), -8.0, 8.0),
        (Sigmoid::with_bounds(-1.0, 2.0).unwrap().into_arc(), -8.0, 8.0),
        (Tanh::new().into_arc(), -4.0, 4.0),
        (Scale::new(-2.5).unwrap().into_arc(), -5.0, 5.0),
        (Shift::new(1.5).into_arc(), -5.0, 5.0),
        (Square::new().into_arc(), 0.1, 5.0),
        (Power::new(3.0).unwrap().into_arc(), 0.1, 3.0),
        (Power::new(0.5).unwrap().into_arc(), 0.1, 3.0),
        (Invert::new(Exp::new()).into_arc(), 0.1, 5.0),
        (Chain::new(vec![Exp::new().into_arc(), Scale::new(0.5).unwrap().into_arc(), Shift::new(-1.0).into_arc()]).into_arc(), -3.0, 3.0),
        (KumaraswamyCDF::new(2.0, 3.0).into_arc(), 0.02, 0.98),
        (NormalCDF::new().into_arc(), -4.0, 4.0),
        (GumbelCDF::new(0.5, 1.5).into_arc(), -2.0, 6.0),
        (WeibullCDF::new(1.5, 2.5).into_arc(), 0.05, 3.0),
        (RayleighCDF::new(0.7).into_arc(), 0.05, 2.0),
        (MoyalCDF::new(-0.5, 1.2).into_arc(), -2.0, 8.0),
        (GompertzCDF::new(0.5, 1.5).into_arc(), 0.05, 2.0),
    ]
}

/// log|dy/dx| by autodiff of the forward map (elementwise bijectors).
fn autodiff_ldj(b: &dyn Bijector, x: &[f64]) -> Vec<f64> {
    let v = Variable::new(&t64(x, &[x.len()]), "x").unwrap();
    let y = b.forward(&v.value()).unwrap().sum_all().unwrap();
    let g = y.grad(&[&v.value()]).unwrap()[0].clone().unwrap().to_vec().unwrap();
    g.iter().map(|d| d.abs().ln()).collect()
}

#[test]
fn round_trip_and_log_det_against_autodiff() {
    for (b, lo, hi) in elementwise() {
        let xs: Vec<f64> = (0..7).map(|i| lo + (hi - lo) * (i as f64 + 0.5) / 7.0).collect();
        let x = t64(&xs, &[7]);
        let y = b.forward(&x).unwrap();
        assert_close(&b.inverse(&y).unwrap().to_vec().unwrap(), &xs, 1e-9, 1e-9, &format!("{} round trip", b.name()));
        let fldj = b.forward_log_det_jacobian(&x, 0).unwrap().broadcast_to(&[7]).unwrap().to_vec().unwrap();
        assert_close(&fldj, &autodiff_ldj(b.as_ref(), &xs), 1e-8, 1e-8, &format!("{} fldj", b.name()));
        let ildj = b.inverse_log_det_jacobian(&y, 0).unwrap().broadcast_to(&[7]).unwrap().to_vec().unwrap();
        let neg: Vec<f64> = fldj.iter().map(|v| -v).collect();
        assert_close(&ildj, &neg, 1e-8, 1e-8, &format!("{} ildj = -fldj", b.name()));
        // event_ndims = 1 sums over the event (a constant Jacobian counts once per element).
        let summed = b.forward_log_det_jacobian(&x, 1).unwrap().to_scalar().unwrap();
        assert!((summed - fldj.iter().sum::<f64>()).abs() < 1e-8, "{} event_ndims=1", b.name());
    }
}

#[test]
fn constant_jacobians_are_flagged() {
    assert!(Scale::new(2.0).unwrap().is_constant_jacobian());
    assert!(Shift::new(2.0).is_constant_jacobian());
    assert!(Identity::new().is_constant_jacobian());
    assert!(!Exp::new().is_constant_jacobian());
    assert!(Chain::new(vec![Scale::new(2.0).unwrap().into_arc(), Shift::new(1.0).into_arc()]).is_constant_jacobian());
}

#[test]
fn chain_applies_last_first() {
    // Chain([Exp, Shift(1)]) = exp(x + 1), not exp(x) + 1.
    let b = Chain::new(vec![Exp::new().into_arc(), Shift::new(1.0).into_arc()]);
    let y = b.forward(&t64(&[0.0], &[1])).unwrap().to_vec().unwrap();
    assert!((y[0] - 1f64.exp()).abs() < 1e-12);
    assert_eq!(b.name(), "chain_of_exp_of_shift");
    // An empty chain is the identity.
    let id = Chain::new(vec![]);
    assert_eq!(id.forward(&t64(&[3.0], &[1])).unwrap().to_vec().unwrap(), vec![3.0]);
    assert_eq!(id.forward_log_det_jacobian(&t64(&[3.0], &[1]), 0).unwrap().to_scalar().unwrap(), 0.0);
}

#[test]
fn event_ndims_below_minimum_is_an_error() {
    let b = MatrixEventScale;
    let x = t64(&[1.0, 2.0], &[2]);
    assert!(matches!(b.forward_log_det_jacobian(&x, 0), Err(probrs::Error::InvalidParameter { .. })));
    assert!(matches!(Exp::new().forward_log_det_jacobian(&x, 2), Err(probrs::Error::InvalidShape { .. })));
}

#[test]
fn invalid_parameters_are_typed_errors() {
    assert!(matches!(Scale::new(0.0), Err(probrs::Error::InvalidParameter { .. })));
    assert!(matches!(Power::new(0.0), Err(probrs::Error::InvalidParameter { .. })));
    assert!(matches!(Softplus::new().with_hinge_softness(0.0), Err(probrs::Error::InvalidParameter { .. })));
    assert!(matches!(Sigmoid::with_bounds(2.0, 1.0), Err(probrs::Error::InvalidParameter { .. })));
}

/// A user-defined bijector on vector events: y = 2x, with forward_min_event_ndims = 1.
struct MatrixEventScale;
impl Bijector for MatrixEventScale {
    fn name(&self) -> &str {
        "double_vector"
    }
    fn forward_min_event_ndims(&self) -> usize {
        1
    }
    fn is_constant_jacobian(&self) -> bool {
        true
    }
    fn forward(&self, x: &Tensor) -> probrs::Result<Tensor> {
        x.mul_scalar(2.0)
    }
    fn inverse(&self, y: &Tensor) -> probrs::Result<Tensor> {
        y.mul_scalar(0.5)
    }
    fn forward_log_det_jacobian_min(&self, x: &Tensor) -> probrs::Result<Tensor> {
        // log|det 2I| = n log 2, one value per vector.
        let n = *x.shape().last().unwrap() as f64;
        x.sum_last(1)?.mul_scalar(0.0)?.add_scalar(n * 2f64.ln())
    }
}

#[test]
fn user_bijector_composes_in_a_chain() {
    let b = Chain::new(vec![Exp::new().into_arc(), Arc::new(MatrixEventScale)]);
    assert_eq!(b.forward_min_event_ndims(), 1);
    let x = t64(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
    let ldj = b.forward_log_det_jacobian(&x, 1).unwrap();
    assert_eq!(ldj.shape(), &[2]);
    // 3 log 2 + Σ 2x
    let expect = [3.0 * 2f64.ln() + 2.0 * 0.6, 3.0 * 2f64.ln() + 2.0 * 1.5];
    assert_close(&ldj.to_vec().unwrap(), &expect, 1e-12, 1e-12, "chain ldj");
    let ildj = b.inverse_log_det_jacobian(&b.forward(&x).unwrap(), 1).unwrap().to_vec().unwrap();
    assert_close(&ildj, &[-expect[0], -expect[1]], 1e-12, 1e-12, "chain ildj");
    // The user type's default inverse log-det comes from the forward one.
    let il = MatrixEventScale.inverse_log_det_jacobian(&x, 1).unwrap().to_vec().unwrap();
    assert_close(&il, &[-3.0 * 2f64.ln(); 2], 1e-12, 1e-12, "default ildj");
}

#[test]
fn bijector_variables_are_found() {
    let s = Variable::new(&t64(&[2.0], &[]), "scale").unwrap();
    let b = Chain::new(vec![Scale::new(&s).unwrap().into_arc(), Exp::new().into_arc()]);
    let vars = b.trainable_variables();
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0].name(), "scale");
    // Gradients reach the variable through the bijector.
    let y = b.forward(&t64(&[0.0, 1.0], &[2])).unwrap().sum_all().unwrap();
    let g = y.grad(&[&s.value()]).unwrap()[0].clone().unwrap().to_scalar().unwrap();
    assert!((g - (1.0 + 1f64.exp())).abs() < 1e-12);
}

#[test]
fn softplus_parameter_properties_drive_make_trainable() {
    let b: Softplus = probrs::params::MakeTrainable::new().initial_value("hinge_softness", 2.0).fixed("low", 0.0).build().unwrap();
    let vars = b.trainable_variables();
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0].name(), "hinge_softness");
    let y = b.forward(&Tensor::scalar(0.0, DType::F32).unwrap()).unwrap().to_scalar().unwrap();
    assert!((y - 2.0 * 2f64.ln()).abs() < 1e-5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_0001), ..ProptestConfig::default() })]

    /// For every elementwise bijector, dtype and input: f⁻¹(f(x)) = x and
    /// ildj(f(x)) = −fldj(x), both finite.
    #[test]
    fn prop_round_trip_and_ldj(idx in 0usize..1 << 16, u in prop::collection::vec(0.0f64..1.0, 1..6), f32_ in any::<bool>()) {
        let all = elementwise();
        let (b, lo, hi) = &all[idx % all.len()];
        let xs: Vec<f64> = u.iter().map(|u| lo + (hi - lo) * u).collect();
        let dtype = if f32_ { DType::F32 } else { DType::F64 };
        let tol = if f32_ { 2e-3 } else { 1e-8 };
        let x = Tensor::from_slice(&xs, &[xs.len()], dtype).unwrap();
        let y = b.forward(&x).unwrap();
        prop_assert_eq!(y.dtype(), dtype);
        let back = b.inverse(&y).unwrap().to_vec().unwrap();
        for (a, e) in back.iter().zip(&xs) {
            prop_assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{} round trip {} vs {}", b.name(), a, e);
        }
        let f = b.forward_log_det_jacobian(&x, 0).unwrap().broadcast_to(&[xs.len()]).unwrap().to_vec().unwrap();
        let i = b.inverse_log_det_jacobian(&y, 0).unwrap().broadcast_to(&[xs.len()]).unwrap().to_vec().unwrap();
        for (a, e) in f.iter().zip(&i) {
            prop_assert!(a.is_finite() && e.is_finite());
            prop_assert!((a + e).abs() <= tol * (1.0 + a.abs()), "{} fldj {} ildj {}", b.name(), a, e);
        }
    }
}

/// TFP's `Reshape(event_shape_out, event_shape_in=(-1,))`: one `-1` per shape, inferred from the
/// input; fixed entries of `event_shape_in` must match; errors name the shapes.
#[test]
fn reshape_infers_a_minus_one_dimension_as_tfp() {
    use probrs::bijectors::{Bijector, Reshape};
    let x = Tensor::from_slice(&(0..24).map(f64::from).collect::<Vec<_>>(), &[2, 12], DType::F64).unwrap();
    // Default event_shape_in (-1,): the last dimension is the event.
    let b = Reshape::with_event_shape_out(&[3, -1]).unwrap();
    let y = b.forward(&x).unwrap();
    assert_eq!(y.shape(), &[2, 3, 4]);
    assert_eq!(y.to_vec().unwrap(), x.to_vec().unwrap()); // a relabelling, row-major
    assert_eq!(b.inverse(&y).unwrap().shape(), &[2, 12]);
    assert_eq!(b.forward_event_shape(&[12]).unwrap(), vec![3, 4]);
    assert_eq!(b.inverse_event_shape(&[5, 3, 2]).unwrap(), vec![5, 6]);
    assert_eq!(b.forward_log_det_jacobian(&x, 1).unwrap().to_vec().unwrap(), vec![0.0, 0.0]);
    // -1 in event_shape_in: any [k, 4] event.
    let b = Reshape::new(&[-1], &[-1, 4]).unwrap();
    assert_eq!(b.forward(&x.reshape(&[2, 3, 4]).unwrap()).unwrap().shape(), &[2, 12]);
    assert_eq!(b.inverse(&x).unwrap().shape(), &[2, 3, 4]);
    // Errors: a fixed entry that does not match, a count that does not divide, bad specs.
    let b = Reshape::new(&[-1, 5], &[-1]).unwrap();
    let err = b.forward(&x).unwrap_err().to_string();
    assert!(err.contains("12") && err.contains("[-1, 5]"), "{err}");
    assert!(Reshape::new(&[2, 6], &[3, 4]).unwrap().forward(&x.reshape(&[2, 4, 3]).unwrap()).is_err());
    assert!(Reshape::new(&[-2, 6], &[12]).unwrap_err().to_string().contains("event_shape_out"));
    assert!(Reshape::new(&[2, 6], &[-1, -1]).unwrap_err().to_string().contains("event_shape_in"));
    assert!(Reshape::new(&[0, -1], &[4]).is_err());
}

/// The CDF bijectors equal scipy 1.17's CDFs (`norm`, `gumbel_r`, `weibull_min`, `rayleigh`,
/// `moyal`, `gompertz` with scale 1/rate) at three points each, and their log-det-Jacobians
/// equal the densities' logs; f64.
#[test]
fn cdf_bijectors_equal_scipy() {
    let cases: Vec<(Arc<dyn Bijector>, [f64; 3], [f64; 3], (f64, f64))> = vec![
        (NormalCDF::new().into_arc(), [-2.5, 0.3, 1.7], [0.006209665325776132, 0.6179114221889526, 0.955434537241457], (0.3, -0.9639385332046727)),
        (GumbelCDF::new(0.5, 1.5).into_arc(), [-1.0, 0.5, 4.0], [0.06598803584531254, 0.36787944117144233, 0.9075814472228789], (4.0, -2.835770409305903)),
        (WeibullCDF::new(1.5, 2.5).into_arc(), [0.2, 1.5, 2.8], [0.00647050216679249, 0.6321205588285577, 0.9914400199764258], (1.5, -0.4891743762340093)),
        (RayleighCDF::new(0.7).into_arc(), [0.1, 0.7, 1.9], [0.010152196621266247, 0.3934693402873666, 0.9748695110147256], (0.7, -0.14332505606126755)),
        (MoyalCDF::new(-0.5, 1.2).into_arc(), [-1.5, 0.0, 6.0], [0.1292927425910417, 0.4168281574185567, 0.9468620963068088], (0.0, -1.6392137384321825)),
        (GompertzCDF::new(0.5, 1.5).into_arc(), [0.1, 0.8, 1.9], [0.07772987523294676, 0.6865321454127687, 0.9997094953341292], (0.8, -0.24774053382005473)),
    ];
    for (b, xs, cdf, (x0, logpdf)) in cases {
        let y = b.forward(&t64(&xs, &[3])).unwrap().to_vec().unwrap();
        assert_close(&y, &cdf, 1e-12, 1e-12, &format!("{} vs scipy", b.name()));
        let ldj = b.forward_log_det_jacobian(&t64(&[x0], &[1]), 0).unwrap().to_vec().unwrap();
        assert_close(&ldj, &[logpdf], 1e-12, 1e-12, &format!("{} log-det vs scipy's logpdf", b.name()));
    }
}

/// The "Gaussian Copulas with TFP Bijectors" construction: a `MultivariateNormalTriL` with unit
/// variances pushed through `NormalCDF` is the Gaussian copula on the unit square (closed form
/// `−½ log(1 − ρ²) − ½ zᵀ(R⁻¹ − I)z`, `z = Φ⁻¹(u)`); warped by
/// `Blockwise([Invert(KumaraswamyCDF), Invert(GumbelCDF)])` its log-density is the copula's at
/// the marginal CDFs plus the marginals' own log-densities. Bad block sizes are errors.
#[test]
fn gaussian_copula_and_warped_marginals() {
    use probrs::distributions::{Distribution, Gumbel, Kumaraswamy, MultivariateNormalTriL, TransformedDistribution};
    let rho: f64 = 0.6;
    let l = t64(&[1.0, 0.0, rho, (1.0 - rho * rho).sqrt()], &[2, 2]);
    let mvn = MultivariateNormalTriL::new(t64(&[0.0, 0.0], &[2]), l).unwrap();
    let copula: Arc<dyn Distribution> = Arc::new(TransformedDistribution::new(mvn, NormalCDF::new()).unwrap());
    let normal_cdf = NormalCDF::new();
    for u in [[0.3, 0.7], [0.9, 0.85], [0.1, 0.2]] {
        let lp = copula.log_prob(&t64(&u, &[2])).unwrap().to_scalar().unwrap();
        let z = normal_cdf.inverse(&t64(&u, &[2])).unwrap().to_vec().unwrap();
        let q = (z[0] * z[0] - 2.0 * rho * z[0] * z[1] + z[1] * z[1]) / (1.0 - rho * rho) - (z[0] * z[0] + z[1] * z[1]);
        let expect = -0.5 * (1.0 - rho * rho).ln() - 0.5 * q;
        assert!((lp - expect).abs() < 1e-10, "copula at {u:?}: {lp} vs {expect}");
    }
    let marginals = Blockwise::new(vec![Invert::new(KumaraswamyCDF::new(2.0, 3.0)).into_arc(), Invert::new(GumbelCDF::new(0.5, 1.5)).into_arc()], None).unwrap();
    let warped = TransformedDistribution::from_arcs(copula.clone(), Arc::new(marginals)).unwrap();
    let x = [0.4, 1.2];
    let u = [
        KumaraswamyCDF::new(2.0, 3.0).forward(&t64(&[x[0]], &[1])).unwrap().to_vec().unwrap()[0],
        GumbelCDF::new(0.5, 1.5).forward(&t64(&[x[1]], &[1])).unwrap().to_vec().unwrap()[0],
    ];
    let s = |v: f64| Tensor::scalar(v, DType::F64).unwrap();
    let expect = copula.log_prob(&t64(&u, &[2])).unwrap().to_scalar().unwrap()
        + Kumaraswamy::new(s(2.0), s(3.0)).unwrap().log_prob(&s(x[0])).unwrap().to_scalar().unwrap()
        + Gumbel::new(s(0.5), s(1.5)).unwrap().log_prob(&s(x[1])).unwrap().to_scalar().unwrap();
    let lp = warped.log_prob(&t64(&x, &[2])).unwrap().to_scalar().unwrap();
    assert!((lp - expect).abs() < 1e-10, "warped copula: {lp} vs {expect}");
    // Samples of the warped copula lie in the marginals' supports: (0, 1) × ℝ.
    let draws = warped.sample(&[200], probrs::random::Seed::new(3)).unwrap().to_vec().unwrap();
    assert!(draws.chunks(2).all(|d| d[0] > 0.0 && d[0] < 1.0 && d[1].is_finite()));
    // Inputs whose last axis is not the blocks' total are shape errors.
    let b = Blockwise::new(vec![Exp::new().into_arc(), Exp::new().into_arc()], None).unwrap();
    assert!(matches!(b.forward(&t64(&[1.0, 2.0, 3.0], &[3])), Err(probrs::Error::ShapeMismatch { .. })));
}

/// `RationalQuadraticSpline` equals TFP's `tfb.RationalQuadraticSpline` (0.26-dev) — forward
/// and log-det — at points in every bin and in both identity tails; float64.
#[test]
fn rational_quadratic_spline_equals_tfp() {
    let t = |v: &[f64]| Tensor::vector(v, DType::F64).unwrap();
    let b = RationalQuadraticSpline::new(t(&[0.5, 1.5, 1.0]), t(&[1.2, 0.3, 1.5]), t(&[0.7, 2.0]), -1.5).unwrap();
    let x = t(&[-2.0, -1.2, -0.4, 0.3, 0.9, 1.4, 2.0]);
    let tfp_y = [-2.0, -0.7000000000000001, -0.22021276595744688, -0.15114503816793898, 0.7200000000000001, 1.3950000000000002, 2.0];
    let tfp_ldj = [0.0, 1.1893740049047832, -3.052305020249098, -1.245527104676702, 0.4700036292457357, 0.09531017980432499, 0.0];
    assert_close(&b.forward(&x).unwrap().to_vec().unwrap(), &tfp_y, 1e-12, 1e-12, "spline forward vs TFP");
    assert_close(&b.forward_log_det_jacobian(&x, 0).unwrap().to_vec().unwrap(), &tfp_ldj, 1e-10, 1e-10, "spline ldj vs TFP");
    assert_close(&b.inverse(&t(&tfp_y)).unwrap().to_vec().unwrap(), &x.to_vec().unwrap(), 1e-10, 1e-10, "spline inverse");
    // Parameters of the wrong size name the bijector and the shapes.
    let err = RationalQuadraticSpline::new(t(&[1.0, 1.0]), t(&[1.0, 1.0, 0.0]), t(&[1.0]), -1.0).unwrap_err();
    assert!(err.to_string().contains("rational_quadratic_spline"), "{err}");
}

/// MADE (`AutoregressiveNetwork`): TFP's degrees and connectivity, and the autoregressive
/// property by autodiff — output `d` has a zero gradient in every input not before `d` in the
/// order, and a nonzero one in some input before it (relu hidden layers, random weights).
#[test]
fn made_is_autoregressive_with_tfps_degrees() {
    use probrs::random::Seed;
    // TFP's _create_degrees(3, [5, 4], "left-to-right", "equal") and (4, [6], "right-to-left").
    let made = AutoregressiveNetwork::new(2, 3, &[5, 4], DType::F64, Seed::new(0)).unwrap();
    assert_eq!(made.degrees(), &[vec![1, 2, 3], vec![1, 1, 1, 2, 2], vec![1, 1, 2, 2]]);
    let r2l = AutoregressiveNetwork::with_order(2, 4, &[6], InputOrder::RightToLeft, DType::F64, Seed::new(0)).unwrap();
    assert_eq!(r2l.degrees(), &[vec![4, 3, 2, 1], vec![1, 1, 2, 2, 3, 3]]);
    // TFP's random input order and hidden degrees, and a conditional network (the context
    // enters every layer unmasked): still autoregressive in x.
    let random = AutoregressiveNetwork::with_degrees(2, 4, &[16, 16], InputOrder::Random(Seed::new(7)), HiddenDegrees::Random(Seed::new(8)), DType::F64, Seed::new(3)).unwrap().with_activation(Tensor::tanh);
    let random_order = random.degrees()[0].clone();
    let conditional = AutoregressiveNetwork::new(2, 4, &[16], DType::F64, Seed::new(4)).unwrap().with_activation(Tensor::tanh).with_conditional(2, ConditionalInputLayers::AllLayers, Seed::new(5)).unwrap();
    let context = t64(&[0.4, -1.2], &[2]);
    for (made, order, ctx) in [
        (AutoregressiveNetwork::new(2, 4, &[16, 16], DType::F64, Seed::new(1)).unwrap().with_activation(Tensor::relu), vec![1, 2, 3, 4], None),
        (AutoregressiveNetwork::with_order(1, 4, &[12], InputOrder::Degrees(vec![3, 1, 4, 2]), DType::F64, Seed::new(2)).unwrap().with_activation(Tensor::tanh), vec![3, 1, 4, 2], None),
        (random, random_order, None),
        (conditional, vec![1, 2, 3, 4], Some(&context)),
    ] {
        let call = |x: &Tensor| match ctx {
            Some(c) => made.call_conditional(x, c),
            None => made.call(x),
        };
        let params = call(&t64(&[0.1, 0.2, 0.3, 0.4], &[4])).unwrap().shape()[1];
        let x = Variable::new(&t64(&[0.3, -0.7, 1.1, 0.5], &[4]), "x").unwrap();
        // Perturb the biases so no unit sits exactly at a relu kink or at zero.
        for v in made.trainable_variables().iter().filter(|v| v.name().ends_with("bias")) {
            let n = v.shape()[0];
            v.assign(&Tensor::from_slice(&(0..n).map(|i| 0.05 + 0.01 * i as f64).collect::<Vec<_>>(), &[n], DType::F64).unwrap()).unwrap();
        }
        let out = call(&x.value()).unwrap();
        for d in 0..4 {
            for p in 0..params {
                let unit = out.narrow(0, d, 1).unwrap().narrow(1, p, 1).unwrap().sum_all().unwrap();
                let g = unit.grad(&[&x.value()]).unwrap()[0].clone().map(|g| g.to_vec().unwrap()).unwrap_or(vec![0.0; 4]);
                for j in 0..4 {
                    if order[j] >= order[d] {
                        assert_eq!(g[j], 0.0, "output {d} param {p} depends on input {j}");
                    }
                }
                if order[d] > 1 {
                    assert!((0..4).any(|j| order[j] < order[d] && g[j] != 0.0), "output {d} param {p} depends on nothing before it");
                }
            }
        }
    }
    assert!(made.call(&t64(&[1.0, 2.0], &[2])).is_err());
    // TFP's 'random' draws stay within [min degree below, D − 1].
    let r = AutoregressiveNetwork::with_degrees(1, 5, &[40, 40], InputOrder::LeftToRight, HiddenDegrees::Random(Seed::new(1)), DType::F64, Seed::new(0)).unwrap();
    assert!(r.degrees()[1].iter().all(|&m| (1..=4).contains(&m)));
    let min1 = *r.degrees()[1].iter().min().unwrap();
    assert!(r.degrees()[2].iter().all(|&m| (min1..=4).contains(&m)));
}
