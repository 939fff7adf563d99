"""Keras layers the GAN models share.

``VirtualBatchNormalization``: Salimans et al. 2016, "Improved Techniques for Training GANs",
section 3.5, https://arxiv.org/abs/1606.03498.

Image-to-image translation (``lectures/08_image_to_image.md``, pix2pix, and
``lectures/09_cyclegan.md``, CycleGAN):
``instance_norm`` and ``normalization`` (Keras built-ins configured as the papers' code),
``ReflectionPadding2D``, ``ResidualBlock``, the U-Net blocks ``UNetDown`` and ``UNetUp``, the
discriminators' ``HistoryPool`` (Shrivastava et al. 2017) and ``receptive_field``.

Style transfer (``tfgan.style.feedforward``): ``ConditionalInstanceNormalization`` (Dumoulin et al.
2017, one network for several styles) and ``AdaptiveInstanceNormalization`` (Huang and Belongie
2017, AdaIN).

``PixelShuffle``: Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an
Efficient Sub-Pixel Convolutional Neural Network", https://arxiv.org/abs/1609.05158 (SRGAN's
upsampling blocks).

Discriminator stabilizers (``lectures/11_gan_objectives.md``): ``MinibatchStdDev`` (Karras et al.
2018) and ``spectral_norm`` (Miyato et al. 2018, through ``keras.layers.SpectralNormalization``).

StyleGAN (``lectures/14_progressive_and_stylegan.md``, Karras et al. 2019): ``adaptive_instance_norm``
(AdaIN with given statistics, which ``AdaptiveInstanceNormalization`` also uses) and ``NoiseInjection``.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from tfgan import distribute


@keras.saving.register_keras_serializable(package="tfgan")
class VirtualBatchNormalization(keras.layers.Layer):
    """Virtual batch normalization (VBN), Salimans et al. 2016, section 3.5.

    https://arxiv.org/abs/1606.03498

    Why: batch normalization makes each example's output depend on the other examples in its
    minibatch, so a generator's samples within one batch are coupled. VBN normalizes every
    example with the statistics of a *fixed reference batch* plus that example alone, so an
    example's output depends only on itself and the reference batch, never on its minibatch
    neighbours. The cost is an extra forward pass of the reference batch through the network
    at every step (the reference activations at each VBN layer are needed).

    Formula (lectures/04_training_tricks.md, Eqs. (8)-(9); demonstrated in
    ``notebooks/04_training_tricks.ipynb``), per channel (``axis=-1``), with a reference batch of N
    examples and the mean over batch and spatial axes written E[.]:

        mu_ref  = E_ref[r],               s_ref = E_ref[r^2]
        m_i     = spatial mean of x_i,    q_i   = spatial mean of x_i^2   (x_i itself for (B, C))
        mu_i    = N/(N+1) * mu_ref + 1/(N+1) * m_i
        s_i     = N/(N+1) * s_ref  + 1/(N+1) * q_i
        var_i   = s_i - mu_i^2
        y_i     = gamma * (x_i - mu_i) / sqrt(var_i + epsilon) + beta

    These are exactly the batch-norm statistics of the "virtual batch" {reference..., x_i}.
    The reference batch itself is normalized with its own statistics alone (mu_ref, s_ref - mu_ref^2),
    as in the paper and TF-GAN's ``VBN``.

    Design: ``call(inputs, reference)`` returns ``(normalized_inputs, normalized_reference)``.
    A generator forwards its fixed reference batch (e.g. a fixed latent batch) alongside the
    minibatch; each VBN layer receives both activations and hands both on, so the reference
    activations stay available at every VBN layer down the network::

        h, h_ref = dense(z), dense(z_ref)
        h, h_ref = vbn(h, h_ref)
        h, h_ref = relu(h), relu(h_ref)

    There are no moving statistics: training and inference behave the same, so ``training``
    is accepted for API compatibility and ignored. Gradients flow through the reference
    statistics, as in the paper and TF-GAN.

    Args:
        axis: channel axis; only ``-1`` (channels last) is supported.
        epsilon: positive float added to the variance.
        center: learn the offset ``beta`` (shape ``(C,)``).
        scale: learn the scale ``gamma`` (shape ``(C,)``).
        beta_initializer, gamma_initializer: Keras initializers.
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint: as in
            ``keras.layers.BatchNormalization``.
    """

    def __init__(
        self,
        axis=-1,
        epsilon=1e-5,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or axis != -1:
            raise ValueError(
                "VirtualBatchNormalization only supports channels-last inputs, axis=-1. "
                f"Received: axis={axis!r}. Transpose your inputs to channels last."
            )
        if (isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real)
                or not epsilon > 0):
            raise ValueError(
                f"`epsilon` must be a positive float. Received: epsilon={epsilon!r}"
            )
        for name, value in (("center", center), ("scale", scale)):
            if not isinstance(value, bool):
                raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
        self.axis = -1
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.beta_regularizer = keras.regularizers.get(beta_regularizer)
        self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)
        self.beta_constraint = keras.constraints.get(beta_constraint)
        self.gamma_constraint = keras.constraints.get(gamma_constraint)
        self.supports_masking = False

    def build(self, inputs_shape, reference_shape):
        inputs_shape, reference_shape = tuple(inputs_shape), tuple(reference_shape)
        if len(inputs_shape) < 2:
            raise ValueError(
                "VirtualBatchNormalization expects inputs of shape (batch, ..., channels). "
                f"Received: inputs.shape={inputs_shape}"
            )
        if len(reference_shape) != len(inputs_shape) or reference_shape[1:] != inputs_shape[1:]:
            raise ValueError(
                "`reference` must have the same shape as `inputs` except for the batch size. "
                f"Received: inputs.shape={inputs_shape}, reference.shape={reference_shape}"
            )
        channels = inputs_shape[-1]
        if channels is None:
            raise ValueError(
                f"The channel axis (-1) must be known. Received: inputs.shape={inputs_shape}"
            )
        self.gamma = self.add_weight(
            shape=(channels,), name="gamma", initializer=self.gamma_initializer,
            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
            trainable=True,
        ) if self.scale else None
        self.beta = self.add_weight(
            shape=(channels,), name="beta", initializer=self.beta_initializer,
            regularizer=self.beta_regularizer, constraint=self.beta_constraint,
            trainable=True,
        ) if self.center else None

    def _normalize(self, x, mean, mean_sq):
        variance = ops.maximum(mean_sq - ops.square(mean), 0.0)  # var = E[x^2] - E[x]^2
        inv = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            inv = inv * ops.cast(self.gamma, x.dtype)
        y = (x - mean) * inv
        if self.beta is not None:
            y = y + ops.cast(self.beta, x.dtype)
        return y

    def call(self, inputs, reference, training=None):
        """Returns ``(normalized_inputs, normalized_reference)``; ``training`` is ignored."""
        reduce_all = tuple(range(len(reference.shape) - 1))  # batch and spatial axes
        ref_mean = ops.mean(reference, axis=reduce_all)  # mu_ref
        ref_mean_sq = ops.mean(ops.square(reference), axis=reduce_all)  # s_ref

        spatial = tuple(range(1, len(inputs.shape) - 1))  # empty for (B, C)
        if spatial:
            ex_mean = ops.mean(inputs, axis=spatial, keepdims=True)  # m_i
            ex_mean_sq = ops.mean(ops.square(inputs), axis=spatial, keepdims=True)  # q_i
        else:
            ex_mean, ex_mean_sq = inputs, ops.square(inputs)

        n = ops.cast(ops.shape(reference)[0], inputs.dtype)
        w_ref, w_ex = n / (n + 1.0), 1.0 / (n + 1.0)
        mean = w_ref * ref_mean + w_ex * ex_mean  # mu_i
        mean_sq = w_ref * ref_mean_sq + w_ex * ex_mean_sq  # s_i
        return (
            self._normalize(inputs, mean, mean_sq),
            self._normalize(reference, ref_mean, ref_mean_sq),
        )

    def compute_output_shape(self, inputs_shape, reference_shape):
        return tuple(inputs_shape), tuple(reference_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
            "beta_regularizer": keras.regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": keras.regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": keras.constraints.serialize(self.beta_constraint),
            "gamma_constraint": keras.constraints.serialize(self.gamma_constraint),
        })
        return config


# ---------------------------------------------------------------------------------------------
# Image-to-image translation: normalization, padding and blocks (pix2pix, CycleGAN)

#: Normalization kinds of the translation networks (the models' ``--norm`` flag).
NORMS = ("batch", "instance", "none")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}. Received: {name}={value!r}")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


def conv_init():
    """Convolution weights ~ N(0, 0.02): ``init_weights(init_type="normal", init_gain=0.02)`` of
    the authors' pix2pix/CycleGAN code (biases start at zero, the Keras default)."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def instance_norm(epsilon=1e-5, affine=False, name=None):
    """Instance normalization (Ulyanov et al. 2016, https://arxiv.org/abs/1607.08022) as the Keras
    built-in ``GroupNormalization(groups=-1)``: one group per channel, so every example's channels
    are normalized over their own spatial positions (lectures/09_cyclegan.md, Eq. (6))::

        y[n, h, w, c] = (x[n, h, w, c] - mu[n, c]) / sqrt(var[n, c] + epsilon)

    with mean and variance over (h, w) only. Nothing depends on the other examples of the batch,
    and training and inference compute the same thing (no moving averages).

    Settings, against the papers' code:

    * ``epsilon=1e-5``: PyTorch's ``InstanceNorm2d`` default, which the authors' code
      (junyanz/pytorch-CycleGAN-and-pix2pix, ``networks.get_norm_layer``) uses; Keras'
      ``GroupNormalization`` default would be 1e-3.
    * ``affine=False``: that code builds ``InstanceNorm2d(affine=False,
      track_running_stats=False)``, with no learned scale or shift; the convolutions in front
      keep their bias instead. Parameter counts then match the reference implementation.
    * ``affine=True`` adds a learned scale ``gamma ~ N(1, 0.02)`` and shift ``beta = 0``, the
      initializers of the TensorFlow tutorials' ``InstanceNormalization``
      (``tensorflow_examples.models.pix2pix``) and of tensorflow-addons' replacement.
    """
    if not isinstance(affine, bool):
        raise ValueError(f"`affine` must be True or False. Received: affine={affine!r}")
    return keras.layers.GroupNormalization(
        groups=-1, axis=-1, epsilon=epsilon, center=affine, scale=affine,
        gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02),
        beta_initializer="zeros", name=name,
    )


