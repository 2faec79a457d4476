"""Default values of every config key: Detectron2's key set and values, plus a few detectra additions.

Conventions (as in Detectron2):
- ``*_TRAIN`` / ``*_TEST`` keys configure training / inference only.
- Tuples are used where Detectron2 uses them, so merges from YAML lists come back as tuples.
- Keys marked ``# detectra addition`` do not exist in Detectron2; a Detectron2 config never sets them, so it loads
  unchanged and these keys keep their defaults (which reproduce Detectron2's behaviour).
"""
from .cfg_node import CfgNode as CN

__all__ = ["_C"]

_C = CN()

# Config format version; bump when keys are renamed so old configs can be recognised.
_C.VERSION = 2

_C.MODEL = CN()
_C.MODEL.LOAD_PROPOSALS = False  # use precomputed proposals (DATASETS.PROPOSAL_FILES_*) instead of an RPN
_C.MODEL.MASK_ON = False
_C.MODEL.KEYPOINT_ON = False
_C.MODEL.DEVICE = "cuda"
_C.MODEL.META_ARCHITECTURE = "GeneralizedRCNN"
# Checkpoint to initialise from: a path or a URL (detectron2:// and catalog:// prefixes are resolved by the
# checkpointer).
_C.MODEL.WEIGHTS = ""
# torch.compile the backbone and ROI-head parts (training and inference); falls back to eager mode with a warning
# where the platform cannot compile. See detectra/modeling/compile.py.
_C.MODEL.COMPILE = False  # detectra addition
# Per-channel pixel mean / std in INPUT.FORMAT channel order (BGR by default, 0-255 range). With the
# MSRA-style (Caffe2) ResNet weights std is 1; torchvision-style weights use [57.375, 57.120, 58.395].
_C.MODEL.PIXEL_MEAN = [103.530, 116.280, 123.675]
_C.MODEL.PIXEL_STD = [1.0, 1.0, 1.0]

# ---------------------------------------------------------------------------- #
# INPUT
# ---------------------------------------------------------------------------- #
_C.INPUT = CN()
# Training short-edge sizes; one is drawn per image ("choice") or a size in [min, max] ("range").
_C.INPUT.MIN_SIZE_TRAIN = (800,)
_C.INPUT.MIN_SIZE_TRAIN_SAMPLING = "choice"
_C.INPUT.MAX_SIZE_TRAIN = 1333
# Test short-edge size; 0 disables resizing at test time.
_C.INPUT.MIN_SIZE_TEST = 800
_C.INPUT.MAX_SIZE_TEST = 1333
_C.INPUT.RANDOM_FLIP = "horizontal"  # "horizontal", "vertical" or "none"

# Random crop at training time; TYPE is one of "relative_range", "relative", "absolute", "absolute_range".
_C.INPUT.CROP = CN({"ENABLED": False})
_C.INPUT.CROP.TYPE = "relative_range"
_C.INPUT.CROP.SIZE = [0.9, 0.9]  # meaning depends on TYPE (a fraction of the image or pixels)

# Channel order the model takes: "BGR", "RGB", "L" (grayscale) or "YUV-BT.601".
_C.INPUT.FORMAT = "BGR"
_C.INPUT.MASK_FORMAT = "polygon"  # "polygon" or "bitmask"

# ---------------------------------------------------------------------------- #
# DATASETS: names registered in DatasetCatalog
# ---------------------------------------------------------------------------- #
_C.DATASETS = CN()
_C.DATASETS.TRAIN = ()
_C.DATASETS.PROPOSAL_FILES_TRAIN = ()  # one proposal file per TRAIN dataset, with MODEL.LOAD_PROPOSALS
_C.DATASETS.PRECOMPUTED_PROPOSAL_TOPK_TRAIN = 2000
_C.DATASETS.TEST = ()
_C.DATASETS.PROPOSAL_FILES_TEST = ()
_C.DATASETS.PRECOMPUTED_PROPOSAL_TOPK_TEST = 1000
_C.DATASETS.VAL = ()  # detectra addition: held-out datasets for the validation loss (see TEST.VAL_PERIOD)

