//! # A walk through TFP's pages in probrs
//!
//! Four of TensorFlow Probability's pages, translated line by line: `make_trainable` and
//! `minimize` (fitting a Normal), the "Learnable Distributions Zoo" (trainable parameters behind
//! bijectors), `fit_surrogate_posterior` (variational inference with a joint model), and the
//! overview's linear mixed-effects program (Edward2 as a probrs model program). Each
//! Python block is TFP's own; the Rust under it is a test of this crate (it runs with
//! `cargo test`), asserting the page's outcome.
//!
//! The vocabulary maps one to one: `tfd.X` → [`crate::distributions`]`::X`, `tfb.X` →
//! [`crate::bijectors`]`::X`, `tf.Variable` → [`Variable`](crate::params::Variable),
//! `tfp.util.TransformedVariable` → [`TransformedVariable`](crate::params::TransformedVariable),
//! `tfp.util.make_trainable` → [`MakeTrainable`](crate::params::MakeTrainable) /
//! [`make_trainable`](crate::params::make_trainable), `tfp.math.minimize` →
//! [`minimize`](crate::optim::minimize), `tfp.vi.fit_surrogate_posterior` →
//! [`fit_surrogate_posterior`](crate::vi::fit_surrogate_posterior). Python keyword arguments
//! become `Options` structs with TFP's defaults in `Default`; every fallible call returns
//! [`Result`](crate::Result), hence the `?`.
//!
//! ## 1. Fitting a Normal by maximum likelihood (`make_trainable`, `minimize`)
//!
//! ```text
//! samples = [4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44]
//! model = tfp.util.make_trainable(tfd.Normal)
//! losses = tfp.math.minimize(
//!   lambda: -model.log_prob(samples),
//!   optimizer=tf.optimizers.Adam(0.1),
//!   num_steps=200)
//! print('Fit Normal distribution with mean {} and stddev {}'.format(
//!   model.mean(), model.stddev()))
//! ```
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::optim::{minimize, trace_loss, Adam, MinimizeOptions};
//! use probrs::params::MakeTrainable;
//! use probrs::tensor::{DType, Tensor};
//!
//! let samples = Tensor::vector(&[4.57, 6.37, 5.93, 7.98, 2.03, 3.59, 8.55, 3.45, 5.06, 6.44], DType::F32)?;
//! // make_trainable draws its start at random; the page's TFP run started at loc 0, scale 1.
//! let model: Normal = MakeTrainable::new().initial_value("loc", 0.0).initial_value("scale", 1.0).build()?;
//! let losses = minimize(|| model.log_prob(&samples)?.sum_all()?.neg(), 200, &mut Adam::new(0.1),
//!                       MinimizeOptions::default(), trace_loss)?;
//! println!("Fit Normal distribution with mean {} and stddev {}", model.mean()?, model.stddev()?);
//! // TFP-on-JAX, TFP-on-TF and NumPyro all end this run at mean 5.14798, stddev 2.42913.
//! assert!((model.mean()?.to_scalar()? - 5.14798).abs() < 1e-3);
//! assert!((model.stddev()?.to_scalar()? - 2.42913).abs() < 1e-3);
//! assert_eq!(losses.trace.len(), 200);
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! A fixed parameter stays fixed (`trainable(tfd.Normal, scale=1.)` in TFP):
//!
//! ```
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::params::MakeTrainable;
//! let model: Normal = MakeTrainable::new().fixed("scale", 1.0).seed(7).build()?;
//! assert_eq!(model.trainable_variables().len(), 1); // loc only
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! ## 2. The Learnable Distributions Zoo (variables behind bijectors)
//!
//! ```text
//! learnable_mvn_scaled_identity = tfd.Independent(
//!   tfd.Normal(
//!     loc=tf.Variable(tf.zeros(event_size), name='loc'),
//!     scale=tfp.util.TransformedVariable(
//!       tf.ones([1]),
//!       bijector=tfb.Exp(),
//!       name='scale')),
//!   reinterpreted_batch_ndims=1,
//!   name='learnable_mvn_scaled_identity')
//! print(learnable_mvn_scaled_identity)
//! print(learnable_mvn_scaled_identity.trainable_variables)
//! ```
//!
//! ```
//! use probrs::bijectors::Exp;
//! use probrs::distributions::{Distribution, Independent, Normal};
//! use probrs::params::{format_variables, TransformedVariable, Variable};
//! use probrs::tensor::{DType, Tensor};
//!
//! let event_size = 4;
//! let learnable_mvn_scaled_identity = Independent::new(
//!     Normal::new(
//!         Variable::new(&Tensor::zeros(&[event_size], DType::F32)?, "loc")?,
//!         TransformedVariable::new(&Tensor::ones(&[1], DType::F32)?, Exp::new(), "scale")?,
//!     )?,
//!     1,
//! )?
//! .with_name("learnable_mvn_scaled_identity");
//! println!("{learnable_mvn_scaled_identity}");
//! println!("{}", format_variables(&learnable_mvn_scaled_identity.trainable_variables()));
//! // As the page prints: event_shape [4]; the scale is stored as log(1) = 0.
//! assert_eq!(learnable_mvn_scaled_identity.event_shape(), vec![4]);
//! let vars = learnable_mvn_scaled_identity.trainable_variables();
//! assert_eq!(vars.iter().map(|v| v.name()).collect::<Vec<_>>(), ["loc", "scale"]);
//! assert_eq!(vars[1].numpy().to_vec()?, vec![0.0]);
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! The page's own bijector, `PadEye`, is a Rust type implementing
//! [`Bijector`](crate::bijectors::Bijector) (`examples/zoo/pad_eye.rs`), and the whole zoo runs as
//! `probrs demo learnable_zoo`.
//!
//! ## 3. Variational inference (`fit_surrogate_posterior`)
//!
//! ```text
//! def log_prob(z, x):
//!   return tfd.Normal(0., 1.).log_prob(z) + tfd.Normal(z, 1.).log_prob(x)
//! conditioned_log_prob = lambda z: log_prob(z, x=5.)
//!
//! q_z = tfd.Normal(loc=tf.Variable(0., name='q_z_loc'),
//!                  scale=tfp.util.TransformedVariable(1., tfb.Softplus(),
//!                                                     name='q_z_scale'),
//!                  name='q_z')
//! losses = tfp.vi.fit_surrogate_posterior(
//!     conditioned_log_prob,
//!     surrogate_posterior=q_z,
//!     optimizer=tf.optimizers.Adam(learning_rate=0.1),
//!     num_steps=100)
//! print(q_z.mean(), q_z.stddev())  # => approximately [2.5, 1/sqrt(2)]
//! ```
//!
//! ```
//! use probrs::bijectors::Softplus;
//! use probrs::distributions::{Distribution, Normal};
//! use probrs::optim::{trace_loss, Adam};
//! use probrs::params::{TransformedVariable, Variable};
//! use probrs::tensor::{DType, Tensor};
//! use probrs::vi::{fit_surrogate_posterior, FitOptions};
//!
//! let log_prob = |z: &Tensor, x: f64| -> probrs::Result<Tensor> {
//!     Normal::new(z.zeros_like()?, 1.0)?.log_prob(z)?.add(&Normal::new(z, 1.0)?.log_prob(&z.full_like(x)?)?)
//! };
//! let q_z_loc = Variable::new(&Tensor::scalar(0.0, DType::F32)?, "q_z_loc")?;
//! let q_z = Normal::new(
//!     &q_z_loc,
//!     TransformedVariable::new(&Tensor::scalar(1.0, DType::F32)?, Softplus::new(), "q_z_scale")?,
//! )?
//! .with_name("q_z");
//! // The trace: the loss (TFP's default) and q's location, to average over the last steps
//! // (constant-rate Adam on a one-draw ELBO jitters around the optimum).
//! let losses = fit_surrogate_posterior(
//!     |z| log_prob(z.as_tensor()?, 5.0),
//!     &q_z,
//!     &mut Adam::new(0.1),
//!     1000,
//!     FitOptions { seed: 42, ..Default::default() },
//!     |t| (trace_loss(t), q_z_loc.numpy().to_scalar().unwrap_or(f64::NAN)),
//! )?;
//! println!("{} {}", q_z.mean()?, q_z.stddev()?); // approximately 2.5, 1/√2
//! let last: Vec<f64> = losses.trace[800..].iter().map(|t| t.1).collect();
//! assert!((last.iter().sum::<f64>() / 200.0 - 2.5).abs() < 0.05);
//! assert!((q_z.stddev()?.to_scalar()? - 0.7071).abs() < 0.1);
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! The forward KL with score-function gradients is one option away (TFP's
//! `functools.partial(tfp.vi.monte_carlo_variational_loss, discrepancy_fn=tfp.vi.kl_forward,
//! use_reparameterization=False)`):
//!
//! ```
//! use probrs::vi::{Discrepancy, FitOptions, GradientEstimator};
//! let options = FitOptions {
//!     discrepancy_fn: Discrepancy::kl_forward(),
//!     gradient_estimator: Some(GradientEstimator::ScoreFunction),
//!     sample_size: 10,
//!     ..Default::default()
//! };
//! # let _ = options;
//! ```
//!
//! The page's inhomogeneous Poisson process — a `JointDistributionCoroutine` model with a
//! Gaussian-process prior whose kernel hyperparameters are trained jointly with the surrogate,
//! and a `trace_fn` returning `(loss, kernel_log_amplitude, q.sample(5, seed=42))` — is
//! [`crate::demo::vi_poisson_process`] (read its source beside the page), runnable as
//! `probrs vi poisson_process` or `cargo run --release --example vi_poisson_process`:
//!
//! ```
//! let fit = probrs::demo::vi_poisson_process(200, 42, true)?;
//! assert_eq!((fit.losses.len(), fit.log_amplitude_path.len(), fit.sample_path.len()), (200, 200, 200));
//! assert_eq!(fit.sample_path[0].shape(), &[5, 8]);
//! // The fitted mean rates follow the observed counts [100, 90, 60, 13, 18, 37, 55, 42]
//! // (TFP-on-JAX: [106, 88, 61, 17, 18, 39, 56, 46]).
//! for (rate, count) in fit.posterior_mean_rate.iter().zip(probrs::demo::POISSON_COUNTS) {
//!     assert!((rate - count).abs() < 0.3 * count + 6.0, "{rate} vs {count}");
//! }
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! ## 4. Linear mixed effects as a model program (page 004, Edward2)
//!
//! The overview's first example writes InstEval's model as an Edward2 program: fixed effects as
//! variables, student and instructor effects as `MultivariateNormalDiag` random variables, and
//! the ratings around their sum (the full program, from TFP's "Linear Mixed Effects Models"
//! tutorial):
//!
//! ```text
//! def model(features):
//!   intercept = tf.get_variable("intercept", [])
//!   service_effects = tf.get_variable("service_effects", [])
//!   student_stddev_unconstrained = tf.get_variable("student_stddev_pre", [])
//!   instructor_stddev_unconstrained = tf.get_variable("instructor_stddev_pre", [])
//!   student_effects = ed.MultivariateNormalDiag(
//!       loc=tf.zeros(num_students),
//!       scale_identity_multiplier=tf.exp(student_stddev_unconstrained),
//!       name="student_effects")
//!   instructor_effects = ed.MultivariateNormalDiag(
//!       loc=tf.zeros(num_instructors),
//!       scale_identity_multiplier=tf.exp(instructor_stddev_unconstrained),
//!       name="instructor_effects")
//!   ratings = ed.Normal(
//!       loc=(service_effects * features["service"] +
//!            tf.gather(student_effects, features["students"]) +
//!            tf.gather(instructor_effects, features["instructors"]) +
//!            intercept),
//!       scale=1., name="ratings")
//!   return ratings
//! log_joint = ed.make_log_joint_fn(model)
//! ```
//!
//! In probrs the program is a function of the [`Effects`](crate::ppl::Effects) handle; a random
//! variable is `fx.sample(name, distribution)`, the variables are captured
//! [`Variable`](crate::params::Variable)s, and `tf.gather` is `index_select` on the last axis.
//! Here on InstEval's first 2,000 ratings:
//!
//! ```
//! use probrs::distributions::{MultivariateNormalDiag, Normal};
//! use probrs::mixed_effects::inst_eval;
//! use probrs::params::Variable;
//! use probrs::ppl::{make_log_joint_fn, program, seed, trace};
//! use probrs::random::Seed;
//! use probrs::tensor::{DType, Tensor};
//! let f = DType::F64;
//! let df = inst_eval()?;
//! let n = 2000;
//! let (s_levels, s_codes) = df.factor("s")?;
//! let (d_levels, d_codes) = df.factor("d")?;
//! let students: Vec<u32> = s_codes[..n].iter().map(|c| *c as u32).collect();
//! let instructors: Vec<u32> = d_codes[..n].iter().map(|c| *c as u32).collect();
//! let service = Tensor::vector(&df.numeric("service")?[..n], f)?;
//! let (num_students, num_instructors) = (s_levels.len(), d_levels.len());
//!
//! let intercept = Variable::new(&Tensor::scalar(3.0, f)?, "intercept")?;
//! let service_effects = Variable::new(&Tensor::scalar(0.0, f)?, "service_effects")?;
//! let student_stddev_pre = Variable::new(&Tensor::scalar(-1.0, f)?, "student_stddev_pre")?;
//! let instructor_stddev_pre = Variable::new(&Tensor::scalar(-1.0, f)?, "instructor_stddev_pre")?;
//! let model = program(move |fx| {
//!     let student_effects = fx.sample("student_effects", MultivariateNormalDiag::new(
//!         Tensor::zeros(&[num_students], f)?,
//!         Tensor::ones(&[num_students], f)?.mul(&student_stddev_pre.value().exp()?)?)?)?;
//!     let instructor_effects = fx.sample("instructor_effects", MultivariateNormalDiag::new(
//!         Tensor::zeros(&[num_instructors], f)?,
//!         Tensor::ones(&[num_instructors], f)?.mul(&instructor_stddev_pre.value().exp()?)?)?)?;
//!     let loc = service.mul(&service_effects.value())?
//!         .add(&student_effects.index_select(0, &students)?)?
//!         .add(&instructor_effects.index_select(0, &instructors)?)?
//!         .add(&intercept.value())?;
//!     fx.sample("ratings", Normal::new(loc, Tensor::scalar(1.0, f)?)?)
//! });
//! // A generation of ratings (the program run with a seed), and its trace.
//! let (ratings, tr) = trace(seed(model.clone(), Seed::new(0))).get_trace()?;
//! assert_eq!(ratings.shape(), &[n]);
//! assert_eq!(tr.names(), ["student_effects", "instructor_effects", "ratings"]);
//! // ed.make_log_joint_fn(model): the log joint at given values, differentiable in the variables.
//! let log_joint = make_log_joint_fn(model);
//! let lp = log_joint.call(&[
//!     ("student_effects", Tensor::zeros(&[num_students], f)?),
//!     ("instructor_effects", Tensor::zeros(&[num_instructors], f)?),
//!     ("ratings", Tensor::vector(&df.numeric("y")?[..n], f)?),
//! ])?;
//! assert!(lp.to_scalar()?.is_finite());
//! # Ok::<(), probrs::Error>(())
//! ```
//!
//! The same model by maximum likelihood, as lme4 fits it ([`lmer`](crate::mixed_effects::lmer);
//! the random effects integrated out, the variances estimated), on all 73,421 ratings, with the
//! departments as well: `lmer("y ~ service + (1|s) + (1|d) + (1|dept)", &inst_eval()?, &LmerOptions
//! { reml: false, ..Default::default() })` (`probrs demo lme` prints it). For the Bayesian fits,
//! put priors on what the page keeps as variables, pin the ratings
//! ([`pinned_joint`](crate::ppl::pinned_joint)) and hand the result to
//! [`sample_nuts_pinned`](crate::mcmc::sample_nuts_pinned) or
//! [`fit_surrogate_posterior`](crate::vi::fit_surrogate_posterior); `tests/ppl_programs.rs` does
//! both and compares the variance components with `lmer`'s.
//!
//! ## Looking at a fit, keeping it
//!
//! Any run's trace draws with [`crate::plot::loss_trace`] (feature `plot`), a fitted density over
//! the data with [`crate::plot::density_over_histogram`], a surrogate against its target with
//! [`crate::plot::surrogate_marginal`] and [`crate::plot::pairwise_contours`]; a
//! [`ProgressBar`](crate::progress::ProgressBar) (feature `progress`) shows long runs on a
//! terminal through the options' `progress` callback; [`crate::save`] keeps a fitted
//! distribution or its variables in JSON or safetensors. On the command line: `probrs fit`,
//! `probrs vi`, with `--plot`, `--save` and `--help`.
