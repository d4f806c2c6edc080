//! The profiled deviance (and REML criterion) with its exact gradient in θ, through a Schur
//! complement: the fast path of `lmer` when the first random-effects term (the one with most
//! levels) leaves a dense remainder of moderate size.
//!
//! Order `A = ΛᵀZᵀZΛ + I` as `[D B; Bᵀ C]`, `D` the first term's columns. Each row of `Z` has
//! one level of that term, so `D` is block diagonal (one `p₁ × p₁` block per level), and
//!
//! ```text
//! S = C − Bᵀ D⁻¹ B          (dense, m × m, m the other terms' columns)
//! log|A| = Σ log|D_l| + log|S|
//! ```
//!
//! For InstEval's `(1|s) + (1|d) + (1|dept)`, `D` is the 2,972 students' diagonal and `S` the
//! 1,142 instructors and departments: one dense Cholesky (faer) instead of a supernodal
//! factorization whose many small updates dominate its time.
//!
//! The gradient. With `zᵣ` row r of `ZΛ` and `żᵣ = ∂zᵣ/∂θ_k` (one nonzero: `θ_k = Λᵢ[a, b]` gives
//! `xᵣ,ₐ` at term i's slot b), `A − I = Σᵣ zᵣzᵣᵀ`, so
//!
//! ```text
//! ∂ log|A|/∂θ_k      = 2 Σᵣ żᵣᵀ A⁻¹ zᵣ            (A⁻¹ needed on the pattern of A only)
//! ∂ r²/∂θ_k          = −2 Σᵣ ρᵣ żᵣᵀ û              (envelope theorem; ρ the residuals)
//! ∂ log|R_XᵀR_X|/∂θ_k = −2 Σᵣ (Wᵀżᵣ)ᵀ (R_XᵀR_X)⁻¹ (xᵣ − Wᵀzᵣ),   W = A⁻¹ΛᵀZᵀX
//! ```
//!
//! and `A⁻¹` on the pattern comes from `S⁻¹` by the block-inverse formulas: `(A⁻¹)₂₂ = S⁻¹`,
//! `(A⁻¹)₁₂ = −D⁻¹BS⁻¹ = F` on each level's columns, `(A⁻¹)₁₁ = D⁻¹ − F BᵀD⁻¹` on each level's
//! block. One evaluation with its gradient costs about two dense factorizations of `S`.

use faer::{Mat, Side};

use crate::error::{Error, Result};

use super::profiled_deviance::{Evaluation, ProfiledDeviance};

/// The largest dense remainder `m` the Schur path takes (beyond it, `lmer` uses the sparse
/// factorization with finite-difference gradients).
pub(super) const MAX_DENSE: usize = 3000;

/// The Schur-complement form of a model's profiled deviance.
pub(super) struct SchurDeviance<'a> {
    pd: &'a ProfiledDeviance,
    p1: usize,
    q1: usize,
    m: usize,
    levels1: usize,
    /// Row r's level of the first term.
    level0: Vec<usize>,
    /// Per level of the first term, the other terms' columns (0-based within the remainder) its
    /// rows touch, sorted.
    lev_cols: Vec<Vec<usize>>,
    /// Row r's remainder slots' positions within `lev_cols[level0[r]]`, `[n, k − p₁]`.
    row_pos: Vec<usize>,
    /// The rows of each level of the first term.
    rows_by_level: Vec<Vec<usize>>,
    /// Per remainder column j, the levels whose rows touch it, with j's position in their list.
    col_levels: Vec<Vec<(usize, usize)>>,
}

/// Inverse and log-determinant of a small SPD matrix (row-major `p × p`) by Cholesky.
fn small_spd_inverse(a: &[f64], p: usize) -> Option<(Vec<f64>, f64)> {
    if p == 1 {
        return (a[0] > 0.0).then(|| (vec![1.0 / a[0]], a[0].ln()));
    }
    let m = Mat::<f64>::from_fn(p, p, |i, j| a[i * p + j]);
    let llt = m.llt(Side::Lower).ok()?;
    let logdet = 2.0 * (0..p).map(|i| llt.L()[(i, i)].ln()).sum::<f64>();
    use faer::linalg::solvers::DenseSolveCore;
    let inv = llt.inverse();
    Some(((0..p * p).map(|k| inv[(k / p, k % p)]).collect(), logdet))
}

