//! Convergence diagnostics of MCMC draws.
//!
//! **Vehtari et al. (2021)**, as the R `posterior` package and ArviZ compute them, on the draws
//! of one scalar quantity given as chains (`chains[c][i]`: draw `i` of chain `c`):
//!
//! - [`rhat`]: rank-normalized split R-hat, the larger of the bulk (ranks of the split chains,
//!   z-scored through Φ⁻¹((r − 3/8)/(S + 1/4))) and the tail (the same on |x − median|);
//!   [`rhat_basic`]: Gelman's R-hat, `sqrt(((n−1)/n·W + B/n)/W)`, split or not.
//! - [`ess_basic`] (split or not), [`ess_bulk`], [`ess_tail`] (the smaller of the 5% and 95%
//!   quantiles' ESS), [`ess_mean`], [`ess_sd`] (of the squared deviations), [`ess_median`],
//!   [`ess_quantile`] (of the indicator x ≤ q): Geyer's initial monotone sequence over the
//!   chains' combined autocorrelation, `ess = S / τ` with `τ ≥ 1/log10(S)`.
//! - [`mcse_mean`] = sd/√ess_mean, [`mcse_sd`] (delta method on the squared deviations),
//!   [`mcse_quantile`] / [`mcse_median`] (the draws at the Beta(ess·p + 1, ess·(1 − p) + 1)
//!   quantiles 0.1586553 and 0.8413447, floor and ceiling, half their distance).
//!
//! Chains are split in half (an odd draw in the middle dropped), the ranks are averaged over
//! ties and quantiles are R's type 7. A quantity with a non-finite draw, or a constant one, has
//! NaN diagnostics (as `posterior`'s NA), and so has an ESS over chains of fewer than 5 draws
//! (after splitting). Reproduces `posterior` 0.1.2 on ArviZ's golden data
//! to 1e-8 relative (`tests/mcmc_diagnostics.rs`).
//!
//! **TFP's** [`effective_sample_size`] and [`potential_scale_reduction`], on tensors whose
//! first dimension indexes draws, with TFP's options and defaults.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Checks the chains (at least one, of equal non-zero length) and copies them.
fn matrix(chains: &[impl AsRef<[f64]>], min_draws: usize) -> Result<Vec<Vec<f64>>> {
    let Some(first) = chains.first() else {
        return Err(Error::invalid_parameter("chains", "no chains"));
    };
    let n = first.as_ref().len();
    if let Some((c, bad)) = chains.iter().enumerate().find(|(_, c)| c.as_ref().len() != n) {
        return Err(Error::invalid_parameter("chains", format!("chain {c} has {} draws, chain 0 has {n}", bad.as_ref().len())));
    }
    if n < min_draws {
        return Err(Error::invalid_parameter("chains", format!("{n} draws per chain; at least {min_draws} are needed")));
    }
    Ok(chains.iter().map(|c| c.as_ref().to_vec()).collect())
}

/// NaN when a draw is not finite or the draws are constant (`posterior` returns NA).
fn degenerate(x: &[Vec<f64>]) -> bool {
    let first = x[0][0];
    x.iter().flatten().any(|v| !v.is_finite()) || x.iter().flatten().all(|v| *v == first)
}

