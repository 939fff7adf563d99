"""Arbitrary style transfer with adaptive instance normalization (AdaIN).

Huang and Belongie 2017, "Arbitrary Style Transfer in Real-time with Adaptive Instance
Normalization", ICCV 2017, https://arxiv.org/abs/1703.06868. Lecture:
lectures/12_fast_style_transfer.md, Eqs. (5)-(7). One network stylizes a photo with any style
image in one pass: a frozen VGG encoder phi, the AdaIN layer (:class:`tfgan.layers.AdaptiveInstanceNormalization`)
that gives the content features the style features' channel means and standard deviations, and a
decoder g (:func:`tfgan.style.decoder.build_decoder`) trained once, on many content and style
images, to turn such features back into an image. The model that trains it is
:class:`tfgan.models.adain.AdaIN` (``python -m tfgan.train adain``).

Paper -> code:

* f, VGG19 up to relu4_1, frozen: :func:`build_encoder`, VGG16 (``hed`` weights offline) up to
  ``block4_conv1`` = relu4_1, returning relu1_1 ... relu4_1 (:data:`STYLE_LAYERS`).
* AdaIN(x, y), the paper's eq. 8: :func:`adain`, lectures/12_fast_style_transfer.md, Eq. (5).
* t = AdaIN(f(c), f(s)), the paper's eq. 9: :func:`target` with one style and alpha 1.
* g, the decoder: :func:`tfgan.style.decoder.build_decoder`.
* L = L_c + lambda L_s, the paper's eqs. 11-13: :func:`decoder_loss`,
  lectures/12_fast_style_transfer.md, Eq. (6).
* the alpha trade-off, the paper's eq. 14: ``target(..., alpha=)``,
  lectures/12_fast_style_transfer.md, Eq. (7).
* style interpolation, the paper's eq. 15: ``target(..., weights=)``, sum_k w_k AdaIN(f(c), f(s_k)).
* color control (the paper's section 7.3): :func:`tfgan.style.gatys.match_color_histogram` on the
  style image first (:func:`tfgan.inference.stylize_arbitrary`).

Departures: VGG16 instead of VGG19 (the offline weights); the losses are mean squared errors, as
in the authors' code (``nn.MSELoss``), rather than the paper's Euclidean norms; images in [-1, 1].
"""

from __future__ import annotations

import tensorflow as tf

from tfgan.layers import AdaptiveInstanceNormalization
from tfgan.style.decoder import LEVELS

#: The encoder's output: relu4_1.
ENCODER_LAYER = "block4_conv1"
#: The layers of the style loss: relu1_1, relu2_1, relu3_1, relu4_1.
STYLE_LAYERS = LEVELS
EPSILON = 1e-5


def build_encoder(weights="hed", precision="float32", layers=STYLE_LAYERS):
    """The frozen VGG16 encoder phi on images in [-1, 1]: ``{layer: features}`` for ``layers``.

    ``weights``: ``"hed"`` (offline pretrained), ``"imagenet"``, a file, or None (random, tests).
    Raises :class:`tfgan.backbones.WeightsUnavailableError` when the weights cannot be had.
    """
    from tfgan.backbones import FeatureExtractor

    return FeatureExtractor(list(layers), backbone="vgg16", weights=weights, input_range=(-1.0, 1.0),
                            precision=precision, name="encoder")


def mean_std(features, epsilon=EPSILON):
    """Channel means mu and standard deviations sigma = sqrt(var + epsilon) over height and width:
    two (B, C) tensors (the statistics of lectures/12_fast_style_transfer.md, Eq. (5))."""
    mean, variance = tf.nn.moments(features, axes=[1, 2])
    return mean, tf.sqrt(variance + epsilon)


def adain(content, style, epsilon=EPSILON):
    """sigma(y) (x - mu(x)) / sigma(x) + mu(y), lectures/12_fast_style_transfer.md, Eq. (5).

    ``content`` x and ``style`` y are (B, h, w, C) feature maps; their h and w may differ.
    """
    return AdaptiveInstanceNormalization(epsilon)(content, style)


