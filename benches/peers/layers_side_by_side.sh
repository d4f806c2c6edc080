#!/usr/bin/env bash
# Issue 16's side-by-side: the page's BNNs and VAE in probrs and in TFP on TF 2.21 + tf_keras,
# 3 seeds each, alternating, on one core (taskset -c ${CORE:-0}), in one sitting. Prints the
# JSON lines of both. Needs `cargo build --release --examples` and the peers' venv
# (../shared/baselines/README.md) as $PY (default python3). Run from the repository root.
set -euo pipefail
CORE=${CORE:-0}
PY=${PY:-python3}
export CANDLE_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1
for seed in 0 1 2; do
  SEED=$seed taskset -c "$CORE" ./target/release/examples/bnn_digits
  taskset -c "$CORE" "$PY" benches/peers/bnn_digits_tf.py --seeds "$seed"
  MODEL=conv SEED=$seed taskset -c "$CORE" ./target/release/examples/bnn_digits
  taskset -c "$CORE" "$PY" benches/peers/bnn_digits_tf.py --model conv --seeds "$seed"
  SEED=$seed taskset -c "$CORE" ./target/release/examples/vae_digits
  taskset -c "$CORE" "$PY" benches/peers/vae_digits_tf.py --seeds "$seed"
done