/// Each chain's first and second halves as separate chains (a middle draw of an odd count
/// dropped).
fn split(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = x[0].len();
    let h = n / 2;
    x.iter().map(|c| c[..h].to_vec()).chain(x.iter().map(|c| c[n - h..].to_vec())).collect()
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample variance (n − 1).
pub(crate) fn var(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

fn all(x: &[Vec<f64>]) -> Vec<f64> {
    x.iter().flatten().copied().collect()
}

/// Type-7 quantile of sorted values.
pub(crate) fn quantile_sorted(s: &[f64], p: f64) -> f64 {
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

fn sorted(x: &[Vec<f64>]) -> Vec<f64> {
    let mut s = all(x);
    s.sort_by(f64::total_cmp);
    s
}

/// Rank-normalization: average ranks over all draws, then Φ⁻¹((r − 3/8)/(S + 1/4)).
fn z_scale(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let flat = all(x);
    let s = flat.len();
    let mut order: Vec<usize> = (0..s).collect();
    order.sort_by(|&a, &b| flat[a].total_cmp(&flat[b]));
    let mut rank = vec![0.0; s];
    let mut i = 0;
    while i < s {
        let mut j = i;
        while j + 1 < s && flat[order[j + 1]] == flat[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0; // average of ranks i+1 ..= j+1
        for &k in &order[i..=j] {
            rank[k] = r;
        }
        i = j + 1;
    }
    let n = x[0].len();
    let z: Vec<f64> = rank.iter().map(|r| std_normal_quantile((r - 0.375) / (s as f64 + 0.25))).collect();
    z.chunks(n).map(<[f64]>::to_vec).collect()
}

fn std_normal_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

/// |x − median(x)|.
fn fold(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let med = quantile_sorted(&sorted(x), 0.5);
    x.iter().map(|c| c.iter().map(|v| (v - med).abs()).collect()).collect()
}

/// Gelman's R-hat of chains as given.
fn rhat_of(x: &[Vec<f64>]) -> f64 {
    let n = x[0].len() as f64;
    let means: Vec<f64> = x.iter().map(|c| mean(c)).collect();
    let b = n * var(&means);
    let w = mean(&x.iter().map(|c| var(c)).collect::<Vec<_>>());
    ((b / w + n - 1.0) / n).sqrt()
}

/// Biased autocovariance of a chain at lag `t`: (1/n) Σ dᵢ dᵢ₊ₜ.
fn autocov(d: &[f64], t: usize) -> f64 {
    d[..d.len() - t].iter().zip(&d[t..]).map(|(a, b)| a * b).sum::<f64>() / d.len() as f64
}

/// ESS of chains as given (Geyer's initial monotone sequence over the combined chains).
fn ess_of(x: &[Vec<f64>]) -> f64 {
    let m = x.len();
    let n = x[0].len();
    // Geyer's sequence needs one pair past lag 1 (lags up to 3) within the chains.
    if n < 5 {
        return f64::NAN;
    }
    let centred: Vec<Vec<f64>> = x.iter().map(|c| {
        let mu = mean(c);
        c.iter().map(|v| v - mu).collect()
    }).collect();
    let mean_acov = |t: usize| centred.iter().map(|d| autocov(d, t)).sum::<f64>() / m as f64;
    let means: Vec<f64> = x.iter().map(|c| mean(c)).collect();
    let mean_var = mean_acov(0) * n as f64 / (n as f64 - 1.0);
    let mut var_plus = mean_var * (n as f64 - 1.0) / n as f64;
    if m > 1 {
        var_plus += var(&means);
    }
    let rho_at = |t: usize| 1.0 - (mean_var - mean_acov(t)) / var_plus;
    let mut rho = vec![0.0; n];
    rho[0] = 1.0;
    let mut rho_even = 1.0;
    let mut rho_odd = rho_at(1);
    rho[1] = rho_odd;
    let mut t = 1;
    while t < n.saturating_sub(3) && rho_even + rho_odd > 0.0 {
        rho_even = rho_at(t + 1);
        rho_odd = rho_at(t + 2);
        if rho_even + rho_odd >= 0.0 {
            rho[t + 1] = rho_even;
            rho[t + 2] = rho_odd;
        }
        t += 2;
    }
    let s = (m * n) as f64;
    if t == 1 && !rho_odd.is_nan() {
        // The first pair's sum is not positive (lag-1 autocorrelation ≤ −1, short anticorrelated
        // chains): Stan's max_t is −1, the sum empty, and τ takes its floor 1/log10(S).
        return s * s.log10();
    }
    let max_t = t - 2;
    if rho_even > 0.0 {
        rho[max_t + 1] = rho_even;
    }
    // Geyer's initial monotone sequence.
    let mut t = 1;
    while t + 2 <= max_t {
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0;
            rho[t + 2] = rho[t + 1];
        }
        t += 2;
    }
    let tau = (-1.0 + 2.0 * rho[..=max_t].iter().sum::<f64>() + rho[max_t + 1]).max(1.0 / s.log10());
    if rho.iter().any(|r| r.is_nan()) {
        return f64::NAN;
    }
    s / tau
}

macro_rules! guarded {
    ($x:ident, $min:expr, $body:expr) => {{
        let $x = matrix($x, $min)?;
        if degenerate(&$x) {
            return Ok(f64::NAN);
        }
        Ok($body)
    }};
}

/// Rank-normalized split R-hat (Vehtari et al. 2021): the larger of bulk and tail R-hat.
///
/// ```
/// use probrs::mcmc::rhat;
/// // Two chains around different centres: R-hat well above 1.
/// let a: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin()).collect();
/// let b: Vec<f64> = a.iter().map(|v| v + 3.0).collect();
/// assert!(rhat(&[a.clone(), b])? > 1.5);
/// // Two halves of one well-mixed sequence: close to 1.
/// let c: Vec<f64> = (0..200).map(|i| (i as f64 * 2.3).sin()).collect();
/// assert!((rhat(&[c[..100].to_vec(), c[100..].to_vec()])? - 1.0).abs() < 0.05);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn rhat(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    guarded!(chains, 4, rhat_of(&z_scale(&split(&chains))).max(rhat_of(&z_scale(&split(&fold(&chains))))))
}

/// Gelman's R-hat, on the chains split in half (`split`) or as given.
///
/// ```
/// use probrs::mcmc::rhat_basic;
/// let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let b = [1.5, 2.5, 3.5, 4.5, 5.5, 6.5];
/// let r = rhat_basic(&[a, b], false)?;
/// // n = 6: W = 3.5, B = 6·var([3.5, 4]) = 0.75; sqrt((B/W + n − 1)/n).
/// assert!((r - ((0.75 / 3.5 + 5.0) / 6.0f64).sqrt()).abs() < 1e-15);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn rhat_basic(chains: &[impl AsRef<[f64]>], split_chains: bool) -> Result<f64> {
    guarded!(chains, if split_chains { 4 } else { 2 }, if split_chains { rhat_of(&split(&chains)) } else { rhat_of(&chains) })
}

/// ESS of the mean by Geyer's initial monotone sequence, on the chains split in half
/// (`split`) or as given.
///
/// ```
/// use probrs::mcmc::ess_basic;
/// // A slowly varying chain: far fewer effective draws than its 1000 draws.
/// let x: Vec<f64> = (0..1000).map(|i| (i as f64 / 50.0).sin()).collect();
/// assert!(ess_basic(&[x.clone()], false)? < 100.0);
/// // Split in half, the two halves are compared as chains: still few.
/// assert!(ess_basic(&[x], true)? < 100.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_basic(chains: &[impl AsRef<[f64]>], split_chains: bool) -> Result<f64> {
    guarded!(chains, 4, if split_chains { ess_of(&split(&chains)) } else { ess_of(&chains) })
}

