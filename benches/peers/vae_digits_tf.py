"""Peer of `examples/vae_digits.rs` (`probrs::demo::vae_digits`): the seed page's VAE on
scikit-learn's digits (`src/layers/data/digits.csv.gz`), binarized (a 0-16 pixel is on when over
8), every fifth digit held out. Encoder Dense(128, relu), Dense(128, relu),
Dense(params_size) -> tfp.layers.MultivariateNormalTriL(8); decoder Dense(128, relu) x 2,
Dense(64) -> Independent(Bernoulli(logits)); the learnable mixture prior of TFP's
examples/vae.py (10 components, Glorot-uniform variables); loss -mean(elbo_local) over 16
posterior draws per digit (vae.py's Monte Carlo rate); Adam(1e-3) (tf_keras), batch 32,
50 epochs, the train step under tf.function. Reports the time per epoch (the first epoch,
which traces, excluded), the test ELBO (16 draws) and the importance-weighted bound on
-log p(x) with 500 samples, per digit. One JSON line per seed.

Run from the repository root, one core:
  TF_NUM_INTRAOP_THREADS=1 taskset -c 0 python benches/peers/vae_digits_tf.py --seeds 0 1 2
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

tfd, tfpl = tfp.distributions, tfp.layers
p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[0])
p.add_argument("--epochs", type=int, default=50)
a = p.parse_args()
data = np.loadtxt("src/layers/data/digits.csv.gz", delimiter=",")
x_all = (data[:, :64] > 8).astype(np.float32)
test_rows = np.arange(len(x_all)) % 5 == 4
x_train, x_test = x_all[~test_rows], x_all[test_rows]
LATENT, HIDDEN, K, S, IW = 8, 128, 10, 16, 500

for seed in a.seeds:
    tf.random.set_seed(seed)
    encoder = tf_keras.Sequential([
        tf_keras.layers.Dense(HIDDEN, activation="relu"),
        tf_keras.layers.Dense(HIDDEN, activation="relu"),
        tf_keras.layers.Dense(tfpl.MultivariateNormalTriL.params_size(LATENT)),
    ])
    decoder = tf_keras.Sequential([
        tf_keras.layers.Dense(HIDDEN, activation="relu"),
        tf_keras.layers.Dense(HIDDEN, activation="relu"),
        tf_keras.layers.Dense(64),
    ])
    glorot = tf_keras.initializers.GlorotUniform(seed=seed)
    loc = tf.Variable(glorot([K, LATENT]), name="loc")
    raw_scale_diag = tf.Variable(glorot([K, LATENT]), name="raw_scale_diag")
    mixture_logits = tf.Variable(glorot([1, K])[0], name="mixture_logits")

    def prior():
        return tfd.MixtureSameFamily(
            components_distribution=tfd.MultivariateNormalDiag(loc=loc, scale_diag=tf.nn.softplus(raw_scale_diag)),
            mixture_distribution=tfd.Categorical(logits=mixture_logits))

    def elbo_local(x, n):
        q = tfpl.MultivariateNormalTriL.new(encoder(x), LATENT)
        z = q.sample(n)
        logits = tf.reshape(decoder(tf.reshape(z, [-1, LATENT])), [n, -1, 64])
        distortion = -tfd.Independent(tfd.Bernoulli(logits=logits), 1).log_prob(x)
        rate = q.log_prob(z) - prior().log_prob(z)
        return -(rate + distortion)

    encoder.build([None, 64])
    decoder.build([None, LATENT])
    variables = encoder.trainable_variables + decoder.trainable_variables + [loc, raw_scale_diag, mixture_logits]
    opt = tf_keras.optimizers.Adam(1e-3)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(elbo_local(x, S))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    ds = tf.data.Dataset.from_tensor_slices(x_train)
    times = []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        for x in ds.shuffle(len(x_train), seed=seed * 1000 + epoch).batch(32):
            loss = step(x)
        loss.numpy()
        times.append(time.perf_counter() - t0)
    elbo, iw = 0.0, 0.0
    for i in range(0, len(x_test), 64):
        xs = x_test[i:i + 64]
        elbo += float(tf.reduce_sum(tf.reduce_mean(elbo_local(xs, S), 0)))
        local = tf.cast(elbo_local(xs, IW), tf.float64)
        iw += float(tf.reduce_sum(tf.reduce_logsumexp(local, 0) - np.log(IW)))
    print(json.dumps({"workload": "VAE-digits", "system": "tfp-tf-function", "seed": seed, "epochs": a.epochs,
                      "time_per_epoch_s": float(np.median(times[1:])), "first_epoch_s": times[0],
                      "test_elbo": round(elbo / len(x_test), 3), "test_iw_nll": round(-iw / len(x_test), 3), "iw_samples": IW,
                      "final_train_loss": round(float(loss.numpy()), 3), "tensorflow": tf.__version__, "tfp": tfp.__version__}))
