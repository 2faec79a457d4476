"""Training-loop settings read by `LazyTrainer` (tools/lazyconfig_train_net.py, ``detectra train``): Detectron2's
``common/train.py`` values, so that the zoo's LazyConfigs equal the ones Detectron2 saves.

detectra's optional additions, read with these defaults when absent (engine/lazy_train.py: lazy_settings; the yacs
key they mirror in brackets)::

    train.compile = False  # torch.compile the model's backbone and ROI heads (MODEL.COMPILE)
    train.precise_bn = dict(enabled=False, num_iter=200)  # (TEST.PRECISE_BN)
    train.best_checkpointer = dict(enabled=False, metric="bbox/AP", mode="max")  # (SOLVER.BEST_CHECKPOINTER)
    train.val_period = 0  # validation loss on dataloader.val every N iterations (TEST.VAL_PERIOD)
    train.early_stop_patience = 0  # (TEST.EARLY_STOP_PATIENCE)
"""

train = dict(
    output_dir="./output",
    init_checkpoint="",  # weights loaded before training: a path or a detectron2:// URL
    max_iter=90000,
    amp=dict(enabled=False, precision="float16"),  # precision: "float16" or "bfloat16" (detectra addition)
    ddp=dict(broadcast_buffers=False, find_unused_parameters=False, fp16_compression=False),
    checkpointer=dict(period=5000, max_to_keep=100),  # PeriodicCheckpointer arguments
    eval_period=5000,
    log_period=20,
    device="cuda",
)
