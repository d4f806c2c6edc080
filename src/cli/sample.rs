//! `probrs sample MODEL`: NUTS with Stan's defaults on a built-in model (the posteriordb
//! reference posteriors of `probrs::models`), a progress bar per chain, the summary table,
//! posteriordb's check against the reference, and optionally CmdStan CSV files (`--save DIR`)
//! and trace / rank / density plots (`--plot`). `probrs sample list` names the models.
//!
//! Built with feature `mpi`, `mpirun -np 4 probrs sample MODEL --chains 16` spreads the chains
//! over the ranks (chain `c` seeded by its global index: the draws of one process), gathers
//! them at rank 0, and only rank 0 prints and writes.

use probrs::mcmc::{MetricKind, NutsOptions};
use probrs::models::{reference_model, reference_model_names};
use probrs::random::Seed;
use std::sync::Arc;

/// What the command line asks for.
pub(crate) struct SampleArgs {
    pub model: String,
    pub chains: usize,
    pub draws: usize,
    pub warmup: usize,
    pub seed: u64,
    pub adapt_delta: f64,
    pub max_depth: usize,
    pub metric: String,
    pub plot: Option<String>,
    pub save: Option<String>,
    pub json: bool,
    pub quiet: bool,
}

pub(crate) fn run(a: &SampleArgs, ranks: &super::ranks::Ranks) -> probrs::Result<()> {
    if a.model == "list" {
        for name in reference_model_names() {
            let m = reference_model(name)?;
            if ranks.is_root() {
                println!("{name:<42} {}", m.description);
            }
        }
        return Ok(());
    }
    // Checked on every rank alike: one rank's bad directory stops them all, named.
    let checked = (|| {
        super::check_plot_paths(&[a.plot.as_deref()])?;
        if let Some(dir) = &a.save {
            if ranks.is_root() && !std::path::Path::new(dir).is_dir() {
                return Err(probrs::Error::BadInput { location: dir.clone(), reason: "--save needs an existing directory".into() });
            }
        }
        let metric = match a.metric.to_ascii_lowercase().as_str() {
            "diag" | "diag_e" | "diagonal" => MetricKind::Diagonal,
            "dense" | "dense_e" => MetricKind::Dense,
            "unit" | "unit_e" => MetricKind::Unit,
            other => return Err(probrs::Error::BadInput { location: "--metric".into(), reason: format!("{other:?}: one of diag, dense, unit") }),
        };
        let mine = probrs::distributed::local_chains(a.chains, ranks.comm.as_ref())?;
        Ok((metric, reference_model(&a.model)?, mine))
    })();
    let (metric, model, mine) = ranks.agree(checked)?;
    // Rank 0 draws the bars of its own chains (0, 1, …); the other ranks draw none.
    let bars = if a.quiet || a.json || !ranks.is_root() { probrs::progress::ChainProgressBars::hidden(a.chains) } else { probrs::progress::ChainProgressBars::new(mine.len(), a.warmup + a.draws, "chain") };
    let b = bars.clone();
    let warmup = a.warmup;
    let options = NutsOptions {
        num_chains: a.chains,
        num_draws: a.draws,
        num_warmup: a.warmup,
        seed: Seed::new(a.seed),
        target_accept_prob: a.adapt_delta,
        max_tree_depth: a.max_depth,
        metric,
        init_radius: Some(2.0),
        progress: Some(Arc::new(move |c, p| {
            if p.step == 1 || p.step == warmup + 1 {
                b.set_message(c, if p.step <= warmup { "warm-up" } else { "sampling" });
            }
            b.update(c, p);
        })),
        ..Default::default()
    };
    let t0 = std::time::Instant::now();
    let run = probrs::distributed::sample_nuts(ranks.comm.as_ref(), &options, |o| model.sample(o));
    bars.finish();
    let Some(run) = run? else { return Ok(()) }; // only rank 0 goes on, with every chain
    let wall = t0.elapsed().as_secs_f64();
    // Draws made before a failure are kept: save them, then report the failure.
    let csv = run.to_cmdstan();
    if let Some(dir) = &a.save {
        for (c, chain) in csv.iter().enumerate() {
            chain.write(std::path::Path::new(dir).join(format!("{}-{}.csv", model.name, c + 1)))?;
        }
    }
    run.check()?;
    let summary = probrs::mcmc::summarize_cmdstan(&csv)?;
    let checks = model.check(&run)?;
    let passed = checks.iter().filter(|c| c.passes()).count();
    let grads: usize = run.chains.iter().map(|c| c.num_gradient_evaluations()).sum();
    if let Some(path) = &a.plot {
        let chains: Vec<Vec<Vec<f64>>> = run.chains.iter().map(|ch| (0..run.param_names.len()).map(|j| ch.draws.iter().map(|d| d[j]).collect()).collect()).collect();
        let names: Vec<&str> = run.param_names.iter().map(String::as_str).collect();
        probrs::plot::trace_rank_density(path, &names, &chains, 10, &probrs::plot::PlotOptions { title: Some(format!("{}: {} chains", model.name, a.chains)), ..Default::default() })?;
    }
    if a.json {
        let mut j = super::summary::to_json(&summary);
        j["model"] = serde_json::json!(model.name);
        j["wall_s"] = serde_json::json!(wall);
        j["ranks"] = serde_json::json!(ranks.comm.size());
        j["gradient_evaluations"] = serde_json::json!(grads);
        j["step_sizes"] = serde_json::json!(run.chains.iter().map(|c| c.step_size).collect::<Vec<_>>());
        j["reference_check"] = serde_json::json!(checks
            .iter()
            .map(|c| serde_json::json!({"name": c.name, "mean": c.mean, "ref_mean": c.ref_mean, "sd": c.sd, "ref_sd": c.ref_sd, "rhat": c.rhat, "ess_bulk": c.ess_bulk, "passes": c.passes()}))
            .collect::<Vec<_>>());
        println!("{j}");
        return Ok(());
    }
    println!("{}: {}", model.name, model.description);
    let on = if ranks.comm.size() > 1 { format!(" on {} ranks", ranks.comm.size()) } else { String::new() };
    println!("NUTS, {} chains × {} draws after {} warm-up iterations{on}: {wall:.2} s, {grads} gradient evaluations", a.chains, a.draws, a.warmup);
    println!("step sizes {:?}", run.chains.iter().map(|c| format!("{:.3}", c.step_size)).collect::<Vec<_>>());
    for chain in &run.chains {
        for note in chain.notes.iter().take(1) {
            println!("note: {note}");
        }
    }
    println!();
    super::summary::print_table(&summary);
    println!();
    println!("posteriordb reference: {passed} of {} quantities pass (|mean − ref| ≤ 4·√(mcse² + ref_mcse²), sd within 10%, R-hat < 1.01, bulk ESS ≥ 400)", checks.len());
    for c in checks.iter().filter(|c| !c.passes()) {
        println!("  {}: mean {:.4} (ref {:.4}), sd {:.4} (ref {:.4}), R-hat {:.3}, ESS {:.0}", c.name, c.mean, c.ref_mean, c.sd, c.ref_sd, c.rhat, c.ess_bulk);
    }
    if let Some(dir) = &a.save {
        println!("saved {} CmdStan CSV files in {dir}", csv.len());
    }
    if let Some(p) = &a.plot {
        println!("plot: {p}");
    }
    Ok(())
}
