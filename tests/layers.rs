//! The neural building blocks and TFP's variational dense layers against hand computations:
//! - with the posterior scale driven to ~0, each variational layer is the dense map
//!   `inputs · loc + bias`;
//! - with a fixed scale, the outputs' mean and variance over seeds are the posterior's
//!   (`inputs · loc + b`, `Σᵢ xᵢ² scaleᵢⱼ²`) for all three estimators;
//! - the KL loss equals the closed form `Σ −log σ + (σ² + μ²)/2 − 1/2`;
//! - gradients of a loss through each layer (outputs and KL) equal central finite differences;
//! - a layer reused in a `Sequential` is one set of weights and one KL term.
//!
//! Statistical checks use fixed seeds and 4,000 draws with bounds of 5 standard errors
//! (false-failure rate below 1e-5 per assertion).

mod common;

use probrs::layers::{default_mean_field_normal_fn, Activation, Dense, DenseFlipout, DenseLocalReparameterization, DenseReparameterization, Layer, MeanFieldNormalFn, Sequential};
use probrs::random::Seed;
use probrs::tensor::{DType, Tensor};
use std::sync::Arc;

const F: DType = DType::F64;

fn inputs() -> Tensor {
    Tensor::from_slice(&[0.5, -1.0, 2.0, 1.5, 0.0, -0.3], &[2, 3], F).unwrap()
}

fn layers(f: MeanFieldNormalFn) -> Vec<Box<dyn Layer>> {
    vec![
        Box::new(DenseReparameterization::new(2).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f)),
        Box::new(DenseLocalReparameterization::new(2).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f)),
        Box::new(DenseFlipout::new(2).unwrap().with_dtype(F).with_seed(1).with_kernel_posterior_fn(f)),
    ]
}

/// (kernel loc [3×2], kernel scale, bias loc) of a built layer.
fn posterior(l: &dyn Layer) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let v = l.trainable_variables();
    let eps = f64::EPSILON;
    let scale = v[1].numpy().to_vec().unwrap().iter().map(|r| eps + (1.0 + r.exp()).ln()).collect();
    (v[0].numpy().to_vec().unwrap(), scale, v[2].numpy().to_vec().unwrap())
}

#[test]
fn a_point_mass_posterior_is_the_dense_map() {
    let f = MeanFieldNormalFn { untransformed_scale_mean: -40.0, untransformed_scale_stddev: 0.0, ..default_mean_field_normal_fn(false) };
    let x = inputs().to_vec().unwrap();
    for l in layers(f) {
        let y = l.call(&inputs(), Seed::new(3)).unwrap().to_vec().unwrap();
        let (loc, _, b) = posterior(l.as_ref());
        for r in 0..2 {
            for u in 0..2 {
                let want: f64 = (0..3).map(|i| x[r * 3 + i] * loc[i * 2 + u]).sum::<f64>() + b[u];
                assert!((y[r * 2 + u] - want).abs() < 1e-12, "{}: {} vs {want}", l.name(), y[r * 2 + u]);
            }
        }
    }
}

#[test]
fn outputs_have_the_posteriors_mean_and_variance() {
    let f = MeanFieldNormalFn { untransformed_scale_mean: 0.2, untransformed_scale_stddev: 0.3, ..default_mean_field_normal_fn(false) };
    let x = inputs().to_vec().unwrap();
    let n = 4000;
    for l in layers(f) {
        l.call(&inputs(), Seed::new(0)).unwrap();
        let (loc, scale, b) = posterior(l.as_ref());
        let mut draws = vec![vec![]; 4];
        for s in 0..n {
            let y = l.call(&inputs(), Seed::new(100 + s)).unwrap().to_vec().unwrap();
            for (k, v) in y.into_iter().enumerate() {
                draws[k].push(v);
            }
        }
        for r in 0..2 {
            for u in 0..2 {
                let mean: f64 = (0..3).map(|i| x[r * 3 + i] * loc[i * 2 + u]).sum::<f64>() + b[u];
                let var: f64 = (0..3).map(|i| x[r * 3 + i].powi(2) * scale[i * 2 + u].powi(2)).sum();
                let d = &draws[r * 2 + u];
                let m = d.iter().sum::<f64>() / n as f64;
                let v = d.iter().map(|y| (y - m).powi(2)).sum::<f64>() / (n - 1) as f64;
                assert!((m - mean).abs() < 5.0 * (var / n as f64).sqrt(), "{} [{r},{u}]: mean {m} vs {mean}", l.name());
                // The sample variance's sd is about var·√(2/n).
                assert!((v - var).abs() < 5.0 * var * (2.0 / n as f64).sqrt(), "{} [{r},{u}]: variance {v} vs {var}", l.name());
            }
        }
    }
}

