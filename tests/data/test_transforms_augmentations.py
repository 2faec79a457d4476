"""Every augmentation applied to an image and its annotations: the annotations must land on the right pixels.

The scene: a uniform background with one filled rectangle of a known colour. The rectangle is also given as a
box, a polygon, a bitmask, a semantic label and two keypoints; after each augmentation every annotation is
compared with where the rectangle's colour actually is in the output image.
"""
import numpy as np
import pytest
from PIL import Image, ImageDraw

import detectra.data.transforms as T

H, W = 96, 128
RECT = (40, 30, 88, 70)  # x0, y0, x1, y1 (pixels [40, 88) x [30, 70))
COLOR = np.array([200, 90, 40], dtype=np.uint8)
BACKGROUND = np.array([20, 30, 120], dtype=np.uint8)
LABEL = 3
KEYPOINTS = np.array([[46.0, 50.0], [82.0, 50.0]])  # inside the rectangle, left and right


def _scene():
    image = np.empty((H, W, 3), np.uint8)
    image[:] = BACKGROUND
    x0, y0, x1, y1 = RECT
    image[y0:y1, x0:x1] = COLOR
    mask = np.zeros((H, W), np.uint8)
    mask[y0:y1, x0:x1] = 1
    sem_seg = np.zeros((H, W), np.uint8)
    sem_seg[y0:y1, x0:x1] = LABEL
    box = np.array([RECT], dtype=np.float64)
    polygon = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    return image, mask, sem_seg, box, polygon


def _colored(image):
    """Pixels whose colour is close to the rectangle's (interior and edges blended more than ~80 %)."""
    return (np.abs(image.astype(np.int32) - COLOR.astype(np.int32)) <= 30).all(axis=-1)


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def _rasterize(polygons, h, w):
    canvas = Image.new("L", (w, h), 0)
    for p in polygons:
        ImageDraw.Draw(canvas).polygon([tuple(xy) for xy in p], fill=1)
    return np.asarray(canvas).astype(bool)


GEOMETRIC = {
    "hflip": T.RandomFlip(prob=1.0, horizontal=True),
    "vflip": T.RandomFlip(prob=1.0, horizontal=False, vertical=True),
    "random_apply_flip": T.RandomApply(T.RandomFlip(prob=1.0), prob=1.0),
    "resize": T.Resize((120, 100)),
    "resize_shortest_edge_range": T.ResizeShortestEdge((80, 130), max_size=200, sample_style="range"),
    "resize_shortest_edge_choice": T.ResizeShortestEdge((72, 112), max_size=150, sample_style="choice"),
    "resize_scale": T.ResizeScale(0.8, 1.3, target_height=96, target_width=128),
    "random_resize": T.RandomResize([(80, 100), (110, 140)]),
    "rotation_expand": T.RandomRotation([-35, 35], expand=True),
    "rotation_no_expand_center": T.RandomRotation([10, 20], expand=False, center=[(0.4, 0.4), (0.6, 0.6)]),
    "rotation_choice": T.RandomRotation([90, 180, 270], sample_style="choice"),
    "fixed_size_crop": T.FixedSizeCrop((80, 110)),
    "fixed_size_crop_pad": T.FixedSizeCrop((120, 150), pad_value=0),
    "crop_relative": T.RandomCrop("relative", (0.8, 0.8)),
    "crop_relative_range": T.RandomCrop("relative_range", (0.8, 0.75)),
    "crop_absolute": T.RandomCrop("absolute", (80, 100)),
    "crop_absolute_range": T.RandomCrop("absolute_range", (80, 90)),
    "crop_category_area": T.RandomCrop_CategoryAreaConstraint("absolute", (80, 100), 0.9, ignored_category=255),
    "extent": T.RandomExtent(scale_range=(0.9, 1.1), shift_range=(0.1, 0.1)),
    "min_iou_crop": T.MinIoURandomCrop(min_ious=(0.5, 0.7), min_crop_size=0.6),
}


