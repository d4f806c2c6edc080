//! Keras's `model.fit` for classifiers: minibatch training over epochs with seeded shuffling,
//! a validation split, the expected negative log-likelihood plus the layers' KL terms, and
//! accuracy; early stopping by a convergence criterion on the validation loss; NaN-safe (a non-finite loss or gradient stops training, naming the epoch and step,
//! with the variables at their last good values).
//!
//! ```text
//! loss(batch) = mean_{(x, y) ∈ batch} −log softmax(model(x))_y  +  kl_weight · Σ model.losses
//! ```
//!
//! `kl_weight` defaults to `1 / num_train` (TFP's Bayesian-network examples divide the KL by the
//! number of training examples), so the loss is the negative ELBO per example.

use crate::error::{Error, Result};
use crate::optim::{ConvergenceCriterion, LossNotDecreasing, Optimizer};
use crate::params::Variable;
use crate::random::Seed;
use crate::tensor::Tensor;

use super::layer::Layer;

/// Settings of [`fit_classifier`] (Keras's `fit` arguments; `Default` is Keras's: 1 epoch,
/// batch 32, no validation split, shuffled, no early stopping).
///
/// ```
/// let o = probrs::layers::ClassifierFitOptions::default();
/// assert_eq!((o.epochs, o.batch_size, o.validation_split), (1, 32, 0.0));
/// ```
#[derive(Clone, Debug)]
pub struct ClassifierFitOptions {
    /// Passes over the training rows.
    pub epochs: usize,
    /// Rows per gradient step (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// The share of rows held out, taken from the end as Keras does (before shuffling).
    pub validation_split: f64,
    /// Seed of the shuffles and of the layers' noise.
    pub seed: u64,
    /// The KL terms' weight; `None` is `1 / num_train`.
    pub kl_weight: Option<f64>,
    /// Early stopping (Keras's `EarlyStopping` callback) by one of `minimize`'s convergence
    /// criteria, applied once per epoch to the validation loss (the mean training loss without
    /// a validation split): training stops after the epoch where it is met.
    pub early_stopping: Option<LossNotDecreasing>,
}

impl Default for ClassifierFitOptions {
    fn default() -> Self {
        ClassifierFitOptions { epochs: 1, batch_size: 32, validation_split: 0.0, seed: 0, kl_weight: None, early_stopping: None }
    }
}

/// Per-epoch metrics (Keras's `History.history`).
///
/// ```
/// let h = probrs::layers::History::default();
/// assert!(h.loss.is_empty() && h.val_accuracy.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Mean training loss over each epoch's batches.
    pub loss: Vec<f64>,
    /// Training accuracy over each epoch's batches (the stochastic passes made while training).
    pub accuracy: Vec<f64>,
    /// Validation loss (one stochastic pass), when there is a validation split.
    pub val_loss: Vec<f64>,
    /// Validation accuracy.
    pub val_accuracy: Vec<f64>,
    /// The epoch after which early stopping ended training, if it did.
    pub stopped_epoch: Option<usize>,
    /// Wall-clock seconds of each epoch's training steps (validation not included).
    pub epoch_seconds: Vec<f64>,
}

impl History {
    /// Seconds per epoch in steady state: [`steady_seconds_per_epoch`] of `epoch_seconds`.
    ///
    /// ```
    /// let h = probrs::layers::History { epoch_seconds: vec![0.9, 0.2, 0.1, 0.3], ..Default::default() };
    /// assert_eq!(h.seconds_per_epoch(), 0.2);
    /// ```
    pub fn seconds_per_epoch(&self) -> f64 {
        steady_seconds_per_epoch(&self.epoch_seconds)
    }
}

/// The median of the epochs' times after the first (the first alone when there is one; NaN for
/// none): the statistic the TF peers in `benches/peers/` report, which leave out their first
/// epoch's tracing and compilation. probrs's first epoch pays the allocator's first touches of
/// fresh memory instead.
///
/// ```
/// use probrs::layers::steady_seconds_per_epoch;
/// assert_eq!(steady_seconds_per_epoch(&[5.0, 1.0, 3.0, 2.0]), 2.0);
/// assert_eq!(steady_seconds_per_epoch(&[5.0, 1.0, 3.0]), 2.0);
/// assert_eq!(steady_seconds_per_epoch(&[5.0]), 5.0);
/// assert!(steady_seconds_per_epoch(&[]).is_nan());
/// ```
pub fn steady_seconds_per_epoch(epoch_seconds: &[f64]) -> f64 {
    let mut t = match epoch_seconds {
        [] => return f64::NAN,
        [only] => return *only,
        [_, rest @ ..] => rest.to_vec(),
    };
    t.sort_by(f64::total_cmp);
    let m = t.len() / 2;
    if t.len() % 2 == 1 {
        t[m]
    } else {
        0.5 * (t[m - 1] + t[m])
    }
}

