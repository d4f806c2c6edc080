"""Peer of `examples/maf_two_moons.rs` (bench W8, `probrs::demo::maf_two_moons`) in TFP on TF
2.21 + tf_keras: the seed page's masked autoregressive flow on two moons. Five
`tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=tfb.AutoregressiveNetwork(params=2,
hidden_units=[512, 512], activation="relu"))` with `tfb.Permute([1, 0])` between them over a
standard-normal base (`masked_autoregressive_default_template`, the page's call, is TF1-only;
`AutoregressiveNetwork` is its TF2 replacement with the same masks). Minibatch maximum
likelihood, batch 512 drawn uniformly with replacement, tf_keras Adam(1e-3), the train step a
`tf.function`. The data are the probrs example's (`DUMP=dir` writes them).

Reports the median time per step (the first, tracing step excluded) and the held-out mean NLL
per point. One JSON line per seed.

Run from the repository root (both cores, as the baselines):
  DUMP=/tmp/w8 cargo run --release --example maf_two_moons    # writes the data, runs probrs
  python benches/peers/maf_two_moons_tf.py --data /tmp/w8 --steps 1000
"""
import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402
import tf_keras  # noqa: E402

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

for seed in a.seeds:
    tf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    bijectors = []
    for k in range(a.flow_steps):
        if k > 0:
            bijectors.append(tfb.Permute([1, 0]))
        made = tfb.AutoregressiveNetwork(params=2, hidden_units=[a.hidden, a.hidden], activation="relu")
        bijectors.append(tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=made))
    dist = tfd.TransformedDistribution(tfd.MultivariateNormalDiag(tf.zeros(2), tf.ones(2)), tfb.Chain(bijectors))
    dist.log_prob(train[:2])  # builds the networks' variables
    variables = dist.trainable_variables
    opt = tf_keras.optimizers.Adam(1e-3)

    @tf.function(autograph=False)
    def step(batch):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(dist.log_prob(batch))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    times, loss = [], None
    for s in range(a.steps):
        batch = tf.constant(train[rng.integers(0, train.shape[0], a.batch)])
        t0 = time.perf_counter()
        loss = float(step(batch))
        times.append(time.perf_counter() - t0)
    test_nll = float(-tf.reduce_mean(dist.log_prob(test)))
    print(json.dumps({
        "workload": "W8-maf-two-moons", "system": "tfp-tf-function", "seed": seed, "hidden": a.hidden, "flow_steps": a.flow_steps,
        "batch": a.batch, "steps": a.steps, "time_per_step_s": statistics.median(times[1:]), "first_step_s": times[0],
        "test_nll": round(test_nll, 4), "final_batch_loss": round(loss, 4), "tensorflow": tf.__version__, "tfp": tfp.__version__,
    }), flush=True)
