"""Speed of tfgan's style-transfer step against the TensorFlow tutorial's loop, at 256² and 512².

Measures optimizer iterations per second of:

  tfgan        the Adam step ``tfgan.style.gatys.stylize`` runs (``make_adam_step``: content, style
               and TV losses, gradient, Adam update and clipping in one ``tf.function``), float32
  tfgan_bf16   the same step with ``precision="bfloat16"`` (convolutions in bfloat16 through
               oneDNN, float32 weights, Gram matrices and losses; ``stylize(precision="bfloat16")``)
  tutorial     the TensorFlow tutorial's loop (https://www.tensorflow.org/tutorials/generative/style_transfer):
               a ``keras.Model`` over VGG19's layer outputs, ``preprocess_input`` on ``image * 255``,
               the einsum Gram matrix divided by the number of positions, mean squared losses,
               ``tf.image.total_variation``, Adam(0.02, beta_1=0.99, epsilon=0.1), an image in
               [0, 1] clipped after each ``apply_gradients``, the ``@tf.function train_step``
  tfgan_xla    ``tfgan`` with ``jit_compile=True`` (extra line, ``--which``)

All use the same backbone (VGG19 without its top, ``--weights``: random by default; the values
do not change the arithmetic), the same layers (content ``block4_conv2``; style
``block1_conv1`` ... ``block5_conv1``), the same square content image (skimage's astronaut resized)
and style image (``$TFGAN_DATA_DIR/images/starry_night.jpg``, else skimage's coffee), in one
process. Warm-up steps (tracing) are not timed. Rounds interleave the variants, alternating their
order, so background load hits them alike; the summary gives medians over rounds and the median
of the per-round ratios. Besides wall time, the process CPU time per step (all threads) is
reported: on a shared machine waiting for a core costs wall time but no CPU time, so CPU-time
ratios compare the work per step and are the steadier figure.

The wall time for 1000 iterations at 512² is extrapolated from the measured seconds per step
(plus the measured tracing time) unless ``--full 1000`` runs them for real.

``--quality`` also runs ``stylize`` in float32 and bfloat16 from the same start with real weights
("hed" or cached ImageNet, ``--quality-weights``) and scores both results with the float32
objective, to show what bfloat16 costs in result quality.

    python benchmarks/style_speed.py                        # 256 and 512, 3 rounds x 5 steps
    python benchmarks/style_speed.py --sizes 256 --rounds 5 --steps 10 --which tfgan,tutorial,tfgan_xla
    python benchmarks/style_speed.py --quality --json style_speed.json
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

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tfgan.style import gatys  # noqa: E402
from tfgan.style.perceptual import FeatureExtractor, bfloat16_is_fast  # noqa: E402

VARIANTS = ("tfgan", "tfgan_bf16", "tutorial", "tfgan_xla")
CONTENT_LAYERS = list(gatys.CONTENT_LAYERS)
STYLE_LAYERS = list(gatys.STYLE_LAYERS)


def images(size):
    """(content, style) float32 RGB in [0, 255]: a square content image and a style image."""
    import skimage.data

    content = tf.image.resize(skimage.data.astronaut().astype(np.float32), (size, size), antialias=True)
    path = os.path.join(os.environ.get("TFGAN_DATA_DIR", ""), "images", "starry_night.jpg")
    style = gatys.load_image(path) if os.path.isfile(path) else skimage.data.coffee().astype(np.float32)
    return np.clip(content.numpy(), 0, 255), gatys.resize_max(style, size, upscale=True)


def load_vgg19(weights):
    vgg = keras.applications.VGG19(include_top=False, weights=None)
    if weights is not None:
        ref = FeatureExtractor(["block5_conv4"], backbone="vgg19", weights=weights)
        for layer in vgg.layers:
            if layer.weights:
                layer.set_weights(ref.network.get_layer(layer.name).get_weights())
    return vgg


# -- the TensorFlow tutorial's loop, with tfgan's layers ------------------------------------------
def tutorial_step(vgg, content, style):
    """``train_step`` of the TensorFlow style-transfer tutorial (weights as in the tutorial)."""

    def vgg_layers(layer_names):
        vgg.trainable = False
        outputs = [vgg.get_layer(name).output for name in layer_names]
        return keras.Model([vgg.input], outputs)

    def gram_matrix(input_tensor):
        result = tf.linalg.einsum("bijc,bijd->bcd", input_tensor, input_tensor)
        input_shape = tf.shape(input_tensor)
        num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
        return result / num_locations

    class StyleContentModel(keras.models.Model):
        def __init__(self, style_layers, content_layers):
            super().__init__()
            self.vgg = vgg_layers(style_layers + content_layers)
            self.style_layers = style_layers
            self.content_layers = content_layers
            self.num_style_layers = len(style_layers)
            self.vgg.trainable = False

        def call(self, inputs):
            inputs = inputs * 255.0
            preprocessed_input = keras.applications.vgg19.preprocess_input(inputs)
            outputs = self.vgg(preprocessed_input)
            style_outputs, content_outputs = (outputs[: self.num_style_layers], outputs[self.num_style_layers :])
            style_outputs = [gram_matrix(style_output) for style_output in style_outputs]
            content_dict = {n: v for n, v in zip(self.content_layers, content_outputs)}
            style_dict = {n: v for n, v in zip(self.style_layers, style_outputs)}
            return {"content": content_dict, "style": style_dict}

    extractor = StyleContentModel(STYLE_LAYERS, CONTENT_LAYERS)
    style_targets = extractor(tf.constant(style[None] / 255.0))["style"]
    content_targets = extractor(tf.constant(content[None] / 255.0))["content"]
    image = tf.Variable(content[None] / 255.0)
    opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)
    style_weight, content_weight, total_variation_weight = 1e-2, 1e4, 30

    def clip_0_1(image):
        return tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0)

    def style_content_loss(outputs):
        style_outputs = outputs["style"]
        content_outputs = outputs["content"]
        style_loss = tf.add_n([tf.reduce_mean((style_outputs[name] - style_targets[name]) ** 2)
                               for name in style_outputs.keys()])
        style_loss *= style_weight / len(STYLE_LAYERS)
        content_loss = tf.add_n([tf.reduce_mean((content_outputs[name] - content_targets[name]) ** 2)
                                 for name in content_outputs.keys()])
        content_loss *= content_weight / len(CONTENT_LAYERS)
        return style_loss + content_loss

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            outputs = extractor(image)
            loss = style_content_loss(outputs)
            loss += total_variation_weight * tf.image.total_variation(image)
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(clip_0_1(image))

    return lambda: train_step(image)


def tfgan_step(vgg, content, style, precision="float32", jit_compile=False):
    """The step ``gatys.stylize`` runs, on an extractor holding the same VGG19 weights."""
    extractor = FeatureExtractor(CONTENT_LAYERS + STYLE_LAYERS, backbone="vgg19", weights=None,
                                 precision=precision)
    for layer in extractor.network.layers:
        if layer.weights:
            layer.set_weights(vgg.get_layer(layer.name).get_weights())
    objective = gatys.Objective(extractor, CONTENT_LAYERS, STYLE_LAYERS, content_weight=1.0,
                                style_weight=0.1, tv_weight=0.1)
    objective.set_content(content)
    objective.set_style([style])
    pixels = gatys._Pixels(content, luminance_only=False)
    return gatys.make_adam_step(objective, pixels, learning_rate=5.0, jit_compile=jit_compile)


def build(variant, vgg, content, style):
    if variant == "tutorial":
        return tutorial_step(vgg, content, style)
    if variant == "tfgan_bf16":
        return tfgan_step(vgg, content, style, precision="bfloat16")
    if variant == "tfgan_xla":
        return tfgan_step(vgg, content, style, jit_compile=True)
    return tfgan_step(vgg, content, style)


def timed(fn, steps):
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        out = fn()
    if isinstance(out, dict):
        float(out["total"])  # wait for the last step
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(size, variants, rounds, steps, vgg):
    content, style = images(size)
    steps_fn, trace = {}, {}
    for v in variants:
        fn = build(v, vgg, content, style)
        t = time.perf_counter()
        fn()  # trace and warm up
        trace[v] = time.perf_counter() - t
        fn()
        steps_fn[v] = fn
    per_round = []
    for r in range(rounds):
        order = variants if r % 2 == 0 else variants[::-1]
        per_round.append({v: timed(steps_fn[v], steps) for v in order})
        line = "  ".join(f"{v} {steps / per_round[-1][v][0]:.3f} it/s ({per_round[-1][v][1] / steps:.3f} CPU s/it)"
                         for v in variants)
        print(f"  {size}² round {r + 1}: {line}", flush=True)
    result = {"size": size, "steps_per_round": steps, "rounds": rounds, "variants": {}}
    for v in variants:
        walls = [rd[v][0] / steps for rd in per_round]
        cpus = [rd[v][1] / steps for rd in per_round]
        entry = {"it_per_s": 1 / statistics.median(walls), "it_per_s_min": 1 / max(walls),
                 "it_per_s_max": 1 / min(walls), "cpu_s_per_it": statistics.median(cpus),
                 "wall_s_per_it": statistics.median(walls), "trace_s": trace[v]}
        if "tutorial" in variants and v != "tutorial":
            entry["ratio_wall"] = statistics.median(rd["tutorial"][0] / rd[v][0] for rd in per_round)
            entry["ratio_cpu"] = statistics.median(rd["tutorial"][1] / rd[v][1] for rd in per_round)
            entry["ratio_wall_rounds"] = [rd["tutorial"][0] / rd[v][0] for rd in per_round]
        result["variants"][v] = entry
    return result


def quality(size, steps, weights):
    """Final float32 loss of stylize in float32 and in bfloat16 from the same start."""
    content, style = images(size)
    out = {"size": size, "steps": steps, "weights": weights}
    ref = FeatureExtractor(CONTENT_LAYERS + STYLE_LAYERS, weights=weights)
    objective = gatys.Objective(ref, CONTENT_LAYERS, STYLE_LAYERS, content_weight=1.0,
                                style_weight=0.1, tv_weight=0.1)
    objective.set_content(content)
    objective.set_style([style])
    for precision in ("float32", "bfloat16"):
        result = gatys.stylize(content, style, steps=steps, weights=weights, precision=precision,
                               max_size=None)
        losses = objective(tf.constant(result.image[None], tf.float32))
        out[precision] = {k: float(v) for k, v in losses.items()}
        out[precision]["seconds"] = result.seconds
        out[precision + "_image"] = result.image
        print(f"  quality {precision}: float32 objective of the result "
              + ", ".join(f"{k} {float(v):.4g}" for k, v in losses.items()) + f" ({result.seconds:.0f} s)")
    diff = np.abs(out["float32_image"].astype(int) - out["bfloat16_image"].astype(int))
    out["mean_abs_pixel_difference"] = float(diff.mean())
    print(f"  quality: mean |float32 - bfloat16| pixel difference {diff.mean():.2f} (of 255)")
    del out["float32_image"], out["bfloat16_image"]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="256,512", help="comma-separated square sizes (default: 256,512)")
    p.add_argument("--which", default="tfgan,tfgan_bf16,tutorial",
                   help=f"comma-separated variants from {','.join(VARIANTS)} (default: tfgan,tfgan_bf16,tutorial)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default: 3)")
    p.add_argument("--steps", type=int, default=5, help="timed steps per variant and round (default: 5)")
    p.add_argument("--weights", default="none", help="VGG19 weights for the timing: none, imagenet or a path")
    p.add_argument("--full", type=int, default=0, metavar="N",
                   help="also run N real tfgan steps at the largest size for the wall time (default: extrapolate)")
    p.add_argument("--quality", action="store_true", help="compare float32 and bfloat16 results (real weights)")
    p.add_argument("--quality-weights", default="hed", help="weights for --quality (default: hed)")
    p.add_argument("--quality-size", type=int, default=256)
    p.add_argument("--quality-steps", type=int, default=200)
    p.add_argument("--json", default=None, help="also write the figures to this file")
    args = p.parse_args(argv)
    variants = [v.strip() for v in args.which.split(",")]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    weights = None if args.weights.lower() == "none" else args.weights

    info = {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "cpus": os.cpu_count(), "bfloat16_is_fast": bfloat16_is_fast(),
            "load_average_start": os.getloadavg(), "weights": args.weights}
    print("settings:", json.dumps(info), flush=True)
    keras.utils.set_random_seed(0)
    vgg = load_vgg19(weights)
    results = {"info": info, "sizes": []}
    for size in sizes:
        results["sizes"].append(measure(size, variants, args.rounds, args.steps, vgg))

    print("\nsummary (median over rounds; ratio = tutorial time / variant time, median of per-round ratios)")
    print(f"{'size':>5} {'variant':<11} {'it/s [min, max]':>22} {'CPU s/it':>9} {'vs tutorial wall / CPU':>23}")
    for entry in results["sizes"]:
        for v, e in entry["variants"].items():
            ratio = f"{e['ratio_wall']:.2f}x / {e['ratio_cpu']:.2f}x" if "ratio_wall" in e else "1"
            rate = f"{e['it_per_s']:.3f} [{e['it_per_s_min']:.3f}, {e['it_per_s_max']:.3f}]"
            print(f"{entry['size']:>5} {v:<11} {rate:>22} {e['cpu_s_per_it']:>9.3f} {ratio:>23}")
            spread = e.get("ratio_wall_rounds", [])
            if spread and max(spread) > 1.25 * min(spread):
                print(f"      warning: {v} wall-time ratios vary across rounds {[round(x, 2) for x in spread]}; "
                      "trust the CPU-time ratio")
    big = max(results["sizes"], key=lambda e: e["size"])
    print(f"\n1000 iterations at {big['size']}² (extrapolated: tracing + 1000 x median wall s/step):")
    for v, e in big["variants"].items():
        total = e["trace_s"] + 1000 * e["wall_s_per_it"]
        e["extrapolated_1000_s"] = total
        print(f"  {v:<11} {total / 60:6.1f} min  (CPU: {1000 * e['cpu_s_per_it'] / 60:.1f} CPU-min)")
    if args.full:
        content, style = images(big["size"])
        fn = build("tfgan", vgg, content, style)
        t = time.perf_counter()
        for _ in range(args.full):
            out = fn()
        float(out["total"])
        seconds = time.perf_counter() - t
        results["full_run"] = {"steps": args.full, "size": big["size"], "seconds": seconds}
        print(f"  measured: {args.full} tfgan steps at {big['size']}² took {seconds / 60:.1f} min (tracing included)")
    if args.quality:
        results["quality"] = quality(args.quality_size, args.quality_steps, args.quality_weights)
    results["info"]["load_average_end"] = os.getloadavg()
    print("load average at the end:", os.getloadavg())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


# -- arbitrary style transfer: AdaIN and WCT (python -m tfgan.stylize --method adain|wct) ------------
def arbitrary_style_speed(sizes=(256, 512), repeats=3, vgg_precision="float32", weights=None):
    """Images per second of one AdaIN and one multi-level WCT stylization (relu4_1 ... relu1_1) of a
    square photo at each size, with a style image of the same longer side: the whole
    :func:`tfgan.inference.stylize_arbitrary` (encoder passes, feature transforms, decoders; WCT's
    eigendecompositions in float64 NumPy), full-width decoders. Random weights by default (the
    arithmetic is that of trained ones). One warm-up call per size and method is not timed.

    Returns ``[{"method", "size", "images_per_s", "wall_s", "cpu_s"}]`` (medians over ``repeats``;
    CPU time of the process, all threads).
    """
    from tfgan import inference
    from tfgan.models import AdaIN, AdaINConfig, WCT, WCTConfig

    settings = dict(vgg_weights="none" if weights is None else weights, vgg_precision=vgg_precision)
    built = {"adain": AdaIN(AdaINConfig(**settings)), "wct": WCT(WCTConfig(**settings))}
    rows = []
    for size in sizes:
        content, style = images(size)
        for method, model in built.items():
            run = lambda: inference.stylize_arbitrary(model, content, [style])  # noqa: E731
            run()  # trace and warm up
            times = [timed(run, 1) for _ in range(repeats)]
            wall, cpu = statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)
            rows.append({"method": method, "size": size, "images_per_s": 1 / wall, "wall_s": wall, "cpu_s": cpu})
            print(f"  {method} {size}²: {1 / wall:.3f} images/s ({wall:.2f} s wall, {cpu:.2f} CPU s per image)",
                  flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
