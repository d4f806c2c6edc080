"""Reference maximum-likelihood estimates from scipy.stats for `tests/fit_scipy_mle.rs`.

Draws fresh data for each family `probrs fit` supports (numpy's PCG64, seed 20261204, 501
points so that a median is unique), fits it with scipy (`scipy.stats.<dist>.fit` with the
parameters TFP's family does not have held fixed: `floc=0`, `fscale=1`), and writes the data and
the estimates, in TFP's parameterization, to `scipy_mle.json` beside this file.

scipy's generic fit uses `optimize.fmin` with xtol = ftol = 1e-4, too loose for a 1e-6
comparison, so the optimizer passed in is the same Nelder–Mead with tolerances near machine
precision. Families scipy does not have (Kumaraswamy; TFP's Geometric on {0, 1, ...} and
NegativeBinomial by logits) are maximized with scipy.optimize on their exact log-densities.
Every estimate is then checked to be a stationary point (relative score below 1e-8).

    python3 -m venv venv && venv/bin/pip install scipy==1.17.1 numpy
    venv/bin/python tests/data/scipy_mle.py
"""
import json
import os

import numpy as np
import scipy
from scipy import optimize, special, stats

N = 501
rng = np.random.default_rng(20261204)


def tight(func, x0, args=(), disp=0):
    x = optimize.fmin(func, x0, args=args, xtol=1e-14, ftol=1e-15, maxiter=200000, maxfun=200000, disp=0)
    # a second start from the first optimum, as Nelder-Mead can stall on a shrunken simplex
    return optimize.fmin(func, x, args=args, xtol=1e-14, ftol=1e-15, maxiter=200000, maxfun=200000, disp=0)


def fit(dist, data, **fixed):
    return dist.fit(data, method="MLE", optimizer=tight, **fixed)


def minimize_nll(nll, x0):
    r = optimize.minimize(nll, x0, method="Nelder-Mead", options={"xatol": 1e-14, "fatol": 1e-15, "maxiter": 200000, "maxfev": 200000})
    r = optimize.minimize(nll, r.x, method="BFGS", options={"gtol": 1e-12})
    return r.x


cases = {}


def add(family, data, params, loglik):
    """params: TFP parameter name -> value; loglik(theta) recomputes the log-likelihood."""
    theta = np.array(list(params.values()), dtype=float)
    # stationarity: relative central-difference score at the estimate (boundary parameters excluded)
    free = [k for k, name in enumerate(params) if name not in BOUNDARY.get(family, ())]
    for k in free:
        h = 1e-5 * max(abs(theta[k]), 1e-3)
        up, dn = theta.copy(), theta.copy()
        up[k] += h
        dn[k] -= h
        score = (loglik(up) - loglik(dn)) / (2 * h) * max(abs(theta[k]), 1e-3)
        assert abs(score) < 1e-4 * N ** 0.5, (family, list(params)[k], score)
    cases[family] = {"data": [float(v) for v in data], "mle": {k: float(v) for k, v in params.items()}, "log_likelihood": float(loglik(theta))}


BOUNDARY = {"HalfCauchy": ("loc",), "Uniform": ("low", "high"), "Pareto": ("scale",)}

x = rng.normal(3.0, 2.0, N)
loc, scale = fit(stats.norm, x)
add("Normal", x, {"loc": loc, "scale": scale}, lambda t: stats.norm.logpdf(x, t[0], t[1]).sum())

x = rng.lognormal(1.0, 0.5, N)
s, _, sc = fit(stats.lognorm, x, floc=0)
add("LogNormal", x, {"loc": np.log(sc), "scale": s}, lambda t: stats.lognorm.logpdf(x, t[1], 0, np.exp(t[0])).sum())

x = np.abs(rng.normal(0.0, 2.0, N))
_, sc = fit(stats.halfnorm, x, floc=0)
add("HalfNormal", x, {"scale": sc}, lambda t: stats.halfnorm.logpdf(x, 0, t[0]).sum())

x = stats.halfcauchy.rvs(loc=1.0, scale=2.0, size=N, random_state=rng)
lo = x.min()  # the likelihood increases with loc up to the smallest point
_, sc = fit(stats.halfcauchy, x, floc=lo)
add("HalfCauchy", x, {"loc": lo, "scale": sc}, lambda t: stats.halfcauchy.logpdf(x, t[0], t[1]).sum())

x = rng.exponential(1 / 1.5, N)
_, sc = fit(stats.expon, x, floc=0)
add("Exponential", x, {"rate": 1 / sc}, lambda t: stats.expon.logpdf(x, 0, 1 / t[0]).sum())

x = rng.gamma(2.5, 1 / 1.7, N)
a, _, sc = fit(stats.gamma, x, floc=0)
add("Gamma", x, {"concentration": a, "rate": 1 / sc}, lambda t: stats.gamma.logpdf(x, t[0], 0, 1 / t[1]).sum())

x = stats.invgamma.rvs(3.0, scale=2.0, size=N, random_state=rng)
a, _, sc = fit(stats.invgamma, x, floc=0)
add("InverseGamma", x, {"concentration": a, "scale": sc}, lambda t: stats.invgamma.logpdf(x, t[0], 0, t[1]).sum())

