//! The seed page's "Gaussian Copulas with TFP Bijectors": a Gaussian copula warped by
//! Kumaraswamy and Gumbel marginals (`Blockwise` of inverted CDF bijectors), sampled at known
//! parameters and fitted back by maximum likelihood (`probrs::demo::copula_fit`):
//! `cargo run --release --example copula` (`SEED=k`, `PLOT=prefix` writes
//! `prefix_contours.png`, the true and the fitted density, and `prefix_samples.png`, the data
//! beside as many draws from the fitted copula). Prints one JSON line.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use probrs::demo::{copula_fit, warped_gaussian_copula, CopulaOptions};
use probrs::distributions::Distribution;

fn main() -> probrs::Result<()> {
    probrs::allocator::retain_freed_memory();
    let seed = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let r = copula_fit(&CopulaOptions { seed, ..Default::default() })?;
    if let Ok(prefix) = std::env::var("PLOT") {
        let (truth, fitted) = (warped_gaussian_copula(&r.truth)?, warped_gaussian_copula(&r.fitted)?);
        let opts = probrs::plot::PlotOptions { title: Some("warped Gaussian copula: true density (black) and fitted (red)".into()), ..Default::default() };
        probrs::plot::pairwise_contours(format!("{prefix}_contours.png"), &["x1 (Kumaraswamy marginal)", "x2 (Gumbel marginal)"], &[(0.01, 0.99), (-3.0, 7.0)], &[0.5, 1.0], &|x| truth.log_prob(x), &|x| fitted.log_prob(x), &opts)?;
        let draws = fitted.sample(&[r.data.shape()[0]], probrs::random::Seed::new(seed + 1000))?;
        let opts = probrs::plot::PlotOptions { title: Some("the data (blue) and as many draws from the fitted copula (red)".into()), ..Default::default() };
        probrs::plot::scatter(format!("{prefix}_samples.png"), ["x1 (Kumaraswamy marginal)", "x2 (Gumbel marginal)"], &[("data", &r.data), ("fitted", &draws)], &opts)?;
    }
    let f = |p: &probrs::demo::CopulaParameters| format!("{{\"correlation\": {:.4}, \"kumaraswamy\": [{:.4}, {:.4}], \"gumbel\": [{:.4}, {:.4}]}}", p.correlation, p.kumaraswamy[0], p.kumaraswamy[1], p.gumbel[0], p.gumbel[1]);
    println!(
        "{{\"workload\": \"gaussian-copula-fit\", \"system\": \"probrs\", \"seed\": {seed}, \"n\": {}, \"steps\": {}, \"seconds\": {:.3}, \"truth\": {}, \"fitted\": {}, \"nll_truth\": {:.5}, \"nll_fitted\": {:.5}}}",
        r.data.shape()[0],
        r.losses.len(),
        r.seconds,
        f(&r.truth),
        f(&r.fitted),
        r.nll_truth,
        r.nll_fitted
    );
    Ok(())
}
