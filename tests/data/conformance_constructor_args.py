"""Reference cases for the constructor arguments TFP documents beyond those in
`../shared/reference/reference_public.json`, in that file's format (`probrs conformance`), with
expected values from scipy (or numpy closed forms) in TFP's parameterizations. Writes
`conformance_constructor_args.json` beside this file; `tests/conformance.rs` runs it.

    venv/bin/python tests/data/conformance_constructor_args.py
"""
import json
import os

import numpy as np
import scipy
from scipy import special, stats

cases = []


def add(kind, name, params, method, inp, expected, args=None, dtype="float64", rtol=1e-9, atol=1e-12):
    c = {"id": f"{kind}/{name}/{method}/{len(cases):04d}", "kind": kind, "name": name, "params": params, "method": method,
         "input": inp, "expected": np.asarray(expected, dtype=float).tolist(), "rtol": rtol, "atol": atol, "dtype": dtype}
    if args:
        c["args"] = args
    cases.append(c)


x = [0.3, 1.0, 2.5, 7.0]
add("distribution", "HalfCauchy", {"loc": 0.2, "scale": 1.5}, "log_prob", x, stats.halfcauchy.logpdf(x, 0.2, 1.5))
add("distribution", "InverseGamma", {"concentration": 3.0, "scale": 2.0}, "log_prob", x, stats.invgamma.logpdf(x, 3.0, scale=2.0))
add("distribution", "Chi2", {"df": 4.5}, "cdf", x, stats.chi2.cdf(x, 4.5))
add("distribution", "Weibull", {"concentration": 1.5, "scale": 2.0}, "log_prob", x, stats.weibull_min.logpdf(x, 1.5, scale=2.0))
add("distribution", "Pareto", {"concentration": 3.0}, "log_prob", [1.0, 1.5, 4.0], stats.pareto.logpdf([1.0, 1.5, 4.0], 3.0))  # TFP's default scale 1
add("distribution", "TruncatedNormal", {"loc": 0.5, "scale": 2.0, "low": -1.0, "high": 3.0}, "log_prob", [-0.5, 0.5, 2.9],
    stats.truncnorm.logpdf([-0.5, 0.5, 2.9], (-1.0 - 0.5) / 2.0, (3.0 - 0.5) / 2.0, 0.5, 2.0))
add("distribution", "Gamma", {"concentration": 2.5, "log_rate": 0.4}, "log_prob", x, stats.gamma.logpdf(x, 2.5, scale=np.exp(-0.4)))
add("distribution", "Kumaraswamy", {"concentration0": 3.0}, "log_prob", [0.1, 0.5, 0.9],  # concentration1 defaults to 1
    np.log(3.0) + 2.0 * np.log1p(-np.array([0.1, 0.5, 0.9])))
