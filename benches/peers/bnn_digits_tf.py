"""Peer of `examples/bnn_digits.rs`: the seed page's `MNISTModel` (two `tfp.layers.DenseFlipout(10)`,
the second applied twice; `--model mnist`) or its convolutional model scaled to 8 x 8 digits
(`--model conv`: Reshape([8, 8, 1]), Convolution2DFlipout(64, 5, SAME, relu),
MaxPooling2D(2, 2, SAME), Reshape([4*4*64]), DenseFlipout(10)) on scikit-learn's digits (`src/layers/data/digits.csv.gz`, pixels / 16),
an 80/20 split shuffled with the seed, batch 32, Adam(0.01) (tf_keras), 100 epochs; the loss is
the mean sparse cross-entropy from logits plus `sum(model.losses) / num_train`, the train step
under `tf.function`. Reports the time per epoch (the first epoch, which traces, excluded) and the
test accuracy of the predictive mean of 20 stochastic passes, its expected calibration error
(`tfp.stats.expected_calibration_error`, 10 bins) and the mean predictive entropy of the correct
and the misclassified digits. One JSON line per seed.

Run from the repository root, one core:
  TF_NUM_INTRAOP_THREADS=1 taskset -c 0 python benches/peers/bnn_digits_tf.py --seeds 0 1 2 [--model conv]
"""
import argparse
import json
import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("TF_NUM_INTRAOP_THREADS", "1")))
tf.config.threading.set_inter_op_parallelism_threads(1)
import tensorflow_probability as tfp  # noqa: E402
import tf_keras  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[0])
p.add_argument("--epochs", type=int, default=100)
p.add_argument("--model", choices=["mnist", "conv"], default="mnist")
a = p.parse_args()
data = np.loadtxt("src/layers/data/digits.csv.gz", delimiter=",")
x_all, y_all = (data[:, :64] / 16.0).astype(np.float32), data[:, 64].astype(np.int64)


class MNISTModel(tf_keras.Model):
    def __init__(self, seed):
        super().__init__()
        self.dense1 = tfp.layers.DenseFlipout(units=10, seed=seed)
        self.dense2 = tfp.layers.DenseFlipout(units=10, seed=seed + 1)

    def call(self, inputs):
        result = self.dense1(inputs)
        result = self.dense2(result)
        # reuse variables from dense2 layer
        result = self.dense2(result)
        return result


def conv_model(seed):
    return tf_keras.Sequential([
        tf_keras.layers.Reshape([8, 8, 1]),
        tfp.layers.Convolution2DFlipout(64, kernel_size=5, padding="SAME", activation=tf.nn.relu, seed=seed),
        tf_keras.layers.MaxPooling2D(pool_size=[2, 2], strides=[2, 2], padding="SAME"),
        tf_keras.layers.Reshape([4 * 4 * 64]),
        tfp.layers.DenseFlipout(10, seed=seed + 1),
    ])


for seed in a.seeds:
    tf.random.set_seed(seed)
    order = np.random.default_rng(seed).permutation(len(y_all))
    n_train = len(y_all) * 4 // 5
    tr, te = order[:n_train], order[n_train:]
    model = MNISTModel(seed) if a.model == "mnist" else conv_model(seed)
    opt = tf_keras.optimizers.Adam(0.01)
    ds = tf.data.Dataset.from_tensor_slices((x_all[tr], y_all[tr]))

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x)
            nll = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            loss = nll + tf.add_n(model.losses) / n_train
        g = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(g, model.trainable_variables))
        return loss

    times = []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        for x, y in ds.shuffle(n_train, seed=seed * 1000 + epoch).batch(32):
            loss = step(x, y)
        loss.numpy()
        times.append(time.perf_counter() - t0)
    probs = np.mean([tf.nn.softmax(model(x_all[te])).numpy() for _ in range(20)], axis=0)
    acc = float(np.mean(np.argmax(probs, 1) == y_all[te]))
    ece = float(tfp.stats.expected_calibration_error(10, logits=np.log(np.maximum(probs, 1e-30)), labels_true=y_all[te]))
    entropy = -np.sum(probs * np.log(np.maximum(probs, 1e-30)), axis=1)
    right = np.argmax(probs, 1) == y_all[te]
    print(json.dumps({"workload": "BNN-digits-" + ("MNISTModel" if a.model == "mnist" else "conv"), "system": "tfp-tf-function", "seed": seed, "epochs": a.epochs,
                      "time_per_epoch_s": float(np.median(times[1:])), "first_epoch_s": times[0], "test_accuracy": acc, "ece": round(ece, 4),
                      "entropy_correct": round(float(entropy[right].mean()), 4), "entropy_misclassified": round(float(entropy[~right].mean()), 4),
                      "final_loss": float(loss.numpy()), "tensorflow": tf.__version__, "tfp": tfp.__version__}))
