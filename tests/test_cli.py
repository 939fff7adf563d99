"""tfgan.cli (exit codes, flags from config metadata) and tfgan.callbacks' step bookkeeping."""

import argparse
import dataclasses
import math

import pytest

from tfgan import callbacks, cli, errors


@pytest.mark.parametrize(
    "error, code, line",
    [
        (errors.NonFiniteError("loss is nan"), 1, "prog: loss is nan"),
        (errors.RunError("no such run"), 2, "prog: error: no such run"),
        (errors.ConfigError("--steps must be >= 1"), 2, "prog: error: --steps must be >= 1"),
        (ValueError("bad image"), 2, "prog: error: bad image"),
    ],
)
def test_exit_codes_map_library_errors_to_one_line(error, code, line, capsys):
    @cli.exit_codes("prog")
    def main(argv=None):
        raise error

    assert main([]) == code
    assert capsys.readouterr().err == line + "\n"


def test_exit_codes_pass_return_values_and_other_errors_through():
    assert cli.exit_codes("prog")(lambda argv=None: 130)() == 130
    with pytest.raises(KeyError):
        cli.exit_codes("prog")(lambda argv=None: {}["x"])()


@dataclasses.dataclass
class _Config:
    steps: int = dataclasses.field(default=5, metadata={"help": "training steps", "min": 1})
    smoothing: float = dataclasses.field(
        default=0.0, metadata={"help": "smoothing", "min": 0, "max": 1, "max_exclusive": True})
    loss: str = dataclasses.field(default="a", metadata={"help": "loss", "choices": ("a", "b")})
    shape: tuple[int, int] = (2, 2)
    rate: float | None = None
    jit: bool = False


def test_config_flags_carry_types_choices_and_ranges():
    parser = cli.Parser(prog="prog")
    cli.add_config_flags(parser, _Config)
    args = vars(parser.parse_args(["--steps", "0", "--shape", "3x4", "--rate", "0.5", "--jit"]))
    # min is the config's validation (one message for CLI and library), not an argparse type
    assert args == {"steps": 0, "shape": (3, 4), "rate": 0.5, "jit": True}
    assert vars(parser.parse_args([])) == {}  # only explicit flags land in the namespace
    help_text = parser.format_help()
    assert "training steps (>= 1) (default: 5)" in help_text and "loss; one of a, b" in help_text
    assert "smoothing (in [0, 1)) (default: 0.0)" in help_text
    with pytest.raises(SystemExit):
        parser.parse_args(["--loss", "c"])


def test_positive_int_rejects_zero_and_words():
    assert cli.positive_int("3") == 3
    for text in ("0", "-1", "two"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.positive_int(text)


class _Recorder(callbacks.StepCallback):
    def __init__(self, start_step):
        super().__init__(start_step)
        self.seen = []

    def on_step_end(self, step, values):
        self.seen.append((step, values))


def test_step_callbacks_count_global_steps_and_skip_non_finite_logs():
    recorder, stop = _Recorder(start_step=10), callbacks.StopOnNonFinite(start_step=10)

    class Model:
        stop_training = False

    stop.set_model(Model())
    for batch, loss in enumerate([1.0, math.nan, 2.0]):
        for callback in (stop, recorder):
            callback.on_train_batch_end(batch, {"loss": loss})
    assert recorder.seen == [(11, {"loss": 1.0}), (13, {"loss": 2.0})]
    assert stop.nonfinite[0] == 12 and math.isnan(stop.nonfinite[1]["loss"])
    assert stop.model.stop_training


def test_format_duration():
    assert callbacks.format_duration(42.4) == "42 s"
    assert callbacks.format_duration(187) == "3 min 07 s"
