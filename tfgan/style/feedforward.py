"""Fast style transfer: a feed-forward network trained once per style with the perceptual loss.

Johnson, Alahi and Fei-Fei 2016, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution", ECCV 2016, https://arxiv.org/abs/1603.08155 (supplementary material, Table 1),
with Ulyanov et al. 2016's instance normalization (https://arxiv.org/abs/1607.08022) and Odena et
al. 2016's resize-convolution upsampling (https://distill.pub/2016/deconv-checkerboard/).
Gatys et al.'s optimization (:mod:`tfgan.style.gatys`) takes minutes per photo; this network
stylizes a photo in one forward pass, after training against the same losses on many photos.
The model that trains it is :class:`tfgan.models.fast_style.FastStyle` (``python -m tfgan.train
fast_style --style PATH``).

Paper -> code:

=====================================  ==========================================================
f_W, the image transformation network  :func:`build_transform_network`
c9s1-32                                 reflection pad 4, 9x9 conv, 32 filters, stride 1, IN, ReLU
d64, d128                               reflection pad 1, 3x3 conv, stride 2, IN, ReLU
R128 x 5                                :class:`tfgan.layers.ResidualBlock` (IN, reflection pad)
u64, u32 (fractionally strided conv)    ``upsample="resize"`` (default): nearest x2, reflection
                                        pad 1, 3x3 conv; ``"transpose"``: 3x3 transposed conv,
                                        stride 2; then IN, ReLU
c9s1-3                                  reflection pad 4, 9x9 conv, 3 filters, tanh: y in [-1, 1]
phi, the loss network                   :class:`tfgan.backbones.FeatureExtractor` (VGG16)
l_feat^{phi,j} (content, relu2_2)       :func:`tfgan.style.gatys.content_loss` on ``block2_conv2``
l_style^{phi,j} (Gram, relu1_2 ...      :func:`tfgan.style.gatys.style_loss` on ``block1_conv2``,
  relu4_3)                              ``block2_conv2``, ``block3_conv3``, ``block4_conv3``,
                                        weighted by :data:`STYLE_LAYER_WEIGHTS`
l_TV                                    :func:`tfgan.style.gatys.total_variation_loss`
=====================================  ==========================================================

Departures from the paper, and why:

* Instance normalization instead of batch normalization everywhere (Ulyanov et al. 2016 showed it
  gives markedly better stylizations with the same network; every later fast-style code does it).
  The stem and up/down layers use IN with a learned scale and shift (Ulyanov et al.); the residual
  blocks are the library's CycleGAN blocks, whose IN has no affine parameters and whose
  convolutions keep their bias instead. ``norm="batch"`` builds the paper's batch-norm version for
  comparison. With ``num_styles`` every normalization, the residual blocks' too, is conditional
  instance norm (Dumoulin et al. 2017, https://arxiv.org/abs/1610.07629); unlike theirs, the last
  convolution is followed by tanh alone, not by a normalization.
* Residual blocks pad (reflection) instead of using valid convolutions and a center crop, and the
  input is not reflection-padded by 40 pixels: the output has the input's size, so any photo with
  sides divisible by 4 goes through unchanged (others are reflection-padded, see
  :func:`tfgan.inference.stylize_image`).
* The output is ``tanh`` in [-1, 1] (the library's image range), not 150 tanh around the mean pixel.
* Upsampling is resize-convolution by default: transposed convolutions with a stride that does not
  divide the kernel size leave a checkerboard pattern (Odena et al. 2016).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan.layers import (ConditionalInstanceNormalization, ReflectionPadding2D, ResidualBlock,
                          batch_normalization, instance_norm)

UPSAMPLING = ("resize", "transpose")
#: Normalization after each convolution: instance norm (Ulyanov et al., the default) or batch norm
#: (Johnson et al.'s original; the notebook compares the two on the same network).
NORMALIZATIONS = ("instance", "batch")
#: Johnson et al.'s loss layers, named as :func:`tfgan.backbones.available_layers` (Keras'
#: VGG convolutions include their ReLU, so ``block2_conv2`` is relu2_2).
CONTENT_LAYERS = ("block2_conv2",)
STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")
#: w_l of the style loss (lectures/06_style_transfer.md, Eq. (5)) that give Johnson et al.'s loss:
#: their Gram divides by C H W and their loss is the mean over the C^2 entries, ours divides by
#: H W, so their layer loss is ours times 4 / C_l^2; (64 / C_l)^2 keeps that ratio between layers
#: and the model's style weight carries the rest (:mod:`tfgan.models.fast_style`).
STYLE_LAYER_WEIGHTS = {"block1_conv2": 1.0, "block2_conv2": 1 / 4, "block3_conv3": 1 / 16, "block4_conv3": 1 / 64}
#: How the style layers are weighted: ``"balanced"`` (:func:`balanced_layer_weights`, the default)
#: or ``"johnson"`` (:data:`STYLE_LAYER_WEIGHTS`).
LAYER_WEIGHTINGS = ("balanced", "johnson")
#: Height and width of the network's input must be multiples of this (two stride-2 layers).
SIZE_MULTIPLE = 4


class _Norm:
    """Makes the normalization layers of one network: affine instance norm, batch norm, or (with
    ``num_styles``) conditional instance norm fed the network's style-weights input."""

    def __init__(self, norm, style_weights=None, num_styles=None):
        self.norm, self.style_weights, self.num_styles = norm, style_weights, num_styles

    def __call__(self, x, name):
        if self.num_styles:  # lectures/12_fast_style_transfer.md, Eqs. (3)-(4)
            return ConditionalInstanceNormalization(self.num_styles, name=name)(x, self.style_weights)
        if self.norm == "batch":
            return batch_normalization(name=name)(x)
        return instance_norm(affine=True, name=name)(x)  # lectures/12_fast_style_transfer.md, Eq. (2)


