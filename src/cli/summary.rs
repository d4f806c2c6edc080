//! `probrs summary chain1.csv chain2.csv ...`: the posterior summary of CmdStan-format chains
//! (Stan's own or probrs's), as CmdStan's `stansummary` prints it; `--json` for one object.
//! The table and the JSON are shared with `probrs sample`.

use probrs::mcmc::{summarize_cmdstan, CmdStanCsv, CmdStanSummary};

/// Reads the chains and prints the table (or JSON).
pub(crate) fn run(files: &[String], json: bool) -> probrs::Result<()> {
    if files.is_empty() {
        return Err(probrs::Error::BadInput { location: "probrs summary".into(), reason: "no CSV files given".into() });
    }
    let chains = files.iter().map(CmdStanCsv::read).collect::<probrs::Result<Vec<_>>>()?;
    let s = summarize_cmdstan(&chains)?;
    if json {
        println!("{}", to_json(&s));
    } else {
        print_table(&s);
    }
    Ok(())
}

/// The summary as one JSON object.
pub(crate) fn to_json(s: &CmdStanSummary) -> serde_json::Value {
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
    serde_json::json!({ "chains": s.draws_per_chain.len(), "draws_per_chain": s.draws_per_chain, "divergences": s.divergences, "summary": rows })
}

/// The summary as stansummary's table.
pub(crate) fn print_table(s: &CmdStanSummary) {
    let width = s.rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!("{} chains, {} draws; divergent transitions per chain: {:?}", s.draws_per_chain.len(), s.draws_per_chain.iter().sum::<usize>(), s.divergences);
    println!("{:<width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>8} {:>8} {:>6}", "", "mean", "sd", "5%", "50%", "95%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat");
    for r in &s.rows {
        println!(
            "{:<width$} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>9.4} {:>9.4} {:>8.0} {:>8.0} {:>6.3}",
            r.name, r.mean, r.sd, r.q5, r.median, r.q95, r.mcse_mean, r.mcse_sd, r.ess_bulk, r.ess_tail, r.r_hat
        );
    }
}
