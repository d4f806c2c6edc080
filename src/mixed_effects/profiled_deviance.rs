//! lme4's profiled deviance of a linear mixed model (Bates, Mächler, Bolker and Walker 2015,
//! "Fitting Linear Mixed-Effects Models Using lme4", section 3).
//!
//! The model `y = Xβ + Zb + ε`, `b ~ N(0, σ²ΛΛᵀ)`, `ε ~ N(0, σ²I)`, with `Λ = Λ(θ)` block
//! diagonal: for term `i` one lower-triangular `pᵢ × pᵢ` block `Λᵢ` per level of its grouping
//! factor (θ holds each `Λᵢ`'s lower triangle, column by column, as lme4). With `u = Λ⁻¹b`, at a
//! given θ the penalized least-squares problem
//!
//! ```text
//! min over u, β:  ‖y − Xβ − ZΛu‖² + ‖u‖²
//! ```
//!
//! is solved through the sparse Cholesky factor `LLᵀ = ΛᵀZᵀZΛ + I` (faer's supernodal or
//! simplicial factorization, its symbolic analysis and AMD ordering done once):
//!
//! ```text
//! [W | v] = (ΛᵀZᵀZΛ + I)⁻¹ [ΛᵀZᵀX | ΛᵀZᵀy]
//! R_XᵀR_X = XᵀX − XᵀZΛ W,   β̂ = (R_XᵀR_X)⁻¹ (Xᵀy − XᵀZΛ v),   û = v − W β̂
//! r² = ‖y − Xβ̂ − ZΛû‖² + ‖û‖²
//! ```
//!
//! and σ profiled out gives the deviance (ML) and the REML criterion:
//!
//! ```text
//! d(θ)   = log|L|² + n [1 + log(2π r²/n)]
//! d_R(θ) = log|L|² + log|R_X|² + (n − p) [1 + log(2π r²/(n − p))]
//! ```
//!
//! Each evaluation builds `ΛᵀZᵀZΛ + I` on its fixed pattern from the rows of `ZΛ` (one
//! `pᵢ`-vector per term per row), so its cost is the numeric factorization.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::cholesky::{factorize_symbolic_cholesky, supernodal::SupernodalLltRef, SymbolicCholesky, SymbolicCholeskyRaw, SymmetricOrdering};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, Mat, Par};

use crate::error::{Error, Result};

use super::model_frame::ModelFrame;

/// One evaluation at θ.
///
/// ```
/// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
/// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
/// let pd = ProfiledDeviance::new(&frame, true)?;
/// let e = pd.evaluate(&pd.initial_theta())?;
/// assert_eq!((e.beta.len(), e.u.len()), (2, 36));
/// assert!(e.objective.is_finite() && e.pwrss > 0.0);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The deviance (ML) or the REML criterion.
    pub objective: f64,
    /// `log|L|²`.
    pub log_det_l2: f64,
    /// `log|R_X|²`.
    pub log_det_rx2: f64,
    /// The penalized residual sum of squares `r²`.
    pub pwrss: f64,
    /// β̂.
    pub beta: Vec<f64>,
    /// û (spherical random effects), `q` of them.
    pub u: Vec<f64>,
    /// `(R_XᵀR_X)⁻¹`, row-major `[p, p]`.
    pub rx_inverse: Vec<f64>,
}

