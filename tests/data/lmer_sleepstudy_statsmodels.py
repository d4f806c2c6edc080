"""statsmodels' MixedLM fits of lme4's sleepstudy, Reaction ~ Days + (Days | Subject), REML and
ML, optimized tightly (BFGS, gtol 1e-10: statsmodels' default
stopping leaves the flat correlation direction 2e-5 off) and printed to full precision for
tests/lmer_lme4.rs (statsmodels 0.15.0, numpy 2.4.6, pandas).

Run from the repository root: python tests/data/lmer_sleepstudy_statsmodels.py
Printed: reml, fixed effects, their standard errors, random-effect sds, correlation, residual sd,
log-likelihood.
"""
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

warnings.simplefilter("ignore")
d = pd.read_csv("src/mixed_effects/data/sleepstudy.csv")
for reml in [True, False]:
    r = smf.mixedlm("Reaction ~ Days", d, groups=d["Subject"], re_formula="~Days").fit(reml=reml, method="bfgs", gtol=1e-10, maxiter=5000)
    cov = r.cov_re.values
    sd = np.sqrt(np.diag(cov))
    print(reml, list(r.fe_params.values), list(r.bse_fe.values), list(sd), cov[0, 1] / sd[0] / sd[1], np.sqrt(r.scale), r.llf)
