"""``shapes``: a synthetic detection / segmentation / keypoint / panoptic dataset that needs no download.

Each image has a sky and a ground region (two stuff classes, textured and noisy) and 1-6 objects of four thing
classes (circle, square, triangle, star) in random colours, 24-120 px, some partly hidden behind others or cut by
the image border. Ground truth: boxes, polygons of the visible part, three keypoints per triangle (apex, left_base,
right_base, with a flip map), semantic and COCO-panoptic label images. Generation is deterministic (fixed seeds),
happens on first use, and is cached under ``$DETECTRA_DATASETS/shapes`` (default ``./datasets/shapes``).

Registered names: ``shapes_train`` / ``shapes_val`` (COCO instances + keypoints, evaluator "coco"),
``shapes_{split}_sem_seg``, ``shapes_{split}_panoptic`` (standard) and ``shapes_{split}_panoptic_separated``.
"""
from __future__ import annotations

import colorsys
import contextlib
import json
import logging
import math
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Iterator, Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from detectra.data.catalog import DatasetCatalog, MetadataCatalog

__all__ = ["generate_shapes", "register_shapes", "shapes_root", "prepare_shapes", "SHAPES_SPLITS"]

logger = logging.getLogger(__name__)

THING_CLASSES = ["circle", "square", "triangle", "star"]
STUFF_ONLY_CLASSES = ["sky", "ground"]
KEYPOINT_NAMES = ["apex", "left_base", "right_base"]
KEYPOINT_FLIP_MAP = [("left_base", "right_base")]
KEYPOINT_CONNECTION_RULES = [
    ("apex", "left_base", (255, 128, 0)),
    ("apex", "right_base", (0, 128, 255)),
    ("left_base", "right_base", (0, 200, 0)),
]
THING_COLORS = [[220, 20, 60], [0, 0, 142], [250, 170, 30], [106, 0, 228]]
STUFF_COLORS = [[70, 130, 180], [152, 251, 152]]

# split -> (number of images, seed); sizes chosen so that a small Faster R-CNN learns it in minutes on a CPU
SHAPES_SPLITS = {"train": (800, 1), "val": (200, 2)}
_FORMAT_VERSION = 1
_IMAGE_SIZE = (256, 320)  # height and width are drawn independently from this range
_OBJECT_SIZE = (24, 120)

# category ids in the json: things 1..4, stuff 5..6
_THING_IDS = {name: i + 1 for i, name in enumerate(THING_CLASSES)}
_STUFF_IDS = {name: len(THING_CLASSES) + i + 1 for i, name in enumerate(STUFF_ONLY_CLASSES)}

Polygon = np.ndarray  # (K, 2) float64, x/y vertices


# ----------------------------------------------------------------------------------------------- geometry
def _signed_area(poly: Polygon) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _clip_halfplane(poly: Polygon, a: np.ndarray, b: np.ndarray, keep_left: bool) -> Polygon:
    """Sutherland-Hodgman against the line a->b; keeps the side where cross(b - a, p - a) >= 0 (or <= 0)."""
    if len(poly) == 0:
        return poly
    d = b - a
    side = d[0] * (poly[:, 1] - a[1]) - d[1] * (poly[:, 0] - a[0])
    if not keep_left:
        side = -side
    out = []
    for i in range(len(poly)):
        j = (i + 1) % len(poly)
        if side[i] >= 0:
            out.append(poly[i])
        if (side[i] >= 0) != (side[j] >= 0):
            t = side[i] / (side[i] - side[j])
            out.append(poly[i] + t * (poly[j] - poly[i]))
    return np.asarray(out).reshape(-1, 2)


def _subtract_convex(poly: Polygon, convex: Polygon) -> list[Polygon]:
    """``poly`` minus a convex polygon, as disjoint pieces (outside edge i, inside edges 0..i-1)."""
    if _signed_area(convex) < 0:
        convex = convex[::-1]
    pieces, inside = [], poly
    for i in range(len(convex)):
        a, b = convex[i], convex[(i + 1) % len(convex)]
        piece = _clip_halfplane(inside, a, b, keep_left=False)
        if len(piece) >= 3 and abs(_signed_area(piece)) > 0.5:
            pieces.append(piece)
        inside = _clip_halfplane(inside, a, b, keep_left=True)
        if len(inside) < 3:
            break
    return pieces