# ---------------------------------------------------------------------------- #
# DATALOADER
# ---------------------------------------------------------------------------- #
_C.DATALOADER = CN()
_C.DATALOADER.NUM_WORKERS = 4
# Batch images of similar aspect ratio (all wide or all tall) to waste less padding.
_C.DATALOADER.ASPECT_RATIO_GROUPING = True
_C.DATALOADER.SAMPLER_TRAIN = "TrainingSampler"  # or "RepeatFactorTrainingSampler", "RandomSubsetTrainingSampler"
# RepeatFactorTrainingSampler: images with a category rarer than this frequency are repeated.
_C.DATALOADER.REPEAT_THRESHOLD = 0.0
_C.DATALOADER.REPEAT_SQRT = True  # use sqrt(threshold / frequency) as the repeat factor (as in LVIS)
_C.DATALOADER.FILTER_EMPTY_ANNOTATIONS = True  # drop training images without usable annotations
_C.DATALOADER.PERSISTENT_WORKERS = False  # detectra addition: keep DataLoader workers alive between epochs
# boxes training would repair or drop, and polygons that give no mask, are errors
_C.DATALOADER.STRICT_ANNOTATIONS = False  # detectra addition

# ---------------------------------------------------------------------------- #
# Backbone
# ---------------------------------------------------------------------------- #
_C.MODEL.BACKBONE = CN()
_C.MODEL.BACKBONE.NAME = "build_resnet_backbone"  # name in BACKBONE_REGISTRY
# Freeze the stem (1) and the first stages (2 = stem + res2, ...); 0 trains everything.
_C.MODEL.BACKBONE.FREEZE_AT = 2

# ---------------------------------------------------------------------------- #
# FPN
# ---------------------------------------------------------------------------- #
_C.MODEL.FPN = CN()
_C.MODEL.FPN.IN_FEATURES = []  # bottom-up feature names, e.g. ["res2", "res3", "res4", "res5"]
_C.MODEL.FPN.OUT_CHANNELS = 256
_C.MODEL.FPN.NORM = ""  # "" (none), "GN", "SyncBN", ...
_C.MODEL.FPN.FUSE_TYPE = "sum"  # how top-down and lateral features combine: "sum" or "avg"

# ---------------------------------------------------------------------------- #
# Proposal generator
# ---------------------------------------------------------------------------- #
_C.MODEL.PROPOSAL_GENERATOR = CN()
_C.MODEL.PROPOSAL_GENERATOR.NAME = "RPN"  # "RPN" or "RRPN"; "PrecomputedProposals" with LOAD_PROPOSALS
# Proposals with either side below this many pixels (in the resized image) are dropped.
_C.MODEL.PROPOSAL_GENERATOR.MIN_SIZE = 0

# ---------------------------------------------------------------------------- #
# Anchor generator
# ---------------------------------------------------------------------------- #
_C.MODEL.ANCHOR_GENERATOR = CN()
_C.MODEL.ANCHOR_GENERATOR.NAME = "DefaultAnchorGenerator"
# Anchor sizes (sqrt of area, in pixels) per feature map: [[32, 64, ...]] puts all sizes on every level,
# [[32], [64], ...] one size per level (FPN).
_C.MODEL.ANCHOR_GENERATOR.SIZES = [[32, 64, 128, 256, 512]]
_C.MODEL.ANCHOR_GENERATOR.ASPECT_RATIOS = [[0.5, 1.0, 2.0]]  # height / width, per level as SIZES
_C.MODEL.ANCHOR_GENERATOR.ANGLES = [[-90, 0, 90]]  # degrees, rotated anchors only
# Anchor centre offset as a fraction of the feature stride (0.0: top-left corner of the cell, 0.5: its centre).
_C.MODEL.ANCHOR_GENERATOR.OFFSET = 0.0

