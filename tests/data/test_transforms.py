"""Deterministic transforms: Detectron2 parity of the resize, inverses, registration, lists, edge cases."""
import numpy as np
import pytest
from PIL import Image

import detectra.data.transforms as T

COORDS = np.array([[0.0, 0.0], [10.5, 3.25], [31.0, 19.0], [17.2, 8.8]])


def test_resize_shortest_edge_matches_detectron2(shared_dir):
    data = np.load(shared_dir / "fixtures" / "d2parity" / "inputs.npz")
    for i in range(3):
        orig, expected = data[f"in{i}_orig"], data[f"in{i}_image"]
        out, tfms = T.apply_augmentations([T.ResizeShortestEdge(800, 1333)], orig)
        assert out.shape == expected.shape
        assert out.dtype == np.uint8
        assert np.abs(out.astype(np.int32) - expected.astype(np.int32)).max() <= 1


@pytest.mark.parametrize(
    "tfm",
    [
        T.HFlipTransform(32),
        T.VFlipTransform(20),
        T.CropTransform(3, 4, 20, 12, orig_w=32, orig_h=20),
        T.PadTransform(2, 3, 4, 5, orig_w=32, orig_h=20),
        T.ResizeTransform(20, 32, 47, 13),
        T.RotationTransform(20, 32, 90),
        T.RotationTransform(20, 32, 180),
        T.BlendTransform(0, 0.5, 0.5),
        T.NoOpTransform(),
        T.TransformList([T.HFlipTransform(32), T.ResizeTransform(20, 32, 40, 64), T.PadTransform(1, 1, 1, 1, 64, 40)]),
    ],
    ids=repr,
)
def test_inverse_round_trips_coordinates(tfm):
    back = tfm.inverse().apply_coords(tfm.apply_coords(COORDS.copy()))
    np.testing.assert_allclose(back, COORDS, atol=1e-4)


def test_inverse_round_trips_images_for_exact_transforms():
    rng = np.random.RandomState(0)
    image = rng.randint(0, 255, (20, 32, 3)).astype(np.uint8)
    for tfm in [T.HFlipTransform(32), T.VFlipTransform(20), T.PadTransform(2, 3, 4, 5, 32, 20),
                T.RotationTransform(20, 32, 90), T.RotationTransform(20, 32, -90)]:
        np.testing.assert_array_equal(tfm.inverse().apply_image(tfm.apply_image(image)), image)


def test_rotation_by_arbitrary_angle_inverse_is_within_a_pixel():
    tfm = T.RotationTransform(20, 32, 33.0)
    back = tfm.inverse().apply_coords(tfm.apply_coords(COORDS.copy()))
    np.testing.assert_allclose(back, COORDS, atol=1.0)


def test_rotation_matches_numpy_rot90_and_moves_boxes():
    image = np.zeros((20, 30, 3), np.uint8)
    image[2:6, 3:9] = 255
    tfm = T.RotationTransform(20, 30, 90)  # counter-clockwise
    out = tfm.apply_image(image)
    np.testing.assert_array_equal(out, np.rot90(image))
    np.testing.assert_allclose(tfm.apply_box(np.array([[3.0, 2.0, 9.0, 6.0]])), [[2.0, 21.0, 6.0, 27.0]], atol=1e-6)
    rot = tfm.apply_rotated_box(np.array([[6.0, 4.0, 6.0, 4.0, 0.0]]))
    np.testing.assert_allclose(rot, [[4.0, 24.0, 6.0, 4.0, 90.0]], atol=1e-6)


def test_box_transform_uses_the_four_corners():
    # A resize is exact; a rotation gives the enclosing box of the rotated corners.
    box = np.array([[10.0, 20.0, 30.0, 24.0]])
    np.testing.assert_allclose(T.ResizeTransform(40, 40, 80, 20).apply_box(box), [[5.0, 40.0, 15.0, 48.0]])
    tfm = T.RotationTransform(40, 40, 45, expand=False)
    corners = tfm.apply_coords(np.array([[10.0, 20], [30, 20], [10, 24], [30, 24]]))
    np.testing.assert_allclose(tfm.apply_box(box)[0], [*corners.min(0), *corners.max(0)], atol=1e-4)


