//! Stan's warm-up for NUTS: step-size dual averaging throughout, and the metric (mass matrix)
//! estimated in windows.
//!
//! The warm-up is split into a fast initial buffer (default 75 iterations: step size only), a
//! series of slow windows that double in length (25, 50, 100, ...; the last one stretched to
//! the terminal buffer) at whose end the metric is re-estimated from that window's draws, and
//! a fast terminal buffer (50) where only the step size adapts again. After each metric update
//! the step size is searched afresh and dual averaging restarts with `μ = log(10 ε)`.
//! - With fewer than 20 warm-up iterations no metric is estimated.
//! - When 75 + 25 + 50 do not fit, the stages shrink to 15% / 75% / 10% of the warm-up.
//!
//! The variance (or covariance) estimate of `n` draws is regularized toward `10⁻³·I` as Stan
//! does: `(n / (n + 5)) Σ̂ + 10⁻³ (5 / (n + 5)) I`.
//!
//! Dual averaging (Stan's `stepsize_adaptation`, Hoffman & Gelman 2014): with `t` counting
//! from 1, `s̄ ← (1 − 1/(t + t₀)) s̄ + (δ − min(1, α_t)) / (t + t₀)`,
//! `log ε = μ − √t s̄ / γ`, `log ε̄ ← t^{−κ} log ε + (1 − t^{−κ}) log ε̄`; after warm-up `ε = ε̄`.

use super::metric::Metric;
use crate::error::{Error, Result};

/// Stan's adaptation windows for `num_warmup` iterations: the metric is re-estimated at the
/// end of each returned `(start, end)` window (end exclusive), and a note explains a fallback.
///
/// ```
/// use probrs::mcmc::adaptation_windows;
/// // Stan's defaults over 1000 warm-up iterations.
/// let (windows, note) = adaptation_windows(1000, 75, 50, 25);
/// assert_eq!(windows, vec![(75, 100), (100, 150), (150, 250), (250, 450), (450, 950)]);
/// assert!(note.is_none());
/// // Too short for 75 + 25 + 50: 15% / 75% / 10%.
/// let (windows, note) = adaptation_windows(100, 75, 50, 25);
/// assert_eq!(windows, vec![(15, 90)]);
/// assert!(note.unwrap().contains("15%"));
/// assert!(adaptation_windows(19, 75, 50, 25).0.is_empty());
/// ```
pub fn adaptation_windows(num_warmup: usize, init_buffer: usize, term_buffer: usize, base_window: usize) -> (Vec<(usize, usize)>, Option<String>) {
    let mut w = WindowedAdaptation::new(num_warmup, init_buffer, term_buffer, base_window);
    let mut windows = vec![];
    let mut start = None;
    for i in 0..num_warmup {
        if w.in_window() && start.is_none() {
            start = Some(i);
        }
        if w.step() {
            windows.push((start.take().unwrap_or(i), i + 1));
        }
    }
    (windows, w.note)
}

/// Stan's `windowed_adaptation` counters.
#[derive(Clone, Debug)]
pub(crate) struct WindowedAdaptation {
    num_warmup: usize,
    init_buffer: usize,
    term_buffer: usize,
    window_size: usize,
    next_window: usize,
    counter: usize,
    enabled: bool,
    /// Why the schedule differs from the one asked for, if it does.
    pub note: Option<String>,
}

impl WindowedAdaptation {
    pub(crate) fn new(num_warmup: usize, init_buffer: usize, term_buffer: usize, base_window: usize) -> Self {
        let mut w = WindowedAdaptation { num_warmup, init_buffer, term_buffer, window_size: base_window, next_window: 0, counter: 0, enabled: true, note: None };
        if num_warmup < 20 {
            w.enabled = false;
            w.note = Some(format!("no metric is estimated for num_warmup < 20 ({num_warmup}); only the step size adapts"));
            return w;
        }
        if init_buffer + base_window + term_buffer > num_warmup {
            w.init_buffer = (0.15 * num_warmup as f64) as usize;
            w.term_buffer = (0.1 * num_warmup as f64) as usize;
            w.window_size = num_warmup - (w.init_buffer + w.term_buffer);
            w.note = Some(format!(
                "{num_warmup} warm-up iterations do not fit the three stages ({init_buffer} + {base_window} + {term_buffer}); reduced to 15%/75%/10%: init_buffer {}, window {}, term_buffer {}",
                w.init_buffer, w.window_size, w.term_buffer
            ));
        }
        w.next_window = w.init_buffer + w.window_size - 1;
        w
    }

    /// Whether the current iteration's draw belongs to a slow window.
    pub(crate) fn in_window(&self) -> bool {
        self.enabled && self.counter >= self.init_buffer && self.counter < self.num_warmup - self.term_buffer && self.counter != self.num_warmup
    }

    fn end_of_window(&self) -> bool {
        self.enabled && self.counter == self.next_window && self.counter != self.num_warmup
    }

    fn compute_next_window(&mut self) {
        let last = self.num_warmup - self.term_buffer - 1;
        if self.next_window == last {
            return;
        }
        self.window_size *= 2;
        self.next_window = self.counter + self.window_size;
        if self.next_window != last && self.next_window + 2 * self.window_size >= self.num_warmup - self.term_buffer {
            self.next_window = last;
        }
    }

    /// Advances one iteration; `true` when a window ends here (the metric is to be updated).
    pub(crate) fn step(&mut self) -> bool {
        let end = self.end_of_window();
        if end {
            self.compute_next_window();
        }
        self.counter += 1;
        end
    }
}

/// Welford's running mean and (co)variance of the draws of one window.
#[derive(Clone, Debug)]
pub(crate) struct MetricEstimator {
    dense: bool,
    n: usize,
    mean: Vec<f64>,
    /// Σ (x − mean)² per coordinate, or the full d × d sum of outer products.
    m2: Vec<f64>,
}

