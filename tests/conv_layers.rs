//! Keras's convolutions and pooling, and TFP's variational convolutions, against a direct
//! (loop-over-every-tap) convolution written here:
//! - `Conv1D/2D/3D` with strides, dilation and both paddings equal the direct sum;
//! - `MaxPooling1D/2D/3D` equal the direct window maxima (padding never wins);
//! - the variational convolutions with a point-mass posterior are the convolution by `loc`,
//!   and with a fixed scale their outputs have the posterior's mean and variance over seeds;
//! - their KL loss is the closed form; gradients equal central finite differences;
//! - bad input names the layer and the shapes.
//!
//! The statistical check uses fixed seeds, 4,000 draws and 5-standard-error bounds
//! (false-failure rate below 1e-5 per assertion).

mod common;

use probrs::layers::{
    default_mean_field_normal_fn, Activation, Conv, Conv1D, Conv2D, Conv3D, Convolution1DFlipout, Convolution2DFlipout, Convolution2DReparameterization, Convolution3DFlipout, Convolution3DReparameterization, ConvolutionReparameterization, Flatten, Layer, MaxPooling, MaxPooling2D, MeanFieldNormalFn, Padding,
    Reshape, Sequential,
};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use std::sync::Arc;

const F: DType = DType::F64;

/// Row-major multi-indices of `dims`.
fn indices(dims: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for &d in dims {
        out = out.into_iter().flat_map(|p| (0..d).map(move |i| [p.clone(), vec![i]].concat())).collect();
    }
    out
}

fn flat(ix: &[usize], dims: &[usize]) -> usize {
    ix.iter().zip(dims).fold(0, |acc, (i, d)| acc * d + i)
}

/// The window geometry of one axis: (outputs, pad before).
fn axis(s: usize, k: usize, t: usize, d: usize, same: bool) -> (usize, usize) {
    let span = (k - 1) * d + 1;
    if same {
        let o = s.div_ceil(t);
        (o, ((o - 1) * t + span).saturating_sub(s) / 2)
    } else {
        ((s - span) / t + 1, 0)
    }
}

/// `reduce` over each window's in-range taps: the direct convolution (sum of x·w) or maximum.
#[allow(clippy::too_many_arguments)]
fn direct(x: &[f64], xs: &[usize], kernel: &[usize], strides: &[usize], dil: &[usize], same: bool, filters: usize, mut tap: impl FnMut(&mut f64, f64, &[usize], usize, usize), init: f64) -> (Vec<f64>, Vec<usize>) {
    let r = kernel.len();
    let (b, c) = (xs[0], xs[r + 1]);
    let geo: Vec<(usize, usize)> = (0..r).map(|i| axis(xs[i + 1], kernel[i], strides[i], dil[i], same)).collect();
    let outs: Vec<usize> = geo.iter().map(|g| g.0).collect();
    let mut out_shape = vec![b];
    out_shape.extend(&outs);
    out_shape.push(filters);
    let mut y = vec![init; out_shape.iter().product()];
    for bi in 0..b {
        for o in indices(&outs) {
            for f in 0..filters {
                let yi = flat(&[vec![bi], o.clone(), vec![f]].concat(), &out_shape);
                for k in indices(kernel) {
                    let pos: Vec<isize> = (0..r).map(|i| (o[i] * strides[i] + k[i] * dil[i]) as isize - geo[i].1 as isize).collect();
                    if pos.iter().zip(&xs[1..=r]).any(|(p, s)| *p < 0 || *p >= *s as isize) {
                        continue;
                    }
                    let pos: Vec<usize> = pos.iter().map(|p| *p as usize).collect();
                    for ci in 0..c {
                        let xv = x[flat(&[vec![bi], pos.clone(), vec![ci]].concat(), xs)];
                        tap(&mut y[yi], xv, &k, ci, f);
                    }
                }
            }
        }
    }
    (y, out_shape)
}

fn conv_direct(x: &Tensor, w: &Tensor, bias: &[f64], strides: &[usize], dil: &[usize], same: bool) -> (Vec<f64>, Vec<usize>) {
    let ws = w.shape().to_vec();
    let r = ws.len() - 2;
    let (c, filters) = (ws[r], ws[r + 1]);
    let wv = w.to_vec().unwrap();
    let (mut y, shape) = direct(&x.to_vec().unwrap(), x.shape(), &ws[..r], strides, dil, same, filters, |acc, xv, k, ci, f| *acc += xv * wv[flat(&[k.to_vec(), vec![ci, f]].concat(), &[&ws[..r], &[c, filters][..]].concat())], 0.0);
    for (i, v) in y.iter_mut().enumerate() {
        *v += bias[i % filters];
    }
    (y, shape)
}

