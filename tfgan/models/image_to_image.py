"""What pix2pix and CycleGAN share: settings, data, preview grids and held-out evaluation.

Lectures: ``lectures/08_image_to_image.md`` and ``lectures/09_cyclegan.md``; notebooks
``08_pix2pix.ipynb`` and ``09_cyclegan.ipynb``.
The models themselves are in :mod:`tfgan.models.pix2pix` and :mod:`tfgan.models.cyclegan`.

Sizes. The papers train at 256x256 (random crops of 286x286 resizes) with batch size 1 and 64
filters in the first generator and discriminator layers; those are the defaults for tfds and
folder datasets. The offline Fashion-MNIST tasks are 32x32, and at that size the defaults depart
from the papers for CPU speed: batch 16 and 32 first-layer filters (pix2pix), or 16 in G and 32
in D (CycleGAN, whose six generator passes per step dominate its cost; with 6 residual blocks,
the paper's own choice below 256 px). Fields left at None ("auto") are resolved from
the dataset when the config is made, and ``config.json`` records the resolved values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from tfgan import backbones, losses, metrics
from tfgan.errors import ConfigError
from tfgan.models.base import AdversarialModel, TrainConfig

#: The adversarial losses the translation models offer (names in ``tfgan.losses.LOSSES``).
GAN_LOSSES = ("non_saturating", "least_squares", "hinge")

#: The offline two-domain tasks built from Fashion-MNIST's shoes (see tfgan.data).
FASHION_TASKS = ("fashion_edges2shoes", "fashion_sneakers2boots")

#: PatchGAN receptive fields the discriminators offer (pix2pix, section 4.4): 1 is the PixelGAN.
PATCH_SIZES = (1, 16, 34, 70, 142, 286)


def dataset_shape(name):
    """The native (H, W, C) of a dataset, or None when it cannot be looked up (bad names are
    reported later, by ``validate`` or the data layer, with their own messages)."""
    from tfgan import data

    try:
        return tuple(data.info(name).image_shape)
    except Exception:  # noqa: BLE001 - any lookup failure means "unknown"
        return None


@dataclass
class ImageToImageConfig(TrainConfig):
    """Settings shared by pix2pix and CycleGAN; None fields are resolved from the dataset."""

    dataset: str = field(default="fashion_edges2shoes", metadata={"help": "two-domain dataset (see tfgan.data)"})
    batch_size: int | None = field(
        default=None,
        metadata={"help": "images per step (default: auto, 1 as in the papers for images of 128 px "
                          "or more, 16 for smaller ones)", "min": 1},
    )
    image_size: int | None = field(
        default=None,
        metadata={"help": "side of the square training images (default: auto, 256 as in the "
                          "papers, or the native size of smaller images: 32 for the Fashion-MNIST tasks)",
                  "min": 1},
    )
    channels: int | None = field(default=None, metadata={"help": "1 or 3 (default: auto, the dataset's)"})
    jitter: bool = field(default=True, metadata={"help": "random jitter: resize to 286/256 of the size, crop back"})
    mirror: bool = field(default=True, metadata={"help": "random left-right flips"})
    ngf: int | None = field(
        default=None,
        metadata={"help": "generator filters in the first layer (default: auto, 64; at 64 px or "
                          "less 32 in pix2pix, 16 in CycleGAN)", "min": 1},
    )
    ndf: int | None = field(
        default=None,
        metadata={"help": "discriminator filters in the first layer (default: auto, 64; 32 at 64 px or less)",
                  "min": 1},
    )
    patch_size: int = field(
        default=70, metadata={"help": "PatchGAN receptive field: 1, 16, 34, 70, 142 or 286 (default: 70)"}
    )

    #: First-layer filters of G and D for images of 64 px or less (the "auto" of ngf and ndf).
    small_filters: ClassVar[tuple[int, int]] = (32, 32)

    def resolve_auto(self):
        """Fill the None ("auto") fields from the dataset's native image shape (read from the data
        registry here, when the config is validated, not when it is made)."""
        native = dataset_shape(self.dataset) or (256, 256, 3)
        if self.image_size is None:
            self.image_size = 256 if native[0] >= 256 else int(native[0])
        if self.channels is None:
            self.channels = int(native[2]) if native[2] in (1, 3) else 3
        small = self.image_size <= 64
        if self.batch_size is None:
            self.batch_size = 16 if small else 1
        if self.ngf is None:
            self.ngf = self.small_filters[0] if small else 64
        if self.ndf is None:
            self.ndf = self.small_filters[1] if small else 64
        return self

    def check(self):
        super().check()
        if self.channels not in (1, 3):
            raise ConfigError(f"--channels must be 1 or 3. Received: {self.channels}")
        if self.patch_size not in PATCH_SIZES:
            raise ConfigError(
                f"--patch-size must be one of {', '.join(map(str, PATCH_SIZES))} (PatchGAN receptive "
                f"fields). Received: {self.patch_size}"
            )
        if patchgan_output_size(self.image_size, self.patch_size) < 1:
            smallest = next(s for s in range(1, 4096) if patchgan_output_size(s, self.patch_size) >= 1)
            raise ConfigError(
                f"--patch-size {self.patch_size} needs images of at least {smallest} px. Received: "
                f"--image-size {self.image_size}; pass a smaller --patch-size or a larger --image-size"
            )


def patchgan_layers(patch_size):
    """Number of stride-2 layers of a PatchGAN with this receptive field (0: PixelGAN, 1x1)."""
    if patch_size not in PATCH_SIZES:
        raise ValueError(f"patch_size must be one of {PATCH_SIZES}. Received: patch_size={patch_size!r}")
    return PATCH_SIZES.index(patch_size)


def patchgan_output_size(image_size, patch_size):
    """Side of the PatchGAN's logit map: each 4x4 stride-2 convolution (padding 1) halves the
    size, rounding down, and each of the two stride-1 ones takes 1 off."""
    n = patchgan_layers(patch_size)
    if n == 0:
        return image_size
    size = image_size
    for _ in range(n):
        size = (size + 2 - 4) // 2 + 1
    return size - 2


class ImageToImageModel(AdversarialModel):
    """Base of the translation models: data from :func:`tfgan.data.load_translation`, preview
    grids of a fixed held-out batch, :meth:`translate` and :meth:`evaluation`."""

    config_class: ClassVar[type] = ImageToImageConfig
    #: pix2pix needs aligned pairs; CycleGAN draws the two domains independently.
    paired_data: ClassVar[bool] = True
    #: Columns of the preview grids (a fixed held-out batch).
    preview_columns: ClassVar[int] = 8

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.g_loss_fn, self.d_loss_fn = losses.get_losses(self.config.gan_loss)
        self._held_out = {}

    @property
    def image_shape(self):
        cfg = self.config
        return (cfg.image_size, cfg.image_size, cfg.channels)

    @property
    def data_direction(self):
        return "a2b"

    # -- data ------------------------------------------------------------------------------------
    def make_dataset(self, seed, repeat=True):
        """Training batches ``(source, target)`` with the papers' jitter and mirroring."""
        from tfgan import data

        cfg = self.config
        dataset = data.load_translation(
            cfg.dataset, split=cfg.split, batch_size=cfg.batch_size, image_size=cfg.image_size,
            channels=cfg.channels, paired=self.paired_data, direction=self.data_direction,
            jitter=cfg.jitter, mirror=cfg.mirror, shuffle=True, seed=seed, repeat=repeat,
            data_dir=cfg.data_dir,
        )
        split = data.translation_data(cfg.dataset, cfg.split, cfg.data_dir)
        examples = split.num_a if self.paired_data and split.paired else max(split.num_a, split.num_b)
        self.on_examples_per_epoch(examples)
        return dataset, examples

    def on_examples_per_epoch(self, examples):
        """Called by ``make_dataset`` once the epoch size is known (CycleGAN's schedule uses it)."""

    def held_out_split(self):
        from tfgan import data

        splits = data.info(self.config.dataset).splits
        return "test" if "test" in splits else self.config.split

    def held_out(self, num=None):
        """The first ``num`` (None: all) held-out examples as float32 NumPy ``(source, target)``,
        resized to the training size, in a fixed order and without jitter. Unpaired datasets
        give the first images of each domain (as many as the smaller domain holds, at most)."""
        from tfgan import data

        key = num
        if key not in self._held_out:
            cfg = self.config
            split = self.held_out_split()
            info = data.translation_data(cfg.dataset, split, cfg.data_dir)
            available = min(info.num_a, info.num_b) if not info.paired else info.num_a
            count = available if num is None else min(int(num), available)
            if count < 1:
                raise ValueError(f"Dataset {cfg.dataset!r} split {split!r} holds no held-out examples.")
            ds = data.load_translation(
                cfg.dataset, split=split, batch_size=count, image_size=cfg.image_size,
                channels=cfg.channels, paired=self.paired_data, direction=self.data_direction,
                shuffle=False, data_dir=cfg.data_dir,
            )
            source, target = next(iter(ds))
            self._held_out[key] = (source.numpy(), target.numpy())
        return self._held_out[key]

    # -- inference -------------------------------------------------------------------------------
    def translate(self, images, direction=None, training=False):
        """Translate a batch of images in [-1, 1] (NHWC); subclasses pick the generator."""
        raise NotImplementedError

    def translate_batched(self, images, direction=None, batch_size=64):
        """:meth:`translate` over a NumPy array in chunks; returns float32 NumPy."""
        chunks = [
            np.asarray(self.translate(images[i : i + batch_size], direction))
            for i in range(0, len(images), batch_size)
        ]
        return np.concatenate(chunks) if chunks else np.zeros_like(images)

    def preview_rows(self, source, target):
        """The rows of a preview grid, each a batch of images."""
        raise NotImplementedError

    def preview_grid(self, num):
        """Rows of a fixed held-out batch (e.g. input | output | target), at most 8 columns."""
        from tfgan import viz

        columns = max(1, min(int(num), self.preview_columns))
        source, target = self.held_out(columns)
        rows = [np.asarray(r) for r in self.preview_rows(source, target)]
        scale = 2 if self.config.image_size <= 32 else 1
        return viz.image_grid(np.concatenate(rows), ncols=len(source), scale=scale)


