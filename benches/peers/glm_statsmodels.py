"""Peer of `probrs bench glm`: statsmodels' GLM (IRLS) on 1,000,000 x 20 logistic data (an
intercept and 19 standard normal features, y ~ Bernoulli(sigmoid(x . beta)), beta_j = (j - 10)/20,
intercept -0.5; numpy's generator, seed 0). Prints one JSON line: iterations and time per
iteration. statsmodels' default convergence (deviance change below 1e-8) may take one iteration
more or fewer than TFP's rule; time per iteration is what is compared.

Run: python benches/peers/glm_statsmodels.py  (numpy, statsmodels)
"""
import json
import os
import time

import numpy as np
import statsmodels
import statsmodels.api as sm


def main():
    n, d = 1_000_000, 20
    rng = np.random.default_rng(0)
    X = np.empty((n, d))
    X[:, 0] = 1.0
    X[:, 1:] = rng.standard_normal((n, d - 1))
    beta = np.array([-0.5] + [(j - 10) / 20 for j in range(1, d)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta)))).astype(float)
    t0 = time.perf_counter()
    res = sm.GLM(y, X, family=sm.families.Binomial()).fit()
    wall = time.perf_counter() - t0
    it = int(res.fit_history["iteration"])
    print(json.dumps({"workload": "GLM-fit", "system": "statsmodels", "family": "Binomial", "N": n, "D": d,
                      "iterations": it, "wall_s": wall, "time_per_iteration_s": wall / it,
                      "coefficients_first5": res.params[:5].tolist(), "statsmodels": statsmodels.__version__,
                      "numpy": np.__version__, "threads": os.environ.get("OMP_NUM_THREADS", "")}))


if __name__ == "__main__":
    main()
