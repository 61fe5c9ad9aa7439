#!/usr/bin/env bash
# GPU check: the CUDA paths end to end on a machine with a CUDA GPU.
#   bash scripts/gpu_check.sh [TASK] [DATA_DIR] [EPOCHS]      (default: synthetic, no data needed)
# 1. trains TASK's teacher on CUDA (AMP) and on the CPU and prints both throughputs and the ratio;
# 2. distills the CUDA teacher on CUDA (2 members), resumes the finished run (must be a no-op);
# 3. exports the CUDA-trained run to ONNX (the export's own parity check runs on the CPU);
# 4. runs tests/train/test_cuda.py (AMP step, CUDA weights load on the CPU with the same outputs).
# Runs from a source tree too (no install needed): PYTHONPATH is set to the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
TASK=${1:-synthetic}
DATA=${2:-}
EPOCHS=${3:-3}
PY=${PYTHON:-python3}
OUT=${GPU_CHECK_OUT:-$(mktemp -d)}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" EDGEKIT_PROGRESS=0
DATA_ARGS=()
[ -n "$DATA" ] && DATA_ARGS=(--data-dir "$DATA")
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'; print('GPU:', torch.cuda.get_device_name(0), 'torch', torch.__version__)"
for dev in cuda cpu; do
  start=$SECONDS
  "$PY" -m edgekit train-teacher "$TASK" "${DATA_ARGS[@]}" \
    --out "$OUT/$dev" --device "$dev" --set teacher_train.epochs="$EPOCHS" > "$OUT/$dev.log" 2>&1 \
    || { tail -30 "$OUT/$dev.log"; exit 1; }
  echo "$dev teacher: $((SECONDS - start)) s wall (start-up included)"
done
"$PY" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
s = {d: json.load(open(f"{out}/{d}/teacher/summary.json")) for d in ("cuda", "cpu")}
for d, v in s.items():
    print(f"{d:5s}: {v['samples_per_second']:10,.0f} samples/s  val acc {v['val_accuracy']:.4f}  ({v['device']})")
print(f"GPU/CPU throughput ratio: {s['cuda']['samples_per_second'] / s['cpu']['samples_per_second']:.1f}x")
PY
distill=("$PY" -m edgekit distill "$TASK" "${DATA_ARGS[@]}" --out "$OUT/distill" --device cuda
  --teacher "$OUT/cuda" --set distill.max_members=2 --set student_train.epochs="$EPOCHS")
start=$SECONDS
"${distill[@]}" > "$OUT/distill.log" 2>&1 || { tail -30 "$OUT/distill.log"; exit 1; }
echo "distill on cuda: $((SECONDS - start)) s wall"
tail -12 "$OUT/distill.log"
"${distill[@]}" > "$OUT/resume.log" 2>&1 || { tail -30 "$OUT/resume.log"; exit 1; }
echo "resume of the finished run: ok"
"$PY" -m edgekit export "$OUT/distill" --target onnx --out "$OUT/bundle" > "$OUT/export.log" 2>&1 \
  || { tail -30 "$OUT/export.log"; exit 1; }
tail -8 "$OUT/export.log"
"$PY" -m pytest -q -p no:cacheprovider --noconftest tests/train/test_cuda.py  # conftest needs soundfile