def target(content, styles, weights=None, alpha=1.0):
    """The features the decoder turns into the stylized image.

    ``content``: (B, h, w, C) features phi(c). ``styles``: one (B, h', w', C) feature map phi(s) or
    a list of them (each its own size). ``weights``: one per style (normalized to sum 1; default
    equal): ``sum_k w_k AdaIN(phi(c), phi(s_k))`` (the paper's eq. 15). ``alpha`` in [0, 1]:
    ``(1 - alpha) phi(c) + alpha AdaIN(...)``, lectures/12_fast_style_transfer.md, Eq. (7);
    alpha 0 gives the content features back.
    """
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"Expected alpha in [0, 1]. Received: alpha={alpha!r}")
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    weights = normalized_weights(weights, len(styles))
    mixed = tf.add_n([w * adain(content, s) for w, s in zip(weights, styles)])
    return (1.0 - alpha) * content + alpha * mixed


def normalized_weights(weights, count):
    """``weights`` (None: equal) as floats >= 0 that sum to 1, one per style; ``ValueError`` otherwise."""
    if weights is None:
        return [1.0 / count] * count
    weights = [float(w) for w in weights]
    if len(weights) != count or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError(
            f"Expected {count} style weight(s) >= 0 with a positive sum, one per style image. "
            f"Received: weights={weights}"
        )
    return [w / sum(weights) for w in weights]


def content_loss(features, target_features, balanced=False):
    """L_c: mean squared error between phi(g(t)) at relu4_1 and the AdaIN target t (the first term
    of lectures/12_fast_style_transfer.md, Eq. (6)). ``balanced``: divided by mean(t^2), an error
    relative to the size of the target (see :func:`decoder_loss`)."""
    loss = tf.reduce_mean(tf.square(features - target_features))
    return loss / _mean_square(target_features) if balanced else loss


def style_loss(features, style_features, layers=STYLE_LAYERS, balanced=False):
    """L_s: sum over ``layers`` of the mean squared errors between the channel means and between the
    standard deviations of phi_i(g(t)) and phi_i(s) (the sum in lectures/12_fast_style_transfer.md,
    Eq. (6)). Dicts ``{layer: (B, h, w, C)}``; the two may differ in h and w. ``balanced``: each
    layer's term divided by mean(mu(s)^2) + mean(sigma(s)^2), relative to the style's statistics
    at that layer (see :func:`decoder_loss`)."""
    total = 0.0
    for name in layers:
        mu, sigma = mean_std(features[name])
        mu_s, sigma_s = mean_std(style_features[name])
        term = tf.reduce_mean(tf.square(mu - mu_s)) + tf.reduce_mean(tf.square(sigma - sigma_s))
        total += term / (_mean_square(mu_s) + _mean_square(sigma_s)) if balanced else term
    return total


def decoder_loss(encoder, decoded, target_features, style_features, style_weight=10.0, balanced=False):
    """lectures/12_fast_style_transfer.md, Eq. (6): ``L_c + lambda L_s`` of the decoded images.

    ``target_features``: t at relu4_1; ``style_features``: ``{layer: phi_i(s)}``. Returns a dict of
    scalars ``content``, ``style`` (already times lambda) and ``total``.

    ``balanced=False`` is the paper's loss, whose lambda = 10 suits the ImageNet VGG19. In the
    offline ``hed`` VGG16 the activations shrink with depth: the squared channel statistics of
    relu1_1 are about 12 times relu4_1's (for The Starry Night), and with lambda = 10 the style
    term was 280 times the content term after 40 steps (128 px, batch 4, lr 1e-4): the decoder
    is trained to match the style's statistics far more than the photo's layout.
    ``balanced=True`` measures every term relative to the size of its own target (the divisors
    carry no gradient: they depend on the frozen encoder's features of the inputs only), so the
    terms are comparable whatever the encoder and lambda is a plain trade-off.
    """
    features = encoder(decoded)  # phi_i(g(t))
    content = content_loss(features[ENCODER_LAYER], target_features, balanced)
    style = style_weight * style_loss(features, style_features, balanced=balanced)
    return {"content": content, "style": style, "total": content + style}


def _mean_square(x):
    return tf.stop_gradient(tf.reduce_mean(tf.square(tf.cast(x, tf.float32))))