# ---------------------------------------------------------------------------- #
# RPN
# ---------------------------------------------------------------------------- #
_C.MODEL.RPN = CN()
_C.MODEL.RPN.HEAD_NAME = "StandardRPNHead"
_C.MODEL.RPN.IN_FEATURES = ["res4"]
# Anchors that extend beyond the image by more than this many pixels are ignored in training; -1 keeps all.
_C.MODEL.RPN.BOUNDARY_THRESH = -1
# Matching: IoU < 0.3 -> label 0 (negative), in [0.3, 0.7) -> -1 (ignored), >= 0.7 -> 1 (positive).
_C.MODEL.RPN.IOU_THRESHOLDS = [0.3, 0.7]
_C.MODEL.RPN.IOU_LABELS = [0, -1, 1]
_C.MODEL.RPN.BATCH_SIZE_PER_IMAGE = 256  # anchors sampled per image for the loss
_C.MODEL.RPN.POSITIVE_FRACTION = 0.5
_C.MODEL.RPN.BBOX_REG_LOSS_TYPE = "smooth_l1"  # "smooth_l1", "giou" or "diou"/"ciou"
_C.MODEL.RPN.BBOX_REG_LOSS_WEIGHT = 1.0
_C.MODEL.RPN.BBOX_REG_WEIGHTS = (1.0, 1.0, 1.0, 1.0)  # (dx, dy, dw, dh) weights of the box transform
_C.MODEL.RPN.SMOOTH_L1_BETA = 0.0  # 0 makes smooth L1 an L1 loss
_C.MODEL.RPN.LOSS_WEIGHT = 1.0
# Top-k proposals kept before NMS, per feature level (FPN) or per image (C4).
_C.MODEL.RPN.PRE_NMS_TOPK_TRAIN = 12000
_C.MODEL.RPN.PRE_NMS_TOPK_TEST = 6000
# Top-k proposals kept after NMS, per image (over all levels).
_C.MODEL.RPN.POST_NMS_TOPK_TRAIN = 2000
_C.MODEL.RPN.POST_NMS_TOPK_TEST = 1000
_C.MODEL.RPN.NMS_THRESH = 0.7
# Channels of the RPN head's conv layers; [-1] means one conv with as many channels as its input.
_C.MODEL.RPN.CONV_DIMS = [-1]

# ---------------------------------------------------------------------------- #
# ROI heads
# ---------------------------------------------------------------------------- #
_C.MODEL.ROI_HEADS = CN()
_C.MODEL.ROI_HEADS.NAME = "Res5ROIHeads"
_C.MODEL.ROI_HEADS.NUM_CLASSES = 80  # foreground classes, background not counted
_C.MODEL.ROI_HEADS.IN_FEATURES = ["res4"]
# Proposals with IoU >= 0.5 to a ground-truth box are foreground, else background.
_C.MODEL.ROI_HEADS.IOU_THRESHOLDS = [0.5]
_C.MODEL.ROI_HEADS.IOU_LABELS = [0, 1]
_C.MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE = 512  # proposals sampled per image for the box-head loss
_C.MODEL.ROI_HEADS.POSITIVE_FRACTION = 0.25
# Test-time detection score threshold and per-class NMS IoU threshold.
_C.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.05
_C.MODEL.ROI_HEADS.NMS_THRESH_TEST = 0.5
_C.MODEL.ROI_HEADS.PROPOSAL_APPEND_GT = True  # add ground-truth boxes to the proposals in training