/// `mean −log softmax(logits)_label` over the rows (Keras's sparse categorical cross-entropy
/// from logits); a label outside the classes is an error naming its row.
///
/// ```
/// use probrs::layers::sparse_categorical_crossentropy;
/// use probrs::tensor::{DType, Tensor};
/// let logits = Tensor::from_slice(&[0.0, 0.0, 2.0, 0.0], &[2, 2], DType::F64)?;
/// let l = sparse_categorical_crossentropy(&logits, &[1, 0])?.to_scalar()?;
/// let want = 0.5 * (2f64.ln() + (1.0 + (-2f64).exp()).ln());
/// assert!((l - want).abs() < 1e-12);
/// assert!(sparse_categorical_crossentropy(&logits, &[1, 2]).unwrap_err().to_string().contains("row 1"));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn sparse_categorical_crossentropy(logits: &Tensor, labels: &[u32]) -> Result<Tensor> {
    let (n, k) = match logits.shape() {
        [n, k] => (*n, *k),
        s => return Err(Error::InvalidShape { what: "logits".into(), shape: s.to_vec(), reason: "[rows, classes] expected".into() }),
    };
    if labels.len() != n {
        return Err(Error::ShapeMismatch { context: "sparse_categorical_crossentropy: labels vs logits' rows".into(), lhs: vec![labels.len()], rhs: vec![n] });
    }
    if let Some(r) = labels.iter().position(|l| *l as usize >= k) {
        return Err(Error::invalid_parameter("labels", format!("row {r}: label {} outside the {k} classes", labels[r])));
    }
    let flat: Vec<u32> = labels.iter().enumerate().map(|(r, l)| (r * k) as u32 + l).collect();
    let picked = logits.reshape(&[n * k])?.index_select(0, &flat)?;
    logits.logsumexp(1, false)?.sub(&picked)?.mean_all()
}

/// The share of rows whose largest logit is their label.
///
/// ```
/// use probrs::layers::accuracy;
/// use probrs::tensor::{DType, Tensor};
/// let logits = Tensor::from_slice(&[0.1, 0.9, 0.8, 0.2], &[2, 2], DType::F32)?;
/// assert_eq!(accuracy(&logits, &[1, 1])?, 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn accuracy(logits: &Tensor, labels: &[u32]) -> Result<f64> {
    let k = *logits.shape().last().unwrap_or(&1);
    let v = logits.to_vec()?;
    let hits = labels.iter().enumerate().filter(|(r, l)| argmax(&v[r * k..(r + 1) * k]) == **l as usize).count();
    Ok(hits as f64 / labels.len().max(1) as f64)
}

/// The index of a row's largest value (the first on ties; 0 for an empty or all-NaN row).
pub(super) fn argmax(row: &[f64]) -> usize {
    row.iter().enumerate().fold((0, f64::NEG_INFINITY), |(bi, bv), (i, v)| if *v > bv { (i, *v) } else { (bi, bv) }).0
}

/// Trains a classifier `model` (logits out) on `inputs` `[n, features]` and `labels` by
/// minibatches (module doc). Errors: an empty data set, labels that do not match the rows or
/// fall outside the classes, and a non-finite loss or gradient (the step's update is not
/// applied, so the variables keep their last good values).
///
/// ```
/// use probrs::layers::{fit_classifier, ClassifierFitOptions, Dense, Layer};
/// use probrs::optim::Adam;
/// use probrs::tensor::{DType, Tensor};
/// // Two separable classes.
/// let x = Tensor::from_slice(&[0.0, 1.0, 0.1, 0.9, 1.0, 0.0, 0.9, 0.2], &[4, 2], DType::F32)?;
/// let model = Dense::new(2)?.with_seed(1);
/// let h = fit_classifier(&model, &x, &[0, 0, 1, 1], &mut Adam::new(0.1), &ClassifierFitOptions { epochs: 60, batch_size: 2, ..Default::default() })?;
/// assert_eq!(h.loss.len(), 60);
/// assert_eq!(*h.accuracy.last().unwrap(), 1.0);
/// // With early stopping: once the loss falls by less than 1e-3 an epoch, training ends.
/// let model = Dense::new(2)?.with_seed(1);
/// let early = probrs::optim::LossNotDecreasing::new(Some(1e-3), None, 5, 10)?;
/// let o = ClassifierFitOptions { epochs: 1000, batch_size: 2, early_stopping: Some(early), ..Default::default() };
/// let h = fit_classifier(&model, &x, &[0, 0, 1, 1], &mut Adam::new(0.1), &o)?;
/// assert!(h.stopped_epoch.is_some() && h.loss.len() < 1000);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_classifier(model: &dyn Layer, inputs: &Tensor, labels: &[u32], optimizer: &mut dyn Optimizer, o: &ClassifierFitOptions) -> Result<History> {
    fit_classifier_with_progress(model, inputs, labels, optimizer, o, None)
}

