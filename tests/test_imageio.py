import numpy as np
import pytest

from tfgan import imageio


def _png(path, array):
    imageio.write_image(path, array)
    return path


def test_round_trip_rgb_and_gray(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = _png(str(tmp_path / "a.png"), rgb)
    np.testing.assert_array_equal(imageio.read_image(path), rgb)
    gray = imageio.read_image(path, channels=1)
    expected = np.round(rgb.astype(float) @ [0.299, 0.587, 0.114]).astype(np.uint8)
    np.testing.assert_array_equal(gray[..., 0], expected)


def test_gray_file_read_as_rgb_repeats_channel(tmp_path):
    g = np.arange(12, dtype=np.uint8).reshape(3, 4, 1) * 20
    out = imageio.read_image(_png(str(tmp_path / "g.png"), g))
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out[..., 2], g[..., 0])


def test_list_images_sorted_and_filtered(tmp_path):
    for name in ("b.png", "a.PNG", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.rsplit("/", 1)[1] for p in imageio.list_images(tmp_path)] == ["a.PNG", "b.png"]
    assert imageio.list_images(tmp_path / "b.png") == [str(tmp_path / "b.png")]


@pytest.mark.parametrize("name, content, message", [
    ("missing.png", None, "No such image file"),
    ("notes.txt", b"hello", "Unsupported image format"),
    ("broken.jpg", b"not a jpeg at all", "Cannot decode image .*: Unsupported image format \\(not a PNG"),
    ("cut.png", b"\x89PNG\r\n\x1a\n\x00\x00", "Cannot decode image .* as PNG"),
])
def test_bad_files_give_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(imageio.ImageReadError, match=message) as err:
        imageio.read_image(path)
    assert "\n" not in str(err.value) and name in str(err.value)


def test_one_reader_for_every_caller(tmp_path):
    from tfgan.style import gatys

    assert gatys.ImageError is imageio.ImageReadError is imageio.ImageError
    with pytest.raises(imageio.ImageReadError, match="got a directory"):
        imageio.read_image(tmp_path)


def test_list_images_errors(tmp_path):
    with pytest.raises(imageio.ImageReadError, match="No such file or folder"):
        imageio.list_images(tmp_path / "nope")
    with pytest.raises(imageio.ImageReadError, match="holds no image files"):
        imageio.list_images(tmp_path)
