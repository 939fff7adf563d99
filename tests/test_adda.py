"""ADDA (Tzeng et al. 2017) and its offline MNIST-M target set: the builder (deterministic, in range,
Ganin et al.'s |patch - digit|), the source / target / held-out split, the two phases
(lectures/13_representation_learning.md, Eqs. (8)-(10)) with M_s and C frozen during adaptation,
the CLI end to end and its bad flags."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan import data, train
from tfgan.data import mnist_m as mnist_m_lib
from tfgan.errors import ConfigError
from tfgan.models.adda import ADDA, ADDAConfig, domain_split


# -- the MNIST-M builder ----------------------------------------------------------------------------
def test_blend_is_abs_patch_minus_digit_and_deterministic():
    photo = np.zeros((40, 40, 3), np.uint8) + np.array([100, 0, 255], np.uint8)
    digits = np.zeros((3, 28, 28), np.uint8)
    digits[:, 10:18, 10:18] = 255  # a white square on black
    out = mnist_m_lib.blend_digits(digits, [photo], seed=1)
    assert out.shape == (3, 28, 28, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0, 0], [100, 0, 255])  # black digit pixel: the photo
    np.testing.assert_array_equal(out[0, 12, 12], [155, 255, 0])  # white: |photo - 255|
    photos = mnist_m_lib.photos()
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (8, 28, 28, 1), dtype=np.uint8)
    a, b = mnist_m_lib.blend_digits(digits, photos, seed=5), mnist_m_lib.blend_digits(digits, photos, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, mnist_m_lib.blend_digits(digits, photos, seed=6))
    with pytest.raises(ValueError, match="uint8 digits"):
        mnist_m_lib.blend_digits(digits.astype(np.float32), photos)


def test_mnist_m_dataset_is_cached_labeled_and_in_range(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache"))
    images, labels = data.load_arrays("mnist_m", "test")
    digits, mnist_labels = data.load_arrays("mnist", "test")
    assert images.shape == (10000, 28, 28, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, mnist_labels)
    assert len(list((tmp_path / "cache" / "mnist_m").glob("test-seed0-*.npz"))) == 1
    again, _ = data.load_arrays("mnist_m", "test")  # from the cache: the same images
    np.testing.assert_array_equal(images, again)
    # image i is MNIST digit i blended: where the digit is white the photo is inverted
    assert np.abs(images[:50].astype(int) - images[:50].mean()).max() > 100
    batch = next(iter(data.load("mnist_m", "test", batch_size=16, shuffle=False)))
    assert batch.shape == (16, 28, 28, 3) and batch.dtype == tf.float32
    assert -1.0 <= float(tf.reduce_min(batch)) and float(tf.reduce_max(batch)) <= 1.0


def test_svhn_offline_fails_fast_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    with pytest.raises(data.DatasetNotFoundError, match="TFGAN_OFFLINE is set"):
        data.load_arrays("svhn", "train", data_dir=tmp_path)


# -- the split ---------------------------------------------------------------------------------------
def test_domain_split_is_fixed_and_disjoint_for_aligned_datasets():
    source, target, held = domain_split(1000, 1000, 200, aligned=True)
    assert len(held) == 200 and len(source) == len(target) == 400
    assert not (set(source) & set(target) or set(source) & set(held) or set(target) & set(held))
    np.testing.assert_array_equal(held, domain_split(1000, 1000, 200, aligned=True)[2])
    source, target, held = domain_split(500, 1000, 200, aligned=False)
    np.testing.assert_array_equal(source, np.arange(500))
    assert len(target) == 800 and not set(target) & set(held)
    with pytest.raises(ConfigError, match="--holdout"):
        domain_split(100, 100, 100, aligned=False)


# -- the two phases ---------------------------------------------------------------------------------
def _tiny_model(**kwargs):
    cfg = ADDAConfig(batch_size=8, steps=10, source_steps=1, feature_dim=16, d_units=16, **kwargs)
    model = ADDA(cfg)
    model.compile()
    return model


def _batch(n=8):
    x_s = tf.random.uniform((n, 28, 28, 3), -1, 1, seed=1)
    x_t = tf.random.uniform((n, 28, 28, 3), -1, 1, seed=2)
    y = tf.range(n) % 10
    return (x_s, y), (x_t, y)


def _weights(network):
    return [w.numpy().copy() for w in network.weights]


def _same(before, network):
    return all(np.array_equal(b, a.numpy()) for b, a in zip(before, network.weights))


def test_pretraining_updates_m_s_and_c_and_m_t_follows():
    model = _tiny_model()
    s0, d0 = _weights(model.source_model), _weights(model.discriminator)
    logs = model.train_step(_batch())
    assert not _same(s0, model.source_model) and _same(d0, model.discriminator)
    for t, s in zip(model.target_encoder.weights, model.source_encoder.weights):  # M_t = M_s
        np.testing.assert_array_equal(t.numpy(), s.numpy())
    assert float(logs["class_loss"]) > 0 and int(model.step_counter.numpy()) == 1


def test_adaptation_freezes_m_s_and_c_and_changes_m_t_and_d():
    model = _tiny_model()
    model.train_step(_batch())  # step 0: pre-training; the next ones adapt (source_steps = 1)
    s0, t0, d0 = _weights(model.source_model), _weights(model.target_encoder), _weights(model.discriminator)
    for _ in range(3):
        logs = model.train_step(_batch())
    assert _same(s0, model.source_model)  # M_s and C frozen
    assert not _same(t0, model.target_encoder) and not _same(d0, model.discriminator)
    assert float(logs["d_loss"]) > 0 and float(logs["target_loss"]) > 0
    assert int(model.source_optimizer.iterations.numpy()) == 1
    assert int(model.d_optimizer.iterations.numpy()) == int(model.target_optimizer.iterations.numpy()) == 3


def test_adaptation_losses_are_eqs_9_and_10_on_d_logits():
    """D's loss is -log D(source) - log(1 - D(target)) and M_t's -log D(target) on D's logits."""
    model = _tiny_model()
    for layer in model.target_encoder.layers:  # no dropout: the same M_t(x_t) in the test and the step
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    (x_s, _), (x_t, _) = _batch()
    s_logit = model.discriminator(model.source_encoder(x_s)).numpy()
    t_logit = model.discriminator(model.target_encoder(x_t)).numpy()
    sig = lambda v: 1 / (1 + np.exp(-v.astype(np.float64)))  # noqa: E731
    want_d = -np.mean(np.log(sig(s_logit))) - np.mean(np.log(1 - sig(t_logit)))
    d_loss, _, _ = model.adaptation_step(x_s, x_t)
    assert float(d_loss) == pytest.approx(want_d, rel=1e-4)


