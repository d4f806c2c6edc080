//! The `probrs` command line: `demo`, `fit`, `vi`, `bench`, `conformance`.

use clap::{Parser, Subcommand};
use probrs::tensor::DType;
use std::process::ExitCode;

mod bench;

/// mimalloc for the command line: a VI step allocates and frees dozens of small tensors (its graph),
/// and glibc's malloc/free were a quarter of a W2 step's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "probrs",
    version,
    about = "Probabilistic modelling and inference in Rust (TFP's vocabulary)",
    after_help = "Exit codes: 0 success, 1 bad input (file, column, family, data), 2 numerical failure.\n\nExamples:\n  probrs demo\n  probrs fit Gamma data.csv --column waiting_time --plot fit.svg\n  probrs fit auto data.csv\n  probrs vi normal_normal --plot posterior.png"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the seed examples on embedded data and print their results.
    #[command(after_help = "Examples:\n  probrs demo                 every example\n  probrs demo fit_normal      one (fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo)")]
    Demo {
        /// One example (fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo); all when omitted.
        name: Option<String>,
    },
    /// Evaluate reference cases (TFP's values) and report `N passed, N failed, N unsupported`.
    #[command(after_help = "Example:\n  probrs conformance ../shared/reference/reference_public.json")]
    Conformance {
        /// The reference JSON file.
        file: String,
        /// Also list unsupported cases.
        #[arg(long)]
        verbose: bool,
    },
    /// Fit a family to one column of a CSV file by maximum likelihood: parameters, standard
    /// errors (observed information), log-likelihood, AIC and BIC.
    #[command(after_help = "FAMILY is one of: Normal, LogNormal, HalfNormal, HalfCauchy, Exponential, Gamma, InverseGamma, Chi2, Beta, Uniform, StudentT, Cauchy, Laplace, Logistic, Gumbel, Weibull, Pareto, Kumaraswamy, VonMises, Poisson, Geometric, NegativeBinomial; or `auto` to fit every continuous family and rank them by AIC.\n\nExamples:\n  probrs fit Gamma data.csv --column waiting_time\n  probrs fit Normal data.csv --plot fit.svg --loss-plot loss.png --json\n  probrs fit Weibull data.csv --save weibull.json\n  probrs fit auto data.csv --column 2\n  probrs fit --family auto data.csv")]
    Fit {
        /// The family, or `auto` (or give it with `--family`).
        #[arg(value_name = "FAMILY")]
        first: String,
        /// A CSV file; a first row with text is a header.
        #[arg(value_name = "DATA")]
        second: Option<String>,
        /// The family, as an option: `probrs fit --family auto data.csv`.
        #[arg(long, value_name = "FAMILY")]
        family: Option<String>,
        /// Column name or 0-based index (default: the first).
        #[arg(long)]
        column: Option<String>,
        /// Adam steps.
        #[arg(long, default_value_t = 1500)]
        steps: usize,
        /// Adam learning rate.
        #[arg(long, default_value_t = 0.05)]
        lr: f64,
        /// Seed for the random parts of initialization.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Draw the fitted density (or mass function) over a histogram of the data (.svg or .png).
        #[arg(long)]
        plot: Option<String>,
        /// Save the fitted distribution (.json or .safetensors; `probrs::save::load_distribution` reads it back).
        #[arg(long)]
        save: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Fit the variational posteriors of seed page 003 (`fit_surrogate_posterior`).
    #[command(after_help = "MODEL is normal_normal (reverse KL), normal_normal_forward_kl (score-function gradients, sample_size 10) or poisson_process.\n\nExamples:\n  probrs vi normal_normal --plot posterior.svg\n  probrs vi poisson_process --steps 200 --loss-plot loss.png --json")]
    Vi {
        /// The model.
        model: String,
        /// Optimizer steps (default: the page's, 1000 or 200).
        #[arg(long)]
        steps: Option<usize>,
        /// The run's seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// normal_normal: the surrogate against the exact posterior's density on a grid (.svg or .png).
        #[arg(long)]
        plot: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Run benchmark workloads and print one JSON line per result.
    #[command(after_help = "Examples:\n  probrs bench W1\n  CANDLE_NUM_THREADS=2 probrs bench W6\n\nW5 and W6 read ../shared/baselines/data (or $PROBRS_BASELINE_DATA).")]
    Bench {
        /// Workloads (W1, W2, W3, W4, W5, W6); all when omitted.
        workloads: Vec<String>,
    },
}

/// The output options `fit` and `vi` share.
#[derive(clap::Args)]
struct Output {
    /// Draw the loss at every step (.svg or .png).
    #[arg(long)]
    loss_plot: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// 1 for bad input, 2 for a numerical failure (a non-finite loss or gradient, a matrix that is
/// not positive definite).
fn exit_code(e: &probrs::Error) -> ExitCode {
    match e {
        probrs::Error::NonFinite { .. } | probrs::Error::LinearAlgebra { .. } => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

/// Prints the one-line error and returns its exit code.
fn fail(e: probrs::Error) -> ExitCode {
    eprintln!("error: {e}");
    exit_code(&e)
}

/// A progress bar unless `quiet` (drawn only on a terminal).
fn bar(quiet: bool, steps: usize, label: &str) -> probrs::progress::ProgressBar {
    if quiet {
        probrs::progress::ProgressBar::hidden()
    } else {
        probrs::progress::ProgressBar::new(steps, label)
    }
}

fn report_json(r: &probrs::fit::FitReport) -> serde_json::Value {
    let params: serde_json::Map<String, serde_json::Value> = r.parameters.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
    serde_json::json!({
        "family": r.family, "parameters": params, "standard_errors": r.standard_errors,
        "log_likelihood": r.log_likelihood, "aic": r.aic(), "bic": r.bic(), "num_points": r.num_points, "steps": r.steps,
    })
}

fn print_report(r: &probrs::fit::FitReport) {
    println!("{} fitted to {} points ({} Adam steps):", r.family, r.num_points, r.steps);
    for (i, (k, v)) in r.parameters.iter().enumerate() {
        let se = r.standard_errors.as_ref().map(|s| format!("   (se {:.6})", s[i])).unwrap_or_default();
        println!("  {k} = {}{se}", v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", "));
    }
    println!("  log-likelihood = {:.6}   AIC = {:.4}   BIC = {:.4}", r.log_likelihood, r.aic(), r.bic());
    if r.standard_errors.is_none() {
        println!("  (no standard errors: the maximum lies on the support's boundary or the information is singular)");
    }
}

/// Plot paths are checked before any work, so a bad one fails at once.
fn check_plot_paths(paths: &[Option<&str>]) -> probrs::Result<()> {
    paths.iter().flatten().try_for_each(|p| probrs::plot::check_path(p))
}

#[allow(clippy::too_many_arguments)]
fn fit(family: &str, data: &str, column: Option<&str>, opts: probrs::fit::FitOptions, plot: Option<&str>, loss_plot: Option<&str>, save: Option<&str>, json: bool, quiet: bool) -> probrs::Result<()> {
    check_plot_paths(&[plot, loss_plot])?;
    if let Some(p) = save {
        probrs::save::check_path(p)?;
    }
    let x = probrs::fit::read_csv_column(data, column)?;
    let best = if family.eq_ignore_ascii_case("auto") {
        let n = probrs::fit::continuous_families().count();
        let b = bar(quiet, n, "families");
        let r = probrs::fit::rank_families_with_progress(&x, &opts, Some(b.callback()));
        b.finish();
        let (ranked, skipped) = r?;
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

fn vi(model: &str, steps: Option<usize>, seed: u64, plot: Option<&str>, loss_plot: Option<&str>, json: bool, quiet: bool) -> probrs::Result<()> {
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

fn demo(name: Option<&str>) -> probrs::Result<()> {
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
        return Ok(());
    }
    Err(probrs::Error::invalid_parameter("name", format!("unknown demo {:?}; available: fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo", name.unwrap_or(""))))
}

fn main() -> ExitCode {
    // `probrs fit auto data.csv | head` should stop quietly when the reader goes away, as other
    // command-line tools do, instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // A usage error is bad input: exit 1 (clap's own code, 2, means a numerical failure here).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    let result = match cli.command {
        Command::Demo { name } => demo(name.as_deref()),
        Command::Conformance { file, verbose } => match probrs::conformance::run_file(&file) {
            Ok(s) => {
                for f in &s.failures {
                    println!("{f}");
                }
                if verbose {
                    for u in &s.unsupported_cases {
                        println!("{u}");
                    }
                }
                println!("{}", s.line());
                return if s.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) };
            }
            Err(e) => Err(e),
        },
        Command::Fit { first, second, family, column, steps, lr, seed, plot, save, output: Output { loss_plot, json, quiet } } => {
            // FAMILY DATA, or --family FAMILY DATA.
            let args = match (family, second) {
                (None, Some(data)) => Ok((first, data)),
                (Some(family), None) => Ok((family, first)),
                (None, None) => Err(probrs::Error::BadInput { location: "probrs fit".into(), reason: "missing DATA: probrs fit FAMILY DATA.csv".into() }),
                (Some(_), Some(_)) => Err(probrs::Error::BadInput { location: "probrs fit".into(), reason: "the family is given twice (FAMILY and --family)".into() }),
            };
            args.and_then(|(family, data)| {
                fit(&family, &data, column.as_deref(), probrs::fit::FitOptions { steps, learning_rate: lr, seed }, plot.as_deref(), loss_plot.as_deref(), save.as_deref(), json, quiet)
            })
        }
        Command::Vi { model, steps, seed, plot, output: Output { loss_plot, json, quiet } } => vi(&model, steps, seed, plot.as_deref(), loss_plot.as_deref(), json, quiet),
        Command::Bench { workloads } => bench::run(&workloads),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
