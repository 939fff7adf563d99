"""Run-directory naming (tfgan.runs)."""

from tfgan import runs
from tfgan.models import DCGANConfig


def test_settings_run_dir_changes_with_settings_not_with_location():
    base = DCGANConfig(dataset="mnist", steps=100)
    same = runs.settings_run_dir("r", "dcgan", base)
    assert same.startswith("r/dcgan_mnist-") and len(same.split("-")[-1]) == 8
    assert runs.settings_run_dir("r", "dcgan", base.replace(output_dir="elsewhere", resume=True)) == same
    assert runs.settings_run_dir("r", "dcgan", base.replace(steps=101)) != same
    assert runs.settings_run_dir("r", "dcgan", base.replace(seed=1)) != same
