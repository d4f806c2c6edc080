"""The peer of `probrs bench ranks`'s W7-chains-on-ranks: 8 NUTS chains on W7's posterior
(w ~ N(0, I_20), y ~ Bernoulli(logits = X w), N = 5,000; ../shared/baselines/data) with
NumPyro's defaults, 1000 warm-up + 1000 draws per chain, on one CPU device and on two
(`chain_method="parallel"` over `--xla_force_host_platform_device_count=2`, NumPyro's way of
using both cores), and vectorized (all chains as one batch on one device). One JSON line per
setting: wall time of the run after a first (compiling) run, draws per second.

    PROBRS_BASELINE_DATA=../shared/baselines/data python benches/peers/w7_chains_numpyro.py
"""
import json
import os
import sys
import time

DEVICES = int(os.environ.get("DEVICES", "2"))
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={DEVICES} " + os.environ.get("XLA_FLAGS", "")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

DATA = os.environ.get("PROBRS_BASELINE_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/baselines/data"))
X = np.load(os.path.join(DATA, "w7_logreg_X.npy"))
y = np.load(os.path.join(DATA, "w7_logreg_y.npy"))


def model(X, y):
    w = numpyro.sample("w", dist.Normal(0., 1.).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=X @ w).to_event(1), obs=y)


def run(method):
    mcmc = MCMC(NUTS(model), num_warmup=1000, num_samples=1000, num_chains=8, chain_method=method, progress_bar=False)
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        mcmc.run(jax.random.PRNGKey(seed), X, y)
        jax.block_until_ready(mcmc.get_samples()["w"])
        times.append(time.perf_counter() - t0)
    wall = float(np.median(times[1:]))
    w0 = np.asarray(mcmc.get_samples()["w"])[:, 0]
    print(json.dumps({"workload": "W7-chains-on-ranks", "system": "numpyro", "chain_method": method, "devices": jax.device_count(),
                      "chains": 8, "num_warmup": 1000, "num_draws": 1000, "first_run_s": times[0], "wall_s": wall,
                      "run_times_s": times, "draws_per_s": 8000 / wall, "mean_w0": float(w0.mean()),
                      "versions": {"numpyro": numpyro.__version__, "jax": jax.__version__}}), flush=True)


for method in sys.argv[1:] or ["sequential", "parallel", "vectorized"]:
    run(method)