# ---------------------------------------------------------------------------- #
# Box head
# ---------------------------------------------------------------------------- #
_C.MODEL.ROI_BOX_HEAD = CN()
_C.MODEL.ROI_BOX_HEAD.NAME = ""  # name in ROI_BOX_HEAD_REGISTRY, e.g. "FastRCNNConvFCHead"
_C.MODEL.ROI_BOX_HEAD.BBOX_REG_LOSS_TYPE = "smooth_l1"
_C.MODEL.ROI_BOX_HEAD.BBOX_REG_LOSS_WEIGHT = 1.0
# (dx, dy, dw, dh) weights; (10, 10, 5, 5) is the Fast R-CNN convention.
_C.MODEL.ROI_BOX_HEAD.BBOX_REG_WEIGHTS = (10.0, 10.0, 5.0, 5.0)
_C.MODEL.ROI_BOX_HEAD.SMOOTH_L1_BETA = 0.0
_C.MODEL.ROI_BOX_HEAD.POOLER_RESOLUTION = 14
_C.MODEL.ROI_BOX_HEAD.POOLER_SAMPLING_RATIO = 0  # 0: adaptive number of samples per bin
# "ROIAlignV2" (aligned=True, half-pixel shift), "ROIAlign", "ROIPool" or "ROIAlignRotated".
_C.MODEL.ROI_BOX_HEAD.POOLER_TYPE = "ROIAlignV2"
_C.MODEL.ROI_BOX_HEAD.NUM_FC = 0
_C.MODEL.ROI_BOX_HEAD.FC_DIM = 1024
_C.MODEL.ROI_BOX_HEAD.NUM_CONV = 0
_C.MODEL.ROI_BOX_HEAD.CONV_DIM = 256
_C.MODEL.ROI_BOX_HEAD.NORM = ""
_C.MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG = False  # one box regression for all classes
# Train the box head on the boxes the head itself predicts (detached) rather than on the proposals.
_C.MODEL.ROI_BOX_HEAD.TRAIN_ON_PRED_BOXES = False
# Federated loss (for LVIS-style datasets): classify against a sampled subset of classes.
_C.MODEL.ROI_BOX_HEAD.USE_FED_LOSS = False
_C.MODEL.ROI_BOX_HEAD.USE_SIGMOID_CE = False  # per-class sigmoid cross-entropy instead of softmax
_C.MODEL.ROI_BOX_HEAD.FED_LOSS_FREQ_WEIGHT_POWER = 0.5
_C.MODEL.ROI_BOX_HEAD.FED_LOSS_NUM_CLASSES = 50

# ---------------------------------------------------------------------------- #
# Cascade box head: one entry per stage
# ---------------------------------------------------------------------------- #
_C.MODEL.ROI_BOX_CASCADE_HEAD = CN()
_C.MODEL.ROI_BOX_CASCADE_HEAD.BBOX_REG_WEIGHTS = (
    (10.0, 10.0, 5.0, 5.0),
    (20.0, 20.0, 10.0, 10.0),
    (30.0, 30.0, 15.0, 15.0),
)
_C.MODEL.ROI_BOX_CASCADE_HEAD.IOUS = (0.5, 0.6, 0.7)  # foreground IoU threshold of each stage

# ---------------------------------------------------------------------------- #
# Mask head
# ---------------------------------------------------------------------------- #
_C.MODEL.ROI_MASK_HEAD = CN()
_C.MODEL.ROI_MASK_HEAD.NAME = "MaskRCNNConvUpsampleHead"
_C.MODEL.ROI_MASK_HEAD.POOLER_RESOLUTION = 14
_C.MODEL.ROI_MASK_HEAD.POOLER_SAMPLING_RATIO = 0
_C.MODEL.ROI_MASK_HEAD.NUM_CONV = 0  # convs before the upsampling deconv
_C.MODEL.ROI_MASK_HEAD.CONV_DIM = 256
_C.MODEL.ROI_MASK_HEAD.NORM = ""
_C.MODEL.ROI_MASK_HEAD.CLS_AGNOSTIC_MASK = False  # one mask for all classes
_C.MODEL.ROI_MASK_HEAD.POOLER_TYPE = "ROIAlignV2"

# ---------------------------------------------------------------------------- #
# Keypoint head
# ---------------------------------------------------------------------------- #
_C.MODEL.ROI_KEYPOINT_HEAD = CN()
_C.MODEL.ROI_KEYPOINT_HEAD.NAME = "KRCNNConvDeconvUpsampleHead"
_C.MODEL.ROI_KEYPOINT_HEAD.POOLER_RESOLUTION = 14
_C.MODEL.ROI_KEYPOINT_HEAD.POOLER_SAMPLING_RATIO = 0
_C.MODEL.ROI_KEYPOINT_HEAD.CONV_DIMS = tuple(512 for _ in range(8))
_C.MODEL.ROI_KEYPOINT_HEAD.NUM_KEYPOINTS = 17  # COCO person keypoints
# Images with fewer visible keypoints than this are skipped in keypoint-head training.
_C.MODEL.ROI_KEYPOINT_HEAD.MIN_KEYPOINTS_PER_IMAGE = 1
# Normalise the keypoint loss by the number of visible keypoints in the batch (True) or by a constant
# (False; then LOSS_WEIGHT should compensate).
_C.MODEL.ROI_KEYPOINT_HEAD.NORMALIZE_LOSS_BY_VISIBLE_KEYPOINTS = True
_C.MODEL.ROI_KEYPOINT_HEAD.LOSS_WEIGHT = 1.0
_C.MODEL.ROI_KEYPOINT_HEAD.POOLER_TYPE = "ROIAlignV2"

