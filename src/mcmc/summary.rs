//! A posterior summary table, as ArviZ's `summary`, R `posterior`'s `summarise_draws` and
//! CmdStan's `stansummary` print it: per quantity the mean, sd, 5% and 95% quantiles, the Monte
//! Carlo standard errors of the mean and sd, bulk and tail ESS and the rank-normalized R-hat,
//! with the run's divergent transitions counted per chain.

use super::cmdstan_csv::CmdStanCsv;
use super::diagnostics::{ess_bulk, ess_tail, mcse_mean, mcse_sd, mean, quantile_sorted, rhat, var};
use crate::error::{Error, Result};

/// One quantity's line of the table.
///
/// ```
/// use probrs::mcmc::summarize;
/// let chains = vec![vec![vec![0.1, 0.5, 0.3, 0.9, 0.2, 0.4, 0.8, 0.6]], vec![vec![0.3, 0.7, 0.1, 0.5, 0.6, 0.2, 0.4, 0.9]]];
/// let rows = summarize(&["theta".to_string()], &chains)?;
/// assert_eq!(rows[0].name, "theta");
/// assert!((rows[0].mean - 0.46875).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryRow {
    /// The quantity's name.
    pub name: String,
    /// Mean of all draws.
    pub mean: f64,
    /// Standard deviation of all draws (n − 1).
    pub sd: f64,
    /// 5% quantile (type 7, as R and numpy).
    pub q5: f64,
    /// Median.
    pub median: f64,
    /// 95% quantile.
    pub q95: f64,
    /// Monte Carlo standard error of the mean.
    pub mcse_mean: f64,
    /// Monte Carlo standard error of the sd.
    pub mcse_sd: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size.
    pub ess_tail: f64,
    /// Rank-normalized split R-hat.
    pub r_hat: f64,
}

/// The table for `names.len()` quantities: `chains[c][j]` holds the draws of quantity `j` in
/// chain `c`.
///
/// ```
/// use probrs::mcmc::summarize;
/// // Two quantities, two chains of six draws.
/// let c1 = vec![vec![1.0, 2.0, 3.0, 2.0, 1.0, 2.0], vec![5.0, 5.5, 6.0, 5.0, 4.5, 5.0]];
/// let c2 = vec![vec![2.0, 1.0, 2.0, 3.0, 2.0, 1.0], vec![5.5, 5.0, 4.5, 6.0, 5.0, 5.5]];
/// let rows = summarize(&["a".into(), "b".into()], &[c1, c2])?;
/// assert_eq!(rows.len(), 2);
/// assert!((rows[1].mean - 5.208333333333333).abs() < 1e-12);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn summarize(names: &[String], chains: &[Vec<Vec<f64>>]) -> Result<Vec<SummaryRow>> {
    if let Some((c, bad)) = chains.iter().enumerate().find(|(_, c)| c.len() != names.len()) {
        return Err(Error::invalid_parameter("chains", format!("chain {c} has {} quantities, {} are named", bad.len(), names.len())));
    }
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let x: Vec<&[f64]> = chains.iter().map(|c| c[j].as_slice()).collect();
            let mut all: Vec<f64> = x.iter().flat_map(|c| c.iter().copied()).collect();
            if all.len() < 2 {
                return Err(Error::invalid_parameter("chains", format!("{name} has {} draws", all.len())));
            }
            let (mean, sd) = (mean(&all), var(&all).sqrt());
            all.sort_by(f64::total_cmp);
            let err = |e: Error| Error::invalid_parameter("chains", format!("{name}: {e}"));
            Ok(SummaryRow {
                name: name.clone(),
                mean,
                sd,
                q5: quantile_sorted(&all, 0.05),
                median: quantile_sorted(&all, 0.5),
                q95: quantile_sorted(&all, 0.95),
                mcse_mean: mcse_mean(&x).map_err(err)?,
                mcse_sd: mcse_sd(&x).map_err(err)?,
                ess_bulk: ess_bulk(&x).map_err(err)?,
                ess_tail: ess_tail(&x).map_err(err)?,
                r_hat: rhat(&x).map_err(err)?,
            })
        })
        .collect()
}

/// The summary of CmdStan CSV chains: one row per column (sampler columns other than `lp__`,
/// those ending in `__`, left out) and the divergent transitions of each chain.
///
/// ```
/// use probrs::mcmc::{summarize_cmdstan, CmdStanCsv};
/// let a = CmdStanCsv::parse("lp__,divergent__,mu\n-1,0,0.1\n-2,1,0.4\n-1.5,0,0.2\n-1.2,0,0.3\n", "a.csv")?;
/// let b = CmdStanCsv::parse("lp__,divergent__,mu\n-1.1,0,0.3\n-1.7,0,0.1\n-1.4,0,0.2\n-1.3,0,0.5\n", "b.csv")?;
/// let s = summarize_cmdstan(&[a, b])?;
/// assert_eq!(s.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), vec!["lp__", "mu"]);
/// assert_eq!(s.divergences, vec![1, 0]);
/// # Ok::<(), probrs::Error>(())
/// ```
pub fn summarize_cmdstan(chains: &[CmdStanCsv]) -> Result<CmdStanSummary> {
    let first = chains.first().ok_or_else(|| Error::invalid_parameter("chains", "no chains"))?;
    for (c, chain) in chains.iter().enumerate() {
        if chain.names != first.names {
            return Err(Error::invalid_parameter("chains", format!("chain {c}'s columns differ from chain 0's")));
        }
    }
    let keep: Vec<usize> = (0..first.names.len()).filter(|&j| first.names[j] == "lp__" || !first.names[j].ends_with("__")).collect();
    let names: Vec<String> = keep.iter().map(|&j| first.names[j].clone()).collect();
    let draws: Vec<Vec<Vec<f64>>> = chains.iter().map(|c| keep.iter().map(|&j| c.columns[j].clone()).collect()).collect();
    let divergences = chains.iter().map(|c| c.column("divergent__").map_or(0, |d| d.iter().filter(|v| **v != 0.0).count())).collect();
    Ok(CmdStanSummary { rows: summarize(&names, &draws)?, divergences, draws_per_chain: chains.iter().map(CmdStanCsv::num_draws).collect() })
}

/// What [`summarize_cmdstan`] returns.
///
/// ```
/// use probrs::mcmc::{summarize_cmdstan, CmdStanCsv};
/// let a = CmdStanCsv::parse("mu\n0.1\n0.4\n0.2\n0.3\n", "a.csv")?;
/// let s = summarize_cmdstan(&[a])?;
/// assert_eq!((s.rows.len(), s.divergences.clone(), s.draws_per_chain.clone()), (1, vec![0], vec![4]));
/// # Ok::<(), probrs::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CmdStanSummary {
    /// One row per quantity.
    pub rows: Vec<SummaryRow>,
    /// Divergent transitions per chain (0 where the file has no `divergent__` column).
    pub divergences: Vec<usize>,
    /// Draws per chain.
    pub draws_per_chain: Vec<usize>,
}