/// The profiled deviance of one model frame, with its sparse pattern and symbolic factor.
///
/// ```
/// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
/// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
/// let pd = ProfiledDeviance::new(&frame, true)?;
/// // lme4's θ at the REML optimum (getME(fit, "theta")) gives its REML criterion, 1743.6.
/// let e = pd.evaluate(&[0.96672, 0.01516, 0.23090])?;
/// assert!((e.objective - 1743.63).abs() < 0.01, "{}", e.objective);
/// # Ok::<(), probrs::Error>(())
/// ```
pub struct ProfiledDeviance {
    pub(super) n: usize,
    pub(super) p: usize,
    /// Columns of `Z` (`Σ pᵢ ℓᵢ`).
    pub(super) q: usize,
    /// Per term: `(pᵢ, ℓᵢ, first column of Z)`.
    pub(super) term_dims: Vec<(usize, usize, usize)>,
    /// Per term, its first θ index.
    pub(super) theta_offsets: Vec<usize>,
    /// θ's length.
    pub(super) n_theta: usize,
    /// Nonzeros of a row of Z (Σ pᵢ).
    pub(super) k: usize,
    /// Row r's nonzero columns of Z, `[n, k]`.
    pub(super) cols: Vec<usize>,
    /// Row r's term model-matrix entries, `[n, k]` (term i's `pᵢ` entries at its slots).
    pub(super) xz: Vec<f64>,
    pub(super) x: Vec<f64>,
    pub(super) y: Vec<f64>,
    pub(super) xtx: Vec<f64>,
    pub(super) xty: Vec<f64>,
    /// The sparse pattern and symbolic factorization, made on first use (`lmer`'s Schur path
    /// never needs them).
    sparse: std::sync::OnceLock<std::result::Result<SparsePart, String>>,
    pub(super) reml: bool,
}

/// The lower-triangle CSC pattern of `ΛᵀZᵀZΛ + I`, where each row's pairs land, and its
/// symbolic Cholesky factorization (AMD ordering).
struct SparsePart {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    diag_pos: Vec<usize>,
    /// For each row r and slot pair (a ≥ b in column order), the value index, `[n, k(k+1)/2]`.
    pair_pos: Vec<u32>,
    pair_slots: Vec<(usize, usize)>,
    symbolic: SymbolicCholesky<usize>,
}

impl ProfiledDeviance {
    /// Sets up the pattern and the symbolic factorization of a model frame (`reml`: the
    /// REML criterion instead of the deviance).
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
    /// let frame = ModelFrame::new(&Formula::parse("Reaction ~ 1 + (1 | Subject)")?, &sleepstudy()?)?;
    /// assert!(ProfiledDeviance::new(&frame, false).is_ok());
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(frame: &ModelFrame, reml: bool) -> Result<Self> {
        let n = frame.n();
        let p = frame.fixed_names.len();
        let mut term_dims = vec![];
        let mut theta_offsets = vec![];
        let (mut q, mut n_theta) = (0, 0);
        for t in &frame.terms {
            let pi = t.names.len();
            term_dims.push((pi, t.levels.len(), q));
            theta_offsets.push(n_theta);
            q += pi * t.levels.len();
            n_theta += pi * (pi + 1) / 2;
        }
        let k: usize = term_dims.iter().map(|d| d.0).sum();
        let mut cols = vec![0usize; n * k];
        let mut xz = vec![0f64; n * k];
        for r in 0..n {
            let mut s = 0;
            for (t, &(pi, _, off)) in frame.terms.iter().zip(&term_dims) {
                for j in 0..pi {
                    cols[r * k + s] = off + t.codes[r] * pi + j;
                    xz[r * k + s] = t.x[r * pi + j];
                    s += 1;
                }
            }
        }
        let x = frame.x.clone();
        let y = frame.y.clone();
        let mut xtx = vec![0f64; p * p];
        let mut xty = vec![0f64; p];
        for r in 0..n {
            let xr = &x[r * p..(r + 1) * p];
            for a in 0..p {
                xty[a] += xr[a] * y[r];
                for b in 0..p {
                    xtx[a * p + b] += xr[a] * xr[b];
                }
            }
        }
        Ok(ProfiledDeviance { n, p, q, term_dims, theta_offsets, n_theta, k, cols, xz, x, y, xtx, xty, sparse: std::sync::OnceLock::new(), reml })
    }

    /// The sparse part, made on first use.
    fn sparse(&self) -> Result<&SparsePart> {
        self.sparse
            .get_or_init(|| self.build_sparse().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::LinearAlgebra { op: "lmer sparse pattern".into(), reason: e.clone() })
    }