# ---------------------------------------------------------------------------- #
# Semantic segmentation head
# ---------------------------------------------------------------------------- #
_C.MODEL.SEM_SEG_HEAD = CN()
_C.MODEL.SEM_SEG_HEAD.NAME = "SemSegFPNHead"
_C.MODEL.SEM_SEG_HEAD.IN_FEATURES = ["p2", "p3", "p4", "p5"]
_C.MODEL.SEM_SEG_HEAD.IGNORE_VALUE = 255  # label value ignored by the loss
# Classes including "things" merged into one; 54 = COCO panoptic stuff (53) + one "thing" class.
_C.MODEL.SEM_SEG_HEAD.NUM_CLASSES = 54
_C.MODEL.SEM_SEG_HEAD.CONVS_DIM = 128
_C.MODEL.SEM_SEG_HEAD.COMMON_STRIDE = 4  # output stride of the head before upsampling
_C.MODEL.SEM_SEG_HEAD.NORM = "GN"
_C.MODEL.SEM_SEG_HEAD.LOSS_WEIGHT = 1.0

# ---------------------------------------------------------------------------- #
# Panoptic FPN
# ---------------------------------------------------------------------------- #
_C.MODEL.PANOPTIC_FPN = CN()
_C.MODEL.PANOPTIC_FPN.INSTANCE_LOSS_WEIGHT = 1.0  # instance losses are scaled by this (semantic: SEM_SEG_HEAD)
# Heuristic that combines instance and semantic outputs into a panoptic output at inference.
_C.MODEL.PANOPTIC_FPN.COMBINE = CN({"ENABLED": True})
_C.MODEL.PANOPTIC_FPN.COMBINE.OVERLAP_THRESH = 0.5  # drop instances overlapping already-placed ones this much
_C.MODEL.PANOPTIC_FPN.COMBINE.STUFF_AREA_LIMIT = 4096  # drop stuff segments smaller than this (pixels)
_C.MODEL.PANOPTIC_FPN.COMBINE.INSTANCES_CONFIDENCE_THRESH = 0.5

# ---------------------------------------------------------------------------- #
# RetinaNet
# ---------------------------------------------------------------------------- #
_C.MODEL.RETINANET = CN()
_C.MODEL.RETINANET.NUM_CLASSES = 80
_C.MODEL.RETINANET.IN_FEATURES = ["p3", "p4", "p5", "p6", "p7"]
_C.MODEL.RETINANET.NUM_CONVS = 4  # convs in each of the class and box towers
# Matching: IoU < 0.4 -> background, in [0.4, 0.5) -> ignored, >= 0.5 -> foreground.
_C.MODEL.RETINANET.IOU_THRESHOLDS = [0.4, 0.5]
_C.MODEL.RETINANET.IOU_LABELS = [0, -1, 1]
# Initial foreground probability of the classifier (sets its bias), for stable focal-loss training.
_C.MODEL.RETINANET.PRIOR_PROB = 0.01
_C.MODEL.RETINANET.SCORE_THRESH_TEST = 0.05
_C.MODEL.RETINANET.TOPK_CANDIDATES_TEST = 1000  # per level, before NMS
_C.MODEL.RETINANET.NMS_THRESH_TEST = 0.5
_C.MODEL.RETINANET.BBOX_REG_WEIGHTS = (1.0, 1.0, 1.0, 1.0)
_C.MODEL.RETINANET.FOCAL_LOSS_GAMMA = 2.0
_C.MODEL.RETINANET.FOCAL_LOSS_ALPHA = 0.25
_C.MODEL.RETINANET.SMOOTH_L1_LOSS_BETA = 0.1
_C.MODEL.RETINANET.BBOX_REG_LOSS_TYPE = "smooth_l1"
_C.MODEL.RETINANET.NORM = ""  # norm in the head towers ("" = none; "BN" / "SyncBN" are per level)