fn ramp(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_slice(&(0..n).map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0).collect::<Vec<_>>(), shape, F).unwrap()
}

fn check<const R: usize>(layer: Conv<R>, xs: &[usize], strides: [usize; R], dil: [usize; R], same: bool) {
    let layer = layer.with_dtype(F).with_strides(strides).with_dilation_rate(dil).with_padding(if same { Padding::Same } else { Padding::Valid }).with_seed(3);
    let x = ramp(xs);
    let y = layer.call(&x, Seed::new(0)).unwrap();
    let vars = layer.trainable_variables();
    vars[1].assign(&ramp(vars[1].shape()).mul_scalar(0.1).unwrap()).unwrap();
    let y2 = layer.call(&x, Seed::new(0)).unwrap();
    let (want, shape) = conv_direct(&x, &vars[0].value(), &vars[1].numpy().to_vec().unwrap(), &strides, &dil, same);
    assert_eq!(y.shape(), &shape[..]);
    for (a, b) in y2.to_vec().unwrap().iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{xs:?} {strides:?} {dil:?} same={same}: {a} vs {b}");
    }
}

#[test]
fn convolutions_are_the_direct_sum() {
    for same in [false, true] {
        check(Conv1D::new(3, [3]).unwrap(), &[2, 9, 2], [1], [1], same);
        check(Conv1D::new(2, [4]).unwrap(), &[1, 10, 3], [3], [1], same);
        check(Conv1D::new(2, [3]).unwrap(), &[2, 11, 1], [1], [2], same);
        check(Conv2D::new(4, [5, 5]).unwrap(), &[2, 8, 8, 1], [1, 1], [1, 1], same);
        check(Conv2D::new(3, [3, 2]).unwrap(), &[2, 7, 6, 2], [2, 1], [1, 2], same);
        check(Conv3D::new(2, [2, 3, 2]).unwrap(), &[1, 4, 5, 4, 2], [1, 2, 1], [1, 1, 2], same);
    }
    // Glorot-uniform: |w| ≤ √(6 / (K·in + K·filters)).
    let l = Conv2D::new(4, [5, 5]).unwrap().with_dtype(F);
    l.call(&ramp(&[1, 8, 8, 2]), Seed::new(0)).unwrap();
    let bound = (6.0f64 / (25.0 * 6.0)).sqrt();
    let k = l.trainable_variables()[0].numpy().to_vec().unwrap();
    assert!(k.iter().all(|w| w.abs() <= bound) && k.iter().any(|w| w.abs() > 0.8 * bound));
}

fn pool_check<const R: usize>(pool: MaxPooling<R>, size: [usize; R], strides: [usize; R], xs: &[usize], same: bool) {
    let pool = pool.with_strides(strides).with_padding(if same { Padding::Same } else { Padding::Valid });
    // Negative values, so a zero pad would win where −∞ must not.
    let x = ramp(xs).affine(1.0, -5.0).unwrap();
    let y = pool.call(&x, Seed::new(0)).unwrap();
    let c = xs[R + 1];
    let (want, shape) = direct(&x.to_vec().unwrap(), xs, &size, &strides, &[1; R], same, c, |acc, xv, _, ci, f| if ci == f { *acc = acc.max(xv) }, f64::NEG_INFINITY);
    assert_eq!(y.shape(), &shape[..]);
    assert_eq!(y.to_vec().unwrap(), want, "{xs:?} {strides:?} same={same}");
}

#[test]
fn max_pooling_is_the_window_maximum() {
    for same in [false, true] {
        pool_check(MaxPooling::<1>::new([2]).unwrap(), [2], [2], &[2, 7, 3], same);
        pool_check(MaxPooling::<2>::new([2, 2]).unwrap(), [2, 2], [2, 2], &[2, 5, 7, 2], same);
        pool_check(MaxPooling::<2>::new([3, 2]).unwrap(), [3, 2], [1, 2], &[1, 6, 5, 1], same);
        pool_check(MaxPooling::<3>::new([2, 2, 2]).unwrap(), [2, 2, 2], [2, 2, 2], &[1, 3, 4, 5, 2], same);
    }
}