    fn build_sparse(&self) -> Result<SparsePart> {
        let (n, q, k) = (self.n, self.q, self.k);
        let cols = &self.cols;
        // Lower-triangle pattern: the diagonal, and (max, min) of every pair of a row's columns.
        let mut pairs_per_col: Vec<Vec<usize>> = (0..q).map(|c| vec![c]).collect();
        let mut pair_slots = vec![];
        for a in 0..k {
            for b in 0..=a {
                pair_slots.push((a, b));
            }
        }
        for r in 0..n {
            for &(a, b) in &pair_slots {
                let (ca, cb) = (cols[r * k + a], cols[r * k + b]);
                let (hi, lo) = if ca >= cb { (ca, cb) } else { (cb, ca) };
                pairs_per_col[lo].push(hi);
            }
        }
        let mut col_ptr = vec![0usize; q + 1];
        let mut row_idx = vec![];
        for (c, rows) in pairs_per_col.iter_mut().enumerate() {
            rows.sort_unstable();
            rows.dedup();
            row_idx.extend_from_slice(rows);
            col_ptr[c + 1] = row_idx.len();
        }
        let position = |hi: usize, lo: usize| -> usize { col_ptr[lo] + row_idx[col_ptr[lo]..col_ptr[lo + 1]].binary_search(&hi).expect("pattern holds every pair") };
        let diag_pos = (0..q).map(|c| position(c, c)).collect();
        let mut pair_pos = Vec::with_capacity(n * pair_slots.len());
        for r in 0..n {
            for &(a, b) in &pair_slots {
                let (ca, cb) = (cols[r * k + a], cols[r * k + b]);
                let (hi, lo) = if ca >= cb { (ca, cb) } else { (cb, ca) };
                pair_pos.push(u32::try_from(position(hi, lo)).map_err(|_| Error::invalid_shape("random effects", &[q, q], "more than 2³² nonzeros"))?);
            }
        }
        let sym = SymbolicSparseColMatRef::new_checked(q, q, &col_ptr, None, &row_idx);
        let symbolic = factorize_symbolic_cholesky(sym, faer::Side::Lower, SymmetricOrdering::Amd, Default::default()).map_err(|e| Error::LinearAlgebra { op: "lmer symbolic Cholesky".into(), reason: format!("{e:?}") })?;
        Ok(SparsePart { col_ptr, row_idx, diag_pos, pair_pos, pair_slots, symbolic })
    }

    /// lme4's starting point: each `Λᵢ` the identity.
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
    /// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
    /// let pd = ProfiledDeviance::new(&frame, true)?;
    /// assert_eq!(pd.initial_theta(), vec![1.0, 0.0, 1.0]); // (Λ₁₁, Λ₂₁, Λ₂₂)
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn initial_theta(&self) -> Vec<f64> {
        let mut theta = vec![0.0; self.n_theta];
        for (&(pi, _, _), &off) in self.term_dims.iter().zip(&self.theta_offsets) {
            let mut idx = off;
            for j in 0..pi {
                theta[idx] = 1.0;
                idx += pi - j;
            }
        }
        theta
    }

    /// Which entries of θ are diagonal entries of some `Λᵢ` (lme4's lower bound 0).
    pub(super) fn diagonal_mask(&self) -> Vec<bool> {
        let mut mask = vec![false; self.n_theta];
        for (&(pi, _, _), &off) in self.term_dims.iter().zip(&self.theta_offsets) {
            let mut idx = off;
            for j in 0..pi {
                mask[idx] = true;
                idx += pi - j;
            }
        }
        mask
    }

