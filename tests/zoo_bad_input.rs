//! Bad input for the zoo's families and bijectors: typed errors naming the argument and shapes.

use probrs::bijectors::{Bijector, FillTriangular, Pad};
use probrs::distributions::{Categorical, Independent, MixtureSameFamily, MultivariateNormalFullCovariance, MultivariateNormalTriL, Normal};
use probrs::tensor::{DType, Tensor};
use probrs::Error;

fn t(v: &[f64], s: &[usize]) -> Tensor {
    Tensor::from_slice(v, s, DType::F64).unwrap()
}

#[test]
fn scale_tril_must_be_lower_triangular_and_nonsingular() {
    match MultivariateNormalTriL::new(t(&[0.0, 0.0], &[2]), t(&[1.0, 0.5, 0.0, 1.0], &[2, 2])) {
        Err(Error::InvalidParameter { name, reason }) => {
            assert_eq!(name, "scale_tril");
            assert!(reason.contains("lower triangular") && reason.contains("[2, 2]"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    match MultivariateNormalTriL::new(t(&[0.0, 0.0], &[2]), t(&[1.0, 0.0, 0.3, 0.0], &[2, 2])) {
        Err(Error::InvalidParameter { name, reason }) => assert!(name == "scale_tril" && reason.contains("singular"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(MultivariateNormalTriL::new(t(&[0.0; 3], &[3]), t(&[1.0, 0.0, 0.0, 1.0], &[2, 2])), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(MultivariateNormalTriL::new(t(&[0.0; 2], &[2]), t(&[1.0, 0.0], &[2])), Err(Error::InvalidShape { .. })));
    match MultivariateNormalFullCovariance::new(t(&[0.0, 0.0], &[2]), t(&[1.0, 2.0, 2.0, 1.0], &[2, 2])) {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, "covariance_matrix"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn mixture_and_component_shapes_must_agree() {
    let comps = Normal::new(t(&[0.0; 3], &[3]), t(&[1.0; 3], &[3])).unwrap();
    match MixtureSameFamily::new(Categorical::from_logits(t(&[0.0; 2], &[2])).unwrap(), comps.clone()) {
        Err(Error::ShapeMismatch { context, lhs, rhs }) => {
            assert!(context.contains("mixture_distribution") && context.contains("components_distribution"), "{context}");
            assert_eq!((lhs, rhs), (vec![2], vec![3]));
        }
        other => panic!("{other:?}"),
    }
    let batched = Normal::new(t(&[0.0; 6], &[2, 3]), 1.0).unwrap();
    assert!(matches!(MixtureSameFamily::new(Categorical::from_logits(t(&[0.0; 12], &[4, 3])).unwrap(), batched), Err(Error::ShapeMismatch { .. })));
    let scalar = Normal::new(t(&[0.0], &[]), t(&[1.0], &[])).unwrap();
    assert!(matches!(MixtureSameFamily::new(Categorical::from_logits(t(&[0.0; 3], &[3])).unwrap(), scalar), Err(Error::InvalidShape { .. })));
    // Reparameterization needs components that factorize over the event.
    let tril = MultivariateNormalTriL::new(t(&[0.0; 6], &[3, 2]), t(&[1.0, 0.0, 0.0, 1.0], &[2, 2])).unwrap();
    let m = MixtureSameFamily::new(Categorical::from_logits(t(&[0.0; 3], &[3])).unwrap(), tril).unwrap();
    assert!(matches!(m.with_reparameterize(true), Err(Error::NotDefined { .. })));
}

#[test]
fn fill_triangular_needs_a_triangular_number() {
    match FillTriangular::new().forward(&t(&[1.0; 7], &[7])) {
        Err(Error::InvalidShape { what, shape, reason }) => {
            assert!(what.contains("fill_triangular"));
            assert_eq!(shape, vec![7]);
            assert!(reason.contains("triangular number"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(FillTriangular::new().forward_event_shape(&[8]).is_err());
    assert_eq!(FillTriangular::new().forward_event_shape(&[10]).unwrap(), vec![4, 4]);
}

#[test]
fn reinterpreted_batch_ndims_is_checked() {
    let n = Normal::new(t(&[0.0; 3], &[3]), 1.0).unwrap();
    for bad in [-1isize, 2] {
        match Independent::new(n.clone(), bad) {
            Err(Error::InvalidShape { what, shape, .. }) => {
                assert_eq!(what, "reinterpreted_batch_ndims");
                assert_eq!(shape, vec![3]);
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn pad_rejects_bad_arguments() {
    assert!(matches!(Pad::with_axes(vec![(1, 0)], vec![0]), Err(Error::InvalidParameter { .. })));
    assert!(matches!(Pad::with_axes(vec![(1, 0)], vec![-1, -2]), Err(Error::InvalidParameter { .. })));
    assert!(Pad::new(vec![(3, 0)]).unwrap().inverse(&t(&[1.0, 2.0], &[2])).is_err());
}

#[test]
fn categorical_probs_are_validated() {
    assert!(matches!(Categorical::from_probs(t(&[0.5, 0.6], &[2])), Err(Error::InvalidParameter { .. })));
    assert!(matches!(Categorical::from_probs(t(&[-0.1, 1.1], &[2])), Err(Error::InvalidParameter { .. })));
    assert!(matches!(Categorical::from_logits(t(&[], &[0])), Err(Error::InvalidShape { .. })));
}

/// Out-of-range axes, a zero-dimensional LKJ and the tensor engine's own errors are typed
/// errors with one-line messages (no panic; no backtrace in the message even with
/// `RUST_BACKTRACE` set, as the test runner often has it).
#[test]
fn degenerate_shapes_and_axes_are_errors_not_panics() {
    let v = t(&[1.0, 2.0], &[2]);
    assert!(matches!(v.pad(3, 1, 1, 0.0), Err(Error::InvalidShape { .. })));
    assert!(matches!(probrs::distributions::LKJ::new(0, 1.0), Err(Error::InvalidParameter { name, .. }) if name == "dimension"));
    assert!(matches!(probrs::distributions::CholeskyLKJ::new(0, 1.0), Err(Error::InvalidParameter { .. })));
    std::env::set_var("RUST_BACKTRACE", "1");
    // probrs's own gather names the index and the axis.
    let err = v.index_select(0, &[5]).unwrap_err();
    assert!(matches!(err, Error::InvalidShape { .. }) && err.to_string().contains("index 5") && err.to_string().lines().count() == 1, "{err}");
    for err in [v.narrow(0, 1, 5).unwrap_err(), v.transpose(0, 3).unwrap_err(), v.unsqueeze(5).unwrap_err()] {
        let msg = err.to_string();
        assert!(matches!(err, Error::Backend(_)), "{msg}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
    }
}

/// Matrix-only operations given a vector: typed errors, not panics.
#[test]
fn matrix_operations_on_vectors_are_errors() {
    use probrs::bijectors::CholeskyOuterProduct;
    let v = t(&[1.0, 2.0], &[2]);
    assert!(matches!(CholeskyOuterProduct::new().forward(&v), Err(Error::InvalidShape { .. })));
    assert!(matches!(v.band_lower(), Err(Error::InvalidShape { .. })));
    assert!(matches!(v.set_diag(&v), Err(Error::InvalidShape { .. })));
}
