"""Adversarial discriminative domain adaptation (ADDA).

Tzeng, Hoffman, Saenko and Darrell 2017, "Adversarial Discriminative Domain Adaptation", CVPR,
https://arxiv.org/abs/1702.05464. Lecture: ``lectures/13_representation_learning.md`` (section 3);
notebook: ``notebooks/13_representation_learning.ipynb``.

Usage (offline: MNIST's test split -> the MNIST-M style set built from it, :mod:`tfgan.data.mnist_m`)::

    python -m tfgan.train adda --split test --steps 3000 --source-steps 1000
    python -m tfgan.train adda --split test --steps 1000 --oracle      # target-supervised bound
    python -m tfgan.train adda --dataset svhn --target-dataset mnist --image-shape 32,32,3   # online

or from Python::

    from tfgan import train
    from tfgan.models.adda import ADDAConfig
    result = train.run(ADDAConfig(split="test", steps=3000, source_steps=1000))
    model = train.load_model(result.run_dir)
    model.evaluation()    # {'source_only_accuracy': ..., 'adda_accuracy': ..., 'target_images': 2000.0}
    f_s = model.encode(images, "source"); f_t = model.encode(images, "target")   # features, e.g. for PCA

Two phases in one run of ``--steps`` steps:

1. source pre-training, the first ``--source-steps`` steps: M_s and C minimize the cross-entropy
   on labeled source images (lectures/13_representation_learning.md, Eq. (8)); M_t is kept a copy
   of M_s, which is how the paper initializes it;
2. adversarial adaptation, the other steps, with M_s and C frozen: each step one update of the
   domain discriminator D (source features real, target features fake,
   lectures/13_representation_learning.md, Eq. (9)), then one of M_t with inverted labels, the
   GAN's non-saturating generator loss (lectures/13_representation_learning.md, Eq. (10)).

Target images are classified by C(M_t(x_t)); no target label is used, except by ``--oracle``, which
trains M and C on the labeled target images for every step (the upper bound of the same
architecture). :meth:`ADDA.evaluation` reports on ``--holdout`` target images set aside before
training (never seen in any phase): source only, C(M_s(x_t)), and ADDA, C(M_t(x_t)).

When the target images are the source images transformed (``mnist`` -> ``mnist_m``, image i of
one is image i of the other), the indices are divided three ways so that no digit plays two roles:
held-out target images, source images and target training images are disjoint.

Paper -> code:

======================  ====================================================================
M_s, M_t                ``self.source_encoder``, ``self.target_encoder``: LeNet (the paper's
                        digit encoder): conv5x5(20), max-pool, ReLU, conv5x5(50), dropout 0.5,
                        max-pool, ReLU, dense(500)
C                       ``self.classifier``: ReLU, dropout 0.5, dense(K) logits
D                       ``self.discriminator``: dense 500, ReLU, dense 500, ReLU, dense 1 (logit)
L_cls (source)          ``tfgan.losses.semi_supervised_classifier_loss`` (cross-entropy over K)
L_D                     ``tfgan.losses.discriminator_loss`` (source = real = 1)
L_{M_t}                 ``tfgan.losses.non_saturating_generator_loss`` on D(M_t(x_t))
======================  ====================================================================

(The equations are those of lectures/13_representation_learning.md, Eqs. (8)-(10).)

Measured (``benchmarks/domain_adaptation.py``, MNIST -> the offline MNIST-M, 1,000 + 2,000 steps, one
seed): source only 0.651, ADDA 0.955, oracle 0.968 on 2,000 held-out target images (the offline
MNIST-M, six photos, is easier than Ganin et al.'s; benchmarks/README.md).

Departures: images are scaled to [-1, 1] and grayscale sources are repeated to three channels; the
learning rates stay constant; the paper's discriminator ends in two outputs with a softmax, ours
in one logit (the same binary cross-entropy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan import losses
from tfgan.errors import ConfigError
from tfgan.models.base import AdversarialModel, TrainConfig

#: The seed of the permutation that sets the held-out target images aside (fixed across --seed).
HOLDOUT_SEED = 20170219
#: (source, target) dataset pairs whose image i is the same picture in both (MNIST-M is built from MNIST).
ALIGNED = {("mnist", "mnist_m"), ("mnist_m", "mnist")}


@dataclass
class ADDAConfig(TrainConfig):
    """ADDA settings: source and target datasets, the two phases, the networks' sizes."""

    dataset: str = field(default="mnist", metadata={"help": "source dataset (labeled)"})
    target_dataset: str = field(default="mnist_m", metadata={"help": "target dataset (its labels are not used)"})
    target_split: str | None = field(default=None, metadata={"help": "split of the target dataset (default: --split)"})
    steps: int = field(default=3000, metadata={"help": "training steps, both phases", "min": 1})
    source_steps: int = field(
        default=1000, metadata={"help": "the first steps, which pre-train M_s and C on the source", "min": 0})
    batch_size: int = field(default=64, metadata={"help": "images of each domain per step", "min": 1})
    source_lr: float = field(
        default=1e-3, metadata={"help": "learning rate of M_s and C (pre-training)", "min": 0, "min_exclusive": True})
    g_lr: float = field(default=2e-4, metadata={"help": "learning rate of the target encoder M_t", "min": 0,
                                                "min_exclusive": True})
    d_lr: float = field(default=2e-4, metadata={"help": "learning rate of the domain discriminator D", "min": 0,
                                                "min_exclusive": True})
    num_classes: int = field(default=10, metadata={"help": "number of classes K", "min": 2})
    feature_dim: int = field(default=500, metadata={"help": "size of the encoders' features", "min": 1})
    d_units: int = field(default=500, metadata={"help": "units of D's two hidden layers", "min": 1})
    holdout: int = field(
        default=2000, metadata={"help": "target images set aside for the accuracy, never trained on", "min": 1})
    oracle: bool = field(
        default=False, metadata={"help": "train M and C on the labeled target images instead (the upper bound)"})
    num_samples: int = field(default=32, metadata={"help": "images in each preview grid (source | target)", "min": 2})
    image_shape: tuple[int, int, int] = field(
        default=(28, 28, 3), metadata={"help": "H,W,C both domains are resized and converted to"})

    def check(self):
        super().check()
        if len(self.image_shape) != 3 or min(self.image_shape[:2]) < 16 or self.image_shape[2] not in (1, 3):
            raise ConfigError(f"--image-shape must be H,W,C with H, W >= 16 and C 1 or 3. Received: {self.image_shape}")
        if not self.oracle and self.source_steps >= self.steps:
            raise ConfigError(f"--source-steps must be less than --steps, leaving adaptation steps. "
                              f"Received: --source-steps {self.source_steps} with --steps {self.steps}")