    /// Term i's `Λᵢ` (row-major `pᵢ × pᵢ`, lower triangular) from θ.
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
    /// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
    /// let pd = ProfiledDeviance::new(&frame, true)?;
    /// assert_eq!(pd.lambda_block(&[1.0, 0.5, 2.0], 0), vec![1.0, 0.0, 0.5, 2.0]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn lambda_block(&self, theta: &[f64], i: usize) -> Vec<f64> {
        let pi = self.term_dims[i].0;
        let mut l = vec![0.0; pi * pi];
        let mut idx = self.theta_offsets[i];
        for j in 0..pi {
            for r in j..pi {
                l[r * pi + j] = theta[idx];
                idx += 1;
            }
        }
        l
    }

    /// Row r's `ZΛ` values (its k slots).
    fn z_lambda(&self, lambdas: &[Vec<f64>], out: &mut [f64]) {
        let k = self.k;
        for r in 0..self.n {
            let mut s = 0;
            for (i, &(pi, _, _)) in self.term_dims.iter().enumerate() {
                let l = &lambdas[i];
                for j in 0..pi {
                    // (x Λ)_j = Σ_m x_m Λ_{m j}
                    let mut v = 0.0;
                    for m in j..pi {
                        v += self.xz[r * k + s - j + m] * l[m * pi + j];
                    }
                    out[r * k + s] = v;
                    s += 1;
                }
            }
        }
    }

    /// The deviance or REML criterion at θ, with the solution of the penalized least squares.
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
    /// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
    /// let pd = ProfiledDeviance::new(&frame, true)?;
    /// assert!(pd.evaluate(&[1.0, 0.0]).is_err()); // θ has three entries here
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn evaluate(&self, theta: &[f64]) -> Result<Evaluation> {
        if theta.len() != self.n_theta || theta.iter().any(|t| !t.is_finite()) {
            return Err(Error::invalid_parameter("theta", format!("{} finite values expected, got {theta:?}", self.n_theta)));
        }
        let zl = self.z_lambda_values(theta);
        let factor = self.weighted_factor(&zl, None)?;
        let zlx = self.zl_rhs(&zl);
        let mut sol = zlx.clone();
        self.solve_factored(&factor, sol.as_mut())?;
        let log_det_l2 = factor.log_det;
        self.finish(theta, &zl, &zlx, &sol, log_det_l2)
    }

    /// From the solution `[W | v]` of `A [W | v] = [ΛᵀZᵀX | ΛᵀZᵀy]` (and `log|L|²`): β̂, û, r²
    /// and the objective.
    pub(super) fn finish(&self, theta: &[f64], zl: &[f64], zlx: &Mat<f64>, sol: &Mat<f64>, log_det_l2: f64) -> Result<Evaluation> {
        let (n, p, q, k) = (self.n, self.p, self.q, self.k);
        // R_XᵀR_X = XᵀX − (ΛᵀZᵀX)ᵀ W; its right-hand side Xᵀy − (ΛᵀZᵀX)ᵀ v.
        let mut sx = Mat::<f64>::from_fn(p, p, |a, b| self.xtx[a * p + b]);
        let mut bx = self.xty.clone();
        for a in 0..p {
            for c in 0..q {
                let za = zlx[(c, a)];
                if za != 0.0 {
                    for b in 0..p {
                        sx[(a, b)] -= za * sol[(c, b)];
                    }
                    bx[a] -= za * sol[(c, p)];
                }
            }
        }
        let (beta, log_det_rx2, rx_inverse) = if p > 0 {
            let llt = sx.llt(faer::Side::Lower).map_err(|_| Error::LinearAlgebra { op: "lmer fixed effects".into(), reason: format!("R_XᵀR_X is not positive definite at θ = {theta:?}") })?;
            use faer::linalg::solvers::{DenseSolveCore, SolveCore};
            let mut b = Mat::<f64>::from_fn(p, 1, |i, _| bx[i]);
            llt.solve_in_place_with_conj(Conj::No, b.as_mut());
            let ld = 2.0 * (0..p).map(|i| llt.L()[(i, i)].ln()).sum::<f64>();
            let inv = llt.inverse();
            ((0..p).map(|i| b[(i, 0)]).collect::<Vec<f64>>(), ld, (0..p * p).map(|k| inv[(k / p, k % p)]).collect())
        } else {
            (vec![], 0.0, vec![])
        };
        // û = v − W β̂.
        let u: Vec<f64> = (0..q).map(|c| sol[(c, p)] - (0..p).map(|j| sol[(c, j)] * beta[j]).sum::<f64>()).collect();
        let mut pwrss: f64 = u.iter().map(|v| v * v).sum();
        for r in 0..n {
            let fit: f64 = (0..p).map(|j| self.x[r * p + j] * beta[j]).sum::<f64>() + (0..k).map(|a| zl[r * k + a] * u[self.cols[r * k + a]]).sum::<f64>();
            pwrss += (self.y[r] - fit).powi(2);
        }
        let nf = n as f64;
        let objective = if self.reml {
            let dof = (n - p) as f64;
            log_det_l2 + log_det_rx2 + dof * (1.0 + (2.0 * std::f64::consts::PI * pwrss / dof).ln())
        } else {
            log_det_l2 + nf * (1.0 + (2.0 * std::f64::consts::PI * pwrss / nf).ln())
        };
        Ok(Evaluation { objective, log_det_l2, log_det_rx2, pwrss, beta, u, rx_inverse })
    }

    /// `ZΛu` per row at θ (the random part of the fitted values).
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
    /// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
    /// let pd = ProfiledDeviance::new(&frame, true)?;
    /// let theta = pd.initial_theta();
    /// let e = pd.evaluate(&theta)?;
    /// assert_eq!(pd.z_lambda_u(&theta, &e.u).len(), 180);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn z_lambda_u(&self, theta: &[f64], u: &[f64]) -> Vec<f64> {
        self.zl_times(&self.z_lambda_values(theta), u)
    }

    /// `Xβ` per row.
    ///
    /// ```
    /// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame, ProfiledDeviance};
    /// let frame = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
    /// let pd = ProfiledDeviance::new(&frame, true)?;
    /// assert_eq!(pd.x_beta(&[1.0, 0.0])[0], 1.0);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn x_beta(&self, beta: &[f64]) -> Vec<f64> {
        (0..self.n).map(|r| (0..self.p).map(|j| self.x[r * self.p + j] * beta[j]).sum()).collect()
    }
}