def test_resize_float_and_segmentation_paths():
    rng = np.random.RandomState(0)
    image = rng.randint(0, 255, (24, 36, 3)).astype(np.uint8)
    tfm = T.ResizeTransform(24, 36, 48, 72)
    out_float = tfm.apply_image(image.astype(np.float32))
    assert out_float.dtype == np.float32 and out_float.shape == (48, 72, 3)
    # torch bilinear and PIL bilinear agree on upsampling up to rounding
    assert np.abs(out_float - tfm.apply_image(image).astype(np.float32)).mean() < 1.0
    seg = rng.randint(0, 5, (24, 36)).astype(np.uint8)
    out_seg = tfm.apply_segmentation(seg)
    assert out_seg.shape == (48, 72)
    np.testing.assert_array_equal(out_seg[::2, ::2], seg)  # nearest: exact 2x replication
    gray = image[:, :, :1]
    assert tfm.apply_image(gray).shape == (48, 72, 1)
    with pytest.raises(ValueError, match="size"):
        tfm.apply_image(np.zeros((10, 10, 3), np.uint8))


def test_resize_uint8_uses_requested_pil_filter():
    rng = np.random.RandomState(1)
    image = rng.randint(0, 255, (20, 30, 3)).astype(np.uint8)
    for interp in (Image.NEAREST, Image.BICUBIC, Image.LANCZOS):
        out = T.ResizeTransform(20, 30, 13, 17, interp).apply_image(image)
        np.testing.assert_array_equal(out, np.asarray(Image.fromarray(image).resize((17, 13), interp)))
    gray = image[:, :, :1]  # HxWx1 uint8 stays on PIL for every filter, bilinear included
    out = T.ResizeTransform(20, 30, 13, 17).apply_image(gray)
    expected = np.asarray(Image.fromarray(gray[:, :, 0]).resize((17, 13), Image.BILINEAR))
    np.testing.assert_array_equal(out[:, :, 0], expected)


@pytest.mark.parametrize("hw, new_hw", [((61, 83), (160, 217)), ((150, 97), (41, 29)), ((40, 300), (133, 40))])
def test_resize_bilinear_rgb_matches_pil_within_one_level(hw, new_hw):
    # HxWx3 bilinear takes torch's uint8 kernel: PIL's filter up to rounding, whatever the strides of the input
    rng = np.random.RandomState(2)
    image = np.cumsum(rng.randint(0, 9, (*hw, 3)), axis=1).astype(np.uint8)  # smooth ramps and hard wraps
    expected = np.asarray(Image.fromarray(image).resize(new_hw[::-1], Image.BILINEAR)).astype(np.int32)
    tfm = T.ResizeTransform(*hw, *new_hw)
    for view, undo in ((image, lambda x: x), (image[:, :, ::-1], lambda x: x[:, :, ::-1]),
                       (image[:, ::-1], lambda x: x[:, ::-1]), (image[::-1, :, ::-1], lambda x: x[::-1, :, ::-1])):
        out = tfm.apply_image(view)
        assert out.shape == (*new_hw, 3) and out.dtype == np.uint8
        diff = np.abs(undo(out).astype(np.int32) - expected)
        assert diff.max() <= 1 and (diff > 0).mean() < 0.01


def test_crop_clips_polygons_to_the_window():
    crop = T.CropTransform(10, 10, 20, 20)
    square = np.array([[0.0, 0.0], [20, 0], [20, 20], [0, 20]])  # overlaps the window's top-left quarter
    (clipped,) = crop.apply_polygons([square])
    xs, ys = clipped[:, 0], clipped[:, 1]
    assert xs.min() == 0 and ys.min() == 0 and xs.max() == 10 and ys.max() == 10
    area = 0.5 * abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))
    assert area == pytest.approx(100.0)
    assert crop.apply_polygons([np.array([[50.0, 50], [60, 50], [60, 60]])]) == []


def test_crop_and_pad_on_batched_images():
    batch = np.arange(2 * 6 * 8 * 3).reshape(2, 6, 8, 3)
    assert T.CropTransform(1, 2, 3, 4).apply_image(batch).shape == (2, 4, 3, 3)
    assert T.PadTransform(1, 2, 3, 4).apply_image(batch).shape == (2, 12, 12, 3)
    np.testing.assert_array_equal(T.HFlipTransform(8).apply_image(batch), batch[:, :, ::-1])
    np.testing.assert_array_equal(T.VFlipTransform(6).apply_image(batch), batch[:, ::-1])


