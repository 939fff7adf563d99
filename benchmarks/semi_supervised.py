"""Semi-supervised GAN vs the same classifier trained on the labeled images alone.

For each dataset and number of labels per class, two runs of ``python -m tfgan.train sgan`` through
``tfgan.train.run`` (the CLI's code path), with the same D architecture, labeled subset, steps and
learning rate:

* ``sgan``: D as a K + 1-class classifier on labeled + unlabeled + generated images, G by feature
  matching (lectures/13_representation_learning.md, Eqs. (1)-(4));
* ``supervised``: ``--supervised-only``, the same D trained on the labeled batches alone.

Accuracy is that of D's K-way classifier on ``--holdout`` (2,000) images carved out of the split
before anything else and never trained on. Offline, MNIST has only its test split, so every cell
uses the test split (10,000 images: 8,000 for training, 2,000 held out), Fashion-MNIST too, so the
two datasets follow one protocol.

    python benchmarks/semi_supervised.py                         # 2 datasets x (10, 100) labels, 3,000 steps
    python benchmarks/semi_supervised.py --steps 500 --datasets mnist --labels 10
    python benchmarks/semi_supervised.py --json semi.json

Prints the CPU flags, the load average, and per cell the CPU time (user + sys of this process) and
the wall time of each run. Budget: ``--steps`` steps per run (about 2 CPU-minutes per sgan run at
3,000 steps on the machine of benchmarks/README.md; the supervised runs are about 3x cheaper).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_speed import cpu_flags  # noqa: E402


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_cell(dataset, labels, supervised_only, steps, seed, root):
    from tfgan import train
    from tfgan.models.sgan import SGANConfig

    name = f"{dataset}_{labels}_{'sup' if supervised_only else 'sgan'}"
    cfg = SGANConfig(dataset=dataset, split="test", labeled_per_class=labels, supervised_only=supervised_only,
                     steps=steps, seed=seed, output_dir=os.path.join(root, name), log_every=max(1, steps // 5),
                     sample_every=steps, checkpoint_every=steps)
    c0, t0 = cpu_seconds(), time.perf_counter()
    train.run(cfg, progress=False)
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
    model = train.load_model(cfg.output_dir)
    result = model.evaluation()
    return {"dataset": dataset, "labels_per_class": labels, "model": "supervised" if supervised_only else "sgan",
            "steps": steps, "seed": seed, "heldout_accuracy": result["heldout_accuracy"],
            "heldout_images": int(result["heldout_images"]), "cpu_s": round(cpu, 1), "wall_s": round(wall, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="mnist,fashion_mnist")
    parser.add_argument("--labels", default="10,100", help="labeled images per class, comma-separated")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    settings = {"steps": args.steps, "seed": args.seed, "cpu_flags": cpu_flags(),
                "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", ""),
                "load_average_at_start": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count()}
    print("semi_supervised settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), flush=True)
    print("held-out images: 2,000 carved out of the test split (the only MNIST split offline) before "
          "training; the other 8,000 are the unlabeled set", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for dataset in args.datasets.split(","):
            for labels in (int(v) for v in args.labels.split(",")):
                for supervised_only in (False, True):
                    row = run_cell(dataset, labels, supervised_only, args.steps, args.seed, root)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    print("\n| dataset | labels/class | sgan | supervised only | gap | CPU s (sgan / sup) | wall s (sgan / sup) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i in range(0, len(rows), 2):
        s, b = rows[i], rows[i + 1]
        print(f"| {s['dataset']} | {s['labels_per_class']} | {s['heldout_accuracy']:.4f} | "
              f"{b['heldout_accuracy']:.4f} | {s['heldout_accuracy'] - b['heldout_accuracy']:+.4f} | "
              f"{s['cpu_s']:.0f} / {b['cpu_s']:.0f} | {s['wall_s']:.0f} / {b['wall_s']:.0f} |")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": settings, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
