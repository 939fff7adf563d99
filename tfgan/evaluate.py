"""Evaluate generators: ``python -m tfgan.evaluate {train-classifier,augment,RUN_DIR}``.

Lecture: ``lectures/05_evaluation.md``; notebook: ``notebooks/05_conditional_gan_and_evaluation.ipynb``.

``python -m tfgan.evaluate train-classifier --dataset mnist``
    Trains the dataset's classifier, the "Inception network" of the lecture for 28x28 data
    (:mod:`tfgan.classifier`), and saves it with its held-out accuracy. Its logits give the
    (classifier) Inception score, its penultimate 128 features the Fréchet distance. It trains on
    the train split when there is one; offline, where only MNIST's test split exists, on the first
    8,000 test digits, holding out the last 2,000 for the accuracy.

``python -m tfgan.evaluate RUN_DIR [--num 10000]``
    Prints the Inception score ± std, the Fréchet distance to the real test split, the class
    histogram and the number of classes covered, and for conditional models the classifier's
    accuracy on the requested labels; writes them to ``RUN_DIR/eval.json``. Models that are not
    z -> image generators (image translation, super-resolution) report their own metrics through
    their ``evaluation()`` method. ``--inception`` adds the ImageNet InceptionV3 scores (299x299
    resize), which need the ImageNet weights: downloaded once by Keras or ``--inception-weights
    PATH``; without them the command stops with a message instead of using random weights.

``python -m tfgan.evaluate augment RUN_DIR --real 500 --generated 5000``
    The lecture's last method: retrain the classifier on a small real subset, then on the same
    subset plus labelled generated samples (a conditional run), and compare held-out accuracy.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tfgan import backbones, cli
from tfgan.backbones import (  # noqa: F401 - the names notebooks call tfgan.evaluate.*
    INCEPTION_WEIGHTS_FILE, feature_model, inception_scores, logits_and_features,
)
from tfgan.errors import RunError
from tfgan.runs import load_model, load_run_config

PROG = "python -m tfgan.evaluate"
#: Subcommands besides the default, ``python -m tfgan.evaluate RUN_DIR`` (``score``).
SUBCOMMANDS = ("train-classifier", "augment", "score")

#: Offline (no train split) the classifier trains on test[:OFFLINE_TRAIN] and is checked on the rest.
OFFLINE_TRAIN = 8000
CLASSIFIER_EPOCHS = 8


# -- the dataset's classifier ---------------------------------------------------------------------
def classifier_path(dataset, directory=None):
    """Where ``train-classifier`` saves the classifier of ``dataset`` (``.weights.h5`` + ``.json``)."""
    from tfgan.classifier import default_cache_dir

    folder = Path(directory) if directory else default_cache_dir()
    return folder / f"{dataset.replace(':', '_').replace('/', '_')}.weights.h5"


def classifier_data(dataset, data_dir=None):
    """``(x_train, y_train, x_held_out, y_held_out, description)`` for the dataset's classifier."""
    from tfgan import data

    try:
        x_test, y_test = data.load_arrays(dataset, "test", data_dir=data_dir)
    except data.DatasetNotFoundError as err:
        raise RunError(str(err)) from None
    if y_test is None:
        raise RunError(f"Dataset {dataset!r} has no labels, so no classifier can be trained on it; "
                       "use --inception for ImageNet InceptionV3 scores")
    try:
        x_train, y_train = data.load_arrays(dataset, "train", data_dir=data_dir)
        return x_train, y_train, x_test, y_test, f"train split ({len(x_train)}), checked on the test split ({len(x_test)})"
    except data.DatasetNotFoundError:
        n = min(OFFLINE_TRAIN, int(0.8 * len(x_test)))
        return (x_test[:n], y_test[:n], x_test[n:], y_test[n:],
                f"test[:{n}] (no train split available), checked on test[{n}:] ({len(x_test) - n})")


