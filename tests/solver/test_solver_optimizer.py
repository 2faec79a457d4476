"""Optimizer parameter groups, SGD / AdamW and gradient clipping from cfg.SOLVER."""
import pytest
import torch
from torch import nn

from detectra.config import get_cfg
from detectra.solver import build_optimizer, get_default_optimizer_params, maybe_add_gradient_clipping


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)
        self.fc = nn.Linear(4, 2)
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


def _group_of(opt, param):
    (group,) = [g for g in opt.param_groups if any(p is param for p in g["params"])]
    return group


def test_param_groups_follow_solver_keys():
    cfg = get_cfg()
    cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY, cfg.SOLVER.WEIGHT_DECAY_NORM = 0.1, 1e-4, 0.0
    cfg.SOLVER.BIAS_LR_FACTOR, cfg.SOLVER.WEIGHT_DECAY_BIAS = 2.0, 0.0
    net = _Net()
    opt = build_optimizer(cfg, net)
    assert type(opt) is torch.optim.SGD
    assert opt.defaults["momentum"] == 0.9 and opt.defaults["nesterov"] is False
    assert _group_of(opt, net.conv.weight)["lr"] == 0.1 and _group_of(opt, net.conv.weight)["weight_decay"] == 1e-4
    assert _group_of(opt, net.conv.bias)["lr"] == pytest.approx(0.2)
    assert _group_of(opt, net.conv.bias)["weight_decay"] == 0.0
    assert _group_of(opt, net.bn.weight)["weight_decay"] == 0.0 and _group_of(opt, net.bn.weight)["lr"] == 0.1
    assert _group_of(opt, net.gn.weight)["weight_decay"] == 0.0
    # norm biases: the "bias" override wins over the norm weight decay, as in Detectron2
    assert _group_of(opt, net.bn.bias)["lr"] == pytest.approx(0.2)
    all_params = [p for g in opt.param_groups for p in g["params"]]
    assert not any(p is net.frozen.weight for p in all_params)
    assert len(all_params) == len({id(p) for p in all_params}) == 8
    # groups are merged by hyperparameters: (w, decay), (bias), (norm weights)
    assert len(opt.param_groups) == 3


def test_overrides_and_lr_factor_func_and_shared_params():
    net = _Net()
    net.fc2 = net.fc  # shared module: its parameters must be counted once
    groups = get_default_optimizer_params(
        net, base_lr=1.0, weight_decay=0.5, lr_factor_func=lambda n: 0.1 if n.startswith("fc.") else 1.0,
        overrides={"weight": {"weight_decay": 0.25}},
    )
    by_param = {id(p): g for g in groups for p in g["params"]}
    fc_group = by_param[id(net.fc.weight)]
    assert fc_group["lr"] == pytest.approx(0.1) and fc_group["weight_decay"] == pytest.approx(0.25)
    assert by_param[id(net.conv.bias)]["lr"] == 1.0 and by_param[id(net.conv.bias)]["weight_decay"] == 0.5
    assert sum(len(g["params"]) for g in groups) == 8


def test_sgd_step_matches_torch_and_nesterov():
    cfg = get_cfg()
    cfg.SOLVER.NESTEROV, cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY_NORM = True, 0.05, 1e-4
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    ref = nn.Linear(3, 2)
    ref.load_state_dict(net.state_dict())
    opt = build_optimizer(cfg, net)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.randn(5, 3)
    for _ in range(3):
        for m, o in ((net, opt), (ref, ref_opt)):
            o.zero_grad()
            m(x).square().sum().backward()
            o.step()
    torch.testing.assert_close(net.weight, ref.weight)


def test_adamw():
    cfg = get_cfg()
    assert cfg.SOLVER.get("OPTIMIZER", "SGD") == "SGD"
    cfg.SOLVER.OPTIMIZER = "AdamW"  # detectra addition (proposed for defaults.py)
    cfg.SOLVER.BASE_LR, cfg.SOLVER.WEIGHT_DECAY = 1e-3, 0.05
    opt = build_optimizer(cfg, nn.Linear(3, 2))
    assert isinstance(opt, torch.optim.AdamW) and opt.defaults["weight_decay"] == 0.05
    cfg.SOLVER.OPTIMIZER = "Lion"
    with pytest.raises(ValueError, match="SOLVER.OPTIMIZER"):
        build_optimizer(cfg, nn.Linear(3, 2))


@pytest.mark.parametrize("clip_type", ["value", "norm"])
def test_gradient_clipping_per_parameter(clip_type):
    cfg = get_cfg()
    cfg.SOLVER.CLIP_GRADIENTS.ENABLED = True
    cfg.SOLVER.CLIP_GRADIENTS.CLIP_TYPE = clip_type
    cfg.SOLVER.CLIP_GRADIENTS.CLIP_VALUE = 0.5
    cfg.SOLVER.BASE_LR, cfg.SOLVER.MOMENTUM, cfg.SOLVER.WEIGHT_DECAY = 1.0, 0.0, 0.0
    cfg.SOLVER.WEIGHT_DECAY_NORM = 0.0
    net = nn.Linear(4, 1, bias=True)
    with torch.no_grad():
        net.weight.zero_(), net.bias.zero_()
    opt = build_optimizer(cfg, net)
    assert isinstance(opt, torch.optim.SGD) and type(opt).__name__ == "SGDWithGradientClip"
    net.weight.grad = torch.tensor([[3.0, -4.0, 0.1, 0.0]])
    net.bias.grad = torch.tensor([2.0])
    opt.step()
    if clip_type == "value":
        expected_w = -torch.tensor([[0.5, -0.5, 0.1, 0.0]])
        expected_b = torch.tensor([-0.5])
    else:  # each parameter's gradient scaled to norm 0.5 separately
        g = torch.tensor([[3.0, -4.0, 0.1, 0.0]])
        expected_w = -g * 0.5 / (g.norm() + 1e-6)
        expected_b = torch.tensor([-0.5])
    torch.testing.assert_close(net.weight.detach(), expected_w, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(net.bias.detach(), expected_b, rtol=1e-5, atol=1e-6)


def test_gradient_clipping_on_instance_and_disabled():
    cfg = get_cfg()
    opt = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    assert maybe_add_gradient_clipping(cfg, opt) is opt and type(opt) is torch.optim.SGD
    cfg.SOLVER.CLIP_GRADIENTS.ENABLED = True
    assert isinstance(maybe_add_gradient_clipping(cfg, opt), torch.optim.SGD)
    assert type(opt).__name__ == "SGDWithGradientClip"
    cfg.SOLVER.CLIP_GRADIENTS.CLIP_TYPE = "max"
    with pytest.raises(ValueError, match="CLIP_TYPE"):
        maybe_add_gradient_clipping(cfg, torch.optim.SGD)
