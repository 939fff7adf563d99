"""tfgan.distribute and ``--strategy``; mirrored training itself runs in a child process.

The checks that need two devices live in ``tests/mirrored_cases.py``: the CPU can only be split
into logical devices before TensorFlow initialises them, which this pytest process has done (or
will do) for other tests, so a fresh ``pytest`` process runs that file.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfgan import distribute, models, runs, train
from tfgan.errors import ConfigError


def run_mirrored_cases(selection):
    """Run the tests of tests/mirrored_cases.py that ``-k selection`` picks, in a fresh process."""
    cases = Path(__file__).with_name("mirrored_cases.py")
    root = cases.parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", str(cases), "-k", selection],
        cwd=root, env=env, capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, f"{cases.name} -k {selection!r} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert " passed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-2000:]


@pytest.mark.slow
def test_mirrored_training_on_two_logical_cpus():
    """One mirrored step == one single-device step (DCGAN, CycleGAN), gradient scaling, noise,
    synchronized batch norm, and a mirrored trainer run that resumes: tests/mirrored_cases.py."""
    run_mirrored_cases("not other_models")


@pytest.mark.slow
def test_mirrored_step_of_the_other_models_on_two_logical_cpus():
    """The same step comparison for GAN, CGAN, pix2pix, SRResNet and SRGAN."""
    run_mirrored_cases("other_models")


def test_default_strategy_is_one_device():
    strategy = distribute.get_strategy("default")
    assert strategy is tf.distribute.get_strategy() and strategy.num_replicas_in_sync == 1


@pytest.mark.parametrize("name", ["bogus", "Mirrored", ""])
def test_unknown_strategy_is_a_config_error(name):
    with pytest.raises(ConfigError, match="default, mirrored, multi_worker, tpu"):
        distribute.get_strategy(name)


def test_tpu_without_a_tpu_is_a_config_error(monkeypatch):
    monkeypatch.delenv("TPU_NAME", raising=False)
    with pytest.raises(ConfigError, match="found no TPU"):
        distribute.get_strategy("tpu")


@pytest.mark.parametrize("text", ["{bad json", '{"cluster": {}}', '{"cluster": {}, "task": {"type": "worker"}}'])
def test_malformed_tf_config_is_a_config_error(monkeypatch, text):
    monkeypatch.setenv("TF_CONFIG", text)
    with pytest.raises(ConfigError, match="TF_CONFIG must be JSON"):
        distribute.get_strategy("multi_worker")


def test_split_cpu_after_tensorflow_started_says_what_to_do():
    tf.constant(0.0) + 1  # devices are initialised now
    n = len(tf.config.list_logical_devices("CPU"))
    assert distribute.split_cpu(n)  # asking for what is already there is fine
    with pytest.raises(ConfigError, match="fresh process"):
        distribute.split_cpu(n + 1)
    with pytest.raises(ConfigError, match="at least one"):
        distribute.split_cpu(0)


def test_one_device_helpers_change_nothing():
    grads = [tf.constant([1.0, -2.0]), None]
    assert distribute.scale_gradients(grads) is grads
    values = tf.reshape(tf.range(6.0), (3, 2))
    assert distribute.all_gather(values) is values and distribute.local_rows(values) is values
    assert distribute.replica_slice(lambda n: tf.ones((n, 2)), 3).shape == (3, 2)
    assert distribute.num_replicas() == 1


def test_strategy_flag_comes_from_the_config():
    name, config, explicit = train.parse_args(["dcgan", "--strategy", "mirrored"])
    assert (name, config.strategy, "strategy" in explicit) == ("dcgan", "mirrored", True)
    assert train.parse_args(["cyclegan"])[1].strategy == "default"
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(["dcgan", "--strategy", "gpu"])
    assert exit_info.value.code == 2
    with pytest.raises(ValueError, match="--strategy"):
        models.DCGANConfig(strategy="gpu").validate()


def test_strategy_changes_neither_the_run_name_nor_resumability(tmp_path):
    config = models.DCGANConfig(output_dir=str(tmp_path))
    mirrored = config.replace(strategy="mirrored")
    assert runs.settings_run_dir("runs", "dcgan", config) == runs.settings_run_dir("runs", "dcgan", mirrored)
    train.check_compatible(config, mirrored)  # a run may move between machines


def test_batch_norm_is_plain_on_one_device():
    from tfgan import layers

    layer = layers.batch_normalization()
    assert not layer.synchronized and (layer.momentum, layer.epsilon) == (0.9, 1e-5)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(x, training=True), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), atol=1e-5)


def test_global_batch_must_split_evenly_between_replicas():
    class TwoReplicas:
        num_replicas_in_sync = 2

    distribute.check_global_batch(8, TwoReplicas())
    with pytest.raises(ConfigError, match="--batch-size 5 does not split evenly between 2 replicas"):
        distribute.check_global_batch(5, TwoReplicas())


def test_only_the_chief_writes_into_the_run_directory():
    from types import SimpleNamespace as NS

    chief = NS(extended=NS(should_checkpoint=True), cluster_resolver=NS(task_id=0))
    other = NS(extended=NS(should_checkpoint=False), cluster_resolver=NS(task_id=1))
    assert distribute.worker_dir("runs/x", chief) == "runs/x"
    assert distribute.worker_dir("runs/x", other) == os.path.join("runs/x", "workertemp_1")
    assert distribute.worker_dir("runs/x", distribute.get_strategy("default")) == "runs/x"


def free_ports(n):
    import socket

    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def train_two_workers(run_dir, data_dir, steps):
    """``python -m tfgan.train dcgan --strategy multi_worker`` as two local processes (TF_CONFIG)."""
    root = Path(__file__).parents[1]
    cluster = {"worker": [f"localhost:{port}" for port in free_ports(2)]}
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        env = dict(os.environ, TF_CONFIG=tf_config,
                   PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
        argv = [sys.executable, "-m", "tfgan.train", "dcgan", "--split", "test", "--data-dir", data_dir,
                "--strategy", "multi_worker", "--batch-size", "8", "--g-filters", "4", "--d-filters", "4",
                "--latent-dim", "8", "--steps", str(steps), "--log-every", "1", "--checkpoint-every", "2",
                "--num-samples", "4", "--output-dir", str(run_dir)]
        procs.append(subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    try:  # a worker that fails leaves the other waiting for it: never leave one running
        outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out[-3000:]
    return outputs


@pytest.mark.slow
def test_two_workers_train_then_resume_from_the_chiefs_checkpoint(tmp_path, data_dir):
    """A real two-process MultiWorkerMirroredStrategy cluster on localhost: only the chief writes
    the run directory, the logs are reducible (tensorflow/tensorflow#72388), and both workers
    resume from the chief's checkpoint."""
    run_dir = tmp_path / "run"
    outputs = train_two_workers(run_dir, data_dir, steps=3)
    assert all("over 2 replicas" in out for out in outputs)
    assert sorted(step for step, _ in runs.list_checkpoints(run_dir)) == [2, 3]
    assert (run_dir / "workertemp_1" / "checkpoints").is_dir()  # the other worker's copy, not kept
    chief = (run_dir / "metrics.csv").read_text().splitlines()
    other = (run_dir / "workertemp_1" / "metrics.csv").read_text().splitlines()
    assert [row.split(",")[:5] for row in chief] == [row.split(",")[:5] for row in other]  # same logs
    assert len(chief) == 4

    outputs = train_two_workers(run_dir, data_dir, steps=4)
    assert all("steps 3 -> 4" in out and "(resumed)" in out for out in outputs)
    assert runs.list_checkpoints(run_dir)[-1][0] == 4
