"""Numbers the lectures quote about tfgan's own models, checked against the code.

A lecture that says "761,632 in G" must be talking about the model the library builds today; each
case names the lecture, the figure as the lecture prints it, and how to compute it.
"""

from pathlib import Path

import pytest

from tfgan import classifier, models

LECTURES = Path(__file__).resolve().parents[1] / "lectures"


def _count(name, **config):
    model = models.build(name, **config)
    return model.generator.count_params(), model.discriminator.count_params()


CASES = [
    # lecture 02's table: the default DCGAN at three image sizes (G / D)
    ("02_dcgan.md", "760,065 / 138,945", lambda: "{:,} / {:,}".format(*_count("dcgan"))),
    ("02_dcgan.md", "1,069,827 / 664,129",
     lambda: "{:,} / {:,}".format(*_count("dcgan", image_shape=(32, 32, 3)))),
    ("02_dcgan.md", "3,578,627 / 2,767,425",
     lambda: "{:,} / {:,}".format(*_count("dcgan", image_shape=(64, 64, 3)))),
    # lecture 05: the CGAN default (one label map) and 16 maps
    ("05_evaluation.md", "761,632 in $G$", lambda: "{:,} in $G$".format(_count("cgan")[0])),
    ("05_evaluation.md", "(148,593 instead of 138,945)",
     lambda: "({:,} instead of {:,})".format(_count("cgan")[1], _count("dcgan")[1])),
    ("05_evaluation.md", "785,137 in $G$ and 293,313 in $D$",
     lambda: "{:,} in $G$ and {:,} in $D$".format(*_count("cgan", label_maps=16))),
    # lecture 05: the digit classifier
    ("05_evaluation.md", "421,642 weights",
     lambda: "{:,} weights".format(classifier.build_classifier().count_params())),
]


@pytest.mark.parametrize("lecture, quoted, compute", CASES, ids=[c[1] for c in CASES])
def test_lecture_quotes_the_models_the_library_builds(lecture, quoted, compute):
    text = " ".join((LECTURES / lecture).read_text().split())  # line breaks do not matter
    assert quoted in text, f"{lecture} no longer quotes {quoted!r}"
    assert compute() == quoted
