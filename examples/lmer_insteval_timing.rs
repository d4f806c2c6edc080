//! Times one profiled-deviance evaluation of the seed page's InstEval model (the cost `lmer`
//! pays per θ): `cargo run --release --example lmer_insteval_timing`.
use probrs::mixed_effects::{inst_eval, Formula, ModelFrame, ProfiledDeviance};

fn main() -> probrs::Result<()> {
    let df = inst_eval()?;
    let frame = ModelFrame::new(&Formula::parse("y ~ service + (1|s) + (1|d) + (1|dept)")?, &df)?;
    let t = std::time::Instant::now();
    let pd = ProfiledDeviance::new(&frame, false)?;
    println!("set-up (pattern, symbolic factorization): {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let theta = [0.28, 0.44, 0.07];
    for _ in 0..std::env::var("EVALS").ok().and_then(|s| s.parse().ok()).unwrap_or(3) {
        let t = std::time::Instant::now();
        let e = pd.evaluate(&theta)?;
        println!("evaluation: {:.1} ms (deviance {:.4})", t.elapsed().as_secs_f64() * 1e3, e.objective);
    }
    Ok(())
}
