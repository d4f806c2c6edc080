//! The Hager–Zhang line search (Hager & Zhang 2006, "Algorithm 851: CG_DESCENT"), as TFP's
//! `tfp.optimizer.linesearch.hager_zhang` uses it inside BFGS and L-BFGS.
//!
//! Along a descent direction `d` from `x`, with `φ(α) = f(x + α d)` and `φ'(α) = ∇f(x + α d)·d`,
//! it finds a step that satisfies either the Wolfe conditions
//!
//! ```text
//! φ(α) − φ(0) ≤ δ α φ'(0)   and   φ'(α) ≥ σ φ'(0)
//! ```
//!
//! or the approximate Wolfe conditions, which stay meaningful where rounding makes the first
//! one fail near a minimum:
//!
//! ```text
//! (2δ − 1) φ'(0) ≥ φ'(α) ≥ σ φ'(0)   and   φ(α) ≤ φ(0) + ε |φ(0)|
//! ```
//!
//! It brackets a step (expanding by ρ while the slope stays negative and the value low), then
//! shrinks the bracket with double secant steps, bisecting when a secant step shrinks it by
//! less than γ. A non-finite value counts as "too high", so the search backs off from
//! overflows instead of failing. Constants are TFP's defaults: δ = 0.1, σ = 0.9, ε = 1e-6,
//! γ = 0.66, ρ = 5, θ = 0.5.
//!
//! Hand-written: argmin's `HagerZhangLineSearch` (0.11) evaluates every search at the fixed
//! steps ε, 1 and 10⁵ before bracketing, and a step of 10⁵ along a likelihood's gradient
//! overflows, so it does not fit the objectives this crate minimizes.

use crate::error::Result;

/// TFP's defaults.
const DELTA: f64 = 0.1;
const SIGMA: f64 = 0.9;
const EPSILON: f64 = 1e-6;
const GAMMA: f64 = 0.66;
const RHO: f64 = 5.0;
const THETA: f64 = 0.5;

/// One evaluation of the line function: the step, `φ(α)`, `φ'(α)`, and whatever the caller
/// wants back for the accepted step (the full gradient).
#[derive(Clone, Debug)]
pub(crate) struct Point<T> {
    pub(crate) step: f64,
    pub(crate) value: f64,
    pub(crate) slope: f64,
    pub(crate) extra: T,
}

impl<T> Point<T> {
    fn finite(&self) -> bool {
        self.value.is_finite() && self.slope.is_finite()
    }
}

/// The outcome: the accepted point (or the lowest one seen, when the conditions were not met
/// within the evaluation budget), whether the conditions hold there, and the evaluations used.
pub(crate) struct LineSearchResult<T> {
    pub(crate) point: Option<Point<T>>,
    pub(crate) converged: bool,
    pub(crate) num_evals: usize,
}

struct Search<'a, T, F: FnMut(f64) -> Result<(f64, f64, T)>> {
    phi: &'a mut F,
    f0: f64,
    df0: f64,
    eps_k: f64,
    evals: usize,
    max_evals: usize,
    best: Option<Point<T>>,
}