def _conv_norm_relu(x, filters, kernel, stride, norm, name):
    x = ReflectionPadding2D(kernel // 2, name=f"{name}_pad")(x)
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="valid", name=f"{name}_conv")(x)
    x = norm(x, f"{name}_norm")
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _up(x, filters, upsample, norm, name):
    if upsample == "resize":  # Odena et al. 2016: resize, then convolve
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize")(x)
        x = ReflectionPadding2D(1, name=f"{name}_pad")(x)
        x = keras.layers.Conv2D(filters, 3, padding="valid", name=f"{name}_conv")(x)
    else:  # the paper's fractionally strided convolution
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", name=f"{name}_deconv")(x)
    x = norm(x, f"{name}_norm")
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _conditional_residual(x, norm, name):
    """R128 with conditional instance norm after both convolutions (Dumoulin et al.: every
    normalization of the network is conditional); otherwise :class:`tfgan.layers.ResidualBlock`."""
    channels = x.shape[-1]
    y = x
    for i in (1, 2):
        y = ReflectionPadding2D(1, name=f"{name}_pad{i}")(y)
        y = keras.layers.Conv2D(channels, 3, padding="valid", name=f"{name}_conv{i}")(y)
        y = norm(y, f"{name}_norm{i}")
        if i == 1:
            y = keras.layers.ReLU(name=f"{name}_relu")(y)
    return keras.layers.Add(name=name)([x, y])