/// The variational convolutions of rank R with kernel posterior `f`, as layers.
fn variational(f: MeanFieldNormalFn) -> Vec<(Box<dyn Layer>, Vec<usize>)> {
    vec![
        (Box::new(Convolution1DFlipout::new(2, [3]).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f).with_padding(Padding::Same)), vec![2, 6, 2]),
        (Box::new(ConvolutionReparameterization::<1>::new(2, [3]).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f).with_strides([2])), vec![2, 7, 2]),
        (Box::new(Convolution2DFlipout::new(3, [3, 3]).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f).with_padding(Padding::Same)), vec![2, 4, 4, 2]),
        (Box::new(Convolution2DReparameterization::new(3, [2, 3]).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f).with_dilation_rate([2, 1])), vec![2, 5, 4, 1]),
        (Box::new(Convolution3DFlipout::new(2, [2, 2, 2]).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f)), vec![1, 3, 3, 3, 2]),
        (Box::new(Convolution3DReparameterization::new(2, [2, 2, 2]).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f).with_padding(Padding::Same)), vec![2, 3, 3, 2, 1]),
    ]
}

/// The geometry of the `i`th layer of `variational` (strides, dilation, same).
fn geometry(i: usize) -> (Vec<usize>, Vec<usize>, bool) {
    match i {
        0 => (vec![1], vec![1], true),
        1 => (vec![2], vec![1], false),
        2 => (vec![1, 1], vec![1, 1], true),
        3 => (vec![1, 1], vec![2, 1], false),
        4 => (vec![1, 1, 1], vec![1, 1, 1], false),
        _ => (vec![1, 1, 1], vec![1, 1, 1], true),
    }
}

#[test]
fn a_point_mass_posterior_is_the_convolution_by_loc() {
    let f = MeanFieldNormalFn { untransformed_scale_mean: -40.0, untransformed_scale_stddev: 0.0, ..default_mean_field_normal_fn(false) };
    for (i, (l, xs)) in variational(f).into_iter().enumerate() {
        let x = ramp(&xs);
        let y = l.call(&x, Seed::new(4)).unwrap();
        let v = l.trainable_variables();
        let (strides, dil, same) = geometry(i);
        let (want, shape) = conv_direct(&x, &v[0].value(), &v[2].numpy().to_vec().unwrap(), &strides, &dil, same);
        assert_eq!(y.shape(), &shape[..], "{}", l.name());
        for (a, b) in y.to_vec().unwrap().iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{}: {a} vs {b}", l.name());
        }
    }
}

#[test]
fn outputs_have_the_posteriors_mean_and_variance() {
    let f = MeanFieldNormalFn { untransformed_scale_mean: 0.2, untransformed_scale_stddev: 0.3, ..default_mean_field_normal_fn(false) };
    let n = 4000;
    for (i, (l, xs)) in variational(f).into_iter().enumerate().filter(|(i, _)| [0, 3].contains(i)) {
        let x = ramp(&xs);
        l.call(&x, Seed::new(0)).unwrap();
        let v = l.trainable_variables();
        let scale = v[1].value().softplus().unwrap();
        let (strides, dil, same) = geometry(i);
        let bias = v[2].numpy().to_vec().unwrap();
        let (mean, _) = conv_direct(&x, &v[0].value(), &bias, &strides, &dil, same);
        // Var = Σ_taps x² scale²: the direct convolution of x² by scale².
        let (var, _) = conv_direct(&x.square().unwrap(), &scale.square().unwrap(), &vec![0.0; bias.len()], &strides, &dil, same);
        let mut sum = vec![0.0; mean.len()];
        let mut sq = vec![0.0; mean.len()];
        for s in 0..n {
            for (k, y) in l.call(&x, Seed::new(100 + s)).unwrap().to_vec().unwrap().into_iter().enumerate() {
                sum[k] += y;
                sq[k] += y * y;
            }
        }
        for k in 0..mean.len() {
            let m = sum[k] / n as f64;
            let v = (sq[k] - n as f64 * m * m) / (n - 1) as f64;
            assert!((m - mean[k]).abs() < 5.0 * (var[k] / n as f64).sqrt() + 1e-12, "{} [{k}]: mean {m} vs {}", l.name(), mean[k]);
            assert!((v - var[k]).abs() < 5.0 * var[k] * (2.0 / n as f64).sqrt() + 1e-12, "{} [{k}]: variance {v} vs {}", l.name(), var[k]);
        }
    }
}

