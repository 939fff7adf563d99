"""Fast style transfer: Johnson et al. 2016's transform network trained with the perceptual loss.

Johnson, Alahi and Fei-Fei 2016, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution", https://arxiv.org/abs/1603.08155. The network and its paper-to-code map are in
:mod:`tfgan.style.feedforward`; the losses are Gatys et al.'s (:mod:`tfgan.style.gatys`) through
a frozen VGG16 (:mod:`tfgan.backbones`).

``python -m tfgan.train fast_style --style PATH[,PATH...]`` trains one network for one style
(several paths: one network for their equal-weight mix, lectures/06_style_transfer.md, Eq. (6)).
With ``--conditional`` several paths are N styles in one network (Dumoulin et al. 2017,
https://arxiv.org/abs/1610.07629): conditional instance norm with a (gamma, beta) per style
(lectures/12_fast_style_transfer.md, Eqs. (3)-(4)), each training photo drawn with a random style;
``python -m tfgan.stylize --method fast --style-weights 0.3,0.7`` mixes them. ``--init-from RUN``
(a conditional run whose styles begin this run's ``--style``) adds the remaining styles to that
network by training only their (gamma, beta), everything else frozen: the paper's fast adaptation.
The content images are random ``--image-size`` crops of photos (``sr_photos``: the real photos
that scikit-image ships, offline; ``folder:PATH`` for your own). Sample grids show fixed held-out
photos (the test split) beside their stylizations. ``python -m tfgan.stylize --method fast --run
RUN_DIR photo.jpg`` applies a trained network to photos of any size.

Paper -> code:

=========================================  =====================================================
x (content image), y_c = x                  a random crop of a training photo, in [-1, 1]
y_s (style target)                          ``--style``, resized to a longer side of --image-size
y_hat = f_W(x)                              ``self.generator(content)``
l_feat (relu2_2), l_style (relu1_2 ...     :class:`tfgan.style.gatys.Objective` on the layers of
  relu4_3), l_TV; lambda_c, lambda_s,        :mod:`tfgan.style.feedforward`; ``--content-weight``,
  lambda_TV (paper eq. 5 and section 4)      ``--style-weight``, ``--tv-weight``
Adam, lr 1e-3, batch 4, 256x256             ``--g-lr``, ``--batch-size``, ``--image-size`` (128)
=========================================  =====================================================

Loss weights and settings for the offline ``hed`` VGG16 (the default loss network): content 1,
style 1500 on *balanced* style layers (``--layer-weights balanced``), TV 0.1, Adam 1e-3, batch 4,
128-pixel crops, 1000 steps. Johnson et al.'s own weights (their public code: content 1, style 5,
both mean squared errors, Grams divided by C H W) rewritten for this library's normalizations are
``--layer-weights johnson`` (:data:`tfgan.style.feedforward.STYLE_LAYER_WEIGHTS` = (64 / C_l)^2)
with a style weight of 5 x 4 / 64^2 x 2 = 10 / 64^2 = 2.4e-3 (4 / C_l^2 from the Gram
normalization, 2 because our content loss is half the mean squared error). They assume the
ImageNet VGG's activation scales; in the ``hed`` network the activations shrink with depth, and
measured on the course photos at 128 px relu1_2 made 99.9% of the style loss (style 6e-4: 7576 of
7581 for a photo, relu4_3 under 0.01): the network matched the painting's overall grey-blue and
pixel-scale texture and never its strokes, and after 1000 steps the photos came out desaturated
with a faint texture. :func:`tfgan.style.feedforward.balanced_layer_weights` (w_l = 1 / mean(A_l^2),
each layer's Gram error relative to its target) gives the four layers comparable shares (1747,
346, 525, 581 for the same photo at style 1500); measured on ``--style starry_night`` at 128 px,
400 steps each (held-out content / style loss): style 1500 keeps the photos (446 / 156), 5000
loses them in swirls (567 / 584), lr 3e-3 trains worse than 1e-3 (560 / 181), and Johnson's
weights stay grey-blue (style 6e-4: a blurred photo; 2e-3: bright blobs on a blur). After 1000 steps with the defaults the photos are the
painting's blue with yellow accents and swirling strokes, recognisable, with dark or yellow blobs
in some flat areas; docs/images/fast_style_hed_starry_night.png shows the same run after 3000
steps beside Gatys on the same loss (lectures/12_fast_style_transfer.md, section 7).
A step costs 0.65 CPU-seconds here (AVX-512, the VGG in bfloat16); with oneDNN capped to AVX2 (a
laptop's instructions, the VGG in float32) 1.6 CPU-seconds, 27 CPU-minutes for the 1000: an
hour-scale laptop job, where the paper's 40,000 steps at 256 px are out of reach. With
``--vgg-weights imagenet`` the balanced weights apply as well; ``--layer-weights johnson
--style-weight 2.4e-3`` is Johnson et al.'s loss.

Departures: COCO's 80k photos are replaced offline by random crops of 14 photos (flipped and
rotated, ``--augment``), and one-colour crops are left out (:func:`tfgan.style.feedforward.is_flat`:
they made the gradient of the instance norms explode); the style layers are balanced by default
(above); the TV weight is ours (their 1e-6 multiplies a differently normalized TV); see also :mod:`tfgan.style.feedforward`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from tfgan.errors import ConfigError, RunError
from tfgan.layers import ConditionalInstanceNormalization
from tfgan.models.base import AdversarialModel, TrainConfig
from tfgan.style import feedforward

PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass
class FastStyleConfig(TrainConfig):
    """Fast style transfer settings: Johnson et al. 2016's network and optimizer (section 4), loss
    weights, crop size and steps tuned for the offline hed VGG16 on a CPU (see the module docstring)."""

    dataset: str = field(
        default="sr_photos",
        metadata={"help": "content photos to crop (sr_photos offline, folder:PATH; see tfgan.data)"},
    )
    steps: int = field(default=1000, metadata={"help": "training steps (paper: 40000 at batch 4)", "min": 1})
    batch_size: int = field(default=4, metadata={"help": "content crops per step", "min": 1})
    g_lr: float = field(default=1e-3, metadata={"help": "learning rate of the transform network (Adam)",
                                                "min": 0, "min_exclusive": True})
    beta1: float = field(default=0.9, metadata={"help": "Adam beta_1", "min": 0, "max": 1, "max_exclusive": True})
    num_samples: int = field(
        default=3, metadata={"help": "held-out photos in each sample grid (rows: photo | stylized)", "min": 1}
    )
    style: str = field(
        default="starry_night",
        metadata={"help": "style image PATH[,PATH...] (several: their equal mix), or starry_night "
                          "(the course's sample painting)"},
    )
    image_size: int = field(default=128, metadata={"help": "side of the square content crops (multiple of 4; "
                                                          "paper: 256)",
                                                   "min": 16})
    crops_per_image: int = field(
        default=8, metadata={"help": "crops taken from each photo per pass (an epoch is one pass)", "min": 1}
    )
    augment: bool = field(default=True, metadata={"help": "random flips and 90-degree rotations of crops"})
    conditional: bool = field(
        default=False,
        metadata={"help": "one network for the N --style images: conditional instance norm, a "
                          "(gamma, beta) per style (Dumoulin et al. 2017); without it several styles "
                          "are one mixed target"},
    )
    init_from: str | None = field(
        default=None,
        metadata={"help": "a --conditional fast_style run whose styles begin --style: add the other "
                          "styles by training only their (gamma, beta), the rest frozen"},
    )
    norm: str = field(
        default="instance",
        metadata={"help": "normalization: instance (Ulyanov et al.) or batch (Johnson et al.'s original)",
                  "choices": feedforward.NORMALIZATIONS},
    )
    filters: int = field(default=32, metadata={"help": "filters of the first layer (paper: 32)", "min": 1})
    residual_blocks: int = field(default=5, metadata={"help": "residual blocks (paper: 5)", "min": 1})
    upsample: str = field(
        default="resize",
        metadata={"help": "upsampling: resize-convolution or transposed convolution (the paper's)",
                  "choices": feedforward.UPSAMPLING},
    )
    content_weight: float = field(default=1.0, metadata={"help": "lambda_c", "min": 0})
    style_weight: float = field(default=1500.0, metadata={"help": "lambda_s (tuned for the hed VGG16 with "
                                                                   "balanced layers; Johnson et al.'s: "
                                                                   "2.4e-3 with --layer-weights johnson)",
                                                           "min": 0})
    tv_weight: float = field(default=0.1, metadata={"help": "lambda_TV", "min": 0})
    layer_weights: str = field(
        default="balanced",
        metadata={"help": "weights w_l of the style layers: balanced (1 / mean square of each layer's "
                          "Gram target) or johnson (Johnson et al.'s, for the ImageNet VGG)",
                  "choices": feedforward.LAYER_WEIGHTINGS},
    )
    vgg_weights: str = field(
        default="hed",
        metadata={"help": "VGG16 weights of the loss network: hed (offline), imagenet, a .weights.h5 "
                          "path, or none (random: tests)"},
    )
    vgg_precision: str = field(
        default="auto",
        metadata={"help": "compute precision of the loss network (auto: bfloat16 where the CPU has it)",
                  "choices": PRECISIONS},
    )

    def check(self):
        super().check()
        if self.image_size % feedforward.SIZE_MULTIPLE:
            raise ConfigError(
                f"--image-size must be a multiple of {feedforward.SIZE_MULTIPLE} (the network halves it "
                f"twice). Received: {self.image_size}"
            )
        if not self.style_paths():
            raise ConfigError(f"--style must name at least one image. Received: {self.style!r}")
        if self.conditional and self.norm != "instance":
            raise ConfigError(f"--conditional needs --norm instance (conditional instance norm). "
                              f"Received: --norm {self.norm}")
        if self.init_from and not self.conditional:
            raise ConfigError("--init-from adds styles to a --conditional network; pass --conditional "
                              "and --style with the run's styles first, then the new ones")

    def style_paths(self):
        return [p.strip() for p in self.style.split(",") if p.strip()]

    @property
    def num_styles(self):
        """N of a --conditional network, else None (one network, one (mixed) style)."""
        return len(self.style_paths()) if self.conditional else None


class _Adaptation(tf.Module):
    """The checkpointed state of --init-from: the number of frozen leading styles."""

    def __init__(self):
        super().__init__(name="adaptation")
        self.frozen_styles = tf.Variable(0, dtype=tf.int32, trainable=False, name="frozen_styles")


class FastStyle(AdversarialModel):
    """The transform network f_W trained alone (no discriminator) on the perceptual loss.

    ``model(content)`` maps photos in [-1, 1] (sides multiples of 4) to stylized ones;
    :func:`tfgan.inference.stylize_image` handles uint8 photos of any size. The VGG loss network
    and the style targets are built when training starts, never for inference.
    """

    config_class = FastStyleConfig
    tracker_names = ("loss", "content", "style", "tv")

    def __init__(self, config=None, generator=None, **kwargs):
        super().__init__(config, **kwargs)
        cfg = self.config
        self.generator = generator if generator is not None else feedforward.build_transform_network(
            cfg.filters, cfg.residual_blocks, cfg.upsample, num_styles=cfg.num_styles, norm=cfg.norm)
        self.discriminator = None
        self._objective = [None]  # a list: Keras must not track the VGG as part of the model
        # Styles 0..frozen_styles-1 came from --init-from and stay fixed; checkpointed, so a resumed
        # adaptation run keeps training only the new styles.
        self._adaptation = [_Adaptation()]  # a list: not a Keras-tracked weight of the model

    @property
    def frozen_styles(self):
        """How many leading styles came from --init-from and stay fixed (0: none), a variable."""
        return self._adaptation[0].frozen_styles

    def checkpoint_items(self):
        items = super().checkpoint_items()
        return {**items, "adaptation": self._adaptation[0]} if self.config.conditional else items

    # -- styles ----------------------------------------------------------------------------------
    def style_weights(self, weights=None, batch=1):
        """The (batch, N) style-weights input of a conditional network: ``weights`` (one per style,
        >= 0, not all 0) normalized to sum 1, a convex mix (lectures/12_fast_style_transfer.md,
        Eq. (4)); None: the first style. ``RunError`` for a one-style network or a bad list."""
        n = self.config.num_styles
        if n is None:
            if weights is None:
                return None
            raise RunError(f"--style-weights needs a --conditional fast_style run (several styles in one "
                           f"network); this run has one network for style {self.config.style!r}")
        w = np.eye(n, dtype=np.float64)[0] if weights is None else np.asarray(weights, np.float64)
        if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise RunError(f"--style-weights must be {n} numbers >= 0, not all 0 (one per style: "
                           f"{', '.join(self.config.style_paths())}). Received: {list(np.ravel(weights))}")
        return np.tile((w / w.sum()).astype(np.float32), (batch, 1))

    def stylize(self, content, style_weights=None, training=False):
        """f_W(content), or f_W(content, s) of a conditional network with ``style_weights`` (batch, N)."""
        if self.config.num_styles is None:
            return self.generator(content, training=training)
        if style_weights is None:
            style_weights = self.style_weights(batch=content.shape[0])
        content = tf.convert_to_tensor(content, tf.float32)
        return self.generator([content, tf.convert_to_tensor(style_weights, tf.float32)], training=training)

    # -- the loss network ------------------------------------------------------------------------
    @property
    def objective(self):
        """The :class:`tfgan.style.gatys.Objective` with the style targets set, built on first use.

        Raises ``tfgan.errors.RunError`` for unreadable style images or unavailable VGG weights.
        """
        if self._objective[0] is None:
            from tfgan import backbones
            from tfgan.style import gatys

            cfg = self.config
            weights = None if cfg.vgg_weights.lower() in ("none", "random") else cfg.vgg_weights
            try:
                styles = [self.style_image(path) for path in cfg.style_paths()]
                extractor = backbones.FeatureExtractor(
                    feedforward.CONTENT_LAYERS + feedforward.STYLE_LAYERS, backbone="vgg16",
                    weights=weights, precision=cfg.vgg_precision)
            except (ValueError, backbones.WeightsUnavailableError) as err:  # ImageError is a ValueError
                raise RunError(str(err)) from None
            objective = gatys.Objective(extractor, feedforward.CONTENT_LAYERS, feedforward.STYLE_LAYERS,
                                        feedforward.STYLE_LAYER_WEIGHTS, content_weight=cfg.content_weight, style_weight=cfg.style_weight,
                                        tv_weight=cfg.tv_weight)
            if cfg.layer_weights == "balanced":  # w_l from the (mean) Gram targets, then the targets again;
                # --conditional: one w_l for all styles, from their mean target
                objective.set_style(styles)
                objective.layer_weights = feedforward.balanced_layer_weights(objective.style_targets)
            if cfg.conditional:  # one Gram target per style, stacked: (N, C, C) per layer
                grams = []
                for style in styles:
                    objective.set_style([style])
                    grams.append(objective.style_targets)  # one style: no constant term
                objective.style_grams = {n: tf.concat([g[n] for g in grams], 0) for n in feedforward.STYLE_LAYERS}
            else:
                objective.set_style(styles)  # y_s; several: the mean Gram target, lectures/06_style_transfer.md, Eq. (6)
            self._objective[0] = objective
        return self._objective[0]

    def style_image(self, path):
        """One style image as float32 RGB in [0, 255], its longer side ``image_size``."""
        from tfgan.style import gatys

        side = self.config.image_size
        if path in gatys.SAMPLE_STYLES:
            image = gatys.sample_style_image(path)
        else:
            image = gatys.load_image(path)
        return gatys.resize_max(image, side, upscale=True)

    def perceptual_terms(self, content, stylized, styles=None):
        """lambda_c l_feat + lambda_s l_style + lambda_TV l_TV of ``stylized`` (both in [-1, 1])
        against the content batch and the style targets; a dict with ``total``. ``styles``
        (conditional networks): each image's style index, whose Gram target it is scored against."""
        from tfgan.backbones import to_pixels

        objective = self.objective
        features = objective.extractor(to_pixels(content))
        targets = {n: tf.stop_gradient(features[n]) for n in objective.content_layers}  # phi_j(y_c)
        grams = None if styles is None else {n: tf.gather(g, styles) for n, g in objective.style_grams.items()}
        return objective(to_pixels(stylized), content_targets=targets, style_targets=grams)

    def random_styles(self, batch):
        """A style index per photo, uniform over the styles being trained (the new ones only
        after --init-from)."""
        n = self.config.num_styles
        return keras.random.randint((batch,), self.frozen_styles, n, seed=self.seed_generator, dtype="int32")

    def train_step(self, data):
        content = data  # x = y_c
        styles = weights = None
        if self.config.conditional:
            styles = self.random_styles(tf.shape(content)[0])  # s
            weights = tf.one_hot(styles, self.config.num_styles)
        with tf.GradientTape() as tape:
            stylized = self.stylize(content, weights, training=True)  # y_hat = f_W(x) or f_W(x, s)
            terms = self.perceptual_terms(content, stylized, styles)
        self.optimizer_step(tape, terms["total"], self.generator, self.g_optimizer)
        return self.track(loss=terms["total"], content=terms["content"], style=terms["style"], tv=terms["tv"])

    # -- fast adaptation to new styles (--init-from) -----------------------------------------------
    def initialize_from(self, source):
        """Copy a conditional run's network into this one, whose first styles are that run's
        (Dumoulin et al.'s fast adaptation); the new styles' (gamma, beta) start at their mean
        over the old styles. ``source`` is a :class:`tfgan.runs.SavedRun`, which ``tfgan.trainer``
        opens. Returns the names of what was restored; ``RunError`` when the runs do not fit."""
        cfg, old = self.config, source.config
        if source.model_name != "fast_style" or not getattr(old, "conditional", False):
            raise RunError(f"--init-from {source.run_dir} is not a --conditional fast_style run; train one "
                           "with python -m tfgan.train fast_style --conditional --style A,B,...")
        fields = ("filters", "residual_blocks", "upsample")
        diffs = [f"--{f.replace('_', '-')} {getattr(old, f)}" for f in fields if getattr(old, f) != getattr(cfg, f)]
        if diffs:
            raise RunError(f"--init-from {source.run_dir} has {', '.join(diffs)}; pass the same settings")
        old_styles, styles = old.style_paths(), cfg.style_paths()
        if styles[:len(old_styles)] != old_styles or len(styles) == len(old_styles):
            raise RunError(f"--style must list the styles of {source.run_dir} first, then at least one new "
                           f"one: --style {','.join(old_styles)},NEW. Received: --style {cfg.style}")
        if source.checkpoint is None:
            raise RunError(f"--init-from {source.run_dir} has no checkpoint yet; train it first")
        trained = feedforward.build_transform_network(old.filters, old.residual_blocks, old.upsample,
                                                      num_styles=len(old_styles))
        restored = tf.train.Checkpoint(generator=trained).restore(source.checkpoint)
        restored.expect_partial().assert_existing_objects_matched()
        k = len(old_styles)
        for layer, mine in zip(trained.layers, self.generator.layers):
            if isinstance(layer, ConditionalInstanceNormalization):
                for theirs, ours in ((layer.gamma, mine.gamma), (layer.beta, mine.beta)):
                    value = theirs.numpy()
                    ours.assign(np.concatenate([value, np.repeat(value.mean(0, keepdims=True),
                                                                 ours.shape[0] - k, 0)]))
            else:
                for theirs, ours in zip(layer.weights, mine.weights):
                    ours.assign(theirs)
        self.frozen_styles.assign(k)
        return [f"shared weights and the (gamma, beta) of {k} style(s)"]

    def freeze_shared_weights(self):
        """After --init-from: only the conditional norms' (gamma, beta) stay trainable (the old
        styles' rows get zero gradients, since no photo is drawn with them)."""
        for layer in self.generator.layers:
            if layer.weights and not isinstance(layer, ConditionalInstanceNormalization):
                layer.trainable = False

    # -- data hooks of tfgan.train ---------------------------------------------------------------
    def image_set(self, split=None):
        from tfgan import data

        cfg = self.config
        return data.load_image_set(cfg.dataset, split or cfg.split, cfg.data_dir)

    def make_dataset(self, seed, repeat=True):
        """Random content crops in [-1, 1], one-colour crops left out (they make the gradient of the
        instance norms explode, :func:`tfgan.style.feedforward.is_flat`); first builds the loss
        network (bad styles fail here)."""
        from tfgan import data

        self.objective  # noqa: B018 - builds the loss network, or raises RunError
        cfg = self.config
        image_set = self.image_set()
        ds = data.random_crops(image_set, cfg.image_size, cfg.batch_size, seed, cfg.crops_per_image,
                               cfg.augment, repeat, size_flag="--image-size")
        ds = feedforward.drop_flat_crops(ds, cfg.batch_size)  # one-colour crops blow up IN's gradients
        ds = ds.map(lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.prefetch(tf.data.AUTOTUNE), image_set.count * cfg.crops_per_image

    def on_train_begin(self, start_step):
        self.objective  # noqa: B018 - a no-op once make_dataset ran
        if self.config.conditional and int(self.frozen_styles.numpy()) > 0:
            self.freeze_shared_weights()

    def preview_batch(self, num):
        """A fixed uint8 (num, s, s, 3) batch: centre squares of the held-out photos, s = image_size."""
        side = self.config.image_size
        photos = self.image_set("test").numpy(num)
        crops = []
        for i in range(num):
            photo = photos[i % len(photos)]
            h, w = photo.shape[:2]
            s = min(h, w)
            square = photo[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
            crops.append(tf.image.resize(square, (side, side), method="area", antialias=True).numpy())
        return np.clip(np.round(np.stack(crops)), 0, 255).astype(np.uint8)

    def preview_grid(self, num):
        """Rows of held-out photos: photo | stylized (the run's sample PNGs); a conditional network:
        photo | style 1 | ... | style N."""
        from tfgan import viz

        if getattr(self, "_preview", None) is None or len(self._preview) != num:
            self._preview = self.preview_batch(num)
        content = self._preview / 127.5 - 1.0
        n = self.config.num_styles
        if n is None:
            columns = [viz.to_uint8(self.generator(content, training=False))]
        else:
            columns = [viz.to_uint8(self.stylize(content, np.tile(np.eye(n, dtype=np.float32)[s], (num, 1))))
                       for s in range(n)]
        rows = np.stack([self._preview, *columns], axis=1).reshape(-1, *self._preview.shape[1:])
        return viz.image_grid(rows, ncols=1 + len(columns))

    def sample(self, n, seed=None, z=None):
        """A style network maps photos to paintings; there is no latent space to sample."""
        raise RunError(
            "fast_style runs stylize photos instead of sampling from noise; use "
            "python -m tfgan.stylize --method fast --run RUN_DIR PHOTO --output OUT.png"
        )
