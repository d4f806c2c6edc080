"""Peer of `examples/maf_two_moons.rs` (bench W8, `probrs::demo::maf_two_moons`) in TFP on JAX:
the seed page's masked autoregressive flow on two moons. Five `tfb.MaskedAutoregressiveFlow`s
with `tfb.Permute([1, 0])` between them over a standard-normal base; each flow's
shift-and-log-scale network is a MADE with the page template's two relu hidden layers
(`--hidden`, 512), written here in JAX because `tfb.AutoregressiveNetwork` is a Keras layer: its
degrees and masks come from TFP's own `_create_degrees` / `_create_masks` (left-to-right input
order, equal hidden degrees), its kernels are Glorot-uniform and stored masked, biases zero, as
the Keras layer's. Minibatch maximum likelihood, batch 512 drawn uniformly with replacement,
Adam(1e-3, eps 1e-7 as tf_keras), the whole loop one `jax.jit` (`lax.scan`). The data are the
probrs example's (`DUMP=dir` writes them), so the held-out NLL compares on the same points.

Reports the time per step after compilation (the compiled loop's wall time / steps), the compile
time, and the held-out mean NLL per point. One JSON line per seed.

Run from the repository root (both cores, as the baselines):
  DUMP=/tmp/w8 cargo run --release --example maf_two_moons    # writes the data, runs probrs
  python benches/peers/maf_two_moons_jax.py --data /tmp/w8 --steps 1000
"""
import argparse
import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from tensorflow_probability.substrates import jax as tfp  # noqa: E402
from tensorflow_probability.substrates.jax.bijectors.masked_autoregressive import _create_degrees, _create_masks  # noqa: E402

tfd, tfb = tfp.distributions, tfp.bijectors
p = argparse.ArgumentParser()
p.add_argument("--data", default="/tmp/w8")
p.add_argument("--seeds", type=int, nargs="+", default=[0])
p.add_argument("--steps", type=int, default=1000)
p.add_argument("--hidden", type=int, default=512)
p.add_argument("--flow-steps", type=int, default=5)
p.add_argument("--batch", type=int, default=512)
a = p.parse_args()
train = np.loadtxt(os.path.join(a.data, "train.csv"), delimiter=",", dtype=np.float32)
test = np.loadtxt(os.path.join(a.data, "test.csv"), delimiter=",", dtype=np.float32)
D, PARAMS, HIDDEN = 2, 2, [a.hidden, a.hidden]

degrees = _create_degrees(input_size=D, hidden_units=HIDDEN, input_order="left-to-right", hidden_degrees="equal")
masks = _create_masks(degrees)
# The output layer's mask repeated for each of the `params` outputs per coordinate (TFP's build).
masks[-1] = np.reshape(np.tile(masks[-1][..., np.newaxis], [1, 1, PARAMS]), [masks[-1].shape[0], D * PARAMS])
masks = [jnp.asarray(m, jnp.float32) for m in masks]


def init_made(key):
    sizes = [D] + HIDDEN + [D * PARAMS]
    layers = []
    for m, (fan_in, fan_out) in zip(masks, zip(sizes[:-1], sizes[1:])):
        key, sub = jax.random.split(key)
        lim = np.sqrt(6.0 / (fan_in + fan_out))
        layers.append((jax.random.uniform(sub, (fan_in, fan_out), jnp.float32, -lim, lim) * m, jnp.zeros(fan_out, jnp.float32)))
    return layers


def made(layers, x):
    h = x
    for i, ((w, b), m) in enumerate(zip(layers, masks)):
        h = h @ (w * m) + b
        if i + 1 < len(layers):
            h = jax.nn.relu(h)
    return h.reshape(x.shape[:-1] + (D, PARAMS))


def flow(params):
    bijectors = []
    for k, layers in enumerate(params):
        if k > 0:
            bijectors.append(tfb.Permute([1, 0]))
        bijectors.append(tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=lambda x, layers=layers: made(layers, x)))
    base = tfd.MultivariateNormalDiag(jnp.zeros(D), jnp.ones(D))
    return tfd.TransformedDistribution(base, tfb.Chain(bijectors))


def loss(params, batch):
    return -jnp.mean(flow(params).log_prob(batch))


opt = optax.adam(1e-3, eps=1e-7)
train_j, test_j = jnp.asarray(train), jnp.asarray(test)


def fit(params, idx):
    def step(carry, rows):
        params, state = carry
        value, grads = jax.value_and_grad(loss)(params, train_j[rows])
        updates, state = opt.update(grads, state, params)
        return (optax.apply_updates(params, updates), state), value

    (params, _), losses = jax.lax.scan(step, (params, opt.init(params)), idx)
    return params, losses


for seed in a.seeds:
    key = jax.random.PRNGKey(seed)
    keys = jax.random.split(key, a.flow_steps + 1)
    params = [init_made(k) for k in keys[:-1]]
    idx = jax.random.randint(keys[-1], (a.steps, a.batch), 0, train.shape[0])
    t0 = time.perf_counter()
    compiled = jax.jit(fit).lower(params, idx).compile()
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fitted, losses = compiled(params, idx)
    losses.block_until_ready()
    wall = time.perf_counter() - t0
    test_nll = float(jax.jit(loss)(fitted, test_j))
    print(json.dumps({
        "workload": "W8-maf-two-moons", "system": "tfp-jax", "seed": seed, "hidden": a.hidden, "flow_steps": a.flow_steps,
        "batch": a.batch, "steps": a.steps, "time_per_step_s": wall / a.steps, "compile_s": compile_s,
        "test_nll": round(test_nll, 4), "final_batch_loss": round(float(losses[-1]), 4),
        "jax": jax.__version__, "tfp": tfp.__version__, "threads": os.cpu_count(),
    }), flush=True)
