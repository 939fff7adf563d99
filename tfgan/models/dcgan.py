"""Deep convolutional GAN.

Radford, Metz and Chintala 2015, "Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks", https://arxiv.org/abs/1511.06434.
Lecture: ``lectures/02_dcgan.md``; notebook: ``notebooks/02_dcgan.ipynb``.

The paper's architecture guidelines (section 3), and where the code follows them:

* no pooling: strided convolutions in D, transposed ("fractionally strided") convolutions in G;
* batch norm in both networks, except D's input layer and G's output layer;
* no hidden fully connected layers: G's first layer projects z to the first feature maps (a
  matrix multiplication, as in the paper) and D's last feature maps are flattened into one logit;
* ReLU in G with tanh on the output, LeakyReLU (slope 0.2) in D;
* Adam with learning rate 2e-4 and beta_1 = 0.5, weights drawn from N(0, 0.02) (section 4): the
  ``radford2015`` preset (``DCGANConfig.from_preset("radford2015")``, ``--preset radford2015``),
  with the paper's mini-batch of 128; the defaults train differently (below).

Paper -> code: z is ``self.latent(n)``, G is ``self.generator``, D is ``sigmoid`` of
``self.discriminator``; training is :class:`tfgan.models.gan.GAN`'s step: Algorithm 1 of
Goodfellow et al. 2014 with the preset, the simultaneous update by default.

Training defaults, chosen for time to quality on a 2-core CPU (benchmarks/README.md,
``time_to_quality.py``), depart from section 4 of the paper: Adam 1e-3 for both networks instead of
2e-4 (the paper found 1e-3 too high on its data; on MNIST within minutes 1e-3 scores higher);
mini-batches of 64 instead of 128; the simultaneous update of the TensorFlow tutorial (both losses
from one D forward pass, ``--update simultaneous``) instead of Algorithm 1's alternating one, which
saves a third D forward per step; ``--precision auto``, bfloat16 arithmetic on CPUs that have
it natively (float32 elsewhere; D's logit and the losses stay float32); and the R1 penalty of
Mescheder et al. 2018 on D with gamma 0.1 (``--gradient-penalty r1 --gp-weight 0.1``,
lectures/11_gan_objectives.md, Eq. (12)), not in the paper. On the 5,000 digits of the benchmark, D
without it memorizes its training digits (its mean logit on them drifts 1.9 above that on
held-out real digits by 7,500 steps, and it calls most held-out digits fake) while the score
levels off; with R1 the score at equal CPU time is higher though a step costs about 1.6x as much
(the penalty's second backward pass). R1 is computed with D's batch norm in training mode, so
the penalty is on the gradient of a batch-normalized D (one batch of real digits), not of each
example alone. Lecture 02, section 7. Measured and not adopted (one seed each;
benchmarks/README.md): an average of G's weights (``--ema 0.999``, with its warm-up) scored within
0.15 of G itself, a wider G (``--g-filters 128``) 0.1-0.2 higher at equal CPU time (within the
spread between seeds), least squares and 5x5 kernels lower; DiffAugment (``--augment``: translation,
cutout or both), which does stop D memorizing, lower at this budget (translation lets G's digits
drift off-centre); D without batch norm, hinge loss with spectral norm, batch 32, a decaying
learning rate, and R1 with gamma 1, 10 or 0.01 no better or lower.

Architecture departures: z is Gaussian rather than uniform; kernels are 4x4 where the authors' code
(Newmu/dcgan_code) uses 5x5 at stride 2: 4x4 is what most later implementations use
(soumith/dcgan.torch, the PyTorch example), because the stride then divides the kernel size and
the stamps overlap evenly (lectures/03_transposed_convolution.md, Eq. (15)); the depth scales with
the image size so that 28x28 MNIST gets two up-sampling stages instead of the paper's four. Other networks (the
TensorFlow tutorial's, for instance) can be passed as ``generator=``/``discriminator=``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar

import keras

from tfgan.errors import ConfigError
from tfgan.layers import (  # conv_init: N(0, 0.02), section 4
    MinibatchStdDev, VirtualBatchNormalization, batch_normalization, conv_init, spectral_norm,
)
from tfgan.models.base import AdversarialConfig, redefault
from tfgan.models.gan import GAN

#: Named starting points of ``DCGANConfig`` (``--preset``): the fields each one sets; flags given
#: beside a preset win. ``radford2015`` is the paper's training setup (section 4 of Radford et al.):
#: mini-batches of 128, Adam 2e-4 with beta_1 0.5 for both networks, Algorithm 1's alternating
#: updates, float32, no weight averaging, no gradient penalty, no augmentation.
PRESETS = {
    "radford2015": dict(batch_size=128, g_lr=2e-4, d_lr=2e-4, beta1=0.5, beta2=0.999,
                        loss="non_saturating", update="alternating", ema=None, precision="float32",
                        gradient_penalty="none", gp_weight=10.0, augment="none"),
}

NORMS = ("batch", "virtual_batch", "none")
#: Normalizations of D's hidden stages: batch norm (the paper's), layer norm (WGAN-GP's critic), none.
D_NORMS = ("batch", "layer", "none")


@dataclass
class DCGANConfig(AdversarialConfig):
    """DCGAN settings; ``image_shape`` may be 28x28x1, 32x32x3, 64x64x3 or any H divisible by 4.

    The training defaults are chosen for time to quality on a 2-core CPU and depart from the paper
    (see the module docstring); ``DCGANConfig.from_preset("radford2015")`` (``--preset
    radford2015``) gives the paper's.
    """

    # Training defaults chosen for time to quality on a 2-core CPU (benchmarks/README.md,
    # time_to_quality.py); the paper's are PRESETS["radford2015"]. Adam 1e-3 for both networks,
    # the simultaneous update of the TensorFlow tutorial (one D forward for both losses),
    # bfloat16 arithmetic where the CPU has it natively (float32 elsewhere), and the R1 penalty
    # with gamma 0.1 (D memorizes its 5,000 training digits without it).
    g_lr: float = redefault(AdversarialConfig, "g_lr", 1e-3)
    d_lr: float = redefault(AdversarialConfig, "d_lr", 1e-3)
    update: str = redefault(AdversarialConfig, "update", "simultaneous")
    precision: str = redefault(AdversarialConfig, "precision", "auto")
    gradient_penalty: str = redefault(AdversarialConfig, "gradient_penalty", "r1")
    gp_weight: float = redefault(AdversarialConfig, "gp_weight", 0.1)
    # Recorded, not applied, by the constructor: ``from_preset`` (and the CLI's --preset) fill in
    # the preset's values, so ``replace`` and a resumed run keep whatever was changed after it.
    preset: str = field(
        default="none",
        metadata={"help": "start from a named set of values (radford2015: the paper's training "
                          "setup); flags given beside it win", "choices": ("none", *PRESETS)},
    )

    g_filters: int = field(default=64, metadata={"help": "filters of G's last hidden layer", "min": 1})
    d_filters: int = field(default=64, metadata={"help": "filters of D's first layer", "min": 1})
    kernel_size: int = field(default=4, metadata={"help": "kernel size of every convolution", "min": 1})
    norm: str = field(default="batch", metadata={"help": "normalization in G", "choices": NORMS})
    d_norm: str = field(
        default="batch",
        metadata={"help": "normalization in D's hidden stages (layer or none for gradient penalties)",
                  "choices": D_NORMS},
    )
    minibatch_std: bool = field(
        default=False,
        metadata={"help": "append the minibatch standard deviation as a feature map before D's logit "
                          "(Karras et al. 2018)"},
    )
    vbn_reference_size: int = field(
        default=64,
        metadata={"help": "latent vectors in the fixed reference batch of --norm virtual_batch", "min": 1},
    )

    presets: ClassVar[dict] = PRESETS

    @classmethod
    def from_preset(cls, preset="none", **changes):
        """The config of ``preset`` (a key of ``PRESETS``, or "none" for the defaults) with
        ``changes`` on top."""
        if preset != "none" and preset not in PRESETS:
            raise ConfigError(f"--preset must be one of none, {', '.join(PRESETS)}. Received: {preset!r}")
        return cls(**{**PRESETS.get(preset, {}), **changes, "preset": preset})

    def check(self):
        super().check()
        num_stages(self.image_shape)
        if self.minibatch_std and self.batch_size % min(4, self.batch_size):
            raise ConfigError(
                "--minibatch-std groups D's batch in fours: --batch-size must be a multiple of 4. "
                f"Received: --batch-size {self.batch_size}"
            )


def num_stages(image_shape):
    """Number of stride-2 stages: halve the size while it stays even and above 7 (28 -> 7: 2)."""
    height, width = image_shape[0], image_shape[1]
    if height != width or height % 4:
        raise ValueError(
            "DCGAN needs square images whose size is divisible by 4 (e.g. 28, 32, 64). "
            f"Received: image_shape={tuple(image_shape)}"
        )
    stages, size = 0, height
    while size % 2 == 0 and size > 7:
        size //= 2
        stages += 1
    return stages


def generator_head(cfg):
    """(first map size, filters) of G's projection: s = H / 2^n, g_filters * 2^(n-1)."""
    n = num_stages(cfg.image_shape)
    return cfg.image_shape[0] // 2**n, cfg.g_filters * 2 ** (n - 1)


