//! Progress of long runs: [`minimize`](crate::optim::minimize) and
//! [`fit_surrogate_posterior`](crate::vi::fit_surrogate_posterior) call a [`ProgressFn`] after
//! every step with a [`Progress`] (step, loss, elapsed time), so an embedding program can show
//! its own; [`ProgressBar`] (feature `progress`, on by default) is a terminal bar on standard
//! error for it, drawn only when standard error is a terminal.
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
//! use probrs::params::MakeTrainable;
//! use probrs::progress::Progress;
//! use probrs::tensor::{DType, Tensor};
//! use std::sync::{Arc, Mutex};
//!
//! let x = Tensor::vector(&[4.57, 6.37, 5.93, 7.98, 2.03], DType::F32)?;
//! let model: Normal = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build()?;
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! let options = MinimizeOptions {
//!     progress: Some(Box::new(move |p: &Progress| log.lock().unwrap().push((p.step, p.loss)))),
//!     ..Default::default()
//! };
//! let r = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 50, &mut Adam::new(0.1), options, trace_loss)?;
//! let seen = seen.lock().unwrap();
//! assert_eq!(seen.len(), 50);
//! assert_eq!(seen[49], (50, Some(r.trace[49])));
//! # Ok::<(), probrs::Error>(())
//! ```

use std::time::Duration;

/// One report: after step `step` (1-based) of `num_steps`.
///
/// ```
/// use probrs::distributions::Normal;
/// use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
/// use probrs::params::MakeTrainable;
/// use probrs::progress::Progress;
/// use probrs::tensor::{DType, Tensor};
/// use std::sync::{Arc, Mutex};
/// let x = Tensor::vector(&[1.0, 2.0, 3.0], DType::F32)?;
/// let model: Normal = MakeTrainable::new().seed(1).build()?;
/// let last = Arc::new(Mutex::new(None::<Progress>));
/// let l = last.clone();
/// let options = MinimizeOptions { progress: Some(Box::new(move |p: &Progress| *l.lock().unwrap() = Some(p.clone()))), ..Default::default() };
/// use probrs::distributions::Distribution;
/// let run = minimize(|| model.log_prob(&x)?.sum_all()?.neg(), 30, &mut Adam::new(0.1), options, trace_loss)?;
/// let p = last.lock().unwrap().clone().unwrap();
/// assert_eq!((p.step, p.num_steps), (30, 30));
/// assert_eq!(p.loss, Some(run.trace[29]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Steps done so far (1 after the first).
    pub step: usize,
    /// Steps the run will take at most (it may stop early on convergence).
    pub num_steps: usize,
    /// The step's loss, when the run has one.
    pub loss: Option<f64>,
    /// Time since the run started.
    pub elapsed: Duration,
    /// Other running metrics by name (Keras's `accuracy`), empty for most runs.
    pub metrics: Vec<(&'static str, f64)>,
}

impl Progress {
    /// Steps per second so far (0 before any time has passed).
    ///
    /// ```
    /// use probrs::progress::Progress;
    /// let p = Progress { step: 50, num_steps: 100, loss: None, elapsed: std::time::Duration::from_millis(250), metrics: vec![] };
    /// assert_eq!(p.steps_per_second(), 200.0);
    /// ```
    pub fn steps_per_second(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.step as f64 / s
        } else {
            0.0
        }
    }
}

/// The callback a run calls after every step.
///
/// ```
/// use probrs::progress::{Progress, ProgressFn};
/// use std::time::Duration;
/// // Print every 100th step.
/// let mut report: ProgressFn = Box::new(|p: &Progress| {
///     if p.step % 100 == 0 {
///         println!("step {}/{} loss {:?} ({:.0} steps/s)", p.step, p.num_steps, p.loss, p.steps_per_second());
///     }
/// });
/// report(&Progress { step: 100, num_steps: 1000, loss: Some(0.5), elapsed: Duration::from_secs(1), metrics: vec![] });
/// # Ok::<(), probrs::Error>(())
/// ```
pub type ProgressFn = Box<dyn FnMut(&Progress)>;