/// Bulk ESS: the split chains' ESS after rank-normalization.
///
/// ```
/// use probrs::mcmc::{ess_bulk, ess_mean};
/// // A strongly autocorrelated chain: far fewer effective draws than draws.
/// let x: Vec<f64> = (0..1000).map(|i| (i as f64 / 50.0).sin()).collect();
/// assert!(ess_bulk(&[x.clone()])? < 100.0);
/// assert!(ess_mean(&[x])? < 100.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_bulk(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    guarded!(chains, 4, ess_of(&z_scale(&split(&chains))))
}

/// ESS of the indicator `x ≤ q(prob)` (q the type-7 quantile of all draws), split chains.
///
/// ```
/// use probrs::mcmc::ess_quantile;
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// assert!(ess_quantile(&[x], 0.25)? > 100.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_quantile(chains: &[impl AsRef<[f64]>], prob: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&prob) {
        return Err(Error::invalid_parameter("prob", format!("must be in [0, 1], got {prob}")));
    }
    guarded!(chains, 4, ess_quantile_of(&chains, prob))
}

fn ess_quantile_of(x: &[Vec<f64>], prob: f64) -> f64 {
    let q = quantile_sorted(&sorted(x), prob);
    let indicator: Vec<Vec<f64>> = x.iter().map(|c| c.iter().map(|v| if *v <= q { 1.0 } else { 0.0 }).collect()).collect();
    let sp = split(&indicator);
    if degenerate(&sp) {
        return f64::NAN;
    }
    ess_of(&sp)
}

/// Tail ESS: the smaller of the 5% and 95% quantiles' ESS.
///
/// ```
/// use probrs::mcmc::{ess_quantile, ess_tail};
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// let t = ess_tail(&[x.clone()])?;
/// assert_eq!(t, ess_quantile(&[x.clone()], 0.05)?.min(ess_quantile(&[x], 0.95)?));
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_tail(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    guarded!(chains, 4, ess_quantile_of(&chains, 0.05).min(ess_quantile_of(&chains, 0.95)))
}

/// ESS of the mean: [`ess_basic`] on the split chains.
///
/// ```
/// use probrs::mcmc::{ess_basic, ess_mean};
/// let x: Vec<f64> = (0..100).map(|i| (i as f64 * 1.7).cos()).collect();
/// assert_eq!(ess_mean(&[x.clone()])?, ess_basic(&[x], true)?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_mean(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    ess_basic(chains, true)
}