def upsampling_layers(cfg, filters):
    """G's n stages after the projection: [BN], ReLU, stride-2 transposed conv halving the filters;
    the last one outputs the image channels through tanh."""
    n, channels, use_bn = num_stages(cfg.image_shape), cfg.image_shape[2], cfg.norm == "batch"
    layers = []
    for stage in range(n):
        if use_bn:
            layers.append(batch_normalization())
        layers.append(keras.layers.ReLU())
        last = stage == n - 1
        layers.append(
            keras.layers.Conv2DTranspose(
                channels if last else filters // 2,
                cfg.kernel_size,
                strides=2,
                padding="same",
                use_bias=last or not use_bn,
                activation="tanh" if last else None,
                kernel_initializer=conv_init(),
            )
        )
        filters //= 2
    return layers


def build_generator(cfg):
    """z -> project to (s, s, g_filters * 2^(n-1)) -> n transposed convs, halving the filters."""
    if cfg.norm == "virtual_batch":
        return VirtualBatchGenerator(cfg)
    size, filters = generator_head(cfg)
    layers = [
        keras.Input((cfg.latent_dim,)),
        keras.layers.Dense(size * size * filters, use_bias=cfg.norm != "batch", kernel_initializer=conv_init()),
        keras.layers.Reshape((size, size, filters)),
        *upsampling_layers(cfg, filters),
    ]
    return keras.Sequential(layers, name="generator")


