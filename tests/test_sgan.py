"""The semi-supervised GAN (Salimans et al. 2016): the K + 1-class losses against NumPy with the fake
class's logit fixed at 0 (lectures/13_representation_learning.md, Eqs. (1)-(3)), feature matching
for G (Eq. (4)), the labeled / unlabeled / held-out split, real train steps, the CLI end to end."""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tfgan import losses, train
from tfgan.errors import ConfigError
from tfgan.models.sgan import SGAN, SGANConfig, semi_supervised_split


def _k_plus_1_softmax(logits):
    """NumPy: softmax over [l_1, ..., l_K, 0], the fake class's logit fixed at 0 (Eq. (1))."""
    full = np.concatenate([logits, np.zeros((len(logits), 1))], axis=1).astype(np.float64)
    e = np.exp(full - full.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_k_plus_1_losses_against_numpy_with_the_fixed_fake_logit():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(0, 2, (6, 4)), rng.normal(-1, 2, (5, 4))
    labels = np.array([0, 3, 1, 1, 2, 0])
    p_real, p_fake = _k_plus_1_softmax(real), _k_plus_1_softmax(fake)
    # Eq. (1): D(x) = 1 - p(y = K+1 | x)
    d_real = tf.sigmoid(losses.semi_supervised_real_logit(real)).numpy()
    np.testing.assert_allclose(d_real, 1 - p_real[:, -1], rtol=1e-5)
    # Eq. (2): -log p(y | x, y < K+1) = -log(p_y / (1 - p_{K+1}))
    want_sup = -np.mean(np.log(p_real[np.arange(6), labels] / (1 - p_real[:, -1])))
    assert float(losses.semi_supervised_classifier_loss(real, labels)) == pytest.approx(want_sup, rel=1e-5)
    # Eq. (3): -E log D(x) - E log(1 - D(G(z))) = -E log(1 - p_{K+1}(x)) - E log p_{K+1}(G(z))
    want_unsup = -np.mean(np.log(1 - p_real[:, -1])) - np.mean(np.log(p_fake[:, -1]))
    assert float(losses.semi_supervised_discriminator_loss(real, fake)) == pytest.approx(want_unsup, rel=1e-5)


def test_k_plus_1_losses_hand_worked_and_stable():
    # K = 2, logits (0, 0): Z = 2, D(x) = 2/3; p(y=0 | x, real) = 1/2.
    zero = np.zeros((1, 2))
    assert float(losses.semi_supervised_classifier_loss(zero, [0])) == pytest.approx(np.log(2), rel=1e-6)
    assert float(losses.semi_supervised_discriminator_loss(zero, zero)) == pytest.approx(
        -np.log(2 / 3) - np.log(1 / 3), rel=1e-6)
    # Shifting every class logit by c changes D(x) (the fake logit stays at 0) but not L_sup.
    shifted = np.array([[3.0, 1.0]])
    assert float(losses.semi_supervised_classifier_loss(shifted, [1])) == pytest.approx(
        float(losses.semi_supervised_classifier_loss(shifted + 5.0, [1])), rel=1e-6)
    assert float(losses.semi_supervised_discriminator_loss(shifted + 5.0, shifted)) < float(
        losses.semi_supervised_discriminator_loss(shifted, shifted))
    # Large logits: finite (log D(x) through softplus, not log(Z / (Z + 1)) in float32).
    big = np.array([[400.0, -400.0]], np.float32)
    assert np.isfinite(float(losses.semi_supervised_discriminator_loss(big, -big)))
    assert float(losses.semi_supervised_discriminator_loss(big, big - 800)) == pytest.approx(0.0, abs=1e-5)


def test_split_is_deterministic_disjoint_and_balanced():
    labels = np.arange(1000) % 10
    lab, unl, held = semi_supervised_split(labels, 7, 200, seed=3)
    again = semi_supervised_split(labels, 7, 200, seed=3)
    for a, b in zip((lab, unl, held), again):
        np.testing.assert_array_equal(a, b)
    assert len(held) == 200 and len(unl) == 800 and len(lab) == 70
    assert not set(held) & set(unl) and set(lab) <= set(unl)  # labeled images are also unlabeled data
    np.testing.assert_array_equal(np.bincount(labels[lab], minlength=10), np.full(10, 7))
    other_lab, _, other_held = semi_supervised_split(labels, 7, 200, seed=4)
    np.testing.assert_array_equal(held, other_held)  # every seed is scored on the same images
    assert set(other_lab) != set(lab)
    with pytest.raises(ConfigError, match="--labeled-per-class 90"):
        semi_supervised_split(labels, 90, 200, seed=0)
    with pytest.raises(ConfigError, match="--holdout"):
        semi_supervised_split(labels, 1, 1000, seed=0)


def test_pinned_parameter_counts_and_k_logits():
    model = SGAN(SGANConfig())
    # D: 784-1000-500-250-250-250-10 (the paper's MNIST model)
    sizes = [784, 1000, 500, 250, 250, 250, 10]
    assert model.discriminator.count_params() == sum(a * b + b for a, b in zip(sizes, sizes[1:])) == 1_538_760
    # G: 100-500-500-784, no bias before batch norm (4 numbers per unit)
    assert model.generator.count_params() == 100 * 500 + 4 * 500 + 500 * 500 + 4 * 500 + 500 * 784 + 784
    x = tf.zeros((3, 28, 28, 1))
    assert model.discriminator(x).shape == (3, 10)
    assert model.features(x).shape == (3, 250)


def _tiny_batch(n=8, k=10):
    unlabeled = tf.random.uniform((n, 28, 28, 1), -1, 1, seed=1)
    labeled = tf.random.uniform((n, 28, 28, 1), -1, 1, seed=2)
    return unlabeled, (labeled, tf.range(n) % k)


def _weights(network):
    return [w.numpy().copy() for w in network.trainable_weights]


def _changed(before, network):
    return any(not np.allclose(b, a.numpy()) for b, a in zip(before, network.trainable_weights))


def test_train_step_updates_d_and_g_and_g_loss_is_feature_matching():
    model = SGAN(SGANConfig(batch_size=8, labeled_batch_size=8))
    model.compile()
    g0, d0 = _weights(model.generator), _weights(model.discriminator)
    logs = model.train_step(_tiny_batch())
    assert set(logs) == set(SGAN.tracker_names)
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert float(logs["d_loss"]) == pytest.approx(float(logs["sup_loss"]) + float(logs["unsup_loss"]), rel=1e-5)
    assert _changed(g0, model.generator) and _changed(d0, model.discriminator)
    assert int(model.step_counter.numpy()) == 1
    # G's loss is Eq. (4) on D's last hidden layer: zero for matching feature means, positive otherwise.
    x = _tiny_batch()[0]
    f = model.features(x, training=False)
    assert float(losses.feature_matching_loss(f, f[::-1])) == pytest.approx(0.0, abs=1e-3)
    assert float(losses.feature_matching_loss(f, model.features(-x, training=False))) > 0


def test_supervised_only_trains_d_alone():
    model = SGAN(SGANConfig(batch_size=8, labeled_batch_size=8, supervised_only=True))
    model.compile()
    g0, d0 = _weights(model.generator), _weights(model.discriminator)
    logs = model.train_step(_tiny_batch())
    assert float(logs["unsup_loss"]) == 0.0 and float(logs["g_loss"]) == 0.0
    assert float(logs["d_loss"]) == pytest.approx(float(logs["sup_loss"]))
    assert not _changed(g0, model.generator) and _changed(d0, model.discriminator)


def test_d_learns_the_labeled_classes():
    """A few steps on a two-class toy problem: the K-way classifier separates bright from dark."""
    cfg = SGANConfig(num_classes=2, image_shape=(4, 4, 1), batch_size=16, labeled_batch_size=16,
                     input_noise=0.0, hidden_noise=0.0, latent_dim=4)
    model = SGAN(cfg)
    model.compile()
    labels = np.arange(16) % 2
    images = np.where(labels[:, None, None, None] == 1, 0.5, -0.5).astype("float32") + np.zeros((16, 4, 4, 1), "float32")
    ds = tf.data.Dataset.from_tensors((images, (images, labels))).repeat()
    model.fit(ds, steps_per_epoch=20, epochs=1, verbose=0)
    assert np.mean(np.argmax(model.discriminator(images).numpy(), 1) == labels) == 1.0


def test_cli_end_to_end_prints_the_heldout_accuracy(tmp_path, data_dir, capsys):
    run_dir = tmp_path / "run"
    code = train.main(["sgan", "--split", "test", "--labeled-per-class", "2", "--batch-size", "16",
                       "--labeled-batch-size", "10", "--holdout", "100", "--steps", "3", "--log-every", "1",
                       "--output-dir", str(run_dir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Held-out accuracy of the semi-supervised D" in out and "100 images of mnist/test" in out
    assert "labeled: 20, unlabeled: 9900" in out
    model = train.load_model(str(run_dir))
    result = model.evaluation(num=50)
    assert result["heldout_images"] == 50 and 0.0 <= result["heldout_accuracy"] <= 1.0
    assert int(model.step_counter.numpy()) == 3


@pytest.mark.parametrize("argv, message", [
    (["--labeled-per-class", "0"], "--labeled-per-class must be >= 1. Received: 0"),
    (["--unlabeled-weight", "-1"], "--unlabeled-weight must be >= 0. Received: -1"),
    (["--labeled-per-class", "5000", "--split", "test"], "--labeled-per-class 5000 is more than"),
    (["--holdout", "10000", "--split", "test"], "--holdout must leave training images"),
])
def test_bad_flags_exit_2_with_one_line(argv, message, capsys, tmp_path, data_dir):
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(train.main(["sgan", *argv, "--output-dir", str(tmp_path / "r")]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