@keras.saving.register_keras_serializable(package="tfgan")
class ConditionalInstanceNormalization(keras.layers.Layer):
    """Conditional instance normalization (Dumoulin, Shlens and Kudlur 2017, "A Learned
    Representation for Artistic Style", https://arxiv.org/abs/1610.07629, the paper's eq. 5): instance
    normalization whose scale and shift are chosen by the style::

        y[n, h, w, c] = gamma_s[c] (x[n, h, w, c] - mu[n, c]) / sqrt(var[n, c] + epsilon) + beta_s[c]

    with one (gamma_s, beta_s) pair per style s = 1..N, the rest of the network shared. Called as
    ``layer(x, style_weights)`` with ``style_weights`` (batch, N): a one-hot row picks a style, a
    convex combination w mixes them (the paper's section 4.2 interpolation) through
    ``gamma = sum_s w_s gamma_s`` and ``beta = sum_s w_s beta_s``. With a one-hot style it is
    :func:`instance_norm` ``(affine=True)`` with that style's gamma and beta.

    Args:
        num_styles: N, the number of (gamma, beta) pairs.
        epsilon: added to the variance (1e-5, as :func:`instance_norm`).

    Weights: ``gamma`` (N, C) starting at 1 and ``beta`` (N, C) at 0. Training only these two for a
    new style is the paper's fast adaptation to a new style.
    """

    def __init__(self, num_styles, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.num_styles = _check_int("num_styles", num_styles, 1)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
            raise ValueError(f"`epsilon` must be a number > 0. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def build(self, inputs_shape, style_weights_shape=None):
        channels = inputs_shape[-1]
        if len(inputs_shape) != 4 or channels is None:
            raise ValueError(
                f"Expected inputs of shape (batch, height, width, channels) with known channels. "
                f"Received: inputs_shape={tuple(inputs_shape)}"
            )
        if style_weights_shape is not None and style_weights_shape[-1] not in (None, self.num_styles):
            raise ValueError(
                f"Expected style_weights of shape (batch, {self.num_styles}). "
                f"Received: style_weights_shape={tuple(style_weights_shape)}"
            )
        self.gamma = self.add_weight(shape=(self.num_styles, channels), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(self.num_styles, channels), initializer="zeros", name="beta")

    def call(self, inputs, style_weights):
        weights = ops.cast(style_weights, inputs.dtype)
        mean, variance = ops.moments(inputs, axes=[1, 2], keepdims=True)  # mu[n, c], var[n, c]
        normalized = (inputs - mean) * ops.rsqrt(variance + self.epsilon)
        gamma = ops.matmul(weights, ops.cast(self.gamma, inputs.dtype))  # sum_s w_s gamma_s, (batch, C)
        beta = ops.matmul(weights, ops.cast(self.beta, inputs.dtype))
        return normalized * gamma[:, None, None, :] + beta[:, None, None, :]

    def compute_output_shape(self, inputs_shape, style_weights_shape=None):
        return tuple(inputs_shape)

    def get_config(self):
        config = super().get_config()
        config.update(num_styles=self.num_styles, epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="tfgan")
class AdaptiveInstanceNormalization(keras.layers.Layer):
    """Adaptive instance normalization, AdaIN (Huang and Belongie 2017, "Arbitrary Style Transfer
    in Real-time with Adaptive Instance Normalization", https://arxiv.org/abs/1703.06868, the paper's eq. 8):
    the content features take the style features' per-channel mean and standard deviation::

        AdaIN(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)

    with mu and sigma over height and width, per example and channel (sigma = sqrt(var + epsilon)).
    :class:`ConditionalInstanceNormalization` with gamma = sigma(y) and beta = mu(y) computed from
    a style image instead of learned. No weights. Called as ``layer(content, style)``; the two may
    differ in height and width, not in batch or channels.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
            raise ValueError(f"`epsilon` must be a number > 0. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def build(self, content_shape, style_shape=None):
        if style_shape is not None and content_shape[-1] != style_shape[-1]:
            raise ValueError(
                f"Expected content and style features with the same channels. Received: "
                f"content_shape={tuple(content_shape)}, style_shape={tuple(style_shape)}"
            )

    def call(self, content, style):
        s_mean, s_var = ops.moments(style, axes=[1, 2], keepdims=True)  # mu(y), sigma(y)^2
        return adaptive_instance_norm(content, ops.sqrt(s_var + self.epsilon), s_mean, self.epsilon)

    def compute_output_shape(self, content_shape, style_shape=None):
        return tuple(content_shape)

    def get_config(self):
        config = super().get_config()
        config["epsilon"] = self.epsilon
        return config


def adaptive_instance_norm(x, scale, shift, epsilon=1e-5):
    """AdaIN with the new statistics given: ``scale * (x - mu(x)) / sigma(x) + shift``, mu and sigma
    over height and width per example and channel (sigma = sqrt(var + epsilon)).

    ``scale`` and ``shift`` broadcast against ``x`` (NHWC): (N, 1, 1, C) per example and channel.
    :class:`AdaptiveInstanceNormalization` takes them from a style image's features (Huang and
    Belongie 2017, their eq. 8); StyleGAN takes them from a learned affine map of w
    (lectures/14_progressive_and_stylegan.md, Eq. (5); :mod:`tfgan.models.stylegan`).
    """
    mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)  # mu(x), sigma(x)^2
    return scale * (x - mean) * ops.rsqrt(variance + ops.cast(epsilon, x.dtype)) + shift


@keras.saving.register_keras_serializable(package="tfgan")
class NoiseInjection(keras.layers.Layer):
    """StyleGAN's per-pixel noise input (Karras et al. 2019, section 2 and Figure 1(b);
    lectures/14_progressive_and_stylegan.md, Eq. (6)): ``x + B * n``, where ``n`` holds one
    N(0, 1) value per pixel, shared by all channels, and ``B`` is a learned per-channel scale
    (zeros at the start, the authors' initializer, so noise enters only as training finds a use
    for it). Called as ``layer(x, noise)`` with ``x`` (N, H, W, C) and ``noise`` (N, H, W, 1)
    (or (1, H, W, 1): the same noise image for the whole batch).
    """

    def build(self, inputs_shape, noise_shape=None):
        channels = inputs_shape[-1]
        if len(inputs_shape) != 4 or channels is None:
            raise ValueError("Expected inputs (batch, height, width, channels) with known channels. "
                             f"Received: inputs_shape={tuple(inputs_shape)}")
        if noise_shape is not None and noise_shape[-1] not in (None, 1):
            raise ValueError(f"Expected noise of shape (batch, height, width, 1). "
                             f"Received: noise_shape={tuple(noise_shape)}")
        self.noise_scale = self.add_weight(shape=(channels,), initializer="zeros", name="noise_scale")  # B

    def call(self, inputs, noise):
        return inputs + ops.cast(self.noise_scale, inputs.dtype) * ops.cast(noise, inputs.dtype)  # x + B n

    def compute_output_shape(self, inputs_shape, noise_shape=None):
        return tuple(inputs_shape)


def batch_normalization(**kwargs):
    """``keras.layers.BatchNormalization`` as every tfgan network uses it: running averages with
    momentum 0.9 (PyTorch's 0.1), epsilon 1e-5 (Radford et al.'s and the pix2pix/CycleGAN code's).

    Built under a strategy with several replicas, its batch statistics are synchronized: mean and
    variance over the global batch (``synchronized=True`` all-reduces them), so a network's
    output, and with it every loss, is the single-device one. Batch statistics are part of the
    function a GAN trains (lecture 02), so per-replica statistics would change the model with the
    number of devices. On one device the layer is the plain one.
    """
    kwargs = {"momentum": 0.9, "epsilon": 1e-5, **kwargs}
    return keras.layers.BatchNormalization(synchronized=distribute.num_replicas() > 1, **kwargs)


def normalization(kind, name=None):
    """The normalization layer of the translation networks: ``"batch"``, ``"instance"`` or
    ``"none"`` (returns None).

    Batch norm is set up as in the authors' code: epsilon 1e-5, running averages with momentum
    0.9 (PyTorch's ``momentum=0.1`` counts the other way), ``gamma ~ N(1, 0.02)``, ``beta = 0``.
    Instance norm is :func:`instance_norm`.
    """
    _check_choice("norm", kind, NORMS)
    if kind == "batch":
        return batch_normalization(
            gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02), name=name
        )
    if kind == "instance":
        return instance_norm(name=name)
    return None


def _bias_default(norm, use_bias):
    """Convolutions followed by batch norm carry no bias (its shift beta would cancel it); with
    instance norm without affine parameters, or no norm, they keep it (the authors' rule)."""
    return norm != "batch" if use_bias is None else bool(use_bias)


@keras.saving.register_keras_serializable(package="tfgan")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by mirroring the image at its border, without repeating the edge row.

    ``[a b c d]`` padded by 2 becomes ``[c b a b c d c b]`` (``np.pad(mode="reflect")``,
    PyTorch's ``ReflectionPad2d``). CycleGAN's ResNet generator pads this way before its 7x7 and
    3x3 convolutions instead of with zeros, which keeps dark frames from appearing at the image
    border (Johnson et al. 2016; Zhu et al. 2017, section 7.2).

    Args:
        padding: an int (same on all four sides), a pair ``(pad_h, pad_w)``, or
            ``((top, bottom), (left, right))``, as ``keras.layers.ZeroPadding2D``. Each amount
            must be smaller than the size of the axis it pads.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = self._parse(padding)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    @staticmethod
    def _parse(padding):
        def bad():
            return ValueError(
                "`padding` must be an int >= 0, a pair (pad_h, pad_w) or ((top, bottom), "
                f"(left, right)). Received: padding={padding!r}"
            )

        def amount(v):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
                raise bad()
            return int(v)

        if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
            p = amount(padding)
            return ((p, p), (p, p))
        if not isinstance(padding, (tuple, list)) or len(padding) != 2:
            raise bad()
        if all(isinstance(v, (tuple, list)) for v in padding):
            if any(len(v) != 2 for v in padding):
                raise bad()
            return tuple((amount(v[0]), amount(v[1])) for v in padding)
        h, w = amount(padding[0]), amount(padding[1])
        return ((h, h), (w, w))

    def build(self, input_shape):
        for axis, (before, after) in zip((1, 2), self.padding):
            size = input_shape[axis]
            if size is not None and max(before, after) >= size:
                raise ValueError(
                    "Reflection padding must be smaller than the padded axis. Received: "
                    f"padding={self.padding} for input shape {tuple(input_shape)}"
                )

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        return ops.pad(inputs, [[0, 0], [top, bottom], [left, right], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        h, w = input_shape[1], input_shape[2]
        return (
            input_shape[0],
            None if h is None else h + top + bottom,
            None if w is None else w + left + right,
            input_shape[3],
        )

    def get_config(self):
        config = super().get_config()
        config["padding"] = self.padding
        return config


@keras.saving.register_keras_serializable(package="tfgan")
class ResidualBlock(keras.layers.Layer):
    """The residual block of CycleGAN's generator (He et al. 2016, as adapted by Johnson et al.
    2016 and Zhu et al. 2017, appendix 7.2: "R256"), keeping the number of channels::

        y = x + norm(conv3x3(pad(relu(norm(conv3x3(pad(x)))))))

    (lectures/09_cyclegan.md, Eq. (7)).

    ``pad`` is reflection padding by 1 (``padding="reflect"``) or zero padding inside the
    convolution (``"zero"``). No activation follows the sum, as in the authors' ``ResnetBlock``.

    Args:
        norm: ``"instance"`` (CycleGAN), ``"batch"`` or ``"none"``.
        padding: ``"reflect"`` or ``"zero"``.
        dropout: dropout rate after the first ReLU (0: none, the authors' default).
        use_bias: convolution bias; None: only when no batch norm follows (the authors' rule).
    """

    def __init__(self, norm="instance", padding="reflect", dropout=0.0, use_bias=None, **kwargs):
        super().__init__(**kwargs)
        _check_choice("norm", norm, NORMS)
        _check_choice("padding", padding, ("reflect", "zero"))
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
        self.norm, self.padding, self.dropout = norm, padding, float(dropout)
        self.use_bias = use_bias

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"The channel axis must be known. Received: input_shape={tuple(input_shape)}")
        conv_padding = "same" if self.padding == "zero" else "valid"
        bias = _bias_default(self.norm, self.use_bias)
        self.pad1 = ReflectionPadding2D(1, name="pad1") if self.padding == "reflect" else None
        self.pad2 = ReflectionPadding2D(1, name="pad2") if self.padding == "reflect" else None
        self.conv1 = keras.layers.Conv2D(channels, 3, padding=conv_padding, use_bias=bias,
                                         kernel_initializer=conv_init(), name="conv1")
        self.conv2 = keras.layers.Conv2D(channels, 3, padding=conv_padding, use_bias=bias,
                                         kernel_initializer=conv_init(), name="conv2")
        self.norm1 = normalization(self.norm, name="norm1")
        self.norm2 = normalization(self.norm, name="norm2")
        self.drop = keras.layers.Dropout(self.dropout, name="dropout") if self.dropout else None
        shape = tuple(input_shape)
        padded = shape if self.pad1 is None else self.pad1.compute_output_shape(shape)
        for conv, norm in ((self.conv1, self.norm1), (self.conv2, self.norm2)):
            conv.build(padded)
            if norm is not None:
                norm.build(shape)

    def call(self, inputs, training=None):
        x = inputs if self.pad1 is None else self.pad1(inputs)
        x = self.conv1(x)
        if self.norm1 is not None:
            x = self.norm1(x, training=training)
        x = ops.relu(x)
        if self.drop is not None:
            x = self.drop(x, training=training)
        if self.pad2 is not None:
            x = self.pad2(x)
        x = self.conv2(x)
        if self.norm2 is not None:
            x = self.norm2(x, training=training)
        return inputs + x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(norm=self.norm, padding=self.padding, dropout=self.dropout, use_bias=self.use_bias)
        return config


@keras.saving.register_keras_serializable(package="tfgan")
class UNetDown(keras.layers.Layer):
    """One encoder step of pix2pix's U-Net, "Ck" (Isola et al. 2017, section 6.1.1): a 4x4
    convolution with stride 2 (halving height and width), normalization, LeakyReLU(0.2).

    Args:
        filters: output channels k.
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"`` (the first layer, C64, and the
            innermost one).
        use_bias: None: only when no batch norm follows. The generator passes False for the
            outermost and innermost layers to match the authors' code, whose convolutions have a
            bias exactly when the network uses instance norm.
        negative_slope: of the LeakyReLU ("All ReLUs in the encoder are leaky, with slope 0.2").
    """

    def __init__(self, filters, norm="batch", use_bias=None, negative_slope=0.2, kernel_size=4, **kwargs):
        super().__init__(**kwargs)
        self.filters = _check_int("filters", filters, 1)
        self.kernel_size = _check_int("kernel_size", kernel_size, 1)
        _check_choice("norm", norm, NORMS)
        self.norm, self.use_bias, self.negative_slope = norm, use_bias, float(negative_slope)
        self.conv = keras.layers.Conv2D(
            self.filters, self.kernel_size, strides=2, padding="same",
            use_bias=_bias_default(norm, use_bias), kernel_initializer=conv_init(), name="conv",
        )
        self.norm_layer = normalization(norm, name="norm")

    def build(self, input_shape):
        self.conv.build(tuple(input_shape))
        if self.norm_layer is not None:
            self.norm_layer.build(self.conv.compute_output_shape(tuple(input_shape)))

    def call(self, inputs, training=None):
        x = self.conv(inputs)
        if self.norm_layer is not None:
            x = self.norm_layer(x, training=training)
        return ops.leaky_relu(x, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(tuple(input_shape))

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, norm=self.norm, use_bias=self.use_bias,
                      negative_slope=self.negative_slope, kernel_size=self.kernel_size)
        return config


@keras.saving.register_keras_serializable(package="tfgan")
class UNetUp(keras.layers.Layer):
    """One decoder step of pix2pix's U-Net, "Ck"/"CDk" (Isola et al. 2017, section 6.1.1): a 4x4
    transposed convolution with stride 2 (doubling height and width), normalization, dropout
    ("CD": rate 0.5 in the paper, the generator's only noise), ReLU; then the skip connection
    concatenates the mirrored encoder layer's output along the channels::

        y = concat(relu(dropout(norm(convT(x)))), skip)     (lectures/08_image_to_image.md, Eq. (4))

    ``call(x)`` without ``skip`` is the plain encoder-decoder of the paper's ablation.
    """

    def __init__(self, filters, norm="batch", dropout=0.0, use_bias=None, kernel_size=4, **kwargs):
        super().__init__(**kwargs)
        self.filters = _check_int("filters", filters, 1)
        self.kernel_size = _check_int("kernel_size", kernel_size, 1)
        _check_choice("norm", norm, NORMS)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
        self.norm, self.dropout, self.use_bias = norm, float(dropout), use_bias
        self.conv = keras.layers.Conv2DTranspose(
            self.filters, self.kernel_size, strides=2, padding="same",
            use_bias=_bias_default(norm, use_bias), kernel_initializer=conv_init(), name="conv",
        )
        self.norm_layer = normalization(norm, name="norm")
        self.drop = keras.layers.Dropout(self.dropout, name="dropout") if self.dropout else None

    def build(self, inputs_shape, skip_shape=None):
        self.conv.build(tuple(inputs_shape))
        if self.norm_layer is not None:
            self.norm_layer.build(self.conv.compute_output_shape(tuple(inputs_shape)))

    def call(self, inputs, skip=None, training=None):
        x = self.conv(inputs)
        if self.norm_layer is not None:
            x = self.norm_layer(x, training=training)
        if self.drop is not None:
            x = self.drop(x, training=training)
        x = ops.relu(x)
        return x if skip is None else ops.concatenate([x, skip], axis=-1)

    def compute_output_shape(self, inputs_shape, skip_shape=None):
        shape = tuple(self.conv.compute_output_shape(tuple(inputs_shape)))
        if skip_shape is None:
            return shape
        return shape[:-1] + (shape[-1] + skip_shape[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, norm=self.norm, dropout=self.dropout,
                      use_bias=self.use_bias, kernel_size=self.kernel_size)
        return config


@keras.saving.register_keras_serializable(package="tfgan")
class HistoryPool(keras.layers.Layer):
    """A buffer of earlier generated images for the discriminator (Shrivastava et al. 2017,
    "Learning from Simulated and Unsupervised Images through Adversarial Training", section 2.3,
    https://arxiv.org/abs/1612.07828; used by CycleGAN, Zhu et al. 2017, section 4).

    D is updated on a mix of the newest generator outputs and older ones, so that it does not
    forget what the generator used to produce and the two do not chase each other in circles.
    For each image of the batch, in order (the authors' ``ImagePool.query``):

    * while the pool holds fewer than ``pool_size`` images: store the image, return it;
    * then, with probability ``probability``: return a stored image picked uniformly at random
      and store the new image in its place; otherwise return the new image.

    ``call(images, training=True)`` does that and updates the pool; with ``training`` false, or
    ``pool_size=0``, it returns ``images`` unchanged. Under a strategy with several replicas every
    replica runs the pool on the global batch (the images of all replicas, gathered in replica
    order) and returns its own rows, so all replicas keep the same pool, the one a single device
    would keep. The pool, the fill count and the number of
    random draws are non-trainable weights (the draws are stateless, seeded by ``(seed, draw)``),
    so a checkpoint of the layer restores all of it, including where its random stream was.

    Args:
        pool_size: images kept (50 in CycleGAN).
        probability: chance that a full pool swaps an image (0.5).
        seed: int seed of the layer's random stream; None picks one at random.
    """

    def __init__(self, pool_size=50, probability=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _check_int("pool_size", pool_size, 0)
        if (isinstance(probability, bool) or not isinstance(probability, numbers.Real)
                or not 0 <= probability <= 1):
            raise ValueError(f"`probability` must be in [0, 1]. Received: probability={probability!r}")
        if seed is not None:
            seed = _check_int("seed", seed, 0)
        self.probability = float(probability)
        self.seed = seed
        self._seed = seed if seed is not None else int(np.random.default_rng().integers(2**31 - 1))

    def build(self, input_shape):
        image_shape = tuple(input_shape[1:])
        if len(image_shape) < 1 or any(d is None for d in image_shape):
            raise ValueError(
                "HistoryPool needs the image shape (all but the batch axis) to be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.images = self.add_weight(shape=(self.pool_size, *image_shape), initializer="zeros",
                                      trainable=False, name="images")
        self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32",
                                     trainable=False, name="count")
        self.draws = self.add_weight(shape=(), initializer="zeros", dtype="int32",
                                     trainable=False, name="draws")

    def call(self, images, training=None):
        if not training or self.pool_size == 0:
            return images
        return distribute.local_rows(self._query(distribute.all_gather(images)))

    def _query(self, images):
        batch = ops.shape(images)[0]
        draw = ops.convert_to_tensor(self.draws) * 2
        seed = ops.convert_to_tensor(self._seed, "int32")
        uniform = tf.random.stateless_uniform((batch,), seed=tf.stack([seed, draw]))
        slots = tf.random.stateless_uniform((batch,), seed=tf.stack([seed, draw + 1]), minval=0,
                                            maxval=self.pool_size, dtype=tf.int32)
        self.draws.assign_add(1)
        images = ops.cast(images, self.images.dtype)

        def body(i, pool, count, out):
            image = images[i]
            filling = count < self.pool_size
            swap = ops.logical_and(ops.logical_not(filling), uniform[i] < self.probability)
            slot = ops.where(filling, count, slots[i])
            start = [slot] + [0] * len(image.shape)
            old = ops.take(pool, slot, axis=0)
            write = ops.logical_or(filling, swap)
            pool = ops.where(write, ops.slice_update(pool, start, image[None]), pool)
            out = ops.slice_update(out, [i] + [0] * len(image.shape), ops.where(swap, old, image)[None])
            return i + 1, pool, count + ops.cast(filling, "int32"), out

        _, pool, count, out = ops.while_loop(
            lambda i, *_: i < batch, body,
            (ops.convert_to_tensor(0, "int32"), ops.convert_to_tensor(self.images),
             ops.convert_to_tensor(self.count), ops.zeros_like(images)),
        )
        self.images.assign(pool)
        self.count.assign(count)
        return out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=self.pool_size, probability=self.probability, seed=self.seed)
        return config


def receptive_field(layers):
    """Side of the square input region that one output position of a stack of layers sees.

    Walking from the input, with ``r`` the receptive field and ``j`` the distance in input pixels
    between neighbouring positions of the current feature map (``r = j = 1`` at the input), a
    layer with kernel ``k``, stride ``s`` and dilation ``d`` gives
    (lectures/08_image_to_image.md, Eq. (6))::

        r <- r + (d (k - 1)) j,        j <- j s

    Padding shifts where a window sits, not how large it is, and pointwise layers
    (normalization, activations) change neither. For pix2pix's 70x70 PatchGAN (three 4x4
    convolutions with stride 2, then two with stride 1): r = 1 + 3 + 6 + 12 + 24 + 24 = 70.

    Args:
        layers: a Keras model (its ``layers``) or a list of layers. Convolutions and pooling
            layers count; transposed convolutions and nested models are refused.

    Returns:
        The receptive field in input pixels (an int; the height, for non-square kernels).
    """
    if hasattr(layers, "layers"):
        layers = layers.layers
    r, j = 1, 1
    for layer in layers:
        if isinstance(layer, (keras.layers.Conv2DTranspose, keras.Model)):
            raise ValueError(
                "receptive_field handles plain stacks of convolutions and pooling layers. "
                f"Received: a {type(layer).__name__} ({layer.name})"
            )
        if hasattr(layer, "kernel_size"):
            k, s = layer.kernel_size[0], layer.strides[0]
            d = getattr(layer, "dilation_rate", (1,))[0]
        elif hasattr(layer, "pool_size"):
            k, s, d = layer.pool_size[0], layer.strides[0], 1
        else:
            continue
        r += d * (k - 1) * j
        j *= s
    return r
@keras.saving.register_keras_serializable(package="tfgan")
class PixelShuffle(keras.layers.Layer):
    """Sub-pixel rearrangement ("pixel shuffle", Shi et al. 2016, eq. 4).

    (B, H, W, C r^2) -> (B, r H, r W, C): output pixel (r y + i, r x + j) of channel c is input
    channel ``(i r + j) C + c`` at (y, x), i.e. ``tf.nn.depth_to_space(x, r)``. A convolution with
    ``C r^2`` filters followed by this layer is a learned upsampling by ``r`` that does all its
    arithmetic at the low resolution (an efficient stand-in for a stride-1/r convolution)
    (lectures/10_super_resolution.md, Eq. (2)). That pair is a stride-``r`` transposed convolution
    with one sub-kernel per output phase: initialized independently, as Keras does, the ``r^2``
    phases differ and paint a checkerboard until training balances them (Aitken et al. 2017's ICNR
    initialization copies one phase's filters to all; lectures/03_transposed_convolution.md,
    Eq. (16)).

    Args:
        factor: the upscaling factor ``r``, an int >= 2.
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Integral) or factor < 2:
            raise ValueError(f"`factor` must be an int >= 2. Received: factor={factor!r}")
        self.factor = int(factor)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % (self.factor**2):
            raise ValueError(
                f"PixelShuffle({self.factor}) needs a known channel count divisible by "
                f"{self.factor ** 2}. Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        import tensorflow as tf

        return tf.nn.depth_to_space(inputs, self.factor)

    def compute_output_shape(self, input_shape):
        r = self.factor
        scale = lambda d: None if d is None else d * r
        return (input_shape[0], scale(input_shape[1]), scale(input_shape[2]), input_shape[3] // r**2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


# ---------------------------------------------------------------------------------------------
# Discriminator stabilizers (lectures/11_gan_objectives.md)


@keras.saving.register_keras_serializable(package="tfgan")
class MinibatchStdDev(keras.layers.Layer):
    """Minibatch standard deviation, Karras et al. 2018, "Progressive Growing of GANs", section 3
    (https://arxiv.org/abs/1710.10196): one feature map holding the average spread of the features
    over a group of examples (lectures/11_gan_objectives.md, Eq. (15)).

    The batch of N splits into N / g groups of ``g = min(group_size, N)`` examples, example i in
    group ``i mod (N / g)`` (the authors' reshape to ``[g, N/g, ...]``). For each group: the standard
    deviation over its g examples of every feature at every position, averaged over features and
    positions, is one number s; it is appended to each of the group's examples as a constant
    extra channel. Input ``(N, H, W, C)`` -> output ``(N, H, W, C + 1)``; N must be a multiple of g.
    A collapsed generator's batches have small s, which D can then learn to reject.
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = _check_int("group_size", group_size, 1)
        if not float(epsilon) > 0:
            raise ValueError(f"`epsilon` must be > 0. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def call(self, x):
        shape = tf.shape(x)
        n, h, w = shape[0], shape[1], shape[2]
        g = tf.minimum(self.group_size, n)
        y = tf.reshape(tf.cast(x, tf.float32), tf.stack([g, -1, h, w, shape[3]]))
        y = y - tf.reduce_mean(y, axis=0, keepdims=True)
        std = tf.sqrt(tf.reduce_mean(tf.square(y), axis=0) + self.epsilon)  # [N/g, H, W, C]
        s = tf.reduce_mean(std, axis=[1, 2, 3])  # one number per group
        s = tf.tile(s, [g])  # example i -> group i mod (N/g)
        s = tf.broadcast_to(tf.reshape(s, [-1, 1, 1, 1]), tf.stack([n, h, w, 1]))
        return tf.concat([x, tf.cast(s, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], None if input_shape[-1] is None else input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


def spectral_norm(layer, enabled=True):
    """``layer`` wrapped in ``keras.layers.SpectralNormalization`` when ``enabled`` (Miyato et al.
    2018; lectures/11_gan_objectives.md, Eq. (13)), else ``layer`` itself.

    Keras' wrapper does one power-iteration step per training call and then *assigns* W / sigma(W)
    to the kernel, so the optimizer's next update starts from the normalized kernel and the
    gradient does not flow through sigma. The paper differentiates through W / sigma(W) instead;
    both keep every layer's spectral norm at 1 when D is used, which is what bounds D's Lipschitz
    constant.
    """
    if not enabled:
        return layer
    # the wrapper casts its output to its input's dtype: give it the layer's own policy, so that a
    # float32 logit layer stays float32 under mixed precision
    return keras.layers.SpectralNormalization(layer, dtype=layer.dtype_policy)


# ---------------------------------------------------------------------------------------------
# Progressive growing and StyleGAN (lectures/14_progressive_and_stylegan.md)


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"`{name}` must be a number > 0. Received: {name}={value!r}")
    return float(value)


class _Equalized(keras.layers.Layer):
    """What the equalized layers share: weights stored as N(0, 1 / lr_multiplier) and multiplied at
    run time by ``scale = sqrt(gain / fan_in) * lr_multiplier`` (lectures/14_progressive_and_stylegan.md,
    Eq. (2)); the bias (zeros at the start) is multiplied by ``lr_multiplier``."""

    def __init__(self, gain=2.0, lr_multiplier=1.0, use_bias=True, activation=None,
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.gain = _check_positive("gain", gain)
        self.lr_multiplier = _check_positive("lr_multiplier", lr_multiplier)
        if not isinstance(use_bias, bool):
            raise ValueError(f"`use_bias` must be True or False. Received: use_bias={use_bias!r}")
        self.use_bias = use_bias
        self.activation = keras.activations.get(activation)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def _make_weights(self, kernel_shape, fan_in, units):
        # c = sqrt(gain / fan_in), He's constant for gain 2
        # (lectures/14_progressive_and_stylegan.md, Eq. (2)); lr_multiplier as StyleGAN's mapping
        # network: stored weights are 1 / lr_multiplier larger, their gradients smaller
        self.scale = float(np.sqrt(self.gain / fan_in)) * self.lr_multiplier
        self.kernel = self.add_weight(
            shape=kernel_shape, name="kernel",
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        self.bias = self.add_weight(shape=(units,), name="bias", initializer=self.bias_initializer) \
            if self.use_bias else None

    @property
    def effective_kernel(self):
        """The kernel the layer applies: w * c (lectures/14_progressive_and_stylegan.md, Eq. (2))."""
        return ops.convert_to_tensor(self.kernel) * self.scale

    def _finish(self, y):
        if self.bias is not None:
            y = y + ops.cast(self.bias, y.dtype) * self.lr_multiplier
        return self.activation(y) if self.activation is not None else y

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias, "activation": keras.activations.serialize(self.activation),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer)}


@keras.saving.register_keras_serializable(package="tfgan")
class EqualizedDense(_Equalized):
    """A dense layer with the equalized learning rate of Karras et al. 2018, section 4.1
    (https://arxiv.org/abs/1710.10196; lectures/14_progressive_and_stylegan.md, Eq. (2)).

    The kernel is initialized from N(0, 1) and multiplied at every call by He's constant
    ``c = sqrt(gain / fan_in)`` (``fan_in`` = input features). The function at initialization is
    the one a He-initialized layer computes, but Adam, whose steps have about the same size for
    every parameter, now changes every layer's effective weights ``w c`` in proportion to their
    scale, so all layers learn at the same speed.

    Args:
        units: output features.
        gain: 2 (He, for (leaky) ReLU; the paper's sqrt(2) on the standard deviation); 1 for a
            linear output such as toRGB.
        lr_multiplier: StyleGAN's learning-rate multiplier (0.01 in its mapping network): weights
            stored as N(0, 1 / lr_multiplier), kernel and bias multiplied by it at run time, so
            their effective learning rate is lr * lr_multiplier. 1 is ProGAN.
        use_bias, activation, bias_initializer: as ``keras.layers.Dense``.
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = _check_int("units", units, 1)

    def build(self, input_shape):
        fan_in = input_shape[-1]
        if fan_in is None:
            raise ValueError(f"The last axis must be known. Received: input_shape={tuple(input_shape)}")
        self._make_weights((fan_in, self.units), fan_in, self.units)

    def call(self, inputs):
        kernel = ops.cast(self.kernel, inputs.dtype) * self.scale  # w c
        return self._finish(ops.matmul(inputs, kernel))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="tfgan")
class EqualizedConv2D(_Equalized):
    """A 2-D convolution (channels last) with the equalized learning rate of Karras et al. 2018,
    section 4.1 (lectures/14_progressive_and_stylegan.md, Eq. (2)): kernel ~ N(0, 1) multiplied at
    run time by ``c = sqrt(gain / fan_in)``, ``fan_in = kernel_h * kernel_w * in_channels``.
    See :class:`EqualizedDense` for why and for ``gain`` and ``lr_multiplier``.

    Args:
        filters: output channels.
        kernel_size: an int or a pair.
        strides: an int or a pair.
        padding: ``"same"`` or ``"valid"``.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="same", **kwargs):
        super().__init__(**kwargs)
        self.filters = _check_int("filters", filters, 1)
        pair = lambda name, v: tuple(_check_int(name, k, 1) for k in ((v, v) if isinstance(
            v, numbers.Integral) and not isinstance(v, bool) else tuple(v)))
        self.kernel_size = pair("kernel_size", kernel_size)
        self.strides = pair("strides", strides)
        if len(self.kernel_size) != 2 or len(self.strides) != 2:
            raise ValueError("`kernel_size` and `strides` must be ints or pairs. Received: "
                             f"kernel_size={kernel_size!r}, strides={strides!r}")
        _check_choice("padding", padding, ("same", "valid"))
        self.padding = padding

    def build(self, input_shape):
        channels = input_shape[-1]
        if len(input_shape) != 4 or channels is None:
            raise ValueError("Expected inputs (batch, height, width, channels) with known channels. "
                             f"Received: input_shape={tuple(input_shape)}")
        fan_in = self.kernel_size[0] * self.kernel_size[1] * channels
        self._make_weights((*self.kernel_size, channels, self.filters), fan_in, self.filters)

    def call(self, inputs):
        kernel = ops.cast(self.kernel, inputs.dtype) * self.scale  # w c
        return self._finish(ops.conv(inputs, kernel, strides=self.strides, padding=self.padding))

    def compute_output_shape(self, input_shape):
        return keras.layers.Conv2D(self.filters, self.kernel_size, strides=self.strides,
                                   padding=self.padding).compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding}


@keras.saving.register_keras_serializable(package="tfgan")
class PixelNormalization(keras.layers.Layer):
    """Pixelwise feature normalization, Karras et al. 2018, section 4.2
    (lectures/14_progressive_and_stylegan.md, Eq. (3)): every pixel's feature vector is divided by
    its root mean square over the channels,

        b[n, y, x, :] = a[n, y, x, :] / sqrt(mean_j a[n, y, x, j]^2 + epsilon),

    so no feature magnitude in G can grow without bound through the competition with D. It has no
    weights and looks at nothing but the one pixel (unlike batch norm, not the batch).

    Args:
        epsilon: 1e-8, the paper's.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = _check_positive("epsilon", epsilon)

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=-1, keepdims=True)  # (1/N) sum_j (a^j)^2
        return inputs * ops.rsqrt(mean_square + ops.cast(self.epsilon, inputs.dtype))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="tfgan")
def leaky_relu(x, negative_slope=0.2):
    """LeakyReLU(x) = max(x, slope * x) for 0 <= slope <= 1 (the ProGAN and StyleGAN papers' 0.2),
    the activation of every layer of :mod:`tfgan.models.progan` and :mod:`tfgan.models.stylegan`
    (``activation=leaky_relu`` in :class:`EqualizedConv2D` / :class:`EqualizedDense`).

    Written as a maximum rather than ``tf.nn.leaky_relu`` because a gradient penalty (WGAN-GP,
    R1) differentiates D's input gradient: the graph then holds ``LeakyReluGrad``, and TensorFlow's
    grappler remapper, fusing Conv2D + BiasAdd + LeakyRelu, fails on it and logs an error
    ("remapper failed ... LeakyReluGrad") at every trace. The two agree everywhere, and so do
    their gradients except at exactly 0 (slope 1 above 0, ``negative_slope`` below).
    """
    if isinstance(negative_slope, numbers.Real) and not 0 <= negative_slope <= 1:
        raise ValueError(f"`negative_slope` must be in [0, 1]. Received: negative_slope={negative_slope!r}")
    return ops.maximum(x, ops.cast(negative_slope, x.dtype) * x)


def track_layers(owner, prefix, layers):
    """Make every layer of ``layers`` (a list, possibly nested, ``None`` entries skipped) a named
    checkpoint dependency of ``owner``: ``owner.<prefix>_<i>[_<j>]``.

    Keras 3 keeps a list attribute in its own tracker, which ``tf.train.Checkpoint`` does not walk:
    a layer held only in a list is checkpointed only through an optimizer that updates its weights.
    Everything else it holds is silently left out: a moving average of G (``--ema``), whose weights
    no optimizer holds, came back from a checkpoint as its random initial values.
    """
    for i, layer in enumerate(layers):
        name = f"{prefix}_{i}"
        if isinstance(layer, (list, tuple)):
            track_layers(owner, name, layer)
        elif layer is not None:
            setattr(owner, name, layer)


# ---------------------------------------------------------------------------------------------
# Differentiable augmentation (lectures/11_gan_objectives.md)

#: ``--augment`` values: which of DiffAugment's transforms run, in this order, before every D call.
AUGMENT_POLICIES = ("none", "translation", "cutout", "translation,cutout")


def translate_images(images, shifts, fill=0.0):
    """Each image moved by its own integer offset, the uncovered border set to ``fill``:

        out[b, i, j] = images[b, i - dy_b, j - dx_b]  where that pixel exists, else fill,

    with ``shifts[b] = (dy_b, dx_b)`` (down and right positive). A gather, so the gradient reaches
    every input pixel that lands in the output.
    """
    images = tf.convert_to_tensor(images)
    shifts = tf.cast(shifts, tf.int32)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    rows = tf.range(height)[None, :] - shifts[:, :1]  # (B, H): the source row of each output row
    cols = tf.range(width)[None, :] - shifts[:, 1:]
    inside = (((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None, :])
    out = tf.gather(images, tf.clip_by_value(rows, 0, height - 1), axis=1, batch_dims=1)
    out = tf.gather(out, tf.clip_by_value(cols, 0, width - 1), axis=2, batch_dims=1)
    return tf.where(inside[..., None], out, tf.cast(fill, images.dtype))


def cutout_images(images, corners, size, fill=0.0):
    """Each image with a ``size[0] x size[1]`` square set to ``fill``; ``corners[b] = (top, left)``
    of image b's square, which may reach past the border (the part outside is dropped)."""
    images = tf.convert_to_tensor(images)
    corners = tf.cast(corners, tf.int32)
    rows, cols = tf.range(tf.shape(images)[1])[None, :], tf.range(tf.shape(images)[2])[None, :]
    in_rows = (rows >= corners[:, :1]) & (rows < corners[:, :1] + size[0])
    in_cols = (cols >= corners[:, 1:]) & (cols < corners[:, 1:] + size[1])
    square = in_rows[:, :, None] & in_cols[:, None, :]
    return tf.where(square[..., None], tf.cast(fill, images.dtype), images)


def diff_augment(images, policy="translation,cutout", seed=None, translation=0.125, cutout=0.5, fill=0.0):
    """DiffAugment (Zhao et al. 2020, https://arxiv.org/abs/2006.10738): random transforms T,
    differentiable in the image, applied to real and generated images alike before every call of D,
    in D's loss and in G's (lectures/11_gan_objectives.md, Eq. (17)). D then never sees an
    un-augmented image, so it cannot memorize a small training set as easily, and because G's
    gradient flows back through T, G is still pushed towards the real, un-augmented distribution.

    Transforms, as in the authors' code (``DiffAugment_tf.py``), each drawn per image:

    * ``translation``: a shift by integers in [-r, r] pixels in each direction, r = round(translation
      * size) (4 for 28 x 28), the uncovered border filled with ``fill`` (:func:`translate_images`);
    * ``cutout``: a square of round(cutout * size) pixels (14 for 28 x 28) set to ``fill``, centred
      anywhere in the image, clipped at the border (:func:`cutout_images`).

    The paper's colour transforms (brightness, saturation, contrast) are left out: they mean
    nothing on grey-scale digits. ``fill=0`` is the authors' (mid-grey in [-1, 1]).

    Args:
        images: (B, H, W, C) with static H and W.
        policy: one of ``AUGMENT_POLICIES``.
        seed: a ``keras.random.SeedGenerator`` (a new draw each call), an int, or None.
    """
    _check_choice("policy", policy, AUGMENT_POLICIES)
    images = tf.convert_to_tensor(images)
    if policy == "none":
        return images
    height, width = images.shape[1], images.shape[2]
    if height is None or width is None:
        raise ValueError(f"diff_augment needs images of static height and width. Received: shape {images.shape}")
    batch = tf.shape(images)[0]
    transforms = policy.split(",")
    if "translation" in transforms:
        reach = np.array([int(height * translation + 0.5), int(width * translation + 0.5)], np.int32)
        shifts = keras.random.randint((batch, 2), 0, 2**31 - 1, seed=seed) % (2 * reach + 1) - reach
        images = translate_images(images, shifts, fill)
    if "cutout" in transforms:
        size = (int(height * cutout + 0.5), int(width * cutout + 0.5))
        # the authors' centre: uniform in [0, H + (1 - size % 2)), the square from centre - size // 2
        span = np.array([height + 1 - size[0] % 2, width + 1 - size[1] % 2], np.int32)
        centres = keras.random.randint((batch, 2), 0, 2**31 - 1, seed=seed) % span
        images = cutout_images(images, centres - np.array([size[0] // 2, size[1] // 2], np.int32), size, fill)
    return images
