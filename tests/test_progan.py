"""Progressive GAN (Karras et al. 2018): fade-in of G, D and the real images
(lectures/14_progressive_and_stylegan.md, Eq. (1)), the schedule, parameter counts, a real train
step, resume mid-fade, the CLI end to end and its bad flags."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfgan import callbacks, losses, train
from tfgan.models import ProGAN, ProGANConfig
from tfgan.models.progan import num_levels

TINY = dict(image_shape=(16, 16, 1), filters=4, max_filters=8, latent_dim=8, batch_size=4,
            stable_steps=2, fade_steps=4)


def tiny(**changes):
    return ProGAN(ProGANConfig(**{**TINY, **changes}))


def np_up(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


def np_down(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("level", [1, 2])
def test_generator_fade_in_blends_the_upsampled_old_output_and_the_new_one(level, alpha):
    g = tiny().generator
    z = tf.random.stateless_normal((3, 8), seed=[level, 1])
    old = np_up(g(z, level=level - 1, alpha=1.0).numpy())  # up(toRGB_old(h))
    new = g(z, level=level, alpha=1.0).numpy()  # toRGB_new(block(up(h)))
    got = g(z, level=level, alpha=alpha).numpy()
    assert got.shape == (3, 4 * 2**level, 4 * 2**level, 1)
    np.testing.assert_allclose(got, (1 - alpha) * old + alpha * new, rtol=1e-5, atol=1e-6)
    if 0 < alpha < 1:
        assert np.abs(old - new).max() > 1e-3  # the two paths differ, so the blend means something


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_discriminator_fade_in_blends_old_and_new_features(alpha):
    d = tiny().discriminator
    x = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
    lrelu = lambda t: tf.nn.leaky_relu(t, 0.2)  # noqa: E731
    h = lrelu(d.from_rgb[1](x))
    for conv in d.blocks[1]:
        h = lrelu(conv(h))
    new = np_down(h.numpy())  # block(fromRGB_new(x))
    old = lrelu(d.from_rgb[0](np_down(x))).numpy()  # fromRGB_old(down(x))
    expected = d.trunk(tf.constant((1 - alpha) * old + alpha * new), 0).numpy()
    np.testing.assert_allclose(d(x, level=1, alpha=alpha).numpy(), expected, rtol=1e-4, atol=1e-5)
    if alpha == 0:  # only the old path: D at 4x4 on the downsampled images
        np.testing.assert_allclose(d(x, level=1, alpha=0.0), d(np_down(x), level=0), rtol=1e-4, atol=1e-5)


def test_real_images_fade_like_the_generator_output():
    model = tiny()
    x = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    model._level = 1
    model.generator.alpha.assign(0.25)
    real, _ = model.split_batch(x)
    x8 = np_down(x)
    np.testing.assert_allclose(real, 0.75 * np_up(np_down(x8)) + 0.25 * x8, rtol=1e-5, atol=1e-6)


def test_schedule_levels_alpha_and_grid_milestones():
    model = tiny()  # 3 levels, stable 2, fade 4: 4x4 for steps 0-1, 8x8 from 2, 16x16 from 8
    assert [model.level_start(lv) for lv in range(3)] == [0, 2, 8]
    assert [model.level_at(s) for s in (0, 1, 2, 7, 8, 100)] == [0, 0, 1, 1, 2, 2]
    assert [model.alpha_at(s) for s in (0, 1, 2, 3, 5, 6, 7, 8, 11)] == [1, 1, .25, .5, 1, 1, 1, .25, 1]
    assert float(model.alpha_at(tf.constant(3, tf.int64))) == 0.5
    assert model.grid_milestones(20) == {2: "res_004.png", 8: "res_008.png", 20: "res_016.png"}
    assert model.grid_milestones(5) == {2: "res_004.png", 5: "res_008.png"}
    assert tiny(fade_steps=0).alpha_at(2) == 1.0
    assert [num_levels((s, s, 3)) for s in (4, 8, 32, 64)] == [1, 2, 4, 5]


def test_pinned_parameter_counts():
    model = ProGAN(ProGANConfig())  # 32x32x1, z 128, filters 64, 64, 32, 16 at 4, 8, 16, 32
    conv = lambda k, cin, cout: k * k * cin * cout + cout  # noqa: E731
    g = (128 * 16 * 64 + 16 * 64 + conv(3, 64, 64)  # z -> 4x4x64, 3x3 conv
         + 2 * conv(3, 64, 64) + conv(3, 64, 32) + conv(3, 32, 32) + conv(3, 32, 16) + conv(3, 16, 16)
         + sum(conv(1, f, 1) for f in (64, 64, 32, 16)))  # toRGB at each level
    d = (sum(conv(1, 1, f) for f in (64, 64, 32, 16))  # fromRGB
         + 2 * conv(3, 64, 64) + conv(3, 32, 32) + conv(3, 32, 64) + conv(3, 16, 16) + conv(3, 16, 32)
         + conv(3, 65, 64) + 16 * 64 * 64 + 64 + 65)  # minibatch std map, dense, logit
    assert (g, d) == (277_716, 212_081)
    assert sum(int(np.prod(v.shape)) for v in model.generator.trainable_variables) == g
    assert model.generator.count_params() == g + 2  # + the level and alpha it has reached
    assert model.discriminator.count_params() == d
    assert model.sample(2, seed=0).shape == (2, 32, 32, 1)


def test_cost_phases_give_each_resolution_its_multiply_adds():
    model = tiny()  # 16x16: feature maps 8, 8, 4 at 4x4, 8x8, 16x16
    # 4x4 by hand: z -> 4x4x8, 3x3 conv 8 -> 8 on 16 pixels, toRGB and fromRGB 1x1 on 16 pixels,
    # D's 3x3 conv (8 + the minibatch-stddev map) -> 8, dense 128 -> 8, logit
    assert model.step_macs(0) == 8 * 128 + 9 * 8 * 8 * 16 + 8 * 16 + 8 * 16 + 9 * 9 * 8 * 16 + 128 * 8 + 8
    phases = model.cost_phases(20)
    assert [(first, label) for first, _, label in phases] == [(0, "4x4"), (2, "8x8"), (8, "16x16")]
    costs = [cost for _, cost, _ in phases]
    assert costs == sorted(costs) and costs[2] > 3 * costs[0]
    assert len(model.cost_phases(8)) == 2  # a run that ends before 16x16 begins


def test_time_estimate_times_each_phase(monkeypatch):
    """Steps of 1, 3 and 5 s in three phases of cost 1, 4 and 7 (time = (2 cost + 1) / 3), each
    phase's first step 10 s more (tracing): one line per phase, the first a range, the second
    extrapolated along the line through the two measured phases, the last exact."""
    clock = [0.0]
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: clock[0])
    lines = []
    phases = [(0, 1.0, "4x4"), (30, 4.0, "8x8"), (60, 7.0, "16x16")]
    estimate = callbacks.TimeEstimate(0, 90, 64, write=lines.append, phases=phases)
    uniform = callbacks.TimeEstimate(0, 90, 64, write=lines.append)
    for step in range(90):
        clock[0] += {0: 1.0, 1: 3.0, 2: 5.0}[step // 30] + (10.0 if step % 30 == 0 else 0.0)
        estimate.on_train_batch_end(step, {"d_loss": 1.0})
        if step < 25:
            uniform.on_train_batch_end(step, {"d_loss": 1.0})
    assert len(lines) == 4
    # after 21 steps: 9 more at 1 s, then 60 at 1 s (as cheap) to 4 s and 7 s (all cost scales)
    assert lines[0].startswith("Estimated time for 69 more steps: ~69 s to ~5 min 39 s (4x4 steps: 64 images/s;")
    assert lines[1] == "Estimated time for 69 more steps: ~69 s (64 images/s)"  # no phases: one rate
    # after 51: 9 more at 3 s, then 30 at the line's 5 s (the truth: 27 + 10 + 150 s)
    assert lines[2].startswith("Estimated time for 39 more steps: ~2 min 57 s (8x8 steps: 21 images/s;")
    assert lines[3] == "Estimated time for 9 more steps: ~45 s (13 images/s)"


def test_a_train_step_mid_fade_updates_exactly_the_layers_in_use():
    model = tiny()
    model.compile()
    model.g_optimizer.iterations.assign(3)  # level 1 (8x8), second fade step: alpha 0.5
    g, d = model.generator, model.discriminator
    g0 = {v.path: v.numpy().copy() for v in g.trainable_variables}
    d0 = {v.path: v.numpy().copy() for v in d.trainable_variables}
    logs = model.train_step(tf.random.uniform((4, 16, 16, 1), -1, 1, seed=2))
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert int(g.level.numpy()) == 1 and float(g.alpha.numpy()) == 0.5
    for net, before in ((g, g0), (d, d0)):
        used = {v.path for v in net.variables_at(1)}
        changed = {v.path for v in net.trainable_variables if not np.array_equal(before[v.path], v.numpy())}
        assert changed == used, (net.name, sorted(changed ^ used))
    assert not any("16" in p for p in used)  # the 16x16 block waits for its level


def test_fade_in_images_for_a_figure():
    model = tiny()
    rows = model.fade_in_images(1, [0, 0.5, 1], num=2, seed=3)
    assert rows.shape == (3, 2, 16, 16, 1) and rows.min() >= -1 and rows.max() <= 1
    z = model.latent(2, seed=3)
    at_4x4 = np.clip(np_up(np_up(model.generator(z, level=0).numpy())), -1, 1)
    np.testing.assert_allclose(rows[0], at_4x4, atol=1e-6)  # alpha 0: the old path alone
    with pytest.raises(ValueError, match="level.*Received: 0"):
        model.fade_in_images(0, [0.5])


def test_a_folder_of_photos_is_cropped_and_resized_to_the_image_shape(tmp_path):
    from tfgan import viz

    for i in range(10):  # photos of two sizes; the left and right 4 columns are cropped away
        photo = np.full((16 + 2 * (i % 2), 24, 3), 255, np.uint8)
        photo[:, :4] = photo[:, -4:] = 0
        viz.save_png(tmp_path / "photos" / f"{i}.png", photo)
    model = tiny(dataset=f"folder:{tmp_path / 'photos'}", image_shape=(8, 8, 1))
    dataset, examples = model.make_dataset(seed=0)
    batch = next(iter(dataset)).numpy()
    assert batch.shape == (4, 8, 8, 1) and examples == 9  # the last 10% is the test split
    np.testing.assert_allclose(batch[:, 2:-2, 2:-2], 1.0, atol=1e-3)  # white centre, in [-1, 1]
    assert batch.min() >= -1.0


def test_drift_penalty_by_hand():
    assert float(losses.drift_penalty(tf.constant([[1.0], [-3.0]]))) == pytest.approx(5.0)


@pytest.mark.slow
def test_resume_mid_fade_continues_alpha(tmp_path, data_dir):
    config = ProGANConfig(**{**TINY, "image_shape": (8, 8, 1)}, split="test", steps=4, checkpoint_every=4,
                          sample_every=100, log_every=1, output_dir=str(tmp_path / "run"))
    train.run(config, progress=False)  # steps 0-1 at 4x4, fade steps 2-3: alpha 0.25, 0.5
    mid = train.load_model(config.output_dir)
    assert int(mid.generator.level.numpy()) == 1 and float(mid.generator.alpha.numpy()) == 0.5
    assert sorted(os.listdir(tmp_path / "run" / "samples")) == [
        "final.png", "res_004.png", "res_008.png", "step_000000.png"]
    train.run(config.replace(steps=5), progress=False)  # resumed: step 4 has alpha 0.75
    after = train.load_model(config.output_dir)
    assert int(after.step_counter.numpy()) == 5 and float(after.generator.alpha.numpy()) == 0.75


def _cli(module, *args):
    env = dict(os.environ, TFGAN_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.slow
def test_cli_grows_to_full_size_and_generates(tmp_path, data_dir):
    run_dir = tmp_path / "progan"
    out = _cli("tfgan.train", "progan", "--split", "test", "--image-shape", "16,16,1", "--filters", "4",
               "--max-filters", "8", "--latent-dim", "8", "--batch-size", "4", "--stable-steps", "1",
               "--fade-steps", "1", "--steps", "6", "--sample-every", "100", "--output-dir", str(run_dir))
    assert out.returncode == 0, out.stderr
    assert "Done: 6 steps" in out.stdout
    assert {"res_004.png", "res_008.png", "res_016.png", "final.png"} <= set(os.listdir(run_dir / "samples"))
    gen = _cli("tfgan.generate", str(run_dir), "--num", "3", "--output", str(tmp_path / "s.npz"))
    assert gen.returncode == 0, gen.stderr
    assert np.load(tmp_path / "s.npz")["images"].shape == (3, 16, 16, 1)


@pytest.mark.parametrize("argv, message", [
    (["--image-shape", "24,24,1"], "H in 4, 8, 16, ..., 1024. Received: (24, 24, 1)"),
    (["--feature-matching"], "progan supports none of --feature-matching"),
    (["--batch-size", "6"], "--batch-size must be a multiple of 4. Received: --batch-size 6"),
    (["--fade-steps", "-1"], "--fade-steps must be >= 0. Received: -1"),
])
def test_bad_flags_exit_2_with_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert train.main(["progan", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
