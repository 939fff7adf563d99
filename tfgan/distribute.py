"""Training on several devices with ``tf.distribute``: strategies and the per-replica arithmetic.

``python -m tfgan.train MODEL --strategy mirrored`` trains on every local GPU (one replica each);
``multi_worker`` adds machines described by ``TF_CONFIG``; ``tpu`` connects to a Cloud TPU. The
trainer builds the model, its optimizers and ``compile`` inside ``strategy.scope()`` and passes
the dataset with the GLOBAL batch to ``fit``, which splits every batch between the replicas.

What Keras 3 (3.15, TensorFlow backend) does with a custom ``train_step`` under a strategy, read
from ``keras/src/backend/tensorflow/{trainer,optimizer}.py``:

* ``fit`` runs ``train_step`` once per replica, on that replica's slice of the global batch;
* ``optimizer.apply(grads, vars)`` all-reduces the gradients with ``ReduceOp.SUM`` across the
  replicas (``TFOptimizer._all_reduce_sum_gradients``) and then applies the same update on every
  replica; gradient clipping, if any, happens before that sum, on per-replica gradients;
* the dict ``train_step`` returns is reduced with ``reduce_per_replica(..., "auto")``: the MEAN
  over replicas (the first replica's value under ``TPUStrategy``); metric trackers hold
  per-replica (``on_read``) state, so each replica's ``tracker.result()`` is its own running mean.

Keras' built-in losses divide by the number of replicas (``scale_loss_for_distribution``) so that
the summed gradient is the gradient of the global-batch mean; tfgan's losses are plain functions
of one replica's batch, so :func:`scale_gradients` divides their gradients by the number of
replicas instead (the same thing: the gradient is linear in the loss). With equal slices the
update then equals the single-device update on the global batch, and trackers keep the unscaled
per-replica losses, whose mean over replicas is the global-batch mean the logs show.

Adam hides a missing scaling: its step m / sqrt(v) hardly changes when every gradient is scaled
by the same factor, so a summed instead of averaged gradient shows only with SGD, weight decay,
gradient clipping or a loss mixed with another network's. ``tests/mirrored_cases.py`` compares
with SGD for that reason.

Randomness: every replica holds the same ``SeedGenerator`` state, so a plain draw would give every
replica the same noise. :func:`replica_slice` draws the global batch on every replica and keeps
this replica's rows: the noise of a mirrored step is the noise of the single-device step. Layers
whose statistics span the batch see the global batch too: batch norm is synchronized
(``tfgan.layers.batch_normalization``) and CycleGAN's ``HistoryPool`` queries the
:func:`all_gather` of the replicas' images.

Several workers: only the chief writes the run directory (:func:`worker_dir`), and the logs a step
returns get a length-1 axis (:func:`step_log`, a workaround for tensorflow/tensorflow#72388).

Tests and CPU demos: :func:`split_cpu` turns the CPU into N logical devices so that a
``MirroredStrategy`` has N replicas without a GPU. It must run before TensorFlow initialises its
devices (before the first op, ``tf.config.list_logical_devices`` or any model is built): run it
first thing in a fresh process.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from tfgan.errors import ConfigError

#: ``--strategy`` values.
STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def split_cpu(num_devices):
    """Split the first physical CPU into ``num_devices`` logical CPUs (``/cpu:0`` ...).

    Must be called before TensorFlow initialises its devices, i.e. in a fresh process before any
    op runs; afterwards TensorFlow refuses and this raises :class:`ConfigError`. Calling it again
    with the same number after initialisation is a no-op. Returns the logical CPU names.
    """
    num_devices = int(num_devices)
    if num_devices < 1:
        raise ConfigError(f"split_cpu needs at least one device. Received: num_devices={num_devices}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if len(current or [None]) != num_devices:  # None: not split, one device
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)]
            )
        except RuntimeError as err:
            raise ConfigError(
                f"Cannot split the CPU into {num_devices} logical devices: TensorFlow has already "
                f"initialised its devices ({err}). Call tfgan.distribute.split_cpu first thing in a "
                "fresh process, before any TensorFlow op or model."
            ) from None
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def get_strategy(name="default"):
    """The ``tf.distribute.Strategy`` named by ``--strategy``.

    * ``default``: TensorFlow's default (no distribution, one device);
    * ``mirrored``: ``MirroredStrategy`` on every local GPU; without GPUs, on every logical CPU
      (:func:`split_cpu`), else on the one CPU;
    * ``multi_worker``: ``MultiWorkerMirroredStrategy``; the cluster comes from ``TF_CONFIG``
      (without it: one worker, this machine);
    * ``tpu``: ``TPUStrategy`` on the TPU found by ``TPUClusterResolver`` (``ConfigError`` when
      there is none).

    A process creates each strategy once and reuses it (two ``MirroredStrategy`` objects in one
    process can mix up the keys of their collective all-reduces, and ``MultiWorkerMirroredStrategy``
    may only be created once).
    """
    if name not in STRATEGIES:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}. Received: {name!r}")
    if name == "default":
        return tf.distribute.get_strategy()
    if name not in _CREATED:
        _CREATED[name] = _create(name)
    return _CREATED[name]


_CREATED = {}


def _create(name):
    if name == "mirrored":
        devices = None
        if not tf.config.list_logical_devices("GPU"):
            devices = [device.name for device in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        _check_tf_config()
        return tf.distribute.MultiWorkerMirroredStrategy()
    return _tpu_strategy()


def _check_tf_config():
    text = os.environ.get("TF_CONFIG")
    if not text:
        return
    try:
        config = json.loads(text)
        config["cluster"], config["task"]["type"], config["task"]["index"]
    except (ValueError, KeyError, TypeError) as err:
        raise ConfigError(
            'TF_CONFIG must be JSON like {"cluster": {"worker": ["host1:port", "host2:port"]}, '
            f'"task": {{"type": "worker", "index": 0}}}}. Received: {text!r} ({err!r})'
        ) from None


def _tpu_strategy():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as err:
        raise ConfigError(
            f"--strategy tpu found no TPU ({type(err).__name__}: {err}). Run on a TPU VM or set "
            "TPU_NAME; use --strategy mirrored for GPUs."
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def check_global_batch(batch_size, strategy):
    """``ConfigError`` unless ``batch_size`` (the global batch of one discriminator step) splits
    into equal slices, one per replica: only then is the mean of the replicas' losses the mean
    over the global batch."""
    replicas = strategy.num_replicas_in_sync
    if batch_size % replicas:
        raise ConfigError(
            f"--batch-size {batch_size} does not split evenly between {replicas} replicas; pass a "
            f"multiple of {replicas} (it is the global batch, divided between the devices)."
        )


def worker_dir(run_dir, strategy):
    """Where this process writes its checkpoints, samples and metrics: ``run_dir`` itself, except
    on the workers of a multi-worker cluster other than the chief, which write to
    ``run_dir/workertemp_<task>`` (every worker must take part in saving a checkpoint, but only
    the chief's copy is kept; the same rule as Keras' ``BackupAndRestore``). Every worker restores
    from the chief's checkpoints."""
    if getattr(strategy.extended, "should_checkpoint", True):
        return run_dir
    return os.path.join(run_dir, f"workertemp_{strategy.cluster_resolver.task_id}")


