"""Photos per second of the one-pass style-transfer methods against Gatys' 300 Adam steps, on the CPU.

For each square size (256, 512 and 1024 px by default), in one process:

  fast    one forward pass of Johnson et al.'s transform network at the paper's size (32 filters,
          5 residual blocks, resize-convolution; ``tfgan.style.feedforward``), float32, called the
          way ``python -m tfgan.stylize --method fast`` calls it (eager Keras call, batch 1)
  cin     the same network with conditional instance norm for 4 styles and a convex mix of them
          (``--conditional``, ``--style-weights``)
  gatys   one Adam step of ``tfgan.style.gatys.stylize`` at its defaults (VGG19 to block5_conv1,
          ``precision="auto"``: bfloat16 on CPUs with native bfloat16, else float32), times 300,
          the CLI's default number of steps; tracing excluded, so the figure flatters Gatys

plus ``adain`` and ``wct`` when the library has them (``tfgan.style.adain`` / ``tfgan.style.wct``
stylizers). Weights are random (``--weights``): they do not change the arithmetic. Rounds
interleave the methods so background load hits them alike; the summary gives medians over rounds,
both wall and process CPU time (all threads): on a shared machine waiting for a core costs wall
time but no CPU time, so the CPU-time ratio is the steadier figure. The speed-up is Gatys' 300
steps divided by one pass of the method, each measured in the same run.

    python benchmarks/fast_style_speed.py                           # 256, 512, 1024; 3 rounds
    python benchmarks/fast_style_speed.py --sizes 512 --rounds 5 --json fast_style_speed.json
    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/fast_style_speed.py   # a laptop's instruction set
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from style_speed import images, load_vgg19, timed, tfgan_step  # noqa: E402
from tfgan.backbones import bfloat16_is_fast  # noqa: E402
from tfgan.style import feedforward  # noqa: E402

GATYS_STEPS = 300
CIN_STYLES = 4


def cpu_flags():
    """The AVX flags of /proc/cpuinfo (what oneDNN can use), or [] where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split(":")[1].split()
    except (OSError, StopIteration):
        return []
    return sorted({f for f in flags if f.startswith("avx")})


def fast_pass(network, content, style_weights=None):
    """One stylization of a uint8-range photo the way tfgan.inference.stylize_image does it."""
    x = tf.constant(content[None] / 127.5 - 1.0, tf.float32)
    inputs = x if style_weights is None else [x, tf.constant(style_weights[None], tf.float32)]

    def run():
        return {"total": tf.reduce_mean(network(inputs, training=False))}

    return run


def build(method, size, vgg, precision):
    content, style = images(size)
    if method == "gatys":
        return tfgan_step(vgg, content, style, precision=precision)
    if method == "fast":
        return fast_pass(feedforward.build_transform_network(), content)
    if method == "cin":
        weights = np.full(CIN_STYLES, 1.0 / CIN_STYLES, np.float32)
        return fast_pass(feedforward.build_transform_network(num_styles=CIN_STYLES), content, weights)
    raise ValueError(f"unknown method {method!r}")


def measure(size, methods, rounds, vgg, precision, gatys_steps):
    steps_fn = {}
    for m in methods:
        fn = build(m, size, vgg, precision)
        fn()  # trace and warm up
        fn()
        steps_fn[m] = fn
    per_round = []
    for r in range(rounds):
        order = methods if r % 2 == 0 else methods[::-1]
        # one pass of a one-pass method; `gatys_steps` Adam steps of gatys (scaled to 300 below)
        per_round.append({m: timed(steps_fn[m], gatys_steps if m == "gatys" else 1) for m in order})
        print(f"  {size}² round {r + 1}: " + "  ".join(
            f"{m} {per_round[-1][m][0]:.3f} s ({per_round[-1][m][1]:.3f} CPU s)" for m in methods), flush=True)
    result = {"size": size, "rounds": rounds, "methods": {}}
    for m in methods:
        scale = GATYS_STEPS / gatys_steps if m == "gatys" else 1.0  # seconds per stylized photo
        walls = [rd[m][0] * scale for rd in per_round]
        cpus = [rd[m][1] * scale for rd in per_round]
        entry = {"wall_s_per_image": statistics.median(walls), "cpu_s_per_image": statistics.median(cpus),
                 "images_per_s": 1 / statistics.median(walls)}
        if m != "gatys":
            entry["speedup_wall"] = statistics.median(
                rd["gatys"][0] * GATYS_STEPS / gatys_steps / rd[m][0] for rd in per_round)
            entry["speedup_cpu"] = statistics.median(
                rd["gatys"][1] * GATYS_STEPS / gatys_steps / rd[m][1] for rd in per_round)
        result["methods"][m] = entry
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512,1024", help="comma-separated square sizes (default: 256,512,1024)")
    p.add_argument("--methods", default="fast,cin,gatys", help="comma-separated from fast, cin, gatys")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default: 3)")
    p.add_argument("--gatys-steps", type=int, default=2,
                   help="Adam steps timed per round; the figure is scaled to 300 (default: 2)")
    p.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                   help="Gatys' VGG precision (default: auto, stylize's default)")
    p.add_argument("--weights", default="none", help="VGG19 weights for the timing: none, imagenet or a path")
    p.add_argument("--json", default=None, help="also write the figures to this file")
    args = p.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",")]
    if "gatys" not in methods:
        methods.append("gatys")  # every speed-up is against it
    unknown = [m for m in methods if m not in ("fast", "cin", "gatys")]
    if unknown:
        p.error(f"unknown method(s) {unknown}")
    precision = ("bfloat16" if bfloat16_is_fast() else "float32") if args.precision == "auto" else args.precision
    info = {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "cpus": os.cpu_count(), "cpu_flags": cpu_flags(), "ONEDNN_MAX_CPU_ISA": os.environ.get("ONEDNN_MAX_CPU_ISA"),
            "gatys_precision": precision, "load_average_start": os.getloadavg(), "weights": args.weights}
    print("settings:", json.dumps(info), flush=True)
    keras.utils.set_random_seed(0)
    vgg = load_vgg19(None if args.weights.lower() == "none" else args.weights)
    results = {"info": info, "sizes": []}
    for size in [int(s) for s in args.sizes.split(",")]:
        results["sizes"].append(measure(size, methods, args.rounds, vgg, precision, args.gatys_steps))

    print(f"\nsummary (median over rounds; gatys = {GATYS_STEPS} Adam steps; speed-up = gatys / method)")
    print(f"{'size':>5} {'method':<7} {'s/image':>9} {'CPU s/image':>12} {'images/s':>9} {'speed-up wall / CPU':>22}")
    for entry in results["sizes"]:
        for m, e in entry["methods"].items():
            ratio = f"{e['speedup_wall']:.0f}x / {e['speedup_cpu']:.0f}x" if "speedup_wall" in e else ""
            print(f"{entry['size']:>5} {m:<7} {e['wall_s_per_image']:>9.3f} {e['cpu_s_per_image']:>12.3f} "
                  f"{e['images_per_s']:>9.3f} {ratio:>22}")
    results["info"]["load_average_end"] = os.getloadavg()
    print("load average at the end:", os.getloadavg())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
