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