def num_replicas():
    """Replicas of the current strategy (1 outside any strategy)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def _replica():
    """``(replica id tensor, replica count)`` inside ``strategy.run`` with several replicas, else None."""
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


def scale_gradients(grads):
    """Per-replica gradients divided by the number of replicas, so that the SUM that
    ``optimizer.apply`` all-reduces is the gradient of the loss averaged over the global batch.
    Unchanged outside a multi-replica ``strategy.run``."""
    replica = _replica()
    if replica is None:
        return grads
    scale = 1.0 / replica[1]

    def scaled(g):
        if isinstance(g, tf.IndexedSlices):  # e.g. an Embedding's gradient
            return tf.IndexedSlices(g.values * tf.cast(scale, g.dtype), g.indices, g.dense_shape)
        return g * tf.cast(scale, g.dtype)

    return [None if g is None else scaled(g) for g in grads]


def replica_slice(draw, n):
    """``draw(n)`` on one device; inside a multi-replica step, this replica's rows of
    ``draw(n * replicas)``. ``draw`` must give every replica the same values (a shared seed), so
    the replicas together use exactly the global batch a single device would draw."""
    replica = _replica()
    if replica is None:
        return draw(n)
    return local_rows(draw(n * replica[1]))


def step_log(value):
    """A value ``train_step`` returns, in the shape Keras can reduce over the replicas.

    Keras 3.15 reduces the logs of a multi-worker step with ``strategy.reduce("MEAN", v, axis=0)``,
    which fails on a scalar ("Invalid reduction dimension 0 for input with 0 dimensions",
    tensorflow/tensorflow#72388); there the scalar gets a length-1 axis, which that reduction
    removes again. Unchanged everywhere else.
    """
    if not _multi_worker(tf.distribute.get_strategy()):
        return value
    return tf.reshape(value, [1])


def _multi_worker(strategy):
    """Whether Keras treats ``strategy`` as a collective strategy over more than one worker."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
        return False
    spec = resolver.cluster_spec()
    return sum(spec.num_tasks(job) for job in spec.jobs if job in ("chief", "worker")) > 1


def all_gather(values):
    """``values`` of every replica concatenated along axis 0 (in replica order); unchanged outside
    a multi-replica step."""
    if _replica() is None:
        return values
    return tf.distribute.get_replica_context().all_gather(values, axis=0)


def local_rows(values):
    """This replica's share of a global batch ``values`` (the inverse of :func:`all_gather` for
    equal slices); unchanged outside a multi-replica step."""
    replica = _replica()
    if replica is None:
        return values
    replica_id, count = replica
    n = tf.shape(values)[0] // count
    return values[replica_id * n:(replica_id + 1) * n]
