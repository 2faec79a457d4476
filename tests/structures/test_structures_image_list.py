import torch

from detectra.structures import ImageList


def test_padding_sizes_and_values():
    a = torch.full((3, 5, 7), 1.0)
    b = torch.full((3, 9, 4), 2.0)
    il = ImageList.from_tensors([a, b], size_divisibility=4, pad_value=-1.0)
    assert il.tensor.shape == (2, 3, 12, 8)
    assert il.image_sizes == [(5, 7), (9, 4)]
    assert len(il) == 2
    torch.testing.assert_close(il[0], a)
    torch.testing.assert_close(il[1], b)
    assert (il.tensor[0, :, 5:, :] == -1).all() and (il.tensor[0, :, :, 7:] == -1).all()
    assert (il.tensor[1, :, :, 4:] == -1).all() and (il.tensor[1, :, 9:, :] == -1).all()


def test_single_image_and_no_divisibility():
    il = ImageList.from_tensors([torch.ones(1, 5, 7)])
    assert il.tensor.shape == (1, 1, 5, 7)
    il = ImageList.from_tensors([torch.ones(1, 5, 7)], size_divisibility=32)
    assert il.tensor.shape == (1, 1, 32, 32)
    assert il.tensor.sum() == 35


def test_square_padding_and_2d():
    il = ImageList.from_tensors(
        [torch.ones(10, 20), torch.ones(15, 5)], padding_constraints={"square_size": 32}, pad_value=0.0
    )
    assert il.tensor.shape == (2, 32, 32)
    assert il.tensor[0].sum() == 200 and il.tensor[1].sum() == 75
    il = ImageList.from_tensors([torch.ones(10, 20)], 0, padding_constraints={"size_divisibility": 16})
    assert il.tensor.shape == (1, 16, 32)
    assert il.to(torch.float64).tensor.dtype == torch.float64
