"""What an exported detectra model computes, and the Python steps that turn its outputs into eager-format results.

The exported graph runs one image end to end up to the network's own resolution: normalisation, padding, backbone,
proposals, ROI heads / dense head, NMS, box decoding, per-ROI mask probabilities (R, 1, M, M) and keypoint heatmaps.
What stays outside — because it loops over instances with data-dependent sizes, or only rescales — is
`postprocess_outputs`: pasting the ROI masks into the image, decoding keypoint heatmaps (Detectron2's per-ROI bicubic
upsampling), rescaling to the requested "height" / "width", and Panoptic FPN's combination of instances and stuff.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from torch import nn

from detectra.modeling.meta_arch.dense_detector import DenseDetector
from detectra.modeling.meta_arch.panoptic_fpn import PanopticFPN, combine_semantic_and_instance_outputs
from detectra.modeling.meta_arch.rcnn import GeneralizedRCNN, ProposalNetwork
from detectra.modeling.meta_arch.semantic_seg import SemanticSegmentor
from detectra.modeling.postprocessing import detector_postprocess, sem_seg_postprocess
from detectra.structures import Instances, heatmaps_to_keypoints

from .flatten import size_to_tensor

__all__ = ["deploy_inference_func", "postprocess_outputs", "deploy_meta"]


def _rcnn(model: nn.Module, inputs: List[Dict]) -> Dict[str, Any]:
    return {"instances": model.inference(inputs, do_postprocess=False)}


def _proposals(model: nn.Module, inputs: List[Dict]) -> Dict[str, Any]:
    images = model.preprocess_image(inputs)
    features = model.backbone(images.tensor)
    proposals, _ = model.proposal_generator(images, features, None)
    return {"proposals": proposals}


def _dense(model: nn.Module, inputs: List[Dict]) -> Dict[str, Any]:
    images = model.preprocess_image(inputs)
    features = model.backbone(images.tensor)
    features = [features[f] for f in model.head_in_features]
    return {"instances": model.forward_inference(images, features, model.head(features))}


def _semantic(model: nn.Module, inputs: List[Dict]) -> Dict[str, Any]:
    images = model.preprocess_image(inputs)
    logits, _ = model.sem_seg_head(model.backbone(images.tensor), None)
    return {"sem_seg": logits, "image_size": size_to_tensor(images.image_sizes[0])}


def _panoptic(model: nn.Module, inputs: List[Dict]) -> Dict[str, Any]:
    instances, sem_seg = model.inference(inputs, do_postprocess=False)
    return {"instances": instances, "sem_seg": sem_seg}


def deploy_inference_func(model: nn.Module) -> Callable[[nn.Module, List[Dict]], Dict[str, Any]]:
    """The ``inference_func`` for `TracingAdapter` that computes what an export of ``model`` keeps in its graph.

    Returns:
        ``func(model, batched_inputs) -> dict`` of structured outputs at the network's input resolution.

    Raises:
        TypeError: for a meta-architecture detectra does not know how to export.
    """
    # PanopticFPN subclasses GeneralizedRCNN: test it first
    for cls, func in (
        (PanopticFPN, _panoptic),
        (GeneralizedRCNN, _rcnn),
        (ProposalNetwork, _proposals),
        (DenseDetector, _dense),
        (SemanticSegmentor, _semantic),
    ):
        if isinstance(model, cls):
            return func
    raise TypeError(
        f"detectra cannot export a {type(model).__name__}: supported meta-architectures are GeneralizedRCNN, "
        "PanopticFPN, ProposalNetwork, RetinaNet / FCOS (DenseDetector) and SemanticSegmentor."
    )


def deploy_meta(model: nn.Module) -> Dict[str, Any]:
    """Settings of ``model`` that `postprocess_outputs` needs (stored in the export's json sidecar)."""
    meta: Dict[str, Any] = {"meta_architecture": type(model).__name__}
    if isinstance(model, PanopticFPN):
        meta["panoptic"] = {
            "overlap_thresh": model.combine_overlap_thresh,
            "stuff_area_thresh": model.combine_stuff_area_thresh,
            "instances_score_thresh": model.combine_instances_score_thresh,
        }
    return meta


def _finish_instances(instances: Instances, height: int, width: int) -> Instances:
    if instances.has("pred_keypoint_heatmaps") and not instances.has("pred_keypoints"):
        # decoded outside the graph: see the module docstring
        keypoints = heatmaps_to_keypoints(instances.pred_keypoint_heatmaps, instances.pred_boxes.tensor)
        instances.pred_keypoints = keypoints[:, :, [0, 1, 3]]
    return detector_postprocess(instances, height, width)


def postprocess_outputs(outputs: Dict[str, Any], batched_inputs: List[Dict], meta: Dict[str, Any]) -> List[Dict]:
    """Turn the structured outputs of an exported graph into what the eager model returns in eval mode.

    Args:
        outputs: the graph's outputs rebuilt by the export's output schema (see `deploy_inference_func`).
        batched_inputs: the inputs the graph ran on; their optional "height" / "width" set the output resolution.
        meta: `deploy_meta` of the exported model.

    Returns:
        per image, the eager model's result dict ("instances", "proposals", "sem_seg", "panoptic_seg").
    """
    results: List[Dict] = []
    for i, inputs in enumerate(batched_inputs):
        h_in, w_in = inputs["image"].shape[-2:]
        height, width = int(inputs.get("height", h_in)), int(inputs.get("width", w_in))
        result: Dict[str, Any] = {}
        if "proposals" in outputs:
            result["proposals"] = detector_postprocess(outputs["proposals"][i], height, width)
        if "instances" in outputs:
            result["instances"] = _finish_instances(outputs["instances"][i], height, width)
        if "sem_seg" in outputs:
            image_size = outputs["instances"][i].image_size if "instances" in outputs else outputs["image_size"]
            image_size = tuple(int(x) for x in image_size)
            result["sem_seg"] = sem_seg_postprocess(outputs["sem_seg"][i], image_size, height, width)
        if "panoptic" in meta:
            p = meta["panoptic"]
            result["panoptic_seg"] = combine_semantic_and_instance_outputs(
                result["instances"], result["sem_seg"].argmax(dim=0),
                p["overlap_thresh"], p["stuff_area_thresh"], p["instances_score_thresh"],
            )
        results.append(result)
    return results
