"""Numeric precision of a model's networks: the ``--precision`` of every model.

``float32`` everywhere, or Keras mixed precision: weights in float32, computations in bfloat16 or
float16 (``keras.mixed_precision``, policy ``"mixed_bfloat16"`` / ``"mixed_float16"``). tfgan
keeps what must be exact in float32 whatever the policy: D's logit layer, every loss
(``tfgan.losses`` casts its inputs) and the samples. float16 has a narrow exponent range, so its
gradients are computed on a scaled loss (``keras.optimizers.LossScaleOptimizer``, dynamic scale);
bfloat16 has float32's range and needs none.

``auto`` picks bfloat16 on a CPU-only machine whose CPU computes it natively (:func:`bfloat16_is_fast`),
float16 on a GPU, float32 otherwise.
"""

from __future__ import annotations

import contextlib
import os

import keras
import tensorflow as tf

#: The ``--precision`` choices.
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")

# oneDNN's ISA caps (ONEDNN_MAX_CPU_ISA) that still include native bfloat16 dot products.
_BF16_ISAS = ("AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16",
              "AVX10_1_512", "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16", "AVX10_2_512",
              "AVX10_2_512_AMX_2", "ALL", "DEFAULT")


def bfloat16_is_fast() -> bool:
    """True on a CPU-only machine whose CPU has native bfloat16 dot products (AVX512-BF16/AMX)
    that oneDNN may use.

    There, bfloat16 convolutions take about half the CPU time of float32 ones; elsewhere oneDNN
    emulates them (slow) or a GPU runs float32 fast anyway. Reads /proc/cpuinfo (Linux only).
    ``ONEDNN_MAX_CPU_ISA`` capped below AVX512_CORE_BF16 (e.g. ``AVX2``, to time a laptop) turns
    the native kernels off, so the answer is then False.
    """
    if tf.config.list_physical_devices("GPU"):
        return False
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    if cap and cap not in _BF16_ISAS:
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve(precision):
    """The Keras dtype policy name of a ``--precision`` value (``auto`` decided on this machine)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}. Received: {precision!r}")
    if precision != "auto":
        return precision
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16"
    return "mixed_bfloat16" if bfloat16_is_fast() else "float32"


@contextlib.contextmanager
def policy_scope(precision):
    """Layers created inside use the dtype policy of ``precision``; the previous global policy is
    restored on exit (Keras has only a global setting)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(resolve(precision))
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def needs_loss_scaling(precision):
    """float16's gradients underflow without a scaled loss; bfloat16's and float32's do not."""
    return resolve(precision) == "mixed_float16"