def build_transform_network(filters=32, residual_blocks=5, upsample="resize", name="transform_network",
                            num_styles=None, norm="instance"):
    """Johnson et al.'s image transformation network: photos in [-1, 1] -> stylized, same size.

    ``filters`` is the first layer's width (paper: 32; d64 and d128 are 2x and 4x it);
    ``residual_blocks`` the number of R blocks (paper: 5); ``upsample`` ``"resize"`` or
    ``"transpose"`` (see the module docstring); ``norm`` ``"instance"`` or ``"batch"``. The input's
    height and width must be multiples of :data:`SIZE_MULTIPLE`.

    ``num_styles`` N (Dumoulin et al. 2017): one network for N styles. Every normalization becomes
    :class:`tfgan.layers.ConditionalInstanceNormalization` with a (gamma, beta) per style, the
    residual blocks' included, and the network takes ``[photos, style_weights]``, the weights
    (batch, N) one-hot for one style or convex for a mix (lectures/12_fast_style_transfer.md,
    Eqs. (3)-(4)). :func:`style_parameters` lists the per-style weights.
    """
    if upsample not in UPSAMPLING:
        raise ValueError(f"Expected upsample to be one of {list(UPSAMPLING)}. Received: upsample={upsample!r}")
    if norm not in NORMALIZATIONS:
        raise ValueError(f"Expected norm to be one of {list(NORMALIZATIONS)}. Received: norm={norm!r}")
    for label, value in (("filters", filters), ("residual_blocks", residual_blocks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"Expected {label} to be an integer >= 1. Received: {label}={value!r}")
    if num_styles is not None and (isinstance(num_styles, bool) or not isinstance(num_styles, int)
                                   or num_styles < 1):
        raise ValueError(f"Expected num_styles to be None or an integer >= 1. Received: num_styles={num_styles!r}")
    if num_styles and norm != "instance":
        raise ValueError(f"num_styles needs norm='instance' (conditional instance norm). Received: norm={norm!r}")
    image = keras.Input((None, None, 3), name="content")
    style_weights = keras.Input((num_styles,), name="style_weights") if num_styles else None
    layer_norm = _Norm(norm, style_weights, num_styles)
    x = _conv_norm_relu(image, filters, 9, 1, layer_norm, "c9s1")  # c9s1-32
    x = _conv_norm_relu(x, 2 * filters, 3, 2, layer_norm, "d1")  # d64
    x = _conv_norm_relu(x, 4 * filters, 3, 2, layer_norm, "d2")  # d128
    for i in range(residual_blocks):
        if num_styles:
            x = _conditional_residual(x, layer_norm, f"residual{i + 1}")  # R128 with CIN
        else:
            x = ResidualBlock(norm=norm, padding="reflect", name=f"residual{i + 1}")(x)  # R128
    x = _up(x, 2 * filters, upsample, layer_norm, "u1")  # u64
    x = _up(x, filters, upsample, layer_norm, "u2")  # u32
    x = ReflectionPadding2D(4, name="out_pad")(x)
    x = keras.layers.Conv2D(3, 9, padding="valid", name="out_conv")(x)  # c9s1-3
    stylized = keras.layers.Activation("tanh", name="tanh")(x)  # y = f_W(x) in [-1, 1]
    inputs = [image, style_weights] if num_styles else image
    return keras.Model(inputs, stylized, name=name)


def is_flat(images):
    """True for each image of an (..., H, W, C) batch whose every channel holds one value.

    Such a crop (a black sky, the margin of a scan) is poison for training the instance-normalized
    network: its activations have zero variance at every layer, so each normalization divides
    float32 rounding noise by sqrt(epsilon) and the backward pass multiplies by 1/sqrt(epsilon) =
    316 per layer. Measured on a 64-pixel run: the first layer's gradient reached 5e21, Adam's second
    moment (the squared gradient) overflowed float32 to inf, and the next update, inf - inf, made the
    weights NaN. A crop that differs by one grey level in one pixel already gives ordinary gradients.
    """
    axes = (-3, -2)
    return tf.reduce_all(tf.reduce_max(images, axes) == tf.reduce_min(images, axes), axis=-1)


def drop_flat_crops(batches, batch_size):
    """The crops of a batched dataset without the flat ones (:func:`is_flat`), re-batched to
    ``batch_size`` (order kept). A photo set made only of one-colour images would never yield a
    batch."""
    return (batches.unbatch().filter(lambda image: tf.logical_not(is_flat(image)))
            .batch(batch_size, drop_remainder=True))


def style_parameters(network):
    """The per-style weights of a conditional network: every
    :class:`tfgan.layers.ConditionalInstanceNormalization`'s ``gamma`` and ``beta`` (N, C), row s
    belonging to style s. Training only these for a new row is Dumoulin et al.'s fast adaptation."""
    return [w for layer in network.layers if isinstance(layer, ConditionalInstanceNormalization)
            for w in (layer.gamma, layer.beta)]


def num_styles(network):
    """N of a conditional network (its style-weights input), or None for a one-style network."""
    inputs = network.inputs
    return int(inputs[1].shape[-1]) if len(inputs) > 1 else None


def balanced_layer_weights(target_grams):
    """w_l = 1 / mean(A_l^2): each style layer's loss (lectures/06_style_transfer.md, Eq. (5))
    measured relative to the size of its own Gram target ``A_l`` ({layer: (..., C, C)}).

    Johnson et al.'s fixed weights (:data:`STYLE_LAYER_WEIGHTS`) assume the ImageNet VGG's
    activation scales. In the offline ``hed`` VGG16 the activations shrink with depth instead
    (mean relu1_2 about 20 times relu4_3 on the course photos), the Gram errors differ by about
    10^6 between the first and the last style layer, and relu1_2 (colours, pixel-scale texture)
    made 99.9% of the style loss: the network never learned the painting's larger strokes
    (measured in :mod:`tfgan.models.fast_style`). With these weights each layer starts at a
    comparable share whatever the loss network, and the style weight carries the overall scale.
    """
    return {name: 1.0 / float(np.mean(np.square(np.asarray(gram, np.float64))))
            for name, gram in target_grams.items()}
