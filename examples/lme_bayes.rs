//! The seed page's InstEval model fitted by NUTS, by VI and by lmer, side by side, with
//! posterior predictive checks: `cargo run --release --example lme_bayes` (`probrs demo lme`
//! prints the same).
use probrs::demo::{lme_bayes, LmeBayesOptions};

fn main() -> probrs::Result<()> {
    let o = LmeBayesOptions {
        num_warmup: std::env::var("W").ok().and_then(|s| s.parse().ok()).unwrap_or(500),
        num_draws: std::env::var("D").ok().and_then(|s| s.parse().ok()).unwrap_or(500),
        vi_steps: std::env::var("VI").ok().and_then(|s| s.parse().ok()).unwrap_or(1000),
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let r = lme_bayes(&o)?;
    for row in &r.rows {
        let n = row.nuts.as_ref().expect("every site has a NUTS row");
        println!("{:<18} NUTS {:>8.4} ({:.4}) ess {:>5.0} r_hat {:.3} | VI {:>8.4} ({:.4}) | ML {:>8.4}", row.site, n.mean, n.sd, n.ess_bulk, n.r_hat, row.vi_mean, row.vi_sd, row.ml);
    }
    println!("NUTS {:.1} s, {} gradients, {} divergences, min ESS {:.0}, max R-hat {:.3}; VI {:.1} s; total {:.1} s", r.nuts_seconds, r.gradients, r.divergences, r.min_ess_bulk, r.max_r_hat, r.vi_seconds, t.elapsed().as_secs_f64());
    let m: f64 = r.replicated.iter().map(|x| x.0).sum::<f64>() / r.replicated.len() as f64;
    let s: f64 = r.replicated.iter().map(|x| x.1).sum::<f64>() / r.replicated.len() as f64;
    println!("observed mean {:.4} sd {:.4}; replicated mean {m:.4} sd {s:.4}; outside 1..5: {:.3}", r.observed.0, r.observed.1, r.replicated_outside_1_5);
    Ok(())
}