impl<'a> SchurDeviance<'a> {
    /// The Schur form of `pd`, when its first term's remainder is at most [`MAX_DENSE`] columns.
    pub(super) fn new(pd: &'a ProfiledDeviance) -> Option<Self> {
        let (p1, levels1, _) = pd.term_dims[0];
        let q1 = p1 * levels1;
        let m = pd.q - q1;
        if m > MAX_DENSE {
            return None;
        }
        let (n, k) = (pd.n, pd.k);
        let kr = k - p1;
        let level0: Vec<usize> = (0..n).map(|r| pd.cols[r * k] / p1).collect();
        let mut lev_cols: Vec<Vec<usize>> = vec![vec![]; levels1];
        for r in 0..n {
            for s in 0..kr {
                lev_cols[level0[r]].push(pd.cols[r * k + p1 + s] - q1);
            }
        }
        for c in &mut lev_cols {
            c.sort_unstable();
            c.dedup();
        }
        let mut row_pos = vec![0usize; n * kr];
        for r in 0..n {
            for s in 0..kr {
                let c = pd.cols[r * k + p1 + s] - q1;
                row_pos[r * kr + s] = lev_cols[level0[r]].binary_search(&c).expect("collected above");
            }
        }
        let mut rows_by_level = vec![vec![]; levels1];
        for (r, l) in level0.iter().enumerate() {
            rows_by_level[*l].push(r);
        }
        let mut col_levels = vec![vec![]; m];
        for (l, cols) in lev_cols.iter().enumerate() {
            for (pj, &j) in cols.iter().enumerate() {
                col_levels[j].push((l, pj));
            }
        }
        Some(SchurDeviance { pd, p1, q1, m, levels1, level0, lev_cols, row_pos, rows_by_level, col_levels })
    }