/// ESS of the standard deviation: the split chains' ESS of the squared deviations from the
/// mean of all draws.
///
/// ```
/// use probrs::mcmc::ess_sd;
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// assert!(ess_sd(&[x])? > 100.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_sd(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    guarded!(chains, 4, ess_of(&split(&squared_deviations(&chains))))
}

fn squared_deviations(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mu = mean(&all(x));
    x.iter().map(|c| c.iter().map(|v| (v - mu) * (v - mu)).collect()).collect()
}

/// ESS of the median: [`ess_quantile`] at 0.5.
///
/// ```
/// use probrs::mcmc::{ess_median, ess_quantile};
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// assert_eq!(ess_median(&[x.clone()])?, ess_quantile(&[x], 0.5)?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn ess_median(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    ess_quantile(chains, 0.5)
}

/// Monte Carlo standard error of the mean: sd / √ess_mean.
///
/// ```
/// use probrs::mcmc::{ess_mean, mcse_mean};
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// let n = x.len() as f64;
/// let m = x.iter().sum::<f64>() / n;
/// let sd = (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
/// assert!((mcse_mean(&[x.clone()])? - sd / ess_mean(&[x])?.sqrt()).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn mcse_mean(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    guarded!(chains, 4, var(&all(&chains)).sqrt() / ess_of(&split(&chains)).sqrt())
}

/// Monte Carlo standard error of the standard deviation (delta method on the squared
/// deviations d: `sqrt(Var(d) / (4 E[d] ess_sd))`).
///
/// ```
/// use probrs::mcmc::mcse_sd;
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// let se = mcse_sd(&[x])?;
/// assert!(se > 0.0 && se < 10.0); // sd ≈ 116
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn mcse_sd(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    guarded!(chains, 4, {
        let d = squared_deviations(&chains);
        let flat = all(&d);
        let e = mean(&flat);
        let var_d = flat.iter().map(|v| (v - e) * (v - e)).sum::<f64>() / flat.len() as f64;
        (var_d / (4.0 * e * ess_of(&split(&d)))).sqrt()
    })
}

/// Monte Carlo standard error of the `prob` quantile.
///
/// ```
/// use probrs::mcmc::mcse_quantile;
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// let se = mcse_quantile(&[x], 0.9)?;
/// assert!(se > 0.0 && se < 20.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn mcse_quantile(chains: &[impl AsRef<[f64]>], prob: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&prob) {
        return Err(Error::invalid_parameter("prob", format!("must be in [0, 1], got {prob}")));
    }
    guarded!(chains, 4, {
        let ess = ess_quantile_of(&chains, prob);
        if !(ess > 0.0) {
            // puruspe's incomplete beta panics on NaN shapes
            return Ok(f64::NAN);
        }
        let s = sorted(&chains);
        let len = s.len() as f64;
        let (a, b) = (ess * prob + 1.0, ess * (1.0 - prob) + 1.0);
        let lo = puruspe::invbetai(0.158_655_3, a, b);
        let hi = puruspe::invbetai(0.841_344_7, a, b);
        let th1 = s[((lo * len).floor() as usize).max(1) - 1];
        let th2 = s[((hi * len).ceil() as usize).clamp(1, s.len()) - 1];
        (th2 - th1) / 2.0
    })
}

/// Monte Carlo standard error of the median: [`mcse_quantile`] at 0.5.
///
/// ```
/// use probrs::mcmc::{mcse_median, mcse_quantile};
/// let x: Vec<f64> = (0..400).map(|i| ((i * 7919) % 401) as f64).collect();
/// assert_eq!(mcse_median(&[x.clone()])?, mcse_quantile(&[x], 0.5)?);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn mcse_median(chains: &[impl AsRef<[f64]>]) -> Result<f64> {
    mcse_quantile(chains, 0.5)
}

// ----- TFP's diagnostics ------------------------------------------------------------------

/// Options of [`effective_sample_size`], TFP's defaults.
///
/// ```
/// use probrs::mcmc::EffectiveSampleSizeOptions;
/// let o = EffectiveSampleSizeOptions::default();
/// assert_eq!((o.filter_threshold, o.filter_beyond_lag, o.filter_beyond_positive_pairs), (Some(0.0), None, false));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct EffectiveSampleSizeOptions {
    /// Truncate the autocorrelations at the first one below this (default 0); ignored when
    /// `filter_beyond_positive_pairs`.
    pub filter_threshold: Option<f64>,
    /// Use at most this many lags (default: all).
    pub filter_beyond_lag: Option<usize>,
    /// Truncate where Geyer's pair sums `R_2k + R_2k+1` turn negative (default false).
    pub filter_beyond_positive_pairs: bool,
    /// Dimensions of `states` (≥ 1) holding chains to combine into one cross-chain ESS
    /// (Vehtari et al. 2021); `None`: every chain on its own.
    pub cross_chain_dims: Option<Vec<usize>>,
}

