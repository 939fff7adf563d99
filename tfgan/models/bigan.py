"""BiGAN / ALI: an encoder learned inside the game, from a discriminator on (image, code) pairs.

Donahue, Krähenbühl and Darrell, "Adversarial Feature Learning", ICLR 2017,
https://arxiv.org/abs/1605.09782; Dumoulin et al., "Adversarially Learned Inference", ICLR 2017,
https://arxiv.org/abs/1606.00704. Lecture: ``lectures/13_representation_learning.md``, section 2;
notebook: ``notebooks/13_representation_learning.ipynb``.

The game (lectures/13_representation_learning.md, Eq. (7); the BiGAN paper's eq. 3):

    min_{G,E} max_D  E_x[log D(x, E(x))] + E_z[log(1 - D(G(z), z))]

Paper -> code:

=====================  ==============================================================
z ~ p_z                ``self.latent(n)``: N(0, I) (the paper: uniform on [-1, 1]^d)
G(z)                   ``self.generator``: DCGAN's generator (:mod:`tfgan.models.dcgan`)
E(x)                   ``self.encoder``: DCGAN's discriminator stages ending in d numbers
D(x, z)                ``sigmoid(self.discriminator([x, z]))``: D outputs logits
D's loss               ``tfgan.losses`` (``--loss``), data pair (x, E(x)) labelled real
G's and E's loss       the same loss with the labels swapped (the non-saturating game)
=====================  ==============================================================

D reads x through DCGAN's strided convolutions (features f(x)) and z through a dense layer; the two
feature vectors are concatenated and go through one hidden dense layer to the logit (the paper's
MNIST D joins them the same way, with fully connected layers), and the inner product
<W f(x), z> is added to the logit (``--code-projection``, below).

Departures: Gaussian z; convolutional E and G (the paper's MNIST networks are MLPs); G and E are
trained with the swapped labels (-log D(G(z), z) - log(1 - D(x, E(x)))) rather than by minimizing
the value function, the non-saturating variant Donahue et al. also use in practice; D, G and E are
updated from one forward pass (simultaneous gradient steps), not in alternation. Three departures
make the encoder learn within a laptop budget (notebook 13: 1,500 steps of batch 64 on 8,000
digits, where the paper trains for hundreds of epochs); without them E stayed collapsed, the
correlation of E(G(z)) with z was -0.01 after 1,500 steps (benchmarks/README.md, "Recovering z"):

* batch norm in E's hidden stage (``--e-norm batch``; D has none), as in Donahue et al.'s encoders:
  without it E maps every image to nearly the same code;
* the pairing term <W f(x), z> in D's logit (``--code-projection``, see
  :func:`build_joint_discriminator`): without it D never learned which code goes with which image;
* E's learning rate 1e-3, five times G's and D's 2e-4 (``--e-lr``), meant to let E pair the data
  with codes before G, pushed by D to make its own pairs look like the data's, unlearns the pairing
  (one run each, with a randomly started W: correlation 0.28 against 0.16 at 2e-4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import tensorflow as tf

from tfgan import losses
from tfgan.errors import ConfigError
from tfgan.layers import conv_init
from tfgan.models.base import AdversarialConfig, AdversarialModel, redefault
from tfgan.models.dcgan import DCGANConfig, build_generator, downsampling_layers


@dataclass
class BiGANConfig(DCGANConfig):
    """BiGAN settings: DCGAN's, plus the encoder's learning rate and normalization and D's joint layer.

    G's and D's learning rates, the update rule and precision are the paper-style ones (Adam 2e-4,
    one joint step in float32), not the faster DCGAN defaults: BiGAN's game was measured with these.
    E learns five times faster (``--e-lr 1e-3``; the module docstring says why).

    D's hidden stages default to no normalization (``--d-norm none``): D sees the data pairs and the
    generated pairs in separate batches, and batch statistics would tell them apart by themselves.
    The encoder has its own setting (``--e-norm``, batch norm by default, as in Donahue et al.'s
    encoders): E sees only data batches, so that reason does not apply to it, and without a
    normalization E's codes start nearly equal for every image (a coordinate's spread over a batch
    about 0.02, against 1 under p_z) and stay collapsed onto one point, which D then cannot use to
    pair images with codes.
    """

    d_norm: str = field(
        default="none",
        metadata={"help": "normalization in D's hidden stages (and the encoder's)",
                  "choices": ("batch", "layer", "none")},
    )
    g_lr: float = redefault(AdversarialConfig, "g_lr")
    d_lr: float = redefault(AdversarialConfig, "d_lr")
    update: str = redefault(AdversarialConfig, "update")
    precision: str = redefault(AdversarialConfig, "precision")
    gradient_penalty: str = redefault(AdversarialConfig, "gradient_penalty")
    gp_weight: float = redefault(AdversarialConfig, "gp_weight")
    e_norm: str = field(
        default="batch",
        metadata={"help": "normalization in the encoder's hidden stages", "choices": ("batch", "layer", "none")},
    )
    e_lr: float = field(default=1e-3, metadata={"help": "encoder learning rate", "min": 0, "min_exclusive": True})
    code_projection: bool = field(
        default=True, metadata={"help": "add <W f(x), z> to D's logit: an explicit image-code pairing term"}
    )
    joint_units: int = field(
        default=256, metadata={"help": "units of D's hidden layer on the joined (x, z) features", "min": 1}
    )

    #: Flags of the GANs trained from noise that this game does not take, with their neutral values.
    UNSUPPORTED = {"feature_matching": False, "gradient_penalty": "none", "clip_weights": None,
                   "ema": None, "d_steps": 1, "g_steps": 1, "update": "alternating",
                   "minibatch_std": False, "label_smoothing": 0.0, "norm": "batch",
                   "augment": "none"}

    def check(self):
        super().check()
        for name, neutral in self.UNSUPPORTED.items():
            if name == "norm":
                if self.norm == "virtual_batch":
                    raise ConfigError("bigan takes --norm batch or none. Received: --norm virtual_batch")
                continue
            if getattr(self, name) != neutral:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"bigan does not take {flag} (its D, G and E make one simultaneous "
                                  f"step). Received: {flag} {getattr(self, name)}")


def build_encoder(cfg, name="encoder"):
    """x -> DCGAN's discriminator stages (strided convs, ``cfg.e_norm``, LeakyReLU 0.2) -> flatten ->
    d numbers.

    The encoder of BiGAN (lectures/13_representation_learning.md, Eq. (7)) and of the encoder
    trained after the fact on G's samples (``tfgan.inversion.train_encoder``,
    lectures/13_representation_learning.md, Eq. (6)).
    """
    trunk = downsampling_layers(cfg.replace(d_norm=cfg.e_norm))[:-1]  # up to the logit layer: ..., Flatten
    head = keras.layers.Dense(cfg.latent_dim, kernel_initializer=conv_init(), dtype="float32", name="code")
    return keras.Sequential([keras.Input(tuple(cfg.image_shape)), *trunk, head], name=name)


def build_joint_discriminator(cfg):
    """[x, z] -> (DCGAN's strided convs on x) ++ (dense + LeakyReLU on z) -> dense -> one logit,
    plus (``code_projection``) the inner product of z with a linear map of the image features.

    The inner product <W f(x), z> gives D an explicit term that pairs an image with a code: with
    only the concatenation and one hidden layer, D (2-stage convs, 32 filters, z in R^32) learned
    nothing about which code goes with which image in 1,500 steps on MNIST (D's logit on (G(z), z)
    and on (G(z), z') for an unrelated z' differed by < 0.01), so E, whose only signal is D's
    gradient with respect to z, had nothing to follow. The term is the projection discriminator of
    Miyato and Koyama (2018, "cGANs with Projection Discriminator") with z in place of the class
    embedding; BigBiGAN (Donahue and Simonyan 2019) likewise scores pairs beside the joint MLP.
    W starts at zero, so the sign of the pairing is learned from the data (generated pairs are
    paired by G, so pairing reads as "generated") rather than drawn at random: from a random W the
    correlation of E(G(z)) with z went negative first (-0.14 at 750 steps) and ended at 0.19 after
    1,500 steps (0.02 with E's learning rate doubled); from zero it rose steadily to 0.40 (one run
    each, notebook 13's sizes).
    """
    x = keras.Input(tuple(cfg.image_shape), name="x")
    z = keras.Input((cfg.latent_dim,), name="z")
    h = x
    for layer in downsampling_layers(cfg)[:-1]:
        h = layer(h)  # f(x)
    hz = keras.layers.LeakyReLU(0.2)(keras.layers.Dense(cfg.joint_units, kernel_initializer=conv_init())(z))
    joint = keras.layers.Concatenate()([h, hz])
    joint = keras.layers.LeakyReLU(0.2)(keras.layers.Dense(cfg.joint_units, kernel_initializer=conv_init())(joint))
    logit = keras.layers.Dense(1, kernel_initializer=conv_init(), dtype="float32")(joint)
    if cfg.code_projection:
        wf = keras.layers.Dense(cfg.latent_dim, use_bias=False, kernel_initializer="zeros", dtype="float32",
                                name="code_projection")(h)  # W f(x)
        logit = keras.layers.Add()([logit, keras.ops.sum(wf * z, axis=-1, keepdims=True)])  # + <W f(x), z>
    return keras.Model([x, z], logit, name="discriminator")


class BiGAN(AdversarialModel):
    """BiGAN (Donahue et al. 2017) = ALI (Dumoulin et al. 2017): G, E and a D on (x, z) pairs."""

    config_class = BiGANConfig
    optimizer_networks = {
        "g_optimizer": ("generator", "g_lr"),
        "e_optimizer": ("encoder", "e_lr"),
        "d_optimizer": ("discriminator", "d_lr"),
    }

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        self.generator = build_generator(cfg)
        self.encoder = build_encoder(cfg)
        self.discriminator = build_joint_discriminator(cfg)
        self.g_loss_fn, self.d_loss_fn = losses.get_losses(cfg.loss)

    def networks(self):
        return {"generator": self.generator, "encoder": self.encoder, "discriminator": self.discriminator}

    def encode(self, images, training=False):
        """E(x) for images in [-1, 1]."""
        return tf.cast(self.encoder(images, training=training), tf.float32)

    def reconstruct(self, images):
        """G(E(x)): the image the learned code of ``images`` generates."""
        return tf.cast(self.generator(self.encode(images), training=False), tf.float32)

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        z = self.latent(tf.shape(real)[0])  # z ~ p_z
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generator(z, training=True)  # G(z)
            code = self.encoder(real, training=True)  # E(x)
            real_logits = self.discriminator([real, code], training=True)  # D(x, E(x))
            fake_logits = self.discriminator([fake, z], training=True)  # D(G(z), z)
            # D's side of lectures/13_representation_learning.md, Eq. (7)
            d_loss = self.d_loss_fn(real_logits, fake_logits)
            ge_loss = self.d_loss_fn(fake_logits, real_logits)  # labels swapped: G's and E's side
        self.optimizer_step(tape, d_loss, self.discriminator, self.d_optimizer)
        self.optimizer_step(tape, ge_loss, self.generator, self.g_optimizer)
        self.optimizer_step(tape, ge_loss, self.encoder, self.e_optimizer)
        del tape
        return self.track(
            d_loss=d_loss,
            g_loss=ge_loss,
            d_real=tf.reduce_mean(tf.sigmoid(real_logits)),  # mean D(x, E(x))
            d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)),  # mean D(G(z), z)
        )
