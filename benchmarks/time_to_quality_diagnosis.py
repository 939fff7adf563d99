"""Why the default DCGAN's score levels off: D on its training digits vs held-out digits, and which
samples the digit classifier finds ambiguous.

Trains ``DCGANConfig()`` (with ``--set`` overrides) on the same 5,000 digits as
``time_to_quality.py`` (its split, classifier and fixed latent batch), through ``tfgan.train.run``,
and at each of ``--steps`` reports:

* D's mean logit, and the share of images it calls real (logit > 0), on 1,000 of its own training
  digits, on the classifier's 1,000 validation digits (real digits D never saw) and on 1,000
  samples; with batch statistics (D as it trains, batches of 100 from one source) and with its
  running averages. A D that memorizes its training set scores them above the held-out digits.
  With ``--set augment=...`` D sees the images through ``model.augment`` (as in training).
* the classifier Inception score, Fréchet distance and class shares of 2,000 samples (as
  ``time_to_quality.py``), the mean entropy of p(y|x), the share of samples the classifier gives
  less than 0.9, and the most frequent (first, second) class pairs among those.

    python benchmarks/time_to_quality_diagnosis.py --steps 1000,2500,5000,7500
    python benchmarks/time_to_quality_diagnosis.py --steps 2500,5000 --set augment=translation,cutout
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import time_to_quality as ttq  # noqa: E402


def d_logits(model, images, training):
    """D's logits on ``images`` in batches of 100 from one source (as D sees them in training)."""
    import tensorflow as tf

    return np.concatenate([
        model.discriminator(model.augment(tf.constant(images[i:i + 100])), training=training).numpy().ravel()
        for i in range(0, len(images), 100)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1000,2500,5000,7500", help="steps to stop and measure at")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    import tensorflow as tf

    from tfgan import backbones, data, evaluate, train
    from tfgan import classifier as clf_lib
    from tfgan.models import DCGANConfig

    milestones = sorted(int(s) for s in args.steps.split(","))
    images, labels = data.load_arrays("mnist", "test")
    parts = ttq.split_digits(images, labels)
    idx_dir, run_dir = tempfile.mkdtemp(prefix="tfgan_diag_data_"), tempfile.mkdtemp(prefix="tfgan_diag_run_")
    try:
        ttq.write_gan_split(idx_dir, *parts["gan"])
        config = DCGANConfig.from_preset(**ttq.parse_overrides(args.set, DCGANConfig)).replace(
            dataset="mnist", split="test", data_dir=idx_dir, output_dir=run_dir)
        classifier, _ = clf_lib.train_classifier(*parts["classifier_train"], epochs=5, seed=0,
                                                 validation=parts["classifier_val"], cache_dir=True)
        real_features = backbones.logits_and_features(classifier, parts["gan"][0])[1]
        z = tf.random.stateless_normal([2000, config.latent_dim], seed=[ttq.EVAL_SEED, 0])
        sources = {"train": parts["gan"][0][:1000], "held_out": parts["classifier_val"][0][:1000]}
        sources = {k: v.astype(np.float32) / 127.5 - 1.0 for k, v in sources.items()}
        print(f"set: {args.set}; CPU flags and load: see the caller; load average {os.getloadavg()[0]:.2f}")
        print(f"{'steps':>6s} {'CPU s':>6s} | D logit (share called real), batch statistics: "
              f"{'train':>13s} {'held-out':>13s} {'samples':>13s} | running averages: train, held-out, "
              f"samples | IS, FD, H(y|x), <0.9, smallest class")
        rows, cpu0 = [], time.process_time()
        for steps in milestones:
            train.run(config.replace(steps=steps), progress=False)
            model = train.load_model(run_dir)
            fake = model.sample(2000, z=z).numpy().astype(np.float32)
            row = {"steps": steps, "cpu_seconds": time.process_time() - cpu0}
            for mode, training in (("batch", True), ("running", False)):
                for name, x in (*sources.items(), ("samples", fake[:1000])):
                    logits = d_logits(model, x, training)
                    row[f"{name}_{mode}"] = [float(logits.mean()), float((logits > 0).mean())]
            scores = evaluate.score_images(fake, classifier, None, splits=10, real_features=real_features)
            p = tf.nn.softmax(clf_lib.predict_logits(classifier, fake)).numpy()
            first, second = np.argsort(p, 1)[:, -1], np.argsort(p, 1)[:, -2]
            ambiguous = p.max(1) < 0.9
            pairs = collections.Counter(tuple(sorted(map(int, pair)))
                                        for pair in zip(first[ambiguous], second[ambiguous]))
            hist = np.bincount(first, minlength=10) / len(first)
            row.update(inception_score=float(scores["inception_score"]),
                       frechet_distance=float(scores["frechet_distance"]),
                       mean_entropy=float(-(p * np.log(p + 1e-12)).sum(1).mean()),
                       share_below_0_9=float(ambiguous.mean()), class_shares=hist.round(3).tolist(),
                       confusions=[[list(k), v] for k, v in pairs.most_common(5)])
            rows.append(row)
            fmt = lambda k: f"{row[k][0]:6.2f} ({row[k][1]:4.0%})"  # noqa: E731
            print(f"{steps:6d} {row['cpu_seconds']:6.0f} | {fmt('train_batch')} {fmt('held_out_batch')} "
                  f"{fmt('samples_batch')} | {fmt('train_running')} {fmt('held_out_running')} "
                  f"{fmt('samples_running')} | {row['inception_score']:.2f}, {row['frechet_distance']:.1f}, "
                  f"{row['mean_entropy']:.2f}, {row['share_below_0_9']:.0%}, {hist.min():.1%}; "
                  f"confusions {row['confusions'][:3]}", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"set": args.set, "rows": rows}, f, indent=2)
    finally:
        shutil.rmtree(idx_dir, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
