"""The synthetic demo task: fast enough for tests and the 5-minute demo on 2 CPU cores."""

from edgekit.config import Recipe, TrainConfig

RECIPE = Recipe(
    task="synthetic",
    teacher="cnn1d-64",  # wide enough to read all three hidden bits; 0.57 M MACs on 64 x 8
    students=("cnn1d-8", "cnn1d-16"),  # 3-6 % of the teacher; CNNs connect to each other's maps
    teacher_train=TrainConfig(
        epochs=15,  # the synthetic teacher converges in ~10 epochs; 15 leaves margin
        optimizer="adamw",  # converges in fewer epochs than SGD here, which keeps the demo short
        lr=3e-3,  # AdamW's usual range; 0.05 (the SGD default) diverges with Adam
        schedule="cosine",  # anneals to a clean optimum in a short run
    ),
    student_train=TrainConfig(
        epochs=15,  # as the teacher
        optimizer="adamw",  # as the teacher
        lr=3e-3,  # as the teacher
        schedule="cosine",  # as the teacher
    ),
)
