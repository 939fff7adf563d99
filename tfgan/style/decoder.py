"""Decoders that invert a frozen VGG encoder: AdaIN's (relu4_1) and WCT's one per level.

Huang and Belongie 2017 (https://arxiv.org/abs/1703.06868, section 6.1) and Li et al. 2017
(https://arxiv.org/abs/1705.08086, section 3.1) decode VGG features back to images with a network
that mirrors the encoder: each VGG convolution ``c_in -> c_out`` becomes a 3x3 convolution
``c_out -> c_in`` followed by ReLU (the last one, back to RGB, has no activation), each pooling
layer a nearest-neighbour upsampling by 2, every convolution reflection-padded (Huang et al.:
"to avoid border artifacts"). Lecture: lectures/12_fast_style_transfer.md, Eq. (6).

The encoder is :class:`tfgan.backbones.FeatureExtractor` on VGG16 (the offline ``hed`` weights
hold VGG16 only; the papers use VGG19, whose block 3 and 4 have one convolution more). Images are
in [-1, 1], the library's range; the decoder's output is linear (not squashed by tanh, as in the
papers) and clipped only when it becomes a picture.
"""

from __future__ import annotations

import keras

from tfgan.backbones import BACKBONES, available_layers
from tfgan.layers import ReflectionPadding2D

#: The levels of WCT and the style layers of AdaIN: relu1_1 ... relu4_1 in Keras' VGG names
#: (Keras' VGG convolutions include their ReLU, so ``block4_conv1`` is relu4_1).
LEVELS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")
#: VGG16's output channels per block.
_CHANNELS = (64, 128, 256, 512, 512)


def encoder_layers(layer, backbone="vgg16"):
    """``(kind, c_in, c_out)`` of every VGG layer from the input up to ``layer``, in order:
    ``("conv", 3, 64)``, ..., ``("pool", c, c)``."""
    names = available_layers(backbone)
    if layer not in names or not layer.split("_")[1].startswith("conv"):
        raise ValueError(
            f"Expected a {backbone} convolution layer such as 'block4_conv1'. Received: layer={layer!r}"
        )
    out, channels = [], 3
    for b, convs in enumerate(BACKBONES[backbone], start=1):
        for i in range(1, convs + 1):
            out.append(("conv", channels, _CHANNELS[b - 1]))
            channels = _CHANNELS[b - 1]
            if f"block{b}_conv{i}" == layer:
                return out
        out.append(("pool", channels, channels))
    return out  # not reached: layer is a convolution of the backbone


def build_decoder(layer="block4_conv1", width=1.0, backbone="vgg16", name=None):
    """The mirror of VGG up to ``layer``: features (B, h, w, C_layer) -> images (B, 2^p h, 2^p w, 3).

    ``width`` scales the hidden channels (1.0: the papers' decoder; small values for tests); the
    input has the encoder's channels whatever the width. ``p`` is the number of poolings below
    ``layer``. For ``block4_conv1`` at width 1: 512->256, up, 256->256 x2, 256->128, up,
    128->128, 128->64, up, 64->64, 64->3 (Huang et al.'s decoder less VGG19's extra block-3 layer).
    """
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 4:
        raise ValueError(f"Expected width in (0, 4]. Received: width={width!r}")
    spec = encoder_layers(layer, backbone)
    hidden = lambda c: max(1, round(c * width))  # noqa: E731
    features = keras.Input((None, None, spec[-1][2]), name=f"{layer}_features")
    x, convs = features, 0
    for kind, c_in, _ in reversed(spec):
        if kind == "pool":
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"up{convs}")(x)
            continue
        convs += 1
        last = c_in == 3
        x = ReflectionPadding2D(1, name=f"pad{convs}")(x)
        x = keras.layers.Conv2D(3 if last else hidden(c_in), 3, padding="valid", name=f"conv{convs}")(x)
        if not last:
            x = keras.layers.ReLU(name=f"relu{convs}")(x)
    return keras.Model(features, x, name=name or f"decoder_{layer}")


def size_multiple(layer, backbone="vgg16"):
    """Encoder inputs whose sides are multiples of this decode back to their own size (2^poolings)."""
    return 2 ** sum(kind == "pool" for kind, _, _ in encoder_layers(layer, backbone))
