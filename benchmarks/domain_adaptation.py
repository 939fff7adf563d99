"""Adversarial discriminative domain adaptation: target accuracy of source only, ADDA and an oracle.

Two runs of ``python -m tfgan.train adda`` through ``tfgan.train.run`` (the CLI's code path), with
the same LeNet encoder and classifier:

* ``adda``: ``--source-steps`` steps of source pre-training (lectures/13_representation_learning.md,
  Eq. (8)), then the rest of ``--steps`` adapting the target encoder against the domain
  discriminator (lectures/13_representation_learning.md, Eqs. (9)-(10)). Its evaluation gives two
  numbers: *source only*, C(M_s(x_t)) after pre-training, and *ADDA*, C(M_t(x_t)) after adaptation;
* ``oracle``: ``--oracle``, the same networks trained for ``--steps`` steps on the labeled target
  images (an upper bound no adaptation method gets labels for).

Accuracy is measured on 2,000 target images set aside before training and never trained on.
Offline the source is MNIST's test split and the target the MNIST-M style set built from it
(``tfgan.data.mnist_m``); since image i of one is image i of the other, the 8,000 remaining indices
are halved: 4,000 source digits, 4,000 (other) target digits.

    python benchmarks/domain_adaptation.py                          # mnist -> mnist_m, 1,000 + 2,000 steps
    python benchmarks/domain_adaptation.py --source-steps 500 --steps 1500 --seeds 0,1
    python benchmarks/domain_adaptation.py --source svhn --target mnist --image-shape 32,32,3   # online

Prints the CPU flags, the load average and per run the CPU time (user + sys) and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from semi_supervised import cpu_seconds  # noqa: E402
from train_speed import cpu_flags  # noqa: E402


def run(oracle, args, seed, root):
    from tfgan import train
    from tfgan.models.adda import ADDAConfig

    name = f"{'oracle' if oracle else 'adda'}_{seed}"
    shape = tuple(int(v) for v in args.image_shape.split(","))
    cfg = ADDAConfig(dataset=args.source, target_dataset=args.target, split=args.split, steps=args.steps,
                     source_steps=args.source_steps, oracle=oracle, seed=seed, image_shape=shape,
                     output_dir=os.path.join(root, name), log_every=max(1, args.steps // 6),
                     sample_every=args.steps, checkpoint_every=args.steps)
    c0, t0 = cpu_seconds(), time.perf_counter()
    train.run(cfg, progress=False)
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - t0
    result = train.load_model(cfg.output_dir).evaluation()
    return {"run": "oracle" if oracle else "adda", "seed": seed, **result, "cpu_s": round(cpu, 1),
            "wall_s": round(wall, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default="mnist")
    parser.add_argument("--target", default="mnist_m")
    parser.add_argument("--split", default="test", help="split of both datasets (offline MNIST: test only)")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--source-steps", type=int, default=1000)
    parser.add_argument("--image-shape", default="28,28,3")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    settings = {"source": args.source, "target": args.target, "split": args.split, "steps": args.steps,
                "source_steps": args.source_steps, "cpu_flags": cpu_flags(),
                "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", ""),
                "load_average_at_start": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count()}
    print("domain_adaptation settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for seed in (int(v) for v in args.seeds.split(",")):
            for oracle in (False, True):
                rows.append(run(oracle, args, seed, root))
                print(json.dumps(rows[-1]), flush=True)
    print("\n| seed | source only | ADDA | oracle | CPU s (adda / oracle) | wall s (adda / oracle) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for i in range(0, len(rows), 2):
        a, o = rows[i], rows[i + 1]
        print(f"| {a['seed']} | {a['source_only_accuracy']:.4f} | {a['adda_accuracy']:.4f} | "
              f"{o['oracle_accuracy']:.4f} | {a['cpu_s']:.0f} / {o['cpu_s']:.0f} | {a['wall_s']:.0f} / {o['wall_s']:.0f} |")
    print(f"target: {args.target}/{args.split}, {int(rows[0]['target_images'])} held-out images; "
          f"load average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": settings, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
