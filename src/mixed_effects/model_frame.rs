//! From a formula and a data frame to the matrices of a mixed model: the response `y`, the
//! fixed-effects model matrix `X` (R's column names and treatment contrasts), and per
//! random-effects term its grouping factor and its own model matrix `Xᵢ` — the pieces of lme4's
//! `Z` (each term contributes `Xᵢ` rows placed at the columns of the row's level).
//!
//! Coding, as R's `model.matrix`: a numeric column is one column; a factor (a non-numeric
//! column, or `factor(x)`) is one indicator column per level after the first when the
//! intercept is in, named `x<level>` (all levels for the first factor of a model without an
//! intercept); an interaction multiplies its variables' columns (names joined by `:`). lme4
//! orders the random-effects terms by their number of levels, most first; so does this.

use crate::error::{Error, Result};

use super::data_frame::{Column, DataFrame};
use super::formula::{Formula, Terms, Variable};

/// One random-effects term, ready for the model.
///
/// ```
/// use probrs::mixed_effects::{sleepstudy, Formula, ModelFrame};
/// let m = ModelFrame::new(&Formula::parse("Reaction ~ Days + (Days | Subject)")?, &sleepstudy()?)?;
/// let t = &m.terms[0];
/// assert_eq!((t.group.as_str(), t.levels.len(), t.names.len(), t.x.len()), ("Subject", 18, 2, 360));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RandomEffectsTerm {
    /// The grouping factor's name (`Subject`, `school:class`).
    pub group: String,
    /// Its levels.
    pub levels: Vec<String>,
    /// Each row's level.
    pub codes: Vec<usize>,
    /// The term's effects (`(Intercept)`, `Days`).
    pub names: Vec<String>,
    /// The term's model matrix, row-major `[n, names.len()]`.
    pub x: Vec<f64>,
}

/// The matrices of a mixed model.
///
/// ```
/// use probrs::mixed_effects::{DataFrame, Formula, ModelFrame};
/// // A factor with three levels: two indicator columns after the intercept; the NA row is dropped.
/// let df = DataFrame::from_csv_str("y,k,g\n1,a,u\n2,b,u\n3,c,v\nNA,a,v\n", "t")?;
/// let m = ModelFrame::new(&Formula::parse("y ~ k + (1 | g)")?, &df)?;
/// assert_eq!(m.fixed_names, ["(Intercept)", "kb", "kc"]);
/// assert_eq!(m.rows, [0, 1, 2]);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ModelFrame {
    /// The response.
    pub y: Vec<f64>,
    /// `X`, row-major `[n, p]`.
    pub x: Vec<f64>,
    /// `X`'s column names.
    pub fixed_names: Vec<String>,
    /// The random-effects terms, most levels first.
    pub terms: Vec<RandomEffectsTerm>,
    /// Rows kept (rows with a missing value in a used column are dropped, as R's `na.omit`).
    pub rows: Vec<usize>,
    /// Binomial trials per row, from a `cbind(successes, failures)` response.
    pub trials: Option<Vec<f64>>,
}

impl ModelFrame {
    /// Builds the matrices; errors name the column (missing, not numeric, a grouping factor
    /// with one level) or the rank-deficient fixed-effects column.
    ///
    /// ```
    /// use probrs::mixed_effects::{DataFrame, Formula, ModelFrame};
    /// let df = DataFrame::from_csv_str("y,x,g\n1,0,a\n2,1,a\n3,0,b\n5,1,b\n", "t.csv")?;
    /// let m = ModelFrame::new(&Formula::parse("y ~ x + (x | g)")?, &df)?;
    /// assert_eq!(m.fixed_names, ["(Intercept)", "x"]);
    /// assert_eq!(m.terms[0].names, ["(Intercept)", "x"]);
    /// assert_eq!(m.terms[0].levels, ["a", "b"]);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn new(formula: &Formula, data: &DataFrame) -> Result<Self> {
        // Rows with a missing (NaN) value in any numeric column the formula uses are dropped.
        let mut used: Vec<&str> = vec![formula.response.as_str()];
        used.extend(formula.failures.as_deref());
        for t in std::iter::once(&formula.fixed).chain(formula.random.iter().map(|r| &r.effects)) {
            for term in &t.terms {
                for v in term {
                    used.push(v.name.as_str());
                }
            }
        }
        let n_all = data.nrows();
        let mut keep = vec![true; n_all];
        for name in &used {
            if let Column::Numeric(v) = data.column(name)? {
                v.iter().zip(keep.iter_mut()).for_each(|(x, k)| *k &= !x.is_nan());
            }
        }
        let rows: Vec<usize> = (0..n_all).filter(|i| keep[*i]).collect();
        if rows.is_empty() {
            return Err(Error::BadInput { location: data.source().to_string(), reason: "no complete rows for the formula's columns".into() });
        }
        let y_all = data.numeric(&formula.response)?;
        let y: Vec<f64> = rows.iter().map(|i| y_all[*i]).collect();
        let trials = match &formula.failures {
            Some(f) => {
                let fail = data.numeric(f)?;
                Some(rows.iter().map(|i| y_all[*i] + fail[*i]).collect())
            }
            None => None,
        };
        let (fixed_names, x) = model_matrix(&formula.fixed, data, &rows)?;
        let mut terms = vec![];
        for r in &formula.random {
            let (names, xi) = model_matrix(&r.effects, data, &rows)?;
            let group = r.group.join(":");
            let mut labels: Vec<String> = vec![String::new(); rows.len()];
            for g in &r.group {
                let (levels, codes) = data.factor(g)?;
                for (k, i) in rows.iter().enumerate() {
                    if !labels[k].is_empty() {
                        labels[k].push(':');
                    }
                    labels[k].push_str(&levels[codes[*i]]);
                }
            }
            let (levels, codes) = levels_of(&labels);
            if levels.len() < 2 {
                return Err(Error::BadInput { location: format!("{}: grouping factor `{group}`", data.source()), reason: format!("has {} level; a random effect needs at least 2", levels.len()) });
            }
            terms.push(RandomEffectsTerm { group, levels, codes, names, x: xi });
        }
        terms.sort_by_key(|t| std::cmp::Reverse(t.levels.len()));
        Ok(ModelFrame { y, x, fixed_names, terms, rows, trials })
    }

    /// Observations.
    ///
    /// ```
    /// use probrs::mixed_effects::{DataFrame, Formula, ModelFrame};
    /// let df = DataFrame::from_csv_str("y,g\n1,a\n2,b\n3,a\n", "t")?;
    /// assert_eq!(ModelFrame::new(&Formula::parse("y ~ (1|g)")?, &df)?.n(), 3);
    /// # Ok::<(), probrs::Error>(())
    /// ```
    pub fn n(&self) -> usize {
        self.y.len()
    }
}

