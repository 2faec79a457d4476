"""Training-loop settings read by tools/lazyconfig_train_net.py (Detectron2's ``common/train.py`` values)."""

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
