"""Peer of `probrs bench flipout`: TFP's `tfp.layers.DenseFlipout(512)` on a 256 x 784 float32
batch (TF 2.21 with tf_keras, `TF_USE_LEGACY_KERAS=1`: TFP's layers do not run under Keras 3):
one forward pass and the gradient of `sum(outputs) + sum(layer.losses)` with respect to the
layer's trainable variables, under `tf.function`; median of 50 steps after 5 warm-up steps
(the first traces). Prints one JSON line.

Run from the repository root (one core, as probrs's CANDLE_NUM_THREADS=1):
  TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 taskset -c 0 python benches/peers/dense_flipout_tf.py
"""
import json
import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

threads = int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(int(os.environ.get("TF_NUM_INTEROP_THREADS", "1")))
import tensorflow_probability as tfp  # noqa: E402

x = tf.random.stateless_normal([256, 784], seed=[0, 0], dtype=tf.float32)
layer = tfp.layers.DenseFlipout(512, seed=1)
layer(x)


@tf.function
def step():
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y) + tf.add_n(layer.losses)
    g = tape.gradient(loss, layer.trainable_variables)
    return loss, g


t0 = time.perf_counter()
step()
first = time.perf_counter() - t0
for _ in range(4):
    step()
times = []
for _ in range(50):
    t0 = time.perf_counter()
    loss, g = step()
    _ = [v.numpy() for v in g]
    times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"workload": "DenseFlipout-fwd-bwd", "system": "tfp-tf-function", "batch": 256, "in": 784, "units": 512, "dtype": "float32",
                  "time_per_step_s": times[len(times) // 2], "min_s": times[0], "first_call_s": first, "threads": threads,
                  "tensorflow": tf.__version__, "tfp": tfp.__version__}))
