//! `probrs vi`: the variational fits of seed page 003, with plots.

use super::{bar, check_plot_paths};
use probrs::tensor::DType;

/// Runs one of the page-003 models by name.
pub(crate) fn run(model: &str, steps: Option<usize>, seed: u64, plot: Option<&str>, loss_plot: Option<&str>, json: bool, quiet: bool) -> probrs::Result<()> {
    check_plot_paths(&[plot, loss_plot])?;
    if steps == Some(0) {
        return Err(probrs::Error::invalid_parameter("--steps", "must be at least 1"));
    }
    if plot.is_some() && model == "poisson_process" {
        return Err(probrs::Error::invalid_parameter("--plot", "poisson_process has no one-dimensional posterior to draw; use --loss-plot"));
    }
    use probrs::distributions::{Distribution, Normal};
    let losses = match model {
        "normal_normal" | "normal_normal_forward_kl" => {
            let forward = model.ends_with("forward_kl");
            let steps = steps.unwrap_or(1000);
            let b = bar(quiet, steps, model);
            let estimator = forward.then_some(probrs::vi::GradientEstimator::ScoreFunction);
            let r = probrs::demo::vi_normal_normal_with_progress(forward, estimator, if forward { 10 } else { 1 }, steps, seed, DType::F32, Some(b.callback()));
            b.finish();
            let r = r?;
            if json {
                println!("{}", serde_json::json!({"model": model, "steps": steps, "q_mean": r.final_mean, "q_stddev": r.final_stddev, "q_mean_last_200": r.avg_mean, "q_stddev_last_200": r.avg_stddev, "final_loss": r.losses.last(), "exact_mean": 2.5, "exact_stddev": std::f64::consts::FRAC_1_SQRT_2}));
            } else {
                println!("q_z: mean {:.4}, stddev {:.4} (averages over the last 200 steps: {:.4}, {:.4}); exact posterior: mean 2.5, stddev 0.7071", r.final_mean, r.final_stddev, r.avg_mean, r.avg_stddev);
            }
            if let Some(p) = plot {
                let q = Normal::new(probrs::tensor::Tensor::scalar(r.final_mean, DType::F64)?, probrs::tensor::Tensor::scalar(r.final_stddev, DType::F64)?)?;
                let grid: Vec<f64> = (0..300).map(|i| -1.0 + 7.0 * i as f64 / 299.0).collect();
                probrs::plot::surrogate_marginal(p, &grid, &|z| probrs::demo::normal_normal_log_prob(z, 5.0), &|z| q.log_prob(z), "z", &Default::default())?;
            }
            r.losses
        }
        "poisson_process" => {
            let steps = steps.unwrap_or(200);
            let b = bar(quiet, steps, model);
            let r = probrs::demo::vi_poisson_process_with_progress(steps, seed, false, Some(b.callback()));
            b.finish();
            let r = r?;
            if json {
                println!("{}", serde_json::json!({"model": model, "steps": steps, "final_loss": r.losses.last(), "kernel_amplitude": r.kernel_amplitude, "kernel_length_scale": r.kernel_length_scale, "observation_noise_variance": r.observation_noise_variance, "posterior_mean_rate": r.posterior_mean_rate, "observed_counts": probrs::demo::POISSON_COUNTS}));
            } else {
                println!("kernel amplitude {:.3}, length scale {:.2}, observation noise variance {:.4}; loss {:.2} -> {:.2}", r.kernel_amplitude, r.kernel_length_scale, r.observation_noise_variance, r.losses[0], r.losses[r.losses.len() - 1]);
                println!("observed counts:      {:?}", probrs::demo::POISSON_COUNTS);
                println!("posterior mean rates: {:?}", r.posterior_mean_rate.iter().map(|v| v.round()).collect::<Vec<_>>());
            }
            r.losses
        }
        other => return Err(probrs::Error::BadInput { location: format!("model {other}"), reason: "unknown model; known: normal_normal, normal_normal_forward_kl, poisson_process".into() }),
    };
    if let Some(p) = loss_plot {
        probrs::plot::loss_trace(p, &losses, &probrs::plot::PlotOptions { title: Some(format!("{model}: variational loss")), ..Default::default() })?;
    }
    Ok(())
}