impl<T: Clone, F: FnMut(f64) -> Result<(f64, f64, T)>> Search<'_, T, F> {
    fn eval(&mut self, step: f64) -> Result<Point<T>> {
        self.evals += 1;
        let (value, slope, extra) = (self.phi)(step)?;
        let p = Point { step, value, slope, extra };
        if p.finite() && p.value < self.best.as_ref().map_or(self.f0, |b| b.value) {
            self.best = Some(p.clone());
        }
        Ok(p)
    }
    fn satisfied(&self, p: &Point<T>) -> bool {
        if !p.finite() {
            return false;
        }
        let curvature = p.slope >= SIGMA * self.df0;
        let wolfe = p.value - self.f0 <= DELTA * p.step * self.df0 && curvature;
        let approx = (2.0 * DELTA - 1.0) * self.df0 >= p.slope && curvature && p.value <= self.f0 + self.eps_k;
        wolfe || approx
    }
    fn exhausted(&self) -> bool {
        self.evals >= self.max_evals
    }
    /// A point where the value is low enough to be the left end of a bracket.
    fn low(&self, p: &Point<T>) -> bool {
        p.finite() && p.value <= self.f0 + self.eps_k
    }
    /// HZ's `update`: shrink `[a, b]` with the interior point `c`. Returns the new bracket, or
    /// the point itself when it satisfies the conditions.
    fn update(&mut self, a: Point<T>, b: Point<T>, c: Point<T>) -> Result<Step<T>> {
        if self.satisfied(&c) {
            return Ok(Step::Done(c));
        }
        if !(c.step > a.step && c.step < b.step) {
            return Ok(Step::Bracket(a, b));
        }
        if c.finite() && c.slope >= 0.0 {
            return Ok(Step::Bracket(a, c));
        }
        if self.low(&c) {
            return Ok(Step::Bracket(c, b));
        }
        self.bisect(a, c)
    }
    /// HZ's U3: `a` low with negative slope, `b` too high: bisect (weighted by θ) until a
    /// point has a non-negative slope (it closes the bracket) or the budget runs out.
    fn bisect(&mut self, mut a: Point<T>, mut b: Point<T>) -> Result<Step<T>> {
        while !self.exhausted() {
            let d = self.eval((1.0 - THETA) * a.step + THETA * b.step)?;
            if self.satisfied(&d) {
                return Ok(Step::Done(d));
            }
            if d.finite() && d.slope >= 0.0 {
                return Ok(Step::Bracket(a, d));
            }
            if self.low(&d) {
                a = d;
            } else {
                b = d;
            }
            if b.step - a.step <= f64::EPSILON * b.step.abs().max(1e-300) {
                break;
            }
        }
        Ok(Step::Stuck)
    }
}

fn result<T: Clone, F: FnMut(f64) -> Result<(f64, f64, T)>>(s: Search<'_, T, F>, point: Option<Point<T>>, converged: bool) -> LineSearchResult<T> {
    LineSearchResult { converged, num_evals: s.evals, point: if converged { point } else { s.best } }
}

enum Step<T> {
    Done(Point<T>),
    Bracket(Point<T>, Point<T>),
    Stuck,
}

fn secant<T>(a: &Point<T>, b: &Point<T>) -> f64 {
    let den = b.slope - a.slope;
    if den.is_finite() && den != 0.0 {
        (a.step * b.slope - b.step * a.slope) / den
    } else {
        0.5 * (a.step + b.step)
    }
}

