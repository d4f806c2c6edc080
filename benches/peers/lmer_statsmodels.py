"""Peer of `probrs lmer` on lme4's InstEval: statsmodels' MixedLM on the model it can fit
directly, one random intercept per instructor, `y ~ service + (1 | d)`, by ML; prints one JSON
line (wall time, log-likelihood, estimates). statsmodels has no crossed random effects other than
variance components over one all-data group, which does not finish in reasonable time at this
size.

Run from the repository root: python benches/peers/lmer_statsmodels.py
"""
import json
import time
import warnings

import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

warnings.simplefilter("ignore")
d = pd.read_csv("src/mixed_effects/data/InstEval.csv.gz")
t0 = time.perf_counter()
r = smf.mixedlm("y ~ service", d, groups=d["d"]).fit(reml=False)
wall = time.perf_counter() - t0
print(json.dumps({"workload": "lmer-InstEval", "system": "statsmodels", "formula": "y ~ service + (1 | d)", "method": "ML", "wall_s": wall,
                  "log_likelihood": float(r.llf), "fixed_effects": [float(v) for v in r.fe_params.values], "sd_d": float(r.cov_re.values[0, 0] ** 0.5),
                  "sigma": float(r.scale ** 0.5), "statsmodels": statsmodels.__version__}))