    /// The objective at θ with the penalized least-squares solution, and its gradient.
    pub(super) fn evaluate(&self, theta: &[f64]) -> Result<(Evaluation, Vec<f64>)> {
        let pd = self.pd;
        let (n, p, k, p1, q1, m) = (pd.n, pd.p, pd.k, self.p1, self.q1, self.m);
        let kr = k - p1;
        if theta.len() != pd.n_theta || theta.iter().any(|t| !t.is_finite()) {
            return Err(Error::invalid_parameter("theta", format!("{} finite values expected, got {theta:?}", pd.n_theta)));
        }
        let zl = pd.z_lambda_values(theta);
        // D blocks, B per level, C dense.
        let mut d = vec![0f64; self.levels1 * p1 * p1];
        for l in 0..self.levels1 {
            for a in 0..p1 {
                d[l * p1 * p1 + a * p1 + a] = 1.0;
            }
        }
        let boff: Vec<usize> = std::iter::once(0).chain(self.lev_cols.iter().scan(0, |acc, c| {
            *acc += c.len() * p1;
            Some(*acc)
        })).collect();
        let mut b = vec![0f64; boff[self.levels1]];
        let mut c = Mat::<f64>::identity(m, m);
        for r in 0..n {
            let l = self.level0[r];
            let z = &zl[r * k..(r + 1) * k];
            let (z0, zr) = z.split_at(p1);
            let nc = self.lev_cols[l].len();
            for a in 0..p1 {
                for bb in 0..p1 {
                    d[l * p1 * p1 + a * p1 + bb] += z0[a] * z0[bb];
                }
                for s in 0..kr {
                    b[boff[l] + a * nc + self.row_pos[r * kr + s]] += z0[a] * zr[s];
                }
            }
            for s in 0..kr {
                let cs = pd.cols[r * k + p1 + s] - q1;
                for t in 0..kr {
                    let ct = pd.cols[r * k + p1 + t] - q1;
                    c[(cs, ct)] += zr[s] * zr[t];
                }
            }
        }
        // D⁻¹, H = D⁻¹B per level, S = C − BᵀD⁻¹B.
        let mut dinv = vec![0f64; d.len()];
        let mut log_det_d = 0.0;
        for l in 0..self.levels1 {
            let (inv, ld) = small_spd_inverse(&d[l * p1 * p1..(l + 1) * p1 * p1], p1).ok_or_else(|| Error::LinearAlgebra { op: "lmer D block".into(), reason: format!("level {l} not positive definite at θ = {theta:?}") })?;
            dinv[l * p1 * p1..(l + 1) * p1 * p1].copy_from_slice(&inv);
            log_det_d += ld;
        }
        let mut h = vec![0f64; b.len()];
        for l in 0..self.levels1 {
            let nc = self.lev_cols[l].len();
            let (bl, di) = (&b[boff[l]..boff[l + 1]], &dinv[l * p1 * p1..(l + 1) * p1 * p1]);
            for a in 0..p1 {
                for j in 0..nc {
                    h[boff[l] + a * nc + j] = (0..p1).map(|t| di[a * p1 + t] * bl[t * nc + j]).sum();
                }
            }
        }
        // S −= BᵀD⁻¹B column by column: column j gathers, from each level whose rows touch j,
        // H_l[·, j] times that level's row of B, into a dense buffer (in cache), then one pass
        // down S's column (scattered updates of a 10 MB matrix cost more than the factorization).
        // Only the lower triangle (rows ≥ j; each level's columns are sorted) is updated: the
        // Cholesky below reads no other.
        let mut buf = vec![0f64; m];
        for j in 0..m {
            for &(l, pj) in &self.col_levels[j] {
                let nc = self.lev_cols[l].len();
                for a in 0..p1 {
                    let coef = h[boff[l] + a * nc + pj];
                    let row = &b[boff[l] + a * nc + pj..boff[l] + (a + 1) * nc];
                    for (&ci, bv) in self.lev_cols[l][pj..].iter().zip(row) {
                        buf[ci] += coef * bv;
                    }
                }
            }
            let col = c.col_mut(j);
            for (cv, bv) in col.iter_mut().zip(buf.iter_mut()).skip(j) {
                *cv -= *bv;
                *bv = 0.0;
            }
        }
        let s_llt = if m > 0 {
            Some(c.llt(Side::Lower).map_err(|_| Error::LinearAlgebra { op: "lmer Schur complement".into(), reason: format!("not positive definite at θ = {theta:?}") })?)
        } else {
            None
        };
        let log_det_s = s_llt.as_ref().map_or(0.0, |l| 2.0 * (0..m).map(|i| l.L()[(i, i)].ln()).sum::<f64>());
        let log_det_l2 = log_det_d + log_det_s;
        // Right-hand sides [ΛᵀZᵀX | ΛᵀZᵀy] (q × (p + 1)), solved by blocks.
        let rhs = pd.zl_rhs(&zl);
        let zlx = &rhs;
        let mut sol = Mat::<f64>::zeros(pd.q, p + 1);
        // t = b₂ − Σ_l H_lᵀ b₁_l ; x₂ = S⁻¹t ; x₁_l = D_l⁻¹ b₁_l − H_l x₂[cols_l].
        let mut t2 = Mat::<f64>::from_fn(m, p + 1, |i, j| rhs[(q1 + i, j)]);
        for l in 0..self.levels1 {
            let nc = self.lev_cols[l].len();
            for (jj, &cj) in self.lev_cols[l].iter().enumerate() {
                for col in 0..=p {
                    t2[(cj, col)] -= (0..p1).map(|a| h[boff[l] + a * nc + jj] * rhs[(l * p1 + a, col)]).sum::<f64>();
                }
            }
        }
        if let Some(llt) = &s_llt {
            use faer::linalg::solvers::SolveCore;
            llt.solve_in_place_with_conj(faer::Conj::No, t2.as_mut());
        }
        for i in 0..m {
            for col in 0..=p {
                sol[(q1 + i, col)] = t2[(i, col)];
            }
        }
        for l in 0..self.levels1 {
            let nc = self.lev_cols[l].len();
            let di = &dinv[l * p1 * p1..(l + 1) * p1 * p1];
            for a in 0..p1 {
                for col in 0..=p {
                    let mut v: f64 = (0..p1).map(|t| di[a * p1 + t] * rhs[(l * p1 + t, col)]).sum();
                    for (jj, &cj) in self.lev_cols[l].iter().enumerate() {
                        v -= h[boff[l] + a * nc + jj] * t2[(cj, col)];
                    }
                    sol[(l * p1 + a, col)] = v;
                }
            }
        }
        let e = pd.finish(theta, &zl, zlx, &sol, log_det_l2)?;
        // The gradient.
        let nt = pd.n_theta;
        let mut g_logdet = vec![0f64; nt];
        let mut g_r2 = vec![0f64; nt];
        let mut g_rx = vec![0f64; nt];
        let sinv = s_llt.as_ref().map(|l| {
            use faer::linalg::solvers::DenseSolveCore;
            l.inverse()
        });
        // Which θ entries move which slot: θ_k = Λᵢ[a, b] → slot b of term i, times xᵣ at a.
        let mut theta_slots = vec![]; // (slot b, slot a, θ index)
        let mut slot0 = 0;
        for (i, &(pi, _, _)) in pd.term_dims.iter().enumerate() {
            let mut idx = pd.theta_offsets[i];
            for bcol in 0..pi {
                for arow in bcol..pi {
                    theta_slots.push((slot0 + bcol, slot0 + arow, idx));
                    idx += 1;
                }
            }
            slot0 += pi;
        }
        let sx_inv = &e.rx_inverse;
        let w_of = |col: usize, j: usize| sol[(col, j)];
        let mut v = vec![0f64; k];
        // F = −H S⁻¹ on each level's columns (p₁ × nc per level, F_l[a, j] = (A⁻¹)₁₂ at (l, a),
        // cols_l[j]), filled column by column of S⁻¹ (each column read once, in cache): no
        // level's nc × nc block of S⁻¹ is ever stored.
        let mut f_all = vec![0f64; b.len()];
        if let Some(si) = &sinv {
            for j in 0..m {
                let col = si.col(j);
                for &(l, pj) in &self.col_levels[j] {
                    let nc = self.lev_cols[l].len();
                    for a in 0..p1 {
                        let hrow = &h[boff[l] + a * nc..boff[l] + (a + 1) * nc];
                        f_all[boff[l] + a * nc + pj] = -hrow.iter().zip(&self.lev_cols[l]).map(|(hv, &ci)| hv * col[ci]).sum::<f64>();
                    }
                }
            }
        }
        let mut gl = vec![];
        // Level by level: G = D⁻¹ − F Hᵀ (p₁ × p₁), then the level's rows.
        for l in 0..self.levels1 {
            let nc = self.lev_cols[l].len();
            let hl = &h[boff[l]..boff[l + 1]];
            let fl = &f_all[boff[l]..boff[l + 1]];
            gl.clear();
            gl.extend_from_slice(&dinv[l * p1 * p1..(l + 1) * p1 * p1]);
            for a in 0..p1 {
                for bb in 0..p1 {
                    gl[a * p1 + bb] -= (0..nc).map(|j| fl[a * nc + j] * hl[bb * nc + j]).sum::<f64>();
                }
            }
            for &r in &self.rows_by_level[l] {
                let z = &zl[r * k..(r + 1) * k];
                // v = (A⁻¹ zᵣ) at the row's slots.
                for a in 0..p1 {
                    let mut acc: f64 = (0..p1).map(|bb| gl[a * p1 + bb] * z[bb]).sum();
                    for t in 0..kr {
                        acc += fl[a * nc + self.row_pos[r * kr + t]] * z[p1 + t];
                    }
                    v[a] = acc;
                }
                for sidx in 0..kr {
                    let ps = self.row_pos[r * kr + sidx];
                    let mut acc: f64 = (0..p1).map(|bb| fl[bb * nc + ps] * z[bb]).sum();
                    if let Some(si) = &sinv {
                        let cs = pd.cols[r * k + p1 + sidx] - q1;
                        for t in 0..kr {
                            acc += si[(cs, pd.cols[r * k + p1 + t] - q1)] * z[p1 + t];
                        }
                    }
                    v[p1 + sidx] = acc;
                }
                // Residual ρᵣ and, for REML, gᵣ = (R_XᵀR_X)⁻¹(xᵣ − Wᵀzᵣ).
                let xr = &pd.x[r * p..(r + 1) * p];
                let fit: f64 = (0..p).map(|j| xr[j] * e.beta[j]).sum::<f64>() + (0..k).map(|s| z[s] * e.u[pd.cols[r * k + s]]).sum::<f64>();
                let rho = pd.y[r] - fit;
                let mut gr = vec![0f64; if pd.reml { p } else { 0 }];
                if pd.reml {
                    let resid: Vec<f64> = (0..p).map(|j| xr[j] - (0..k).map(|s| z[s] * w_of(pd.cols[r * k + s], j)).sum::<f64>()).collect();
                    for a in 0..p {
                        gr[a] = (0..p).map(|bb| sx_inv[a * p + bb] * resid[bb]).sum();
                    }
                }
                for &(sb, sa, ti) in &theta_slots {
                    let xa = pd.xz[r * k + sa];
                    if xa == 0.0 {
                        continue;
                    }
                    g_logdet[ti] += 2.0 * xa * v[sb];
                    let col = pd.cols[r * k + sb];
                    g_r2[ti] += -2.0 * rho * xa * e.u[col];
                    if pd.reml {
                        g_rx[ti] += -2.0 * xa * (0..p).map(|j| w_of(col, j) * gr[j]).sum::<f64>();
                    }
                }
            }
        }
        let nf = n as f64;
        let grad = (0..nt)
            .map(|t| if pd.reml { g_logdet[t] + g_rx[t] + (nf - p as f64) * g_r2[t] / e.pwrss } else { g_logdet[t] + nf * g_r2[t] / e.pwrss })
            .collect();
        Ok((e, grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixed_effects::{DataFrame, Formula, ModelFrame};

    #[test]
    fn value_equals_the_sparse_path_and_gradient_equals_finite_differences() {
        let mut csv = String::from("y,x,g,h,k\n");
        for i in 0..60 {
            let y = (i as f64 * 0.37).sin() * 3.0 + (i % 4) as f64 + (i % 7) as f64 * 0.2;
            csv.push_str(&format!("{y},{},{},{},{}\n", (i % 5) as f64 * 0.5, i % 9, i % 4, i % 3));
        }
        let df = DataFrame::from_csv_str(&csv, "t").unwrap();
        for formula in ["y ~ x + (x | g) + (1 | h) + (1 | k)", "y ~ x + (1 | g) + (x | h)", "y ~ x + (x | g)"] {
            let frame = ModelFrame::new(&Formula::parse(formula).unwrap(), &df).unwrap();
            for reml in [false, true] {
                let pd = ProfiledDeviance::new(&frame, reml).unwrap();
                let sd = SchurDeviance::new(&pd).unwrap();
                let theta: Vec<f64> = (0..pd.n_theta).map(|i| 0.4 + 0.3 * i as f64 * if i % 2 == 1 { -1.0 } else { 1.0 }).collect();
                let (e, g) = sd.evaluate(&theta).unwrap();
                let sparse = pd.evaluate(&theta).unwrap();
                assert!((e.objective - sparse.objective).abs() < 1e-9 * sparse.objective.abs(), "{formula} reml={reml}: {} vs {}", e.objective, sparse.objective);
                for j in 0..theta.len() {
                    let hstep = 1e-6;
                    let mut t = theta.clone();
                    t[j] += hstep;
                    let up = pd.evaluate(&t).unwrap().objective;
                    t[j] -= 2.0 * hstep;
                    let down = pd.evaluate(&t).unwrap().objective;
                    let fd = (up - down) / (2.0 * hstep);
                    assert!((g[j] - fd).abs() < 1e-5 * (1.0 + fd.abs()), "{formula} reml={reml} θ_{j}: {} vs {fd}", g[j]);
                }
            }
        }
    }
}
