"""The digit classifier behind the classifier Inception score: shapes, accuracy, scores, cache."""

import json

import keras
import numpy as np
import pytest

from tfgan import classifier, data


@pytest.fixture(scope="module")
def digits(data_dir):
    """MNIST test digits: 3,000 to train on, 2,000 held out (never seen in training)."""
    images, labels = data.load_arrays("mnist", "test")
    return (images[:3000], labels[:3000]), (images[8000:], labels[8000:])


@pytest.fixture(scope="module")
def trained(digits):
    (x, y), (x_val, y_val) = digits
    validation = (x_val[:1000], y_val[:1000])
    return classifier.train_classifier(x, y, epochs=3, seed=0, validation=validation)


def test_outputs_logits_per_class():
    model = classifier.build_classifier((28, 28, 1), num_classes=10)
    out = model(np.zeros((3, 28, 28, 1), np.float32))
    assert tuple(out.shape) == (3, 10)
    # Logits, not probabilities: no softmax on the last layer.
    assert model.layers[-1].get_config()["activation"] == "linear"


def test_same_seed_same_weights():
    a, b = classifier.build_classifier(seed=3), classifier.build_classifier(seed=3)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.slow
def test_trains_above_90_percent(trained):
    assert trained[1] > 0.90


def test_real_held_out_digits_score_high(digits, trained):
    _, (x_val, _) = digits
    mean, _ = classifier.classifier_score(x_val, trained[0], splits=10)
    assert mean > 8.0


def test_constant_and_noise_batches_score_low(trained):
    model = trained[0]
    constant = np.full((500, 28, 28, 1), -1.0, np.float32)
    noise = np.random.default_rng(0).uniform(-1, 1, (500, 28, 28, 1)).astype(np.float32)
    assert classifier.classifier_score(constant, model, splits=5)[0] < 2.0
    assert classifier.classifier_score(noise, model, splits=5)[0] < 2.0


def test_uint8_and_float_inputs_agree(digits, trained):
    _, (x_val, _) = digits
    as_float = x_val[:100].astype(np.float32) / 127.5 - 1.0
    np.testing.assert_array_equal(
        classifier.predict_labels(trained[0], x_val[:100]),
        classifier.predict_labels(trained[0], as_float),
    )


def test_predict_labels_and_accuracy(digits, trained):
    _, (x_val, y_val) = digits
    predicted = classifier.predict_labels(trained[0], x_val[:200])
    assert predicted.shape == (200,) and predicted.dtype == np.int64
    expected = np.mean(predicted == y_val[:200])
    assert classifier.accuracy(trained[0], x_val[:200], y_val[:200]) == expected


@pytest.mark.slow
def test_score_of_a_sample_function(digits, trained):
    # A generator that replays real digits scores like the digits themselves.
    _, (x_val, _) = digits
    pool = x_val.astype(np.float32) / 127.5 - 1.0
    drawn = []

    def sample(n):
        start = sum(drawn)
        drawn.append(n)
        return pool[start : start + n]

    mean, std = classifier.classifier_score(sample, trained[0], num_samples=1200, batch_size=500)
    assert drawn == [500, 500, 200]
    expected = classifier.classifier_score(pool[:1200], trained[0])
    np.testing.assert_allclose((mean, std), expected, rtol=1e-6)


@pytest.mark.slow
def test_cache_reloads_without_training(digits, tmp_path, monkeypatch):
    (x, y), _ = digits
    kwargs = dict(epochs=1, validation=0.25, cache_dir=tmp_path)
    first, acc = classifier.train_classifier(x[:300], y[:300], **kwargs)
    assert len(list(tmp_path.glob("*.weights.h5"))) == 1
    assert json.loads(next(tmp_path.glob("*.json")).read_text())["accuracy"] == acc

    def no_fit(*args, **kwargs):
        raise AssertionError("fit called although the weights are cached")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    second, acc2 = classifier.train_classifier(x[:300], y[:300], **kwargs)
    assert acc2 == acc
    for wa, wb in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    with pytest.raises(AssertionError, match="fit called"):  # other data: a new cache entry
        classifier.train_classifier(x[:300], (y[:300] + 1) % 10, **kwargs)


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((4, 28, 28), np.uint8), r"4-D.*shape=\(4, 28, 28\)"),
        (np.full((4, 28, 28, 1), 255.0, np.float32), r"\[-1, 1\].*Received: values in \[255, 255\]"),
        (np.zeros((4, 28, 28, 1), np.int32), r"dtype=int32"),
    ],
)
def test_bad_images_raise(images, match):
    with pytest.raises(ValueError, match=match):
        classifier.to_classifier_input(images)


def test_bad_arguments_raise():
    x = np.zeros((10, 28, 28, 1), np.uint8)
    with pytest.raises(ValueError, match="validation=1.5"):
        classifier.train_classifier(x, np.zeros(10), validation=1.5)
    with pytest.raises(ValueError, match="10 images, labels of shape \\(9,\\)"):
        classifier.train_classifier(x, np.zeros(9))
    with pytest.raises(ValueError, match="num_classes=1"):
        classifier.build_classifier(num_classes=1)
