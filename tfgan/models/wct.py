"""Universal style transfer via feature transforms (WCT): the decoders of the multi-level scheme.

Li, Fang, Yang, Wang, Lu and Yang 2017, "Universal Style Transfer via Feature Transforms", NeurIPS
2017, https://arxiv.org/abs/1705.08086. WCT itself needs no training (:mod:`tfgan.style.wct`,
lectures/12_fast_style_transfer.md, Eqs. (8)-(10)); what is trained is one decoder per encoder
level that turns that level's VGG features back into the image, with no style involved:
``python -m tfgan.train wct`` trains the decoders of relu1_1 ... relu{--levels}_1 together, each with
its own optimizer, on random crops of content photos. Then ``python -m tfgan.stylize PHOTO STYLE
--method wct --run RUN_DIR`` stylizes coarse to fine (:func:`tfgan.style.wct.multi_level`).

Paper -> code:

=========================================  =====================================================
Phi_i, VGG19 up to relu{i}_1, frozen         ``self.encoder([layer])`` (VGG16, ``hed`` offline)
decoder i (mirror of Phi_i)                   ``self.decoder{i}``, :func:`tfgan.style.decoder.build_decoder`
L = ||I_o - I_i||^2 + lambda ||Phi(I_o) -     :meth:`WCT.reconstruction_terms`: mean squared errors
  Phi(I_i)||^2, lambda = 1 (eq. in sec. 3.1)   of pixels (in [0, 255]) and of features, ``--feature-weight``
trained on MSCOCO                             random crops of ``--dataset`` (``sr_photos`` offline)
relu5_1 ... relu1_1 (5 levels)                relu{--levels}_1 ... relu1_1 (at most 4)
=========================================  =====================================================

Departures: VGG16 instead of VGG19 and at most four levels (relu5_1 left out: the offline VGG16 has
it, but its decoder is the costliest to train and the paper's coarsest level mostly adds large
strokes); the sample grids' styles come from ``--style-dataset``, which training does not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from tfgan.models.adain import ArbitraryStyleConfig, ArbitraryStyleModel
from tfgan.style import decoder as decoder_lib
from tfgan.style import wct as wct_lib


@dataclass
class WCTConfig(ArbitraryStyleConfig):
    """WCT decoder settings; the defaults follow Li et al. 2017 (section 3.1) where they apply."""

    levels: int = field(default=4, metadata={"help": "decoders for relu1_1 ... relu{levels}_1", "min": 1, "max": 4})
    feature_weight: float = field(default=1.0, metadata={"help": "lambda of the feature loss", "min": 0})


class WCT(ArbitraryStyleModel):
    """One decoder per level, trained to reconstruct the image from that level's features."""

    config_class = WCTConfig
    tracker_names = ("loss", "pixel", "feature")
    #: One optimizer per decoder; ``g_optimizer`` (decoder 1, always there) counts the steps.
    optimizer_networks = {
        "g_optimizer": ("decoder1", "g_lr"),
        "d2_optimizer": ("decoder2", "g_lr"),
        "d3_optimizer": ("decoder3", "g_lr"),
        "d4_optimizer": ("decoder4", "g_lr"),
    }

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.generator = None
        self.layers_ = decoder_lib.LEVELS[: self.config.levels]
        for i, layer in enumerate(self.layers_, start=1):
            setattr(self, f"decoder{i}", decoder_lib.build_decoder(layer, self.config.width, name=f"decoder{i}"))

    def networks(self):
        return {f"decoder{i}": getattr(self, f"decoder{i}") for i in range(1, len(self.layers_) + 1)}

    def decoder(self, layer):
        return getattr(self, f"decoder{self.layers_.index(layer) + 1}")

    def call(self, inputs, training=False):
        """Each level's reconstruction of ``inputs`` (images in [-1, 1]), a dict by layer."""
        return {layer: self.decoder(layer)(self.encoder([layer])(inputs)[layer], training=training)
                for layer in self.layers_}

    def reconstruction_terms(self, content, layer, training=False):
        """Pixel and feature mean squared errors of the decoder of ``layer`` on ``content``; pixels in
        [0, 255] units, the scale the VGG encoder reads (with [-1, 1] units the feature term
        outweighs the pixel term by 10^4 and the decoded colors drift out of range)."""
        encoder = self.encoder([layer])
        features = encoder(content)[layer]  # Phi(I_i)
        decoded = self.decoder(layer)(features, training=training)  # I_o
        pixel = tf.reduce_mean(tf.square(127.5 * (decoded - content)))  # in the encoder's pixel units, [0, 255]
        feature = tf.reduce_mean(tf.square(encoder(decoded)[layer] - features))
        return pixel, self.config.feature_weight * feature

    def train_step(self, data):
        content = data
        with tf.GradientTape(persistent=True) as tape:
            terms = {layer: self.reconstruction_terms(content, layer, training=True) for layer in self.layers_}
            totals = {layer: pixel + feature for layer, (pixel, feature) in terms.items()}
        for layer, total in totals.items():  # each decoder on its own loss
            self.optimizer_step(tape, total, self.decoder(layer), self._optimizer_of(layer))
        del tape
        pixel = tf.add_n([p for p, _ in terms.values()])
        feature = tf.add_n([f for _, f in terms.values()])
        return self.track(loss=pixel + feature, pixel=pixel, feature=feature)

    def _optimizer_of(self, layer):
        index = self.layers_.index(layer) + 1
        return self.g_optimizer if index == 1 else getattr(self, f"d{index}_optimizer")

    def make_dataset(self, seed, repeat=True):
        """Content crops in [-1, 1] (reconstruction needs no style); the encoders are built first."""
        for layer in self.layers_:
            self.encoder([layer])
        content, examples = self.content_crops(seed, repeat)
        ds = content.map(lambda c: tf.cast(c, tf.float32) / 127.5 - 1.0, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE), examples

    def on_train_begin(self, start_step):
        for layer in self.layers_:
            self.encoder([layer])

    def transfer(self, content, styles, alpha=1.0, weights=None):
        """:func:`tfgan.style.wct.multi_level` from relu{levels}_1 down to relu1_1."""
        order = self.layers_[::-1]
        encoders = {layer: (lambda x, layer=layer: self.encoder([layer])(tf.convert_to_tensor(x, tf.float32))[layer])
                    for layer in order}
        decoders = {layer: (lambda f, layer=layer: self.decoder(layer)(f, training=False)) for layer in order}
        return np.asarray(wct_lib.multi_level(content, styles, encoders, decoders, alpha, weights))
