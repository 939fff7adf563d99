"""Datasets as ``tf.data`` pipelines of images in [-1, 1], offline first, with one registry.

``load("mnist", split="test")`` yields float32 batches of shape (B, 28, 28, 1). Every dataset is
an entry of one registry (:mod:`~tfgan.data.registry`): a :class:`DatasetInfo` whose ``kind`` says
what its loader returns, read by

* :func:`load` / :func:`load_arrays`: single images (``mnist``, ``fashion_mnist``);
* :func:`load_translation`: two domains A and B (``fashion_edges2shoes``, ``cycle_gan/<name>``);
* :func:`load_image_set`: whole photos for super-resolution (``sr_photos``, ``div2k``);

and ``folder:PATH`` serves all three from the user's files. The modules:

=================  ===========================================================================
``registry``       DatasetInfo, the registry, the errors, the loaders' return types
``idx``            the IDX reader (MNIST's file format)
``network``        ``offline()``, ``can_connect()``, the bounded, SHA-256-checked ``download()``
``sources``        where files are looked for; the pinned course files; ``fetch()``; MNIST, Fashion-MNIST
``pipeline``       ``load_arrays``, ``load``: arrays -> shuffled, batched tf.data pipelines
``folders``        ``folder:PATH`` in every layout, and the image decoders
``translation``    two-domain datasets and ``load_translation``
``superres``       photo sets and ``load_image_set``
=================  ===========================================================================

``python -m tfgan.data fetch`` downloads the course files ahead of time; data/README.md describes
the sources, the cache, the hashes and the offline layout.
"""

from tfgan.data.registry import (
    KINDS,
    TRANSLATION_KINDS,
    CorruptDatasetError,
    DatasetInfo,
    DatasetNotFoundError,
    ImageSet,
    TranslationData,
    available_datasets,
    info,
    register_dataset,
    register_prefix,
)
from tfgan.data.idx import read_idx, read_idx_split
from tfgan.data.network import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    DownloadError,
    cache_dir,
    can_connect,
    download,
    offline,
)
from tfgan.data.sources import COURSE_FILES, CourseFile, FetchReport, course_file, fetch, local_copy
from tfgan.data.pipeline import first_available_split, load, load_arrays
from tfgan.data.folders import FOLDER_TEST_FRACTION, photo_set
from tfgan.data.translation import (
    CYCLE_GAN_HOST,
    CYCLE_GAN_TFDS,
    FASHION_FOOTWEAR,
    JITTER_RATIO,
    fashion_edges,
    fashion_footwear,
    load_translation,
    translation_data,
    translation_datasets,
)
from tfgan.data.superres import (
    DIV2K_HOST,
    SR_PHOTOS,
    available_image_sets,
    list_image_set,
    load_image_set,
)
