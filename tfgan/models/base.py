"""Shared pieces of every adversarial model: the config dataclass base and ``AdversarialModel``.

``AdversarialModel`` follows the Keras 3 custom ``train_step`` pattern (keras-io, "Customizing what
happens in fit() with TensorFlow", GAN section): loss trackers made in ``__init__``, a ``metrics``
property so Keras resets them each epoch, one optimizer per network passed to ``compile``, every
sub-model called with ``training=True`` inside ``train_step``, and ``jit_compile`` passed
explicitly (Keras' ``"auto"`` picks differently on CPU and GPU).

Subclasses implement ``build_networks`` and ``train_step``. ``optimizer_networks`` names one
optimizer per network (and the config field of its learning rate): ``compile`` builds them,
``optimizers`` and ``checkpoint_items`` list them, for any number of networks (CycleGAN's four).
A network that is None (SRResNet's discriminator: a generator trained alone) gets no optimizer.
Every update goes through :meth:`AdversarialModel.optimizer_step`.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass, field
from typing import ClassVar

import keras
import tensorflow as tf

from tfgan import distribute, layers, losses
from tfgan import precision as precision_lib
from tfgan.errors import ConfigError


def flag_name(name):
    """The command-line flag of a config field: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def range_text(meta):
    """The allowed range of a field's metadata as text: ">= 1", "> 0", "in [0, 1)"."""
    low, high = meta.get("min"), meta.get("max")
    low_op, high_op = (">" if meta.get("min_exclusive") else ">="), ("<" if meta.get("max_exclusive") else "<=")
    if low is not None and high is not None:
        return f"in {'(' if low_op == '>' else '['}{low}, {high}{')' if high_op == '<' else ']'}"
    return f"{low_op} {low}" if low is not None else f"{high_op} {high}"


