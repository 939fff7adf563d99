"""Adversarial losses, as pure functions on discriminator logits.

Label convention, used everywhere in tfgan: **real = 1, fake = 0**. Discriminators output logits
(no final sigmoid); ``D(x) = sigmoid(logit)``. Working on logits lets TensorFlow use the stable
``sigmoid_cross_entropy_with_logits`` instead of ``log(sigmoid(.))``, which underflows.

Every loss is a minibatch mean. Formulas refer to Goodfellow et al. 2014, "Generative Adversarial
Nets" (https://arxiv.org/abs/1406.2661), and to ``lectures/01_gan.md``;
``notebooks/01_gan_basics.ipynb`` plots the losses and their gradients.

Variants (the ``loss`` setting of every adversarial model):

* ``"minimax"``: the generator minimizes the paper's eq. 1 directly (saturates early in training).
* ``"non_saturating"``: the generator maximizes log D(G(z)) instead (Goodfellow 2014, section 3).
* ``"least_squares"``: LSGAN (Mao et al. 2017), on D's raw outputs; CycleGAN's choice (lecture 09).
* ``"wasserstein"``: WGAN (Arjovsky et al. 2017): D is a critic with unbounded scores, kept
  Lipschitz by weight clipping, a gradient penalty or spectral normalization (lecture 11).
* ``"hinge"``: the hinge loss of Lim and Ye 2017 and Miyato et al. 2018 (lecture 11).

Penalties on D's gradient (:func:`gradient_penalty`, :func:`r1_penalty`) and the feature matching
objective (:func:`feature_matching_loss`) are written once here too; ``lectures/11_gan_objectives.md``
derives them and ``notebooks/11_gan_objectives.ipynb`` compares them. Every adversarial loss
computes in float32, whatever the dtype of D's output (mixed precision keeps the losses exact).

:data:`LOSSES` is the one table of them every model looks its variant up in (:func:`get_losses`).

:func:`optimal_discriminator` is the theory behind label smoothing: the D that minimizes the
smoothed loss at every point (``lectures/04_training_tricks.md``, ``notebooks/04_training_tricks.ipynb``).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

#: The variants of the GANs trained from noise (their ``--loss``); :data:`LOSSES` holds every loss.
LOSS_VARIANTS = ("minimax", "non_saturating", "least_squares", "wasserstein", "hinge")

#: Penalties on D's input gradient (``--gradient-penalty``): none, WGAN-GP's, or R1.
GRADIENT_PENALTIES = ("none", "wgan_gp", "r1")


def _f32(x):
    """A loss input as a float32 tensor (D's output may be bfloat16 or float16 under mixed precision)."""
    return tf.cast(tf.convert_to_tensor(x), tf.float32)


def _bce(labels, logits):
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)


def _check_label_smoothing(label_smoothing):
    if not 0.0 <= float(label_smoothing) < 1.0:
        raise ValueError(
            "label_smoothing must be in [0, 1): the real target is 1 - label_smoothing. "
            f"Received: label_smoothing={label_smoothing}"
        )


def discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss, Goodfellow et al. 2014, eq. 1, with one-sided label smoothing.

    L_D = -E_x[(1 - a) log D(x) + a log(1 - D(x))] - E_z[log(1 - D(G(z)))]

    (lectures/01_gan.md, Eq. (7)). This is lectures/04_training_tricks.md, Eq. (1) with real target
    alpha = 1 - a and fake target beta = 0; its pointwise minimizer is :func:`optimal_discriminator`
    (lectures/04_training_tricks.md, Eq. (3)).

    With ``a = label_smoothing = 0`` this is the negated value function V(D, G) (lectures/01_gan.md,
    Eq. (1)), which D maximizes. One-sided label smoothing (Salimans et al. 2016, "Improved
    Techniques for Training GANs", section 3.4, https://arxiv.org/abs/1606.03498) replaces the real
    target 1 by ``1 - a`` and keeps the fake target at 0: smoothing the fake target too would move
    the optimal discriminator towards the generator's own samples and flatten its logit where the
    generator's mistakes are (lectures/01_gan.md, Eq. (9); lectures/04_training_tricks.md,
    Eqs. (5)-(6)).

    Args:
        real_logits: D's logits on real data, any shape.
        fake_logits: D's logits on generated data, any shape.
        label_smoothing: ``a`` in [0, 1).

    Returns:
        Scalar: mean loss on the real batch plus mean loss on the fake batch.
    """
    _check_label_smoothing(label_smoothing)
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    real_target = tf.fill(tf.shape(real_logits), tf.cast(1.0 - label_smoothing, real_logits.dtype))
    real_loss = tf.reduce_mean(_bce(real_target, real_logits))
    fake_loss = tf.reduce_mean(_bce(tf.zeros_like(fake_logits), fake_logits))
    return real_loss + fake_loss


def minimax_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss of the minimax game: the same as :func:`discriminator_loss`."""
    return discriminator_loss(real_logits, fake_logits, label_smoothing)


