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

Conventions (TensorFlow's):

- An image is ``(H, W, C)``; ``vec`` flattens one image in row-major ``(H, W, C)`` order, i.e.
  ``x.reshape(-1)``, so pixel ``(r, c, ch)`` lands at index ``(r * W + c) * C + ch``.
- Kernels are ``(kh, kw, Cin, Cout)`` and TF's conv2d is cross-correlation (no kernel flip).
  ``tf.nn.conv2d_transpose`` takes the *same* tensor, read as ``(kh, kw, out, in)`` of the
  transposed op; Keras' ``Conv2DTranspose.kernel`` is ``(kh, kw, filters, in_channels)``, again
  the same layout.
- ``"same"`` padding: ``Ho = ceil(H / s)``, ``pad_total = max((Ho - 1) * s + k - H, 0)``,
  ``pad_top = pad_total // 2``; the odd extra row/column goes to the bottom/right.

Reference: V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
2016, arXiv:1603.07285 (Sections 2 and 4: convolution as a matrix, transposed convolution).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "conv2d_matrix",
    "conv2d_output_size",
    "conv2d_transpose_via_matmul",
    "conv2d_transpose_via_zero_insertion",
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


def _check_strides(strides):
    """``int`` or ``(sh, sw)`` -> ``(sh, sw)`` of positive ints."""
    pair = (strides, strides) if np.ndim(strides) == 0 else tuple(np.asarray(strides).ravel())
    ok = len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in pair
    )
    if not ok:
        raise ValueError(
            "Expected strides to be a positive int or a pair of positive ints (sh, sw). "
            f"Received: strides={strides!r}."
        )
    return int(pair[0]), int(pair[1])


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
    """Output length and ``(pad_before, pad_after)`` of a 1-D conv, TensorFlow's rules."""
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

    ``vec`` is row-major ``(H, W, C)`` flattening (``x.reshape(-1)``). ``kernel`` is
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


def _check_transpose_args(y, kernel, output_shape, strides, padding):
    """Shared checks -> float64 batched ``y``, kernel, (H, W, Cin), strides, padding, batched."""
    kernel = _check_kernel(kernel)
    kh, kw, cin, cout = kernel.shape
    padding = _check_padding(padding)
    sh, sw = _check_strides(strides)
    h, w, _ = _check_image_shape(output_shape, cin, "output_shape")
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (3, 4):
        raise ValueError(
            "Expected y of shape (Ho, Wo, Cout) or (N, Ho, Wo, Cout). "
            f"Received: y.shape={y.shape}."
        )
    batched = y.ndim == 4
    y = y if batched else y[None]
    if y.shape[-1] != cout:
        raise ValueError(
            f"Channel mismatch: y has {y.shape[-1]} channels but the kernel (kh, kw, Cin, Cout) "
            f"has Cout={cout}. Received: y.shape={y.shape[int(not batched):]}."
        )
    ho, _ = conv2d_output_size(h, kh, sh, padding)
    wo, _ = conv2d_output_size(w, kw, sw, padding)
    if y.shape[1:3] != (ho, wo):
        raise ValueError(
            f"y does not fit output_shape: a {padding!r} conv with kernel {(kh, kw)} and strides "
            f"{(sh, sw)} maps {(h, w)} to {(ho, wo)}. Received: y spatial size {y.shape[1:3]}, "
            f"output_shape={tuple(output_shape)}. Pass the shape of the conv's *input*."
        )
    return y, kernel, (h, w, cin), (sh, sw), padding, batched


def conv2d_transpose_via_matmul(y, kernel, output_shape, strides=1, padding="valid"):
    """``M^T @ vec(y)`` reshaped to ``output_shape``: the transposed convolution as a matrix.

    Equals ``tf.nn.conv2d_transpose(y[None], kernel, (1, H, W, Cin), strides, padding)`` with the
    same ``(kh, kw, Cin, Cout)`` kernel. ``y`` is ``(Ho, Wo, Cout)`` or ``(N, Ho, Wo, Cout)``;
    ``output_shape`` is ``(H, W, Cin)``, needed because several H map to the same Ho when s > 1.
    """
    y, kernel, (h, w, cin), strides, padding, batched = _check_transpose_args(
        y, kernel, output_shape, strides, padding
    )
    m = conv2d_matrix(kernel, (h, w, cin), strides, padding)
    x = (y.reshape(len(y), -1) @ m).reshape(len(y), h, w, cin)  # row-wise M^T vec(y)
    return x if batched else x[0]


def conv2d_transpose_via_zero_insertion(y, kernel, output_shape, strides=1, padding="valid"):
    """The same transposed convolution the "slide" way (Dumoulin & Visin 2016, Section 4.6).

    Insert ``s - 1`` zeros between input pixels, pad ``k - 1 - pad_before`` zeros on top/left and
    enough on the bottom/right to reach ``output_shape``, then run a stride-1 "valid"
    cross-correlation with the spatially flipped kernel, in/out channels swapped.
    """
    y, kernel, (h, w, cin), (sh, sw), padding, batched = _check_transpose_args(
        y, kernel, output_shape, strides, padding
    )
    kh, kw, _, cout = kernel.shape
    n, ho, wo, _ = y.shape
    _, (pt, _) = conv2d_output_size(h, kh, sh, padding)
    _, (pl, _) = conv2d_output_size(w, kw, sw, padding)

    dilated = np.zeros((n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, cout))
    dilated[:, ::sh, ::sw, :] = y
    # A stride-1 valid conv of a (P, Q) map with a (kh, kw) kernel gives (P - kh + 1, Q - kw + 1),
    # so the padded map must be (h + kh - 1, w + kw - 1). The bottom/right pad takes the rest:
    # TF's odd extra "same" row, and rows a "valid" conv never reached when (H - k) % s != 0.
    top, left = kh - 1 - pt, kw - 1 - pl
    bottom = h + kh - 1 - dilated.shape[1] - top
    right = w + kw - 1 - dilated.shape[2] - left
    padded = np.pad(dilated, ((0, 0), (top, bottom), (left, right), (0, 0)))

    flipped = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (kh, kw, Cout, Cin)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    x = np.einsum("nijcab,abcd->nijd", windows, flipped)  # (N, H, W, Cin)
    return x if batched else x[0]