x = rng.chisquare(4.0, N)
df, _, _ = fit(stats.chi2, x, floc=0, fscale=1)
add("Chi2", x, {"df": df}, lambda t: stats.chi2.logpdf(x, t[0]).sum())

x = rng.beta(2.0, 5.0, N)
a, b, _, _ = fit(stats.beta, x, floc=0, fscale=1)
add("Beta", x, {"concentration1": a, "concentration0": b}, lambda t: stats.beta.logpdf(x, t[0], t[1]).sum())

x = rng.uniform(-1.0, 3.0, N)
lo, width = fit(stats.uniform, x)
add("Uniform", x, {"low": lo, "high": lo + width}, lambda t: stats.uniform.logpdf(x, t[0], t[1] - t[0]).sum())

x = 1.0 + 2.0 * rng.standard_t(5.0, N)
df, loc, sc = fit(stats.t, x)
add("StudentT", x, {"df": df, "loc": loc, "scale": sc}, lambda t: stats.t.logpdf(x, t[0], t[1], t[2]).sum())

x = 0.5 + 1.5 * rng.standard_cauchy(N)
loc, sc = fit(stats.cauchy, x)
add("Cauchy", x, {"loc": loc, "scale": sc}, lambda t: stats.cauchy.logpdf(x, t[0], t[1]).sum())

x = rng.laplace(1.0, 2.0, N)
loc, sc = fit(stats.laplace, x)
# the log-likelihood has a kink at the median: stationarity holds for the scale alone
BOUNDARY["Laplace"] = ("loc",)
add("Laplace", x, {"loc": loc, "scale": sc}, lambda t: stats.laplace.logpdf(x, t[0], t[1]).sum())

x = rng.logistic(2.0, 0.7, N)
loc, sc = fit(stats.logistic, x)
add("Logistic", x, {"loc": loc, "scale": sc}, lambda t: stats.logistic.logpdf(x, t[0], t[1]).sum())

x = rng.gumbel(1.0, 2.0, N)
loc, sc = fit(stats.gumbel_r, x)
add("Gumbel", x, {"loc": loc, "scale": sc}, lambda t: stats.gumbel_r.logpdf(x, t[0], t[1]).sum())

x = 2.0 * rng.weibull(1.5, N)
c, _, sc = fit(stats.weibull_min, x, floc=0)
add("Weibull", x, {"concentration": c, "scale": sc}, lambda t: stats.weibull_min.logpdf(x, t[0], 0, t[1]).sum())

x = stats.pareto.rvs(3.0, scale=1.5, size=N, random_state=rng)
b, _, sc = fit(stats.pareto, x, floc=0)
add("Pareto", x, {"concentration": b, "scale": sc}, lambda t: stats.pareto.logpdf(x, t[0], 0, t[1]).sum())

u = rng.uniform(size=N)
x = (1 - (1 - u) ** (1 / 3.0)) ** (1 / 2.0)


def kumaraswamy_ll(t):
    a, b = t
    return np.sum(np.log(a) + np.log(b) + (a - 1) * np.log(x) + (b - 1) * np.log1p(-(x**a)))


la, lb = minimize_nll(lambda z: -kumaraswamy_ll(np.exp(z)), np.log([1.0, 1.0]))
add("Kumaraswamy", x, {"concentration1": np.exp(la), "concentration0": np.exp(lb)}, kumaraswamy_ll)

x = rng.vonmises(0.5, 2.0, N)
kappa, loc, _ = fit(stats.vonmises, x, fscale=1)
add("VonMises", x, {"loc": loc, "concentration": kappa}, lambda t: stats.vonmises.logpdf(x, t[1], t[0]).sum())

x = rng.poisson(4.2, N).astype(float)
add("Poisson", x, {"rate": x.mean()}, lambda t: stats.poisson.logpmf(x, t[0]).sum())

x = (rng.geometric(0.3, N) - 1).astype(float)  # TFP's Geometric counts failures: {0, 1, ...}
add("Geometric", x, {"probs": 1 / (1 + x.mean())}, lambda t: stats.geom.logpmf(x + 1, t[0]).sum())

# TFP's NegativeBinomial(total_count r, probs q) counts successes before r failures:
# scipy's nbinom(n = r, p = 1 - q).
x = rng.negative_binomial(3.0, 1 - 0.6, N).astype(float)


def nb_ll(t):
    r, logits = t
    return stats.nbinom.logpmf(x, r, special.expit(-logits)).sum()


lr, logits = minimize_nll(lambda z: -nb_ll([np.exp(z[0]), z[1]]), [np.log(2.0), 0.0])
add("NegativeBinomial", x, {"total_count": np.exp(lr), "logits": logits}, nb_ll)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scipy_mle.json")
with open(out, "w") as f:
    json.dump({"source": f"scipy {scipy.__version__}, numpy {np.__version__}, tests/data/scipy_mle.py", "n": N, "families": cases}, f, indent=1)
print(f"{len(cases)} families written to {out}")
for k, v in cases.items():
    print(k, v["mle"], round(v["log_likelihood"], 6))