def _clip_to_image(poly: Polygon, w: int, h: int) -> Polygon:
    if poly.min() >= 0 and poly[:, 0].max() <= w and poly[:, 1].max() <= h:
        return poly
    rect = np.array([[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]])
    for i in range(4):  # rect is counter-clockwise in the cross-product sense used by _clip_halfplane
        poly = _clip_halfplane(poly, rect[i], rect[(i + 1) % 4], keep_left=True)
        if len(poly) < 3:
            return np.zeros((0, 2))
    return poly


def _shape_polygon(kind: str, cx: float, cy: float, size: float, angle: float) -> Polygon:
    r = size / 2
    if kind == "circle":
        t = np.linspace(0, 2 * math.pi, 28, endpoint=False)
        pts = np.stack([np.cos(t), np.sin(t)], 1) * r
    elif kind == "square":
        pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * (r / math.sqrt(2) * 1.2)
    elif kind == "triangle":  # apex up (y grows downwards), then left and right base corners
        pts = np.array([[0, -1], [-math.sin(math.pi / 3), 0.5], [math.sin(math.pi / 3), 0.5]]) * r
        pts[:, 1] += 0.25 * r  # centre the bounding box vertically
    else:  # five-pointed star: outer and inner vertices alternate
        t = np.arange(10) * math.pi / 5 - math.pi / 2
        rad = np.where(np.arange(10) % 2 == 0, r, 0.45 * r)
        pts = np.stack([np.cos(t) * rad, np.sin(t) * rad], 1)
    c, s = math.cos(angle), math.sin(angle)
    rot = pts @ np.array([[c, s], [-s, c]])
    return rot + np.array([cx, cy])


# ----------------------------------------------------------------------------------------------- scenes
def _random_color(rng: np.random.Generator, sat: tuple[float, float], val: tuple[float, float], hue=None):
    h = rng.uniform(0, 1) if hue is None else hue
    r, g, b = colorsys.hsv_to_rgb(h, rng.uniform(*sat), rng.uniform(*val))
    return np.array([r, g, b]) * 255


