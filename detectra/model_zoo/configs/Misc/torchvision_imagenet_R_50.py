"""ImageNet classification with torchvision's ResNet-50, trained by detectra's LazyConfig loop.

Nothing here is a detector: the model, dataset and transforms are torchvision's, and detectra contributes the
trainer, samplers, schedule, checkpointing and evaluation loop. The few helpers it needs (a loader builder, a
model wrapper returning the loss, an accuracy evaluator) live in this file to keep the example in one place;
real projects import them from their own code.

    python tools/lazyconfig_train_net.py --config-file Misc/torchvision_imagenet_R_50.py \\
        --num-gpus 8 dataloader.train.dataset.root=/path/to/imagenet/

The schedule is fvcore's ``MultiStepParamScheduler`` when fvcore is installed (as in Detectron2), detectra's
otherwise; both give the same values.
"""
import torch
import torchvision
from omegaconf import OmegaConf
from torch import nn
from torch.nn import functional as F
from torchvision.models.resnet import Bottleneck, ResNet
from torchvision.transforms import transforms as T

from detectra.config import LazyCall as L
from detectra.data.samplers import InferenceSampler, TrainingSampler
from detectra.evaluation import DatasetEvaluator
from detectra.model_zoo import get_config
from detectra.solver import WarmupParamScheduler
from detectra.solver.build import get_default_optimizer_params
from detectra.utils import comm

try:
    from fvcore.common.param_scheduler import MultiStepParamScheduler
except ImportError:
    from detectra.solver import MultiStepParamScheduler


def build_data_loader(dataset, batch_size, num_workers, training=True):
    """Batches of ``(images, labels)``: endless shuffled indices when training, each index once otherwise."""
    sampler = TrainingSampler(len(dataset)) if training else InferenceSampler(len(dataset))
    return torch.utils.data.DataLoader(
        dataset,
        sampler=sampler,
        batch_size=batch_size,
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available(),
    )


class ClassificationNet(nn.Module):
    """Wraps a classifier: training returns the cross-entropy loss of a batch, inference the logits."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def forward(self, batch):
        images, labels = batch
        logits = self.model(images.to(self.device))  # (N, num_classes)
        if not self.training:
            return logits
        return F.cross_entropy(logits, labels.to(self.device))


class ClassificationAcc(DatasetEvaluator):
    """Top-1 accuracy over every process's predictions."""

    def reset(self):
        self.correct = 0
        self.total = 0

    def process(self, inputs, outputs):
        _, labels = inputs
        self.correct += int((outputs.argmax(dim=1).cpu() == labels.cpu()).sum())
        self.total += len(labels)

    def evaluate(self):
        counts = comm.all_gather((self.correct, self.total))
        correct = sum(c for c, _ in counts)
        total = sum(t for _, t in counts)
        return {"accuracy": correct / max(total, 1)}


_normalize = L(T.Normalize)(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))

dataloader = OmegaConf.create()
dataloader.train = L(build_data_loader)(
    dataset=L(torchvision.datasets.ImageNet)(
        root="/path/to/imagenet",
        split="train",
        transform=L(T.Compose)(
            transforms=[
                L(T.RandomResizedCrop)(size=224),
                L(T.RandomHorizontalFlip)(),
                L(T.ToTensor)(),
                _normalize,
            ]
        ),
    ),
    batch_size=256 // 8,  # per GPU: 256 in total on 8 GPUs
    num_workers=4,
    training=True,
)
dataloader.test = L(build_data_loader)(
    dataset=L(torchvision.datasets.ImageNet)(
        root="${...train.dataset.root}",
        split="val",
        transform=L(T.Compose)(
            transforms=[L(T.Resize)(size=256), L(T.CenterCrop)(size=224), L(T.ToTensor)(), _normalize]
        ),
    ),
    batch_size=256 // 8,
    num_workers=4,
    training=False,
)
dataloader.evaluator = L(ClassificationAcc)()

model = L(ClassificationNet)(
    model=L(ResNet)(block=Bottleneck, layers=[3, 4, 6, 3], zero_init_residual=True)
)

optimizer = L(torch.optim.SGD)(
    params=L(get_default_optimizer_params)(),
    lr=0.1,
    momentum=0.9,
    weight_decay=1e-4,
)

# Milestones in epochs (x0.1 at 30, 60 and 90 of 100), warmup over the first epoch.
lr_multiplier = L(WarmupParamScheduler)(
    scheduler=L(MultiStepParamScheduler)(values=[1.0, 0.1, 0.01, 0.001], milestones=[30, 60, 90, 100]),
    warmup_length=1 / 100,
    warmup_factor=0.1,
)

train = get_config("common/train.py").train
train.init_checkpoint = None
train.max_iter = 100 * 1281167 // 256  # 100 epochs of ImageNet-1k at batch 256
