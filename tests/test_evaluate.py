"""``tfgan.evaluate``: the dataset classifier, scores of real and bad images, the CLI, augment,
and the InceptionV3 path's offline error."""

import json
import os
import time

import numpy as np
import pytest

from tfgan import data, evaluate, train


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("TFGAN_CACHE_DIR")
    os.environ["TFGAN_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("TFGAN_CACHE_DIR")
    else:
        os.environ["TFGAN_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def mnist_classifier(cache, data_dir):
    """Two epochs on 8,000 test digits (offline: no train split), checked on the other 2,000."""
    assert evaluate.main(["train-classifier", "--dataset", "mnist", "--epochs", "2"]) == 0
    return evaluate.load_dataset_classifier("mnist", train_if_missing=False)


@pytest.mark.slow
def test_train_classifier_saves_weights_and_held_out_accuracy(mnist_classifier, cache):
    _, info = mnist_classifier
    saved = json.loads((cache / "classifiers" / "mnist.json").read_text())
    assert saved["accuracy"] == info["accuracy"] > 0.95
    assert "test[:8000]" in saved["trained_on"] and saved["input_shape"] == [28, 28, 1]


def test_scores_tell_real_digits_from_noise_and_from_a_collapsed_set(mnist_classifier, data_dir):
    clf, _ = mnist_classifier
    x, y = data.load_arrays("mnist", "test")
    real_a, real_b = x[8000:9000], x[9000:10000]
    real = evaluate.score_images(real_a, clf, real_b, requested_labels=y[8000:9000])
    assert real["inception_score"] > 7.5 and real["classes_covered"] == 10
    assert real["conditional_accuracy"] > 0.95  # the classifier agrees with the true labels
    assert sum(real["class_histogram"]) == 1000
    noise = np.random.default_rng(0).integers(0, 256, real_a.shape, dtype=np.uint8)
    bad = evaluate.score_images(noise, clf, real_b)
    ones = x[8000:10000][y[8000:10000] == 1][:300]  # a "collapsed generator": only ones
    collapsed = evaluate.score_images(ones, clf, real_b)
    assert bad["inception_score"] < 3 and collapsed["inception_score"] < 2
    assert collapsed["classes_covered"] == 1
    assert real["frechet_distance"] < 0.1 * min(bad["frechet_distance"], collapsed["frechet_distance"])



def test_score_images_reuses_precomputed_real_features(mnist_classifier, data_dir):
    clf, _ = mnist_classifier
    x, y = data.load_arrays("mnist", "test")
    real_b = x[9000:9500]
    _, real_features = evaluate.logits_and_features(clf, real_b)
    assert real_features.shape == (500, 128)
    direct = evaluate.score_images(x[8000:8300], clf, real_b, requested_labels=y[8000:8300])
    reused = evaluate.score_images(x[8000:8300], clf, None, y[8000:8300], real_features=real_features)
    assert reused == direct  # (real_images=None: only the given features can have been used)
    with pytest.raises(ValueError, match="real_images or real_features"):
        evaluate.score_images(x[:20], clf, None)


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory, data_dir):
    run_dir = str(tmp_path_factory.mktemp("eval") / "cgan")
    assert train.main(["cgan", "--split", "test", "--batch-size", "16", "--g-filters", "8",
                       "--d-filters", "8", "--steps", "2", "--output-dir", run_dir]) == 0
    return run_dir


@pytest.mark.slow
def test_evaluate_run_cli_prints_and_writes_eval_json(mnist_classifier, cgan_run, capsys):
    assert evaluate.main([cgan_run, "--num", "300"]) == 0
    out = capsys.readouterr().out
    assert "Inception score (classifier)" in out and "Conditional accuracy" in out
    result = json.loads(open(os.path.join(cgan_run, "eval.json")).read())
    assert result["num_samples"] == 300 and sum(result["class_histogram"]) == 300
    assert 1.0 <= result["inception_score"] <= 10.0 and 0 <= result["conditional_accuracy"] <= 1
    assert result["step"] == 2 and result["frechet_distance"] > 0


@pytest.mark.slow
def test_augment_compares_real_only_and_real_plus_generated(mnist_classifier, cgan_run, capsys):
    assert evaluate.main(["augment", cgan_run, "--real", "100", "--generated", "100", "--epochs", "1"]) == 0
    result = json.loads(open(os.path.join(cgan_run, "augment.json")).read())
    assert result["held_out"] == 2000 and result["real"] == 100
    assert result["change"] == pytest.approx(result["accuracy_real_plus_generated"] - result["accuracy_real_only"])
    assert "change" in capsys.readouterr().out
    with pytest.raises(train.RunError, match=r"no checkpoint 1; kept steps: \[2\]"):
        evaluate.augmentation_test(cgan_run, real=100, generated=100, checkpoint=1)


@pytest.mark.slow
def test_bad_inputs_exit_2(tmp_path, capsys, mnist_classifier, data_dir):
    assert evaluate.main([str(tmp_path / "nope")]) == 2
    assert "Run directory not found" in capsys.readouterr().err
    dcgan_dir = str(tmp_path / "dcgan")
    train.run(train.models.DCGANConfig(split="test", batch_size=8, g_filters=8, d_filters=8, steps=1,
                                       output_dir=dcgan_dir), progress=False)
    assert evaluate.main(["augment", dcgan_dir]) == 2
    assert "not a conditional run" in capsys.readouterr().err


@pytest.mark.slow
def test_inception_offline_fails_fast_with_alternatives(tmp_path, monkeypatch, mnist_classifier, cgan_run, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # nothing cached
    monkeypatch.setenv("TFGAN_OFFLINE", "1")
    start = time.perf_counter()
    assert evaluate.main([cgan_run, "--num", "50", "--inception"]) == 2
    err = capsys.readouterr().err
    assert time.perf_counter() - start < 30
    assert "--inception-weights PATH" in err and len(err.strip().splitlines()) == 1
    assert evaluate.main([cgan_run, "--inception-weights", str(tmp_path / "missing.h5")]) == 2
    assert "no such file" in capsys.readouterr().err
