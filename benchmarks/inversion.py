"""Recovering z on held-out real digits: optimization (Adam, L-BFGS), an encoder, BiGAN.

lectures/13_representation_learning.md, Eqs. (5)-(7). One DCGAN and one BiGAN of the same size
are trained (or reused: runs go to ``--runs`` in directories named after their settings) on the
first 8,000 digits of MNIST's test split (``test[:8000]``; the train split when it is available),
and a digit classifier (``tfgan.classifier``) on 5,000 of them. The held-out digits are the
first ``--held-out`` of ``test[8000:]``, never seen by any network. For each method:

  Adam, L-BFGS       Eq. (5), pixel MSE + 0.05 x classifier-feature MSE, ``--restarts`` starts of
                     ``--inv-steps`` steps, the best start kept (``tfgan.inversion.invert``)
  encoder            Eq. (6), trained ``--enc-steps`` on the DCGAN's samples, then one forward pass
  encoder + Adam     the encoder's z refined by a quarter of the Adam steps, one start
  BiGAN              Eq. (7), the BiGAN's own encoder, decoded by the BiGAN's own generator

the table gives the pixel MSE of G(z) against x (pixels in [-1, 1]), the MSE of the classifier's
penultimate features, the share of digits whose classifier label G(z) keeps, and the wall and CPU
seconds (user + system, all threads) to encode the held-out digits; training times are printed
beside. CPU flags and the load average are printed with the results, since the machine may be
shared: CPU seconds are the steadier figure.

    python benchmarks/inversion.py                     # 500 digits, the notebook's sizes
    python benchmarks/inversion.py --runs notebooks/runs   # reuse notebook 13's DCGAN and BiGAN runs
    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/inversion.py --held-out 200 --json inversion.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import tfgan  # noqa: E402, F401  (quiet TensorFlow start-up)
from tfgan import classifier, data, inversion, models, runs, train  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_speed import cpu_flags  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", default="runs", help="folder of the DCGAN and BiGAN runs (reused when present)")
    p.add_argument("--held-out", type=int, default=500, help="held-out digits to invert (<= 2000)")
    p.add_argument("--steps", type=int, default=1500, help="training steps of the DCGAN and of the BiGAN")
    p.add_argument("--filters", type=int, default=32, help="g_filters = d_filters of both GANs")
    p.add_argument("--latent", type=int, default=32, help="size of z")
    p.add_argument("--restarts", type=int, default=4, help="starts per digit for Eq. (5)")
    p.add_argument("--inv-steps", type=int, default=200, help="Adam steps / L-BFGS iterations")
    p.add_argument("--enc-steps", type=int, default=1500, help="training steps of the encoder of Eq. (6)")
    p.add_argument("--feature-weight", type=float, default=0.05, help="lambda_f of Eq. (5)")
    p.add_argument("--json", help="also write the results to this file")
    args = p.parse_args(argv)
    for name in ("held_out", "steps", "filters", "latent", "restarts", "inv_steps", "enc_steps"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.held_out > 2000:
        p.error(f"--held-out must be <= 2000 (the size of test[8000:]), got {args.held_out}")
    return args


def timed(fn, *args, **kwargs):
    """``(result, (wall seconds, CPU seconds))`` of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - wall, time.process_time() - cpu)


def train_model(name, config_class, args, split):
    """Train (or reuse) a run with notebook 13's settings: ``--runs notebooks/runs`` reuses its runs."""
    config = config_class(dataset="mnist", split=split, seed=0, num_samples=36, latent_dim=args.latent,
                          g_filters=args.filters, d_filters=args.filters, steps=args.steps, batch_size=64,
                          checkpoint_every=args.steps, sample_every=args.steps, log_every=100)
    config = config.replace(output_dir=runs.settings_run_dir(args.runs, name, config))
    reused = os.path.isdir(os.path.join(config.output_dir, "checkpoints"))
    result, seconds = timed(train.run, config, progress=False)
    return train.load_model(result.run_dir), (None if reused else seconds)