impl Default for EffectiveSampleSizeOptions {
    fn default() -> Self {
        EffectiveSampleSizeOptions { filter_threshold: Some(0.0), filter_beyond_lag: None, filter_beyond_positive_pairs: false, cross_chain_dims: None }
    }
}

/// The series of `states` (`[n, d1, ..., dk]`, row-major) grouped by output position: for each
/// output index (the dimensions not in `reduce`), the series along dimension 0 of every
/// combination of the `reduce` dimensions.
fn series_by_output(states: &Tensor, reduce: &[usize]) -> Result<(Vec<Vec<Vec<f64>>>, Vec<usize>)> {
    let shape = states.shape().to_vec();
    let n = shape[0];
    let rest = &shape[1..];
    let cols: usize = rest.iter().product();
    let v = states.to_vec()?;
    let out_shape: Vec<usize> = (1..shape.len()).filter(|d| !reduce.contains(d)).map(|d| shape[d]).collect();
    let mut groups: Vec<Vec<Vec<f64>>> = vec![vec![]; out_shape.iter().product::<usize>().max(1)];
    for col in 0..cols {
        // the multi-index of this column, and its output position
        let mut rem = col;
        let mut idx = vec![0; rest.len()];
        for d in (0..rest.len()).rev() {
            idx[d] = rem % rest[d];
            rem /= rest[d];
        }
        let out = (0..rest.len()).filter(|d| !reduce.contains(&(d + 1))).fold(0, |acc, d| acc * rest[d] + idx[d]);
        groups[out].push((0..n).map(|i| v[i * cols + col]).collect());
    }
    Ok((groups, out_shape))
}

/// Unbiased-lag autocovariance as TFP's `auto_correlation(normalize=False)`: Σ dᵢ dᵢ₊ₖ / (n − k).
fn tfp_autocov(series: &[f64], max_lag: usize) -> Vec<f64> {
    let mu = mean(series);
    let d: Vec<f64> = series.iter().map(|v| v - mu).collect();
    let n = d.len();
    (0..=max_lag).map(|k| d[..n - k].iter().zip(&d[k..]).map(|(a, b)| a * b).sum::<f64>() / (n - k) as f64).collect()
}