def non_saturating_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator loss used with the non-saturating generator: the same as :func:`discriminator_loss`.

    Only the generator's objective changes between the two variants.
    """
    return discriminator_loss(real_logits, fake_logits, label_smoothing)


def minimax_generator_loss(fake_logits):
    """Minimax generator loss, Goodfellow et al. 2014, eq. 1.

    L_G = E_z[log(1 - D(G(z)))]            (minimized by G)

    Computed as ``-BCE(0, logit)`` = ``log(1 - sigmoid(logit))``. Its gradient with respect to the
    logit is ``-D(G(z))`` (lectures/01_gan.md, Eq. (5)), which vanishes when D confidently rejects
    the samples (D(G(z)) -> 0), the usual state early in training: the generator then learns
    slowly ("saturation").
    """
    fake_logits = _f32(fake_logits)
    return -tf.reduce_mean(_bce(tf.zeros_like(fake_logits), fake_logits))


def non_saturating_generator_loss(fake_logits):
    """Non-saturating generator loss, Goodfellow et al. 2014, section 3 (after their eq. 1).

    L_G = -E_z[log D(G(z))]                (minimized by G)

    Same fixed point as the minimax loss, but its gradient with respect to the logit is
    ``-(1 - D(G(z)))`` (lectures/01_gan.md, Eq. (6)), which is largest exactly when D rejects the
    samples.
    """
    fake_logits = _f32(fake_logits)
    return tf.reduce_mean(_bce(tf.ones_like(fake_logits), fake_logits))


def optimal_discriminator(p_data, p_model, alpha=1.0, beta=0.0):
    """The discriminator that minimizes the label-smoothed D loss, point by point.

    D*(x) = (alpha p_data(x) + beta p_model(x)) / (p_data(x) + p_model(x))

    (lectures/04_training_tricks.md, Eq. (3)) for real targets ``alpha`` and fake targets ``beta``
    (Salimans et al. 2016, section 3.4, https://arxiv.org/abs/1606.03498). tfgan's one-sided
    smoothing is ``alpha = 1 - label_smoothing``, ``beta = 0`` (lectures/01_gan.md, Eq. (8));
    ``alpha = 1, beta = 0`` is Goodfellow et al.'s D* (lectures/01_gan.md, Eq. (2)). With
    ``beta > 0``, D* tends to ``beta`` wherever p_data is negligible next to p_model, and its logit
    stops pointing G's samples towards the data (lectures/04_training_tricks.md, Eqs. (5)-(6)): the
    reason tfgan never smooths the fake target. Unlike the losses above this works on densities, not
    logits: it is the theory the losses are checked against (``notebooks/04_training_tricks.ipynb``
    plots it).

    Args:
        p_data, p_model: densities (arrays of the same shape, or broadcastable), >= 0.
        alpha: real target in [0, 1].
        beta: fake target in [0, 1].

    Returns:
        float64 array of D*; NaN where both densities are 0 (D* is undefined there).
    """
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} is a target probability and must be in [0, 1]. Received: {name}={value}")
    p_data = np.asarray(p_data, dtype=np.float64)
    p_model = np.asarray(p_model, dtype=np.float64)
    if np.any(p_data < 0) or np.any(p_model < 0):
        raise ValueError(
            "Densities must be >= 0. Received: p_data min "
            f"{p_data.min():.4g}, p_model min {p_model.min():.4g}"
        )
    total = p_data + p_model
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (alpha * p_data + beta * p_model) / total, np.nan)


# -- least squares, Wasserstein, hinge (lecture 11; LSGAN also CycleGAN's, lecture 09) ------------
def least_squares_generator_loss(fake_logits):
    """Least-squares (LSGAN) generator loss, as CycleGAN uses it (Zhu et al. 2017, section 4):

    L_G = E_x[(D(G(x)) - 1)^2]       (lectures/09_cyclegan.md, Eq. (4); lectures/11_gan_objectives.md, Eq. (9))

    Mao et al. 2017, "Least Squares Generative Adversarial Networks", eq. 2, with targets
    a = 0 (fake), b = 1 (real), c = 1 (what G wants D to say), https://arxiv.org/abs/1611.04076,
    without its factor 1/2 (as in the authors' CycleGAN code, ``nn.MSELoss``). ``fake_logits`` is
    D's raw, unbounded output: no sigmoid. The quadratic keeps pushing fakes that D already calls
    real but that lie far from the real data, where the log loss has flattened out.
    """
    fake_logits = _f32(fake_logits)
    return tf.reduce_mean(tf.square(fake_logits - 1.0))


def least_squares_discriminator_loss(real_logits, fake_logits):
    """Least-squares (LSGAN) discriminator loss (Mao et al. 2017, eq. 2; Zhu et al. 2017, section 4):

    L_D = E_y[(D(y) - 1)^2] + E_x[D(G(x))^2]  (lectures/09_cyclegan.md, Eq. (5); lectures/11_gan_objectives.md, Eq. (8))

    Targets 1 for real, 0 for fake, on D's raw outputs. CycleGAN halves this while optimizing D
    ("we divide the objective by 2"); the model does that, not this function.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return tf.reduce_mean(tf.square(real_logits - 1.0)) + tf.reduce_mean(tf.square(fake_logits))


def wasserstein_discriminator_loss(real_scores, fake_scores):
    """Wasserstein critic loss, Arjovsky et al. 2017, "Wasserstein GAN", eq. 3
    (https://arxiv.org/abs/1701.07875):

    L_D = E_z[f(G(z))] - E_x[f(x)]                      (lectures/11_gan_objectives.md, Eq. (4))

    The critic f minimizes this, i.e. maximizes the Kantorovich-Rubinstein estimate
    E_x[f(x)] - E_z[f(G(z))] of the Wasserstein-1 distance (lectures/11_gan_objectives.md, Eq. (3)).
    That is a distance only over 1-Lipschitz f: the model keeps f Lipschitz by weight clipping
    (``--clip-weights``), a gradient penalty (:func:`gradient_penalty`) or spectral normalization.
    ``real_scores``/``fake_scores`` are the critic's raw, unbounded outputs (no sigmoid).
    """
    return tf.reduce_mean(_f32(fake_scores)) - tf.reduce_mean(_f32(real_scores))


def wasserstein_generator_loss(fake_scores):
    """Wasserstein generator loss, Arjovsky et al. 2017, eq. 3 (G's side of the min-max):

    L_G = -E_z[f(G(z))]                                 (lectures/11_gan_objectives.md, Eq. (5))

    Its gradient with respect to a score is a constant -1/n: it never saturates.
    """
    return -tf.reduce_mean(_f32(fake_scores))


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge discriminator loss, Lim and Ye 2017, "Geometric GAN" (https://arxiv.org/abs/1705.02894),
    in the form of Miyato et al. 2018, "Spectral Normalization for GANs", eq. 16
    (https://arxiv.org/abs/1802.05957):

    L_D = E_x[max(0, 1 - D(x))] + E_z[max(0, 1 + D(G(z)))]   (lectures/11_gan_objectives.md, Eq. (10))

    A real example scored above 1, or a fake below -1, costs nothing: D stops pushing examples it
    already separates with a margin.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits):
    """Hinge generator loss, Miyato et al. 2018, eq. 17:

    L_G = -E_z[D(G(z))]                                 (lectures/11_gan_objectives.md, Eq. (11))

    The same as the Wasserstein generator loss; only D's loss has the margin.
    """
    return -tf.reduce_mean(_f32(fake_logits))


# -- penalties on D's gradient, feature matching (lecture 11) ----------------------------------------
def interpolates(real, fake, epsilon):
    """Points on the segments between real and fake examples, WGAN-GP's x_hat:

    x_hat = epsilon x + (1 - epsilon) x_tilde,  epsilon ~ U[0, 1] per example
    (lectures/11_gan_objectives.md, Eq. (7)). ``epsilon`` has one value per example (shape ``(n,)``).
    """
    real, fake = _f32(real), _f32(fake)
    epsilon = tf.reshape(_f32(epsilon), [-1] + [1] * (len(real.shape) - 1))
    return epsilon * real + (1.0 - epsilon) * fake


def _input_gradient_norms(critic, x):
    """||grad_x critic(x)||_2 per example, on a tape that later tapes can differentiate."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(_f32(critic(x)))
    grads = tape.gradient(total, x)  # per example, as long as examples do not interact in the critic
    return tf.sqrt(tf.reduce_sum(tf.square(grads), axis=list(range(1, len(x.shape)))) + 1e-12)


def gradient_penalty(critic, real, fake, epsilon):
    """WGAN-GP's two-sided gradient penalty, Gulrajani et al. 2017, "Improved Training of
    Wasserstein GANs", eq. 3 (https://arxiv.org/abs/1704.00028), without its weight lambda:

    GP = E_x_hat[(||grad_x_hat f(x_hat)||_2 - 1)^2]     (lectures/11_gan_objectives.md, Eq. (7))

    on the interpolates :func:`interpolates` (real, fake, ``epsilon``). The optimal critic has
    gradient norm 1 almost everywhere on those segments (the paper's Proposition 1), so the penalty
    pulls f towards 1-Lipschitz where it matters, softly, without clipping its weights. The model
    adds ``lambda * GP`` (``--gp-weight``, the paper's 10) to D's loss. ``critic`` maps a batch to
    one score per example; differentiate the result with an outer ``tf.GradientTape`` (it is a
    function of the critic's weights through the input gradient). A critic with batch statistics
    (batch normalization in training mode) mixes examples and breaks the per-example gradient: the
    paper uses layer normalization or none.
    """
    norms = _input_gradient_norms(critic, interpolates(real, fake, epsilon))
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(critic, real):
    """The R1 penalty, Mescheder et al. 2018, "Which Training Methods for GANs do actually
    Converge?", eq. 9 (https://arxiv.org/abs/1801.04406), without its weight gamma:

    R1 = 1/2 E_x[||grad_x D(x)||_2^2]                   (lectures/11_gan_objectives.md, Eq. (12))

    on real data only: it penalizes D for having any slope on the data manifold, which makes the
    equilibrium (p_g = p_data, D constant there) locally stable. The model adds ``gamma * R1``
    (``--gp-weight``) to D's loss, with the non-saturating or hinge losses as the paper does.
    """
    norms = _input_gradient_norms(critic, _f32(real))
    return 0.5 * tf.reduce_mean(tf.square(norms))


def feature_matching_loss(real_features, fake_features):
    """Feature matching, Salimans et al. 2016, "Improved Techniques for Training GANs", section 3.1
    (https://arxiv.org/abs/1606.03498):

    L_G = ||E_x[f(x)] - E_z[f(G(z))]||_2^2              (lectures/11_gan_objectives.md, Eq. (14))

    ``f`` is an intermediate layer of D (one row of features per example; extra axes are flattened).
    G matches the statistics of real data in D's features instead of maximizing D's output. The
    squared norm is summed over features (the paper's), not averaged.
    """
    real, fake = _f32(real_features), _f32(fake_features)
    real = tf.reshape(real, [tf.shape(real)[0], -1])
    fake = tf.reshape(fake, [tf.shape(fake)[0], -1])
    return tf.reduce_sum(tf.square(tf.reduce_mean(real, 0) - tf.reduce_mean(fake, 0)))


#: The loss table: variant name -> (generator loss, discriminator loss), for every model. The GANs
#: trained from noise offer :data:`LOSS_VARIANTS`; pix2pix and CycleGAN non-saturating, least
#: squares and hinge (``tfgan.models.image_to_image.GAN_LOSSES``).
LOSSES = {
    "minimax": (minimax_generator_loss, minimax_discriminator_loss),
    "non_saturating": (non_saturating_generator_loss, non_saturating_discriminator_loss),
    "least_squares": (least_squares_generator_loss, least_squares_discriminator_loss),
    "wasserstein": (wasserstein_generator_loss, wasserstein_discriminator_loss),
    "hinge": (hinge_generator_loss, hinge_discriminator_loss),
}

#: The variants whose D loss takes one-sided label smoothing (those on probabilities).
SMOOTHABLE = ("minimax", "non_saturating")


def get_losses(variant):
    """Return ``(generator_loss, discriminator_loss)`` for a loss variant name (:data:`LOSSES`)."""
    if variant not in LOSSES:
        raise ValueError(f"Unknown loss variant. Expected one of {list(LOSSES)}. Received: loss={variant!r}")
    return LOSSES[variant]


def l1_reconstruction_loss(target, output):
    """Mean absolute error between a target image and an output image, pix2pix's L1 term:

    L_L1(G) = E_{x,y,z}[ ||y - G(x, z)||_1 ]             (lectures/08_image_to_image.md, Eq. (2))

    Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial Networks", eq. 3,
    https://arxiv.org/abs/1611.07004. As in the authors' code (``nn.L1Loss``) the norm is averaged
    over pixels and channels, not summed, so lambda = 100 weighs a mean error in [0, 2].
    """
    target = tf.convert_to_tensor(target)
    output = tf.cast(tf.convert_to_tensor(output), target.dtype)
    return tf.reduce_mean(tf.abs(target - output))


def cycle_consistency_loss(real_x, reconstructed_x, real_y, reconstructed_y):
    """CycleGAN's cycle-consistency loss, Zhu et al. 2017, eq. 2 (https://arxiv.org/abs/1703.10593):

    L_cyc(G, F) = E_x[ ||F(G(x)) - x||_1 ] + E_y[ ||G(F(y)) - y||_1 ]

    (lectures/09_cyclegan.md, Eq. (1)).

    Each term a mean absolute error over pixels (the authors' ``nn.L1Loss``); the model
    multiplies the sum by lambda = 10.
    """
    return (l1_reconstruction_loss(real_x, reconstructed_x)
            + l1_reconstruction_loss(real_y, reconstructed_y))


def identity_loss(real_x, f_of_x, real_y, g_of_y):
    """CycleGAN's identity-mapping loss, Zhu et al. 2017, section 5.2 (after Taigman et al. 2017):

    L_identity(G, F) = E_y[ ||G(y) - y||_1 ] + E_x[ ||F(x) - x||_1 ]

    (lectures/09_cyclegan.md, Eq. (3)).

    A generator fed an image of its own target domain should leave it alone; this keeps colour
    composition from drifting (e.g. paintings <-> photos). Weighted by 0.5 lambda in the model.
    """
    return l1_reconstruction_loss(real_y, g_of_y) + l1_reconstruction_loss(real_x, f_of_x)
# -- super-resolution content losses (Ledig et al. 2017, SRGAN) -----------------------------------
# Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
# Network", https://arxiv.org/abs/1609.04802, and lectures/10_super_resolution.md. SRGAN's
# adversarial part is :func:`non_saturating_generator_loss` (their eq. 6) and
# :func:`discriminator_loss` (their eq. 2); the content part is one of the two below.

#: The paper's rescaling of VGG feature maps (section 3.2): "a factor of ~1/12.75", i.e. the paper's
#: eq. 5 times a rescaling factor of ~0.006 (1/12.75^2 = 0.00615).
VGG_FEATURE_SCALE = 1.0 / 12.75


def mse_content_loss(real_images, fake_images):
    """Pixel-wise MSE content loss, Ledig et al. 2017, eq. 4.

    l_MSE = 1/(r^2 W H) sum_x sum_y (I^HR_{x,y} - G(I^LR)_{x,y})^2

    (lectures/10_super_resolution.md, Eq. (3)). Averaged over pixels, channels and the minibatch, on
    images in [-1, 1] as in the paper.
    """
    real_images = tf.convert_to_tensor(real_images)
    return tf.reduce_mean(tf.square(real_images - tf.cast(fake_images, real_images.dtype)))


def vgg_content_loss(real_features, fake_features, feature_scale=VGG_FEATURE_SCALE):
    """VGG content loss, Ledig et al. 2017, eq. 5, with the paper's rescaling.

    l_VGG/i,j = 1/(W_ij H_ij) sum_x sum_y (s phi_ij(I^HR)_{x,y} - s phi_ij(G(I^LR))_{x,y})^2

    (lectures/10_super_resolution.md, Eq. (6)). ``phi_ij`` is the feature map of the j-th
    convolution (after its ReLU) before VGG19's i-th max-pooling (phi_5,4 = ``block5_conv4`` by
    default in SRGAN), ``s = feature_scale`` = 1/12.75 as in the paper (section 3.2), so the loss is
    the paper's eq. 5 times s^2 = 0.00615. The squared distance is averaged over positions, channels
    and the minibatch (the paper's 1/(W H) leaves the channel sum implicit; the mean keeps the scale
    independent of the layer's width).
    """
    real_features = tf.convert_to_tensor(real_features)
    fake_features = tf.cast(fake_features, real_features.dtype)
    return tf.reduce_mean(tf.square(feature_scale * (real_features - fake_features)))


# -- the semi-supervised GAN: a K + 1-class discriminator (Salimans et al. 2016, section 5) -------
# D outputs K logits l_1..l_K for the real classes; the logit of class K + 1 ("generated") is fixed
# at 0 (lectures/13_representation_learning.md, Eq. (1)), so D(x) = Z(x) / (Z(x) + 1) with
# Z(x) = sum_k exp(l_k(x)), and the logit of D(x), log(D / (1 - D)), is log Z(x).


def semi_supervised_real_logit(class_logits):
    """The logit of D(x) = Z(x) / (Z(x) + 1) of a K + 1-class discriminator: log Z(x) =
    logsumexp_k l_k(x), the fake class's logit being fixed at 0 (lectures/13_representation_learning.md,
    Eq. (1)). ``sigmoid`` of it is D(x); of shape (N,) for logits (N, K)."""
    return tf.reduce_logsumexp(_f32(class_logits), axis=-1)


def semi_supervised_classifier_loss(class_logits, labels):
    """The supervised loss of the semi-supervised GAN on labeled images, Salimans et al. 2016,
    section 5 (https://arxiv.org/abs/1606.03498):

    L_sup = -E_(x,y)[log p(y | x, y < K+1)] = -E_(x,y)[l_y(x) - log Z(x)]

    (lectures/13_representation_learning.md, Eq. (2)): the cross-entropy of the softmax over the K
    real classes only (the fake class's fixed logit drops out of the conditional). ``labels`` are
    integer classes in 0..K-1, ``class_logits`` (N, K). It is the plain K-class cross-entropy, so
    ADDA's source classifier uses it too (lectures/13_representation_learning.md, Eq. (8)).
    """
    logits = _f32(class_logits)
    labels = tf.cast(tf.convert_to_tensor(labels), tf.int32)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def semi_supervised_discriminator_loss(real_logits, fake_logits):
    """The unsupervised loss of the semi-supervised GAN, Salimans et al. 2016, section 5:

    L_unsup = -E_x[log D(x)] - E_z[log(1 - D(G(z)))],   D(x) = Z(x) / (Z(x) + 1)

    (lectures/13_representation_learning.md, Eq. (3)), on D's K class logits of unlabeled real
    images and of generated ones. With the fake class's logit fixed at 0, ``log D(x) = log Z(x) -
    softplus(log Z(x))`` and ``log(1 - D(x)) = -softplus(log Z(x))``: the GAN's
    :func:`discriminator_loss` applied to the logit log Z(x) (:func:`semi_supervised_real_logit`).
    """
    return discriminator_loss(semi_supervised_real_logit(real_logits), semi_supervised_real_logit(fake_logits))


def drift_penalty(real_scores):
    """The drift term of progressive growing, Karras et al. 2018, appendix A.1
    (https://arxiv.org/abs/1710.10196), without its weight epsilon_drift:

    drift = E_x[D(x)^2]

    A Wasserstein critic's loss only sees score differences, so both scores can drift far from 0
    together; this small term (the paper's epsilon_drift = 0.001) keeps the real scores near 0 and
    the critic's output in a range where float arithmetic stays exact.
    """
    return tf.reduce_mean(tf.square(_f32(real_scores)))


# -- pix2pixHD: feature matching on D's layers, the VGG perceptual loss (lecture 15) ---------------
# Wang et al. 2018, "High-Resolution Image Synthesis and Semantic Manipulation with Conditional GANs",
# https://arxiv.org/abs/1711.11585. Both terms are weighted sums of per-layer mean absolute errors
# between the feature maps of a real image and of a generated one.

#: The VGG loss's layer weights of the authors' code (``VGGLoss``: relu1_1 ... relu5_1).
VGG_LAYER_WEIGHTS = (1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0)


def feature_l1_loss(real_features, fake_features, weights=None):
    """A weighted sum of per-layer mean absolute errors between two lists of feature maps:

    L = sum_i w_i (1/M_i) ||F^(i)(x) - F^(i)(G(s))||_1      (lectures/15_pix2pixhd.md, Eq. (7))

    with M_i the number of elements of layer i (a mean over batch, positions and channels, the
    authors' ``nn.L1Loss``). With a frozen VGG's relu1_1 ... relu5_1 and ``weights`` =
    :data:`VGG_LAYER_WEIGHTS` this is pix2pixHD's perceptual loss (Wang et al. 2018, section 3.2);
    with one D's intermediate layers it is the paper's eq. 4. ``weights`` None: all 1. Gradients
    flow into both lists; pass the real features through ``tf.stop_gradient`` when only G learns.
    """
    real_features, fake_features = list(real_features), list(fake_features)
    if len(real_features) != len(fake_features):
        raise ValueError(
            f"Expected as many real as fake feature maps. Received: {len(real_features)} real and "
            f"{len(fake_features)} fake"
        )
    weights = [1.0] * len(real_features) if weights is None else list(weights)
    if len(weights) != len(real_features):
        raise ValueError(f"Expected one weight per layer ({len(real_features)}). Received: {len(weights)} weights")
    total = tf.constant(0.0)
    for weight, real, fake in zip(weights, real_features, fake_features):
        total += float(weight) * tf.reduce_mean(tf.abs(_f32(real) - _f32(fake)))
    return total


def multiscale_feature_matching_loss(real_features, fake_features):
    """pix2pixHD's feature-matching loss over K discriminators (Wang et al. 2018, eqs. 4-5):

    L_FM = (1/K) sum_k sum_{i=1}^{T} (4/T) (1/N_i) ||D_k^(i)(s, x) - D_k^(i)(s, G(s))||_1
                                                               (lectures/15_pix2pixhd.md, Eq. (6))

    ``real_features[k]`` lists D_k's T intermediate feature maps on the real pair (s, x) (not its
    logits), ``fake_features[k]`` the same on (s, G(s)). The weights 1/K and 4/T are the authors'
    code's (``D_weights``, ``feat_weights``; the paper's eq. 4 has neither): with their T = 4 layers
    a layer weighs 1, and the sum over scales is an average, so lambda = 10 means the same for any
    K. G minimizes this, D does not (the model stops the gradient of the real features).
    """
    real_features, fake_features = list(real_features), list(fake_features)
    if not real_features or len(real_features) != len(fake_features):
        raise ValueError(
            "Expected one list of feature maps per discriminator, as many real as fake. Received: "
            f"{len(real_features)} real and {len(fake_features)} fake"
        )
    total = tf.constant(0.0)
    for real, fake in zip(real_features, fake_features):
        layers = len(real)
        total += feature_l1_loss(real, fake, [4.0 / layers] * layers)
    return total / len(real_features)
