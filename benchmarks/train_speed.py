"""Training speed of tfgan's DCGAN ``train_step`` against the TensorFlow DCGAN tutorial's loop.

Measures images per second (real images consumed by D per second) of:

  dcgan         tfgan's default MNIST DCGAN, ``DCGANConfig()`` (batch 64), through ``model.fit``
  tfgan_tut     tfgan's ``DCGAN.train_step`` through ``model.fit``, on the TensorFlow tutorial's
                networks (https://www.tensorflow.org/tutorials/generative/dcgan), batch 256,
                Adam(1e-4) for both
  tutorial      the tutorial's own ``@tf.function train_step`` (one noise batch, two nested
                GradientTapes, BinaryCrossentropy(from_logits=True), apply_gradients), same
                networks, same batch, same input pipeline, same process
  tfgan_tut_xla  tfgan_tut with ``jit_compile=True`` (extra line)
  tfgan_tut_bf16 tfgan_tut under Keras' ``mixed_bfloat16`` policy, D's logit layer in float32
                 (extra line: what bfloat16 arithmetic would buy on CPUs with AVX512_BF16/AMX)
  tfgan_tut_sim  tfgan_tut with ``--update simultaneous`` (the tutorial's own update order, G's loss on
                 the same D forward); the tutorial's D has no batch norm, so D runs once on
                 concat(real, fake) (lectures/11_gan_objectives.md, section 5)
  tfgan_tut_sim_bf16  tfgan_tut_sim under ``--precision mixed_bfloat16`` (the fastest documented
                 settings on a CPU with native bfloat16)
  srresnet      SRResNet's MSE phase, the paper's settings (x4, B = 16, 64 filters, 16 HR crops of
                96x96), on the offline photos (``sr_photos``); images/s = HR crops per second
  srgan         SRGAN's fine-tuning phase, same settings, D and the VGG19 phi_5,4 content loss
                (random VGG weights: the speed does not depend on them)
  srresnet_small, srgan_small  the same at the notebook's offline settings (B = 6, 32 filters,
                64x64 crops; srgan_small uses VGG16 block5_conv3, the layer the offline weights have)

The super-resolution variants are not in the default ``--which`` (they need minutes per round on a
CPU): ``--which srresnet,srgan --rounds 3 --steps 5``.

Image-to-image models (``--which pix2pix,cyclegan``, or the paper-sized ``pix2pix256``,
``cyclegan256``), each through ``model.fit`` on its own ``make_dataset`` pipeline, as
``tfgan.train`` runs it; images/s counts training examples per second (a pix2pix pair; one x and
one y for CycleGAN):

  pix2pix       ``Pix2PixConfig()``: fashion_edges2shoes, 32x32x1, U-Net of 5 levels, ngf 32, batch 16
  cyclegan      ``CycleGANConfig()``: fashion_sneakers2boots, 32x32x1, 6 residual blocks, ngf 32, batch 16
  pix2pix256    the paper's size: the same data resized to 256x256x3, 8-level U-Net, ngf 64, batch 1
  cyclegan256   the paper's size: 256x256x3, 9 residual blocks, ngf 64, batch 1

These need Fashion-MNIST (``TFGAN_DATA_DIR``); they are not in the default ``--which``.

Every variant reads the same in-memory, repeated, shuffled ``tfgan.data.load`` pipeline that
``tfgan.train`` uses. Warm-up steps (tracing, first allocations) are excluded. The variants are
measured in interleaved rounds (the order alternates between rounds) so that background load hits
all of them alike; the summary gives the median and the min/max over rounds, and the
``tfgan_tut / tutorial`` ratio is the median of the per-round ratios.

Besides wall-clock images/s, each variant's process CPU time per step is reported (all threads,
``time.process_time``). On a shared machine it is much steadier than wall time, because waiting
for a core costs no CPU time; a ratio of CPU times compares the work done per step.

``--profile`` adds a breakdown of one step into phases (G forward, D forward, D step, G step) on
the tutorial networks, to explain the ratio.

    python benchmarks/train_speed.py                      # all variants, 3 rounds
    python benchmarks/train_speed.py --which tfgan_tut,tutorial --rounds 5 --steps 40
    python benchmarks/train_speed.py --profile --json speed.json

Needs the MNIST test split (``TFGAN_DATA_DIR``, see data/README.md) or any split of ``--dataset``.
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
import tensorflow as tf  # noqa: E402

from tfgan import data, precision  # noqa: E402
from tfgan.models import (  # noqa: E402
    DCGAN, SRGAN, CycleGAN, CycleGANConfig, DCGANConfig, Pix2Pix, Pix2PixConfig, SRGANConfig, SRResNet,
    SRResNetConfig,
)

DEFAULT_VARIANTS = ("dcgan", "tfgan_tut", "tutorial", "tfgan_tut_xla", "tfgan_tut_bf16", "tfgan_tut_sim",
                    "tfgan_tut_sim_bf16")
TRANSLATION_VARIANTS = ("pix2pix", "cyclegan", "pix2pix256", "cyclegan256")
SR_VARIANTS = ("srresnet", "srgan", "srresnet_small", "srgan_small")
VARIANTS = DEFAULT_VARIANTS + TRANSLATION_VARIANTS + SR_VARIANTS
#: The notebook's offline settings (notebooks/10_super_resolution.ipynb).
SR_SMALL = dict(residual_blocks=6, filters=32, hr_size=64)
TUTORIAL_BATCH = 256
NOISE_DIM = 100


# -- the TensorFlow DCGAN tutorial, verbatim apart from the keras import -------------------------
def tutorial_generator():
    """``make_generator_model`` of the TensorFlow DCGAN tutorial."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((NOISE_DIM,)),
            layers.Dense(7 * 7 * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((7, 7, 256)),
            layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(
                1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"
            ),
        ],
        name="generator",
    )


