"""Shared pieces of every adversarial model: the config dataclass base and ``AdversarialModel``.

``AdversarialModel`` follows the Keras 3 custom ``train_step`` pattern (keras-io, "Customizing what
happens in fit() with TensorFlow", GAN section): loss trackers made in ``__init__``, a ``metrics``
property so Keras resets them each epoch, one optimizer per network passed to ``compile``, every
sub-model called with ``training=True`` inside ``train_step``, and ``jit_compile`` passed
explicitly (Keras' ``"auto"`` picks differently on CPU and GPU).

Subclasses implement ``build_networks`` and ``train_step``; models with more than one generator or
discriminator (CycleGAN) override ``networks`` and ``optimizers`` so that checkpoints and the CLI
see all of them. A model whose ``discriminator`` is None (SRResNet, a generator trained alone) gets
only the generator's optimizer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import ClassVar

import keras
import tensorflow as tf

from tfgan import losses


@dataclass
class TrainConfig:
    """Settings shared by every model; each field is a ``python -m tfgan.train`` flag.

    Field metadata ``help`` is the flag's help text and ``choices`` restricts its values.
    """

    dataset: str = field(default="mnist", metadata={"help": "dataset name (see tfgan.data)"})
    split: str = field(default="train", metadata={"help": "dataset split to train on"})
    data_dir: str | None = field(default=None, metadata={"help": "folder with local dataset files"})
    output_dir: str | None = field(
        default=None, metadata={"help": "run directory (default: runs/MODEL_DATASET)"}
    )
    steps: int = field(default=5000, metadata={"help": "training steps (generator updates)"})
    epochs: float | None = field(
        default=None, metadata={"help": "passes over the training split (overrides --steps)"}
    )
    batch_size: int = field(default=64, metadata={"help": "images per discriminator step"})
    g_lr: float = field(default=2e-4, metadata={"help": "generator learning rate"})
    d_lr: float = field(default=2e-4, metadata={"help": "discriminator learning rate"})
    beta1: float = field(default=0.5, metadata={"help": "Adam beta_1"})
    beta2: float = field(default=0.999, metadata={"help": "Adam beta_2"})
    seed: int = field(default=0, metadata={"help": "random seed (weights, data order, noise)"})
    checkpoint_every: int = field(default=500, metadata={"help": "steps between checkpoints"})
    sample_every: int = field(default=250, metadata={"help": "steps between sample grids"})
    log_every: int = field(default=50, metadata={"help": "steps between metrics rows"})
    num_samples: int = field(default=64, metadata={"help": "images in each sample grid"})
    jit_compile: bool = field(default=False, metadata={"help": "compile train_step with XLA"})
    resume: bool = field(
        default=False, metadata={"help": "require an existing run to continue (it resumes anyway)"}
    )

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def validate(self):
        """Raise ``ValueError`` naming the first bad value."""
        positive = ["batch_size", "checkpoint_every", "sample_every", "log_every", "num_samples"]
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(self, name)}")
        if self.steps < 1:
            raise ValueError(f"--steps must be >= 1. Received: {self.steps}")
        if self.epochs is not None and not self.epochs > 0:
            raise ValueError(f"--epochs must be > 0. Received: {self.epochs}")
        for name in ("g_lr", "d_lr"):
            if not getattr(self, name) > 0:
                raise ValueError(f"--{name.replace('_', '-')} must be > 0. Received: {getattr(self, name)}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"--{name} must be in [0, 1). Received: {getattr(self, name)}")


def total_steps(config, examples_per_epoch, per_step=None):
    """``--steps`` unless ``--epochs`` is given: epochs * examples / (batch_size * d_steps)."""
    if config.epochs is None:
        return config.steps
    per_step = per_step or config.batch_size * getattr(config, "d_steps", 1)
    return max(1, math.ceil(config.epochs * examples_per_epoch / per_step))


@dataclass
class AdversarialConfig(TrainConfig):
    """Settings shared by the GANs trained from noise: latent size, loss variant, k, image shape."""

    latent_dim: int = field(default=100, metadata={"help": "size of the noise vector z"})
    loss: str = field(
        default="non_saturating",
        metadata={"help": "generator loss", "choices": losses.LOSS_VARIANTS},
    )
    label_smoothing: float = field(
        default=0.0,
        metadata={"help": "one-sided label smoothing a: real target 1-a, fake target 0"},
    )
    d_steps: int = field(
        default=1, metadata={"help": "discriminator steps k per generator step (Algorithm 1)"}
    )
    g_steps: int = field(
        default=1,
        metadata={"help": "generator steps per discriminator phase (> 1 trains G against a fixed D, "
                          "which invites mode collapse; lecture 04)"},
    )
    reuse_fake: bool = field(
        default=True,
        metadata={"help": "G's step reuses G(z) of D's last step (False: fresh z, strict Algorithm 1)"},
    )
    image_shape: tuple[int, int, int] = field(
        default=(28, 28, 1), metadata={"help": "H,W,C of generated images"}
    )

    def validate(self):
        super().validate()
        if self.latent_dim < 1:
            raise ValueError(f"--latent-dim must be >= 1. Received: {self.latent_dim}")
        if self.d_steps < 1:
            raise ValueError(f"--d-steps must be >= 1. Received: {self.d_steps}")
        if self.g_steps < 1:
            raise ValueError(f"--g-steps must be >= 1. Received: {self.g_steps}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"--label-smoothing must be in [0, 1). Received: {self.label_smoothing}")
        losses.get_losses(self.loss)
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"--image-shape must be H,W,C with positive sizes. Received: {self.image_shape}")


class AdversarialModel(keras.Model):
    """Base of all tfgan GANs: trackers, two optimizers, sampling, checkpointable parts.

    Subclasses create ``self.generator`` and ``self.discriminator`` (Keras models whose
    discriminator outputs logits) and implement ``train_step``.
    """

    config_class: ClassVar[type] = AdversarialConfig
    #: Whether the model trains on (images, labels) batches (conditional models).
    uses_labels: ClassVar[bool] = False
    #: Names of the loss/diagnostic trackers; ``train_step`` updates them via ``self.track``.
    tracker_names: ClassVar[tuple[str, ...]] = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, config=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config if config is not None else self.config_class()
        self.config.validate()
        self.seed_generator = keras.random.SeedGenerator(self.config.seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names}

    # -- Keras plumbing -----------------------------------------------------------------------
    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, g_optimizer=None, d_optimizer=None, jit_compile=False, **kwargs):
        """Attach one optimizer per network (Adam with the config's rates when omitted).

        ``jit_compile`` is explicit on purpose: Keras' ``"auto"`` turns XLA on for some devices
        and off for others, so the same script would run different code on CPU and GPU.
        """
        super().compile(jit_compile=jit_compile, **kwargs)
        cfg = self.config
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(cfg.g_lr, beta_1=cfg.beta1, beta_2=cfg.beta2)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer = None
        if self.discriminator is not None:  # None: a generator trained alone (SRResNet)
            self.d_optimizer = d_optimizer or keras.optimizers.Adam(cfg.d_lr, beta_1=cfg.beta1, beta_2=cfg.beta2)
            self.d_optimizer.build(self.discriminator.trainable_variables)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def track(self, **values):
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # -- what checkpoints and the CLI need ------------------------------------------------------
    def networks(self):
        """The trainable networks by name (checkpointed, counted, summarized); no D if it is None."""
        nets = {"generator": self.generator, "discriminator": self.discriminator}
        return {name: net for name, net in nets.items() if net is not None}

    def optimizers(self):
        """The optimizers by name (checkpointed so a resumed run continues Adam's moments)."""
        opts = {"g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer}
        return {name: opt for name, opt in opts.items() if opt is not None}

    @property
    def step_counter(self):
        """Training steps done: the generator optimizer's update count (checkpointed with it)."""
        return self.g_optimizer.iterations

    def checkpoint_items(self):
        """Everything a resumed run must restore besides the step counter."""
        return {**self.networks(), **self.optimizers()}

    # -- hooks the training loop calls (override for models that are not z -> image) -----------
    #: The seed of the fixed latent batch behind every sample grid.
    preview_seed: ClassVar[int] = 1234

    @property
    def images_per_step(self):
        """Real examples one ``train_step`` consumes (k D steps of one batch each)."""
        return self.config.batch_size * getattr(self.config, "d_steps", 1)

    def make_dataset(self, seed, repeat=True):
        """``(dataset, examples_per_epoch)`` for ``fit``: batches of ``images_per_step`` images
        (with labels for conditional models) in [-1, 1]. Raises the data layer's errors."""
        from tfgan import data

        cfg = self.config
        dataset = data.load(
            cfg.dataset, split=cfg.split, batch_size=self.images_per_step,
            image_size=tuple(cfg.image_shape[:2]), channels=cfg.image_shape[2],
            data_dir=cfg.data_dir, shuffle=True, seed=seed, repeat=repeat,
            with_labels=self.uses_labels,
        )
        examples = len(data.load_arrays(cfg.dataset, cfg.split, data_dir=cfg.data_dir)[0])
        return dataset, examples

    def on_train_begin(self, start_step):
        """Called once before ``fit`` (e.g. to initialize from another run when ``start_step == 0``)."""

    def preview_grid(self, num):
        """A uint8 HxWxC grid of ``num`` samples from a fixed latent batch (the run's sample PNGs)."""
        from tfgan import viz

        if getattr(self, "_preview_z", None) is None or self._preview_z.shape[0] != num:
            self._preview_z = self.latent(num, seed=self.preview_seed)
        images = viz.to_uint8(self.sample(num, z=self._preview_z))
        return viz.image_grid(images, scale=2 if images.shape[1] <= 32 else 1)

    # -- sampling -----------------------------------------------------------------------------
    def latent(self, n, seed=None):
        """Draw ``n`` latent vectors z ~ N(0, I); ``seed`` makes the batch reproducible."""
        shape = (n if isinstance(n, tf.Tensor) else int(n), self.config.latent_dim)
        if seed is None:
            return keras.random.normal(shape, seed=self.seed_generator)
        return tf.random.stateless_normal(shape, seed=[int(seed), 0])

    def sample(self, n, seed=None, z=None):
        """Generate ``n`` images in [-1, 1] (NHWC); pass ``seed`` or ``z`` for a fixed batch."""
        z = self.latent(n, seed) if z is None else tf.convert_to_tensor(z, tf.float32)
        return self.generator(z, training=False)