# -- evaluation helpers --------------------------------------------------------------------------
def fashion_evaluation_classifier(config, classifier_model=None):
    """The classifier for feature-based metrics: the given one, the footwear classifier for the
    Fashion-MNIST tasks, or None (no Fréchet distances) for other datasets."""
    if classifier_model is not None:
        return classifier_model
    if config.dataset in FASHION_TASKS:
        return backbones.footwear_classifier(config.data_dir)
    return None


def paired_evaluation(model, num=None, classifier=None):
    """Held-out metrics of a paired translation model (pix2pix, pix2pixHD) on the first ``num``
    (None: all) test pairs, translated by ``model.translate`` (no dropout):

    * ``l1``: mean |G(x) - y| in [-1, 1] units (the training loss's L1 term);
    * ``psnr_db``: mean PSNR of G(x) against y (:func:`tfgan.metrics.psnr`, range 2);
    * with a classifier (the footwear classifier on the Fashion-MNIST tasks, or ``classifier``):
      ``fd``, the Fréchet distance between its features of G(x) and of y, and
      ``class_agreement``, how often it gives G(x) the class it gives y (the paper's
      "FCN-score" idea with a classifier instead of a segmentation network).
    """
    source, target = model.held_out(num)
    fake = model.translate_batched(source)
    results = {
        "examples": float(len(source)),
        "l1": float(np.mean(np.abs(fake - target))),
        "psnr_db": float(np.mean(metrics.psnr(target, fake, data_range=2.0, batched=True))),
    }
    judge = fashion_evaluation_classifier(model.config, classifier)
    if judge is not None and len(source) > 1:
        fake_logits, fake_features = backbones.logits_and_features(judge, fake)
        real_logits, real_features = backbones.logits_and_features(judge, target)
        results["fd"] = metrics.frechet_distance(fake_features, real_features)
        results["class_agreement"] = float(np.mean(fake_logits.argmax(1) == real_logits.argmax(1)))
    return results


__all__ = [
    "ImageToImageConfig", "ImageToImageModel", "GAN_LOSSES", "PATCH_SIZES", "FASHION_TASKS",
    "patchgan_layers", "patchgan_output_size", "fashion_evaluation_classifier", "paired_evaluation",
]