#[test]
fn the_kl_loss_is_the_closed_form() {
    for l in layers(default_mean_field_normal_fn(false)) {
        l.call(&inputs(), Seed::new(0)).unwrap();
        let (loc, scale, _) = posterior(l.as_ref());
        let want: f64 = loc.iter().zip(&scale).map(|(m, s)| -s.ln() + 0.5 * (s * s + m * m) - 0.5).sum();
        let got = l.losses().unwrap()[0].to_scalar().unwrap();
        assert!((got - want).abs() < 1e-10 * want.abs(), "{}: {got} vs {want}", l.name());
    }
}

#[test]
fn gradients_equal_finite_differences() {
    let f = MeanFieldNormalFn { untransformed_scale_mean: -1.0, ..default_mean_field_normal_fn(false) };
    let weights = Tensor::from_slice(&[0.3, -0.7, 1.1, 0.4], &[2, 2], F).unwrap();
    let mut all: Vec<Box<dyn Layer>> = layers(f);
    all.push(Box::new(Dense::new(2).unwrap().with_dtype(F).with_seed(2).with_activation(Activation::Tanh)));
    for l in all {
        let loss = || -> probrs::Result<Tensor> {
            let y = l.call(&inputs(), Seed::new(9))?;
            let mut total = y.mul(&weights)?.sum_all()?;
            for k in l.losses()? {
                total = total.add(&k)?;
            }
            Ok(total)
        };
        loss().unwrap();
        let vars = l.trainable_variables();
        common::check_variable_grads(l.name(), loss, &vars, 1e-6, 1e-6);
    }
}

#[test]
fn a_reused_layer_is_one_set_of_weights_and_bad_input_is_named() {
    let dense1 = Arc::new(DenseFlipout::new(10).unwrap().with_seed(1));
    let dense2 = Arc::new(DenseFlipout::new(10).unwrap().with_seed(2).with_name("dense_flipout_1"));
    let model = Sequential::new(vec![dense1.clone(), dense2.clone(), dense2.clone()]);
    let y = model.call(&Tensor::ones(&[4, 64], DType::F32).unwrap(), Seed::new(0)).unwrap();
    assert_eq!(y.shape(), &[4, 10]);
    let names: Vec<String> = model.trainable_variables().iter().map(|v| v.name().to_string()).collect();
    assert_eq!(names.len(), 6);
    assert!(names.contains(&"dense_flipout_1/kernel_posterior_loc".to_string()), "{names:?}");
    let kl: f64 = model.losses().unwrap().iter().map(|k| k.to_scalar().unwrap()).sum();
    let want = dense1.losses().unwrap()[0].to_scalar().unwrap() + dense2.losses().unwrap()[0].to_scalar().unwrap();
    assert!((kl - want).abs() < 1e-3);
    // 64 features into a layer built for 10: the layer and both shapes are named.
    let e = dense2.call(&Tensor::ones(&[4, 64], DType::F32).unwrap(), Seed::new(0)).unwrap_err().to_string();
    assert!(e.contains("dense_flipout_1") && e.contains("64") && e.contains("10"), "{e}");
    assert!(DenseFlipout::new(0).is_err());
}