@keras.saving.register_keras_serializable(package="tfgan")
class VirtualBatchGenerator(keras.Model):
    """DCGAN's generator with virtual batch normalization (Salimans et al. 2016, section 3.5).

    Same layers as :func:`build_generator` with every ``BatchNormalization`` replaced by
    :class:`tfgan.layers.VirtualBatchNormalization`. The reference batch is a fixed batch of
    latent vectors ``reference_z``, drawn once (from ``config.seed``) when the network is built and
    stored as a non-trainable weight, so checkpoints keep it and a resumed run uses the same one.
    Every call forwards ``reference_z`` next to ``z``: each VBN layer normalizes an example with the
    statistics of {reference activations, that example}, so a sample never depends on the other
    samples of its minibatch (at the price of a second forward pass of the reference batch).
    """

    def __init__(self, cfg, **kwargs):
        super().__init__(name=kwargs.pop("name", "generator"), **kwargs)
        self.cfg = cfg
        channels, n = cfg.image_shape[2], num_stages(cfg.image_shape)
        size, filters = generator_head(cfg)
        self.project = keras.layers.Dense(size * size * filters, use_bias=False, kernel_initializer=conv_init())
        self.reshape = keras.layers.Reshape((size, size, filters))
        self.norms, self.convs = [], []
        for stage in range(n):
            last = stage == n - 1
            self.norms.append(VirtualBatchNormalization(epsilon=1e-5, name=f"vbn_{stage}"))
            self.convs.append(keras.layers.Conv2DTranspose(
                channels if last else filters // 2, cfg.kernel_size, strides=2, padding="same",
                use_bias=last, activation="tanh" if last else None, kernel_initializer=conv_init(),
            ))
            filters //= 2
        self.reference_z = self.add_weight(
            shape=(cfg.vbn_reference_size, cfg.latent_dim), name="reference_z", trainable=False,
            initializer=keras.initializers.RandomNormal(seed=cfg.seed + 7919),
        )
        self.build((None, cfg.latent_dim))

    def build(self, input_shape):
        z = keras.ops.zeros((1, self.cfg.latent_dim))
        self._forward(z, self.reference_z)  # creates every layer's weights
        self.built = True

    def _forward(self, z, z_ref, training=False):
        h, h_ref = self.reshape(self.project(z)), self.reshape(self.project(z_ref))
        for norm, conv in zip(self.norms, self.convs):
            h, h_ref = norm(h, h_ref)  # statistics of {reference batch, x_i}
            h, h_ref = conv(keras.ops.relu(h)), conv(keras.ops.relu(h_ref))
        return h

    def call(self, z, training=False):
        return self._forward(z, keras.ops.convert_to_tensor(self.reference_z), training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.cfg.image_shape)


