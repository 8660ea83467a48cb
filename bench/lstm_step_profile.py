"""Where one training step of the seeds' LSTM(100) x2 goes on JAX's CPU backend (issue 18, item 5).

Run (from the repository root)::

    .venv/bin/python bench/lstm_step_profile.py [--epochs 4] [--rounds 3] [--only keras_fit,scan_hoist_u4]
    XLA_FLAGS=... .venv/bin/python bench/lstm_step_profile.py     # the same with XLA CPU flags (fresh process)

The network and its training arrays are those SalesLens builds for ``market_trend_lstm`` with the seeds' request
(window 60, LSTM(100) x2, batch 32, the improvements at their defaults) on the issue's series (daily, 1,100 days,
last 28 held out): 860 windows padded to 864 = 27 steps an epoch. Every variant starts from the same weights and
trains on the same batches (one fixed permutation per epoch) with Keras' Adam through ``optimizer.stateless_apply``;
each is timed over ``--epochs`` epochs after one warm-up epoch (compilation excluded), interleaved over ``--rounds``.

Variants: ``keras_fit`` (``model.fit``, what SalesLens does today); ``keras_step`` (the Keras guide's bare jitted
stateless train step, a Python loop over batches); ``keras_scan`` (one jitted ``lax.scan`` over an epoch's batches,
the same stateless step inside); ``scan_plain_u1`` (a JAX LSTM written out, the input projection inside the
recurrence as Keras does it); ``scan_hoist_uN`` (the input projection of all timesteps as one GEMM before the
recurrence, ``lax.scan(unroll=N)``). Printed: ms per step, CPU-s, the ratio to ``keras_fit``, and the largest
difference of each written-out network's predictions from ``model.predict`` at the same weights.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REQUEST = {"window": 60, "layers": 2, "units": 100, "epochs": 20}


def capture():
    """The built (untrained) model, the training inputs/target and the config, as ``NeuralForecaster.fit`` makes them."""
    from bench.families import multiplicative
    from ml.forecast import get_preset, network
    from ml.forecast.forecaster import NeuralForecaster

    frame = multiplicative(11, 1100)[["unique_id", "ds", "y"]].iloc[:-28]
    config = get_preset("market_trend_lstm", "D", **REQUEST)
    got: dict = {}

    class _Captured(Exception):
        pass

    real = network.train_network

    def grab(model, inputs, target, val_inputs, val_target, cfg, progress=None):
        got.update(model=model, inputs=inputs, target=target, config=cfg)
        raise _Captured

    network.train_network = grab
    try:
        NeuralForecaster(config).fit(frame)
    except _Captured:
        pass
    finally:
        network.train_network = real
    return got["model"], got["inputs"], got["target"], got["config"]


def lstm_layer(x, kernel, recurrent, bias, *, hoist: bool, unroll: int, sequences: bool):
    """Keras' LSTM (gates i, f, c, o; sigmoid/tanh) over x [batch, time, in] -> [batch, time, units] or [batch, units]."""
    import jax
    import jax.numpy as jnp

    batch = x.shape[0]
    units = recurrent.shape[0]
    xs = jnp.swapaxes(x, 0, 1)  # [time, batch, in]
    if hoist:
        xs = jnp.einsum("tbi,ig->tbg", xs, kernel) + bias  # [time, batch, 4 units]: one GEMM

    def step(carry, xt):
        h, c = carry
        z = (xt if hoist else xt @ kernel + bias) + h @ recurrent  # [batch, 4 units]
        zi, zf, zc, zo = jnp.split(z, 4, axis=1)
        c = jax.nn.sigmoid(zf) * c + jax.nn.sigmoid(zi) * jnp.tanh(zc)
        h = jax.nn.sigmoid(zo) * jnp.tanh(c)
        return (h, c), (h if sequences else None)

    zeros = jnp.zeros((batch, units), x.dtype)
    (h, _), hs = jax.lax.scan(step, (zeros, zeros), xs, unroll=unroll)
    return jnp.swapaxes(hs, 0, 1) if sequences else h


def written_out(model, hoist: bool, unroll: int):
    """forward(trainable values, inputs) of this model's exact layers (past -> LSTM x2 -> concat future -> head +
    baseline skip), in model.trainable_variables order."""
    import jax.numpy as jnp

    paths = [v.path for v in model.trainable_variables]

    def forward(values, inputs):
        w = dict(zip(paths, values, strict=True))
        past, future, base = inputs
        x = lstm_layer(past, w["lstm/lstm_cell/kernel"], w["lstm/lstm_cell/recurrent_kernel"],
                       w["lstm/lstm_cell/bias"], hoist=hoist, unroll=unroll, sequences=True)
        x = lstm_layer(x, w["lstm_1/lstm_cell/kernel"], w["lstm_1/lstm_cell/recurrent_kernel"],
                       w["lstm_1/lstm_cell/bias"], hoist=hoist, unroll=unroll, sequences=False)
        x = jnp.concatenate([x, future.reshape(future.shape[0], -1)], axis=1)
        return x @ w["head/kernel"] + w["head/bias"] + base @ w["baseline_skip/kernel"]

    return forward