/// [`fit_classifier`] reporting after every batch to `progress` (Keras's `verbose=1`): the
/// step out of `epochs × batches`, the epoch's running loss, and the metrics `epoch` and
/// `accuracy` (the epoch's running training accuracy). Pass a
/// [`ProgressBar`](crate::progress::ProgressBar)'s callback for a terminal bar.
///
/// ```
/// use probrs::layers::{fit_classifier_with_progress, ClassifierFitOptions, Dense};
/// use probrs::optim::Adam;
/// use probrs::progress::Progress;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::{Arc, Mutex};
/// let x = Tensor::from_slice(&[0.0, 1.0, 0.1, 0.9, 1.0, 0.0, 0.9, 0.2], &[4, 2], DType::F32)?;
/// let seen = Arc::new(Mutex::new(vec![]));
/// let log = seen.clone();
/// let report = Box::new(move |p: &Progress| log.lock().unwrap().push(p.clone()));
/// let o = ClassifierFitOptions { epochs: 3, batch_size: 2, ..Default::default() };
/// fit_classifier_with_progress(&Dense::new(2)?, &x, &[0, 0, 1, 1], &mut Adam::new(0.1), &o, Some(report))?;
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen.len(), 6); // 3 epochs × 2 batches
/// assert_eq!((seen[5].step, seen[5].num_steps), (6, 6));
/// assert_eq!(seen[5].metrics[0], ("epoch", 3.0));
/// assert_eq!(seen[5].metrics[1].0, "accuracy");
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn fit_classifier_with_progress(model: &dyn Layer, inputs: &Tensor, labels: &[u32], optimizer: &mut dyn Optimizer, o: &ClassifierFitOptions, mut progress: Option<crate::progress::ProgressFn>) -> Result<History> {
    let started = std::time::Instant::now();
    let n = *inputs.shape().first().unwrap_or(&0);
    if n == 0 || inputs.rank() < 2 {
        return Err(Error::InvalidShape { what: "fit_classifier inputs".into(), shape: inputs.shape().to_vec(), reason: "needs at least one row of [rows, features]".into() });
    }
    if labels.len() != n {
        return Err(Error::ShapeMismatch { context: "fit_classifier: labels vs input rows".into(), lhs: vec![labels.len()], rhs: vec![n] });
    }
    if o.batch_size == 0 || !(0.0..1.0).contains(&o.validation_split) {
        return Err(Error::invalid_parameter("options", format!("batch_size {} must be positive and validation_split {} in [0, 1)", o.batch_size, o.validation_split)));
    }
    let n_val = (n as f64 * o.validation_split).floor() as usize;
    let n_train = n - n_val;
    if n_train == 0 {
        return Err(Error::invalid_parameter("validation_split", "no training rows left"));
    }
    let kl_weight = o.kl_weight.unwrap_or(1.0 / n_train as f64);
    let seed = Seed::new(o.seed);
    let loss_of = |x: &Tensor, y: &[u32], s: Seed| -> Result<(Tensor, Tensor)> {
        let logits = model.call(x, s)?;
        let mut loss = sparse_categorical_crossentropy(&logits, y)?;
        for kl in model.losses()? {
            loss = loss.add(&kl.to_dtype(loss.dtype())?.mul_scalar(kl_weight)?)?;
        }
        Ok((loss, logits))
    };
    let mut history = History::default();
    let mut stopper = o.early_stopping.clone();
    let mut step = 0usize;
    for epoch in 0..o.epochs {
        let epoch_started = std::time::Instant::now();
        let (mut loss_sum, mut hits, mut batches) = (0.0, 0.0, 0usize);
        for (b, rows) in shuffled_batches(n_train, o.batch_size, seed.fold_in(epoch as u64)).iter().enumerate() {
            let x = inputs.index_select(0, rows)?;
            let y: Vec<u32> = rows.iter().map(|r| labels[*r as usize]).collect();
            let noise = seed.fold_in(1 << 32).fold_in(step as u64);
            let mut logits = None;
            if step == 0 {
                // The variables exist after the first call (Keras builds a layer on its first input).
                model.call(&x, noise)?;
            }
            let vars = model.trainable_variables();
            let v = train_step(
                || {
                    let (l, lg) = loss_of(&x, &y, noise)?;
                    logits = Some(lg);
                    Ok(l)
                },
                &vars,
                optimizer,
                (epoch, b, step),
            )?;
            loss_sum += v;
            hits += accuracy(logits.as_ref().expect("set by the loss"), &y)? * y.len() as f64;
            batches += 1;
            step += 1;
            if let Some(report) = progress.as_mut() {
                let seen = (batches * o.batch_size).min(n_train) as f64;
                let metrics = vec![("epoch", (epoch + 1) as f64), ("accuracy", hits / seen)];
                report(&crate::progress::Progress { step, num_steps: o.epochs * n_train.div_ceil(o.batch_size), loss: Some(loss_sum / batches as f64), elapsed: started.elapsed(), metrics });
            }
        }
        history.epoch_seconds.push(epoch_started.elapsed().as_secs_f64());
        history.loss.push(loss_sum / batches as f64);
        history.accuracy.push(hits / n_train as f64);
        if n_val > 0 {
            let rows: Vec<u32> = (n_train as u32..n as u32).collect();
            let x = inputs.index_select(0, &rows)?;
            let y: Vec<u32> = rows.iter().map(|r| labels[*r as usize]).collect();
            let (l, lg) = loss_of(&x, &y, seed.fold_in(2 << 32).fold_in(epoch as u64))?;
            history.val_loss.push(l.to_scalar()?);
            history.val_accuracy.push(accuracy(&lg, &y)?);
        }
        if let Some(c) = stopper.as_mut() {
            let monitored = *history.val_loss.last().or(history.loss.last()).expect("one epoch ran");
            if epoch == 0 {
                c.bootstrap(monitored, &[], &[])?;
            } else if c.one_step(epoch, monitored, &[], &[])? && epoch >= c.min_num_steps() {
                history.stopped_epoch = Some(epoch);
                break;
            }
        }
    }
    Ok(history)
}

