"""Transposed convolution, three ways: as a matrix, as its transpose, and as "zeros then slide".

A 2-D convolution is linear, so for a fixed input size it *is* a matrix ``M``: each row holds the
kernel weights at the input positions one output pixel sees, and zeros elsewhere (a sparse,
banded matrix). ``M`` maps the input space (H*W*Cin numbers) to the smaller output space
(Ho*Wo*Cout numbers). Its transpose ``M^T`` goes the other way, from the small space back to the
large one, with the same connectivity pattern: that is the upsampling layer of the DCGAN
generator (``keras.layers.Conv2DTranspose``). It is called a *transposed* convolution, not a
"deconvolution": ``M^T`` is not the inverse ``M^-1``, it does not undo the convolution, it only
restores the shape.

``M^T`` can also be computed without building ``M``: insert ``s - 1`` zeros between the input
pixels, pad the border with ``k - 1 - pad_before`` zeros (more at the bottom/right when needed),
and slide a stride-1 convolution with the spatially flipped kernel whose in/out channels are
swapped. Both views give the same numbers; the tests check it, and check both against
``tf.nn.conv2d_transpose`` and ``keras.layers.Conv2DTranspose``.

Where the stride does not divide the kernel size, output pixels receive unequal numbers of
kernel taps (:func:`overlap_counts`), one source of the checkerboard artifacts of generators built
from transposed convolutions; even where it divides, the interleaved sub-kernels need not sum to
the same value (lectures/03_transposed_convolution.md, Eqs. (15) and (16)).

Lecture: ``lectures/03_transposed_convolution.md``; notebook:
``notebooks/03_transposed_convolution.ipynb``.

Conventions (TensorFlow's):

- An image is ``(H, W, C)``; ``vec`` flattens one image in row-major ``(H, W, C)`` order, i.e.
  ``x.reshape(-1)``, so pixel ``(r, c, ch)`` lands at index ``(r * W + c) * C + ch``
  (lectures/03_transposed_convolution.md, Eq. (4)).
- Kernels are ``(kh, kw, Cin, Cout)`` and TF's conv2d is cross-correlation, no kernel flip
  (lectures/03_transposed_convolution.md, Eq. (1)). ``tf.nn.conv2d_transpose`` takes the *same*
  tensor, read as ``(kh, kw, out, in)`` of the transposed op; Keras' ``Conv2DTranspose.kernel`` is
  ``(kh, kw, filters, in_channels)``, again the same layout.
- ``"same"`` padding: ``Ho = ceil(H / s)``, ``pad_total = max((Ho - 1) * s + k - H, 0)``,
  ``pad_top = pad_total // 2``; the odd extra row/column goes to the bottom/right
  (lectures/03_transposed_convolution.md, Eq. (3)).

References: V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
2016, arXiv:1603.07285 (Sections 2 and 4: convolution as a matrix, transposed convolution).
A. Odena, V. Dumoulin and C. Olah, "Deconvolution and Checkerboard Artifacts", Distill, 2016,
https://distill.pub/2016/deconv-checkerboard/.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "conv2d_matrix",
    "conv2d_output_size",
    "conv2d_transpose_via_matmul",
    "conv2d_transpose_via_zero_insertion",
    "insert_zeros",
    "overlap_counts",
]

_PADDINGS = ("valid", "same")


# --------------------------------------------------------------------------- argument checks


def _check_padding(padding):
    if not isinstance(padding, str) or padding.lower() not in _PADDINGS:
        raise ValueError(
            f"Expected padding to be 'valid' or 'same' (TensorFlow's rules). "
            f"Received: padding={padding!r}."
        )
    return padding.lower()


def _check_pair(value, name, letters):
    """``int`` or a pair -> ``(v_h, v_w)`` of positive ints; ``letters`` names them in the message."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(np.asarray(value).ravel())
    ok = len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in pair
    )
    if not ok:
        raise ValueError(
            f"Expected {name} to be a positive int or a pair of positive ints {letters}. "
            f"Received: {name}={value!r}."
        )
    return int(pair[0]), int(pair[1])