# ---------------------------------------------------------------------------- #
# ResNet
# ---------------------------------------------------------------------------- #
_C.MODEL.RESNETS = CN()
_C.MODEL.RESNETS.DEPTH = 50
_C.MODEL.RESNETS.OUT_FEATURES = ["res4"]  # stages whose outputs the backbone returns: "stem", "res2".."res5"
_C.MODEL.RESNETS.NUM_GROUPS = 1  # 1 = ResNet, > 1 = ResNeXt
_C.MODEL.RESNETS.NORM = "FrozenBN"  # "FrozenBN", "BN", "SyncBN", "GN"
_C.MODEL.RESNETS.WIDTH_PER_GROUP = 64  # bottleneck width = NUM_GROUPS * WIDTH_PER_GROUP
# Put the stride-2 conv on the 1x1 conv of a bottleneck (MSRA / Caffe2 weights) rather than the 3x3 (torchvision).
_C.MODEL.RESNETS.STRIDE_IN_1X1 = True
_C.MODEL.RESNETS.RES5_DILATION = 1  # 1 or 2; 2 keeps res5 at stride 16
_C.MODEL.RESNETS.RES2_OUT_CHANNELS = 256  # 64 for R18 / R34
_C.MODEL.RESNETS.STEM_OUT_CHANNELS = 64
# Deformable convolution in the 3x3 conv of each bottleneck, per stage res2..res5.
_C.MODEL.RESNETS.DEFORM_ON_PER_STAGE = [False, False, False, False]
_C.MODEL.RESNETS.DEFORM_MODULATED = False  # modulated (v2) deformable conv
_C.MODEL.RESNETS.DEFORM_NUM_GROUPS = 1

# ---------------------------------------------------------------------------- #
# Solver
# ---------------------------------------------------------------------------- #
_C.SOLVER = CN()
_C.SOLVER.LR_SCHEDULER_NAME = "WarmupMultiStepLR"  # or "WarmupCosineLR", "WarmupStepWithFixedGammaLR"
_C.SOLVER.MAX_ITER = 40000
_C.SOLVER.BASE_LR = 0.001
_C.SOLVER.BASE_LR_END = 0.0  # final LR of WarmupCosineLR
_C.SOLVER.MOMENTUM = 0.9
_C.SOLVER.NESTEROV = False
_C.SOLVER.WEIGHT_DECAY = 0.0001
_C.SOLVER.WEIGHT_DECAY_NORM = 0.0  # weight decay of normalization-layer parameters
_C.SOLVER.GAMMA = 0.1  # LR multiplier at each of STEPS
_C.SOLVER.STEPS = (30000,)  # iterations at which the LR is multiplied by GAMMA
_C.SOLVER.NUM_DECAYS = 3  # WarmupStepWithFixedGammaLR: number of decays spread over MAX_ITER
_C.SOLVER.WARMUP_FACTOR = 1.0 / 1000  # LR multiplier at iteration 0, rising to 1 over WARMUP_ITERS
_C.SOLVER.WARMUP_ITERS = 1000
_C.SOLVER.WARMUP_METHOD = "linear"  # "linear" or "constant"
# WarmupStepWithFixedGammaLR: whether to rescale the interval of the schedule after warmup.
_C.SOLVER.RESCALE_INTERVAL = False
_C.SOLVER.CHECKPOINT_PERIOD = 5000
# Images per batch over all GPUs together (each GPU gets IMS_PER_BATCH / world size).
_C.SOLVER.IMS_PER_BATCH = 16
# When > 0 and the world size differs, IMS_PER_BATCH, BASE_LR, MAX_ITER, STEPS, ... are rescaled linearly
# (DefaultTrainer.auto_scale_workers) as if written for this many workers.
_C.SOLVER.REFERENCE_WORLD_SIZE = 0
# Bias parameters get BASE_LR * BIAS_LR_FACTOR and WEIGHT_DECAY_BIAS (None: same as WEIGHT_DECAY).
_C.SOLVER.BIAS_LR_FACTOR = 1.0
_C.SOLVER.WEIGHT_DECAY_BIAS = None

