#!/usr/bin/env bash
# GPU check: train the DSA-19 teacher for a few epochs on CUDA and on the CPU and print both
# throughputs (samples/s) and their ratio. Run on a machine with a CUDA GPU:
#   bash scripts/gpu_check.sh [DSA19_DATA] [EPOCHS]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/dsa19_p1-p6.tar.xz}
EPOCHS=${2:-3}
PY=${PYTHON:-python3}
OUT=$(mktemp -d)
"$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'; print('GPU:', torch.cuda.get_device_name(0))"
for dev in cuda cpu; do
  EDGEKIT_PROGRESS=0 "$PY" -m edgekit train-teacher dsa19 --data-dir "$DATA" --out "$OUT/$dev" \
    --device "$dev" --set teacher_train.epochs="$EPOCHS" > "$OUT/$dev.log"
done
"$PY" - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
s = {d: json.load(open(f"{out}/{d}/teacher/summary.json")) for d in ("cuda", "cpu")}
for d, v in s.items():
    print(f"{d:5s}: {v['samples_per_second']:10,.0f} samples/s  val acc {v['val_accuracy']:.4f}  ({v['device']})")
print(f"GPU/CPU throughput ratio: {s['cuda']['samples_per_second'] / s['cpu']['samples_per_second']:.1f}x")
PY
