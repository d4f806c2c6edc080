"""Peer of `probrs bench lme`: the seed page's InstEval model, fully Bayesian, by NumPyro's NUTS
(its defaults: max tree depth 10, target acceptance 0.8, diagonal mass matrix), the same model
and priors as `probrs::demo::inst_eval_program`:

  intercept ~ Normal(0, 5), service_effects ~ Normal(0, 1),
  student_scale, instructor_scale, dept_scale, noise_scale ~ HalfNormal(1),
  student_effects ~ MultivariateNormalDiag(0, student_scale), (instructors, depts alike),
  ratings ~ Normal(service_effects * service + student_effects[s] + instructor_effects[d]
                   + dept_effects[dept] + intercept, noise_scale).

All 73,421 ratings in float64, one chain on one core; prints one JSON line: wall time of warm-up
plus sampling (compile excluded: a first run compiles, the timed second run reuses it), gradient
evaluations, ESS (NumPyro's effective_sample_size: min and median over the scales and fixed
effects; min over all 4,120 coordinates) and ESS per second, posterior means and sds of the
fixed effects and scales.

Run from the repository root:
  JAX_PLATFORMS=cpu XLA_FLAGS=--xla_force_host_platform_device_count=1 \
    taskset -c 0 python benches/peers/lme_numpyro.py --warmup 500 --draws 500
"""
import argparse
import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
import pandas as pd  # noqa: E402
from numpyro.diagnostics import effective_sample_size  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--warmup", type=int, default=500)
p.add_argument("--draws", type=int, default=500)
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()

df = pd.read_csv("src/mixed_effects/data/InstEval.csv.gz")
codes = lambda c: pd.Categorical(df[c].astype(str)).codes.astype(np.int32)  # noqa: E731
s, d, dept = codes("s"), codes("d"), codes("dept")
ns, nd, ndept = s.max() + 1, d.max() + 1, dept.max() + 1
service = jnp.asarray(df["service"].values, jnp.float64)
y = jnp.asarray(df["y"].values, jnp.float64)


def model(service, s, d, dept, y):
    intercept = numpyro.sample("intercept", dist.Normal(0.0, 5.0))
    service_effects = numpyro.sample("service_effects", dist.Normal(0.0, 1.0))
    student_scale = numpyro.sample("student_scale", dist.HalfNormal(1.0))
    instructor_scale = numpyro.sample("instructor_scale", dist.HalfNormal(1.0))
    dept_scale = numpyro.sample("dept_scale", dist.HalfNormal(1.0))
    noise_scale = numpyro.sample("noise_scale", dist.HalfNormal(1.0))
    se = numpyro.sample("student_effects", dist.Normal(jnp.zeros(ns), student_scale).to_event(1))
    ie = numpyro.sample("instructor_effects", dist.Normal(jnp.zeros(nd), instructor_scale).to_event(1))
    de = numpyro.sample("dept_effects", dist.Normal(jnp.zeros(ndept), dept_scale).to_event(1))
    loc = service_effects * service + se[s] + ie[d] + de[dept] + intercept
    numpyro.sample("ratings", dist.Normal(loc, noise_scale).to_event(1), obs=y)


mcmc = MCMC(NUTS(model), num_warmup=a.warmup, num_samples=a.draws, num_chains=1, progress_bar=False)


def once():
    t0 = time.perf_counter()
    mcmc.warmup(jax.random.PRNGKey(a.seed), service, s, d, dept, y, collect_warmup=True, extra_fields=("num_steps",))
    nw = int(np.sum(mcmc.get_extra_fields()["num_steps"]))
    mcmc.run(mcmc.post_warmup_state.rng_key, service, s, d, dept, y, extra_fields=("num_steps", "diverging"))
    ex = mcmc.get_extra_fields()
    samples = jax.block_until_ready(mcmc.get_samples())
    return time.perf_counter() - t0, samples, nw + int(np.sum(ex["num_steps"])), int(np.sum(ex["diverging"]))


first, _, _, _ = once()
wall, samples, grads, div = once()
scalars = ["intercept", "service_effects", "student_scale", "instructor_scale", "dept_scale", "noise_scale"]
ess = {k: float(effective_sample_size(np.asarray(samples[k])[None])) for k in scalars}
ess_all = min(float(np.min(effective_sample_size(np.asarray(samples[k])[None]))) for k in samples)
# ArviZ's bulk ESS (rank-normalized, Vehtari et al. 2021), the estimator probrs reports.
import arviz  # noqa: E402
bulk = {k: float(arviz.ess(np.asarray(samples[k])[None], method="bulk")) for k in scalars}
bulk_all = min(float(np.min(np.asarray(arviz.ess(arviz.convert_to_dataset({k: np.asarray(samples[k])[None]}), method="bulk")[k]))) for k in samples)
print(json.dumps({
    "workload": "lme-InstEval-nuts", "system": "numpyro", "num_warmup": a.warmup, "num_draws": a.draws, "wall_s": wall,
    "compile_s": first - wall, "grad_evals": grads, "ms_per_grad": wall * 1e3 / grads, "divergences": div,
    "ess_min_scalars": min(ess.values()), "ess_median_scalars": float(np.median(list(ess.values()))), "ess_min_all": ess_all,
    "ess_min_scalars_per_s": min(ess.values()) / wall, "ess_min_all_per_s": ess_all / wall, "ess": ess,
    "ess_bulk": bulk, "ess_bulk_min_scalars": min(bulk.values()), "ess_bulk_min_all": bulk_all,
    "ess_bulk_min_scalars_per_s": min(bulk.values()) / wall, "ess_bulk_min_all_per_s": bulk_all / wall,
    "mean": {k: float(np.mean(samples[k])) for k in scalars}, "sd": {k: float(np.std(samples[k])) for k in scalars},
    "numpyro": numpyro.__version__, "jax": jax.__version__,
}))