def tutorial_discriminator(logit_dtype=None):
    """``make_discriminator_model`` of the TensorFlow DCGAN tutorial (outputs a logit).

    ``logit_dtype="float32"`` keeps the last layer in float32 under a mixed-precision policy.
    """
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1, dtype=logit_dtype),
        ],
        name="discriminator",
    )


def tutorial_train_step(generator, discriminator, batch_size):
    """The tutorial's ``train_step``: simultaneous G and D updates from one forward pass."""
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    generator_optimizer = keras.optimizers.Adam(1e-4)
    discriminator_optimizer = keras.optimizers.Adam(1e-4)

    def discriminator_loss(real_output, fake_output):
        real_loss = cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(fake_output):
        return cross_entropy(tf.ones_like(fake_output), fake_output)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([batch_size, NOISE_DIM])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
        discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, discriminator.trainable_variables)
        )

    return train_step


# -- runners: build once, warm up once, then time any number of rounds ---------------------------
def make_dataset(args, batch_size):
    return data.load(args.dataset, split=args.split, batch_size=batch_size, image_size=(28, 28),
                     channels=1, data_dir=args.data_dir, shuffle=True, seed=0, repeat=True)


class FitRunner:
    """A tfgan model trained with ``model.fit`` on the repeated pipeline (as ``tfgan.train``)."""

    def __init__(self, name, model, dataset, jit_compile, steps_per_execution=1):
        self.name, self.model, self.dataset = name, model, dataset
        self.batch_size = model.images_per_step
        model.compile(jit_compile=jit_compile, steps_per_execution=steps_per_execution)

    def run(self, steps):
        """Trains ``steps`` steps; returns (wall seconds, process CPU seconds)."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.model.fit(self.dataset, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
        return time.perf_counter() - wall, time.process_time() - cpu


class LoopRunner:
    """The tutorial's ``train_step`` called from a Python loop over the same pipeline."""

    def __init__(self, name, dataset, batch_size):
        self.name, self.dataset, self.batch_size = name, dataset, batch_size
        self.generator, self.discriminator = tutorial_generator(), tutorial_discriminator()
        self.step = tutorial_train_step(self.generator, self.discriminator, batch_size)

    def run(self, steps):
        """Trains ``steps`` steps; returns (wall seconds, process CPU seconds)."""
        wall, cpu = time.perf_counter(), time.process_time()
        for images in self.dataset.take(steps):
            self.step(images)
        return time.perf_counter() - wall, time.process_time() - cpu


