"""Teaching ops: small NumPy reference implementations of the layers the models use.

``transposed_conv``: a convolution as a matrix, and the transposed convolution (DCGAN's upsampling
layer) as that matrix's transpose and as "insert zeros, then slide"; ``overlap_counts`` for its
checkerboard artifacts. ``lbfgs``: SciPy's L-BFGS-B on an array of any shape (an image, a
batch of latent vectors).
"""

from tfgan.ops.lbfgs import lbfgs
from tfgan.ops.transposed_conv import (
    conv2d_matrix,
    conv2d_output_size,
    conv2d_transpose_via_matmul,
    conv2d_transpose_via_zero_insertion,
    insert_zeros,
    overlap_counts,
)

__all__ = [
    "conv2d_matrix",
    "conv2d_output_size",
    "conv2d_transpose_via_matmul",
    "conv2d_transpose_via_zero_insertion",
    "insert_zeros",
    "lbfgs",
    "overlap_counts",
]
