//! `probrs fit`: maximum likelihood for a named family on one CSV column, with a report (text
//! or JSON), plots and a saved fit.
//!
//! Built with feature `mpi`, `mpirun -np 2 probrs fit FAMILY data.csv` sums the likelihood over
//! the ranks (each rank evaluates its block of the rows; a file missing on one rank is named),
//! and only rank 0 prints and writes. The fit is the same on any number of ranks.

use super::{bar, check_plot_paths};

fn report_json(r: &probrs::fit::FitReport) -> serde_json::Value {
    let params: serde_json::Map<String, serde_json::Value> = r.parameters.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    serde_json::json!({
        "family": r.family, "parameters": params, "standard_errors": r.standard_errors,
        "log_likelihood": r.log_likelihood, "aic": r.aic(), "bic": r.bic(), "num_points": r.num_points, "steps": r.steps,
        "estimate": match r.estimate {
            probrs::fit::Estimate::ClosedForm => serde_json::json!({"method": "closed_form"}),
            probrs::fit::Estimate::Lbfgs { iterations, converged } => serde_json::json!({"method": "lbfgs", "iterations": iterations, "converged": converged}),
        },
    })
}

fn print_report(r: &probrs::fit::FitReport) {
    let finish = match r.estimate {
        probrs::fit::Estimate::ClosedForm => "then the closed-form MLE".to_string(),
        probrs::fit::Estimate::Lbfgs { iterations, converged: true } => format!("then {iterations} L-BFGS iterations to the MLE"),
        probrs::fit::Estimate::Lbfgs { iterations, converged: false } => format!("then {iterations} L-BFGS iterations, not converged"),
    };
    println!("{} fitted to {} points ({} Adam steps, {finish}):", r.family, r.num_points, r.steps);
    for (i, (k, v)) in r.parameters.iter().enumerate() {
        let se = r.standard_errors.as_ref().map(|s| format!("   (se {:.6})", s[i])).unwrap_or_default();
        println!("  {k} = {}{se}", v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", "));
    }
    println!("  log-likelihood = {:.6}   AIC = {:.4}   BIC = {:.4}", r.log_likelihood, r.aic(), r.bic());
    if r.standard_errors.is_none() {
        println!("  (no standard errors: the maximum lies on the support's boundary or the information is singular)");
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn run(family: &str, data: &str, column: Option<&str>, opts: probrs::fit::FitOptions, plot: Option<&str>, loss_plot: Option<&str>, save: Option<&str>, json: bool, quiet: bool, ranks: &super::ranks::Ranks) -> probrs::Result<()> {
    // Every rank reads the file; one that cannot is named on every rank.
    let x = ranks.agree((|| {
        check_plot_paths(&[plot, loss_plot])?;
        if let Some(p) = save {
            probrs::save::check_path(p)?;
        }
        probrs::fit::read_csv_column(data, column)
    })())?;
    let root = ranks.is_root();
    let quiet = quiet || !root;
    let best = if family.eq_ignore_ascii_case("auto") {
        let n = probrs::fit::continuous_families().count();
        let b = bar(quiet, n, "families");
        let r = probrs::fit::rank_families_with_progress(&x, &opts, Some(b.callback()));
        b.finish();
        let (ranked, skipped) = r?;
        if !root {
            return Ok(()); // the same fits on every rank; rank 0 reports them
        }
        if json {
            println!("{}", serde_json::json!({
                "ranking": ranked.iter().map(report_json).collect::<Vec<_>>(),
                "skipped": skipped.iter().map(|(f, e)| serde_json::json!({"family": f, "reason": e.to_string()})).collect::<Vec<_>>(),
            }));
        } else {
            println!("{:<14} {:>14} {:>14} {:>16}", "family", "AIC", "BIC", "log-likelihood");
            for r in &ranked {
                println!("{:<14} {:>14.4} {:>14.4} {:>16.6}", r.family, r.aic(), r.bic(), r.log_likelihood);
            }
            for (f, e) in &skipped {
                println!("{f:<14} skipped: {e}");
            }
            println!();
            print_report(&ranked[0]);
        }
        ranked.into_iter().next().expect("rank_families returns at least one fit")
    } else {
        let b = bar(quiet, opts.steps, family);
        let r = probrs::fit::fit_family_with_progress(family, &x, &opts, Some(b.callback()));
        b.finish();
        let r = r?;
        if !root {
            return Ok(());
        }
        if json {
            println!("{}", report_json(&r));
        } else {
            print_report(&r);
        }
        r
    };
    if let Some(p) = plot {
        probrs::plot::density_over_histogram(p, &x, best.model.as_ref(), best.is_discrete(), &Default::default())?;
    }
    if let Some(p) = loss_plot {
        probrs::plot::loss_trace(p, &best.losses, &probrs::plot::PlotOptions { title: Some(format!("{}: mean negative log-likelihood", best.family)), ..Default::default() })?;
    }
    if let Some(p) = save {
        probrs::save::save_distribution(p, best.model.as_ref())?;
    }
    Ok(())
}
