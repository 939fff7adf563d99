"""Keras callbacks of a training run: progress, metrics, sample grids, checkpoints and stops.

``tfgan.trainer.run`` trains with one ``fit`` call over the remaining steps and these callbacks,
each doing one job. They count steps from the run's first step, so ``step`` is the global training
step (a resumed run continues its numbering), and skip a step whose logs are not finite: a NaN is
never logged, drawn or checkpointed; :class:`StopOnNonFinite` (put it first) stops the run instead.
"""

from __future__ import annotations

import csv
import math
import os
import signal
import sys
import threading
import time

import keras
import numpy as np
import tensorflow as tf

from tfgan import fileio, runs, viz
from tfgan.errors import NonFiniteError
from tfgan.runs import METRICS_FILE, SAMPLES_DIR, TENSORBOARD_DIR

#: Short progress-bar names for some trackers.
POSTFIX_NAMES = {"d_real": "D(x)", "d_fake": "D(G(z))"}
#: Steps after the first (which includes tracing) that the time estimate averages over.
ESTIMATE_AFTER = 20


def format_duration(seconds):
    """``"42 s"`` or ``"3 min 07 s"``."""
    seconds = int(round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def metric_fields(model):
    """Columns of ``metrics.csv``: the step, the model's trackers (plus D's gap), speed and time."""
    names = tuple(model.tracker_names)
    gap = ("d_gap",) if {"d_real", "d_fake"} <= set(names) else ()
    return ("step",) + names + gap + ("images_per_sec", "elapsed_sec")


class StepCallback(keras.callbacks.Callback):
    """Base: counts global steps from ``start_step`` and calls :meth:`on_step_end` with float logs.

    Subclasses that must see non-finite values set ``skip_nonfinite = False``.
    """

    skip_nonfinite = True

    def __init__(self, start_step=0):
        super().__init__()
        self.step = start_step

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        values = {k: float(v) for k, v in (logs or {}).items()}
        if self.skip_nonfinite and not all(math.isfinite(v) for v in values.values()):
            return
        self.on_step_end(self.step, values)

    def on_step_end(self, step, values):
        raise NotImplementedError


class StopOnNonFinite(StepCallback):
    """Stops training at the first step with a NaN or infinite log; ``nonfinite`` is then
    ``(step, {name: value})``."""

    skip_nonfinite = False

    def __init__(self, start_step=0):
        super().__init__(start_step)
        self.nonfinite = None

    def on_step_end(self, step, values):
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad and self.nonfinite is None:
            self.nonfinite = (step, bad)
            self.model.stop_training = True


class IntervalLogger(StepCallback):
    """Every ``every`` steps (and at ``end_step``): one row of ``metrics.csv`` and the same scalars
    in TensorBoard, the means over the interval, then resets the model's trackers."""

    def __init__(self, run_dir, fields, every, end_step, images_per_step, start_step=0, writer=None,
                 elapsed_offset=0.0):
        super().__init__(start_step)
        self.elapsed_offset = elapsed_offset  # a resumed run's clock continues from its last row
        self.fields, self.every, self.end_step, self.images_per_step = fields, every, end_step, images_per_step
        self.csv_path = os.path.join(run_dir, METRICS_FILE)
        self.writer = writer or tf.summary.create_file_writer(os.path.join(run_dir, TENSORBOARD_DIR))
        if not os.path.exists(self.csv_path):
            with open(self.csv_path, "w", newline="") as f:
                csv.writer(f).writerow(self.fields)
        self.t0 = time.perf_counter()
        self.t_interval, self.steps_interval = self.t0, 0

    def on_step_end(self, step, values):
        self.steps_interval += 1
        if step % self.every and step != self.end_step:
            return
        now = time.perf_counter()
        rate = self.steps_interval * self.images_per_step / max(now - self.t_interval, 1e-9)
        row = dict(values, step=step, images_per_sec=rate, elapsed_sec=self.elapsed_offset + now - self.t0)
        if "d_real" in row and "d_fake" in row:
            row["d_gap"] = row["d_real"] - row["d_fake"]  # how far D is ahead of G
        with open(self.csv_path, "a", newline="") as f:
            csv.writer(f).writerow([f"{row[k]:.6g}" if k in row else "" for k in self.fields])
        with self.writer.as_default(step=step):
            for key, value in row.items():
                if key != "step":
                    tf.summary.scalar(key, value)
        for tracker in self.model.metrics:  # the next row is the mean over the next interval
            tracker.reset_state()
        self.t_interval, self.steps_interval = time.perf_counter(), 0

    def on_train_end(self, logs=None):
        self.writer.flush()


class SampleGrids(StepCallback):
    """Every ``every`` steps: ``samples/step_XXXXXX.png`` from the model's fixed preview batch (and
    the same grid in TensorBoard). :meth:`save` writes one on demand (step 0, ``final.png``).
    ``milestones`` ``{step: file name}``: more grids, saved under those names after those steps."""

    def __init__(self, run_dir, num_samples, every, start_step=0, writer=None, milestones=None):
        super().__init__(start_step)
        self.run_dir, self.num_samples, self.every = run_dir, num_samples, every
        self.milestones = dict(milestones or {})
        self.writer = writer or tf.summary.create_file_writer(os.path.join(run_dir, TENSORBOARD_DIR))

    def save(self, model, filename, step):
        grid = model.preview_grid(self.num_samples)
        path = viz.save_png(os.path.join(self.run_dir, SAMPLES_DIR, filename), grid)
        with self.writer.as_default(step=step):
            tf.summary.image("samples", grid[None])
        return path

    def on_step_end(self, step, values):
        if step % self.every == 0:
            self.save(self.model, f"step_{step:06d}.png", step)
        if step in self.milestones:
            self.save(self.model, self.milestones[step], step)


class PeriodicCheckpoint(StepCallback):
    """Every ``every`` steps: :func:`tfgan.runs.save_checkpoint`, which refuses weights holding NaN
    or inf; the run then stops and ``refused`` is ``(step, reason)``."""

    def __init__(self, manager, every, start_step=0):
        super().__init__(start_step)
        self.manager, self.every = manager, every
        self.refused = None

    def on_step_end(self, step, values):
        if step % self.every == 0 and self.refused is None:
            try:
                runs.save_checkpoint(self.manager, self.model, step)
            except NonFiniteError as err:
                self.refused = (step, str(err))
                self.model.stop_training = True


class ProgressBar(StepCallback):
    """A tqdm bar over the run's steps with the latest logs and images/s; :meth:`write` prints a
    line through the bar."""

    def __init__(self, start_step, end_step, images_per_step):
        super().__init__(start_step)
        from tqdm.auto import tqdm

        self.images_per_step = images_per_step
        self.bar = tqdm(
            total=end_step, initial=start_step, unit="step", dynamic_ncols=True,
            mininterval=0.5 if sys.stderr.isatty() else 10.0,
        )
        self.t_last = time.perf_counter()

    def write(self, message):
        self.bar.write(message)

    def on_step_end(self, step, values):
        now = time.perf_counter()
        rate = self.images_per_step / max(now - self.t_last, 1e-9)
        self.t_last = now
        postfix = {POSTFIX_NAMES.get(k, k): f"{v:.3f}" for k, v in values.items()}
        self.bar.set_postfix(postfix, **{"img/s": f"{rate:.0f}"}, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        self.bar.close()


class TimeEstimate(StepCallback):
    """After ``ESTIMATE_AFTER`` steps past the first (which includes tracing), one line estimating
    the time the remaining steps take.

    ``phases``: for a model whose steps change cost during the run (ProGAN's resolutions,
    ``model.cost_phases(end_step)``), a list of ``(first_step, relative_cost, label)``, the cost a
    proxy such as multiply-adds per step. Each phase is timed on its own (its first step traces a
    new function), and a line is written once each phase is measured: steps of a measured phase at
    their measured time; of a later one, with one phase measured, a range from that phase's time
    per step (no dearer) to that time scaled by the cost ratio (all of the cost scales; fixed
    overheads make it an overestimate), and with two or more measured, the straight line through
    (cost, time per step) of the measured phases (fixed overhead + cost-proportional part). Without
    ``phases`` every step costs the same.
    """

    def __init__(self, start_step, end_step, images_per_step, write=print, phases=None):
        super().__init__(start_step)
        self.start_step, self.end_step, self.images_per_step = start_step, end_step, images_per_step
        self.write = write
        self.phases = sorted(phases or [(0, 1.0, None)])
        self.per_step = {}  # phase index -> measured seconds per step
        self.t_first = None

    def phase_of(self, index):
        """The phase of the step with 0-based number ``index``."""
        return max(i for i, phase in enumerate(self.phases) if phase[0] <= index or i == 0)

    def steps_left(self, step):
        """Steps still to run in each phase once ``step`` steps are done."""
        bounds = [phase[0] for phase in self.phases[1:]] + [self.end_step]
        return [max(0, min(end, self.end_step) - max(first, step))
                for (first, _, _), end in zip(self.phases, bounds)]

    def on_step_end(self, step, values):
        i = self.phase_of(step - 1)
        done = step - max(self.phases[i][0], self.start_step)
        if done == 1:
            self.t_first = time.perf_counter()
        elif done == ESTIMATE_AFTER + 1 and self.t_first is not None and i not in self.per_step:
            self.per_step[i] = (time.perf_counter() - self.t_first) / ESTIMATE_AFTER
            self.write(self.estimate(step, i))

    def estimate(self, step, current):
        left = self.steps_left(step)
        later = [j for j, n in enumerate(left) if n and j not in self.per_step]
        rate = f"{self.images_per_step / self.per_step[current]:.0f} images/s"
        known = sum(n * self.per_step[j] for j, n in enumerate(left) if j in self.per_step)
        head = f"Estimated time for {sum(left)} more steps: "
        if not later:
            return f"{head}~{format_duration(known)} ({rate})"
        label = self.phases[current][2] or f"phase {current + 1}"
        tail = "re-estimated when each begins"
        if len(self.per_step) == 1:
            base_cost = self.phases[current][1]
            low = known + sum(left[j] for j in later) * self.per_step[current]
            high = known + sum(left[j] * self.per_step[current] * max(1.0, self.phases[j][1] / base_cost)
                               for j in later)
            return (f"{head}~{format_duration(low)} to ~{format_duration(high)} ({label} steps: {rate}; "
                    f"later phases' steps cost more, at most in proportion to their multiply-adds; {tail})")
        costs = np.array([self.phases[j][1] for j in sorted(self.per_step)], float)
        times = np.array([self.per_step[j] for j in sorted(self.per_step)], float)
        slope, intercept = np.polyfit(costs, times, 1)
        predicted = [max(intercept + slope * self.phases[j][1], times.min()) for j in later]
        total = known + sum(left[j] * t for j, t in zip(later, predicted))
        return (f"{head}~{format_duration(total)} ({label} steps: {rate}; later phases' steps extrapolated "
                f"from the {len(self.per_step)} measured; {tail})")


class GracefulInterrupt(StepCallback):
    """First Ctrl-C (or SIGTERM, SIGHUP: what Slurm, Kubernetes and a closing terminal send): finish
    the current step, then stop (the trainer checkpoints); a second one raises ``KeyboardInterrupt``
    at once, except during a checkpoint write, which finishes first (:func:`tfgan.runs.save_checkpoint`).
    A ``KeyboardInterrupt`` raised inside TensorFlow's tracing can be lost, so the first only sets
    ``interrupted``. The handlers are installed for the length of ``fit`` (main thread only) and the
    previous ones restored afterwards."""

    skip_nonfinite = False

    def __init__(self, start_step=0, write=print):
        super().__init__(start_step)
        self.write = write
        self.interrupted = False
        self.previous_handlers = {}

    def handle(self, signum=None, frame=None):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        name = "Ctrl-C" if signum in (None, signal.SIGINT) else signal.Signals(signum).name
        self.write(f"{name}: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)")

    def on_train_begin(self, logs=None):
        if threading.current_thread() is threading.main_thread():
            self.previous_handlers = {sig: signal.signal(sig, self.handle) for sig in fileio.INTERRUPT_SIGNALS}

    def on_step_end(self, step, values):
        if self.interrupted:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.restore_handler()

    def restore_handler(self):
        for sig, handler in self.previous_handlers.items():
            signal.signal(sig, handler)
        self.previous_handlers = {}


class InterruptAfter(StepCallback):
    """Raise ``KeyboardInterrupt`` once the global step reaches ``step``, as Ctrl-C would (tests)."""

    def __init__(self, step, start_step=0):
        super().__init__(start_step)
        self.stop_step = step

    def on_step_end(self, step, values):
        if step >= self.stop_step:
            raise KeyboardInterrupt
