"""The semi-supervised GAN: D as a K + 1-class classifier, G trained by feature matching.

Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen 2016, "Improved Techniques for Training
GANs", section 5, https://arxiv.org/abs/1606.03498. Lecture: ``lectures/13_representation_learning.md``
(section 1); notebook: ``notebooks/13_representation_learning.ipynb``.

Usage::

    python -m tfgan.train sgan --split test --labeled-per-class 10 --steps 3000
    python -m tfgan.train sgan --split test --labeled-per-class 10 --supervised-only   # the baseline

or from Python::

    from tfgan import train
    from tfgan.models.sgan import SGANConfig
    result = train.run(SGANConfig(split="test", labeled_per_class=10, steps=3000))
    model = train.load_model(result.run_dir)
    model.evaluation()   # {'heldout_accuracy': ..., 'heldout_images': 2000.0, ...}

Only ``labeled_per_class`` images of each class keep their label (a subset drawn from ``--seed``);
every training image serves as unlabeled data. Accuracy is measured on ``--holdout`` images carved
out of the training split before anything else (the same images for every seed) and never used
for training, labeled or not: offline, MNIST has only its test split, so the split is cut in two.

Paper -> code:

==============================  =================================================================
l_1(x) ... l_K(x)               ``self.discriminator(x)``: K logits (the classifier)
l_{K+1}(x) = 0                  implicit; D(x) = Z / (Z + 1), ``losses.semi_supervised_real_logit``
L_sup                           ``losses.semi_supervised_classifier_loss`` on the labeled batch
L_unsup                         ``losses.semi_supervised_discriminator_loss`` on unlabeled + G(z)
feature matching (L_G)          ``losses.feature_matching_loss`` on f = D's last hidden layer (before its noise)
==============================  =================================================================

(Equations: lectures/13_representation_learning.md, Eqs. (1)-(4).)

Architecture (the paper's MNIST model, section 5.1 and the authors' ``mnist_feature_matching.py``):
D is an MLP 784-1000-500-250-250-250-K with Gaussian noise added to its input (std 0.3) and to
the output of every hidden layer (std 0.5); G is an MLP z(100)-500-500-784 with softplus and batch
norm. ``--supervised-only`` trains the same D on the labeled batches with L_sup alone (no G, no
unlabeled data): the baseline the semi-supervised gain is measured against.

Measured (``benchmarks/semi_supervised.py``, 3,000 steps, held-out accuracy, one seed): MNIST 0.837
against 0.737 for the supervised-only D at 10 labels per class, 0.928 against 0.905 at 100;
Fashion-MNIST 0.701 against 0.689 and 0.790 against 0.788 (benchmarks/README.md).

Departures: the paper normalizes D's and G's last layer by weight normalization; Keras 3 has none
built in, so D's layers are plain (ReLU) and G's output layer is a tanh for [-1, 1] images. The
labeled batch (``--labeled-batch-size``, cycling over the labeled subset) has its own size as in the
authors' code. Learning rates are constant (the paper decays them linearly in the last epochs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan import losses
from tfgan.errors import ConfigError
from tfgan.models.base import AdversarialModel, TrainConfig

#: D's hidden layers and G's (the paper's MNIST model).
D_UNITS = (1000, 500, 250, 250, 250)
G_UNITS = (500, 500)
#: The seed of the permutation that carves the held-out images: fixed, so that runs with different
#: ``--seed`` (hence different labeled subsets) are scored on the same images.
HOLDOUT_SEED = 20160610


@dataclass
class SGANConfig(TrainConfig):
    """Semi-supervised GAN settings (Salimans et al. 2016's MNIST model)."""

    batch_size: int = field(default=100, metadata={"help": "unlabeled images (and generated ones) per step", "min": 1})
    g_lr: float = field(default=1e-3, metadata={"help": "generator learning rate", "min": 0, "min_exclusive": True})
    d_lr: float = field(default=1e-3, metadata={"help": "discriminator learning rate", "min": 0, "min_exclusive": True})
    latent_dim: int = field(default=100, metadata={"help": "size of the noise vector z", "min": 1})
    num_classes: int = field(default=10, metadata={"help": "number of classes K", "min": 2})
    labeled_per_class: int = field(
        default=100, metadata={"help": "training images of each class that keep their label (drawn from --seed)",
                               "min": 1})
    labeled_batch_size: int = field(default=100, metadata={"help": "labeled images per step", "min": 1})
    holdout: int = field(
        default=2000,
        metadata={"help": "images carved out of --split for the accuracy, never trained on", "min": 1},
    )
    unlabeled_weight: float = field(
        default=1.0, metadata={"help": "weight of the unsupervised loss L_unsup in D's loss", "min": 0}
    )
    input_noise: float = field(default=0.3, metadata={"help": "std of the Gaussian noise on D's input", "min": 0})
    hidden_noise: float = field(
        default=0.5, metadata={"help": "std of the Gaussian noise on D's hidden layers", "min": 0}
    )
    supervised_only: bool = field(
        default=False,
        metadata={"help": "the baseline: train the same D on the labeled images alone (L_sup only), no G"},
    )
    image_shape: tuple[int, int, int] = field(default=(28, 28, 1), metadata={"help": "H,W,C of the images"})

    def check(self):
        super().check()
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ConfigError(f"--image-shape must be H,W,C with positive sizes. Received: {self.image_shape}")


def build_discriminator(cfg):
    """x -> [noise] -> D_UNITS dense ReLU layers, each followed by noise -> K class logits."""
    seed = cfg.seed
    layers = [keras.Input(tuple(cfg.image_shape)), keras.layers.Flatten(),
              keras.layers.GaussianNoise(cfg.input_noise, seed=seed)]
    for i, units in enumerate(D_UNITS):
        layers += [keras.layers.Dense(units, activation="relu", name=f"hidden_{i}"),
                   keras.layers.GaussianNoise(cfg.hidden_noise, seed=seed + i + 1)]
    layers.append(keras.layers.Dense(cfg.num_classes, dtype="float32", name="class_logits"))  # l_1..l_K
    return keras.Sequential(layers, name="discriminator")


def build_generator(cfg):
    """z -> G_UNITS dense layers (softplus, batch norm) -> tanh image."""
    layers = [keras.Input((cfg.latent_dim,))]
    for units in G_UNITS:
        layers += [keras.layers.Dense(units, use_bias=False), keras.layers.BatchNormalization(),
                   keras.layers.Activation("softplus")]
    layers += [keras.layers.Dense(int(np.prod(cfg.image_shape)), activation="tanh"),
               keras.layers.Reshape(tuple(cfg.image_shape))]
    return keras.Sequential(layers, name="generator")


def semi_supervised_split(labels, labeled_per_class, holdout, seed, num_classes=None):
    """``(labeled, unlabeled, heldout)`` index arrays into a split's ``labels``.

    ``heldout``: ``holdout`` images from a fixed permutation (:data:`HOLDOUT_SEED`), the same for
    every ``seed``; ``unlabeled``: every other image; ``labeled``: ``labeled_per_class`` of those for
    each class, drawn with ``seed``. Raises ``ConfigError`` when the split is too small.
    """
    labels = np.asarray(labels).reshape(-1)
    num_classes = int(num_classes or labels.max() + 1)
    if holdout >= len(labels):
        raise ConfigError(f"--holdout must leave training images: the split has {len(labels)}. Received: {holdout}")
    order = np.random.default_rng(HOLDOUT_SEED).permutation(len(labels))
    heldout, unlabeled = np.sort(order[:holdout]), np.sort(order[holdout:])
    rng = np.random.default_rng(seed)
    labeled = []
    for c in range(num_classes):
        pool = unlabeled[labels[unlabeled] == c]
        if len(pool) < labeled_per_class:
            raise ConfigError(f"--labeled-per-class {labeled_per_class} is more than the {len(pool)} training "
                              f"images of class {c}; use a smaller value or a larger split")
        labeled.append(rng.choice(pool, labeled_per_class, replace=False))
    return np.sort(np.concatenate(labeled)), unlabeled, heldout


class SGAN(AdversarialModel):
    """Semi-supervised GAN (Salimans et al. 2016): D classifies K classes and tells real from fake.

    One ``train_step``: one D update on L_sup + w L_unsup from a labeled batch, an unlabeled batch
    and G(z) (lectures/13_representation_learning.md, Eqs. (2)-(3)), then one G update by feature
    matching against the same unlabeled batch (lectures/13_representation_learning.md, Eq. (4)). A training batch is ``(unlabeled images, (labeled images, labels))``
    (:meth:`make_dataset`).
    """

    config_class = SGANConfig
    tracker_names = ("d_loss", "g_loss", "sup_loss", "unsup_loss", "train_accuracy", "d_real", "d_fake")

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.generator, self.discriminator = build_generator(self.config), build_discriminator(self.config)
        d = self.discriminator
        last_hidden = d.get_layer(f"hidden_{len(D_UNITS) - 1}").output  # before its noise, as the authors' code
        self.features = keras.Model(d.inputs, last_hidden, name="discriminator_features")  # f(x)
        self._data = None

    @property
    def step_counter(self):
        """Steps done: D's update count (G makes none with ``--supervised-only``)."""
        return self.d_optimizer.iterations

    # -- data ------------------------------------------------------------------------------------
    def data_split(self):
        """``{"labeled": (x, y), "unlabeled": x, "heldout": (x, y)}``: uint8 images of ``--split``
        divided by :func:`semi_supervised_split` (loaded once)."""
        if self._data is None:
            from tfgan import data

            cfg = self.config
            images, labels = data.load_arrays(cfg.dataset, cfg.split, data_dir=cfg.data_dir)
            if labels is None:
                raise ConfigError(f"Dataset {cfg.dataset!r} has no labels; sgan needs a labeled dataset")
            if tuple(images.shape[1:]) != tuple(cfg.image_shape):
                raise ConfigError(f"--image-shape {tuple(cfg.image_shape)} does not match the "
                                  f"{tuple(images.shape[1:])} images of {cfg.dataset!r}")
            labeled, unlabeled, heldout = semi_supervised_split(
                labels, cfg.labeled_per_class, cfg.holdout, cfg.seed, cfg.num_classes)
            self._data = {"labeled": (images[labeled], labels[labeled]), "unlabeled": images[unlabeled],
                          "heldout": (images[heldout], labels[heldout])}
        return self._data

    @property
    def images_per_step(self):
        return self.config.batch_size + self.config.labeled_batch_size

    def make_dataset(self, seed, repeat=True):
        """Batches ``(unlabeled, (labeled, labels))`` in [-1, 1], each stream shuffled and repeated
        on its own (the labeled subset is small: it cycles many times per pass over the rest)."""
        from tfgan import data

        cfg, split = self.config, self.data_split()
        x_lab, y_lab = split["labeled"]

        def stream(arrays, n, batch, offset):
            ds = tf.data.Dataset.from_tensor_slices(arrays).shuffle(n, seed=seed + offset)
            return (ds.repeat() if repeat else ds).batch(batch, drop_remainder=True)

        unlabeled = stream(split["unlabeled"], len(split["unlabeled"]), cfg.batch_size, 0)
        labeled = stream((x_lab, y_lab.astype(np.int32)), len(x_lab), cfg.labeled_batch_size, 1)
        to_float = data.to_float_images  # uint8 -> [-1, 1]
        ds = tf.data.Dataset.zip((unlabeled, labeled)).map(lambda u, lab: (to_float(u), (to_float(lab[0]), lab[1])))
        return ds.prefetch(tf.data.AUTOTUNE), len(split["unlabeled"])

    # -- training --------------------------------------------------------------------------------
    def discriminator_losses(self, unlabeled, labeled, labels, fake):
        """``(L_sup, L_unsup, labeled logits, unlabeled logits, fake logits)``; the unsupervised
        part is 0 (and the two last None) with ``--supervised-only``."""
        labeled_logits = self.discriminator(labeled, training=True)  # l_k(x), labeled x
        sup = losses.semi_supervised_classifier_loss(labeled_logits, labels)  # L_sup
        if fake is None:
            return sup, tf.constant(0.0), labeled_logits, None, None
        real_logits = self.discriminator(unlabeled, training=True)  # l_k(x), unlabeled x
        fake_logits = self.discriminator(fake, training=True)  # l_k(G(z))
        unsup = losses.semi_supervised_discriminator_loss(real_logits, fake_logits)  # L_unsup
        return sup, unsup, labeled_logits, real_logits, fake_logits

    def train_step(self, data):
        unlabeled, (labeled, labels) = data
        only_sup = self.config.supervised_only
        fake = None if only_sup else self.generator(self.latent(tf.shape(unlabeled)[0]), training=True)  # G(z)
        with tf.GradientTape() as tape:
            sup, unsup, lab_logits, real_logits, fake_logits = self.discriminator_losses(unlabeled, labeled, labels, fake)
            d_loss = sup + self.config.unlabeled_weight * unsup
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        g_loss = tf.constant(0.0)
        if not only_sup:
            with tf.GradientTape() as tape:
                fake = self.generator(self.latent(tf.shape(unlabeled)[0]), training=True)  # G(z), fresh z
                g_loss = losses.feature_matching_loss(  # L_G = ||E f(x) - E f(G(z))||^2
                    tf.stop_gradient(self.features(unlabeled, training=True)), self.features(fake, training=True))
            self.optimizer_step(tape, g_loss, self.generator, self.g_optimizer)
        correct = tf.equal(tf.argmax(lab_logits, -1, output_type=tf.int32), tf.cast(labels, tf.int32))
        d_of = lambda logits: (tf.constant(0.0) if logits is None  # noqa: E731  mean D(x) = Z / (Z + 1)
                               else tf.reduce_mean(tf.sigmoid(losses.semi_supervised_real_logit(logits))))
        return self.track(d_loss=d_loss, g_loss=g_loss, sup_loss=sup, unsup_loss=unsup,
                          train_accuracy=tf.reduce_mean(tf.cast(correct, tf.float32)),
                          d_real=d_of(real_logits), d_fake=d_of(fake_logits))

    # -- evaluation ------------------------------------------------------------------------------
    def classify(self, images, batch_size=500):
        """Predicted classes (argmax of the K logits, no noise) of uint8 or [-1, 1] images."""
        from tfgan import classifier

        return classifier.predict_labels(self.discriminator, images, batch_size)

    def evaluation(self, num=None):
        """Accuracy of D's K-way classifier on the held-out images (never trained on); the first
        ``num`` of them (None: all ``--holdout``)."""
        split = self.data_split()
        x, y = split["heldout"]
        x, y = (x, y) if num is None else (x[:num], y[:num])
        return {"heldout_accuracy": float(np.mean(self.classify(x) == y)), "heldout_images": float(len(x)),
                "labeled_images": float(len(split["labeled"][1])), "unlabeled_images": float(len(split["unlabeled"]))}

    def final_report(self):
        """The line the trainer prints after a completed run."""
        r = self.evaluation()
        kind = "supervised-only classifier" if self.config.supervised_only else "semi-supervised D"
        return (f"Held-out accuracy of the {kind}: {r['heldout_accuracy']:.4f} on {int(r['heldout_images'])} "
                f"images of {self.config.dataset}/{self.config.split} carved out before training "
                f"(labeled: {int(r['labeled_images'])}, unlabeled: {int(r['unlabeled_images'])})")
