"""The RegNetX-4GF and RegNetY-4GF backbones of Detectron2's RegNet configs (pycls' DDS baselines,
dds_baselines/regnet{x,y}/RegNet{X,Y}-4.0GF_dds_8gpu.yaml), frozen-BN and stem + s1 frozen for fine-tuning from
ImageNet weights; the from-scratch LSJ configs switch them to SyncBN and freeze nothing."""
import copy

from detectra.config import LazyCall as L
from detectra.modeling.backbone import RegNet
from detectra.modeling.backbone.regnet import ResBottleneckBlock, SimpleStem

regnetx_4gf = L(RegNet)(
    stem_class=SimpleStem,
    stem_width=32,
    block_class=ResBottleneckBlock,
    depth=23,
    w_a=38.65,
    w_0=96,
    w_m=2.43,
    group_width=40,
    freeze_at=2,
    norm="FrozenBN",
    out_features=["s1", "s2", "s3", "s4"],
)

# RegNetY: another width rule, and squeeze-excitation in every block.
regnety_4gf = copy.deepcopy(regnetx_4gf)
regnety_4gf.update(depth=22, w_a=31.41, w_m=2.24, group_width=64, se_ratio=0.25)

# pycls normalises images by the pixel std too (the ResNet configs' std is 1)
pixel_std = [57.375, 57.120, 58.395]