/// A progress bar on standard error showing the step, the loss and the steps per second; hidden
/// (nothing drawn) when standard error is not a terminal, or when made with
/// [`ProgressBar::hidden`] (a `--quiet` flag).
///
/// ```
/// use probrs::progress::{Progress, ProgressBar};
/// let bar = ProgressBar::new(100, "fit");
/// let mut report = bar.callback();
/// report(&Progress { step: 1, num_steps: 100, loss: Some(3.5), elapsed: Default::default(), metrics: vec![] });
/// bar.finish();
/// // Under `cargo test` standard error is captured, not a terminal: nothing was drawn.
/// assert!(bar.is_hidden());
/// ```
#[cfg(feature = "progress")]
#[derive(Clone)]
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
}

#[cfg(feature = "progress")]
impl ProgressBar {
    /// A bar for a run of `num_steps` steps, labelled `label`.
    ///
    /// ```
    /// use probrs::progress::ProgressBar;
    /// // Under `cargo test` stderr is not a terminal, so the bar hides itself.
    /// let bar = ProgressBar::new(100, "fit");
    /// assert!(bar.is_hidden());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(num_steps: usize, label: &str) -> Self {
        let bar = indicatif::ProgressBar::new(num_steps as u64);
        let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] step {pos}/{len}  {msg}  {steps_per_second} steps/s  eta {eta}")
            .expect("a valid template")
            .with_key("steps_per_second", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}", s.per_sec());
            })
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        ProgressBar { bar }
    }

    /// A bar that never draws.
    ///
    /// ```
    /// use probrs::progress::ProgressBar;
    /// assert!(ProgressBar::hidden().is_hidden());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn hidden() -> Self {
        ProgressBar { bar: indicatif::ProgressBar::hidden() }
    }

    /// Whether nothing is drawn (not a terminal, or [`ProgressBar::hidden`]).
    ///
    /// ```
    /// use probrs::progress::ProgressBar;
    /// let quiet = true;
    /// let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(10, "fit") };
    /// assert!(bar.is_hidden());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Shows one report.
    ///
    /// ```
    /// use probrs::progress::{Progress, ProgressBar};
    /// use std::time::Duration;
    /// let bar = ProgressBar::hidden();
    /// bar.update(&Progress { step: 5, num_steps: 10, loss: Some(1.25), elapsed: Duration::from_millis(10), metrics: vec![] });
    /// bar.finish();
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn update(&self, p: &Progress) {
        if self.bar.length() != Some(p.num_steps as u64) {
            self.bar.set_length(p.num_steps as u64);
        }
        self.bar.set_position(p.step as u64);
        if let Some(l) = p.loss {
            let metrics: String = p.metrics.iter().map(|(k, v)| format!("  {k} {v:.4}")).collect();
            self.bar.set_message(format!("loss {l:.6}{metrics}"));
        }
    }

    /// The callback that updates this bar, for `MinimizeOptions::progress` or
    /// `FitOptions::progress`.
    ///
    /// ```
    /// use probrs::tensor::{DType, Tensor};
    /// use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
    /// use probrs::params::Variable;
    /// use probrs::progress::ProgressBar;
    /// let x = Variable::new(&Tensor::scalar(0.0, DType::F64)?, "x")?;
    /// let bar = ProgressBar::new(100, "minimize");
    /// let options = MinimizeOptions { progress: Some(bar.callback()), ..Default::default() };
    /// minimize(|| x.value().add_scalar(-1.0)?.square(), 100, &mut Adam::new(0.1), options, trace_loss)?;
    /// bar.finish();
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn callback(&self) -> ProgressFn {
        let bar = self.clone();
        Box::new(move |p| bar.update(p))
    }

    /// Removes the bar from the terminal (the run's output follows on a clean line).
    ///
    /// ```
    /// use probrs::progress::ProgressBar;
    /// let bar = ProgressBar::new(3, "work");
    /// bar.finish(); // safe on a hidden bar too
    /// assert!(bar.is_hidden());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One progress bar per MCMC chain, stacked on standard error (indicatif's `MultiProgress`),
