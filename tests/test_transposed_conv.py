"""tfgan.ops.transposed_conv: conv matrix, its transpose, zero insertion and overlap counts vs TF
and Keras. Equation numbers refer to lectures/03_transposed_convolution.md."""

import zlib

import numpy as np
import pytest

import keras
import tensorflow as tf

from tfgan.ops import (
    conv2d_matrix,
    conv2d_transpose_via_matmul,
    conv2d_transpose_via_zero_insertion,
    conv2d_output_size,
    insert_zeros,
    overlap_counts,
)


def _make_cases(count, seed):
    """Seeded random (H, W, kh, kw, sh, sw, Cin, Cout, padding), alternating the padding."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        h, w = rng.choice([4, 5, 6, 7], size=2)
        kh, kw = rng.choice([1, 2, 3, 4], size=2)
        sh, sw = rng.choice([1, 2, 3], size=2)
        cin, cout = rng.choice([1, 2, 3], size=2)
        padding = ("valid", "same")[len(cases) % 2]
        cases.append(tuple(int(v) for v in (h, w, kh, kw, sh, sw, cin, cout)) + (padding,))
    return cases


CASES = _make_cases(40, seed=0) + [
    (5, 5, 3, 3, 2, 2, 1, 1, "same"),  # lecture example, symmetric padding
    (6, 6, 4, 4, 2, 2, 2, 3, "same"),  # odd pad_total: the extra row goes to the bottom
    (7, 4, 2, 1, 3, 3, 1, 2, "valid"),  # k < s: some output pixels are never written
    (4, 6, 4, 2, 1, 2, 3, 1, "valid"),
]


def _case_id(case):
    h, w, kh, kw, sh, sw, cin, cout, padding = case
    return f"{h}x{w}-k{kh}x{kw}-s{sh}x{sw}-c{cin}to{cout}-{padding}"


def _random(rng, case):
    h, w, kh, kw, sh, sw, cin, cout, padding = case
    x = rng.standard_normal((h, w, cin))
    kernel = rng.standard_normal((kh, kw, cin, cout))
    return x, kernel, (sh, sw), padding


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matrix_and_transposes_match_tensorflow(case):
    rng = np.random.default_rng(zlib.crc32(_case_id(case).encode()))
    x, kernel, strides, padding = _random(rng, case)

    m = conv2d_matrix(kernel, x.shape, strides, padding)
    conv = tf.nn.conv2d(x[None], kernel, strides, padding.upper()).numpy()[0]
    assert m.shape == (conv.size, x.size)
    np.testing.assert_allclose(m @ x.reshape(-1), conv.reshape(-1), atol=1e-10)

    y = rng.standard_normal((2,) + conv.shape)  # a batch of two
    want = tf.nn.conv2d_transpose(y, kernel, (2,) + x.shape, strides, padding.upper()).numpy()
    via_matmul = conv2d_transpose_via_matmul(y, kernel, x.shape, strides, padding)
    via_zeros = conv2d_transpose_via_zero_insertion(y, kernel, x.shape, strides, padding)
    np.testing.assert_allclose(via_matmul, want, atol=1e-10)
    np.testing.assert_allclose(via_zeros, via_matmul, atol=1e-10)
    # A single image gives the batch's first element.
    np.testing.assert_allclose(
        conv2d_transpose_via_zero_insertion(y[0], kernel, x.shape, strides, padding), want[0],
        atol=1e-10,
    )

    # Adjoint: <M x, y> == <x, M^T y>.
    lhs = np.dot(m @ x.reshape(-1), y[0].reshape(-1))
    rhs = np.dot(x.reshape(-1), via_matmul[0].reshape(-1))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


@pytest.mark.parametrize("case", CASES[:8] + CASES[-3:], ids=_case_id)
def test_matches_keras_conv2d_transpose(case):
    """Keras' kernel is (kh, kw, filters, in_channels): the forward conv's (kh, kw, Cin, Cout)."""
    rng = np.random.default_rng(1)
    _, _, kh, kw, sh, sw, cin, cout, padding = case
    y = rng.standard_normal((2, 3, 2, cout)).astype("float32")
    kernel = rng.standard_normal((kh, kw, cin, cout)).astype("float32")
    layer = keras.layers.Conv2DTranspose(
        cin, (kh, kw), strides=(sh, sw), padding=padding, use_bias=False
    )
    layer.build(y.shape)
    assert tuple(layer.kernel.shape) == kernel.shape
    layer.set_weights([kernel])
    got = keras.ops.convert_to_numpy(layer(y))
    # Keras picks the output size itself: (Ho - 1) * s + max(k, s) for valid, Ho * s for same.
    ours = conv2d_transpose_via_matmul(y, kernel, got.shape[1:], (sh, sw), padding)
    np.testing.assert_allclose(ours, got, atol=1e-4)


def test_lecture_example_4x4_input_3x3_kernel_valid():
    """Dumoulin & Visin 2016, Section 4.1: a 4x16 matrix whose rows are the shifted kernel."""
    w = np.arange(1.0, 10.0).reshape(3, 3)
    m = conv2d_matrix(w[:, :, None, None], (4, 4), strides=1, padding="valid")
    assert m.shape == (4, 16)
    first_row = np.zeros((4, 4))
    first_row[:3, :3] = w
    np.testing.assert_array_equal(m[0], first_row.reshape(-1))
    last_row = np.zeros((4, 4))
    last_row[1:, 1:] = w
    np.testing.assert_array_equal(m[3], last_row.reshape(-1))
    # The transpose maps 2x2 back to 4x4: the DCGAN upsampling direction.
    up = conv2d_transpose_via_matmul(np.ones((2, 2, 1)), w[:, :, None, None], (4, 4, 1))
    assert up.shape == (4, 4, 1)


def test_lecture_example_5x5_input_3x3_kernel_stride2_same():
    w = np.ones((3, 3, 1, 1))
    m = conv2d_matrix(w, (5, 5, 1), strides=2, padding="same")
    assert m.shape == (9, 25)
    # pad_total = 2, one each side: the top-left output sees a 2x2 corner, the centre a full 3x3.
    assert m[0].sum() == 4 and m[4].sum() == 9
    np.testing.assert_array_equal(m[0].reshape(5, 5)[:2, :2], np.ones((2, 2)))


def test_hand_worked_1x3_input_1x2_kernel():
    """x = (x0, x1, x2), w = (1, 2): y0 = x0 + 2 x1, y1 = x1 + 2 x2."""
    w = np.array([1.0, 2.0]).reshape(1, 2, 1, 1)
    m = conv2d_matrix(w, (1, 3), strides=1, padding="valid")
    np.testing.assert_array_equal(m, [[1, 2, 0], [0, 1, 2]])
    y = np.array([1.0, 10.0]).reshape(1, 2, 1)
    want = np.array([1.0, 12.0, 20.0]).reshape(1, 3, 1)  # M^T y = (1, 2*1 + 10, 2*10)
    np.testing.assert_array_equal(conv2d_transpose_via_matmul(y, w, (1, 3, 1)), want)
    np.testing.assert_array_equal(conv2d_transpose_via_zero_insertion(y, w, (1, 3, 1)), want)


def test_hand_worked_stride2_stamps_the_kernel():
    """Stride 2 = kernel size 2: each input pixel stamps a scaled copy of the kernel, no overlap."""
    w = np.array([1.0, 2.0]).reshape(1, 2, 1, 1)
    np.testing.assert_array_equal(conv2d_matrix(w, (1, 4), strides=2), [[1, 2, 0, 0], [0, 0, 1, 2]])
    y = np.array([1.0, 10.0]).reshape(1, 2, 1)
    want = np.array([1.0, 2.0, 10.0, 20.0]).reshape(1, 4, 1)
    np.testing.assert_array_equal(conv2d_transpose_via_zero_insertion(y, w, (1, 4, 1), 2), want)


def test_accepts_tensors():
    kernel = tf.random.normal((3, 3, 2, 4), seed=0)
    y = tf.random.normal((1, 3, 3, 4), seed=1)
    got = conv2d_transpose_via_matmul(y, kernel, (6, 6, 2), 2, "same")
    want = tf.nn.conv2d_transpose(y, kernel, (1, 6, 6, 2), 2, "SAME").numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)


@pytest.mark.parametrize("case", CASES[::3] + CASES[-4:], ids=_case_id)
def test_insert_zeros_then_flipped_conv_is_tensorflows_transpose(case):
    """Eq. (14) with TensorFlow's own stride-1 conv: pad(zero-inserted y) * flipped kernel."""
    rng = np.random.default_rng(zlib.crc32(_case_id(case).encode()) + 1)
    h, w, kh, kw, sh, sw, cin, cout, padding = case
    ho, _ = conv2d_output_size(h, kh, sh, padding)
    wo, _ = conv2d_output_size(w, kw, sw, padding)
    y = rng.standard_normal((2, ho, wo, cout))
    kernel = rng.standard_normal((kh, kw, cin, cout))
    padded = insert_zeros(y, (kh, kw), (h, w), (sh, sw), padding)
    assert padded.shape == (2, h + kh - 1, w + kw - 1, cout)
    assert np.count_nonzero(padded) == np.count_nonzero(y)  # only zeros were added
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
    got = tf.nn.conv2d(padded, flipped, 1, "VALID").numpy()
    want = tf.nn.conv2d_transpose(y, kernel, (2, h, w, cin), (sh, sw), padding.upper()).numpy()
    np.testing.assert_allclose(got, want, atol=1e-10)


