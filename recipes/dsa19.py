"""DSA-19 (UCI Daily and Sports Activities): 125 steps x 45 sensors, 19 activities."""

from edgekit.recipe import Recipe
from edgekit.train.config import TrainConfig

RECIPE = Recipe(
    task="dsa19",
    teacher="cnn1d-128",  # DESIGN 3's measured teacher family (86 % val); 5.6 M MACs
    students=("cnn1d-8", "cnn1d-16", "cnn1d-32"),  # 2-10 % of the teacher; DESIGN 3's member family
    teacher_train=TrainConfig(epochs=40),  # the paper's SGD setting for 40 epochs (DESIGN 3)
    student_train=TrainConfig(epochs=40),  # same setting for members
)