def test_extent_transform_maps_the_source_rectangle():
    image = np.zeros((40, 40), np.uint8)
    image[10:20, 10:20] = 255
    tfm = T.ExtentTransform(src_rect=(10, 10, 30, 30), output_size=(20, 20))
    out = tfm.apply_image(image)
    assert out.shape == (20, 20)
    assert (out[1:9, 1:9] == 255).all() and (out[12:, 12:] == 0).all()
    np.testing.assert_allclose(tfm.apply_coords(np.array([[10.0, 10.0], [30.0, 30.0]])), [[0, 0], [20, 20]])


def test_rotated_boxes_through_flip_resize_and_list():
    boxes = np.array([[10.0, 20.0, 8.0, 4.0, 30.0]])
    flipped = T.HFlipTransform(100).apply_rotated_box(boxes)
    np.testing.assert_allclose(flipped, [[90.0, 20.0, 8.0, 4.0, -30.0]])
    # Isotropic resize: centre and sides scale, angle unchanged.
    resized = T.ResizeTransform(50, 100, 100, 200).apply_rotated_box(boxes)
    np.testing.assert_allclose(resized, [[20.0, 40.0, 16.0, 8.0, 30.0]], atol=1e-6)
    tl = T.TransformList([T.HFlipTransform(100), T.CropTransform(5, 5, 50, 50)])
    np.testing.assert_allclose(tl.apply_rotated_box(boxes), [[85.0, 15.0, 8.0, 4.0, -30.0]])


def test_register_type_adds_an_apply_method_that_lists_dispatch():
    def flip_depth(tfm, depth):
        return depth[:, ::-1]

    T.HFlipTransform.register_type("depth_map", flip_depth)
    try:
        depth = np.arange(12.0).reshape(3, 4)
        tl = T.TransformList([T.HFlipTransform(4), T.NoOpTransform()])
        np.testing.assert_array_equal(tl.apply_depth_map(depth), depth[:, ::-1])
        with pytest.raises(TypeError, match="2 arguments"):
            T.HFlipTransform.register_type("bad", lambda x: x)
    finally:
        del T.HFlipTransform.apply_depth_map


def test_transform_list_flattens_and_adds():
    a, b, c = T.HFlipTransform(10), T.VFlipTransform(10), T.NoOpTransform()
    tl = T.TransformList([a, T.TransformList([b, c])])
    assert len(tl) == 3 and tl[1] is b
    assert [type(t) for t in tl + a] == [T.HFlipTransform, T.VFlipTransform, T.NoOpTransform, T.HFlipTransform]
    prepended = b + tl  # Transform + TransformList goes through TransformList.__radd__
    assert len(prepended) == 4 and prepended[0] is b
    assert [type(t) for t in tl.inverse()] == [T.NoOpTransform, T.VFlipTransform, T.HFlipTransform]
    with pytest.raises(TypeError, match="Transform"):
        T.TransformList([a, "flip"])
    assert "HFlipTransform(width=10)" in repr(tl)


def test_crop_inverse_needs_original_size():
    with pytest.raises(NotImplementedError, match="orig_w"):
        T.CropTransform(1, 1, 5, 5).inverse()


def test_augmentation_reads_inputs_by_parameter_name():
    class NeedsBoxes(T.Augmentation):
        def get_transform(self, image, boxes):
            return T.CropTransform(int(boxes[0, 0]), int(boxes[0, 1]), 4, 4)

    image = np.arange(100, dtype=np.uint8).reshape(10, 10)
    aug_input = T.AugInput(image, boxes=np.array([[2.0, 3.0, 6.0, 7.0]]))
    tfm = NeedsBoxes()(aug_input)
    np.testing.assert_array_equal(aug_input.image, image[3:7, 2:6])
    np.testing.assert_array_equal(aug_input.boxes, [[0.0, 0.0, 4.0, 4.0]])
    assert isinstance(tfm, T.CropTransform)

    class NeedsDepth(T.Augmentation):
        def get_transform(self, image, depth):
            return T.NoOpTransform()

    with pytest.raises(AttributeError, match="depth"):
        NeedsDepth()(T.AugInput(image))
    with pytest.raises(TypeError, match="uint8"):
        T.AugInput(image.astype(np.int32))


def test_augmentation_list_accepts_fixed_transforms_and_aliases():
    image = np.zeros((8, 12, 3), np.uint8)
    image[:, :3] = 255
    out, tfms = T.apply_transform_gens([T.HFlipTransform(12), T.Resize((4, 6))], image)
    assert out.shape == (4, 6, 3) and (out[:, -1] == 255).all()
    assert isinstance(tfms, T.TransformList) and len(tfms) == 2
    assert T.StandardAugInput is T.AugInput