/// Searches along a direction for a step satisfying the (approximate) Wolfe conditions.
///
/// `phi(α)` returns `(φ(α), φ'(α), extra)`; `f0` and `df0 < 0` are the value and slope at 0.
/// At most `max_evals` evaluations.
pub(crate) fn hager_zhang<T: Clone>(mut phi: impl FnMut(f64) -> Result<(f64, f64, T)>, f0: f64, df0: f64, initial_step: f64, max_evals: usize) -> Result<LineSearchResult<T>> {
    let mut s = Search { phi: &mut phi, f0, df0, eps_k: EPSILON * f0.abs(), evals: 0, max_evals: max_evals.max(1), best: None };
    // The left end of every bracket: the start itself.
    let zero = |extra: T| Point { step: 0.0, value: f0, slope: df0, extra };
    let mut c = s.eval(initial_step)?;
    // Back off from non-finite values.
    while !c.finite() && !s.exhausted() {
        c = s.eval(c.step * 0.5)?;
    }
    if s.satisfied(&c) {
        return Ok(result(s, Some(c), true));
    }
    let template = c.extra.clone();
    // Bracket: expand while the slope is negative and the value low.
    let mut a = zero(template);
    let mut bracket = None;
    while !s.exhausted() {
        if !c.finite() || (c.slope < 0.0 && !s.low(&c)) {
            // the value rose with the slope still negative: a minimum lies in [a, c]
            match s.bisect(a.clone(), c.clone())? {
                Step::Done(p) => return Ok(result(s, Some(p), true)),
                Step::Bracket(lo, hi) => bracket = Some((lo, hi)),
                Step::Stuck => {}
            }
            break;
        }
        if c.slope >= 0.0 {
            bracket = Some((a.clone(), c.clone()));
            break;
        }
        a = c.clone();
        c = s.eval(c.step * RHO)?;
        if s.satisfied(&c) {
            return Ok(result(s, Some(c), true));
        }
    }
    let Some((mut a, mut b)) = bracket else { return Ok(result(s, None, false)) };
    // Double secant steps, bisecting when the bracket shrinks too slowly.
    while !s.exhausted() {
        let width = b.step - a.step;
        let c_step = secant(&a, &b);
        let c = s.eval(c_step)?;
        let (na, nb) = match s.update(a.clone(), b.clone(), c.clone())? {
            Step::Done(p) => return Ok(result(s, Some(p), true)),
            Step::Stuck => return Ok(result(s, None, false)),
            Step::Bracket(na, nb) => (na, nb),
        };
        let mut next = (na.clone(), nb.clone());
        if c.step == nb.step || c.step == na.step {
            let c2 = if c.step == nb.step { secant(&b, &nb) } else { secant(&a, &na) };
            if c2 > na.step && c2 < nb.step && !s.exhausted() {
                let p = s.eval(c2)?;
                match s.update(na, nb, p)? {
                    Step::Done(p) => return Ok(result(s, Some(p), true)),
                    Step::Stuck => return Ok(result(s, None, false)),
                    Step::Bracket(x, y) => next = (x, y),
                }
            }
        }
        if next.1.step - next.0.step > GAMMA * width && !s.exhausted() {
            let mid = s.eval(0.5 * (next.0.step + next.1.step))?;
            match s.update(next.0.clone(), next.1.clone(), mid)? {
                Step::Done(p) => return Ok(result(s, Some(p), true)),
                Step::Stuck => return Ok(result(s, None, false)),
                Step::Bracket(x, y) => next = (x, y),
            }
        }
        (a, b) = next;
        if b.step - a.step <= f64::EPSILON * b.step.abs().max(1e-300) {
            break;
        }
    }
    Ok(result(s, None, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// φ(α) = (α − 3)² − 9 along d = 1 from 0: slope −6 at 0.
    fn quad(a: f64) -> Result<(f64, f64, ())> {
        Ok(((a - 3.0).powi(2) - 9.0, 2.0 * (a - 3.0), ()))
    }

    fn check_wolfe(p: &Point<()>, f0: f64, df0: f64) {
        let wolfe = p.value - f0 <= DELTA * p.step * df0 && p.slope >= SIGMA * df0;
        let approx = (2.0 * DELTA - 1.0) * df0 >= p.slope && p.slope >= SIGMA * df0 && p.value <= f0 + EPSILON * f0.abs();
        assert!(wolfe || approx, "step {} value {} slope {}", p.step, p.value, p.slope);
    }

    #[test]
    fn finds_a_wolfe_step_from_short_and_long_starts() {
        for start in [1e-3, 0.5, 1.0, 4.0, 50.0, 1e6] {
            let r = hager_zhang(quad, 0.0, -6.0, start, 50).unwrap();
            assert!(r.converged, "start {start}");
            check_wolfe(r.point.as_ref().unwrap(), 0.0, -6.0);
        }
    }

    #[test]
    fn backs_off_from_overflow() {
        // exp blows up past α ≈ 700: the search must shrink, not fail.
        let phi = |a: f64| -> Result<(f64, f64, ())> { Ok(((a - 1.0).powi(2) + (a - 710.0).exp(), 2.0 * (a - 1.0) + (a - 710.0).exp(), ())) };
        let r = hager_zhang(phi, 1.0, -2.0, 1e4, 100).unwrap();
        assert!(r.converged);
        check_wolfe(r.point.as_ref().unwrap(), 1.0, -2.0);
    }

    #[test]
    fn reports_the_best_point_when_the_budget_runs_out() {
        let r = hager_zhang(quad, 0.0, -6.0, 1e-9, 3).unwrap();
        assert!(!r.converged);
        assert_eq!(r.num_evals, 3);
        assert!(r.point.unwrap().value < 0.0);
    }
}