/// The seed page's `MNISTModel` (two `DenseFlipout(10)`, the second applied twice) trained by
/// `fit_classifier` on the embedded digits (80/20 split, fixed seeds): the predictive mean of
/// 20 passes classifies the held-out digits (a linear model reaches about 0.95; this run 0.96).
#[test]
fn the_pages_mnist_model_learns_the_digits() {
    use probrs::layers::{accuracy, digits, fit_classifier, ClassifierFitOptions};
    use probrs::optim::Adam;
    let d = digits().unwrap();
    let n = d.labels.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    {
        use rand::seq::SliceRandom;
        order.shuffle(&mut Seed::new(0).rng());
    }
    let (train, test) = order.split_at(n * 4 / 5);
    let pick = |rows: &[u32]| (d.images.index_select(0, rows).unwrap(), rows.iter().map(|i| d.labels[*i as usize]).collect::<Vec<_>>());
    let ((x_train, y_train), (x_test, y_test)) = (pick(train), pick(test));
    let dense1 = Arc::new(DenseFlipout::new(10).unwrap().with_seed(1));
    let dense2 = Arc::new(DenseFlipout::new(10).unwrap().with_seed(2));
    let model = Sequential::new(vec![dense1, dense2.clone(), dense2]);
    let h = fit_classifier(&model, &x_train, &y_train, &mut Adam::new(0.01), &ClassifierFitOptions { epochs: 100, batch_size: 32, validation_split: 0.1, seed: 3, ..Default::default() }).unwrap();
    assert_eq!((h.loss.len(), h.val_accuracy.len()), (100, 100));
    assert!(h.loss[99] < 0.5 * h.loss[0], "{} → {}", h.loss[0], h.loss[99]);
    let mut probs = Activation::Softmax.apply(&model.call(&x_test, Seed::new(1000)).unwrap()).unwrap();
    for s in 1..20 {
        probs = probs.add(&Activation::Softmax.apply(&model.call(&x_test, Seed::new(1000 + s)).unwrap()).unwrap()).unwrap();
    }
    let acc = accuracy(&probs, &y_test).unwrap();
    assert!(acc > 0.9, "test accuracy {acc}");
    assert!(*h.val_accuracy.last().unwrap() > 0.85, "{:?}", h.val_accuracy.last());
}

#[test]
fn training_stops_on_bad_input_with_the_variables_kept() {
    use probrs::layers::{fit_classifier, ClassifierFitOptions};
    use probrs::optim::Adam;
    let model = Dense::new(3).unwrap().with_seed(1);
    let x = Tensor::from_slice(&[0.0, 1.0, 1.0, 0.0, 0.5, 0.5], &[3, 2], DType::F32).unwrap();
    let o = ClassifierFitOptions { epochs: 2, batch_size: 1, ..Default::default() };
    // Labels outside the classes, the wrong number of labels, an empty data set.
    assert!(fit_classifier(&model, &x, &[0, 1, 3], &mut Adam::new(0.1), &o).unwrap_err().to_string().contains("outside the 3 classes"));
    assert!(fit_classifier(&model, &x, &[0, 1], &mut Adam::new(0.1), &o).is_err());
    assert!(fit_classifier(&model, &Tensor::zeros(&[0, 2], DType::F32).unwrap(), &[], &mut Adam::new(0.1), &o).is_err());
    // A NaN input in the third row: the error names the epoch and batch, and no update with a
    // NaN was applied (the variables are finite and as the last good step left them).
    let x = Tensor::from_slice(&[0.0, 1.0, 1.0, 0.0, f32::NAN as f64, 0.5], &[3, 2], DType::F32).unwrap();
    let o = ClassifierFitOptions { epochs: 1, batch_size: 3, ..Default::default() };
    let model = Dense::new(3).unwrap().with_seed(1);
    model.call(&x, Seed::new(0)).unwrap();
    let before: Vec<Vec<f64>> = model.trainable_variables().iter().map(|v| v.numpy().to_vec().unwrap()).collect();
    let e = fit_classifier(&model, &x, &[0, 1, 2], &mut Adam::new(0.1), &o).unwrap_err().to_string();
    assert!(e.contains("epoch 0, batch 0"), "{e}");
    let after: Vec<Vec<f64>> = model.trainable_variables().iter().map(|v| v.numpy().to_vec().unwrap()).collect();
    assert_eq!(before, after);
}