def test_parameter_counts_and_features():
    model = ADDA(ADDAConfig())
    # LeNet on 28x28x3: conv 5x5x3x20 + 20, conv 5x5x20x50 + 50, dense 4*4*50 -> 500
    encoder = 5 * 5 * 3 * 20 + 20 + 5 * 5 * 20 * 50 + 50 + 800 * 500 + 500
    assert model.source_encoder.count_params() == model.target_encoder.count_params() == encoder
    assert model.classifier.count_params() == 500 * 10 + 10
    assert model.discriminator.count_params() == 500 * 500 + 500 + 500 * 500 + 500 + 501
    images = np.zeros((3, 28, 28, 1), np.uint8)  # grayscale uint8 is converted
    assert model.encode(images, "source").shape == (3, 500)
    assert model.classify(images).shape == (3,)


# -- the CLI ----------------------------------------------------------------------------------------
def test_cli_end_to_end_reports_source_only_and_adda(tmp_path, data_dir, capsys, monkeypatch):
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache"))
    run_dir = tmp_path / "run"
    code = train.main(["adda", "--split", "test", "--steps", "4", "--source-steps", "2", "--batch-size", "8",
                       "--holdout", "100", "--log-every", "2", "--num-samples", "4", "--output-dir", str(run_dir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Target accuracy on 100 held-out mnist_m/test images (never trained on): source only" in out
    model = train.load_model(str(run_dir))
    assert int(model.step_counter.numpy()) == 4
    result = model.evaluation(num=20)
    assert set(result) == {"source_only_accuracy", "adda_accuracy", "target_images"}
    code = train.main(["adda", "--split", "test", "--steps", "2", "--oracle", "--batch-size", "8", "--holdout", "100",
                       "--output-dir", str(tmp_path / "oracle")])
    assert code == 0 and "oracle (target-supervised)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--steps", "5", "--source-steps", "5"], "--source-steps must be less than --steps"),
    (["--image-shape", "8,8,3"], "--image-shape must be H,W,C with H, W >= 16"),
    (["--source-lr", "0"], "--source-lr must be > 0. Received: 0"),
    (["--split", "test", "--holdout", "10000"], "--holdout must leave target training images"),
    (["--dataset", "svhn", "--target-dataset", "mnist", "--split", "test"], "TFGAN_OFFLINE is set"),
])
def test_bad_flags_exit_2_with_one_line(argv, message, capsys, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("TFGAN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(SystemExit) as exit_info:
        sys.exit(train.main(["adda", *argv, "--output-dir", str(tmp_path / "r")]))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err
