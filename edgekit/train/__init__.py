"""Training: one loop for teachers and students on CPU, GPU or torchrun (DDP).

Knows training settings (``edgekit.config.TrainConfig``), never a Recipe.
"""