#[test]
fn the_kl_loss_is_the_closed_form_and_gradients_are_finite_differences() {
    let f = MeanFieldNormalFn { untransformed_scale_mean: -1.0, ..default_mean_field_normal_fn(false) };
    let mut all = variational(f);
    all.push((Box::new(Sequential::new(vec![Arc::new(Conv2D::new(2, [3, 3]).unwrap().with_dtype(F).with_padding(Padding::Same).with_activation(Activation::Tanh)), Arc::new(MaxPooling2D::new([2, 2]).unwrap().with_padding(Padding::Same)), Arc::new(Flatten)])), vec![2, 5, 5, 1]));
    for (l, xs) in all {
        let x = ramp(&xs);
        l.call(&x, Seed::new(0)).unwrap();
        if let Some(kl) = l.losses().unwrap().first() {
            let v = l.trainable_variables();
            let (loc, rho) = (v[0].numpy().to_vec().unwrap(), v[1].numpy().to_vec().unwrap());
            let want: f64 = loc.iter().zip(&rho).map(|(m, r)| {
                let s = f64::EPSILON + r.exp().ln_1p();
                -s.ln() + 0.5 * (s * s + m * m) - 0.5
            }).sum();
            assert!((kl.to_scalar().unwrap() - want).abs() < 1e-10 * want, "{}", l.name());
        }
        let weights = ramp(l.call(&x, Seed::new(0)).unwrap().shape());
        let loss = || -> probrs::Result<Tensor> {
            let mut total = l.call(&x, Seed::new(9))?.mul(&weights)?.sum_all()?;
            for k in l.losses()? {
                total = total.add(&k)?;
            }
            Ok(total)
        };
        let vars = l.trainable_variables();
        common::check_variable_grads(l.name(), loss, &vars, 1e-6, 1e-6);
    }
}

#[test]
fn the_pages_model_scaled_to_digits_has_its_shapes_and_one_kl_per_layer() {
    // Reshape([8, 8, 1]) → Convolution2DFlipout(64, 5, same, relu) → MaxPooling2D(2, 2, same) →
    // Reshape([4·4·64]) → DenseFlipout(10).
    let model = Sequential::new(vec![
        Arc::new(Reshape::new(&[8, 8, 1])),
        Arc::new(Convolution2DFlipout::new(64, [5, 5]).unwrap().with_padding(Padding::Same).with_activation(Activation::Relu)),
        Arc::new(MaxPooling2D::new([2, 2]).unwrap().with_strides([2, 2]).with_padding(Padding::Same)),
        Arc::new(Reshape::new(&[4 * 4 * 64])),
        Arc::new(probrs::layers::DenseFlipout::new(10).unwrap()),
    ]);
    let logits = model.call(&Tensor::ones(&[3, 64], DType::F32).unwrap(), Seed::new(0)).unwrap();
    assert_eq!(logits.shape(), &[3, 10]);
    assert_eq!(model.losses().unwrap().len(), 2);
    assert_eq!(model.trainable_variables().iter().map(|v| v.shape().iter().product::<usize>()).sum::<usize>(), 2 * 25 * 64 + 64 + 2 * 1024 * 10 + 10);
}

#[test]
fn bad_input_names_the_layer_and_the_shapes() {
    let c = Conv2D::new(2, [3, 3]).unwrap();
    let e = c.call(&Tensor::ones(&[2, 8, 8], F).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("[2, 8, 8]"), "{e}");
    c.call(&Tensor::ones(&[2, 8, 8, 1], F).unwrap(), Seed::new(0)).unwrap();
    let e = c.call(&Tensor::ones(&[2, 8, 8, 3], F).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("channels") && e.contains('3') && e.contains('1'), "{e}");
    let e = Conv2D::new(2, [3, 3]).unwrap().call(&Tensor::ones(&[2, 2, 8, 1], F).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("shorter than the window"), "{e}");
    let e = Conv1D::new(2, [3]).unwrap().with_strides([0]).call(&Tensor::ones(&[1, 8, 1], F).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("strides"), "{e}");
    let f = Convolution2DFlipout::new(2, [3, 3]).unwrap().with_name("cf");
    let e = f.call(&Tensor::ones(&[2, 64], F).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("`cf`") && e.contains("[2, 64]"), "{e}");
    let e = Reshape::new(&[7, 7]).call(&Tensor::ones(&[2, 64], F).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("reshape") && e.contains("64"), "{e}");
    assert!(Reshape::new(&[-1, -1]).call(&Tensor::ones(&[2, 64], F).unwrap(), Seed::new(0)).is_err());
    assert!(MaxPooling2D::new([2, 2]).unwrap().call(&Tensor::ones(&[2, 64], F).unwrap(), Seed::new(0)).is_err());
}
