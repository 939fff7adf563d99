"""Model registry: name -> (model class, config dataclass, default dataset).

The CLI (``python -m tfgan.train NAME``) and the notebooks look models up here, so a model added
to ``REGISTRY`` gets its command-line flags from its config dataclass with no other change.
"""

from __future__ import annotations

from dataclasses import dataclass

from tfgan.models.adain import AdaIN, AdaINConfig
from tfgan.models.base import AdversarialConfig, AdversarialModel, TrainConfig
from tfgan.models.cgan import CGAN, CGANConfig
from tfgan.models.cyclegan import CycleGAN, CycleGANConfig
from tfgan.models.dcgan import DCGAN, DCGANConfig
from tfgan.models.fast_style import FastStyle, FastStyleConfig
from tfgan.models.gan import GAN, GANConfig
from tfgan.models.pix2pix import Pix2Pix, Pix2PixConfig
from tfgan.models.progan import ProGAN, ProGANConfig
from tfgan.models.pix2pixhd import Pix2PixHD, Pix2PixHDConfig
from tfgan.models.srgan import SRGAN, SRGANConfig, SRResNet, SRResNetConfig
from tfgan.models.sgan import SGAN, SGANConfig
from tfgan.models.adda import ADDA, ADDAConfig
from tfgan.models.bigan import BiGAN, BiGANConfig
from tfgan.models.stylegan import StyleGAN, StyleGANConfig
from tfgan.models.wct import WCT, WCTConfig


@dataclass(frozen=True)
class ModelEntry:
    model_class: type
    config_class: type
    default_dataset: str
    description: str


REGISTRY: dict[str, ModelEntry] = {}


def register(name, model_class, default_dataset, description):
    REGISTRY[name] = ModelEntry(model_class, model_class.config_class, default_dataset, description)


register("gan", GAN, "mnist", "MLP GAN, Goodfellow et al. 2014")
register("dcgan", DCGAN, "mnist", "deep convolutional GAN, Radford et al. 2015")
register("cgan", CGAN, "mnist", "class-conditional DCGAN, Mirza and Osindero 2014")
register("pix2pix", Pix2Pix, "fashion_edges2shoes", "paired image-to-image translation, Isola et al. 2017")
register("cyclegan", CycleGAN, "fashion_sneakers2boots", "unpaired image-to-image translation, Zhu et al. 2017")
register("srresnet", SRResNet, "sr_photos", "super-resolution ResNet trained with MSE, Ledig et al. 2017")
register("fast_style", FastStyle, "sr_photos", "fast style transfer network, Johnson et al. 2016")
register("pix2pixhd", Pix2PixHD, "fashion_edges2shoes",
         "pix2pixHD: multi-scale Ds, feature matching, coarse-to-fine G, Wang et al. 2018")
register("adain", AdaIN, "sr_photos", "arbitrary style transfer with AdaIN, Huang and Belongie 2017")
register("wct", WCT, "sr_photos", "decoders of universal style transfer (WCT), Li et al. 2017")
register("srgan", SRGAN, "sr_photos", "SRGAN: SRResNet fine-tuned with VGG + adversarial loss, Ledig et al. 2017")
register("sgan", SGAN, "mnist", "semi-supervised GAN: K+1-class D, feature matching, Salimans et al. 2016")
register("adda", ADDA, "mnist", "adversarial discriminative domain adaptation (source -> --target-dataset), Tzeng et al. 2017")
register("progan", ProGAN, "mnist", "progressive growing of GANs, 4x4 to 32x32 with fade-ins, Karras et al. 2018")
register("bigan", BiGAN, "mnist", "BiGAN/ALI: encoder, generator and a D on (x, z) pairs, Donahue et al. 2017")
register("stylegan", StyleGAN, "mnist", "style-based generator (mapping network, AdaIN, noise, mixing), Karras et al. 2019")


def get(name) -> ModelEntry:
    """Registry entry for ``name``; ``ValueError`` naming the valid choices otherwise."""
    if name not in REGISTRY:
        raise ValueError(f"Unknown model {name!r}. Valid choices: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def build(name, config=None, **overrides):
    """Instantiate a registered model from a config (or the defaults plus ``overrides``)."""
    entry = get(name)
    config = config if config is not None else entry.config_class(**overrides)
    return entry.model_class(config)


__all__ = [
    "REGISTRY", "ModelEntry", "register", "get", "build", "TrainConfig", "AdversarialConfig",
    "AdversarialModel", "GAN", "GANConfig", "DCGAN", "DCGANConfig", "CGAN", "CGANConfig",
    "Pix2Pix", "Pix2PixConfig", "CycleGAN", "CycleGANConfig", "Pix2PixHD", "Pix2PixHDConfig",
    "SRResNet", "SRResNetConfig", "SRGAN", "SRGANConfig", "FastStyle", "FastStyleConfig",
    "SGAN", "SGANConfig", "ADDA", "ADDAConfig",
    "ProGAN", "ProGANConfig",
    "BiGAN", "BiGANConfig",
    "StyleGAN", "StyleGANConfig",
    "AdaIN", "AdaINConfig", "WCT", "WCTConfig",
]