/// each showing its chain's iteration (warm-up and draws) and iterations per second; hidden
/// when standard error is not a terminal.
///
/// ```
/// use probrs::progress::{ChainProgressBars, Progress};
/// let bars = ChainProgressBars::new(4, 2000, "chain");
/// bars.update(2, &Progress { step: 10, num_steps: 2000, loss: None, elapsed: Default::default(), metrics: vec![] });
/// bars.finish();
/// assert!(bars.is_hidden()); // not a terminal under `cargo test`
/// ```
#[cfg(feature = "progress")]
#[derive(Clone)]
pub struct ChainProgressBars {
    bars: Vec<indicatif::ProgressBar>,
    hidden: bool,
}

#[cfg(feature = "progress")]
impl ChainProgressBars {
    /// `chains` bars of `num_steps` steps each, labelled `label 0`, `label 1`, ...
    ///
    /// ```
    /// use probrs::progress::ChainProgressBars;
    /// assert!(ChainProgressBars::new(2, 100, "chain").is_hidden());
    /// ```
    pub fn new(chains: usize, num_steps: usize, label: &str) -> Self {
        let multi = indicatif::MultiProgress::new();
        let hidden = multi.is_hidden();
        let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len}  {msg}  {per_sec}  eta {eta}").expect("a valid template").progress_chars("=> ");
        let bars = (0..chains)
            .map(|c| {
                let b = multi.add(indicatif::ProgressBar::new(num_steps as u64));
                b.set_style(style.clone());
                b.set_prefix(format!("{label} {c}"));
                b
            })
            .collect();
        ChainProgressBars { bars, hidden }
    }

    /// A set of bars that never draws.
    ///
    /// ```
    /// use probrs::progress::ChainProgressBars;
    /// assert!(ChainProgressBars::hidden(4).is_hidden());
    /// ```
    pub fn hidden(chains: usize) -> Self {
        ChainProgressBars { bars: (0..chains).map(|_| indicatif::ProgressBar::hidden()).collect(), hidden: true }
    }

    /// Whether nothing is drawn.
    ///
    /// ```
    /// use probrs::progress::ChainProgressBars;
    /// assert!(ChainProgressBars::hidden(1).is_hidden());
    /// ```
    pub fn is_hidden(&self) -> bool {
        self.hidden
    }

    /// Shows chain `chain`'s report (the message says whether it is still warming up).
    ///
    /// ```
    /// use probrs::progress::{ChainProgressBars, Progress};
    /// let bars = ChainProgressBars::hidden(2);
    /// bars.update(1, &Progress { step: 5, num_steps: 10, loss: None, elapsed: Default::default(), metrics: vec![] });
    /// bars.update(7, &Progress { step: 5, num_steps: 10, loss: None, elapsed: Default::default(), metrics: vec![] }); // no such chain: ignored
    /// ```
    pub fn update(&self, chain: usize, p: &Progress) {
        if let Some(b) = self.bars.get(chain) {
            b.set_position(p.step as u64);
        }
    }

    /// Sets chain `chain`'s message (e.g. "warm-up" or "sampling").
    ///
    /// ```
    /// use probrs::progress::ChainProgressBars;
    /// ChainProgressBars::hidden(1).set_message(0, "sampling");
    /// ```
    pub fn set_message(&self, chain: usize, message: &str) {
        if let Some(b) = self.bars.get(chain) {
            b.set_message(message.to_string());
        }
    }

    /// Removes the bars from the terminal.
    ///
    /// ```
    /// use probrs::progress::ChainProgressBars;
    /// ChainProgressBars::hidden(3).finish();
    /// ```
    pub fn finish(&self) {
        for b in &self.bars {
            b.finish_and_clear();
        }
    }
}