def tutorial_config(**changes):
    """tfgan's config for the tutorial setup: batch 256, Adam(1e-4) with Keras' default betas."""
    return DCGANConfig(batch_size=TUTORIAL_BATCH, g_lr=1e-4, d_lr=1e-4, beta1=0.9, **changes)


def make_runner(name, args):
    if name == "dcgan":
        config = DCGANConfig()
        return FitRunner(name, DCGAN(config), make_dataset(args, config.batch_size), False)
    if name in ("tfgan_tut", "tfgan_tut_xla"):
        # tfgan's defaults (update rule, precision, EMA) around the tutorial's networks, which are
        # built here under the default precision's policy, as DCGAN builds its own
        config = tutorial_config()
        with precision.policy_scope(config.precision):
            g, d = tutorial_generator(), tutorial_discriminator(logit_dtype="float32")
        model = DCGAN(config, generator=g, discriminator=d)
        return FitRunner(name, model, make_dataset(args, TUTORIAL_BATCH), name.endswith("_xla"))
    if name == "tfgan_tut_bf16":
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        try:  # layers take the policy when they are made
            g, d = tutorial_generator(), tutorial_discriminator(logit_dtype="float32")
        finally:
            keras.mixed_precision.set_global_policy(previous)
        model = DCGAN(tutorial_config(), generator=g, discriminator=d)
        return FitRunner(name, model, make_dataset(args, TUTORIAL_BATCH), False)
    if name in ("tfgan_tut_sim", "tfgan_tut_sim_bf16"):
        policy = "mixed_bfloat16" if name.endswith("_bf16") else "float32"
        with precision.policy_scope(policy):  # layers take the policy when they are made
            g, d = tutorial_generator(), tutorial_discriminator(logit_dtype="float32")
        model = DCGAN(tutorial_config(update="simultaneous", precision=policy), generator=g, discriminator=d)
        return FitRunner(name, model, make_dataset(args, TUTORIAL_BATCH), False)
    if name == "tutorial":
        return LoopRunner(name, make_dataset(args, TUTORIAL_BATCH), TUTORIAL_BATCH)
    if name in TRANSLATION_VARIANTS:
        model_class, config_class = (Pix2Pix, Pix2PixConfig) if name.startswith("pix2pix") else (CycleGAN, CycleGANConfig)
        size = {"image_size": 256, "channels": 3} if name.endswith("256") else {}
        model = model_class(config_class(**size))
        return FitRunner(name, model, model.make_dataset(seed=0)[0], False)
    if name in SR_VARIANTS:
        small = SR_SMALL if name.endswith("_small") else {}
        if name.startswith("srgan"):
            vgg = dict(vgg_backbone="vgg16", content_layer="block5_conv3") if small else {}
            model = SRGAN(SRGANConfig(dataset="sr_photos", vgg_weights="none", **small, **vgg))
            model.on_train_begin(1)  # builds the VGG content network (no --init-from at step 1)
        else:
            model = SRResNet(SRResNetConfig(dataset="sr_photos", **small))
        return FitRunner(name, model, model.make_dataset(seed=0)[0], False)
    raise ValueError(name)