@pytest.mark.parametrize("name", sorted(GEOMETRIC))
@pytest.mark.parametrize("seed", [0, 1])
def test_geometric_augmentation_keeps_annotations_on_the_object(name, seed):
    image, mask, sem_seg, box, polygon = _scene()
    np.random.seed(seed)
    aug_input = T.AugInput(image, boxes=box.copy(), sem_seg=sem_seg)
    tfms = T.AugmentationList([GEOMETRIC[name]])(aug_input)
    out = aug_input.image
    h, w = out.shape[:2]
    assert aug_input.sem_seg.shape == (h, w)

    colored = _colored(out)
    assert colored.sum() > 200, f"{name}: the object left the image ({tfms})"

    # Box: the transformed box, clipped to the image, encloses exactly the coloured pixels (within blur).
    bx0, by0, bx1, by1 = np.clip(aug_input.boxes[0], 0, [w, h, w, h])
    ys, xs = np.nonzero(colored)
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], [bx0, by0, bx1, by1], atol=2.0)

    # Bitmask and semantic map (nearest sampling): same region as the coloured pixels, labels not blended.
    out_mask = tfms.apply_segmentation(mask) == 1  # padding may fill seg_pad_value (255), which is not the object
    assert _iou(out_mask, colored) > 0.85, name
    assert set(np.unique(aug_input.sem_seg)) <= {0, LABEL, 255}
    assert _iou(aug_input.sem_seg == LABEL, out_mask) > 0.95

    # Polygon: rasterized where the colour is.
    polys = tfms.apply_polygons([polygon])
    assert _iou(_rasterize(polys, h, w), colored) > 0.85, name

    # Keypoints: each one still inside the image lies on the coloured object.
    kps = tfms.apply_coords(KEYPOINTS.copy())
    for x, y in kps:
        if 0 <= x < w and 0 <= y < h:
            assert colored[int(y), int(x)], f"{name}: keypoint ({x:.1f}, {y:.1f}) is off the object"


def test_flip_moves_left_keypoint_to_the_right():
    image, *_ = _scene()
    tfm = T.RandomFlip(prob=1.0).get_transform(image)
    assert isinstance(tfm, T.HFlipTransform)
    left, right = tfm.apply_coords(KEYPOINTS.copy())
    np.testing.assert_allclose(left, [W - 46.0, 50.0])
    np.testing.assert_allclose(right, [W - 82.0, 50.0])
    assert left[0] > right[0]


def test_random_flip_probability_uses_numpy_rng():
    image, *_ = _scene()
    aug = T.RandomFlip(prob=0.5)
    np.random.seed(123)
    flips = [isinstance(aug.get_transform(image), T.HFlipTransform) for _ in range(400)]
    assert 0.4 < np.mean(flips) < 0.6
    np.random.seed(123)
    assert flips == [isinstance(aug.get_transform(image), T.HFlipTransform) for _ in range(400)]