k = [0.0, 1.0, 4.0]
add("distribution", "Geometric", {"logits": -0.7}, "log_prob", k, stats.geom.logpmf(np.array(k) + 1, special.expit(-0.7)))
add("distribution", "NegativeBinomial", {"total_count": 3.5, "probs": 0.6}, "log_prob", k, stats.nbinom.logpmf(k, 3.5, 0.4))
add("distribution", "NegativeBinomial", {"total_count": 3.5, "logits": 0.2}, "mean", None, 3.5 * np.exp(0.2))
add("distribution", "OneHotCategorical", {"probs": [0.2, 0.5, 0.3]}, "log_prob", [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.log([0.5, 0.3]))
add("distribution", "Multinomial", {"total_count": 5.0, "logits": [0.1, -0.4, 0.9]}, "log_prob", [[1.0, 1.0, 3.0], [5.0, 0.0, 0.0]],
    stats.multinomial.logpmf([[1, 1, 3], [5, 0, 0]], 5, special.softmax([0.1, -0.4, 0.9])))
pts = [[0.5, -1.0], [2.0, 0.3]]
add("distribution", "MultivariateNormalDiag", {"scale_diag": [2.0, 0.5]}, "log_prob", pts, stats.multivariate_normal.logpdf(pts, [0, 0], np.diag([4.0, 0.25])))
add("distribution", "MultivariateNormalTriL", {"loc": [1.0, -1.0]}, "log_prob", pts, stats.multivariate_normal.logpdf(pts, [1, -1], np.eye(2)))
D, V, d = np.array([1.0, 2.0]), np.array([[1.0], [0.5]]), np.array([0.7])
S = np.diag(D) + V @ np.diag(d) @ V.T
add("distribution", "MultivariateNormalDiagPlusLowRank", {"loc": [0.0, 1.0], "scale_diag": D.tolist(), "scale_perturb_factor": V.tolist(), "scale_perturb_diag": d.tolist()},
    "log_prob", pts, stats.multivariate_normal.logpdf(pts, [0, 1], S @ S.T))
add("distribution", "Sample", {"distribution": {"name": "Normal", "params": {"loc": 1.0, "scale": 2.0}}, "sample_shape": [3]}, "log_prob",
    [[0.0, 1.0, 2.0]], [stats.norm.logpdf([0.0, 1.0, 2.0], 1, 2).sum()])
add("distribution", "BatchReshape", {"distribution": {"name": "Normal", "params": {"loc": [0.0, 1.0, 2.0, 3.0], "scale": 1.0}}, "batch_shape": [2, 2]}, "mean", None,
    [[0.0, 1.0], [2.0, 3.0]])
add("distribution", "Masked", {"distribution": {"name": "Normal", "params": {"loc": [0.0, 1.0], "scale": 1.0}}, "validity_mask": [True, False]}, "log_prob",
    [0.5, 0.5], [stats.norm.logpdf(0.5), 0.0])
add("distribution", "LogNormal", {"loc": 0.2, "scale": 0.7}, "log_survival_function", x, stats.lognorm.logsf(x, 0.7, scale=np.exp(0.2)))
add("distribution", "Normal", {"loc": 0.2, "scale": 0.7, "validate_args": True, "allow_nan_stats": True, "name": "n"}, "log_prob", x, stats.norm.logpdf(x, 0.2, 0.7))

y = [[0.5, -1.0], [2.0, 3.0]]
add("bijector", "Scale", {"log_scale": 0.3}, "forward", y, np.exp(0.3) * np.array(y))
add("bijector", "Scale", {"log_scale": 0.3}, "forward_log_det_jacobian", y, [2 * 0.3, 2 * 0.3], args={"event_ndims": 1})
add("bijector", "Reshape", {"event_shape_out": [2, -1]}, "forward", [[1.0, 2.0, 3.0, 4.0]], [[[1.0, 2.0], [3.0, 4.0]]])
add("bijector", "Reshape", {"event_shape_out": [-1], "event_shape_in": [2, 2]}, "inverse", [[1.0, 2.0, 3.0, 4.0]], [[[1.0, 2.0], [3.0, 4.0]]])
add("bijector", "Reshape", {"event_shape_out": [3, -1]}, "forward_event_shape", [6], [3, 2])
add("bijector", "Transpose", {"rightmost_transposed_ndims": 2}, "forward", [[[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 3.0], [2.0, 4.0]]])
add("bijector", "Transpose", {"perm": [1, 0]}, "inverse", [[[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 3.0], [2.0, 4.0]]])
m = np.array([[0.5, 0.0], [1.0, -0.3]])
add("bijector", "TransformDiagonal", {"diag_bijector": {"name": "Exp", "params": {}}}, "forward", [m.tolist()], [[[np.exp(0.5), 0.0], [1.0, np.exp(-0.3)]]])
add("bijector", "TransformDiagonal", {"diag_bijector": {"name": "Exp", "params": {}}}, "forward_log_det_jacobian", [m.tolist()], [0.5 - 0.3], args={"event_ndims": 2})
add("bijector", "KumaraswamyCDF", {"concentration1": 2.0}, "forward", [0.2, 0.7], 1 - (1 - np.array([0.2, 0.7]) ** 2))  # concentration0 defaults to 1
# make_trainable's objects, as seed page 002 prints them: the stored (unconstrained) values beside
# the presented ones. TFP's positive parameters go through Softplus(low = eps(dtype)), so a scale
# of 1 is stored as softplus^-1(1 - eps): 0.5413246 in float32 (not 0.54132485).
def softplus_inv(y):
    return np.log(np.expm1(y))


e32, e64 = float(np.finfo(np.float32).eps), float(np.finfo(np.float64).eps)
add("seed_zoo", "make_trainable(Normal)", {"loc": 0.0, "scale": 1.0}, "trainable_variables", None, [0.0, softplus_inv(np.float32(1.0) - np.float32(e32))], dtype="float32", rtol=1e-6, atol=1e-7)
add("seed_zoo", "make_trainable(Normal)", {"loc": 0.0, "scale": 1.0}, "parameters", None, [0.0, 1.0], dtype="float32", rtol=1e-6, atol=1e-7)
add("seed_zoo", "make_trainable(Gamma)", {"concentration": 2.0, "rate": 3.0}, "trainable_variables", None, [softplus_inv(2.0 - e64), softplus_inv(3.0 - e64)])
add("seed_zoo", "make_trainable(Gamma)", {"concentration": 2.0, "rate": 3.0}, "log_prob", [0.5, 1.0], stats.gamma.logpdf([0.5, 1.0], 2.0, scale=1 / 3.0))
# Arguments that change values probrs does not model are unsupported (not evaluated without them).
add("distribution", "Normal", {"loc": 0.0, "scale": 1.0, "allow_nan_stats": False}, "log_prob", [0.0], [stats.norm.logpdf(0.0)])
add("distribution", "Deterministic", {"loc": 1.0, "atol": 0.1}, "log_prob", [1.05], [0.0])

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance_constructor_args.json")
with open(out, "w") as f:
    json.dump({"meta": {"source": f"scipy {scipy.__version__} / numpy {np.__version__}; tests/data/conformance_constructor_args.py", "n_cases": len(cases)}, "cases": cases}, f, indent=1)
print(len(cases), "cases")