def _check_strides(strides):
    """``int`` or ``(sh, sw)`` -> ``(sh, sw)`` of positive ints."""
    return _check_pair(strides, "strides", "(sh, sw)")


def _check_kernel(kernel):
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 4:
        raise ValueError(
            "Expected kernel of rank 4 with TensorFlow layout (kh, kw, Cin, Cout); reshape a "
            f"2-D kernel with kernel[:, :, None, None]. Received: kernel.shape={kernel.shape}."
        )
    return kernel


def _check_image_shape(shape, cin, name):
    """``(H, W)`` or ``(H, W, C)`` (or ``(N, H, W, C)``, batch ignored) -> ``(H, W, C)``."""
    dims = tuple(int(d) for d in shape)
    if len(dims) == 2:
        dims = dims + (1,)
    elif len(dims) == 4:
        dims = dims[1:]
    if len(dims) != 3 or min(dims) < 1:
        raise ValueError(
            f"Expected {name} to be (H, W, Cin) or (H, W) of positive sizes. "
            f"Received: {name}={tuple(shape)}."
        )
    if dims[2] != cin:
        raise ValueError(
            f"Channel mismatch: {name} has {dims[2]} channels but the kernel (kh, kw, Cin, Cout) "
            f"has Cin={cin}. Received: {name}={tuple(shape)}."
        )
    return dims