def build_encoder(cfg, name):
    """LeNet: image -> feature_dim features (the paper's digit encoder)."""
    return keras.Sequential([
        keras.Input(tuple(cfg.image_shape)),
        keras.layers.Conv2D(20, 5), keras.layers.MaxPooling2D(), keras.layers.ReLU(),
        keras.layers.Conv2D(50, 5), keras.layers.Dropout(0.5), keras.layers.MaxPooling2D(), keras.layers.ReLU(),
        keras.layers.Flatten(), keras.layers.Dense(cfg.feature_dim),
    ], name=name)


def build_classifier(cfg):
    """features -> ReLU, dropout -> K logits."""
    return keras.Sequential([keras.Input((cfg.feature_dim,)), keras.layers.ReLU(), keras.layers.Dropout(0.5),
                             keras.layers.Dense(cfg.num_classes, dtype="float32")], name="classifier")


def build_discriminator(cfg):
    """features -> 500 ReLU -> 500 ReLU -> one logit (source = 1)."""
    return keras.Sequential([keras.Input((cfg.feature_dim,)), keras.layers.Dense(cfg.d_units, activation="relu"),
                             keras.layers.Dense(cfg.d_units, activation="relu"),
                             keras.layers.Dense(1, dtype="float32")], name="discriminator")


def domain_split(n_source, n_target, holdout, aligned):
    """``(source indices, target training indices, held-out target indices)``.

    A fixed permutation (:data:`HOLDOUT_SEED`) of the target sets ``holdout`` images aside. When
    the two datasets are ``aligned`` (image i is the same picture in both), the other indices are
    halved: source images from one half, target training images from the other.
    """
    if holdout >= n_target:
        raise ConfigError(f"--holdout must leave target training images: the target has {n_target}. "
                          f"Received: {holdout}")
    order = np.random.default_rng(HOLDOUT_SEED).permutation(n_target)
    heldout, rest = np.sort(order[:holdout]), order[holdout:]
    if aligned:
        if n_source != n_target:
            raise ConfigError(f"Aligned datasets must be the same size. Received: {n_source} and {n_target}")
        half = len(rest) // 2
        return np.sort(rest[:half]), np.sort(rest[half:]), heldout
    return np.arange(n_source), np.sort(rest), heldout