/// The sparse Cholesky factor of `ΛᵀZᵀWZΛ + I` for row weights `W` (glmer's penalized
/// iteratively reweighted least squares), with `ZΛ`'s row values it was built from.
pub(crate) struct WeightedFactor {
    l_values: Vec<f64>,
    /// `log|L|²`.
    pub(crate) log_det: f64,
}

impl ProfiledDeviance {
    /// `ZΛ`'s values at θ, `[n, k]` (row r's k nonzeros, at the columns of `cols`).
    pub(crate) fn z_lambda_values(&self, theta: &[f64]) -> Vec<f64> {
        let lambdas: Vec<Vec<f64>> = (0..self.term_dims.len()).map(|i| self.lambda_block(theta, i)).collect();
        let mut zl = vec![0f64; self.n * self.k];
        self.z_lambda(&lambdas, &mut zl);
        zl
    }

    /// `ZΛ u`.
    pub(crate) fn zl_times(&self, zl: &[f64], u: &[f64]) -> Vec<f64> {
        let k = self.k;
        (0..self.n).map(|r| (0..k).map(|a| zl[r * k + a] * u[self.cols[r * k + a]]).sum()).collect()
    }

    /// `(ZΛ)ᵀ v`.
    pub(crate) fn zl_transpose_times(&self, zl: &[f64], v: &[f64]) -> Vec<f64> {
        let k = self.k;
        let mut out = vec![0f64; self.q];
        for r in 0..self.n {
            for a in 0..k {
                out[self.cols[r * k + a]] += zl[r * k + a] * v[r];
            }
        }
        out
    }

