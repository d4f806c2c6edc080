"""Writes tests/data/glm_statsmodels.json: for each of TFP's thirteen GLM families, a data set
(500 rows: an intercept and two uniform(-1, 1) covariates; the response drawn from the family at
known coefficients) and statsmodels' GLM fit of the model with the same mean, variance function
and link: coefficients, standard errors, deviance, Pearson chi2, scale, log-likelihood, AIC and
BIC (llf-based).

statsmodels has no softplus link, so one is defined here (link g(mu) = log(expm1(mu)), inverse
softplus). The log-normal families are fitted by statsmodels' Gamma family (Fisher scoring depends
on the mean, the variance function and the link only; TFP's LogNormal has Var = mu^2), and their
log-likelihood is TFP's (scipy's lognorm with s = sqrt(log 2), loc = r - log(2)/2), written here
separately.

Run: python tests/data/glm_statsmodels.py  (numpy, scipy, statsmodels; versions recorded in the
JSON).
"""
import json
import os

import numpy as np
import scipy
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from statsmodels.genmod.families import links


class Softplus(links.Link):
    """g(mu) = log(exp(mu) - 1); mu = softplus(r)."""

    def __call__(self, p):
        return np.log(np.expm1(p))

    def inverse(self, z):
        return np.logaddexp(0.0, z)

    def deriv(self, p):
        return 1.0 / -np.expm1(-p)

    def deriv2(self, p):
        e = np.exp(-p)
        return -e / (1.0 - e) ** 2

    def inverse_deriv(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def inverse_deriv2(self, z):
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)


def softplus(r):
    return np.logaddexp(0.0, r)


def main():
    rng = np.random.default_rng(20261204)
    n = 500
    X = np.column_stack([np.ones(n), rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)])
    beta = np.array([0.5, 0.8, -0.6])
    r = X @ beta
    sig = 1.0 / (1.0 + np.exp(-r))
    ln2 = np.log(2.0)
    cases = {}

    def add(name, y, family, endog=None, start=None, tfp_llf=None, extra=None):
        model = sm.GLM(y if endog is None else endog, X, family=family)
        res = model.fit(tol=1e-14, maxiter=1000, start_params=start)
        case = {
            "y": [float(v) for v in y],
            "params": res.params.tolist(),
            "bse": res.bse.tolist(),
            "deviance": float(res.deviance),
            "pearson_chi2": float(res.pearson_chi2),
            "scale": float(res.scale),
            "llf": float(res.llf if tfp_llf is None else tfp_llf(res.params)),
            "aic": float(res.aic if tfp_llf is None else -2 * tfp_llf(res.params) + 2 * X.shape[1]),
            "bic": float(res.bic_llf if tfp_llf is None else -2 * tfp_llf(res.params) + X.shape[1] * np.log(n)),
            "start": None if start is None else list(start),
        }
        case.update(extra or {})
        cases[name] = case

    add("Bernoulli", rng.binomial(1, sig).astype(float), sm.families.Binomial())
    add("BernoulliNormalCDF", rng.binomial(1, st.norm.cdf(r)).astype(float), sm.families.Binomial(link=links.Probit()))
    yb = rng.binomial(10, sig).astype(float)
    add("Binomial", yb, sm.families.Binomial(), endog=np.column_stack([yb, 10 - yb]), extra={"total_count": 10.0})
    add("Poisson", rng.poisson(np.exp(r)).astype(float), sm.families.Poisson())
    add("PoissonSoftplus", rng.poisson(softplus(r)).astype(float), sm.families.Poisson(link=Softplus(), check_link=False))
    add("Normal", r + rng.normal(0, 0.7, n), sm.families.Gaussian())
    r_pos = 2.0 + 0.5 * X[:, 1] - 0.4 * X[:, 2]
    add("NormalReciprocal", 1.0 / r_pos + rng.normal(0, 0.05, n), sm.families.Gaussian(link=links.InversePower()), start=[2.0, 0.0, 0.0])
    s = np.sqrt(ln2)

    def lognormal_llf(mean_fn, y):
        return lambda p: float(np.sum(st.lognorm(s=s, scale=np.exp(np.log(mean_fn(X @ p)) - ln2 / 2)).logpdf(y)))

    y_ln = np.exp(r - ln2 / 2 + s * rng.normal(size=n))
    add("LogNormal", y_ln, sm.families.Gamma(link=links.Log()), tfp_llf=lognormal_llf(np.exp, y_ln))
    y_lns = softplus(r) * np.exp(-ln2 / 2 + s * rng.normal(size=n))
    add("LogNormalSoftplus", y_lns, sm.families.Gamma(link=Softplus(), check_link=False), tfp_llf=lognormal_llf(softplus, y_lns))
    add("GammaExp", rng.gamma(2.0, np.exp(r) / 2.0), sm.families.Gamma(link=links.Log()))
    add("GammaSoftplus", rng.gamma(2.0, softplus(r) / 2.0), sm.families.Gamma(link=Softplus(), check_link=False))
    k = 2.0
    mu = np.exp(r)
    add("NegativeBinomial", rng.negative_binomial(k, k / (k + mu)).astype(float), sm.families.NegativeBinomial(alpha=1 / k), extra={"total_count": k})
    mu = softplus(r)
    add("NegativeBinomialSoftplus", rng.negative_binomial(k, k / (k + mu)).astype(float), sm.families.NegativeBinomial(alpha=1 / k, link=Softplus(), check_link=False), extra={"total_count": k})

    out = {
        "source": "tests/data/glm_statsmodels.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
        "x": X.tolist(),
        "families": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "glm_statsmodels.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", path)


if __name__ == "__main__":
    main()
