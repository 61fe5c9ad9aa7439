"""The CUDA paths: AMP training, resume, and CUDA-trained weights used on the CPU.

Skipped where torch sees no CUDA GPU (CI has none); ``scripts/gpu_check.sh`` runs them on one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from edgekit.config import TrainConfig
from edgekit.data import load_dataset
from edgekit.models import build_model
from edgekit.rundir import TrainerFiles
from edgekit.train.predict import load_best, predict_logits
from edgekit.train.trainer import Trainer

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (run scripts/gpu_check.sh on one)"
)

CONFIG = TrainConfig(epochs=3, batch_size=64, optimizer="adamw", lr=3e-3, seed=7)
ZOO = ("cnn1d-8", "dscnn-8x2", "gru-8", "lstm-8", "fastgrnn-8")

CHECKPOINT = TrainerFiles(Path()).checkpoint.name


class Crash(Exception):
    pass


def cuda_trainer(out: Path, spec: str = "cnn1d-8", **kwargs: object) -> Trainer:
    data = load_dataset("synthetic")
    torch.manual_seed(CONFIG.seed)
    model = build_model(spec, data.feature_shape, data.num_classes)
    return Trainer(model, data.train, data.val, CONFIG, out, device="cuda", **kwargs)  # type: ignore[arg-type]


def test_amp_training_learns_and_its_weights_serve_on_the_cpu(tmp_path: Path) -> None:
    t = cuda_trainer(tmp_path / "run")
    assert t.use_amp and next(t.model.parameters()).is_cuda
    result = t.fit()
    assert result.best_val_accuracy > 0.4  # it learns (chance is 1/8)
    data = load_dataset("synthetic")
    cpu_model = load_best(
        build_model("cnn1d-8", data.feature_shape, data.num_classes), tmp_path / "run"
    )
    on_cpu = predict_logits(cpu_model, data.val.x, torch.device("cpu"))
    on_gpu = predict_logits(t.model, data.val.x, torch.device("cuda"))  # eval in float32
    scale = on_cpu.abs().max().item()
    assert torch.allclose(on_cpu, on_gpu, atol=1e-3 * scale), (on_cpu - on_gpu).abs().max()


def test_crash_then_resume_on_cuda_finishes_the_run(tmp_path: Path) -> None:
    def crash(epoch: int, step: int) -> None:
        if epoch == 1 and step == 5:
            raise Crash

    with pytest.raises(Crash):
        cuda_trainer(tmp_path / "run", on_step=crash).fit()
    result = cuda_trainer(tmp_path / "run").fit(resume=True)
    assert result.epochs_run == 2
    assert (tmp_path / "run" / CHECKPOINT).exists()


@pytest.mark.parametrize("spec", ZOO)
def test_every_family_trains_a_step_under_autocast(spec: str) -> None:
    data = load_dataset("synthetic")
    torch.manual_seed(0)
    model = build_model(spec, data.feature_shape, data.num_classes)
    x = torch.as_tensor(data.train.x[:32])
    ref = model(x).logits.detach()
    model = model.cuda()
    assert torch.allclose(model(x.cuda()).logits.detach().cpu(), ref, atol=1e-4, rtol=1e-3)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = torch.nn.functional.cross_entropy(
            model(x.cuda()).logits.float(), torch.as_tensor(data.train.y[:32]).cuda()
        )
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