class ADDA(AdversarialModel):
    """ADDA: source pre-training, then adversarial adaptation of M_t
    (lectures/13_representation_learning.md, Eqs. (8)-(10)).

    A training batch is ``((x_s, y_s), (x_t, y_t))`` (:meth:`make_dataset`); ``y_t`` is read by
    ``--oracle`` only. Which phase a step belongs to is decided in the graph from the step counter.
    """

    config_class = ADDAConfig
    tracker_names = ("class_loss", "source_accuracy", "d_loss", "target_loss", "d_accuracy")
    optimizer_networks = {
        "source_optimizer": ("source_model", "source_lr"),
        "target_optimizer": ("target_encoder", "g_lr"),
        "d_optimizer": ("discriminator", "d_lr"),
    }

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        self.source_encoder = build_encoder(cfg, "source_encoder")  # M_s
        self.classifier = build_classifier(cfg)  # C
        self.source_model = keras.Sequential([self.source_encoder, self.classifier], name="source_model")  # C(M_s(x))
        self.target_encoder = build_encoder(cfg, "target_encoder")  # M_t
        self.discriminator = build_discriminator(cfg)  # D
        self.generator = None
        self.copy_source_to_target()
        self.steps_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="steps_done")
        self._data = None

    @property
    def step_counter(self):
        return self.steps_done

    def networks(self):
        return {"source_model": self.source_model, "target_encoder": self.target_encoder,
                "discriminator": self.discriminator}

    def call(self, inputs, training=False):
        """C(M_t(x)): the adapted classifier of target images."""
        return self.classifier(self.target_encoder(inputs, training=training), training=training)

    def copy_source_to_target(self):
        """M_t <- M_s (the paper initializes the target encoder with the source encoder)."""
        for target, source in zip(self.target_encoder.weights, self.source_encoder.weights):
            target.assign(source)

    # -- data ------------------------------------------------------------------------------------
    def data_split(self):
        """``{"source": (x, y), "target": (x, y), "heldout": (x, y)}``, uint8 images (loaded once)."""
        if self._data is None:
            from tfgan import data

            cfg = self.config
            target_split = cfg.target_split or cfg.split
            x_s, y_s = data.load_arrays(cfg.dataset, cfg.split, data_dir=cfg.data_dir)
            x_t, y_t = data.load_arrays(cfg.target_dataset, target_split, data_dir=cfg.data_dir)
            if y_s is None or y_t is None:
                raise ConfigError("adda needs labeled datasets (target labels are used for the accuracy only)")
            aligned = (cfg.dataset, cfg.target_dataset) in ALIGNED and cfg.split == target_split
            source, target, heldout = domain_split(len(x_s), len(x_t), cfg.holdout, aligned)
            self._data = {"source": (x_s[source], y_s[source]), "target": (x_t[target], y_t[target]),
                          "heldout": (x_t[heldout], y_t[heldout])}
        return self._data

    def to_input(self, images):
        """uint8 images of either domain -> float32 in [-1, 1] of ``image_shape`` (resized, channels
        converted); float images must be in [-1, 1] with that shape already."""
        from tfgan import data

        h, w, c = self.config.image_shape
        if getattr(images, "dtype", None) in (np.uint8, tf.uint8):
            return data.to_float_images(images, (h, w), c)
        images = tf.convert_to_tensor(images, tf.float32)
        if tuple(images.shape[1:]) != (h, w, c):
            raise ValueError(f"Expected uint8 images, or floats in [-1, 1] of shape (N, {h}, {w}, {c}). "
                             f"Received: shape={tuple(images.shape)}")
        return images

    def make_dataset(self, seed, repeat=True):
        """Batches ``((x_s, y_s), (x_t, y_t))`` in [-1, 1], each domain shuffled on its own."""
        cfg, split = self.config, self.data_split()

        def stream(arrays, offset):
            x, y = arrays
            ds = tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32))).shuffle(len(x), seed=seed + offset)
            ds = (ds.repeat() if repeat else ds).batch(cfg.batch_size, drop_remainder=True)
            return ds.map(lambda images, labels: (self.to_input(images), labels))

        ds = tf.data.Dataset.zip((stream(split["source"], 0), stream(split["target"], 1)))
        return ds.prefetch(tf.data.AUTOTUNE), len(split["source"][0])

    @property
    def images_per_step(self):
        return 2 * self.config.batch_size

    # -- training --------------------------------------------------------------------------------
    def source_step(self, x, y):
        """One update of M_s and C on labeled images (lectures/13_representation_learning.md, Eq. (8)); M_t follows M_s."""
        with tf.GradientTape() as tape:
            logits = self.source_model(x, training=True)  # C(M_s(x_s))
            loss = losses.semi_supervised_classifier_loss(logits, y)  # -E sum_k 1[k = y] log C(M_s(x))_k
        self.optimizer_step(tape, loss, self.source_model, self.source_optimizer)
        self.copy_source_to_target()
        correct = tf.equal(tf.argmax(logits, -1, output_type=tf.int32), tf.cast(y, tf.int32))
        return loss, tf.reduce_mean(tf.cast(correct, tf.float32))

    def adaptation_step(self, x_s, x_t):
        """One update of D (lectures/13_representation_learning.md, Eq. (9)), then one of M_t
        (lectures/13_representation_learning.md, Eq. (10)); M_s and C are not updated."""
        source_features = self.source_encoder(x_s, training=False)  # M_s(x_s), frozen
        with tf.GradientTape() as tape:
            source_logits = self.discriminator(source_features, training=True)  # D(M_s(x_s))
            target_logits = self.discriminator(self.target_encoder(x_t, training=True), training=True)  # D(M_t(x_t))
            d_loss = losses.discriminator_loss(source_logits, target_logits)  # L_D, source = 1
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        with tf.GradientTape() as tape:
            target_logits = self.discriminator(self.target_encoder(x_t, training=True), training=True)
            target_loss = losses.non_saturating_generator_loss(target_logits)  # L_{M_t} = -E log D(M_t(x_t))
        self.optimizer_step(tape, target_loss, self.target_encoder, self.target_optimizer)
        d_accuracy = 0.5 * (tf.reduce_mean(tf.cast(source_logits > 0, tf.float32))
                            + tf.reduce_mean(tf.cast(target_logits < 0, tf.float32)))
        return d_loss, target_loss, d_accuracy

    def train_step(self, data):
        (x_s, y_s), (x_t, y_t) = data
        zero = tf.constant(0.0)
        if self.config.oracle:  # every step supervised, on the labeled target images
            class_loss, accuracy = self.source_step(x_t, y_t)
            d_loss, target_loss, d_accuracy, adapting = zero, zero, zero, zero
        else:
            def pretrain():
                return (*self.source_step(x_s, y_s), zero, zero, zero)

            def adapt():
                return (zero, zero, *self.adaptation_step(x_s, x_t))

            class_loss, accuracy, d_loss, target_loss, d_accuracy = tf.cond(
                self.steps_done < self.config.source_steps, pretrain, adapt)
            adapting = tf.cast(self.steps_done >= self.config.source_steps, tf.float32)
        self.steps_done.assign_add(1)
        pretraining = 1.0 - adapting
        # Each phase's numbers are averaged over that phase's steps only (weight 0 in the other).
        for name, value, weight in (("class_loss", class_loss, pretraining), ("source_accuracy", accuracy, pretraining),
                                    ("d_loss", d_loss, adapting), ("target_loss", target_loss, adapting),
                                    ("d_accuracy", d_accuracy, adapting)):
            self.trackers[name].update_state(value, sample_weight=weight)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # -- using the networks ----------------------------------------------------------------------
    def encode(self, images, encoder="target", batch_size=500):
        """Features M_t(x) (``encoder="target"``) or M_s(x) (``"source"``) as a NumPy array (N, feature_dim)."""
        network = {"target": self.target_encoder, "source": self.source_encoder}.get(encoder)
        if network is None:
            raise ValueError(f"encoder must be 'target' or 'source'. Received: {encoder!r}")
        out = [network(self.to_input(images[i:i + batch_size]), training=False).numpy()
               for i in range(0, len(images), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.config.feature_dim), np.float32)

    def classify(self, images, encoder="target", batch_size=500):
        """Predicted classes C(M(x)) of ``images`` with the target (adapted) or source encoder."""
        features = self.encode(images, encoder, batch_size)
        return np.argmax(self.classifier(features, training=False).numpy(), axis=1)

    def evaluation(self, num=None):
        """Accuracy on the first ``num`` (None: all) held-out target images: ``source_only_accuracy``
        C(M_s(x_t)) and ``adda_accuracy`` C(M_t(x_t)); with ``--oracle``, ``oracle_accuracy``."""
        x, y = self.data_split()["heldout"]
        x, y = (x, y) if num is None else (x[:num], y[:num])
        if self.config.oracle:
            return {"oracle_accuracy": float(np.mean(self.classify(x, "source") == y)), "target_images": float(len(x))}
        return {"source_only_accuracy": float(np.mean(self.classify(x, "source") == y)),
                "adda_accuracy": float(np.mean(self.classify(x, "target") == y)), "target_images": float(len(x))}

    def final_report(self):
        """The line the trainer prints after a completed run."""
        r, cfg = self.evaluation(), self.config
        where = f"{int(r['target_images'])} held-out {cfg.target_dataset}/{cfg.target_split or cfg.split} images"
        if cfg.oracle:
            return f"Target accuracy on {where}: oracle (target-supervised) {r['oracle_accuracy']:.4f}"
        return (f"Target accuracy on {where} (never trained on): source only {r['source_only_accuracy']:.4f}, "
                f"ADDA {r['adda_accuracy']:.4f}")

    def preview_grid(self, num):
        """Source training images (top half) and held-out target images (bottom half)."""
        from tfgan import viz

        split, half = self.data_split(), max(1, num // 2)
        source = self.to_input(split["source"][0][:half]).numpy()
        target = self.to_input(split["heldout"][0][:half]).numpy()
        images = viz.to_uint8(np.concatenate([source, target]))
        return viz.image_grid(images, ncols=min(half, 16), scale=2)