/// The rows `0..num_rows` shuffled with `seed` (Fisher–Yates) and cut into batches of
/// `batch_size` (the last may be smaller): one epoch's minibatches.
///
/// ```
/// let b = probrs::layers::shuffled_batches(10, 4, probrs::random::Seed::new(1));
/// assert_eq!(b.iter().map(|b| b.len()).collect::<Vec<_>>(), vec![4, 4, 2]);
/// let mut all: Vec<u32> = b.concat();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<u32>>());
/// ```
pub fn shuffled_batches(num_rows: usize, batch_size: usize, seed: Seed) -> Vec<Vec<u32>> {
    use rand::Rng;
    let mut v: Vec<u32> = (0..num_rows as u32).collect();
    let mut rng = seed.rng();
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
    v.chunks(batch_size.max(1)).map(|c| c.to_vec()).collect()
}

/// One optimizer step on `loss()` over `variables`, NaN-safe: a non-finite loss or gradient
/// is an error naming `(epoch, batch, step)`, and the update is not applied, so the variables
/// keep their last good values. Returns the loss.
///
/// ```
/// use probrs::layers::train_step;
/// use probrs::optim::Sgd;
/// use probrs::params::Variable;
/// use probrs::tensor::{DType, Tensor};
/// let x = Variable::new(&Tensor::scalar(1.0, DType::F64)?, "x")?;
/// let l = train_step(|| x.value().square(), &[x.clone()], &mut Sgd::new(0.25), (0, 0, 0))?;
/// assert_eq!((l, x.numpy().to_scalar()?), (1.0, 0.5)); // x − 0.25 · 2x
/// let e = train_step(|| x.value().log()?.mul_scalar(f64::NAN), &[x.clone()], &mut Sgd::new(0.25), (3, 7, 99)).unwrap_err();
/// assert!(e.to_string().contains("epoch 3, batch 7") && x.numpy().to_scalar()? == 0.5);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn train_step(loss: impl FnOnce() -> Result<Tensor>, variables: &[Variable], optimizer: &mut dyn Optimizer, (epoch, batch, step): (usize, usize, usize)) -> Result<f64> {
    let (value, grads) = crate::math::value_and_gradient(loss, variables)?;
    let v = value.to_scalar()?;
    let bad = !v.is_finite() || grads.iter().any(|g| g.to_vec().map_or(true, |g| g.iter().any(|x| !x.is_finite())));
    if bad {
        return Err(Error::NonFinite { what: format!("training loss or gradient at epoch {epoch}, batch {batch} (the variables keep their last good values)"), step, variable: None });
    }
    optimizer.apply_gradients(&grads.into_iter().zip(variables.iter().cloned()).collect::<Vec<_>>())?;
    Ok(v)
}