def _d_norm(kind):
    if kind == "batch":
        return batch_normalization()
    if kind == "layer":  # over (H, W, C) of each example, as WGAN-GP's critic
        return keras.layers.LayerNormalization(axis=[-3, -2, -1], epsilon=1e-5)
    return None


def downsampling_layers(cfg):
    """D's n stages: stride-2 convs doubling the filters, ``d_norm`` except on the first, LeakyReLU
    0.2, [minibatch standard deviation], then flatten and one logit; every weight layer spectrally
    normalized with ``spectral_norm`` (lectures/11_gan_objectives.md)."""
    sn = functools.partial(spectral_norm, enabled=cfg.spectral_norm)
    layers = []
    for stage in range(num_stages(cfg.image_shape)):
        norm = _d_norm(cfg.d_norm) if stage > 0 else None
        layers.append(
            sn(keras.layers.Conv2D(
                cfg.d_filters * 2**stage,
                cfg.kernel_size,
                strides=2,
                padding="same",
                use_bias=norm is None,
                kernel_initializer=conv_init(),
            ))
        )
        if norm is not None:
            layers.append(norm)
        layers.append(keras.layers.LeakyReLU(0.2))
    if cfg.minibatch_std:
        layers.append(MinibatchStdDev(group_size=min(4, cfg.batch_size)))
    logit = keras.layers.Dense(1, kernel_initializer=conv_init(), dtype="float32")  # float32 under mixed precision
    return layers + [keras.layers.Flatten(), sn(logit)]


def build_discriminator(cfg):
    """x -> n strided convs, doubling the filters (no BN on the first) -> flatten -> one logit."""
    return keras.Sequential([keras.Input(tuple(cfg.image_shape)), *downsampling_layers(cfg)], name="discriminator")


class DCGAN(GAN):
    """DCGAN: convolutional G and D (Radford et al. 2015) trained with Algorithm 1."""

    config_class = DCGANConfig

    def build_networks(self):
        return build_generator(self.config), build_discriminator(self.config)
