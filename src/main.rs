//! The `probrs` command line: `demo`, `fit`, `vi`, `sample`, `summary`, `lmer`, `glmer`, `bench`, `conformance`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

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
    #[command(after_help = "Examples:\n  probrs demo                 every example\n  probrs demo fit_normal      one (fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo, mcmc, bnn, vae, copula, flow, lme)")]
    Demo {
        /// One example (fit_normal, vi_normal_normal, vi_poisson_process, learnable_zoo, mcmc); all when omitted.
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
    #[command(after_help = "FAMILY is one of: Normal, LogNormal, HalfNormal, HalfCauchy, Exponential, Gamma, InverseGamma, Chi2, Beta, Uniform, StudentT, Cauchy, Laplace, Logistic, Gumbel, Weibull, Pareto, Kumaraswamy, VonMises, Poisson, Geometric, NegativeBinomial (any capitalization, and aliases such as gaussian, norm, t, chisq, nbinom, negbinom); or `auto` to fit every continuous family and rank them by AIC.\n\nExamples:\n  probrs fit Gamma data.csv --column waiting_time\n  probrs fit Normal data.csv --plot fit.svg --loss-plot loss.png --json\n  probrs fit Weibull data.csv --save weibull.json\n  probrs fit auto data.csv --column 2\n  probrs fit --family auto data.csv")]
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
    /// Summarize MCMC draws saved as CmdStan CSV (one file per chain): mean, sd, quantiles,
    /// MCSE, bulk/tail ESS and rank-normalized R-hat per quantity, divergences per chain.
    #[command(after_help = "Examples:\n  probrs summary output_1.csv output_2.csv output_3.csv output_4.csv\n  probrs summary chain*.csv --json")]
    Summary {
        /// The chains' CSV files.
        files: Vec<String>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// A structural time-series forecast of one CSV column: a local linear trend (plus a
    /// seasonal effect with `--seasonal N`) fitted by variational inference, forecast
    /// `--horizon` steps ahead with 80% and 95% intervals. Empty cells, NA and NaN are missing.
    #[command(after_help = "Examples:\n  probrs forecast co2.csv --column co2 --seasonal 12 --horizon 24 --plot forecast.svg\n  probrs forecast sales.csv --column units --seasonal 7 --horizon 14 --json")]
    Forecast {
        /// A CSV file with a header row.
        data: String,
        /// The column to forecast (needed when the file has more than one).
        #[arg(long)]
        column: Option<String>,
        /// Add a seasonal effect with this many seasons (steps per cycle).
        #[arg(long)]
        seasonal: Option<usize>,
        /// Steps to forecast.
        #[arg(long, default_value_t = 12)]
        horizon: usize,
        /// Adam steps of the variational fit.
        #[arg(long, default_value_t = 200)]
        steps: usize,
        /// Posterior draws the forecast averages over.
        #[arg(long, default_value_t = 50)]
        draws: usize,
        /// Seed of the fit and the draws.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Draw the series and its forecast (.svg or .png).
        #[arg(long)]
        plot: Option<String>,
        /// Draw each component's contribution over the series (.svg or .png).
        #[arg(long)]
        components: Option<String>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// A linear mixed model fitted as lme4's `lmer` (REML by default or with `--reml`; `--ml`
    /// for maximum likelihood), printed as lme4's summary.
    #[command(after_help = "Examples:\n  probrs lmer \"Reaction ~ Days + (Days | Subject)\" sleepstudy.csv\n  probrs lmer \"y ~ service + (1|s) + (1|d) + (1|dept)\" InstEval.csv.gz --ml --json")]
    Lmer {
        /// The model formula, e.g. "y ~ x + (1 | g)".
        formula: String,
        /// A CSV file with a header row (`.gz` accepted).
        data: String,
        /// Maximum likelihood instead of REML.
        #[arg(long, conflicts_with = "reml")]
        ml: bool,
        /// REML (lme4's `REML = TRUE`, the default; the flag says it explicitly).
        #[arg(long)]
        reml: bool,
        /// Print one JSON object instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// A generalized linear mixed model (binomial or Poisson response) fitted as lme4's `glmer`
    /// by the Laplace approximation, printed as lme4's summary.
    #[command(after_help = "Examples:\n  probrs glmer \"cbind(k, f) ~ period + (1 | herd)\" herds.csv --family binomial\n  probrs glmer \"count ~ x + (1 | site)\" counts.csv --family poisson --json")]
    Glmer {
        /// The model formula; a binomial response may be `cbind(successes, failures)`.
        formula: String,
        /// A CSV file with a header row (`.gz` accepted).
        data: String,
        /// `bernoulli` (or `binomial`) or `poisson`.
        #[arg(long, default_value = "bernoulli")]
        family: String,
        /// Print one JSON object instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// NUTS with Stan's defaults on a built-in model (posteriordb's reference posteriors):
    /// per-chain progress, the summary table, the check against the reference; CmdStan CSV and
    /// trace / rank / density plots on request.
    #[command(after_help = "MODEL is one of the built-ins (`probrs sample list` names them): eight_schools, arK, kidiq, earnings, sblrc, gp_pois_regr, low_dim_gauss_mix (or posteriordb's full names).\n\nExamples:\n  probrs sample eight_schools\n  probrs sample arK --chains 4 --draws 2000 --plot ark.svg\n  probrs sample kidiq --save out/ && probrs summary out/kidiq-kidscore_momhsiq-*.csv")]
    Sample {
        /// The model, or `list`.
        model: String,
        /// Chains (run on threads; the draws do not depend on the thread count).
        #[arg(long, default_value_t = 4)]
        chains: usize,
        /// Draws kept per chain.
        #[arg(long, default_value_t = 1000)]
        draws: usize,
        /// Warm-up iterations per chain.
        #[arg(long, default_value_t = 1000)]
        warmup: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The acceptance statistic the step size adapts to (Stan's adapt_delta).
        #[arg(long, default_value_t = 0.8)]
        adapt_delta: f64,
        /// The deepest NUTS tree.
        #[arg(long, default_value_t = 10)]
        max_depth: usize,
        /// diag, dense or unit.
        #[arg(long, default_value = "diag")]
        metric: String,
        /// Trace, rank and density plots of the first ten quantities (.svg or .png).
        #[arg(long)]
        plot: Option<String>,
        /// Write each chain as CmdStan CSV into this directory.
        #[arg(long)]
        save: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// No progress bars.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run benchmark workloads and print one JSON line per result.
    #[command(after_help = "Examples:\n  probrs bench W1\n  CANDLE_NUM_THREADS=2 probrs bench W6\n\nW5, W6 and W7 read ../shared/baselines/data (or $PROBRS_BASELINE_DATA).")]
    Bench {
        /// Workloads (W1, W2, W3, W4, W5, W6, W7); all when omitted.
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

fn main() -> ExitCode {
    probrs::allocator::retain_freed_memory();
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
        Command::Demo { name } => cli::demo::run(name.as_deref()),
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
            return cli::ranks::run(|ranks| {
                let (family, data) = ranks.agree(args)?;
                let opts = probrs::fit::FitOptions { steps, learning_rate: lr, seed, ranks: ranks.distributed() };
                cli::fit::run(&family, &data, column.as_deref(), opts, plot.as_deref(), loss_plot.as_deref(), save.as_deref(), json, quiet, ranks)
            });
        }
        Command::Vi { model, steps, seed, plot, output: Output { loss_plot, json, quiet } } => cli::vi::run(&model, steps, seed, plot.as_deref(), loss_plot.as_deref(), json, quiet),
        Command::Bench { workloads } => {
            // The distributed workloads (`probrs bench ranks`, usually under mpirun) use the ranks.
            return cli::ranks::run(|ranks| if workloads.iter().any(|w| w.eq_ignore_ascii_case("ranks")) { cli::bench_ranks::run(ranks) } else { cli::bench::run(&workloads) });
        }
        Command::Sample { model, chains, draws, warmup, seed, adapt_delta, max_depth, metric, plot, save, json, quiet } => {
            let args = cli::sample::SampleArgs { model, chains, draws, warmup, seed, adapt_delta, max_depth, metric, plot, save, json, quiet };
            return cli::ranks::run(|ranks| cli::sample::run(&args, ranks));
        }
        Command::Summary { files, json } => cli::summary::run(&files, json),
        Command::Forecast { data, column, seasonal, horizon, steps, draws, seed, plot, components, json } => {
            cli::forecast::run(&cli::forecast::ForecastArgs { data, column, seasonal, horizon, steps, draws, seed, plot, components, json })
        }
        Command::Lmer { formula, data, ml, reml: _, json } => cli::lmer::run(&formula, &data, ml, json),
        Command::Glmer { formula, data, family, json } => cli::lmer::run_glmer(&formula, &data, &family, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(e),
    }
}