# -- profile: where one step's time goes -----------------------------------------------------------
def time_fn(fn, iters, warmup=2):
    """(wall ms, CPU ms) per call of ``fn``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    return ((time.perf_counter() - wall) / iters * 1000.0,
            (time.process_time() - cpu) / iters * 1000.0)


def profile(args):
    """Milliseconds per call of each phase on the tutorial networks at batch 256."""
    batch = TUTORIAL_BATCH
    real = next(iter(make_dataset(args, batch)))
    model = DCGAN(tutorial_config(), generator=tutorial_generator(),
                  discriminator=tutorial_discriminator())
    model.compile(jit_compile=False)
    g, d = model.generator, model.discriminator
    z = tf.random.normal([batch, NOISE_DIM])
    fake = g(z, training=True)
    tutorial_step = tutorial_train_step(tutorial_generator(), tutorial_discriminator(), batch)

    @tf.function
    def g_forward():
        return g(z, training=True)

    @tf.function
    def d_forward():
        return d(real, training=True)

    @tf.function
    def d_forward_backward():  # D's weight gradients of one batch, no update
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(d(real, training=True))
        return tape.gradient(loss, d.trainable_variables)

    @tf.function
    def g_alone_forward_backward():  # G's gradients of a stand-in loss: G fwd + G bwd only
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(g(z, training=True))
        return tape.gradient(loss, g.trainable_variables)

    @tf.function
    def g_forward_backward():  # G's gradients through D: G fwd, D fwd, D bwd (input), G bwd
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(d(g(z, training=True), training=True))
        return tape.gradient(loss, g.trainable_variables)

    @tf.function
    def tfgan_d_step():  # GAN.discriminator_step on a given G(z): D fwd x2, D bwd x2, Adam
        return model.discriminator_step(real, fake)

    @tf.function
    def tfgan_train_step():  # the whole GAN.train_step without model.fit around it
        return model.train_step(real)

    rows = [
        ("G forward", g_forward),
        ("D forward (one batch)", d_forward),
        ("D forward+backward (weights, one batch)", d_forward_backward),
        ("G forward+backward (G alone)", g_alone_forward_backward),
        ("G forward+backward through D", g_forward_backward),
        ("tfgan discriminator_step (given G(z))", tfgan_d_step),
        ("tfgan train_step, plain tf.function", tfgan_train_step),
        ("tutorial train_step", lambda: tutorial_step(real)),
    ]
    results = {}
    print(f"\nProfile, tutorial networks, batch {batch}, ms per call, median of "
          f"{args.profile_repeats} x {args.profile_iters} calls:")
    print(f"  {'phase':45s} {'wall ms':>8s} {'CPU ms':>8s}")
    for label, fn in rows:
        samples = [time_fn(fn, args.profile_iters) for _ in range(args.profile_repeats)]
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        results[label] = {"wall_ms": wall, "cpu_ms": cpu}
        print(f"  {label:45s} {wall:8.1f} {cpu:8.1f}", flush=True)
    return results


def _rate(value):
    """Images/s with two decimals below 10 (the 256-px translation models run below 1)."""
    return f"{value:.0f}" if value >= 10 else f"{value:.2f}"


# -- main -------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--which", default=",".join(DEFAULT_VARIANTS),
                        help=f"comma-separated variants to run, from {','.join(VARIANTS)} "
                             f"(default: {','.join(DEFAULT_VARIANTS)})")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (default 5)")
    parser.add_argument("--steps", type=int, default=20,
                        help="timed training steps per variant per round (default 20)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed steps per variant before the first round (default 5)")
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--split", default="test", help="MNIST's test split is what is offline")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--profile", action="store_true", help="also time each phase of a step")
    parser.add_argument("--profile-iters", type=int, default=10)
    parser.add_argument("--profile-repeats", type=int, default=3)
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    args.which = [w.strip() for w in args.which.split(",") if w.strip()]
    bad = [w for w in args.which if w not in VARIANTS]
    if bad or not args.which:
        parser.error(f"--which: unknown variant(s) {bad}; choose from {','.join(VARIANTS)}")
    for name in ("rounds", "steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    return args


def cpu_flags():
    """The CPU's AVX-family flags (what oneDNN can use), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return ""
    return " ".join(sorted({f for f in flags if f.startswith(("avx", "amx"))}))


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(0)
    settings = {
        "variants": args.which, "rounds": args.rounds, "steps": args.steps, "warmup": args.warmup,
        "dataset": f"{args.dataset}/{args.split}", "tensorflow": tf.__version__,
        "keras": keras.__version__, "python": platform.python_version(),
        "cpu_count": os.cpu_count(), "gpus": len(tf.config.list_physical_devices("GPU")),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "cpu_flags": cpu_flags(), "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", ""),
    }
    print("train_speed settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    print("  dcgan: DCGANConfig() defaults, batch 64 | tfgan_tut / tfgan_tut_xla: tutorial "
          "networks in tfgan's DCGAN via model.fit, batch 256 | tutorial: the tutorial's "
          "@tf.function train_step loop, batch 256")
    if set(args.which) & set(SR_VARIANTS):
        print("  srresnet / srgan: the paper's x4 settings (B=16, 64 filters, 16 crops of 96x96) on "
              "sr_photos, srgan with a random-weight VGG19 block5_conv4 | *_small: B=6, 32 filters, "
              "64x64 crops (srgan_small: VGG16 block5_conv3); images/s = HR crops per second")

    runners = []
    for name in args.which:
        runner = make_runner(name, args)
        start = time.perf_counter()
        runner.run(args.warmup)
        print(f"  built and warmed up {name} ({args.warmup} steps incl. tracing: "
              f"{time.perf_counter() - start:.1f} s)", flush=True)
        runners.append(runner)

    rates = {r.name: [] for r in runners}  # wall-clock images/s per round
    cpu_ms = {r.name: [] for r in runners}  # process CPU ms per step per round
    for round_ in range(args.rounds):
        order = runners if round_ % 2 == 0 else runners[::-1]
        cells = {}
        for runner in order:
            wall, cpu = runner.run(args.steps)
            rates[runner.name].append(args.steps * runner.batch_size / wall)
            cpu_ms[runner.name].append(cpu / args.steps * 1000.0)
            cells[runner.name] = (f"{_rate(rates[runner.name][-1]):>5s} img/s "
                                  f"({cpu_ms[runner.name][-1]:.0f} CPU ms/step)")
        print(f"round {round_ + 1}/{args.rounds}: "
              + "  ".join(f"{r.name}={cells[r.name]}" for r in runners), flush=True)

    print(f"\nover {args.rounds} rounds of {args.steps} steps: median [min, max]")
    print(f"  {'variant':15s} {'batch':>5s} {'images/s (wall)':>22s} {'ms/step':>8s} "
          f"{'CPU ms/step':>12s}")
    summary = {}
    for runner in runners:
        values, cpu = rates[runner.name], statistics.median(cpu_ms[runner.name])
        median = statistics.median(values)
        summary[runner.name] = {
            "batch_size": runner.batch_size, "median": median, "min": min(values),
            "max": max(values), "rounds": values,
            "ms_per_step": runner.batch_size / median * 1000.0,
            "cpu_ms_per_step": cpu, "cpu_ms_per_step_rounds": cpu_ms[runner.name],
        }
        spread = f"{_rate(median)} [{_rate(min(values))}, {_rate(max(values))}]"
        print(f"  {runner.name:15s} {runner.batch_size:5d} {spread:>22s} "
              f"{summary[runner.name]['ms_per_step']:8.0f} {cpu:12.0f}")
    result = {"settings": settings, "images_per_sec": summary, "ratios": {}}
    for name in ("tfgan_tut", "tfgan_tut_xla", "tfgan_tut_bf16", "tfgan_tut_sim", "tfgan_tut_sim_bf16"):
        if name not in rates or "tutorial" not in rates:
            continue
        wall_ratios = [a / b for a, b in zip(rates[name], rates["tutorial"])]
        cpu_ratios = [b / a for a, b in zip(cpu_ms[name], cpu_ms["tutorial"])]
        entry = {"wall_median": statistics.median(wall_ratios), "wall_min": min(wall_ratios),
                 "wall_max": max(wall_ratios), "cpu_median": statistics.median(cpu_ratios),
                 "target": 1.3}
        result["ratios"][f"{name}/tutorial"] = entry
        verdict = "meets" if entry["wall_median"] >= 1.3 else "below"
        print(f"\nspeed ratio {name} / tutorial: {entry['wall_median']:.2f} by wall time "
              f"(per-round {min(wall_ratios):.2f}-{max(wall_ratios):.2f}), "
              f"{entry['cpu_median']:.2f} by CPU time; target >= 1.30"
              + (f": {verdict}" if name == "tfgan_tut" else " (tfgan_tut is the one targeted)"))
        noisy = max(wall_ratios) > 1.25 * min(wall_ratios)
        if noisy or abs(entry["wall_median"] / entry["cpu_median"] - 1) > 0.1:
            print("  warning: wall-time ratios disagree between rounds or with the CPU-time ratio; "
                  "other processes are competing for the cores. Trust the CPU-time ratio, or "
                  "rerun on a quiet machine.")
    if args.profile:
        result["profile_ms"] = profile(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
