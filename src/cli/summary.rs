//! `probrs summary chain1.csv chain2.csv ...`: the posterior summary of CmdStan-format chains
//! (Stan's own or probrs's), as CmdStan's `stansummary` prints it; `--json` for one object.

use probrs::mcmc::{summarize_cmdstan, CmdStanCsv};

/// Reads the chains and prints the table (or JSON).
pub(crate) fn run(files: &[String], json: bool) -> probrs::Result<()> {
    if files.is_empty() {
        return Err(probrs::Error::BadInput { location: "probrs summary".into(), reason: "no CSV files given".into() });
    }
    let chains = files.iter().map(CmdStanCsv::read).collect::<probrs::Result<Vec<_>>>()?;
    let s = summarize_cmdstan(&chains)?;
    if json {
        let rows: Vec<serde_json::Value> = s
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name, "mean": r.mean, "sd": r.sd, "q5": r.q5, "median": r.median, "q95": r.q95,
                    "mcse_mean": r.mcse_mean, "mcse_sd": r.mcse_sd, "ess_bulk": r.ess_bulk, "ess_tail": r.ess_tail, "r_hat": r.r_hat,
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "chains": files.len(), "draws_per_chain": s.draws_per_chain, "divergences": s.divergences, "summary": rows }));
        return Ok(());
    }
    let width = s.rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!("{} chains, {} draws; divergent transitions per chain: {:?}", files.len(), s.draws_per_chain.iter().sum::<usize>(), s.divergences);
    println!("{:<width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8} {:>6}", "", "mean", "sd", "5%", "50%", "95%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat");
    for r in &s.rows {
        println!(
            "{:<width$} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>9.4} {:>9.4} {:>8.0} {:>8.0} {:>6.3}",
            r.name, r.mean, r.sd, r.q5, r.median, r.q95, r.mcse_mean, r.mcse_sd, r.ess_bulk, r.ess_tail, r.r_hat
        );
    }
    Ok(())
}
