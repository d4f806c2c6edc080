//! What the Hamiltonian samplers share, on one chain's flat state: a point of phase space and
//! the leapfrog integrator under a [`Metric`] (with Stan's rule that a domain error in the
//! log-density rejects the point), the per-part step sizes folded into the metric, the
//! step-size heuristic's building block, and running chains on threads.

use super::log_density::{Layout, LogDensity};
use super::metric::Metric;
use crate::error::{Error, Result};
use rand::Rng;

/// A point of phase space: position, momentum, velocity `M⁻¹p`, and the target and its
/// gradient at the position.
#[derive(Clone, Debug)]
pub(crate) struct PhasePoint {
    pub q: Vec<f64>,
    pub p: Vec<f64>,
    pub v: Vec<f64>,
    pub grad: Vec<f64>,
    pub logp: f64,
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn log_sum_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// The log-density at `q`, with Stan's rule for failures: a domain error (a parameter out of
/// its domain, a non-finite value, a matrix that is not positive definite — what Stan's
/// `domain_error` covers) rejects the point (`−∞`, a divergence of the trajectory); any other
/// error (a shape mismatch, a failing data source) stops the chain.
pub(crate) fn log_density_or_reject(density: &dyn LogDensity, q: &[f64], grad: &mut [f64]) -> Result<f64> {
    match density.logp_and_grad(q, grad) {
        Err(Error::InvalidParameter { .. } | Error::NonFinite { .. } | Error::LinearAlgebra { .. }) => Ok(f64::NEG_INFINITY),
        other => other,
    }
}

impl PhasePoint {
    /// The point at `q` (evaluating the target), with zero momentum.
    pub(crate) fn at(density: &dyn LogDensity, q: Vec<f64>) -> Result<Self> {
        let d = q.len();
        let mut grad = vec![0.0; d];
        let logp = density.logp_and_grad(&q, &mut grad)?;
        Ok(PhasePoint { q, p: vec![0.0; d], v: vec![0.0; d], grad, logp })
    }
    /// `H = −log π(q) + ½ pᵀ M⁻¹ p`, `+∞` where it is not a number.
    pub(crate) fn hamiltonian(&self) -> f64 {
        let h = -self.logp + 0.5 * dot(&self.p, &self.v);
        if h.is_nan() {
            f64::INFINITY
        } else {
            h
        }
    }
    /// One leapfrog step of size `eps` (negative: backward in time).
    pub(crate) fn leapfrog(&mut self, density: &dyn LogDensity, metric: &Metric, eps: f64) -> Result<()> {
        self.p.iter_mut().zip(&self.grad).for_each(|(p, g)| *p += 0.5 * eps * g);
        metric.velocity_into(&self.p, &mut self.v);
        self.q.iter_mut().zip(&self.v).for_each(|(q, v)| *q += eps * v);
        self.logp = log_density_or_reject(density, &self.q, &mut self.grad)?;
        if !self.logp.is_finite() || self.grad.iter().any(|g| !g.is_finite()) {
            // Outside the support or an overflow: infinite energy, a divergence.
            self.logp = f64::NEG_INFINITY;
            return Ok(());
        }
        self.p.iter_mut().zip(&self.grad).for_each(|(p, g)| *p += 0.5 * eps * g);
        metric.velocity_into(&self.p, &mut self.v);
        Ok(())
    }
    /// A fresh momentum `p ~ N(0, M)` and its velocity.
    pub(crate) fn resample_momentum<R: Rng + ?Sized>(&mut self, metric: &Metric, rng: &mut R) {
        metric.sample_momentum(rng, &mut self.p);
        metric.velocity_into(&self.p, &mut self.v);
    }
}

/// Runs `f(chain)` for `0..n` on up to `threads` threads, results in chain order.
pub(crate) fn map_chains<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = vec![];
                    loop {
                        let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if c >= n {
                            break mine;
                        }
                        mine.push((c, f(c)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a chain thread panicked")).collect()
    });
    out.sort_by_key(|(c, _)| *c);
    out.into_iter().map(|(_, t)| t).collect()
}

/// The step and metric one chain integrates with: one step size for all parts keeps the
/// metric; per-part step sizes `ε_k` are the same dynamics as step 1 with the inverse
/// metric scaled by `ε_k²` (diagonal metrics only).
pub(crate) fn per_part_step(metric: &Metric, eps: &[f64], layout: &Layout) -> Result<(f64, Metric)> {
    if eps.iter().all(|e| *e == eps[0]) {
        return Ok((eps[0], metric.clone()));
    }
    let d = layout.dim();
    let base = match &metric {
        Metric::Unit => vec![1.0; d],
        Metric::Diagonal(v) => v.clone(),
        Metric::Dense { .. } => return Err(Error::invalid_parameter("step_size", "one step size per state part needs a unit or diagonal metric, not a dense one")),
    };
    let mut scaled = Vec::with_capacity(d);
    let mut i = 0;
    for (shape, e) in layout.shapes.iter().zip(eps) {
        for _ in 0..shape.iter().product::<usize>() {
            scaled.push(base[i] * e * e);
            i += 1;
        }
    }
    Ok((1.0, Metric::diagonal(scaled)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// N(0, Σ) with Σ⁻¹ = [[2, 0.6], [0.6, 1]].
    struct Quadratic;
    impl LogDensity for Quadratic {
        fn dim(&self) -> usize {
            2
        }
        fn logp_and_grad(&self, x: &[f64], g: &mut [f64]) -> Result<f64> {
            g[0] = -(2.0 * x[0] + 0.6 * x[1]);
            g[1] = -(0.6 * x[0] + x[1]);
            Ok(0.5 * (x[0] * g[0] + x[1] * g[1]))
        }
    }

    #[test]
    fn leapfrog_is_reversible_and_conserves_energy_to_second_order() {
        let metric = Metric::dense(vec![0.8, 0.3, 0.3, 1.5], 2).unwrap();
        let mut start = PhasePoint::at(&Quadratic, vec![0.7, -1.1]).unwrap();
        start.p = vec![0.4, -0.2];
        metric.velocity_into(&start.p, &mut start.v);
        let h0 = start.hamiltonian();
        let mut errors = vec![];
        for eps in [0.1, 0.05, 0.025] {
            let mut z = start.clone();
            let n = (1.0 / eps) as usize;
            for _ in 0..n {
                z.leapfrog(&Quadratic, &metric, eps).unwrap();
            }
            errors.push((z.hamiltonian() - h0).abs());
            // Backward in time: the start again, to rounding.
            for _ in 0..n {
                z.leapfrog(&Quadratic, &metric, -eps).unwrap();
            }
            for (a, b) in z.q.iter().chain(&z.p).zip(start.q.iter().chain(&start.p)) {
                assert!((a - b).abs() < 1e-12, "eps {eps}: {a} vs {b}");
            }
        }
        // Energy error O(ε²): halving ε quarters it.
        for w in errors.windows(2) {
            assert!((w[0] / w[1] - 4.0).abs() < 0.5, "{errors:?}");
        }
    }

    #[test]
    fn a_domain_error_rejects_and_other_errors_propagate() {
        struct Failing(Error);
        impl LogDensity for Failing {
            fn dim(&self) -> usize {
                1
            }
            fn logp_and_grad(&self, _: &[f64], _: &mut [f64]) -> Result<f64> {
                Err(match &self.0 {
                    Error::InvalidParameter { name, reason } => Error::InvalidParameter { name: name.clone(), reason: reason.clone() },
                    _ => Error::BadInput { location: "data".into(), reason: "gone".into() },
                })
            }
        }
        let mut g = [0.0];
        assert_eq!(log_density_or_reject(&Failing(Error::invalid_parameter("scale", "0")), &[0.0], &mut g).unwrap(), f64::NEG_INFINITY);
        assert!(log_density_or_reject(&Failing(Error::BadInput { location: String::new(), reason: String::new() }), &[0.0], &mut g).is_err());
    }
}