_C.SOLVER.OPTIMIZER = "SGD"  # detectra addition: "SGD" (MOMENTUM, NESTEROV) or "AdamW"

# Gradient clipping, applied to every parameter group.
_C.SOLVER.CLIP_GRADIENTS = CN({"ENABLED": False})
_C.SOLVER.CLIP_GRADIENTS.CLIP_TYPE = "value"  # "value" (clamp each element) or "norm" (scale the whole gradient)
_C.SOLVER.CLIP_GRADIENTS.CLIP_VALUE = 1.0  # max |g| for "value", max norm for "norm"
_C.SOLVER.CLIP_GRADIENTS.NORM_TYPE = 2.0  # p of the p-norm for "norm"; inf for the max norm

# Automatic mixed precision in training.
_C.SOLVER.AMP = CN({"ENABLED": False})
_C.SOLVER.AMP.PRECISION = "float16"  # detectra addition: autocast dtype, "float16" or "bfloat16"

# detectra addition: keep the checkpoint with the best evaluation METRIC as "model_best.pth".
_C.SOLVER.BEST_CHECKPOINTER = CN()
_C.SOLVER.BEST_CHECKPOINTER.ENABLED = False  # detectra addition
_C.SOLVER.BEST_CHECKPOINTER.METRIC = "bbox/AP"  # detectra addition: key in the evaluation results
_C.SOLVER.BEST_CHECKPOINTER.MODE = "max"  # detectra addition: "max" or "min"

# ---------------------------------------------------------------------------- #
# Test / evaluation
# ---------------------------------------------------------------------------- #
_C.TEST = CN()
# For end-to-end tests: [[task, metric, value, tolerance], ...]; the run fails if a result is off.
_C.TEST.EXPECTED_RESULTS = []
_C.TEST.EVAL_PERIOD = 0  # evaluate every this many iterations during training; 0 = only at the end
# Per-keypoint OKS sigmas for COCO keypoint evaluation; [] uses COCO's person-keypoint sigmas.
_C.TEST.KEYPOINT_OKS_SIGMAS = []
_C.TEST.DETECTIONS_PER_IMAGE = 100  # max detections kept per image
# Compute dtype at inference ("float32", "bfloat16", "float16"; autocast), used by the predictors,
# inference_on_dataset via DefaultTrainer.test, `detectra eval` / `detectra predict`. Outputs are float32 regardless.
_C.TEST.PRECISION = "float32"  # detectra addition

# Test-time augmentation: resize to each of MIN_SIZES (and flip), then merge the detections.
_C.TEST.AUG = CN({"ENABLED": False})
_C.TEST.AUG.MIN_SIZES = (400, 500, 600, 700, 800, 900, 1000, 1100, 1200)
_C.TEST.AUG.MAX_SIZE = 4000
_C.TEST.AUG.FLIP = True

# Recompute BatchNorm statistics on NUM_ITER training batches before each evaluation.
_C.TEST.PRECISE_BN = CN({"ENABLED": False})
_C.TEST.PRECISE_BN.NUM_ITER = 200

_C.TEST.VAL_PERIOD = 0  # detectra addition: compute the loss on DATASETS.VAL every this many iterations; 0 = off
_C.TEST.EARLY_STOP_PATIENCE = 0  # detectra addition: stop after this many evaluations without improvement; 0 = off

# ---------------------------------------------------------------------------- #
# Misc
# ---------------------------------------------------------------------------- #
_C.OUTPUT_DIR = "./output"  # checkpoints, logs and metrics are written here
# Random seed; < 0 picks a different seed every run (from time and pid).
_C.SEED = -1
_C.CUDNN_BENCHMARK = False  # cudnn autotuning; helps only with fixed input sizes
# torch.backends float32 matmul / conv precision: "" leaves PyTorch's default, else "highest", "high" or "medium"
# (via torch.set_float32_matmul_precision; "high" / "medium" allow TF32).
_C.FLOAT32_PRECISION = ""
# Log visualisations of training samples to the event storage every this many iterations; 0 = off.
_C.VIS_PERIOD = 0

# Global settings for quick experiments: code may read cfg.GLOBAL.HACK without adding a key.
_C.GLOBAL = CN()
_C.GLOBAL.HACK = 1.0