/// Each independent distribution layer's log-density at given params is the hand formula (TFP's
/// `new`: halves split on the last axis, scale = softplus), summed over the event; params of the
/// wrong width are an error naming the layer.
#[test]
fn distribution_layers_are_their_formulas() {
    use probrs::distributions::Distribution;
    use probrs::layers::{DistributionLayer, IndependentBernoulli, IndependentLogistic, IndependentNormal, IndependentPoisson};
    let softplus = |x: f64| (1.0 + x.exp()).ln();
    let params = [0.3, -1.2, 0.5, -0.4, 1.0, 0.2, -0.7, 2.0];
    let y = [0.1, -0.9, 1.5, 0.4];
    let check = |layer: &dyn DistributionLayer<Output = probrs::distributions::Independent>, yv: &[f64], f: &dyn Fn(&[f64], f64, usize) -> f64| {
        let d = layer.distribution(&Tensor::from_slice(&params[..2 * layer.params_size()], &[2, layer.params_size()], F).unwrap()).unwrap();
        let lp = d.log_prob(&Tensor::from_slice(yv, &[2, 2], F).unwrap()).unwrap().to_vec().unwrap();
        for r in 0..2 {
            let w = &params[r * layer.params_size()..(r + 1) * layer.params_size()];
            let want: f64 = (0..2).map(|e| f(w, yv[r * 2 + e], e)).sum();
            assert!((lp[r] - want).abs() < 1e-12, "row {r}: {} vs {want}", lp[r]);
        }
    };
    check(&IndependentNormal::new(&[2]), &y, &|w, y, e| {
        let s = softplus(w[2 + e]);
        -0.5 * ((y - w[e]) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
    });
    check(&IndependentLogistic::new(&[2]), &y, &|w, y, e| {
        let s = softplus(w[2 + e]);
        let z = (y - w[e]) / s;
        -z - 2.0 * (1.0 + (-z).exp()).ln() - s.ln()
    });
    check(&IndependentBernoulli::new(&[2]), &[1.0, 0.0, 0.0, 1.0], &|w, y, e| y * w[e] - softplus(w[e]));
    check(&IndependentPoisson::new(&[2]), &[2.0, 0.0, 1.0, 3.0], &|w, y, e| y * w[e] - w[e].exp() - (1..=y as u64).map(|k| (k as f64).ln()).sum::<f64>());
    let e = IndependentNormal::new(&[2]).distribution(&Tensor::zeros(&[2, 3], F).unwrap()).unwrap_err().to_string();
    assert!(e.contains("IndependentNormal") && e.contains('3') && e.contains('4'), "{e}");
}

#[test]
fn predictive_uncertainty_is_the_summary_of_the_passes() {
    use probrs::layers::predict_with_uncertainty;
    let model = DenseFlipout::new(3).unwrap().with_dtype(F).with_seed(4).with_kernel_posterior_fn(MeanFieldNormalFn { untransformed_scale_mean: 0.5, ..default_mean_field_normal_fn(false) });
    let x = inputs();
    let seed = Seed::new(8);
    let s_count = 7;
    let u = predict_with_uncertainty(&model, &x, s_count, seed).unwrap();
    // By hand from the same passes.
    let passes: Vec<Vec<f64>> = (0..s_count).map(|s| Activation::Softmax.apply(&model.call(&x, seed.fold_in(s as u64)).unwrap()).unwrap().to_vec().unwrap()).collect();
    let (mean, sd, h, eh) = (u.mean.to_vec().unwrap(), u.sd.to_vec().unwrap(), u.entropy.to_vec().unwrap(), u.expected_entropy.to_vec().unwrap());
    for r in 0..2 {
        let mut e_h = 0.0;
        for p in &passes {
            e_h -= (0..3).map(|k| p[r * 3 + k] * p[r * 3 + k].ln()).sum::<f64>() / s_count as f64;
        }
        let mut h_mean = 0.0;
        for k in 0..3 {
            let m: f64 = passes.iter().map(|p| p[r * 3 + k]).sum::<f64>() / s_count as f64;
            let v: f64 = passes.iter().map(|p| (p[r * 3 + k] - m).powi(2)).sum::<f64>() / s_count as f64;
            assert!((mean[r * 3 + k] - m).abs() < 1e-12 && (sd[r * 3 + k] - v.sqrt()).abs() < 1e-9);
            h_mean -= m * m.ln();
        }
        assert!((h[r] - h_mean).abs() < 1e-12 && (eh[r] - e_h).abs() < 1e-12);
        // Noisy weights: the passes disagree, so the mutual information is positive.
        assert!(u.mutual_information.to_vec().unwrap()[r] > 1e-4);
    }
    assert!(predict_with_uncertainty(&model, &x, 0, seed).is_err());
}

#[test]
fn calibration_bins_are_the_hand_computation() {
    use probrs::layers::{expected_calibration_error, reliability};
    // Confidences 0.95 (right), 0.92 (wrong), 0.55 (right), 0.6 (right), 0.35 of 3 classes (wrong).
    let probs = Tensor::from_slice(&[0.95, 0.05, 0.0, 0.08, 0.92, 0.0, 0.45, 0.55, 0.0, 0.6, 0.3, 0.1, 0.35, 0.33, 0.32], &[5, 3], F).unwrap();
    let labels = [0, 0, 1, 0, 2];
    let r = reliability(5, &probs, &labels).unwrap();
    let filled: Vec<(usize, usize, f64, f64)> = r.bins.iter().enumerate().filter(|(_, b)| b.count > 0).map(|(i, b)| (i, b.count, b.confidence, b.accuracy)).collect();
    // Bins of width 0.2: [0.2, 0.4) holds 0.35; [0.4, 0.6) holds 0.55; [0.6, 0.8) holds 0.6; [0.8, 1] holds 0.95, 0.92.
    assert_eq!(filled.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(), vec![(1, 1), (2, 1), (3, 1), (4, 2)]);
    assert!((filled[3].2 - 0.935).abs() < 1e-12 && filled[3].3 == 0.5);
    let want = (0.35 + (1.0 - 0.55) + (1.0 - 0.6) + 2.0 * (0.935 - 0.5)) / 5.0;
    assert!((r.ece - want).abs() < 1e-12, "{} vs {want}", r.ece);
    assert!((r.accuracy - 0.6).abs() < 1e-12);
    let ece = expected_calibration_error(5, &probs.log().unwrap(), &labels).unwrap();
    assert!((ece - want).abs() < 1e-9);
    assert!(reliability(5, &probs.mul_scalar(2.0).unwrap(), &labels).unwrap_err().to_string().contains("row 0"));
}

#[test]
fn saved_weights_load_into_a_fresh_model_and_a_bad_file_changes_nothing() {
    use probrs::layers::{Convolution2DFlipout, Flatten, MaxPooling2D, Padding, Reshape};
    use probrs::save::{load_weights, save_weights};
    let make = |seed: u64| {
        let dense2 = Arc::new(DenseFlipout::new(10).unwrap().with_seed(seed + 2));
        Sequential::new(vec![
            Arc::new(Reshape::new(&[8, 8, 1])),
            Arc::new(Convolution2DFlipout::new(4, [3, 3]).unwrap().with_padding(Padding::Same).with_seed(seed)),
            Arc::new(MaxPooling2D::new([2, 2]).unwrap()),
            Arc::new(Flatten),
            Arc::new(DenseFlipout::new(10).unwrap().with_seed(seed + 1)),
            dense2.clone(),
            dense2,
        ])
    };
    let x = Tensor::ones(&[2, 64], DType::F32).unwrap();
    let (a, b) = (make(1), make(50));
    a.call(&x, Seed::new(0)).unwrap();
    b.call(&x, Seed::new(0)).unwrap();
    // Two DenseFlipout layers share the default name `dense_flipout`: keyed by position, they save apart.
    let dir = std::env::temp_dir();
    for ext in ["safetensors", "json"] {
        let path = dir.join(format!("probrs_test_weights.{ext}"));
        save_weights(&path, &a).unwrap();
        let c = make(99);
        c.call(&x, Seed::new(0)).unwrap();
        load_weights(&path, &c).unwrap();
        assert_eq!(a.call(&x, Seed::new(5)).unwrap().to_vec().unwrap(), c.call(&x, Seed::new(5)).unwrap().to_vec().unwrap());
    }
    // A truncated file: an error naming it, and the model keeps its values.
    let path = dir.join("probrs_test_weights.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    let bad = dir.join("probrs_test_weights_bad.safetensors");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let before = b.call(&x, Seed::new(5)).unwrap().to_vec().unwrap();
    let e = load_weights(&bad, &b).unwrap_err().to_string();
    assert!(e.contains("probrs_test_weights_bad"), "{e}");
    assert_eq!(b.call(&x, Seed::new(5)).unwrap().to_vec().unwrap(), before);
}

#[test]
fn without_bias_drops_the_bias_weights() {
    use probrs::layers::{posterior_mean_field, prior_trainable, Conv2D, DenseVariational};
    let x = Tensor::ones(&[2, 3], F).unwrap();
    let dense = Dense::new(4).unwrap().with_dtype(F).without_bias();
    dense.call(&x, Seed::new(0)).unwrap();
    assert_eq!(dense.trainable_variables().len(), 1);
    let conv = Conv2D::new(2, [1, 1]).unwrap().with_dtype(F).without_bias();
    conv.call(&Tensor::ones(&[1, 2, 2, 3], F).unwrap(), Seed::new(0)).unwrap();
    assert_eq!(conv.trainable_variables().len(), 1);
    let dv = DenseVariational::new(4, posterior_mean_field, prior_trainable).unwrap().with_dtype(F).without_bias();
    dv.call(&x, Seed::new(0)).unwrap();
    // 3 × 4 kernel weights only: the prior's mean has 12 entries.
    assert_eq!(dv.trainable_variables()[1].shape(), &[12]);
}