/// TFP's `tfp.mcmc.effective_sample_size`: `states` has draws along dimension 0; the result has
/// the shape of the remaining dimensions (less `cross_chain_dims`).
/// `ESS = C·N / (−1 + 2 Σₖ (N − k)/N · R_k)` over the lags the filters keep.
///
/// ```
/// use probrs::mcmc::{effective_sample_size, EffectiveSampleSizeOptions};
/// use probrs::tensor::{DType, Tensor};
/// // An alternating sequence has R_1 = −1: TFP's default threshold keeps lag 0 alone.
/// let x: Vec<f64> = (0..100).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
/// let ess = effective_sample_size(&Tensor::vector(&x, DType::F64)?, &EffectiveSampleSizeOptions::default())?;
/// assert_eq!(ess.to_scalar()?, 100.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn effective_sample_size(states: &Tensor, options: &EffectiveSampleSizeOptions) -> Result<Tensor> {
    if states.rank() == 0 || states.shape()[0] < 2 {
        return Err(Error::invalid_shape("states", states.shape(), "needs at least 2 draws along dimension 0"));
    }
    let reduce = options.cross_chain_dims.clone().unwrap_or_default();
    if let Some(bad) = reduce.iter().find(|&&d| d == 0 || d >= states.rank()) {
        return Err(Error::invalid_parameter("cross_chain_dims", format!("dimension {bad} is not a chain dimension of states {:?}", states.shape())));
    }
    let (groups, out_shape) = series_by_output(states, &reduce)?;
    let n = states.shape()[0];
    let max_lag = options.filter_beyond_lag.map_or(n - 1, |l| l.min(n - 1));
    let mut out = Vec::with_capacity(groups.len());
    for chains in groups {
        if options.cross_chain_dims.is_some() && chains.len() < 2 {
            return Err(Error::invalid_parameter("cross_chain_dims", "needs at least 2 chains"));
        }
        let acovs: Vec<Vec<f64>> = chains.iter().map(|c| tfp_autocov(c, max_lag)).collect();
        let auto_corr: Vec<f64> = if options.cross_chain_dims.is_some() {
            let c = chains.len() as f64;
            let means: Vec<f64> = chains.iter().map(|s| mean(s)).collect();
            let within = acovs.iter().map(|a| a[0]).sum::<f64>() / c;
            let approx_var = within + var(&means);
            (0..=max_lag).map(|k| 1.0 - (within - acovs.iter().map(|a| a[k]).sum::<f64>() / c) / approx_var).collect()
        } else {
            acovs[0].iter().map(|a| a / acovs[0][0]).collect()
        };
        let weighted: Vec<f64> = auto_corr.iter().enumerate().map(|(k, r)| (n - k) as f64 / n as f64 * r).collect();
        let total: f64 = if options.filter_beyond_positive_pairs {
            let pairs = auto_corr.len() / 2;
            let mut sum = 0.0;
            for p in 0..pairs {
                if auto_corr[2 * p] + auto_corr[2 * p + 1] < 0.0 {
                    break;
                }
                sum += weighted[2 * p] + weighted[2 * p + 1];
            }
            sum
        } else if let Some(th) = options.filter_threshold {
            weighted.iter().zip(&auto_corr).take_while(|(_, r)| !(**r < th)).map(|(w, _)| w).sum()
        } else {
            weighted.iter().sum()
        };
        let num_chains = if options.cross_chain_dims.is_some() { chains.len() as f64 } else { 1.0 };
        out.push(num_chains * n as f64 / (-1.0 + 2.0 * total));
    }
    Tensor::from_slice(&out, &out_shape, states.dtype())
}

/// TFP's `tfp.mcmc.potential_scale_reduction` (Gelman & Rubin's R̂, not square-rooted):
/// `chains_states` is `[n, C1, ..., C_D, ...]` with `independent_chain_ndims = D` chain
/// dimensions; `split_chains` halves each chain first (an odd last draw dropped).
/// `R̂ = (m + 1)/m · ((n − 1)/n · W + B/n) / W − (n − 1)/(m n)`.
///
/// ```
/// use probrs::mcmc::potential_scale_reduction;
/// use probrs::tensor::{DType, Tensor};
/// // 4 draws of 2 chains with different means: R̂ well above 1.
/// let s = Tensor::from_slice(&[0.0, 5.0, 1.0, 6.0, 0.5, 5.5, 0.2, 5.2], &[4, 2], DType::F64)?;
/// assert!(potential_scale_reduction(&s, 1, false)?.to_scalar()? > 10.0);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn potential_scale_reduction(chains_states: &Tensor, independent_chain_ndims: usize, split_chains: bool) -> Result<Tensor> {
    if independent_chain_ndims < 1 || chains_states.rank() < 1 + independent_chain_ndims {
        return Err(Error::invalid_parameter("independent_chain_ndims", format!("must be ≥ 1 and leave a draw dimension; states have shape {:?}", chains_states.shape())));
    }
    let n_all = chains_states.shape()[0];
    if n_all < if split_chains { 4 } else { 2 } {
        return Err(Error::invalid_shape("chains_states", chains_states.shape(), if split_chains { "needs at least 4 draws to split chains" } else { "needs at least 2 draws" }));
    }
    let reduce: Vec<usize> = (1..=independent_chain_ndims).collect();
    let (groups, out_shape) = series_by_output(chains_states, &reduce)?;
    let out: Vec<f64> = groups
        .into_iter()
        .map(|chains| {
            let chains: Vec<Vec<f64>> = if split_chains {
                let h = n_all / 2;
                chains.iter().map(|c| c[..h].to_vec()).chain(chains.iter().map(|c| c[h..2 * h].to_vec())).collect()
            } else {
                chains
            };
            let (n, m) = (chains[0].len() as f64, chains.len() as f64);
            let means: Vec<f64> = chains.iter().map(|c| mean(c)).collect();
            let b_div_n = var(&means);
            let w = chains.iter().map(|c| var(c)).sum::<f64>() / m;
            let sigma_2_plus = (n - 1.0) / n * w + b_div_n;
            (m + 1.0) / m * sigma_2_plus / w - (n - 1.0) / (m * n)
        })
        .collect();
    Tensor::from_slice(&out, &out_shape, chains_states.dtype())
}
