"""Equal-CPU-time training with scores along the way (tfgan.experiments.train_for_cpu_budget)."""

import numpy as np
import pytest

from tfgan import classifier as clf_lib
from tfgan import evaluate, experiments
from tfgan.models import DCGANConfig


@pytest.mark.slow
def test_train_for_cpu_budget_spends_the_budget_and_scores_each_point(tmp_path, data_dir):
    clf = clf_lib.build_classifier()  # untrained: the scores only need to be computable
    real = np.random.default_rng(0).uniform(-1, 1, (64, 28, 28, 1)).astype("float32")
    _, real_features = evaluate.logits_and_features(clf, real)
    config = DCGANConfig(split="test", batch_size=8, g_filters=4, d_filters=4, log_every=1,
                         sample_every=1000, checkpoint_every=1000, num_samples=4,
                         output_dir=str(tmp_path / "run"), **experiments.MNIST_OBJECTIVES["wgan_gp"])
    rows = experiments.train_for_cpu_budget(config, cpu_seconds=6.0, evaluations=2, classifier=clf,
                                            real_features=real_features, num_eval=50, first_steps=2)
    assert len(rows) == 2
    assert rows[0]["cpu_seconds"] >= 0.97 * 3.0 and rows[1]["cpu_seconds"] >= 0.97 * 6.0
    assert 0 < rows[0]["steps"] < rows[1]["steps"]
    for row in rows:
        assert 1.0 <= row["inception_score"] <= 10.0 and row["frechet_distance"] >= 0
    with pytest.raises(ValueError, match="Expected a new output_dir"):
        experiments.train_for_cpu_budget(config, 1.0, 1, clf, real_features)