def conv2d_output_size(n, k, s, padding):
    """Output length and ``(pad_before, pad_after)`` of a 1-D conv, TensorFlow's rules.

    lectures/03_transposed_convolution.md, Eqs. (2)-(3).
    """
    padding = _check_padding(padding)
    if padding == "valid":
        if n < k:
            raise ValueError(
                f"A 'valid' convolution needs the input at least as large as the kernel. "
                f"Received: input size {n}, kernel size {k}. Use padding='same' or a larger input."
            )
        return (n - k) // s + 1, (0, 0)
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return out, (total // 2, total - total // 2)


# --------------------------------------------------------------------------- the matrix


def conv2d_matrix(kernel, input_shape, strides=1, padding="valid"):
    """Dense matrix ``M`` with ``M @ vec(x) == vec(conv2d(x))``, shape ``(Ho*Wo*Cout, H*W*Cin)``.

    lectures/03_transposed_convolution.md, Eq. (5); the lecture's examples are
    lectures/03_transposed_convolution.md, Eqs. (6) and (7). ``vec`` is row-major ``(H, W, C)``
    flattening (``x.reshape(-1)``). ``kernel`` is
    ``(kh, kw, Cin, Cout)``; ``input_shape`` is ``(H, W, Cin)`` or ``(H, W)`` when Cin == 1.
    Float64.
    """
    kernel = _check_kernel(kernel)
    kh, kw, cin, cout = kernel.shape
    h, w, _ = _check_image_shape(input_shape, cin, "input_shape")
    sh, sw = _check_strides(strides)
    ho, (pt, _) = conv2d_output_size(h, kh, sh, padding)
    wo, (pl, _) = conv2d_output_size(w, kw, sw, padding)

    m = np.zeros((ho, wo, cout, h, w, cin))
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                r = i * sh - pt + a  # input row under kernel tap a (negative = padding)
                if not 0 <= r < h:
                    continue
                for b in range(kw):
                    c = j * sw - pl + b
                    if 0 <= c < w:
                        m[i, j, :, r, c, :] += kernel[a, b].T  # y[i,j,co] += w[a,b,ci,co] x[r,c,ci]
    return m.reshape(ho * wo * cout, h * w * cin)


# --------------------------------------------------------------------------- transposed conv


def _check_spatial(shape, name):
    """``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)`` -> ``(H, W)``; channels are not checked."""
    dims = tuple(int(d) for d in shape)
    dims = dims[1:] if len(dims) == 4 else dims
    if len(dims) not in (2, 3) or min(dims) < 1:
        raise ValueError(
            f"Expected {name} to be (H, W) or (H, W, C) of positive sizes. "
            f"Received: {name}={tuple(shape)}."
        )
    return dims[0], dims[1]


def _check_y(y, cout=None):
    """``y`` as float64 ``(N, Ho, Wo, C)`` and whether it came batched."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (3, 4):
        raise ValueError(
            "Expected y of shape (Ho, Wo, Cout) or (N, Ho, Wo, Cout); add a channel axis to a 2-D "
            f"map with y[..., None]. Received: y.shape={y.shape}."
        )
    batched = y.ndim == 4
    y = y if batched else y[None]
    if cout is not None and y.shape[-1] != cout:
        raise ValueError(
            f"Channel mismatch: y has {y.shape[-1]} channels but the kernel (kh, kw, Cin, Cout) "
            f"has Cout={cout}. Received: y.shape={y.shape[int(not batched):]}."
        )
    return y, batched


def _check_fits(y, kernel_size, hw, strides, padding, output_shape):
    """The forward conv of ``hw`` must produce ``y``'s spatial size.

    lectures/03_transposed_convolution.md, Eqs. (2)-(3).
    """
    (kh, kw), (h, w), (sh, sw) = kernel_size, hw, strides
    ho, _ = conv2d_output_size(h, kh, sh, padding)
    wo, _ = conv2d_output_size(w, kw, sw, padding)
    if y.shape[1:3] != (ho, wo):
        raise ValueError(
            f"y does not fit output_shape: a {padding!r} conv with kernel {(kh, kw)} and strides "
            f"{(sh, sw)} maps {(h, w)} to {(ho, wo)}. Received: y spatial size {y.shape[1:3]}, "
            f"output_shape={tuple(output_shape)}. Pass the shape of the conv's *input*."
        )


def _check_transpose_args(y, kernel, output_shape, strides, padding):
    """Shared checks -> float64 batched ``y``, kernel, (H, W, Cin), strides, padding, batched."""
    kernel = _check_kernel(kernel)
    kh, kw, cin, cout = kernel.shape
    padding = _check_padding(padding)
    strides = _check_strides(strides)
    h, w, _ = _check_image_shape(output_shape, cin, "output_shape")
    y, batched = _check_y(y, cout)
    _check_fits(y, (kh, kw), (h, w), strides, padding, output_shape)
    return y, kernel, (h, w, cin), strides, padding, batched


def conv2d_transpose_via_matmul(y, kernel, output_shape, strides=1, padding="valid"):
    """``M^T @ vec(y)`` reshaped to ``output_shape``: the transposed convolution as a matrix.

    lectures/03_transposed_convolution.md, Eq. (8). Equals
    ``tf.nn.conv2d_transpose(y[None], kernel, (1, H, W, Cin), strides, padding)`` with the same
    ``(kh, kw, Cin, Cout)`` kernel. ``y`` is ``(Ho, Wo, Cout)`` or ``(N, Ho, Wo, Cout)``;
    ``output_shape`` is ``(H, W, Cin)``, needed because several H map to the same Ho when s > 1
    (lectures/03_transposed_convolution.md, Eq. (11)).
    """
    y, kernel, (h, w, cin), strides, padding, batched = _check_transpose_args(
        y, kernel, output_shape, strides, padding
    )
    m = conv2d_matrix(kernel, (h, w, cin), strides, padding)
    x = (y.reshape(len(y), -1) @ m).reshape(len(y), h, w, cin)  # row-wise M^T vec(y)
    return x if batched else x[0]


def _insert_zeros(y, kernel_size, hw, strides, padding):
    """Checked arguments -> the padded, zero-inserted ``(N, H + kh - 1, W + kw - 1, C)`` map."""
    (kh, kw), (h, w), (sh, sw) = kernel_size, hw, strides
    n, ho, wo, c = y.shape
    _, (pt, _) = conv2d_output_size(h, kh, sh, padding)
    _, (pl, _) = conv2d_output_size(w, kw, sw, padding)
    dilated = np.zeros((n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, c))
    dilated[:, ::sh, ::sw, :] = y  # lectures/03_transposed_convolution.md, Eq. (12)
    # A stride-1 valid conv of a (P, Q) map with a (kh, kw) kernel gives (P - kh + 1, Q - kw + 1),
    # so the padded map must be (h + kh - 1, w + kw - 1). The bottom/right pad takes the rest:
    # TF's odd extra "same" row, and rows a "valid" conv never reached when (H - k) % s != 0.
    top, left = kh - 1 - pt, kw - 1 - pl  # lectures/03_transposed_convolution.md, Eq. (13)
    bottom = h + kh - 1 - dilated.shape[1] - top
    right = w + kw - 1 - dilated.shape[2] - left
    return np.pad(dilated, ((0, 0), (top, bottom), (left, right), (0, 0)))


def insert_zeros(y, kernel_size, output_shape, strides=1, padding="valid"):
    """The map the zero-insertion view slides its flipped kernel over.

    lectures/03_transposed_convolution.md, Eqs. (12)-(13).

    ``s - 1`` zeros between neighbouring pixels of ``y``, then ``k - 1 - pad_before`` zeros on the
    top/left border and what is left to reach ``(H + kh - 1, W + kw - 1)`` on the bottom/right.
    ``y`` is ``(Ho, Wo, C)`` or ``(N, Ho, Wo, C)``; ``output_shape`` is the transposed conv's
    output ``(H, W)`` (the forward conv's input). Float64, batched like ``y``.
    """
    kernel_size = _check_pair(kernel_size, "kernel_size", "(kh, kw)")
    strides = _check_strides(strides)
    padding = _check_padding(padding)
    hw = _check_spatial(output_shape, "output_shape")
    y, batched = _check_y(y)
    _check_fits(y, kernel_size, hw, strides, padding, output_shape)
    out = _insert_zeros(y, kernel_size, hw, strides, padding)
    return out if batched else out[0]


def conv2d_transpose_via_zero_insertion(y, kernel, output_shape, strides=1, padding="valid"):
    """The same transposed convolution the "slide" way.

    lectures/03_transposed_convolution.md, Eq. (14).

    :func:`insert_zeros`, then a stride-1 "valid" cross-correlation with the spatially flipped
    kernel, in/out channels swapped (Dumoulin & Visin 2016, Section 4.6).
    """
    y, kernel, (h, w, cin), strides, padding, batched = _check_transpose_args(
        y, kernel, output_shape, strides, padding
    )
    kh, kw = kernel.shape[:2]
    padded = _insert_zeros(y, (kh, kw), (h, w), strides, padding)
    # (kh, kw, Cout, Cin): lectures/03_transposed_convolution.md, Eq. (14)
    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    x = np.einsum("nijcab,abcd->nijd", windows, flipped)  # (N, H, W, Cin)
    return x if batched else x[0]


# --------------------------------------------------------------------------- checkerboard


def _overlap_1d(n, k, s, padding):
    """Kernel taps landing on each of the ``n`` output positions.

    One row of lectures/03_transposed_convolution.md, Eq. (15).
    """
    n_in, (before, _) = conv2d_output_size(n, k, s, padding)
    counts = np.zeros(n, dtype=np.int64)
    for i in range(n_in):  # input pixel i stamps the kernel onto positions s*i - before + (0..k-1)
        start = i * s - before
        counts[max(start, 0) : min(start + k, n)] += 1
    return counts


def overlap_counts(kernel_size, output_shape, strides=1, padding="valid"):
    """How many (input pixel, kernel tap) pairs a transposed convolution sums at each output pixel.

    lectures/03_transposed_convolution.md, Eq. (15): the output of the transposed convolution of an
    all-ones input with an all-ones single-channel kernel, ``n(r, c) = n_h(r) * n_w(c)``. Away from
    the border it is constant exactly when the stride divides the kernel size; otherwise it
    alternates, the checkerboard of Odena et al. 2016. ``output_shape`` is the transposed conv's
    output ``(H, W)``. Returns an int64 ``(H, W)`` array.
    """
    kh, kw = _check_pair(kernel_size, "kernel_size", "(kh, kw)")
    sh, sw = _check_strides(strides)
    padding = _check_padding(padding)
    h, w = _check_spatial(output_shape, "output_shape")
    return np.outer(_overlap_1d(h, kh, sh, padding), _overlap_1d(w, kw, sw, padding))
