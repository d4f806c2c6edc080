//! `probrs demo`: the seed examples on embedded data, printed beside TFP's numbers.

use probrs::tensor::DType;

/// Runs one example by name, or all of them.
pub(crate) fn run(name: Option<&str>) -> probrs::Result<()> {
    let all = name.is_none();
    if all || name == Some("fit_normal") {
        let (m, s) = probrs::demo::seed_moments();
        println!("== make_trainable(Normal) + minimize (seed page 000/001) ==");
        println!("empirical: mean {m:.4}, stddev {s:.4}");
        let fit = probrs::demo::fit_normal(200, Some((0.0, 1.0)), 0, DType::F32)?;
        println!("TFP trajectory (loc 0, scale 1, 200 x Adam(0.1)): mean {:.5}, stddev {:.5}, loss {:.4}", fit.mean, fit.stddev, fit.losses[199]);
        println!("  (TFP-on-JAX, TFP-on-TF and NumPyro: mean 5.14798, stddev 2.42913, loss 21.3573)");
        let fit = probrs::demo::fit_normal(1000, None, 42, DType::F32)?;
        println!("{}", fit.model);
        println!("{}", fit.variables);
        println!("Fit Normal distribution with mean {:.4} and stddev {:.4}", fit.mean, fit.stddev);
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("vi_normal_normal") {
        use probrs::vi::GradientEstimator;
        println!("\n== fit_surrogate_posterior: Normal-Normal model, x = 5 (seed page 003) ==");
        let r = probrs::demo::vi_normal_normal(false, None, 1, 1000, 42, DType::F32)?;
        println!("reverse KL: q_z mean {:.4}, stddev {:.4}; last 200 steps {:.4}, {:.4}", r.final_mean, r.final_stddev, r.avg_mean, r.avg_stddev);
        let r = probrs::demo::vi_normal_normal(true, Some(GradientEstimator::ScoreFunction), 10, 1000, 42, DType::F32)?;
        println!("forward KL, score-function gradients, sample_size 10: q_z mean {:.4}, stddev {:.4}; last 200 steps {:.4}, {:.4}", r.final_mean, r.final_stddev, r.avg_mean, r.avg_stddev);
        println!("  (exact posterior: mean 2.5, stddev 0.7071)");
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("vi_poisson_process") {
        println!("\n== fit_surrogate_posterior: inhomogeneous Poisson process with a GP prior (seed page 003) ==");
        let r = probrs::demo::vi_poisson_process(200, 42, true)?;
        println!("loss {:.2} -> {:.2} over 200 steps; kernel amplitude {:.3}, length scale {:.2}, observation noise variance {:.4}", r.losses[0], r.losses[199], r.kernel_amplitude, r.kernel_length_scale, r.observation_noise_variance);
        println!("traced: {} losses, {} log amplitudes ({:.3} -> {:.3}), {} samples of shape {:?}", r.losses.len(), r.log_amplitude_path.len(), r.log_amplitude_path[0], r.log_amplitude_path[199], r.sample_path.len(), r.sample_path[0].shape());
        println!("observed counts:      {:?}", probrs::demo::POISSON_COUNTS);
        println!("posterior mean rates: {:?}", r.posterior_mean_rate.iter().map(|v| v.round()).collect::<Vec<_>>());
        println!("  (TFP-on-JAX:        [106.0, 88.0, 61.0, 17.0, 18.0, 39.0, 56.0, 46.0])");
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("learnable_zoo") {
        println!("\n== Learnable distributions zoo (seed page 002) ==");
        let data = probrs::demo::zoo_data(2000, 7)?;
        for (zname, d) in probrs::demo::learnable_zoo(0)? {
            println!("\n## {zname}");
            println!("{d:?}");
            println!("{}", probrs::params::format_variables(&d.trainable_variables()));
            let (before, after) = probrs::demo::fit_by_mle(d.as_ref(), &data, 300, 0.1)?;
            println!("fitted by maximum likelihood: mean NLL {before:.4} -> {after:.4} (300 x Adam(0.1), 2000 points)");
        }
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("mcmc") {
        println!("\n== MCMC: NUTS on the eight schools, non-centred (seed page 004, Layer 3) ==");
        let d = probrs::demo::mcmc_eight_schools(1000, 1)?;
        println!("4 chains x 1000 draws after 1000 warm-up iterations (Stan's defaults): {:.2} s, {} gradient evaluations, {} divergent transitions", d.seconds, d.gradients, d.divergences);
        println!("{:<8} {:>8} {:>8} {:>9} {:>8} {:>7}   posteriordb reference (mean, sd)", "", "mean", "sd", "ess_bulk", "r_hat", "");
        for c in d.checks.iter().filter(|c| c.name == "mu" || c.name == "tau" || c.name == "theta.1") {
            println!("{:<8} {:>8.3} {:>8.3} {:>9.0} {:>8.4} {:>7}   {:.3}, {:.3}", c.name, c.mean, c.sd, c.ess_bulk, c.rhat, if c.passes() { "ok" } else { "OFF" }, c.ref_mean, c.ref_sd);
        }
        println!("{} of {} reference quantities pass posteriordb's criterion", d.checks.iter().filter(|c| c.passes()).count(), d.checks.len());
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("bnn") {
        use probrs::demo::{bnn_digits, BnnModel};
        println!("\n== Bayesian neural networks with Flipout layers on the digits (seed page 004) ==");
        for (model, label) in [(BnnModel::MnistModel, "MNISTModel (DenseFlipout(10), dense2 applied twice)"), (BnnModel::Conv, "Convolution2DFlipout(64, 5) + MaxPooling2D + DenseFlipout(10)")] {
            let (_, r) = bnn_digits(model, 100, 0)?;
            println!(
                "{label}: 100 epochs, {:.3} s per epoch; test accuracy {:.3}, ECE {:.4}; predictive entropy {:.3} on correct, {:.3} on misclassified digits",
                r.seconds_per_epoch, r.reliability.accuracy, r.reliability.ece, r.entropy_correct, r.entropy_misclassified
            );
        }
        println!("  (TFP on TF 2.21 beside it, 3 seeds: MNISTModel 0.953-0.978, the convolutional model 0.978-0.983; see README)");
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("vae") {
        use probrs::demo::{vae_digits, VaeOptions};
        println!("\n== Variational autoencoder with a learnable mixture prior on the binarized digits (seed page 004) ==");
        let o = VaeOptions::default();
        let (_, r) = vae_digits(&o)?;
        println!(
            "encoder -> MultivariateNormalTriL({}), decoder -> IndependentBernoulli([64]), {}-component mixture prior; {} epochs, {:.3} s per epoch",
            o.latent_size, o.mixture_components, o.epochs, r.seconds_per_epoch
        );
        println!("test ELBO {:.2} nats per digit; importance-weighted bound on -log p(x) ({} samples) {:.2}", r.test_elbo, o.iw_samples, r.test_iw_nll);
        println!("  (TFP on TF 2.21, same model and split, 3 seeds: see README)");
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("copula") {
        use probrs::demo::{copula_fit, CopulaOptions};
        println!("\n== Gaussian copula with Kumaraswamy and Gumbel marginals, fitted by maximum likelihood (seed page 004) ==");
        let r = copula_fit(&CopulaOptions::default())?;
        let (t, f) = (r.truth, r.fitted);
        println!("{} points, {} Adam steps, {:.2} s", r.data.shape()[0], r.losses.len(), r.seconds);
        println!("correlation {:.3} (truth {}); Kumaraswamy({:.3}, {:.3}) (truth {}, {}); Gumbel({:.3}, {:.3}) (truth {}, {})", f.correlation, t.correlation, f.kumaraswamy[0], f.kumaraswamy[1], t.kumaraswamy[0], t.kumaraswamy[1], f.gumbel[0], f.gumbel[1], t.gumbel[0], t.gumbel[1]);
        println!("mean negative log-likelihood {:.4} at the fit, {:.4} at the truth", r.nll_fitted, r.nll_truth);
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("flow") {
        use probrs::demo::{maf_two_moons, FlowOptions};
        println!("\n== Masked autoregressive flow (5 MAF layers, MADE [64, 64] relu) fitted to two moons (seed page 004) ==");
        let o = FlowOptions::default();
        let r = maf_two_moons(&o)?;
        println!("{} Adam steps of {} points, {:.2} ms per step; held-out NLL {:.3} nats per point (best Gaussian {:.3})", o.num_steps, o.batch_size, 1e3 * r.seconds_per_step, r.test_nll, r.gaussian_test_nll);
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("sts") {
        use probrs::demo::{sts_co2, StsOptions};
        println!("\n== Structural time series: Mauna Loa CO2, local linear trend + 12-month seasonal, VI, 10-year forecast (seed page 004, Layer 4) ==");
        let t0 = std::time::Instant::now();
        let r = sts_co2(&StsOptions::default())?;
        println!("{} training months ({:.0}-{:.0}), {} forecast; VI: {} Adam steps, {:.2} s; 50 posterior draws and the forecast: {:.2} s", r.num_training, r.times[0], r.times[r.num_training - 1], r.mean.len(), r.losses.len(), r.fit_seconds, r.forecast_seconds);
        println!("posterior means: {}", r.parameter_means.iter().map(|(n, v)| format!("{n} {v:.4}")).collect::<Vec<_>>().join(", "));
        println!("held-out decade: mean absolute error {:.3} ppm; 80% interval covers {:.1}%, 95% covers {:.1}% of the observed months", r.mae, 100.0 * r.coverage_80, 100.0 * r.coverage_95);
        let path = std::env::temp_dir().join("probrs_sts_forecast.png");
        let n = r.num_training;
        let picture = probrs::plot::ForecastPicture {
            times: &r.times[..n],
            observed: &r.observed[..n],
            forecast_times: &r.times[n..],
            mean: &r.mean,
            lower: &r.lower_80,
            upper: &r.upper_80,
            actual: Some(&r.observed[n..]),
            interval_label: "80% interval",
            y_label: "CO2 (ppm)",
        };
        probrs::plot::forecast(&path, &picture, &probrs::plot::PlotOptions { title: Some("Mauna Loa CO2: held-out decade forecast".into()), ..Default::default() })?;
        let bounds: Vec<(Vec<f64>, Vec<f64>)> = r.components.iter().map(|(_, m, s)| (m.iter().zip(s).map(|(m, s)| m - 2.0 * s).collect(), m.iter().zip(s).map(|(m, s)| m + 2.0 * s).collect())).collect();
        let bands: Vec<probrs::plot::ComponentBand> = r.components.iter().zip(&bounds).map(|((name, mean, _), (lo, hi))| probrs::plot::ComponentBand { name, mean, lower: lo, upper: hi }).collect();
        let parts = std::env::temp_dir().join("probrs_sts_components.png");
        probrs::plot::components(&parts, &r.times, &bands, &probrs::plot::PlotOptions { title: Some("components (mean ± 2 sd; forecast after 1992)".into()), ..Default::default() })?;
        println!("forecast plot: {}; components: {} (total {:.2} s)", path.display(), parts.display(), t0.elapsed().as_secs_f64());
        if !all {
            return Ok(());
        }
    }
    if all || name == Some("lme") {
        use probrs::mixed_effects::{lmer, sleepstudy, LmerOptions};
        println!("\n== Linear mixed effects like lme4 (seed page 004, Layer 4) ==");
        let fit = lmer("Reaction ~ Days + (Days | Subject)", &sleepstudy()?, &LmerOptions::default())?;
        println!("{fit}");
        println!("  (lme4: 251.405 (6.825), 10.467 (1.546); sds 24.740, 5.922, correlation 0.066; residual 25.592; REML criterion 1743.6)\n");
        // lme_bayes fits InstEval by ML beside NUTS and VI; its ML fit is printed first.
        let r = probrs::demo::lme_bayes(&probrs::demo::LmeBayesOptions::default())?;
        println!("{}", r.ml);
        println!("InstEval, ML: {:.2} s, {} deviance evaluations; gradient of the profiled deviance at the optimum {:?}", r.ml_seconds, r.ml.evaluations, r.ml.gradient);
        println!("\n== The page's program, fully Bayesian, on all of InstEval: NUTS, VI and ML side by side ==");
        println!("{:<18} {:>9} {:>8} {:>9} {:>6}   {:>9} {:>8}   {:>9}", "", "NUTS mean", "sd", "ess_bulk", "r_hat", "VI mean", "sd", "lmer ML");
        for row in &r.rows {
            if let Some(n) = &row.nuts {
                println!("{:<18} {:>9.4} {:>8.4} {:>9.0} {:>6.3}   {:>9.4} {:>8.4}   {:>9.4}", row.site, n.mean, n.sd, n.ess_bulk, n.r_hat, row.vi_mean, row.vi_sd, row.ml);
            }
        }
        println!(
            "NUTS: 2 chains x 500 draws after 500 warm-up, {:.1} s, {} gradient evaluations, {} divergent; smallest bulk ESS over all 4,120 coordinates {:.0}, largest R-hat {:.3}. VI (mean-field, 1000 Adam steps on the program): {:.1} s",
            r.nuts_seconds, r.gradients, r.divergences, r.min_ess_bulk, r.max_r_hat, r.vi_seconds
        );
        let (m, s) = (r.replicated.iter().map(|x| x.0).sum::<f64>() / r.replicated.len() as f64, r.replicated.iter().map(|x| x.1).sum::<f64>() / r.replicated.len() as f64);
        println!(
            "Posterior predictive ({} replications of the ratings): mean {m:.4}, sd {s:.4} (observed {:.4}, {:.4}); {:.1}% of replicated ratings round outside 1..5 (a Normal likelihood on a five-point scale)",
            r.replicated.len(), r.observed.0, r.observed.1, 100.0 * r.replicated_outside_1_5
        );
        return Ok(());
    }
    Err(probrs::Error::invalid_parameter("name", format!("unknown demo {:?}; available: fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo, mcmc, bnn, vae, copula, flow, sts, lme", name.unwrap_or(""))))
}