def check_field(name, value, meta):
    """Check one value against its field metadata; ``ConfigError`` "--flag must be ... Received: ...".

    Metadata keys: ``choices`` (allowed values), ``min`` / ``max`` (bounds, inclusive unless
    ``min_exclusive`` / ``max_exclusive``). Every float must be finite. None (an optional or "auto"
    field left unset) passes.
    """
    if value is None or isinstance(value, bool):
        return
    flag = flag_name(name)
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{flag} must be one of {', '.join(map(str, meta['choices']))}. Received: {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ConfigError(f"{flag} must be a finite number. Received: {value}")
        low, high = meta.get("min"), meta.get("max")
        too_low = low is not None and (value <= low if meta.get("min_exclusive") else value < low)
        too_high = high is not None and (value >= high if meta.get("max_exclusive") else value > high)
        if too_low or too_high:
            raise ConfigError(f"{flag} must be {range_text(meta)}. Received: {value}")


@dataclass
class TrainConfig:
    """Settings shared by every model; each field is a ``python -m tfgan.train`` flag.

    Field metadata says what a value may be, and :meth:`validate` checks it: ``help`` is the flag's
    help text, ``choices`` restricts a string to a few values (the flag lists them), ``min`` and
    ``max`` bound a number (inclusive unless ``min_exclusive`` / ``max_exclusive`` is true).
    Rules that tie several fields together live in :meth:`check`.
    """

    dataset: str = field(default="mnist", metadata={"help": "dataset name (see tfgan.data)"})
    split: str = field(default="train", metadata={"help": "dataset split to train on"})
    data_dir: str | None = field(default=None, metadata={"help": "folder with local dataset files"})
    output_dir: str | None = field(
        default=None, metadata={"help": "run directory (default: runs/MODEL_DATASET)"}
    )
    steps: int = field(default=5000, metadata={"help": "training steps (generator updates)", "min": 1})
    epochs: float | None = field(
        default=None,
        metadata={"help": "passes over the training split (overrides --steps)", "min": 0, "min_exclusive": True},
    )
    batch_size: int = field(default=64, metadata={"help": "images per discriminator step", "min": 1})
    g_lr: float = field(default=2e-4, metadata={"help": "generator learning rate", "min": 0, "min_exclusive": True})
    d_lr: float = field(
        default=2e-4, metadata={"help": "discriminator learning rate", "min": 0, "min_exclusive": True}
    )
    beta1: float = field(default=0.5, metadata={"help": "Adam beta_1", "min": 0, "max": 1, "max_exclusive": True})
    beta2: float = field(default=0.999, metadata={"help": "Adam beta_2", "min": 0, "max": 1, "max_exclusive": True})
    seed: int = field(default=0, metadata={"help": "random seed (weights, data order, noise)", "min": 0, "max": 2**32 - 1})
    checkpoint_every: int = field(default=500, metadata={"help": "steps between checkpoints", "min": 1})
    sample_every: int = field(default=250, metadata={"help": "steps between sample grids", "min": 1})
    log_every: int = field(default=50, metadata={"help": "steps between metrics rows", "min": 1})
    num_samples: int = field(default=64, metadata={"help": "images in each sample grid", "min": 1})
    jit_compile: bool = field(default=False, metadata={"help": "compile train_step with XLA"})
    precision: str = field(
        default="float32",
        metadata={"help": "compute dtype of the networks (weights, D's logits and losses stay float32); "
                          "auto: bfloat16 on CPUs with native bfloat16, float16 on GPUs, else float32",
                  "choices": precision_lib.PRECISIONS},
    )
    strategy: str = field(
        default="default",
        metadata={"help": "tf.distribute strategy: one device, all local GPUs (mirrored), the "
                          "TF_CONFIG cluster (multi_worker) or a TPU; --batch-size stays the global "
                          "batch (README, Training on several devices)",
                  "choices": distribute.STRATEGIES},
    )
    resume: bool = field(
        default=False, metadata={"help": "require an existing run to continue (it resumes anyway)"}
    )
    restart: bool = field(
        default=False,
        metadata={"help": "start again from step 0 in a run directory that holds checkpoints (its old "
                          "checkpoints, samples and metrics are moved to RUN/previous-TIME/)"},
    )

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def resolve_auto(self):
        """Fill the fields left at None ("auto") from the dataset; nothing to fill here. Called by
        :meth:`validate`, never by the constructor, so making a config reads no data registry."""
        return self

    def validate(self):
        """Resolve the auto fields, check every field against its metadata, then :meth:`check`.

        Raises ``tfgan.errors.ConfigError`` (a ``ValueError``) naming the first bad value.
        """
        self.resolve_auto()
        for f in dataclasses.fields(self):
            check_field(f.name, getattr(self, f.name), f.metadata)
        self.check()

    def check(self):
        """Rules that involve more than one field, or more than a range (overridden)."""


def redefault(config_class, name, default=dataclasses.MISSING):
    """Field ``name`` of ``config_class`` (its help, choices and bounds) with another default, for a
    subclass that changes the default; without ``default``, ``config_class``'s own (to restore a
    default that a parent class changed)."""
    original = {f.name: f for f in dataclasses.fields(config_class)}[name]
    return field(default=original.default if default is dataclasses.MISSING else default,
                 metadata=original.metadata)


def total_steps(config, examples_per_epoch, per_step=None):
    """``--steps`` unless ``--epochs`` is given: epochs * examples / (batch_size * d_steps)."""
    if config.epochs is None:
        return config.steps
    per_step = per_step or config.batch_size * getattr(config, "d_steps", 1)
    return max(1, math.ceil(config.epochs * examples_per_epoch / per_step))


@dataclass
class AdversarialConfig(TrainConfig):
    """Settings shared by the GANs trained from noise: latent size, loss variant, k, image shape."""

    latent_dim: int = field(default=100, metadata={"help": "size of the noise vector z", "min": 1})
    loss: str = field(
        default="non_saturating",
        metadata={"help": "adversarial loss of G and D (tfgan.losses.LOSSES; lecture 11)",
                  "choices": losses.LOSS_VARIANTS},
    )
    gradient_penalty: str = field(
        default="none",
        metadata={"help": "penalty on D's input gradient: WGAN-GP's on interpolates, or R1 on real data",
                  "choices": losses.GRADIENT_PENALTIES},
    )
    gp_weight: float = field(
        default=10.0, metadata={"help": "weight of the gradient penalty (lambda of WGAN-GP, gamma of R1)", "min": 0}
    )
    clip_weights: float | None = field(
        default=None,
        metadata={"help": "clip D's weights to [-c, c] after each D step (WGAN's Lipschitz device; "
                          "Arjovsky et al. use 0.01)", "min": 0, "min_exclusive": True},
    )
    spectral_norm: bool = field(
        default=False,
        metadata={"help": "spectral normalization of every weight layer of D (Miyato et al. 2018)"},
    )
    label_smoothing: float = field(
        default=0.0,
        metadata={"help": "one-sided label smoothing a: real target 1-a, fake target 0 (minimax and "
                          "non_saturating only)", "min": 0, "max": 1, "max_exclusive": True},
    )
    feature_matching: bool = field(
        default=False,
        metadata={"help": "G matches the mean of D's last hidden features on real data instead of "
                          "fooling D (Salimans et al. 2016)"},
    )
    ema: float | None = field(
        default=None,
        metadata={"help": "decay of an exponential moving average of G's weights used for sampling "
                          "(e.g. 0.999)", "min": 0, "max": 1, "max_exclusive": True},
    )
    d_steps: int = field(
        default=1, metadata={"help": "discriminator steps k per generator step (Algorithm 1)", "min": 1}
    )
    g_steps: int = field(
        default=1,
        metadata={"help": "generator steps per discriminator phase (> 1 trains G against a fixed D, "
                          "which invites mode collapse; lecture 04)", "min": 1},
    )
    update: str = field(
        default="alternating",
        metadata={"help": "alternating: Algorithm 1 (D step, then G through the updated D); simultaneous: "
                          "both from one D forward, as the TensorFlow tutorial (needs --d-steps 1)",
                  "choices": ("alternating", "simultaneous")},
    )
    reuse_fake: bool = field(
        default=True,
        metadata={"help": "G's step reuses G(z) of D's last step (False: fresh z, strict Algorithm 1)"},
    )
    image_shape: tuple[int, int, int] = field(
        default=(28, 28, 1), metadata={"help": "H,W,C of generated images"}
    )
    augment: str = field(
        default="none",
        metadata={"help": "DiffAugment (Zhao et al. 2020): random differentiable transforms of real and "
                          "generated images before every D call, in D's and G's losses (lecture 11)",
                  "choices": layers.AUGMENT_POLICIES},
    )

    def check(self):
        super().check()
        if self.update == "simultaneous" and self.d_steps != 1:
            raise ConfigError(f"--update simultaneous makes one D step per G step; use --d-steps 1. "
                              f"Received: --d-steps {self.d_steps}")
        if self.label_smoothing and self.loss not in losses.SMOOTHABLE:
            raise ConfigError(
                f"--label-smoothing applies to the losses on probabilities ({', '.join(losses.SMOOTHABLE)}). "
                f"Received: --loss {self.loss} with --label-smoothing {self.label_smoothing}"
            )
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ConfigError(f"--image-shape must be H,W,C with positive sizes. Received: {self.image_shape}")


_building = threading.local()  # set while a model's outermost __init__ runs (see __init_subclass__)


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

    def __init_subclass__(cls, **kwargs):
        """Every model's ``__init__`` builds its networks under the dtype policy of its
        ``--precision`` (tfgan.precision.policy_scope): layers take the global policy when they
        are made, and Keras has no other way to pass it down."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        def init_under_policy(self, *args, **kw):  # no functools.wraps: Keras reads the signature
            if getattr(_building, "active", False):  # a super().__init__ inside the outermost one
                return init(self, *args, **kw)
            config = kw.get("config", args[0] if args else None) or type(self).config_class()
            _building.active = True
            try:
                with precision_lib.policy_scope(config.precision):
                    return init(self, *args, **kw)
            finally:
                _building.active = False

        init_under_policy.__doc__ = init.__doc__
        cls.__init__ = init_under_policy

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

    #: Optimizer attribute -> (network name in ``networks()``, config field of its learning rate).
    optimizer_networks: ClassVar[dict[str, tuple[str, str]]] = {
        "g_optimizer": ("generator", "g_lr"),
        "d_optimizer": ("discriminator", "d_lr"),
    }

    def compile(self, g_optimizer=None, d_optimizer=None, jit_compile=False, optimizers=None, **kwargs):
        """Attach one optimizer per network: those given (``optimizers={name: optimizer}``, or
        ``g_optimizer``/``d_optimizer``), else Adam with the config's rate and betas.

        ``jit_compile`` is explicit on purpose: Keras' ``"auto"`` turns XLA on for some devices
        and off for others, so the same script would run different code on CPU and GPU.
        """
        super().compile(jit_compile=jit_compile, **kwargs)
        given = {"g_optimizer": g_optimizer, "d_optimizer": d_optimizer, **(optimizers or {})}
        networks = self.networks()
        for name, (network, rate_field) in self.optimizer_networks.items():
            optimizer = None
            if network in networks:  # a network that is None has no optimizer
                optimizer = given.get(name)
                if optimizer is None:
                    optimizer = self.make_optimizer(getattr(self.config, rate_field))
                optimizer.build(networks[network].trainable_variables)
            setattr(self, name, optimizer)
        # The networks are built in __init__: this stops fit under a tf.distribute strategy from
        # "building" the model by calling it on a data batch (which G would not accept).
        self.built = True

    def make_optimizer(self, learning_rate):
        """Adam with the config's betas and ``learning_rate_schedule(learning_rate)``; wrapped in a
        dynamic ``LossScaleOptimizer`` under ``--precision mixed_float16``."""
        cfg = self.config
        adam = keras.optimizers.Adam(self.learning_rate_schedule(learning_rate), beta_1=cfg.beta1, beta_2=cfg.beta2)
        if precision_lib.needs_loss_scaling(cfg.precision):
            return keras.optimizers.LossScaleOptimizer(adam)
        return adam

    def learning_rate_schedule(self, learning_rate):
        """The learning rate (or a ``keras.optimizers.schedules.LearningRateSchedule``) an
        optimizer starts from; constant here, CycleGAN's decays."""
        return learning_rate

    def optimizer_step(self, tape, loss, network, optimizer):
        """One update of ``network``'s trainable weights: the gradient of ``loss`` from ``tape``,
        applied by ``optimizer`` (``optimizer.apply(grads, vars)``). Every model's updates go
        through here, so how a gradient is formed is decided in one place: under a strategy with
        several replicas ``loss`` is the mean over this replica's slice and ``optimizer.apply``
        SUMS the replicas' gradients, so they are divided by the number of replicas first and the
        update is that of the loss averaged over the global batch
        (:func:`tfgan.distribute.scale_gradients`)."""
        variables = network.trainable_variables
        # A loss-scaling optimizer (float16) needs the gradient of scale * loss: seeding the backward
        # pass with the scale gives it without recording another op (scale is 1 otherwise).
        scale = tf.cast(optimizer.scale_loss(1.0), loss.dtype) if hasattr(optimizer, "scale_loss") else None
        grads = tape.gradient(loss, variables, output_gradients=scale)
        optimizer.apply(distribute.scale_gradients(grads), variables)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def track(self, **values):
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: distribute.step_log(tracker.result()) for name, tracker in self.trackers.items()}

    # -- what checkpoints and the CLI need ------------------------------------------------------
    def networks(self):
        """The trainable networks by name (checkpointed, counted, summarized); no D if it is None."""
        nets = {"generator": self.generator, "discriminator": self.discriminator}
        return {name: net for name, net in nets.items() if net is not None}

    def optimizers(self):
        """The optimizers by name (checkpointed so a resumed run continues Adam's moments)."""
        opts = {name: getattr(self, name, None) for name in self.optimizer_networks}
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
        (with labels for conditional models) in [-1, 1]; a folder of photos of any sizes is
        center-cropped and resized to ``image_shape``. Raises the data layer's errors."""
        from tfgan import data

        cfg = self.config
        if data.info(cfg.dataset).kind == "photos":  # photos of any sizes (folder:PATH): square crops
            if self.uses_labels:
                raise ValueError(f"Dataset {cfg.dataset!r} is a folder of photos without labels; "
                                 f"{type(self).__name__} needs labelled images (e.g. mnist).")
            return data.load_photos_as_images(
                cfg.dataset, cfg.split, batch_size=self.images_per_step, image_size=tuple(cfg.image_shape[:2]),
                channels=cfg.image_shape[2], data_dir=cfg.data_dir, seed=seed, repeat=repeat)
        dataset = data.load(
            cfg.dataset, split=cfg.split, batch_size=self.images_per_step,
            image_size=tuple(cfg.image_shape[:2]), channels=cfg.image_shape[2],
            data_dir=cfg.data_dir, shuffle=True, seed=seed, repeat=repeat,
            with_labels=self.uses_labels,
        )
        examples = len(data.load_arrays(cfg.dataset, cfg.split, data_dir=cfg.data_dir)[0])
        return dataset, examples

    def grid_milestones(self, end_step):
        """``{step: file name}``: extra named sample grids the run saves after those steps (e.g. one
        per resolution of a progressive GAN); none by default."""
        return {}

    def cost_phases(self, end_step):
        """``[(first step, relative cost, label)]`` for a run whose steps change cost (e.g. the
        resolutions of a progressive GAN), timed one by one by the trainer's time estimate; None
        (the default): every step costs the same."""
        return None

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
        if seed is None:  # under a strategy: this replica's rows of the global batch's noise
            return distribute.replica_slice(
                lambda rows: keras.random.normal((rows, shape[1]), seed=self.seed_generator), shape[0])
        return tf.random.stateless_normal(shape, seed=[int(seed), 0])

    def sample(self, n, seed=None, z=None):
        """Generate ``n`` images in [-1, 1] (NHWC); pass ``seed`` or ``z`` for a fixed batch."""
        z = self.latent(n, seed) if z is None else tf.convert_to_tensor(z, tf.float32)
        return tf.cast(self.sampler(z, training=False), tf.float32)

    @property
    def sampler(self):
        """The network :meth:`sample` uses: the generator (GANs may sample from its moving average)."""
        return self.generator