def _background(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Sky above a wavy horizon, textured ground below. Returns (HxWx3 float image, HxW bool sky mask)."""
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)[:, None]
    horizon = h * rng.uniform(0.35, 0.65) + h * rng.uniform(0.02, 0.08) * np.sin(
        xs * 2 * math.pi / w * rng.uniform(0.5, 2.0) + rng.uniform(0, 2 * math.pi)
    )
    sky = ys < horizon[None, :]
    sky_top = _random_color(rng, (0.1, 0.5), (0.75, 1.0), hue=rng.uniform(0.52, 0.66))
    sky_bottom = _random_color(rng, (0.0, 0.3), (0.8, 1.0), hue=rng.uniform(0.0, 0.15))
    t = (ys / h)[..., None]  # (H, 1, 1): vertical gradient
    img = (sky_top * (1 - t) + sky_bottom * t).astype(np.float32)
    ground_color = _random_color(rng, (0.3, 0.7), (0.25, 0.6), hue=rng.choice([0.08, 0.1, 0.25, 0.3, 0.0]))
    coarse = rng.normal(0, 1, (h // 16 + 2, w // 16 + 2))
    coarse = np.asarray(Image.fromarray(coarse.astype(np.float32), mode="F").resize((w, h), Image.BILINEAR))
    texture = 18 * coarse[..., None] + 10 * rng.standard_normal((h, w, 1), dtype=np.float32)
    img = np.where(sky[..., None], img, ground_color.astype(np.float32) + texture)
    return img, sky


def _overlaps(a: Polygon, b: Polygon) -> bool:
    (ax0, ay0), (ax1, ay1) = a.min(0), a.max(0)
    (bx0, by0), (bx1, by1) = b.min(0), b.max(0)
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


def _visible_pieces(obj: dict, later: list[dict], w: int, h: int) -> list[Polygon]:
    pieces = [_clip_to_image(obj["poly"], w, h)]
    pieces = [p for p in pieces if len(p) >= 3]
    for occ in later:
        if _overlaps(obj["poly"], occ["poly"]):
            pieces = [q for p in pieces for q in _subtract_convex(p, occ["poly"])]
    return pieces


def _area(pieces: list[Polygon]) -> float:
    return sum(abs(_signed_area(p)) for p in pieces)


def _place_objects(rng: np.random.Generator, w: int, h: int) -> list[dict]:
    """Random objects in drawing order. Circles and stars are drawn first and never overlap each other; squares
    and triangles (convex) are drawn on top and may hide part of anything below. Every object keeps >= 55 % of
    its area visible."""
    num = int(rng.integers(1, 7))
    kinds = [THING_CLASSES[int(k)] for k in rng.integers(0, len(THING_CLASSES), num)]
    bottom = [k for k in kinds if k in ("circle", "star")]
    top = [k for k in kinds if k in ("square", "triangle")]
    placed: list[dict] = []
    for kind in bottom + top:
        for _ in range(30):
            size = float(np.exp(rng.uniform(math.log(_OBJECT_SIZE[0]), math.log(_OBJECT_SIZE[1]))))
            cx, cy = rng.uniform(-0.1 * size, w + 0.1 * size), rng.uniform(-0.1 * size, h + 0.1 * size)
            max_angle = math.radians(20) if kind == "triangle" else math.pi
            obj = {"kind": kind, "poly": _shape_polygon(kind, cx, cy, size, rng.uniform(-max_angle, max_angle))}
            obj["full_area"] = abs(_signed_area(obj["poly"]))
            if _area(_visible_pieces(obj, [], w, h)) < 0.75 * obj["full_area"]:
                continue  # mostly outside the image
            if kind in ("circle", "star") and any(_overlaps(obj["poly"], o["poly"]) for o in placed):
                continue
            candidate = placed + [obj]
            if all(
                _area(_visible_pieces(o, candidate[i + 1 :], w, h)) >= 0.55 * o["full_area"]
                for i, o in enumerate(candidate)
            ):
                placed = candidate
                break
    return placed


def _draw_scene(rng: np.random.Generator, image_id: int, h: int, w: int) -> tuple[Image.Image, list[dict], np.ndarray]:
    """Render one image. Returns (RGB image, annotations in json ids, HxW int32 segment map: -1 sky, -2 ground,
    k >= 0 = annotation k)."""
    img, sky = _background(rng, h, w)
    objects = _place_objects(rng, w, h)
    canvas = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    seg = Image.fromarray(np.where(sky, -1, -2).astype(np.int32), mode="I")
    seg_draw = ImageDraw.Draw(seg)
    for k, obj in enumerate(objects):
        color = _random_color(rng, (0.45, 1.0), (0.45, 0.95))
        outline = tuple(int(c * 0.55) for c in color)
        xy = [tuple(p) for p in obj["poly"]]
        draw.polygon(xy, fill=tuple(int(c) for c in color), outline=outline, width=2)
        seg_draw.polygon(xy, fill=k, outline=k)
    arr = np.asarray(canvas.filter(ImageFilter.GaussianBlur(0.7))).astype(np.float32)
    arr += rng.uniform(3, 9) * rng.standard_normal(arr.shape, dtype=np.float32)  # sensor-like noise
    image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))

    annotations = []
    for k, obj in enumerate(objects):
        pieces = _visible_pieces(obj, objects[k + 1 :], w, h)
        allp = np.concatenate(pieces)
        x0, y0 = allp.min(0)
        x1, y1 = allp.max(0)
        ann = {
            "id": 0,  # filled by the caller
            "image_id": image_id,
            "category_id": _THING_IDS[obj["kind"]],
            "bbox": [round(float(x0), 2), round(float(y0), 2), round(float(x1 - x0), 2), round(float(y1 - y0), 2)],
            "area": round(_area(pieces), 2),
            "iscrowd": 0,
            "segmentation": [[round(float(v), 2) for v in p.reshape(-1)] for p in pieces],
        }
        kps = []
        if obj["kind"] == "triangle":
            for x, y in obj["poly"]:
                if not (0 <= x < w and 0 <= y < h):
                    kps += [0, 0, 0]  # outside the image: not labelled
                    continue
                hidden = any(len(_clip_point(obj2["poly"], x, y)) for obj2 in objects[k + 1 :])
                kps += [int(x), int(y), 1 if hidden else 2]
        else:
            kps = [0] * 3 * len(KEYPOINT_NAMES)
        ann["keypoints"] = kps
        ann["num_keypoints"] = sum(1 for v in kps[2::3] if v > 0)
        annotations.append(ann)
    return image, annotations, np.asarray(seg)


def _clip_point(poly: Polygon, x: float, y: float) -> list:
    """[1] if (x, y) lies inside the convex polygon ``poly``, else []."""
    if _signed_area(poly) < 0:
        poly = poly[::-1]
    for i in range(len(poly)):
        a, b = poly[i], poly[(i + 1) % len(poly)]
        if (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]) < 0:
            return []
    return [1]


# ----------------------------------------------------------------------------------------------- files
def _categories() -> list[dict[str, Any]]:
    cats = []
    for name, cid in _THING_IDS.items():
        cat = {"id": cid, "name": name, "supercategory": "shape", "isthing": 1, "color": THING_COLORS[cid - 1]}
        if name == "triangle":
            cat["keypoints"] = list(KEYPOINT_NAMES)
            cat["skeleton"] = [[1, 2], [1, 3], [2, 3]]
        cats.append(cat)
    for i, (name, cid) in enumerate(_STUFF_IDS.items()):
        cats.append({"id": cid, "name": name, "supercategory": "background", "isthing": 0, "color": STUFF_COLORS[i]})
    return cats


def _generate_one(job: tuple) -> tuple[dict, list[dict], dict]:
    """Draw image ``i`` and write its image and label files; returns its json entries (annotation ids unset)."""
    paths, i, seed, image_size = job
    stuff_index = {name: len(THING_CLASSES) + i for i, name in enumerate(STUFF_ONLY_CLASSES)}
    rng = np.random.default_rng([seed, i])
    h, w = (int(v) for v in rng.integers(image_size[0], image_size[1] + 1, size=2))
    image_id = i + 1
    image, anns, seg = _draw_scene(rng, image_id, h, w)
    stem = f"{image_id:06d}"
    image.save(os.path.join(paths["image_root"], stem + ".jpg"), quality=92)
    # semantic labels over every class; panoptic ids: instance k -> k + 1, sky 254, ground 255 (0 = void)
    sem = np.full((h, w), 255, dtype=np.uint8)
    stuff_sem = np.full((h, w), 255, dtype=np.uint8)
    pan = np.zeros((h, w), dtype=np.int64)
    segments = []
    for k, ann in enumerate(anns):
        mask = seg == k
        sem[mask] = ann["category_id"] - 1
        stuff_sem[mask] = 0
        pan[mask] = k + 1
        if mask.any():
            segments.append({"id": k + 1, "category_id": ann["category_id"], "iscrowd": 0,
                             "bbox": ann["bbox"], "area": int(mask.sum())})  # fmt: skip
    for j, (name, code) in enumerate((("sky", -1), ("ground", -2))):
        mask = seg == code
        sem[mask] = stuff_index[name]
        stuff_sem[mask] = j + 1
        pan[mask] = 254 + j
        if mask.any():
            ys, xs = np.nonzero(mask)
            bbox = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
            segments.append({"id": 254 + j, "category_id": _STUFF_IDS[name], "iscrowd": 0, "bbox": bbox,
                             "area": int(mask.sum())})  # fmt: skip
    Image.fromarray(sem).save(os.path.join(paths["sem_seg_root"], stem + ".png"), compress_level=1)
    Image.fromarray(stuff_sem).save(os.path.join(paths["panoptic_stuff_root"], stem + ".png"), compress_level=1)
    rgb = np.stack([pan % 256, pan // 256 % 256, pan // 65536], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(paths["panoptic_root"], stem + ".png"), compress_level=1)
    pan_ann = {"image_id": image_id, "file_name": stem + ".png", "segments_info": segments}
    return {"id": image_id, "file_name": stem + ".jpg", "height": h, "width": w}, anns, pan_ann


def generate_shapes(
    root: str, num_images: int, image_size: tuple[int, int] = _IMAGE_SIZE, seed: int = 0
) -> dict[str, str]:
    """Draw a shapes split into ``root`` (created if needed); deterministic for a given seed.

    Args:
        root: output folder.
        num_images: number of images.
        image_size: (min, max) of image height and width, drawn independently per image.
        seed: random seed; image ``i`` depends only on (seed, i).

    Returns:
        paths: "image_root", "json_file" (COCO instances + keypoints), "sem_seg_root" (labels 0..3 things, 4 sky,
        5 ground, 255 unused), "panoptic_root" + "panoptic_json" (COCO panoptic), "panoptic_stuff_root" (labels
        0 = any thing, 1 sky, 2 ground; for the "separated" panoptic format).
    """
    paths = {
        "image_root": os.path.join(root, "images"),
        "json_file": os.path.join(root, "instances.json"),
        "sem_seg_root": os.path.join(root, "sem_seg"),
        "panoptic_root": os.path.join(root, "panoptic"),
        "panoptic_json": os.path.join(root, "panoptic.json"),
        "panoptic_stuff_root": os.path.join(root, "panoptic_stuff"),
    }
    for key in ("image_root", "sem_seg_root", "panoptic_root", "panoptic_stuff_root"):
        os.makedirs(paths[key], exist_ok=True)
    jobs = [(paths, i, seed, tuple(image_size)) for i in range(num_images)]
    workers = min(os.cpu_count() or 1, 4)
    if num_images >= 64 and workers > 1:  # every image has its own rng, so the result does not depend on this
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_generate_one, jobs, chunksize=16))
    else:
        results = [_generate_one(job) for job in jobs]
    images, annotations, pan_annotations = [], [], []
    for image, anns, pan_ann in results:
        images.append(image)
        pan_annotations.append(pan_ann)
        for ann in anns:
            ann["id"] = len(annotations) + 1
            annotations.append(ann)

    info = {"description": f"detectra synthetic shapes (seed {seed}, format v{_FORMAT_VERSION})"}
    thing_cats = [c for c in _categories() if c["isthing"]]
    with open(paths["json_file"], "w") as f:
        json.dump({"info": info, "images": images, "annotations": annotations, "categories": thing_cats}, f)
    with open(paths["panoptic_json"], "w") as f:
        json.dump({"info": info, "images": images, "annotations": pan_annotations, "categories": _categories()}, f)
    return paths


def shapes_root() -> str:
    """Cache folder of the builtin shapes splits: ``$DETECTRA_DATASETS/shapes`` (default ``./datasets/shapes``;
    Detectron2's ``$DETECTRON2_DATASETS`` is read when ``DETECTRA_DATASETS`` is unset)."""
    from detectra.data.datasets.builtin import datasets_root  # builtin imports this module

    return os.path.join(datasets_root(), "shapes")


@contextlib.contextmanager
def _file_lock(path: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic rename below still keeps the result consistent
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def prepare_shapes(split: str, root: Optional[str] = None) -> dict[str, str]:
    """Make sure the builtin ``split`` ("train" / "val") exists under ``root``; generate it (once, under a file
    lock, into a temporary folder renamed into place) if not. Returns the paths of ``generate_shapes``."""
    if split not in SHAPES_SPLITS:
        raise KeyError(f"Unknown shapes split '{split}'; choose one of {sorted(SHAPES_SPLITS)}.")
    num_images, seed = SHAPES_SPLITS[split]
    root = root or shapes_root()
    final = os.path.join(root, f"v{_FORMAT_VERSION}", split)
    marker = os.path.join(final, "DONE")
    if not os.path.exists(marker):
        os.makedirs(os.path.dirname(final), exist_ok=True)
        with _file_lock(os.path.join(os.path.dirname(final), ".lock")):
            if not os.path.exists(marker):  # another process may have finished while we waited
                logger.info("Generating the shapes dataset '%s' (%d images) into %s ...", split, num_images, final)
                tmp = tempfile.mkdtemp(prefix=f".{split}-", dir=os.path.dirname(final))
                generate_shapes(tmp, num_images, _IMAGE_SIZE, seed)
                with open(os.path.join(tmp, "DONE"), "w") as f:
                    f.write(f"{num_images} {seed}\n")
                if os.path.exists(final):
                    shutil.rmtree(final)  # a stale, incomplete folder from an interrupted run
                os.rename(tmp, final)
    return _split_paths(final)


def _split_paths(folder: str) -> dict[str, str]:
    names = {"image_root": "images", "json_file": "instances.json", "sem_seg_root": "sem_seg",
             "panoptic_root": "panoptic", "panoptic_json": "panoptic.json", "panoptic_stuff_root": "panoptic_stuff"}
    return {k: os.path.join(folder, v) for k, v in names.items()}


def shapes_metadata() -> dict[str, Any]:
    """Metadata shared by every shapes dataset."""
    return {
        "thing_classes": list(THING_CLASSES),
        "thing_colors": [list(c) for c in THING_COLORS],
        "keypoint_names": list(KEYPOINT_NAMES),
        "keypoint_flip_map": list(KEYPOINT_FLIP_MAP),
        "keypoint_connection_rules": list(KEYPOINT_CONNECTION_RULES),
    }


def _lazily(prepare: Callable[[], Any], loader: Callable[[], list]) -> Callable[[], list]:
    def load() -> list:
        prepare()
        return loader()

    return load


def register_shapes(prefix: str = "shapes", root: Optional[str] = None, splits: Optional[dict] = None) -> None:
    """Register ``{prefix}_{split}`` (+ ``_sem_seg``, ``_panoptic``, ``_panoptic_separated``) for each split.

    Args:
        prefix: dataset name prefix.
        root: either a folder made by ``generate_shapes`` per split (``root/{split}``) when ``splits`` is given
            as {split: folder}, or None for the builtin cache (generated on first use).
        splits: {split: folder of generate_shapes}; None means the builtin "train" and "val" splits.
    """
    from detectra.data.datasets.coco import load_coco_json, load_sem_seg
    from detectra.data.datasets.coco_panoptic import register_coco_panoptic, register_coco_panoptic_separated

    if splits is None:
        folders = {s: os.path.join(root or shapes_root(), f"v{_FORMAT_VERSION}", s) for s in SHAPES_SPLITS}
        prepares = {s: (lambda s=s: prepare_shapes(s, root)) for s in SHAPES_SPLITS}
    else:
        folders = dict(splits)
        prepares = {s: (lambda: None) for s in splits}
    stuff_classes = list(THING_CLASSES) + list(STUFF_ONLY_CLASSES)
    for split, folder in folders.items():
        p = _split_paths(folder)
        prepare = prepares[split]
        name = f"{prefix}_{split}"
        DatasetCatalog.register(name, _lazily(prepare, lambda p=p, name=name: load_coco_json(
            p["json_file"], p["image_root"], name)))  # fmt: skip
        MetadataCatalog.get(name).set(json_file=p["json_file"], image_root=p["image_root"], evaluator_type="coco",
                                      thing_dataset_id_to_contiguous_id={i + 1: i for i in range(4)},
                                      **shapes_metadata())  # fmt: skip
        sem_name = f"{name}_sem_seg"
        DatasetCatalog.register(sem_name, _lazily(prepare, lambda p=p: load_sem_seg(
            p["sem_seg_root"], p["image_root"], gt_ext="png", image_ext="jpg")))  # fmt: skip
        MetadataCatalog.get(sem_name).set(stuff_classes=stuff_classes, stuff_colors=THING_COLORS + STUFF_COLORS,
                                          sem_seg_root=p["sem_seg_root"], image_root=p["image_root"],
                                          evaluator_type="sem_seg", ignore_label=255)  # fmt: skip
        pan_meta = {
            **shapes_metadata(),
            "stuff_classes": stuff_classes,
            "stuff_colors": THING_COLORS + STUFF_COLORS,
            "thing_dataset_id_to_contiguous_id": {i + 1: i for i in range(4)},
            "stuff_dataset_id_to_contiguous_id": {5: 4, 6: 5},
        }
        pan_name = f"{name}_panoptic"
        register_coco_panoptic(pan_name, pan_meta, p["image_root"], p["panoptic_root"], p["panoptic_json"],
                               p["json_file"])  # fmt: skip
        sep_meta = {**shapes_metadata(), "stuff_classes": ["things"] + list(STUFF_ONLY_CLASSES),
                    "stuff_colors": [[82, 18, 128]] + STUFF_COLORS,
                    "stuff_dataset_id_to_contiguous_id": {0: 0, 5: 1, 6: 2},
                    "thing_dataset_id_to_contiguous_id": {i + 1: i for i in range(4)}}  # fmt: skip
        register_coco_panoptic_separated(pan_name, sep_meta, p["image_root"], p["panoptic_root"],
                                         p["panoptic_json"], p["panoptic_stuff_root"], p["json_file"])  # fmt: skip
        for n in (name, sem_name, pan_name, f"{pan_name}_separated", f"{pan_name}_stuffonly"):
            if n not in (name, sem_name):
                loader = DatasetCatalog[n]
                DatasetCatalog.remove(n)
                DatasetCatalog.register(n, _lazily(prepare, loader))
            MetadataCatalog._set_prepare(n, prepare)
