"""Your own data as an .npz (X_train [N, T, C], y_train, X_val, y_val; see docs/data.md).

A starting point for any multichannel time series: override with --set, or copy this file to
recipes/<yourtask>.py and register the task (docs/recipes.md).
"""

from edgekit.config import Recipe, TrainConfig

RECIPE = Recipe(
    task="arrays",
    teacher="cnn1d-64",  # a mid-size temporal CNN: strong on sensor data, cheap to train on CPU
    students=("cnn1d-8", "cnn1d-16", "cnn1d-32"),  # ~2-25 % of the teacher's MACs
    teacher_train=TrainConfig(
        epochs=30,  # enough for a few thousand windows; best epoch is kept anyway
        optimizer="adamw",  # robust without tuning the learning rate per data set
        lr=3e-3,  # AdamW's usual range
        schedule="cosine",  # anneals without a hand-tuned step schedule
    ),
    student_train=TrainConfig(
        epochs=30,  # as the teacher
        optimizer="adamw",  # as the teacher
        lr=3e-3,  # as the teacher
        schedule="cosine",  # as the teacher
    ),
)
