"""Keras layers the GAN models share.

``VirtualBatchNormalization``: Salimans et al. 2016, "Improved Techniques for Training GANs",
section 3.5, https://arxiv.org/abs/1606.03498.
"""

import numbers

import keras
from keras import ops


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

    Formula (``lectures/04_training_tricks.md``, Eqs. 8-9; demonstrated in
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