def make_trainers(model, batches_x, batches_y):
    """name -> (run_epoch(state, order) -> (state, losses), initial-state maker)."""
    import jax
    import jax.numpy as jnp

    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)

    def keras_loss(tv, ntv, x, y):
        pred, ntv = model.stateless_call(tv, ntv, x, training=True)
        return jnp.mean((pred - y) ** 2), ntv

    keras_grad = jax.value_and_grad(keras_loss, has_aux=True)

    def keras_step(state, x, y):
        tv, ntv, ov = state
        (loss, ntv), grads = keras_grad(tv, ntv, x, y)
        tv, ov = optimizer.stateless_apply(ov, grads, tv)
        return (tv, ntv, ov), loss

    jit_step = jax.jit(keras_step)

    def run_step_loop(state, order):
        losses = []
        for i in order:
            state, loss = jit_step(state, [a[i] for a in batches_x], batches_y[i])
            losses.append(loss)
        return state, jnp.stack(losses)

    def scan_of(step):
        @jax.jit
        def epoch(state, order):
            def body(s, i):
                return step(s, [a[i] for a in batches_x], batches_y[i])
            return jax.lax.scan(body, state, order)
        return epoch

    trainers = {"keras_step": run_step_loop, "keras_scan": scan_of(keras_step)}

    for name, hoist, unroll in [("scan_plain_u1", False, 1), ("scan_hoist_u1", True, 1), ("scan_hoist_u2", True, 2),
                                ("scan_hoist_u4", True, 4), ("scan_hoist_u8", True, 8)]:
        forward = written_out(model, hoist, unroll)

        def loss_fn(tv, x, y, forward=forward):
            return jnp.mean((forward(tv, x) - y) ** 2)

        grad = jax.value_and_grad(loss_fn)

        def step(state, x, y, grad=grad):
            tv, ntv, ov = state
            loss, grads = grad(tv, x, y)
            tv, ov = optimizer.stateless_apply(ov, grads, tv)
            return (tv, ntv, ov), loss

        trainers[name] = scan_of(step)
        trainers[name].forward = jax.jit(forward)
    return trainers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated variants (default: all)")
    args = parser.parse_args()
    import jax
    import jax.numpy as jnp

    from ml.forecast import network

    model, inputs, target, config = capture()
    keras = network.keras
    n = len(target)
    batch = config.batch_size
    extra = (-n) % batch
    pick = np.random.default_rng(0).choice(n, size=extra, replace=False)
    inputs = [np.concatenate([a, a[pick]]) for a in inputs]
    target = np.concatenate([target, target[pick]])
    steps = len(target) // batch
    batches_x = [jnp.asarray(a.reshape(steps, batch, *a.shape[1:])) for a in inputs]
    batches_y = jnp.asarray(target.reshape(steps, batch, *target.shape[1:]))
    orders = [np.random.default_rng(e).permutation(steps) for e in range(args.epochs + 1)]
    initial = [np.array(v) for v in model.get_weights()]
    print(f"steps/epoch {steps}, batch {batch}, epochs timed {args.epochs}, XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}"
          f", load {os.getloadavg()[0]:.2f}", flush=True)

    trainers = make_trainers(model, batches_x, batches_y)
    optimizer_initial = [np.array(v.value) for v in model.optimizer.variables]  # iterations 0, learning rate
    only = [v for v in args.only.split(",") if v]
    names = ["keras_fit", *trainers] if not only else only

    # predictions of the written-out networks against model.predict at the same (initial) weights
    reference = np.asarray(model.predict_on_batch(inputs))
    tv0 = [jnp.asarray(np.array(v.value)) for v in model.trainable_variables]  # copies: Keras donates its buffers
    for name in names:
        forward = getattr(trainers.get(name), "forward", None)
        if forward is not None:
            diff = np.abs(np.asarray(forward(tv0, [jnp.asarray(a) for a in inputs])) - reference).max()
            print(f"  {name:14s} max |prediction - keras| {diff:.2e}")

    def fresh_state():
        model.set_weights(initial)
        for v, value in zip(model.optimizer.variables, optimizer_initial, strict=True):
            v.assign(value)
        return tuple([jnp.asarray(np.array(v.value)) for v in group] for group in
                     (model.trainable_variables, model.non_trainable_variables, model.optimizer.variables))

    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    finals: dict[str, float] = {}
    for _ in range(args.rounds):
        for name in names:
            if name == "keras_fit":
                model.set_weights(initial)
                x = [np.concatenate([a[i * batch:(i + 1) * batch] for i in range(steps)]) for a in inputs]
                model.fit(x, target, batch_size=batch, epochs=1, verbose=0, shuffle=False)  # warm-up + compile
                wall, cpu = time.perf_counter(), time.process_time()
                hist = model.fit(x, target, batch_size=batch, epochs=args.epochs, verbose=0, shuffle=True)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                finals[name] = hist.history["loss"][-1]
            else:
                run = trainers[name]
                state = fresh_state()
                state, losses = run(state, jnp.asarray(orders[0]))
                jax.block_until_ready(losses)
                wall, cpu = time.perf_counter(), time.process_time()
                for e in range(1, args.epochs + 1):
                    state, losses = run(state, jnp.asarray(orders[e]))
                jax.block_until_ready(losses)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                finals[name] = float(np.mean(np.asarray(losses)))
            results[name].append((wall, cpu))
    base = min(w for w, _ in results[names[0]])
    for name in names:
        wall = min(w for w, _ in results[name])
        cpu = min(c for _, c in results[name])
        ms = 1000 * wall / (args.epochs * steps)
        print(f"{name:14s} {ms:6.2f} ms/step  wall {wall:6.2f} s  cpu {cpu:6.2f} s  ratio to {names[0]} "
              f"{wall / base:5.3f}  last-epoch loss {finals[name]:.5f}", flush=True)
    print(f"load at end {os.getloadavg()[0]:.2f}")
    del keras


if __name__ == "__main__":
    main()
