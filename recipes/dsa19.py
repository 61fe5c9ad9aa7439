"""DSA-19 (UCI Daily and Sports Activities): 125 steps x 45 sensors, 19 activities."""

from edgekit.config import Recipe, TrainConfig

RECIPE = Recipe(
    task="dsa19",
    teacher="cnn1d-128",  # the teacher family measured before the product (86 % val); 5.6 M MACs
    students=(
        "cnn1d-8",
        "cnn1d-16",
        "cnn1d-32",
    ),  # 2-10 % of the teacher; the member family measured with it
    teacher_train=TrainConfig(epochs=40),  # the paper's SGD setting for 40 epochs
    student_train=TrainConfig(epochs=40),  # same setting for members
)
