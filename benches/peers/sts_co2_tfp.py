"""Issue 18's demo side by side: TFP on JAX runs `probrs demo sts` (TFP's "Structural Time
Series modeling" tutorial on the monthly CO2 record of `src/sts/data/co2_weekly.csv`): local
linear trend + Seasonal(12), `build_factored_surrogate_posterior`, `fit_surrogate_posterior`
(Adam 0.1, 200 steps, jit), 50 posterior draws, `tfp.sts.forecast` of the held-out 120
months; prints one JSON line with the times, the posterior means, the held-out mean absolute
error and the 80%/95% coverage (quantiles from 2,000 forecast samples, as the tutorial).
Run from the repository root with the peers' venv: `python benches/peers/sts_co2_tfp.py`.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from sts_kalman_peers import co2_monthly  # noqa: E402

import jax  # noqa: E402
jax.config.update("jax_enable_x64", True)
from tensorflow_probability.substrates import jax as tfp  # noqa: E402

sts = tfp.sts


def main(seed=0, steps=200, draws=50, horizon=120):
    y = co2_monthly()
    train, held = y[:-horizon], y[-horizon:]
    mask = np.isnan(train)
    observed = sts.MaskedTimeSeries(np.where(mask, 0.0, train)[:, None], mask)
    t0 = time.perf_counter()
    trend = sts.LocalLinearTrend(observed_time_series=observed)
    seasonal = sts.Seasonal(num_seasons=12, observed_time_series=observed, name="month_of_year")
    model = sts.Sum([trend, seasonal], observed_time_series=observed)
    # The stateful `build_factored_surrogate_posterior` of this TFP-JAX build calls a function
    # its experimental.vi lacks; the stateless pair is the JAX substrate's form anyway.
    init_fn, build_fn = sts.build_factored_surrogate_posterior_stateless(model)
    target = model.joint_distribution(observed_time_series=observed).log_prob
    params, losses = tfp.vi.fit_surrogate_posterior_stateless(target, build_fn, initial_parameters=init_fn(jax.random.PRNGKey(seed)), optimizer=__import__("optax").adam(0.1), num_steps=steps, seed=jax.random.PRNGKey(seed + 1), jit_compile=True)
    np.asarray(losses)
    surrogate = build_fn(*params) if isinstance(params, (list, tuple)) else build_fn(params)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    samples = surrogate.sample(draws, seed=jax.random.PRNGKey(seed + 2))
    fc = sts.forecast(model, observed_time_series=observed, parameter_samples=samples, num_steps_forecast=horizon)
    mean = np.asarray(fc.mean())[..., 0]
    paths = np.asarray(fc.sample(2000, seed=jax.random.PRNGKey(seed + 3)))[..., 0]
    forecast_s = time.perf_counter() - t1
    lo80, hi80 = np.quantile(paths, [0.1, 0.9], axis=0)
    lo95, hi95 = np.quantile(paths, [0.025, 0.975], axis=0)
    seen = ~np.isnan(held)
    cov = lambda lo, hi: float(np.mean((lo[seen] <= held[seen]) & (held[seen] <= hi[seen])))
    means = {k: float(np.mean(v)) for k, v in surrogate.sample(1000, seed=jax.random.PRNGKey(seed + 4)).items()}
    print(json.dumps({"workload": "STS-co2-demo", "system": "tfp-jax", "jax": jax.__version__, "fit_s": fit_s, "forecast_s": forecast_s,
                      "total_s": fit_s + forecast_s, "final_loss": float(np.asarray(losses)[-1]), "parameter_means": means,
                      "mae": float(np.mean(np.abs(mean[seen] - held[seen]))), "coverage_80": cov(lo80, hi80), "coverage_95": cov(lo95, hi95)}))


if __name__ == "__main__":
    main()