impl MetricEstimator {
    pub(crate) fn new(dim: usize, dense: bool) -> Self {
        MetricEstimator { dense, n: 0, mean: vec![0.0; dim], m2: vec![0.0; if dense { dim * dim } else { dim }] }
    }

    pub(crate) fn add(&mut self, q: &[f64]) {
        self.n += 1;
        let d = q.len();
        let delta: Vec<f64> = q.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        self.mean.iter_mut().zip(&delta).for_each(|(m, dl)| *m += dl / self.n as f64);
        let delta2: Vec<f64> = q.iter().zip(&self.mean).map(|(x, m)| x - m).collect();
        if self.dense {
            for i in 0..d {
                for j in 0..d {
                    self.m2[i * d + j] += delta[i] * delta2[j];
                }
            }
        } else {
            self.m2.iter_mut().zip(delta.iter().zip(&delta2)).for_each(|(m, (a, b))| *m += a * b);
        }
    }

    /// The regularized estimate as a metric; the estimator restarts.
    pub(crate) fn metric(&mut self) -> Result<Metric> {
        let n = self.n as f64;
        let d = self.mean.len();
        if self.n < 2 {
            return Err(Error::invalid_parameter("adaptation window", format!("{} draws; a variance needs 2", self.n)));
        }
        let shrink = n / (n + 5.0);
        let ridge = 1e-3 * 5.0 / (n + 5.0);
        let mut m: Vec<f64> = self.m2.iter().map(|s| shrink * s / (n - 1.0)).collect();
        let metric = if self.dense {
            for i in 0..d {
                m[i * d + i] += ridge;
            }
            // Symmetrize the rounding of the running sums.
            for i in 0..d {
                for j in 0..i {
                    let s = 0.5 * (m[i * d + j] + m[j * d + i]);
                    m[i * d + j] = s;
                    m[j * d + i] = s;
                }
            }
            Metric::dense(m, d)
        } else {
            Metric::diagonal(m.iter().map(|v| v + ridge).collect())
        };
        *self = MetricEstimator::new(d, self.dense);
        metric.map_err(|e| Error::BadInput { location: "metric adaptation".into(), reason: format!("the windowed (co)variance estimate is unusable: {e}") })
    }
}

/// Stan's dual averaging of the step size.
#[derive(Clone, Debug)]
pub(crate) struct StepSizeDualAveraging {
    pub mu: f64,
    pub delta: f64,
    pub gamma: f64,
    pub kappa: f64,
    pub t0: f64,
    counter: f64,
    s_bar: f64,
    x_bar: f64,
}

impl StepSizeDualAveraging {
    pub(crate) fn new(mu: f64, delta: f64, gamma: f64, kappa: f64, t0: f64) -> Self {
        StepSizeDualAveraging { mu, delta, gamma, kappa, t0, counter: 0.0, s_bar: 0.0, x_bar: 0.0 }
    }

    pub(crate) fn restart(&mut self) {
        self.counter = 0.0;
        self.s_bar = 0.0;
        self.x_bar = 0.0;
    }

    /// The next step size after a transition whose acceptance statistic was `accept`.
    pub(crate) fn learn(&mut self, accept: f64) -> f64 {
        self.counter += 1.0;
        let a = if accept.is_nan() { 0.0 } else { accept.min(1.0) };
        let eta = 1.0 / (self.counter + self.t0);
        self.s_bar = (1.0 - eta) * self.s_bar + eta * (self.delta - a);
        let x = self.mu - self.s_bar * self.counter.sqrt() / self.gamma;
        let w = self.counter.powf(-self.kappa);
        self.x_bar = w * x + (1.0 - w) * self.x_bar;
        x.exp()
    }

    /// The averaged step size, used after warm-up.
    pub(crate) fn final_step_size(&self) -> f64 {
        self.x_bar.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimator_regularizes_as_stan() {
        let mut e = MetricEstimator::new(2, false);
        for x in [[1.0, 0.0], [3.0, 0.0], [5.0, 0.0]] {
            e.add(&x);
        }
        // variance 4 over n = 3: (3/8)·4 + 1e-3·(5/8)
        match e.metric().unwrap() {
            Metric::Diagonal(v) => {
                assert!((v[0] - (0.375 * 4.0 + 1e-3 * 0.625)).abs() < 1e-15);
                assert!((v[1] - 1e-3 * 0.625).abs() < 1e-15);
            }
            m => panic!("{m:?}"),
        }
        let mut e = MetricEstimator::new(2, true);
        for x in [[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]] {
            e.add(&x);
        }
        match e.metric().unwrap() {
            Metric::Dense { inv_metric, .. } => {
                // covariance [[4, 8], [8, 16]]
                assert!((inv_metric[1] - 0.375 * 8.0).abs() < 1e-12 && (inv_metric[2] - 0.375 * 8.0).abs() < 1e-12);
                assert!((inv_metric[3] - (0.375 * 16.0 + 1e-3 * 0.625)).abs() < 1e-12);
            }
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn dual_averaging_moves_toward_the_target_acceptance() {
        let mut da = StepSizeDualAveraging::new(10f64.ln(), 0.8, 0.05, 0.75, 10.0);
        // Accepting everything: the step grows; rejecting everything: it shrinks.
        let up = da.learn(1.0);
        da.restart();
        let down = da.learn(0.0);
        assert!(up > 10.0 && down < 10.0, "{up} {down}");
        // First step by hand: s̄ = (0.8 − 1)/11, x = μ − s̄·1/0.05.
        assert!((up.ln() - (10f64.ln() + 0.2 / 11.0 / 0.05)).abs() < 1e-12);
    }
}