/// Levels in first-appearance order sorted as R sorts factor levels (numerically when all are
/// numbers), with each row's code.
fn levels_of(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut levels: Vec<String> = labels.to_vec();
    levels.sort();
    levels.dedup();
    let numeric = |s: &str| s.split(':').map(|p| p.parse::<f64>().ok()).collect::<Option<Vec<f64>>>();
    if levels.iter().all(|l| numeric(l).is_some()) {
        levels.sort_by(|a, b| numeric(a).unwrap_or_default().partial_cmp(&numeric(b).unwrap_or_default()).unwrap_or(std::cmp::Ordering::Equal));
    }
    let index: std::collections::HashMap<&str, usize> = levels.iter().enumerate().map(|(k, l)| (l.as_str(), k)).collect();
    let codes = labels.iter().map(|l| index[l.as_str()]).collect();
    (levels, codes)
}

/// The columns of one variable over the kept rows: `(names, columns)`.
fn variable_columns(v: &Variable, data: &DataFrame, rows: &[usize], full_coding: bool) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let column = data.column(&v.name)?;
    let as_factor = v.as_factor || matches!(column, Column::Factor { .. });
    if !as_factor {
        let x = data.numeric(&v.name)?;
        return Ok((vec![v.name.clone()], vec![rows.iter().map(|i| x[*i]).collect()]));
    }
    let (levels, codes) = data.factor(&v.name)?;
    let label = if v.as_factor { format!("factor({})", v.name) } else { v.name.clone() };
    let first = if full_coding { 0 } else { 1 };
    let mut names = vec![];
    let mut cols = vec![];
    for (l, level) in levels.iter().enumerate().skip(first) {
        names.push(format!("{label}{level}"));
        cols.push(rows.iter().map(|i| (codes[*i] == l) as u8 as f64).collect());
    }
    Ok((names, cols))
}

/// R's `model.matrix` for one side's terms: `(column names, X row-major)`.
fn model_matrix(t: &Terms, data: &DataFrame, rows: &[usize]) -> Result<(Vec<String>, Vec<f64>)> {
    let n = rows.len();
    let mut names: Vec<String> = vec![];
    let mut cols: Vec<Vec<f64>> = vec![];
    if t.intercept {
        names.push("(Intercept)".into());
        cols.push(vec![1.0; n]);
    }
    let mut full_coding_used = t.intercept;
    for term in &t.terms {
        let mut term_names = vec![String::new()];
        let mut term_cols = vec![vec![1.0; n]];
        for v in term {
            let full = !full_coding_used && term.len() == 1;
            let (vn, vc) = variable_columns(v, data, rows, full)?;
            if full && vn.len() > 1 {
                full_coding_used = true;
            }
            let mut nn = vec![];
            let mut nc = vec![];
            for (a, ca) in term_names.iter().zip(&term_cols) {
                for (b, cb) in vn.iter().zip(&vc) {
                    nn.push(if a.is_empty() { b.clone() } else { format!("{a}:{b}") });
                    nc.push(ca.iter().zip(cb).map(|(x, y)| x * y).collect());
                }
            }
            term_names = nn;
            term_cols = nc;
        }
        names.extend(term_names);
        cols.extend(term_cols);
    }
    let p = cols.len();
    let mut x = vec![0.0; n * p];
    for (j, c) in cols.iter().enumerate() {
        for (i, v) in c.iter().enumerate() {
            x[i * p + j] = *v;
        }
    }
    Ok((names, x))
}
