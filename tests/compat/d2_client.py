"""A small program written against Detectron2 only, as a library built on it would be (run by test_detectron2_package).

Usage: python d2_client.py CONFIG.yaml  -> prints one JSON line describing what it saw.
"""
import importlib.metadata
import json
import sys

import numpy as np
import torch

import detectron2
from detectron2 import model_zoo
from detectron2.config import get_cfg
from detectron2.data import MetadataCatalog
from detectron2.engine import DefaultPredictor
from detectron2.modeling import META_ARCH_REGISTRY
from detectron2.structures import Boxes, Instances
from detectron2.utils.visualizer import Visualizer


def main(config_file: str) -> None:
    version = importlib.metadata.version("detectron2")
    major_minor = tuple(int(x) for x in version.split("+")[0].split(".")[:2])
    if major_minor < (0, 6):
        raise SystemExit(f"needs detectron2 >= 0.6, found {version}")

    cfg = get_cfg()
    cfg.merge_from_file(model_zoo.get_config_file("COCO-Detection/faster_rcnn_R_50_FPN_1x.yaml"))
    cfg.merge_from_file(config_file)
    cfg.freeze()

    MetadataCatalog.get("client_shapes").set(thing_classes=["circle", "square", "triangle"])
    metadata = MetadataCatalog.get("client_shapes")

    torch.manual_seed(0)
    predictor = DefaultPredictor(cfg)
    image = np.zeros((120, 160, 3), dtype=np.uint8)  # BGR, as cv2.imread gives
    image[30:90, 40:110] = (40, 200, 240)
    outputs = predictor(image)
    instances = outputs["instances"].to("cpu")
    if not isinstance(instances, Instances) or not isinstance(instances.pred_boxes, Boxes):
        raise SystemExit(f"unexpected output types: {type(instances)}")
    boxes = instances.pred_boxes.tensor.numpy()
    scores = instances.scores.numpy()
    classes = instances.pred_classes.numpy()
    drawn = Visualizer(image[:, :, ::-1], metadata).draw_instance_predictions(instances).get_image()

    print(
        json.dumps(
            {
                "version": version,
                "module_version": detectron2.__version__,
                "meta_arch": type(predictor.model).__name__,
                "registered": "GeneralizedRCNN" in META_ARCH_REGISTRY,
                "image_size": list(instances.image_size),
                "num": len(instances),
                "boxes_in_image": bool(
                    ((boxes[:, 0] >= 0) & (boxes[:, 2] <= 160) & (boxes[:, 1] >= 0) & (boxes[:, 3] <= 120)).all()
                ),
                "scores_sorted": bool((np.diff(scores) <= 1e-6).all()),
                "score_range": [float(scores.min()), float(scores.max())] if len(scores) else [],
                "classes": sorted({int(c) for c in classes}),
                "drawn_shape": list(drawn.shape),
                "thing_classes": metadata.thing_classes,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