@pytest.mark.parametrize(
    "aug",
    [T.ResizeShortestEdge((50, 200), 1000), T.RandomRotation([-90, 90]), T.RandomCrop("relative_range", (0.3, 0.3)),
     T.RandomExtent((0.5, 1.5), (0.3, 0.3)), T.RandomContrast(0.5, 1.5), T.MinIoURandomCrop()],
    ids=repr,
)
def test_per_sample_seed_makes_augmentation_reproducible(aug):
    image, _, _, box, _ = _scene()

    def run(seed):
        np.random.seed(seed)
        aug_input = T.AugInput(image, boxes=box.copy())
        T.AugmentationList([aug])(aug_input)
        return aug_input.image, aug_input.boxes

    a, b, c = run(7), run(7), run(8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    different = [run(s) for s in range(8, 14)]
    assert any(x[0].shape != a[0].shape or not np.array_equal(x[0], a[0]) for x in different + [c])


def test_photometric_augmentations_follow_their_formula():
    image, mask, sem_seg, box, polygon = _scene()
    img = image.astype(np.float64)

    np.random.seed(0)
    tfm = T.RandomBrightness(0.5, 1.5).get_transform(image)
    w = tfm.dst_weight
    np.testing.assert_allclose(tfm.apply_image(image), np.clip(img * w, 0, 255).astype(np.uint8), atol=1)

    tfm = T.RandomContrast(0.5, 1.5).get_transform(image)
    w = tfm.dst_weight
    expected = np.clip(img * w + (1 - w) * img.mean(), 0, 255).astype(np.uint8)
    np.testing.assert_allclose(tfm.apply_image(image), expected, atol=1)

    tfm = T.RandomSaturation(0.0, 0.0).get_transform(image)  # weight 0: pure grayscale
    out = tfm.apply_image(image).astype(np.int32)
    gray = img @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(out[..., 0], gray, atol=1)
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()

    tfm = T.RandomLighting(0.5).get_transform(image)
    shift = tfm.src_image  # one offset per channel
    assert shift.shape == (3,)
    np.testing.assert_allclose(tfm.apply_image(image), np.clip(img + shift, 0, 255).astype(np.uint8), atol=1)

    # Photometric transforms leave every geometric annotation unchanged.
    for t in [T.BlendTransform(0, 0.5, 0.5), T.ColorTransform(lambda x: 255 - x)]:
        np.testing.assert_array_equal(t.apply_box(box), box)
        np.testing.assert_array_equal(t.apply_segmentation(sem_seg), sem_seg)
        np.testing.assert_array_equal(t.apply_polygons([polygon])[0], polygon)


def test_pil_color_transform_applies_pil_op():
    from PIL import ImageOps

    image, *_ = _scene()
    out = T.PILColorTransform(ImageOps.invert).apply_image(image)
    np.testing.assert_array_equal(out, 255 - image)


def test_resize_shortest_edge_output_shape_rules():
    assert T.ResizeShortestEdge.get_output_shape(427, 640, 800, 1333) == (800, 1199)
    assert T.ResizeShortestEdge.get_output_shape(400, 1200, 800, 1333) == (444, 1333)  # capped by max_size
    assert T.ResizeShortestEdge.get_output_shape(640, 427, 800, 1333) == (1199, 800)
    np.random.seed(0)
    tfm = T.ResizeShortestEdge(0).get_transform(np.zeros((10, 10, 3), np.uint8))
    assert isinstance(tfm, T.NoOpTransform)


def test_fixed_size_crop_pads_with_pad_values():
    image, mask, sem_seg, *_ = _scene()
    aug_input = T.AugInput(image, sem_seg=sem_seg)
    T.FixedSizeCrop((100, 140), pad_value=7, seg_pad_value=255)(aug_input)
    assert aug_input.image.shape == (100, 140, 3)
    assert (aug_input.image[96:, :] == 7).all() and (aug_input.image[:, 128:] == 7).all()
    assert (aug_input.sem_seg[96:, :] == 255).all()


def test_min_iou_crop_without_boxes_and_category_area_constraint():
    image, _, sem_seg, box, _ = _scene()
    assert isinstance(T.MinIoURandomCrop().get_transform(image, None), T.NoOpTransform)
    # A crop where one category covers everything is rejected in favour of one showing both.
    aug = T.RandomCrop_CategoryAreaConstraint("absolute", (30, 30), single_category_max_area=0.95)
    np.random.seed(0)
    for _ in range(5):
        tfm = aug.get_transform(image, sem_seg)
        window = tfm.apply_segmentation(sem_seg)
        assert len(np.unique(window)) == 2


def test_invalid_augmentation_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="both"):
        T.RandomFlip(horizontal=True, vertical=True)
    with pytest.raises(ValueError, match="crop_type"):
        T.RandomCrop("bogus", (1, 1))
    with pytest.raises(ValueError, match="relative sizes"):
        T.RandomCrop("relative", (1.5, 1.0)).get_transform(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="sample_style"):
        T.ResizeShortestEdge(800, sample_style="sometimes")
    with pytest.raises(ValueError, match="RGB"):
        T.RandomSaturation(0.5, 1.5).get_transform(np.zeros((4, 4), np.uint8))
