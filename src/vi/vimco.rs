//! VIMCO for Csiszar f-divergences (Mnih & Rezende 2016, generalized as TFP's
//! `tfp.vi.csiszar_vimco`): a low-variance score-function gradient of `f(log mean_i u_i)`.
//!
//! ```text
//! vimco = f(log avg u),  u_i = p(h_i)/q(h_i),  h_i ~ q,  i < m
//! gradient = ∇vimco + Σ_i ∇log q(h_i) · stop(f(log avg u) − f(log sooavg_i u))
//! ```
//! where `sooavg_i` replaces `u_i` by the geometric mean of the others ("swap one out"). Draws
//! have shape `[m, num_batch_draws]`; the result is averaged over the batch draws.

use super::csiszar::Discrepancy;
use super::target::call_target;
use crate::joint::{Structure, SurrogatePosterior};
use crate::error::{Error, Result};
use crate::random::Seed;
use crate::tensor::Tensor;

/// `(log avg u, log sooavg u)` over axis 0 of `logu` (`m ≥ 2` draws): the log of the mean of
/// `u`, and for each `i` the log of the mean with `u_i` replaced by the geometric mean of the
/// others.
///
/// ```
/// use probrs::tensor::{DType, Tensor};
/// use probrs::vi::csiszar_vimco_helper;
/// // log u for m = 2 draws (one batch member): log of the average, and the leave-one-out version
/// // with each draw replaced by the geometric mean of the others.
/// let logu = Tensor::from_slice(&[0.0, 2f64.ln()], &[2, 1], DType::F64)?;
/// let (log_avg, log_sooavg) = csiszar_vimco_helper(&logu)?;
/// assert!((log_avg.to_vec()?[0] - 1.5f64.ln()).abs() < 1e-12);
/// let s = log_sooavg.to_vec()?;
/// assert!((s[0] - 2f64.ln()).abs() < 1e-12 && s[1].abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn csiszar_vimco_helper(logu: &Tensor) -> Result<(Tensor, Tensor)> {
    let m = logu.shape()[0];
    if m < 2 {
        return Err(Error::invalid_shape("csiszar_vimco logu", logu.shape(), "needs at least 2 draws on axis 0"));
    }
    let log_m = (m as f64).ln();
    let log_avg = logu.logsumexp(0, false)?.add_scalar(-log_m)?;
    // Leave-one-out mean of log u: (Σ log u − log u_i) / (m − 1).
    let loo = logu.sum_axes(&[0], true)?.sub(logu)?.mul_scalar(1.0 / (m - 1) as f64)?;
    // swapped[i, j] = log u_j for j ≠ i, loo_i for j = i; logsumexp over j.
    let eye = Tensor::eye(m, &[], logu.dtype())?;
    let mut eshape = vec![m, m];
    eshape.extend(std::iter::repeat_n(1, logu.rank() - 1));
    let eye = eye.reshape(&eshape)?;
    let lu = logu.unsqueeze(0)?; // [1, m, ...]
    let lo = loo.unsqueeze(1)?; // [m, 1, ...]
    let swapped = lu.mul(&eye.affine(-1.0, 1.0)?)?.add(&lo.mul(&eye)?)?;
    let log_sooavg = swapped.logsumexp(1, false)?.add_scalar(-log_m)?;
    Ok((log_avg, log_sooavg))
}

/// The VIMCO objective with `num_draws` terms per estimate and `num_batch_draws` estimates.
///
/// ```
/// use probrs::distributions::{Distribution, Normal};
/// use probrs::random::Seed;
/// use probrs::vi::{csiszar_vimco, Discrepancy, Structure};
/// // With q equal to the target every log u is 0, so the VIMCO objective is 0.
/// let q = Normal::new(0.0, 1.0)?;
/// let p = |z: &Structure| Normal::new(0.0, 1.0)?.log_prob(z.as_tensor()?);
/// let loss = csiszar_vimco(&Discrepancy::kl_reverse(), &p, &q, 4, 3, Seed::new(0))?;
/// assert!(loss.to_scalar()?.abs() < 1e-6);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn csiszar_vimco<S: SurrogatePosterior + ?Sized>(
    f: &Discrepancy,
    p_log_prob: &dyn Fn(&Structure) -> Result<Tensor>,
    q: &S,
    num_draws: usize,
    num_batch_draws: usize,
    seed: Seed,
) -> Result<Tensor> {
    if num_draws < 2 {
        return Err(Error::invalid_parameter("num_draws", format!("VIMCO needs at least 2 draws (importance_sample_size), got {num_draws}")));
    }
    let x = q.sample_structure(&[num_draws, num_batch_draws], seed)?.try_map(|t| Ok(t.detach()))?;
    let log_qx = q.log_prob_structure(&x)?;
    let logu = call_target(p_log_prob, &x, &log_qx, num_draws)?.sub(&log_qx)?;
    let (log_avg, log_sooavg) = csiszar_vimco_helper(&logu)?;
    let f_avg = f.call(&log_avg)?;
    let f_soo = f.call(&log_sooavg)?;
    let dot = log_qx.mul(&f_avg.unsqueeze(0)?.sub(&f_soo)?.detach())?.sum_axes(&[0], false)?;
    f_avg.add(&dot.sub(&dot.detach())?)?.mean_axes(&[0], false)
}