    /// The right-hand sides `[ΛᵀZᵀX | ΛᵀZᵀy]`, `q × (p + 1)`.
    pub(super) fn zl_rhs(&self, zl: &[f64]) -> Mat<f64> {
        let (p, k) = (self.p, self.k);
        let mut rhs = Mat::<f64>::zeros(self.q, p + 1);
        for r in 0..self.n {
            let xr = &self.x[r * p..(r + 1) * p];
            for (a, za) in zl[r * k..(r + 1) * k].iter().enumerate() {
                let c = self.cols[r * k + a];
                for j in 0..p {
                    rhs[(c, j)] += za * xr[j];
                }
                rhs[(c, p)] += za * self.y[r];
            }
        }
        rhs
    }

    /// Factors `ΛᵀZᵀWZΛ + I` (`w = None`: unit weights, `lmer`'s `ΛᵀZᵀZΛ + I`).
    pub(crate) fn weighted_factor(&self, zl: &[f64], w: Option<&[f64]>) -> Result<WeightedFactor> {
        let sp = self.sparse()?;
        let (n, q, k) = (self.n, self.q, self.k);
        let mut values = vec![0f64; sp.row_idx.len()];
        for &d in &sp.diag_pos {
            values[d] = 1.0;
        }
        let np = sp.pair_slots.len();
        for r in 0..n {
            let z = &zl[r * k..(r + 1) * k];
            let pairs = sp.pair_pos[r * np..(r + 1) * np].iter().zip(&sp.pair_slots);
            match w {
                Some(w) => pairs.for_each(|(pos, &(a, b))| values[*pos as usize] += w[r] * z[a] * z[b]),
                None => pairs.for_each(|(pos, &(a, b))| values[*pos as usize] += z[a] * z[b]),
            }
        }
        let par = Par::Seq;
        let mut l_values = vec![0f64; sp.symbolic.len_val()];
        let a = SparseColMatRef::new(SymbolicSparseColMatRef::new_checked(q, q, &sp.col_ptr, None, &sp.row_idx), &values);
        let mut mem = MemBuffer::new(sp.symbolic.factorize_numeric_llt_scratch::<f64>(par, Default::default()));
        sp.symbolic
            .factorize_numeric_llt(&mut l_values, a, faer::Side::Lower, Default::default(), par, MemStack::new(&mut mem), Default::default())
            .map_err(|e| Error::LinearAlgebra { op: "sparse Cholesky of ΛᵀZᵀWZΛ + I".into(), reason: format!("{e:?}") })?;
        let log_det = 2.0 * log_diag_sum(&sp.symbolic, &l_values);
        Ok(WeightedFactor { l_values, log_det })
    }

    /// Solves `(ΛᵀZᵀWZΛ + I) X = rhs` in place, for any number of columns.
    pub(super) fn solve_factored(&self, f: &WeightedFactor, rhs: faer::MatMut<'_, f64>) -> Result<()> {
        let sp = self.sparse()?;
        let par = Par::Seq;
        let mut mem = MemBuffer::new(sp.symbolic.solve_in_place_scratch::<f64>(rhs.ncols(), par));
        faer::sparse::linalg::cholesky::LltRef::new(&sp.symbolic, &f.l_values).solve_in_place_with_conj(Conj::No, rhs, par, MemStack::new(&mut mem));
        Ok(())
    }

    /// Solves `(ΛᵀZᵀWZΛ + I) x = rhs` in place, one vector.
    pub(crate) fn solve_weighted(&self, f: &WeightedFactor, rhs: &mut [f64]) -> Result<()> {
        let mut m = Mat::<f64>::from_fn(self.q, 1, |i, _| rhs[i]);
        self.solve_factored(f, m.as_mut())?;
        for (i, v) in rhs.iter_mut().enumerate() {
            *v = m[(i, 0)];
        }
        Ok(())
    }
}

