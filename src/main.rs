//! The `probrs` command line: `demo`, `conformance`, `bench`.

use clap::{Parser, Subcommand};
use probrs::tensor::DType;
use std::process::ExitCode;

mod bench;

/// mimalloc for the command line: a VI step allocates and frees dozens of small tensors (its graph),
/// and glibc's malloc/free were a quarter of a W2 step's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "probrs", version, about = "Probabilistic modelling and inference in Rust (TFP's vocabulary)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the seed examples on embedded data and print their results.
    ///
    /// Example: probrs demo fit_normal
    Demo {
        /// One example (fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo); all when omitted.
        name: Option<String>,
    },
    /// Evaluate reference cases (TFP's values) and report `N passed, N failed, N unsupported`.
    ///
    /// Example: probrs conformance ../shared/reference/reference_public.json
    Conformance {
        /// The reference JSON file.
        file: String,
        /// Also list unsupported cases.
        #[arg(long)]
        verbose: bool,
    },
    /// Fit a family to one column of a CSV file by maximum likelihood.
    ///
    /// Example: probrs fit Gamma data.csv --column waiting_time
    Fit {
        /// The family (Normal, Gamma, Beta, ... — see the list in the error for an unknown one).
        family: String,
        /// A CSV file; a first row with text is a header.
        data: String,
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
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run benchmark workloads and print one JSON line per result.
    ///
    /// Example: probrs bench W1
    Bench {
        /// Workloads (W1, W2, W3, W4, W5, W6); all when omitted. W5 reads ../shared/baselines/data (or $PROBRS_BASELINE_DATA).
        workloads: Vec<String>,
    },
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
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { name } => match demo(name.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
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
                if s.failed == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Command::Fit { family, data, column, steps, lr, seed, json } => {
            let opts = probrs::fit::FitOptions { steps, learning_rate: lr, seed };
            let result = probrs::fit::read_csv_column(&data, column.as_deref()).and_then(|x| probrs::fit::fit_family(&family, &x, &opts));
            match result {
                Ok(r) => {
                    if json {
                        let params: serde_json::Map<String, serde_json::Value> = r.parameters.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect();
                        println!("{}", serde_json::json!({"family": r.family, "parameters": params, "log_likelihood": r.log_likelihood, "aic": r.aic(), "num_points": r.num_points, "steps": r.steps}));
                    } else {
                        println!("{} fitted to {} points ({} Adam steps):", r.family, r.num_points, r.steps);
                        for (k, v) in &r.parameters {
                            println!("  {k} = {}", v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", "));
                        }
                        println!("  log-likelihood = {:.6}   AIC = {:.4}", r.log_likelihood, r.aic());
                    }
                    ExitCode::SUCCESS
                }
                Err(e @ probrs::Error::NonFinite { .. }) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Bench { workloads } => match bench::run(&workloads) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
    }
}
