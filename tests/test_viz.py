"""Sample grids: layout, value mapping, PNG round trip."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan import viz


def test_to_uint8_maps_minus_one_to_zero_and_one_to_255():
    np.testing.assert_array_equal(viz.to_uint8([-1.0, 0.0, 1.0, 2.0]), [0, 128, 255, 255])


def test_image_grid_layout_padding_and_scale(tmp_path):
    images = np.stack([np.full((3, 4, 1), i * 50, np.uint8) for i in range(5)])
    grid = viz.image_grid(images, ncols=3, padding=1, pad_value=7)
    assert grid.shape == (2 * (3 + 1) + 1, 3 * (4 + 1) + 1, 1)
    assert grid[1, 1, 0] == 0 and grid[1, 6, 0] == 50 and grid[5, 1, 0] == 150
    assert grid[0, 0, 0] == 7 and grid[5, 11, 0] == 7  # border, empty sixth cell
    big = viz.image_grid(images, ncols=3, padding=1, scale=2)
    assert big.shape == (2 * (6 + 1) + 1, 3 * (8 + 1) + 1, 1)
    path = viz.save_png(str(tmp_path / "sub" / "g.png"), grid)
    np.testing.assert_array_equal(tf.io.decode_png(tf.io.read_file(path)).numpy(), grid)


def test_image_grid_rejects_empty_batches():
    with pytest.raises(ValueError, match="Received shape"):
        viz.image_grid(np.zeros((0, 2, 2, 1)))


def _fake_run(tmp_path):
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "metrics.csv").write_text(
        "step,d_loss,g_loss,d_real,d_fake,d_gap,images_per_sec,elapsed_sec\n"
        "50,1.2,0.8,0.6,0.4,0.2,900,3.5\n100,1.1,0.9,0.55,0.45,,950,7.0\n")
    for step in (0, 50, 100):
        viz.save_png(str(run / "samples" / f"step_{step:06d}.png"), np.full((8, 8, 1), step, np.uint8))
    return run


def test_read_metrics_parses_the_run_csv(tmp_path):
    metrics = viz.read_metrics(str(_fake_run(tmp_path)))
    np.testing.assert_array_equal(metrics["step"], [50, 100])
    np.testing.assert_allclose(metrics["d_real"], [0.6, 0.55])
    assert np.isnan(metrics["d_gap"][1])  # empty cells become NaN
    with pytest.raises(FileNotFoundError, match="metrics.csv not found"):
        viz.read_metrics(str(tmp_path))


def test_plots_of_a_run_draw_without_error(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    run = str(_fake_run(tmp_path))
    axes = viz.plot_metrics(run)
    assert len(axes) >= 2 and axes[0].lines
    assert viz.show_sample_history(run, max_grids=2) is not None


# -- evaluation plots (lecture 05) -------------------------------------------------------------------
def test_plot_class_histogram_draws_shares_and_the_coverage_lines():
    import matplotlib

    matplotlib.use("Agg")
    real, collapsed = np.array([10, 10, 20, 0]), np.array([0, 3, 0, 1])
    ax = viz.plot_class_histogram({"real": real, "collapsed": collapsed}, class_names="abcd")
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.25, 0.25, 0.5, 0.0, 0.0, 0.75, 0.0, 0.25])  # shares per set
    lefts = [p.get_x() for p in ax.patches]
    assert lefts[0] < lefts[4] < lefts[1]  # grouped: class 0 of both sets before class 1
    assert [line.get_ydata()[0] for line in ax.lines] == [0.25, 0.025]  # 1/K and 0.1/K
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert {"real", "collapsed"} < {t.get_text() for t in ax.get_legend().get_texts()}
    single = viz.plot_class_histogram([1, 3])  # one plain histogram
    np.testing.assert_allclose([p.get_height() for p in single.patches], [0.25, 0.75])


@pytest.mark.parametrize(
    "histograms, kwargs, match",
    [
        ({"a": [1, 2], "b": [1, 2, 3]}, {}, r"same number of classes. Received lengths: \[2, 3\]"),
        ({"a": [0, 0]}, {}, r"positive total. Received for 'a'"),
        ([1, -2, 3], {}, "non-negative"),
        ([1, 2, 3], {"class_names": ["x"]}, "Expected 3 class names. Received: 1"),
        ({}, {}, "at least one histogram"),
    ],
)
def test_plot_class_histogram_rejects_bad_input(histograms, kwargs, match):
    with pytest.raises(ValueError, match=match):
        viz.plot_class_histogram(histograms, **kwargs)


@pytest.mark.slow
def test_plot_scores_one_panel_per_score_with_error_bars():
    import matplotlib

    matplotlib.use("Agg")
    results = {
        "real": {"inception_score": 9.5, "inception_score_std": 0.2, "frechet_distance": 1.5},
        "untrained": {"inception_score": 1.2, "inception_score_std": 0.01, "frechet_distance": 300.0},
        "cgan": {"inception_score": 8.0, "inception_score_std": 0.1, "frechet_distance": 20.0,
                 "conditional_accuracy": 0.9},
    }
    axes = viz.plot_scores(results, keys=("inception_score", "frechet_distance", "conditional_accuracy"))
    assert len(axes) == 3
    np.testing.assert_allclose([p.get_height() for p in axes[0].patches], [9.5, 1.2, 8.0])
    np.testing.assert_allclose([p.get_height() for p in axes[1].patches], [1.5, 300.0, 20.0])
    assert [p.get_x() + p.get_width() / 2 for p in axes[2].patches] == [2.0]  # only cgan has it
    from matplotlib.container import ErrorbarContainer

    assert sum(isinstance(c, ErrorbarContainer) for c in axes[0].containers) == 3  # IS spreads
    assert not any(isinstance(c, ErrorbarContainer) for c in axes[1].containers)
    assert [t.get_text() for t in axes[0].texts] == ["9.5", "1.2", "8"]
    assert "lower is better" in axes[1].get_title()
    with pytest.raises(ValueError, match=r"No set has the scores \['nope'\]"):
        viz.plot_scores(results, keys="nope")
    with pytest.raises(ValueError, match="non-empty dict"):
        viz.plot_scores({})