def test_insert_zeros_hand_worked():
    y = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
    # 'valid', k = 3, s = 2: 2x2 -> 5x5. One zero between pixels, k - 1 = 2 zeros on every side.
    want = np.zeros((7, 7))
    want[2:5, 2:5] = [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    np.testing.assert_array_equal(insert_zeros(y, 3, (5, 5), 2, "valid")[..., 0], want)
    # 'same', k = 3, s = 2: 2x2 -> 4x4, pad_total = 1 = (0 top, 1 bottom) in the forward conv, so
    # k - 1 - 0 = 2 zeros on top/left and only 1 on the bottom/right.
    want = np.zeros((6, 6))
    want[2:5, 2:5] = [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    np.testing.assert_array_equal(insert_zeros(y, 3, (4, 4, 7), 2, "same")[..., 0], want)
    # 'same', k = 4, s = 2: pad_total = 2 = (1, 1): 2 zeros on each side.
    want = np.zeros((7, 7))
    want[2:5, 2:5] = [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    np.testing.assert_array_equal(insert_zeros(y, (4, 4), (4, 4), (2, 2), "same")[..., 0], want)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_overlap_counts_match_tensorflow_on_ones(case):
    """Eq. (15): the counts are the transposed conv of all-ones input with an all-ones kernel."""
    h, w, kh, kw, sh, sw, _, _, padding = case
    ho, _ = conv2d_output_size(h, kh, sh, padding)
    wo, _ = conv2d_output_size(w, kw, sw, padding)
    ones = tf.nn.conv2d_transpose(
        tf.ones((1, ho, wo, 1)), tf.ones((kh, kw, 1, 1)), (1, h, w, 1), (sh, sw), padding.upper()
    )
    counts = overlap_counts((kh, kw), (h, w), (sh, sw), padding)
    assert counts.dtype == np.int64 and counts.shape == (h, w)
    np.testing.assert_array_equal(counts, ones.numpy()[0, :, :, 0])


def test_overlap_counts_hand_worked():
    """Notebook 02's 2x2 example, and DCGAN-style 4x4 -> 8x8 upsampling with k = 3 and k = 4."""
    np.testing.assert_array_equal(overlap_counts(3, (5, 5), 2)[2], [2, 2, 4, 2, 2])
    np.testing.assert_array_equal(overlap_counts(3, (5, 5), 2)[0], [1, 1, 2, 1, 1])
    k3 = overlap_counts(3, (8, 8), 2, "same")
    np.testing.assert_array_equal(k3[:, 3], [1, 1, 2, 1, 2, 1, 2, 1])
    np.testing.assert_array_equal(k3[2:6, 2:6], [[4, 2, 4, 2], [2, 1, 2, 1]] * 2)
    k4 = overlap_counts(4, (8, 8), 2, "same")
    np.testing.assert_array_equal(k4[1:-1, 1:-1], np.full((6, 6), 4))  # even away from the border
    np.testing.assert_array_equal(k4[0], [1, 2, 2, 2, 2, 2, 2, 1])
    # k < s: a 'valid' 1x1 kernel at stride 2 never writes between the input pixels.
    np.testing.assert_array_equal(overlap_counts((3, 1), (3, 5), 2)[0], [1, 0, 1, 0, 1])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_overlap_counts_interior_closed_form(k, s, padding):
    """Eq. (15): away from the border n(r) = ceil((k - m) / s), m = (r + pad_top) mod s, which is
    the same for every r exactly when s divides k."""
    n = 24 + k
    n_in, (pt, _) = conv2d_output_size(n, k, s, padding)
    counts = overlap_counts((k, 1), (n, 1), (s, 1), padding)[:, 0]
    interior = np.arange(k - 1 - pt, (n_in - 1) * s - pt + 1)  # every tap of r lands on an input
    assert len(interior) >= 2 * s
    m = (interior + pt) % s
    np.testing.assert_array_equal(counts[interior], -(-(k - m) // s))
    assert (len(set(counts[interior])) == 1) == (k % s == 0)


ONES33 = np.ones((3, 3, 1, 1))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: conv2d_matrix(ONES33, (5, 5), padding="full"), "padding='full'"),
        (lambda: conv2d_matrix(np.ones((3, 3)), (5, 5)), r"kernel.shape=\(3, 3\)"),
        (lambda: conv2d_matrix(np.ones((3, 3, 2, 1)), (5, 5, 3)), "Cin=2"),
        (lambda: conv2d_matrix(ONES33, (5, 5), strides=0), "strides=0"),
        (lambda: conv2d_matrix(ONES33, (5, 5), strides=(2, -1)), r"strides=\(2, -1\)"),
        (lambda: conv2d_matrix(ONES33, (2, 2)), "input size 2, kernel size 3"),
        (
            lambda: conv2d_transpose_via_matmul(np.ones((2, 2, 3)), ONES33[..., [0, 0]], (4, 4, 1)),
            "Cout=2",
        ),
        (
            lambda: conv2d_transpose_via_zero_insertion(np.ones((3, 3, 1)), ONES33, (4, 4)),
            r"maps \(4, 4\) to \(2, 2\)",
        ),
        (lambda: overlap_counts(0, (8, 8), 2), "kernel_size=0"),
        (lambda: overlap_counts((3, 3), (8,), 2), r"output_shape=\(8,\)"),
        (lambda: overlap_counts(3, (8, 8), 2, "causal"), "padding='causal'"),
        (lambda: insert_zeros(np.ones((3, 3)), 3, (5, 5), 2), r"y.shape=\(3, 3\)"),
        (lambda: insert_zeros(np.ones((3, 3, 1)), 3, (5, 5), 2), r"maps \(5, 5\) to \(2, 2\)"),
    ],
)
def test_errors_say_what_was_received(call, match):
    with pytest.raises(ValueError, match="Received") as info:
        call()
    assert info.match(match)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("s", [2, 3])
def test_resize_convolution_is_a_transposed_convolution(k, s):
    """Eq. (18): UpSampling2D + 'same' Conv2D = transposed conv with v = rot180(w * box_s), cropped
    at q = ceil((k - 1) / 2); every sub-kernel of v sums to sum(w), so Eq. (16) is flat."""
    rng = np.random.default_rng(10 * k + s)
    cy, cout = 2, 3
    y = rng.standard_normal((1, 4, 5, cy)).astype("float32")
    w = rng.standard_normal((k, k, cy, cout)).astype("float32")
    conv = keras.layers.Conv2D(cout, k, padding="same", use_bias=False)
    conv.build((None, 4 * s, 5 * s, cy))
    conv.set_weights([w])
    resize_conv = keras.ops.convert_to_numpy(conv(keras.layers.UpSampling2D(s)(y)))

    big = k + s - 1
    box = np.zeros((big, big, cy, cout))  # w convolved with an s x s box of ones
    for t in range(s):
        for u in range(s):
            box[t : t + k, u : u + k] += w
    v = box[::-1, ::-1].transpose(0, 1, 3, 2)  # rot180, channels swapped: (K, K, Cout, Cy)
    full = tf.nn.conv2d_transpose(
        y.astype("float64"), v, (1, 3 * s + big, 4 * s + big, cout), s, "VALID"
    ).numpy()
    q = k // 2  # = ceil((k - 1) / 2)
    np.testing.assert_allclose(resize_conv, full[:, q : q + 4 * s, q : q + 5 * s], atol=1e-4)
    for a in range(s):
        for b in range(s):
            np.testing.assert_allclose(v[a::s, b::s].sum((0, 1)), w.sum((0, 1)).T, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("k, s", [(1, 2), (2, 3), (1, 3), (3, 2), (4, 2), (5, 2), (2, 2), (3, 1)])
def test_keras_transposed_output_size(k, s, padding):
    """lectures/03_transposed_convolution.md, Eq. (11) and lectures/02_dcgan.md, Eq. (3).

    "valid": (n - 1) s + max(k, s), which is the stamps' extent (n - 1) s + k only when k >= s;
    for k < s Keras adds s - k rows that no stamp reaches. Both sizes map back to n.
    """
    n = 3
    layer = keras.layers.Conv2DTranspose(1, k, strides=s, padding=padding, use_bias=False)
    got = layer(np.ones((1, n, n, 1), "float32")).shape[1]
    want = (n - 1) * s + max(k, s) if padding == "valid" else n * s
    assert got == want
    assert conv2d_output_size(got, k, s, padding)[0] == n  # the forward conv undoes the size
    if padding == "valid":
        counts = overlap_counts(k, (got, got), s, padding)[:, 0]
        assert counts[: (n - 1) * s + k].any() and not counts[(n - 1) * s + k :].any()
        assert ((n - 1) * s + k == got) == (k >= s)
