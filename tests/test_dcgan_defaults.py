"""DCGAN's training defaults (chosen for time to quality on a CPU) and the paper's preset."""

import json
from pathlib import Path

import pytest

from tfgan import train
from tfgan.errors import ConfigError
from tfgan.models import BiGANConfig, CGANConfig, DCGANConfig
from tfgan.models.dcgan import PRESETS

#: DCGAN's defaults as measured in benchmarks/README.md (time_to_quality.py, train_speed.py).
DEFAULTS_PINNED = {"adam": (64, 1e-3, 1e-3, 0.5, 0.999),
                   "rule": ("non_saturating", "simultaneous", None, "auto"),
                   "regularizers": ("r1", 0.1, "none")}

FAST = ["--split", "test", "--batch-size", "16", "--g-filters", "8", "--d-filters", "8"]


def test_default_training_settings_are_pinned():
    """The values benchmarks/README.md measured (time_to_quality.py); change them with a new run."""
    c = DCGANConfig()
    assert (c.batch_size, c.g_lr, c.d_lr, c.beta1, c.beta2) == DEFAULTS_PINNED["adam"]
    assert (c.loss, c.update, c.ema, c.precision) == DEFAULTS_PINNED["rule"]
    assert (c.gradient_penalty, c.gp_weight, c.augment) == DEFAULTS_PINNED["regularizers"]
    assert c.preset == "none"
    # the architecture is the paper's guidelines, unchanged (lectures/02_dcgan.md's table)
    assert (c.g_filters, c.d_filters, c.kernel_size, c.norm, c.d_norm) == (64, 64, 4, "batch", "batch")
    # CGAN keeps the paper's training setup (its defaults were not re-measured)
    cg = CGANConfig()
    assert (cg.g_lr, cg.d_lr, cg.update, cg.precision) == (2e-4, 2e-4, "alternating", "float32")
    assert (cg.gradient_penalty, cg.gp_weight, cg.augment) == ("none", 10.0, "none")
    # BiGAN's game takes no penalty: DCGAN's R1 default does not reach it (it would be refused)
    bg = BiGANConfig()
    bg.validate()
    assert (bg.gradient_penalty, bg.gp_weight, bg.augment) == ("none", 10.0, "none")


def test_radford2015_preset_sets_the_papers_training_setup():
    c = DCGANConfig.from_preset("radford2015")
    # Radford et al. 2015, section 4: mini-batch 128, Adam lr 0.0002, beta_1 0.5; Algorithm 1
    assert (c.batch_size, c.g_lr, c.d_lr, c.beta1) == (128, 2e-4, 2e-4, 0.5)
    assert (c.loss, c.update, c.ema, c.precision) == ("non_saturating", "alternating", None, "float32")
    assert (c.gradient_penalty, c.augment) == ("none", "none")  # the paper has neither
    assert c.preset == "radford2015"
    # every field the preset names is set, and the rest are the defaults
    default = DCGANConfig()
    for name, value in vars(c).items():
        expected = PRESETS["radford2015"].get(name, getattr(default, name))
        assert value == expected or name == "preset", name
    # values given beside the preset win
    assert DCGANConfig.from_preset("radford2015", batch_size=32).batch_size == 32
    assert DCGANConfig.from_preset().preset == "none" and DCGANConfig.from_preset() == default
    with pytest.raises(ConfigError, match="--preset must be one of none, radford2015. Received: 'x'"):
        DCGANConfig.from_preset("x")


def test_preset_flag_parses_with_flags_beside_it():
    name, config, explicit = train.parse_args(["dcgan", "--preset", "radford2015", "--g-lr", "1e-3"])
    assert config == DCGANConfig.from_preset("radford2015", g_lr=1e-3)
    # on resume the preset's fields count as given, so they replace the saved settings
    assert set(PRESETS["radford2015"]) | {"preset", "g_lr"} <= explicit


def test_cli_trains_the_preset_end_to_end(tmp_path, data_dir):
    run_dir = tmp_path / "paper"
    code = train.main(["dcgan", "--preset", "radford2015", *FAST, "--steps", "2", "--log-every", "1",
                       "--sample-every", "2", "--checkpoint-every", "2", "--output-dir", str(run_dir)])
    assert code == 0
    saved = json.loads((run_dir / "config.json").read_text())["config"]
    assert saved["preset"] == "radford2015"
    assert (saved["batch_size"], saved["g_lr"], saved["update"], saved["ema"], saved["precision"]) == (
        16, 2e-4, "alternating", None, "float32")  # --batch-size 16 given beside the preset
    assert len((run_dir / "metrics.csv").read_text().splitlines()) == 3  # header + steps 1, 2
    assert Path(run_dir / "samples" / "final.png").exists()
    model = train.load_model(str(run_dir))
    assert model.config.preset == "radford2015" and model.ema_generator is None
