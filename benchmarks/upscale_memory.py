"""Wall time and peak memory of upscaling one large image with ``tfgan.upscale`` (tiled SRResNet).

Each measurement runs in a fresh process, because a process's peak resident memory (``VmHWM``)
only grows: the child builds the generator, upscales a small image once (tracing, first
allocations), reads its resident memory, upscales the test image, and reports the wall time, its
resident memory before (``base``) and the peak during the upscaling (``peak``). ``peak - base`` is
what the upscaling itself needed.

The test image is a real photo (scikit-image's astronaut) resized to ``--size`` (default 1024x768,
the input; the x4 output is 4096x3072). The generator is the paper's (x4, B = 16, 64 filters) with
random weights unless ``--run-dir`` gives a trained run: time and memory do not depend on the
weights.

    python benchmarks/upscale_memory.py                          # tiles 64, 128, 256 (LR pixels)
    python benchmarks/upscale_memory.py --tiles 128 --size 512x384 --single-pass
    python benchmarks/upscale_memory.py --run-dir runs/srresnet_sr_photos --json upscale.json

``--single-pass`` adds one untiled run (tile = the whole image); at 1024x768 x4 that needs many GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _memory_mb():
    """(current resident MB, peak resident MB) of this process, from /proc/self/status."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024.0
    return values["VmRSS"], values["VmHWM"]


def child(args):
    import numpy as np
    import tensorflow as tf
    from skimage import data as skdata

    from tfgan import train
    from tfgan.models import SRResNet, SRResNetConfig, srgan

    width, height = args.size
    model = train.load_model(args.run_dir) if args.run_dir else SRResNet(SRResNetConfig())
    photo = tf.image.resize(skdata.astronaut().astype("float32"), (height, width), method="bicubic")
    image = np.clip(np.round(photo.numpy()), 0, 255).astype(np.uint8)
    tile = max(width, height) if args.tile == 0 else args.tile
    overlap = srgan.receptive_radius(model.config)
    model.upscale(image[:64, :64], tile=tile, overlap=overlap)  # warm-up: tracing
    base, _ = _memory_mb()
    t0 = time.perf_counter()
    out = model.upscale(image, tile=tile, overlap=overlap)
    wall = time.perf_counter() - t0
    _, peak = _memory_mb()
    print(json.dumps({"tile": args.tile, "wall_sec": wall, "base_mb": base, "peak_mb": peak,
                      "output": list(out.shape), "overlap": overlap, "scale": model.config.scale}))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiles", default="64,128,256", help="tile sides in LR pixels (default 64,128,256)")
    parser.add_argument("--size", default="1024x768", help="input image WIDTHxHEIGHT (default 1024x768)")
    parser.add_argument("--run-dir", default=None, help="a trained srresnet/srgan run (default: random paper G)")
    parser.add_argument("--single-pass", action="store_true", help="also run untiled (needs much memory)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tile", type=int, default=128, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.size = tuple(int(v) for v in args.size.lower().split("x"))
        args.tiles = [int(v) for v in args.tiles.split(",") if v.strip()]
        assert len(args.size) == 2 and min(args.size) > 0 and all(t >= 8 for t in args.tiles)
    except (ValueError, AssertionError):
        parser.error(f"expected --size WxH and --tiles of integers >= 8; got {args.size!r}, {args.tiles!r}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        return child(args)
    tiles = args.tiles + ([0] if args.single_pass else [])
    print(f"upscale_memory: input {args.size[0]}x{args.size[1]}, "
          f"{'run ' + args.run_dir if args.run_dir else 'paper SRResNet (x4, B=16, 64 filters), random weights'}, "
          f"cpu_count={os.cpu_count()}, python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    results = []
    for tile in tiles:
        cmd = [sys.executable, __file__, "--child", "--tile", str(tile), "--size", "x".join(map(str, args.size))]
        if args.run_dir:
            cmd += ["--run-dir", args.run_dir]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  tile {tile or 'none'}: failed (exit {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        h, w, _ = result["output"]
        label = f"tiles of {tile} px, overlap {result['overlap']}" if tile else "single pass (no tiles)"
        print(f"  {label}: -> {w}x{h} in "
              f"{result['wall_sec']:.1f} s; resident memory {result['base_mb']:.0f} MB before, peak "
              f"{result['peak_mb']:.0f} MB (+{result['peak_mb'] - result['base_mb']:.0f} MB)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"size": args.size, "run_dir": args.run_dir, "results": results}, f, indent=2)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
