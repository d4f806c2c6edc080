//! Seed page 003, the inhomogeneous Poisson process: a GP prior on latent log rates with
//! trainable kernel hyperparameters, a variational model with a `VectorDeterministic` for the
//! observed counts, fitted jointly by `fit_surrogate_posterior` for 200 steps; the trace holds
//! the loss, the kernel's log amplitude and `q.sample(5, seed = 42)` at every step.
//!
//! Run: `cargo run --release --example vi_poisson_process`

fn main() -> probrs::Result<()> {
    let r = probrs::demo::vi_poisson_process(200, 42, true)?;
    println!("losses: first {:.2}, last {:.2}", r.losses[0], r.losses[r.losses.len() - 1]);
    println!("log amplitude path: {:.3} -> {:.3}", r.log_amplitude_path[0], r.log_amplitude_path[r.log_amplitude_path.len() - 1]);
    println!("sample path: {} entries of shape {:?}", r.sample_path.len(), r.sample_path[0].shape());
    println!("kernel amplitude {:.3}, length scale {:.3}, observation noise variance {:.4}", r.kernel_amplitude, r.kernel_length_scale, r.observation_noise_variance);
    println!("observed counts:      {:?}", probrs::demo::POISSON_COUNTS);
    println!("posterior mean rates: {:?}", r.posterior_mean_rate.iter().map(|v| v.round()).collect::<Vec<_>>());
    println!("(TFP-on-JAX:          [106, 88, 61, 17, 18, 39, 56, 46])");
    Ok(())
}
