import pytest
import torch

from detectra.structures import Boxes, Instances


def _make(n=4):
    boxes = Boxes(torch.arange(n * 4, dtype=torch.float32).view(n, 4))
    return Instances((30, 40), gt_boxes=boxes, gt_classes=torch.arange(n), names=[f"o{i}" for i in range(n)])


def test_fields_and_attribute_access():
    inst = _make()
    assert inst.image_size == (30, 40)
    assert len(inst) == 4
    assert inst.has("gt_classes") and not inst.has("scores")
    inst.scores = torch.ones(4)
    assert inst.get("scores").sum() == 4
    assert set(inst.get_fields()) == {"gt_boxes", "gt_classes", "names", "scores"}
    inst.remove("scores")
    assert not inst.has("scores")
    with pytest.raises(AttributeError, match="Cannot find field 'missing'"):
        inst.missing


def test_length_mismatch_message():
    inst = _make()
    with pytest.raises(ValueError, match="field 'scores' of length 3 to an Instances of length 4"):
        inst.scores = torch.ones(3)


def test_indexing():
    inst = _make()
    one = inst[2]
    assert len(one) == 1 and one.gt_classes.tolist() == [2] and one.names == ["o2"]
    assert one.gt_boxes.tensor.tolist() == [[8.0, 9.0, 10.0, 11.0]]
    assert inst[-1].gt_classes.tolist() == [3]
    assert inst[1:3].gt_classes.tolist() == [1, 2]
    mask = torch.tensor([True, False, False, True])
    sub = inst[mask]
    assert sub.gt_classes.tolist() == [0, 3] and isinstance(sub.gt_boxes, Boxes)
    sub = inst[torch.tensor([3, 1])]
    assert sub.gt_classes.tolist() == [3, 1]
    assert sub.gt_boxes.tensor[0, 0] == 12.0
    with pytest.raises(IndexError):
        inst[4]


def test_cat_and_to():
    a, b = _make(2), _make(3)
    c = Instances.cat([a, b])
    assert len(c) == 5
    assert c.gt_classes.tolist() == [0, 1, 0, 1, 2]
    assert c.names == ["o0", "o1", "o0", "o1", "o2"]
    assert isinstance(c.gt_boxes, Boxes) and len(c.gt_boxes) == 5
    other = Instances((10, 10), gt_classes=torch.zeros(1))
    with pytest.raises(ValueError, match="image sizes differ"):
        Instances.cat([Instances((30, 40), gt_classes=torch.zeros(1)), other])
    moved = c.to("cpu")
    assert moved.gt_classes is not None and moved.names == c.names
    assert "num_instances=5" in repr(c) and "image_height=30" in repr(c)


def test_empty_instances():
    inst = Instances((5, 5))
    with pytest.raises(NotImplementedError):
        len(inst)
    assert "num_instances=0" in repr(inst)
    inst.gt_classes = torch.zeros(0, dtype=torch.long)
    assert len(inst) == 0


def test_pickle_and_deepcopy():
    # data-loader workers send Instances between processes
    import copy
    import pickle

    inst = _make()
    for other in (pickle.loads(pickle.dumps(inst)), copy.deepcopy(inst)):
        assert other.image_size == (30, 40)
        assert other.gt_classes.tolist() == [0, 1, 2, 3]
        assert torch.equal(other.gt_boxes.tensor, inst.gt_boxes.tensor)
