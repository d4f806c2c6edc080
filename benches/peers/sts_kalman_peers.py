"""Issue 18's Kalman side-by-side: the CO2 monthly model (local linear trend + 12-season
seasonal, 13 states, 526 months, the empty months missing) evaluated at fixed parameters.

- TFP on JAX: `tfp.sts.Sum([LocalLinearTrend, Seasonal(12)])`'s state-space model `log_prob`
  with its gradient in the four unconstrained parameters, `jax.jit(jax.value_and_grad(...))`,
  timed after compilation.
- statsmodels: `UnobservedComponents('local linear trend', seasonal=12).loglike(params)`
  (Cython Kalman filter, value only, 13 states too).

Prints one JSON line per system (median of repeated calls). Run from the repository root:
`python benches/peers/sts_kalman_peers.py` (the peers' venv: jax, tfp-nightly, statsmodels).
"""
import json
import os
import time

import numpy as np

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


def co2_monthly():
    """Monthly means of the weekly record (a month without a value is missing), as probrs's
    `sts::datasets::co2_monthly`."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "src", "sts", "data", "co2_weekly.csv")
    sums, counts, order = {}, {}, []
    for line in open(path).read().splitlines()[1:]:
        date, value = line.split(",")
        key = (int(date[:4]), int(date[4:6]))
        if key not in sums:
            sums[key], counts[key] = 0.0, 0
        if value.strip():
            sums[key] += float(value)
            counts[key] += 1
    (y0, m0), (y1, m1) = min(sums), max(sums)
    out = []
    y, m = y0, m0
    while (y, m) <= (y1, m1):
        c = counts.get((y, m), 0)
        out.append(sums[(y, m)] / c if c else np.nan)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return np.array(out)


def median_time(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), float(np.min(ts))


def tfp_jax(y):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    from tensorflow_probability.substrates import jax as tfp
    sts = tfp.sts
    mask = np.isnan(y)
    yf = np.where(mask, 0.0, y)
    observed = sts.MaskedTimeSeries(yf[:, None], mask)
    trend = sts.LocalLinearTrend(observed_time_series=observed)
    seasonal = sts.Seasonal(num_seasons=12, observed_time_series=observed)
    model = sts.Sum([trend, seasonal], observed_time_series=observed)
    bijectors = [p.bijector for p in model.parameters]
    n = len(y)

    def loglik(u):
        vals = [b.forward(u[i]) for i, b in enumerate(bijectors)]
        ssm = model.make_state_space_model(n, vals)
        return ssm.log_prob(yf[:, None], mask=mask)

    f = jax.jit(jax.value_and_grad(loglik))
    vals = np.array([0.1, 0.2, 0.02, 0.05])  # observation noise, level, slope, drift scales
    u = jnp.array([float(b.inverse(v)) for b, v in zip(bijectors, vals)])
    t0 = time.perf_counter()
    v, g = f(u)
    v.block_until_ready()
    compile_s = time.perf_counter() - t0
    med, best = median_time(lambda: f(u)[0].block_until_ready(), 50)
    return {"workload": "STS-kalman-co2", "system": "tfp-jax", "jax": jax.__version__, "T": n, "states": 13,
            "seconds_per_value_and_grad": med, "best_seconds": best, "compile_s": compile_s,
            "log_likelihood": float(v), "gradient": [float(x) for x in g], "params": vals.tolist()}


def statsmodels_loglike(y):
    import statsmodels
    import statsmodels.api as sm
    mod = sm.tsa.UnobservedComponents(y, "local linear trend", seasonal=12)
    params = np.array([0.01, 0.04, 0.0004, 0.0025])  # variances: irregular, level, trend, seasonal
    mod.loglike(params)
    med, best = median_time(lambda: mod.loglike(params), 200)
    return {"workload": "STS-kalman-co2", "system": "statsmodels", "statsmodels": statsmodels.__version__, "T": len(y),
            "states": mod.k_states, "seconds_per_loglike": med, "best_seconds": best, "gradient": False,
            "log_likelihood": float(mod.loglike(params))}


if __name__ == "__main__":
    y = co2_monthly()
    print(json.dumps(statsmodels_loglike(y)), flush=True)
    print(json.dumps(tfp_jax(y)), flush=True)