def main(argv=None):
    args = parse_args(argv)
    split = "train" if data.first_available_split("mnist") == "train" else "test[:8000]"
    train_images, train_labels = data.load_arrays("mnist", split)
    held, _ = data.load_arrays("mnist", "test[8000:]")
    x = held[: args.held_out].astype(np.float32) / 127.5 - 1.0
    clf, _ = classifier.train_classifier(train_images[:5000], train_labels[:5000], validation=0.1, cache_dir=True)
    (dcgan, dcgan_time), (bigan, bigan_time) = (train_model("dcgan", models.DCGANConfig, args, split),
                                                train_model("bigan", models.BiGANConfig, args, split))
    g, psi = dcgan.generator, inversion.classifier_features(clf)
    common = dict(steps=args.inv_steps, restarts=args.restarts, features=psi, feature_weight=args.feature_weight)
    adam = inversion.invert(g, x, method="adam", learning_rate=0.05, **common)
    lbfgs = inversion.invert(g, x, method="lbfgs", **common)
    (encoder, _), enc_train_time = timed(inversion.train_encoder, g, steps=args.enc_steps, filters=args.filters)
    z_enc, enc_time = timed(inversion.encode, encoder, x)
    hybrid = inversion.invert(g, x, method="adam", learning_rate=0.05, steps=max(1, args.inv_steps // 4),
                              features=psi, feature_weight=args.feature_weight, init=z_enc)
    z_bigan, bigan_enc_time = timed(lambda: bigan.encode(x).numpy())

    latents = {"adam": adam.z, "lbfgs": lbfgs.z, "encoder": z_enc, "encoder+adam": hybrid.z, "bigan": z_bigan}
    generators = {name: g for name in latents} | {"bigan": bigan.generator}
    times = {"adam": (adam.wall_seconds, adam.cpu_seconds), "lbfgs": (lbfgs.wall_seconds, lbfgs.cpu_seconds),
             "encoder": enc_time, "encoder+adam": (enc_time[0] + hybrid.wall_seconds, enc_time[1] + hybrid.cpu_seconds),
             "bigan": bigan_enc_time}
    table = inversion.compare(generators, latents, x, clf, times=times)

    print(f"CPU flags: {cpu_flags()}; ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '')!r}; "
          f"load average {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores")
    print(f"GANs trained on mnist {split!r}; {len(x)} held-out digits of 'test[8000:]'; z in R^{args.latent}; "
          f"{args.restarts} restarts x {args.inv_steps} steps; lambda_f = {args.feature_weight}")
    spent = lambda t: "reused from --runs" if t is None else f"{t[1]:.0f} CPU s ({t[0]:.0f} s wall)"  # noqa: E731
    print(f"training: DCGAN {spent(dcgan_time)}, BiGAN {spent(bigan_time)}, encoder of Eq. (6) {spent(enc_train_time)}")
    print(f"correlation of E(G(z)) with z over 500 fresh z: encoder of Eq. (6) "
          f"{inversion.code_correlation(encoder, g):.2f}, BiGAN {inversion.code_correlation(bigan.encoder, bigan.generator):.2f}")
    print(f"{'method':14} {'pixel MSE':>9} {'feature MSE':>11} {'same label':>10} {'CPU s':>8} {'wall s':>8}")
    for name, row in table.items():
        print(f"{name:14} {row['pixel_mse']:9.4f} {row['feature_mse']:11.4f} {row['agreement']:10.1%} "
              f"{row['cpu_seconds']:8.2f} {row['wall_seconds']:8.2f}")
    if args.json:
        record = {"settings": vars(args), "split": split, "cpu_flags": cpu_flags(),
                  "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", ""),
                  "load_average": os.getloadavg()[0], "training_seconds": {
                      "dcgan": dcgan_time, "bigan": bigan_time, "encoder": enc_train_time}, "results": table,
                  "code_correlation": {"encoder": inversion.code_correlation(encoder, g),
                                       "bigan": inversion.code_correlation(bigan.encoder, bigan.generator)}}
        with open(args.json, "w") as f:
            json.dump(record, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
