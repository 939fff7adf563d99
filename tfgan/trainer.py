"""``run(config)``: train the model a config belongs to, in its run directory, resuming if it can.

The library entry point behind ``python -m tfgan.train`` and the notebooks. It composes the layers
below it: the model (``tfgan.models``), its run directory and checkpoints (``tfgan.runs``) and the
Keras callbacks that log, draw, checkpoint and stop (``tfgan.callbacks``). Rerunning into an
existing run directory resumes from its newest checkpoint that reads back whole (``config.resume``
insists on one; ``config.restart`` moves the old run aside and starts again). Damaged checkpoints
and leftovers of interrupted writes are repaired first (:func:`tfgan.runs.repair_checkpoints`), and
a lock file keeps a second training out of the same directory. Ctrl-C, SIGTERM and SIGHUP save a
checkpoint and return; a NaN or infinite loss or weight raises :class:`NonFiniteError` and leaves
the last good checkpoint (every tensor finite) as the latest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time

import keras

from tfgan import callbacks, distribute, models, runs
from tfgan.errors import DataError, NonFiniteError, RunError


@dataclasses.dataclass
class RunResult:
    run_dir: str
    step: int
    status: str  # "completed", "interrupted" or "already_done"
    seconds: float


def build_model(model_name, config, strategy=None):
    """The compiled model of ``config`` with the run's checkpoint around it.

    Networks, optimizers and ``compile`` are created inside ``strategy.scope()`` when a
    ``tf.distribute`` strategy is given (the default strategy otherwise); ``ConfigError`` when the
    global batch does not split evenly between its replicas.
    """
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = models.get(model_name).model_class(config)
        if strategy is not None:
            distribute.check_global_batch(model.config.batch_size, strategy)
        model.compile(jit_compile=config.jit_compile)
        checkpoint = runs.make_checkpoint(model)
    return model, checkpoint


def run(config, progress=True, interrupt_after=None, strategy=None):
    """Train the model that ``config`` belongs to, resuming from its run directory if it exists.

    Returns a :class:`RunResult`. Raises :class:`tfgan.errors.RunError` for bad input (settings,
    run directory, data) and :class:`tfgan.errors.NonFiniteError` when a loss blows up.
    ``interrupt_after`` (tests) raises ``KeyboardInterrupt`` after that many steps, as Ctrl-C would.
    ``strategy``: a ``tf.distribute.Strategy`` to build and train the model under (default: the
    one ``config.strategy`` names, :func:`tfgan.distribute.get_strategy`). ``fit`` receives the
    global batch and splits it between the replicas; on a multi-worker cluster only the chief
    writes into the run directory (:func:`tfgan.distribute.worker_dir`).
    """
    model_name, config = runs.prepare_run(config)
    strategy = strategy or distribute.get_strategy(config.strategy)
    # Each writer locks where it writes: the chief the run directory, other workers their own.
    write_dir = distribute.worker_dir(config.output_dir, strategy)
    created = not os.path.exists(write_dir)
    try:
        with runs.RunLock(write_dir):
            return _run_locked(model_name, config, progress, interrupt_after, strategy)
    except BaseException:
        if created and os.path.isdir(write_dir) and not os.listdir(write_dir):
            os.rmdir(write_dir)  # a run that failed before writing anything leaves no empty folder
        raise


def _run_locked(model_name, config, progress, interrupt_after, strategy):
    """:func:`run` once the run directory is locked."""
    run_dir = config.output_dir
    write_dir = distribute.worker_dir(run_dir, strategy)  # run_dir, except on non-chief workers
    if write_dir == run_dir:  # the chief repairs; the other workers read what it left
        if config.restart:
            moved = set_aside(run_dir)
            if moved:
                print(f"--restart: moved the previous checkpoints, samples and metrics to {moved}")
        for note in runs.repair_checkpoints(run_dir):
            print(note)
    latest = runs.latest_checkpoint(run_dir)
    if config.resume and latest is None:
        raise RunError(f"--resume given but {run_dir} has no checkpoint to resume from")
    if latest is not None:
        runs.check_compatible(runs.load_run_config(run_dir), config)

    keras.utils.set_random_seed(config.seed)
    model, checkpoint = build_model(model_name, config, strategy)
    manager = runs.checkpoint_manager(checkpoint, write_dir)
    if latest is not None:  # every worker restores the chief's checkpoint
        checkpoint.restore(latest).assert_existing_objects_matched()
    start_step = int(model.step_counter.numpy())
    initialized = initialize_from_source(model, config, start_step)

    try:
        # A resumed run draws a new data order rather than replaying the first one.
        dataset, examples = model.make_dataset(seed=config.seed + start_step)
    except (DataError, FileNotFoundError, ValueError) as err:  # the data layer's errors
        raise RunError(str(err)) from None
    images_per_step = model.images_per_step
    end_step = runs.total_steps(config, examples, images_per_step)
    runs.save_run_config(write_dir, config)

    if start_step >= end_step:
        print(f"{run_dir} already trained {start_step} of {end_step} steps; nothing to do "
              "(pass a larger --steps or --epochs to train longer).")
        return RunResult(run_dir, start_step, "already_done", 0.0)
    print(f"Training {model_name} on {config.dataset} ({config.split}, {examples} images) "
          f"into {run_dir}: steps {start_step} -> {end_step}, batch {images_per_step}"
          + (f" over {strategy.num_replicas_in_sync} replicas" if strategy.num_replicas_in_sync > 1 else "")
          + (" (resumed)" if start_step else ""))
    if initialized:
        print(initialized)

    t0 = time.perf_counter()
    stop = callbacks.StopOnNonFinite(start_step)
    bar = callbacks.ProgressBar(start_step, end_step, images_per_step) if progress else None
    write = bar.write if bar else print
    interrupt = callbacks.GracefulInterrupt(start_step, write=write)
    fields = callbacks.metric_fields(model)
    logger = callbacks.IntervalLogger(write_dir, fields, config.log_every, end_step, images_per_step, start_step,
                                      elapsed_offset=runs.trim_metrics(write_dir, start_step, fields))
    grids = callbacks.SampleGrids(write_dir, config.num_samples, config.sample_every, start_step, logger.writer,
                                  milestones=model.grid_milestones(end_step))
    saver = callbacks.PeriodicCheckpoint(manager, config.checkpoint_every, start_step)
    phases = model.cost_phases(end_step)  # ProGAN's resolutions are estimated phase by phase
    steps = [stop, interrupt, *([bar] if bar else []),
             callbacks.TimeEstimate(start_step, end_step, images_per_step, write=write, phases=phases),
             logger, grids, saver]
    if interrupt_after is not None:
        steps.append(callbacks.InterruptAfter(start_step + interrupt_after, start_step))
    status = "completed"
    try:
        model.on_train_begin(start_step)
        if start_step == 0:
            grids.save(model, "step_000000.png", 0)
        model.fit(dataset, steps_per_epoch=end_step - start_step, epochs=1, verbose=0,
                  shuffle=False, callbacks=steps)
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        for callback in steps:  # idempotent: closes the bar, flushes TensorBoard, restores SIGINT
            callback.on_train_end()
    if interrupt.interrupted:
        status = "interrupted"
    step = int(model.step_counter.numpy())
    failure = None
    if stop.nonfinite:
        failure = f"Training stopped at step {stop.nonfinite[0]}: non-finite loss {stop.nonfinite[1]}"
    elif saver.refused:
        failure = f"Training stopped at step {saver.refused[0]}: {saver.refused[1]}"
    elif manager.latest_checkpoint is None or not manager.latest_checkpoint.endswith(f"-{step}"):
        try:
            runs.save_checkpoint(manager, model, step)
        except NonFiniteError as err:
            failure = f"Training stopped at step {step}: {err}"
    if failure:
        kept = (f"The last good checkpoint ({manager.latest_checkpoint}, every tensor finite) is kept"
                if manager.latest_checkpoint else "No checkpoint was written (none had finite weights)")
        raise NonFiniteError(f"{failure}. {kept}; try a lower learning rate or --label-smoothing.")
    seconds = time.perf_counter() - t0
    if status == "completed":
        grids.save(model, "final.png", step)
        print(f"Done: {step} steps in {callbacks.format_duration(seconds)}. Samples: "
              f"{os.path.join(write_dir, runs.SAMPLES_DIR, 'final.png')}; metrics: {logger.csv_path}")
        if hasattr(model, "final_report"):  # e.g. the held-out accuracy of a classifier the run trains
            print(model.final_report())
    else:
        print(f"Interrupted at step {step}; checkpoint saved. Run the same command to resume.")
    return RunResult(run_dir, step, status, seconds)


def set_aside(run_dir):
    """Move a run's checkpoints, samples, metrics and TensorBoard logs to ``run_dir/previous-TIME/``
    (``--restart``); returns that folder, or None when there was nothing to move."""
    names = [n for n in (runs.CHECKPOINT_DIR, runs.SAMPLES_DIR, runs.METRICS_FILE, runs.TENSORBOARD_DIR)
             if os.path.exists(os.path.join(run_dir, n))]
    if not names:
        return None
    target = os.path.join(run_dir, "previous-" + time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(target, exist_ok=True)
    for name in names:
        os.replace(os.path.join(run_dir, name), os.path.join(target, name))
    return target


def initialize_from_source(model, config, start_step):
    """Open the run ``config.init_from`` names (SRGAN's SRResNet) and hand it to the model's
    ``initialize_from`` hook at step 0. Returns a line to print, or None."""
    source_dir = getattr(config, "init_from", None)
    if not source_dir or start_step > 0:  # a resumed run keeps its own weights
        return None
    source = runs.open_run(source_dir)
    names = model.initialize_from(source)
    return f"Initialized the {' and '.join(names)} from {source.checkpoint}"