def train_dataset_classifier(dataset, data_dir=None, path=None, epochs=CLASSIFIER_EPOCHS, seed=0):
    """Train, save and return ``(classifier, info)``; ``info`` holds the held-out accuracy."""
    from tfgan import classifier

    x_train, y_train, x_val, y_val, description = classifier_data(dataset, data_dir)
    t0 = time.perf_counter()
    model, acc = classifier.train_classifier(
        x_train, y_train, epochs=epochs, seed=seed, validation=(x_val, y_val), learning_rate=1e-3,
        num_classes=int(max(y_train.max(), y_val.max())) + 1, verbose=0,
    )
    path = Path(path) if path else classifier_path(dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(path)
    info = {"dataset": dataset, "accuracy": acc, "trained_on": description, "epochs": epochs,
            "input_shape": list(x_train.shape[1:]), "num_classes": int(model.output_shape[-1]),
            "seconds": round(time.perf_counter() - t0, 1), "path": str(path)}
    path.with_suffix("").with_suffix(".json").write_text(json.dumps(info, indent=2))
    return model, info


def load_dataset_classifier(dataset, data_dir=None, path=None, train_if_missing=True):
    """The saved classifier of ``dataset`` (trained first if missing); ``(classifier, info)``."""
    from tfgan import classifier

    path = Path(path) if path else classifier_path(dataset)
    meta = path.with_suffix("").with_suffix(".json")
    if not path.exists() or not meta.exists():
        if not train_if_missing:
            raise RunError(f"No classifier at {path}; run: python -m tfgan.evaluate train-classifier --dataset {dataset}")
        print(f"No saved classifier for {dataset}; training one first (about a minute)...", flush=True)
        return train_dataset_classifier(dataset, data_dir, path)
    info = json.loads(meta.read_text())
    model = classifier.build_classifier(tuple(info["input_shape"]), info["num_classes"])
    model.load_weights(path)
    return model, info


def score_images(images, clf, real_images, requested_labels=None, splits=10, real_features=None):
    """All classifier-based figures of a set of generated (or real) images, as a dict.

    ``real_features``: the penultimate features of ``real_images`` if already computed (from
    :func:`logits_and_features`), so that scoring several sets against the same real images runs
    the classifier over them once; ``real_images`` may then be None.
    """
    from tfgan import metrics

    logits, features = logits_and_features(clf, images)
    if real_features is None:
        if real_images is None:
            raise ValueError("Expected real_images or real_features for the Fréchet distance. Received neither.")
        _, real_features = logits_and_features(clf, real_images)
    num_classes = logits.shape[1]
    predicted = np.argmax(logits, axis=1)
    hist = metrics.class_histogram(predicted, num_classes)
    is_mean, is_std = metrics.inception_score(logits, splits=splits)
    result = {
        "num_samples": int(len(images)),
        "inception_score": is_mean, "inception_score_std": is_std,
        "frechet_distance": metrics.frechet_distance(features, real_features),
        "class_histogram": hist.tolist(),
        "classes_covered": metrics.modes_covered(hist),
    }
    if requested_labels is not None:
        result["conditional_accuracy"] = metrics.conditional_accuracy(predicted, requested_labels)
    return result


# -- ImageNet InceptionV3 -------------------------------------------------------------------------
def inception_v3(weights="imagenet"):
    """:func:`tfgan.backbones.inception_v3`; ``RunError`` (exit 2) when its weights are unavailable."""
    try:
        return backbones.inception_v3(weights)
    except backbones.WeightsUnavailableError as err:
        raise RunError(str(err)) from None


# -- evaluating a run -----------------------------------------------------------------------------
def sample_run(model, num, seed=0, batch_size=500):
    """``(images uint8, requested labels or None)``: ``num`` samples, labels cycling 0..K-1."""
    from tfgan.inference import generate

    labels = np.arange(num) % model.config.num_classes if getattr(model, "uses_labels", False) else None
    return generate(None, num, seed=seed, batch_size=batch_size, labels=labels, model=model), labels


def evaluate_run(run_dir, num=10_000, seed=0, classifier=None, data_dir=None, inception=False,
                 inception_weights=None, write=True):
    """Evaluate the latest checkpoint of ``run_dir``; returns the dict written to ``eval.json``."""
    from tfgan import data

    model = load_model(run_dir)
    config = model.config
    if hasattr(model, "evaluation"):  # translation and super-resolution models
        result = dict(model.evaluation(num=num))
    else:
        try:
            real, _ = data.load_arrays(config.dataset, "test", data_dir=data_dir or config.data_dir)
        except data.DatasetNotFoundError:
            real, _ = data.load_arrays(config.dataset, config.split, data_dir=data_dir or config.data_dir)
        images, labels = sample_run(model, num, seed)
        result = {}
        if inception:
            result.update(inception_scores(images, real[:num], inception_v3(inception_weights or "imagenet")))
        clf, info = load_dataset_classifier(config.dataset, data_dir or config.data_dir, classifier)
        if tuple(info["input_shape"]) != tuple(images.shape[1:]):
            raise RunError(f"The {config.dataset} classifier takes {tuple(info['input_shape'])} images; "
                           f"this run makes {tuple(images.shape[1:])}")
        result.update(score_images(images, clf, real[:num], labels))
        result["classifier_accuracy"] = info["accuracy"]
    result = {"run_dir": str(run_dir), "step": int(model.step_counter.numpy()), **result}
    if write:
        Path(run_dir, "eval.json").write_text(json.dumps(result, indent=2))
    return result


def augmentation_test(run_dir, real=500, generated=5000, seed=0, epochs=CLASSIFIER_EPOCHS, data_dir=None,
                      checkpoint=None):
    """Held-out accuracy of a classifier trained on ``real`` real images, then on the same images
    plus ``generated`` labelled samples of a conditional run (the lecture's last method).

    ``checkpoint``: a kept checkpoint (step or path) instead of the latest one.
    """
    from tfgan import classifier

    model = load_model(run_dir, checkpoint)
    if not getattr(model, "uses_labels", False):
        raise RunError(f"{run_dir} is not a conditional run; augment needs labelled samples (train a cgan)")
    x_train, y_train, x_val, y_val, _ = classifier_data(model.config.dataset, data_dir or model.config.data_dir)
    if real > len(x_train):
        raise RunError(f"--real {real} is more than the {len(x_train)} training images available")
    order = np.random.default_rng(seed).permutation(len(x_train))[:real]
    x_real, y_real = x_train[order], y_train[order]
    x_gen, y_gen = sample_run(model, generated, seed=seed + 10_000)
    k = model.config.num_classes
    _, base = classifier.train_classifier(x_real, y_real, epochs=epochs, seed=seed, validation=(x_val, y_val),
                                          learning_rate=1e-3, num_classes=k)
    # Same number of gradient steps would favour the bigger set; keep epochs and report both sizes.
    _, mixed = classifier.train_classifier(
        np.concatenate([x_real, x_gen]), np.concatenate([y_real, y_gen]), epochs=epochs, seed=seed,
        validation=(x_val, y_val), learning_rate=1e-3, num_classes=k,
    )
    return {"real": real, "generated": generated, "held_out": int(len(x_val)),
            "accuracy_real_only": base, "accuracy_real_plus_generated": mixed, "change": mixed - base}


# -- command line ---------------------------------------------------------------------------------
def _histogram_lines(hist, width=40):
    top = max(hist) or 1
    return [f"  {k}: {'#' * round(width * c / top):<{width}} {c}" for k, c in enumerate(hist)]


def format_result(result):
    lines = []
    if "inception_score" in result:
        lines.append(f"Inception score (classifier): {result['inception_score']:.3f} ± {result['inception_score_std']:.3f}")
        lines.append(f"Fréchet distance to real test images (classifier features): {result['frechet_distance']:.3f}")
        lines.append(f"Classes covered: {result['classes_covered']} of {len(result['class_histogram'])}")
        if "conditional_accuracy" in result:
            lines.append(f"Conditional accuracy (classifier agrees with the requested label): {result['conditional_accuracy']:.4f}")
        lines.append("Class histogram of the samples:")
        lines += _histogram_lines(result["class_histogram"])
    if "inceptionv3_score" in result:
        lines.append(f"Inception score (ImageNet InceptionV3): {result['inceptionv3_score']:.3f} ± {result['inceptionv3_score_std']:.3f}")
        lines.append(f"FID (InceptionV3 pool features): {result['inceptionv3_frechet_distance']:.3f}")
    skip = {"inception_score", "inception_score_std", "frechet_distance", "class_histogram", "classes_covered",
            "conditional_accuracy", "inceptionv3_score", "inceptionv3_score_std", "inceptionv3_frechet_distance"}
    for key, value in result.items():
        if key not in skip:
            lines.append(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")
    return "\n".join(lines)


def build_parser():
    """``train-classifier``, ``augment`` and ``score`` (the default: ``evaluate RUN_DIR``)."""
    positive_int = cli.positive_int
    parser = cli.Parser(prog=PROG, description="Evaluate a trained run; writes RUN_DIR/eval.json. "
                        "Other commands: train-classifier, augment.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=cli.Parser)
    train = commands.add_parser("train-classifier", prog=f"{PROG} train-classifier",
                                help="train and save a dataset's classifier",
                                description="Train and save a dataset's classifier.")
    train.add_argument("--dataset", default="mnist")
    train.add_argument("--data-dir", default=None)
    train.add_argument("--output", default=None, help="weights file (default: the tfgan cache)")
    train.add_argument("--epochs", type=positive_int, default=CLASSIFIER_EPOCHS)
    augment = commands.add_parser("augment", prog=f"{PROG} augment",
                                  help="retrain the classifier with generated samples",
                                  description="Retrain the classifier with generated samples.")
    augment.add_argument("run_dir")
    augment.add_argument("--real", type=positive_int, default=500)
    augment.add_argument("--generated", type=positive_int, default=5000)
    augment.add_argument("--epochs", type=positive_int, default=CLASSIFIER_EPOCHS)
    augment.add_argument("--seed", type=int, default=0)
    score = commands.add_parser("score", prog=PROG, help="(the default) score RUN_DIR, write RUN_DIR/eval.json",
                                description="Evaluate a trained run; writes RUN_DIR/eval.json. "
                                "Other commands: train-classifier, augment.")
    score.add_argument("run_dir", help="a run directory, or 'train-classifier' / 'augment'")
    score.add_argument("--num", type=positive_int, default=10_000, help="samples to score (default: 10000)")
    score.add_argument("--seed", type=int, default=0)
    score.add_argument("--classifier", default=None, help="classifier weights (default: the tfgan cache)")
    score.add_argument("--inception", action="store_true", help="also ImageNet InceptionV3 scores")
    score.add_argument("--inception-weights", default=None, help="local InceptionV3 weights (.h5)")
    return parser


@cli.exit_codes(PROG)
def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*SUBCOMMANDS, "-h", "--help"):
        argv = ["score", *argv]  # ``python -m tfgan.evaluate RUN_DIR``
    args = build_parser().parse_args(argv)
    if args.command == "train-classifier":
        _, info = train_dataset_classifier(args.dataset, args.data_dir, args.output, args.epochs)
        print(f"Classifier for {args.dataset}: held-out accuracy {info['accuracy']:.4f} "
              f"(trained on {info['trained_on']}, {info['seconds']} s). Saved to {info['path']}")
    elif args.command == "augment":
        result = augmentation_test(args.run_dir, args.real, args.generated, args.seed, args.epochs)
        print(f"Held-out accuracy, {args.real} real images: {result['accuracy_real_only']:.4f}; "
              f"plus {args.generated} generated: {result['accuracy_real_plus_generated']:.4f} "
              f"(change {result['change']:+.4f})")
        Path(args.run_dir, "augment.json").write_text(json.dumps(result, indent=2))
    else:
        load_run_config(args.run_dir)  # a clear error for a wrong path before anything loads
        result = evaluate_run(args.run_dir, args.num, args.seed, args.classifier,
                              inception=args.inception or bool(args.inception_weights),
                              inception_weights=args.inception_weights)
        print(format_result(result))
        print(f"Wrote {os.path.join(args.run_dir, 'eval.json')}")
    return cli.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