/// `Σ log L_jj` of a numeric factor.
fn log_diag_sum(symbolic: &SymbolicCholesky<usize>, values: &[f64]) -> f64 {
    match symbolic.raw() {
        SymbolicCholeskyRaw::Simplicial(s) => {
            let (cp, ri) = (s.col_ptr(), s.row_idx());
            (0..s.ncols()).map(|j| {
                let start = cp[j];
                debug_assert_eq!(ri[start], j);
                values[start].ln()
            }).sum()
        }
        SymbolicCholeskyRaw::Supernodal(s) => {
            let l = SupernodalLltRef::new(s, values);
            (0..s.n_supernodes()).map(|k| {
                let m = l.supernode(k).val();
                (0..m.ncols()).map(|j| m[(j, j)].ln()).sum::<f64>()
            }).sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixed_effects::{DataFrame, Formula};

    /// A small crossed design; the deviance against a dense computation of the marginal
    /// likelihood: y ~ N(Xβ, σ²(ZΛΛᵀZᵀ + I)) maximized over β and σ.
    #[test]
    fn the_profiled_deviance_equals_the_dense_marginal_likelihood() {
        let mut csv = String::from("y,x,g,h\n");
        for i in 0..24 {
            let y = (i as f64 * 0.37).sin() * 3.0 + (i % 4) as f64;
            csv.push_str(&format!("{y},{},{},{}\n", (i % 5) as f64 * 0.5, i % 4, i % 3));
        }
        let df = DataFrame::from_csv_str(&csv, "t").unwrap();
        let frame = ModelFrame::new(&Formula::parse("y ~ x + (x | g) + (1 | h)").unwrap(), &df).unwrap();
        for reml in [false, true] {
            let pd = ProfiledDeviance::new(&frame, reml).unwrap();
            let theta = vec![0.8, 0.3, 0.5, 1.2];
            let e = pd.evaluate(&theta).unwrap();
            // Dense: V = ZΛΛᵀZᵀ + I (n × n), GLS β, σ² = rᵀV⁻¹r / n (or n − p for REML).
            let n = frame.n();
            let p = 2;
            let mut zl_rows = vec![vec![0.0; pd.q]; n];
            let zl = pd.z_lambda_values(&theta);
            for r in 0..n {
                for a in 0..pd.k {
                    zl_rows[r][pd.cols[r * pd.k + a]] += zl[r * pd.k + a];
                }
            }
            let v = Mat::<f64>::from_fn(n, n, |i, j| (0..pd.q).map(|c| zl_rows[i][c] * zl_rows[j][c]).sum::<f64>() + (i == j) as u8 as f64);
            use faer::linalg::solvers::DenseSolveCore;
            let vllt = v.llt(faer::Side::Lower).unwrap();
            let vinv = vllt.inverse();
            let logdet_v = 2.0 * (0..n).map(|i| vllt.L()[(i, i)].ln()).sum::<f64>();
            let xm = Mat::<f64>::from_fn(n, p, |i, j| frame.x[i * p + j]);
            let ym = Mat::<f64>::from_fn(n, 1, |i, _| frame.y[i]);
            let xtvx = xm.transpose() * &vinv * &xm;
            let xtvy = xm.transpose() * &vinv * &ym;
            let beta = xtvx.llt(faer::Side::Lower).unwrap().inverse() * &xtvy;
            let r = &ym - &xm * &beta;
            let rvr = (r.transpose() * &vinv * &r)[(0, 0)];
            let nf = n as f64;
            let want = if reml {
                let dof = nf - p as f64;
                let ld_xtvx = 2.0 * (0..p).map(|i| xtvx.llt(faer::Side::Lower).unwrap().L()[(i, i)].ln()).sum::<f64>();
                logdet_v + ld_xtvx + dof * (1.0 + (2.0 * std::f64::consts::PI * rvr / dof).ln())
            } else {
                logdet_v + nf * (1.0 + (2.0 * std::f64::consts::PI * rvr / nf).ln())
            };
            assert!((e.objective - want).abs() < 1e-9 * want.abs(), "reml = {reml}: {} vs dense {want}", e.objective);
            for j in 0..p {
                assert!((e.beta[j] - beta[(j, 0)]).abs() < 1e-9, "β_{j}");
            }
        }
    }
}
