"""tfgan.backbones: the frozen networks other modules read features from (the VGG extractor has its
own tests in test_perceptual.py)."""

import numpy as np
import pytest

from tfgan import backbones, classifier, evaluate
from tfgan.style import perceptual


def test_logits_and_features_match_the_classifier_and_are_cached():
    clf = classifier.build_classifier((28, 28, 1), 10, seed=0)
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28, 1), dtype=np.uint8)
    logits, features = backbones.logits_and_features(clf, images, batch_size=2)
    np.testing.assert_allclose(logits, clf(classifier.to_classifier_input(images)).numpy(), rtol=1e-5, atol=1e-6)
    assert features.shape == (5, 128) and features.dtype == np.float64 and features.min() >= 0  # after ReLU
    assert backbones.feature_model(clf) is backbones.feature_model(clf)  # one two-output model per classifier
    # Other sizes and channels are brought to the classifier's input: RGB mean, bilinear resize.
    rgb = np.repeat(images[:, 2:-2, 2:-2] / 127.5 - 1.0, 3, axis=-1)  # (5, 24, 24, 3) in [-1, 1]
    assert backbones.logits_and_features(clf, rgb)[0].shape == (5, 10)


def test_one_copy_of_each_frozen_network():
    assert evaluate.logits_and_features is backbones.logits_and_features
    assert evaluate.inception_scores is backbones.inception_scores
    assert perceptual.FeatureExtractor is backbones.FeatureExtractor
    from tfgan.models import image_to_image

    assert not hasattr(image_to_image, "classifier_features") and not hasattr(image_to_image, "psnr")


def test_inception_v3_offline_without_weights_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    with pytest.raises(backbones.WeightsUnavailableError, match="not cached and cannot be downloaded"):
        backbones.inception_v3()
    with pytest.raises(backbones.WeightsUnavailableError, match="no such file"):
        backbones.inception_v3(str(tmp_path / "missing.h5"))
