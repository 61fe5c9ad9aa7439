"""The progressive ensemble: run members in order under a policy, anytime, resumable.

``ProgressiveEnsemble.load(bundle)`` then ``predict(x, policy)``: members run one at a time,
their logits summed, connection activations passed along, until the policy says stop. The
returned :class:`Prediction` keeps the running sum and activations, so ``refine(pred, policy)``
continues with more budget without rerunning finished members. One loaded ensemble may be
shared by threads: per-call state lives in the Prediction, backends serialise where they must.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgekit.errors import DataError, EdgekitError
from edgekit.runtime.bundle import Bundle, load_bundle
from edgekit.runtime.inputs import as_batch
from edgekit.runtime.manifest import Manifest
from edgekit.runtime.members import MemberRunner, QuantizedCache
from edgekit.runtime.policy import Policy, as_policy, top2_margin

_vdot = np.vdot  # flattens both operands (contiguous here: no copy)


@dataclass
class Prediction:
    """The answer so far for a batch: labels, summed logits, and how it was reached."""

    logits: np.ndarray  # [B, L] running sum F_k
    members_run: int
    macs: int
    elapsed_ms: float  # wall time over every predict/refine call for this input
    member_ms: list[float]  # per member run, in order
    stopped_by: str  # "all", "max_members", "budget_macs", "deadline_ms", "margin"
    class_names: tuple[str, ...] = ()
    activations: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    features: np.ndarray | None = field(default=None, repr=False)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(self.logits.argmax(axis=1))

    @property
    def label(self) -> int:
        """The top class of a single input (use ``labels`` for a batch)."""
        if len(self.logits) != 1:
            raise EdgekitError(f"this prediction holds {len(self.logits)} inputs; use .labels")
        return int(self.labels[0])

    @property
    def class_name(self) -> str:
        return self.class_names[self.label] if self.class_names else str(self.label)

    @property
    def margin(self) -> np.ndarray:
        """Top-1 minus top-2 of the summed logits, per input."""
        return top2_margin(self.logits)

    def to_dict(self) -> dict[str, object]:
        single = len(self.logits) == 1
        return {
            "label": self.label if single else self.labels.tolist(),
            "class_name": self.class_name if single else [self.class_names[i] for i in self.labels],
            "logits": self.logits[0].tolist() if single else self.logits.tolist(),
            "members_run": self.members_run,
            "macs": self.macs,
            "elapsed_ms": self.elapsed_ms,
            "member_ms": self.member_ms,
            "stopped_by": self.stopped_by,
        }


class ProgressiveEnsemble:
    """A loaded bundle, ready to predict under budgets."""

    def __init__(self, bundle: Bundle, backend: str = "auto", warmup: int = 3) -> None:
        self.bundle = bundle
        self.manifest: Manifest = bundle.manifest
        self.runner = MemberRunner(bundle, backend)
        # running estimate of each member's wall time (s): a deadline never starts a member that
        # is expected to end after it (plain float updates: safe to share between threads)
        self.member_seconds = [0.0] * len(self.manifest.members)
        # the clock of deadlines and member times (replaceable: tests drive it by hand)
        self.clock: Callable[[], float] = time.perf_counter
        self._input_shape = tuple(self.manifest.input_shape)
        self._input_size = int(np.prod(self._input_shape))
        self._zeros = np.zeros(self._input_size, np.float32)  # for check_features (read only)
        self._zeros.flags.writeable = False
        self.warm_up(warmup)

    def warm_up(self, calls: int = 3) -> None:
        """Run every member ``calls`` times on zeros: first invokes are slow (allocation, cold
        caches), and a deadline needs each member's time before the first real call."""
        if calls < 1:
            return
        zeros = np.zeros((1, *self.manifest.input_shape), np.float32)
        self.predict(zeros)  # the cold first call: allocation, caches
        times = np.array([self.predict(zeros).member_ms for _ in range(calls)])
        # seed the deadline estimates with the median of the warm calls, not the cold one
        self.member_seconds = [float(ms) / 1000 for ms in np.median(times, axis=0)]

    @classmethod
    def load(cls, path: str | Path, backend: str = "auto", warmup: int = 3) -> ProgressiveEnsemble:
        """Load a bundle (directory or .zip) and warm every member up ``warmup`` times."""
        return cls(load_bundle(path), backend, warmup)

    def __len__(self) -> int:
        return len(self.manifest.members)

    def check_features(self, x: np.ndarray) -> np.ndarray:
        """``x`` as float32 [B, T, C]; a clear error for a wrong shape or non-finite values."""
        if type(x) is np.ndarray and x.dtype == np.float32 and x.flags.c_contiguous:
            # the hot path (one input [T, C], as a stream or a device loop passes it)
            x = x[None] if x.shape == self._input_shape else as_batch(x, self.manifest)
        else:
            x = np.asarray(x)
            if not np.issubdtype(x.dtype, np.number):
                raise DataError(f"features must be numbers, got dtype {x.dtype}")
            x = np.ascontiguousarray(as_batch(x, self.manifest), dtype=np.float32)
        if x.size == self._input_size:
            # one input: its dot product with zeros is 0 exactly when every value is finite (a
            # NaN or an infinity times 0 is NaN); one BLAS call, no array built
            finite = bool(_vdot(x, self._zeros) == 0)
        else:
            finite = bool(np.isfinite(x).all())
        if not finite:
            raise DataError("features contain NaN or infinite values")
        return x

    def predict(self, x: np.ndarray, policy: Policy | dict[str, float] | None = None) -> Prediction:
        """Run members on normalised features ``x`` ([T, C] or [B, T, C]) until ``policy`` stops.

        A batch runs each member on the whole batch (one policy decision for all of it; early
        exit stops when every input's margin has reached the threshold).
        """
        start = self.clock()
        feats = self.check_features(x)
        logits = np.zeros((len(feats), self.manifest.num_classes), np.float32)
        return self._run(feats, logits, {}, [], 0, 0, 0.0, as_policy(policy), start)

    def refine(
        self, pred: Prediction, policy: Policy | dict[str, float] | None = None
    ) -> Prediction:
        """Continue ``pred`` with a new policy from the member after its last; nothing reruns.

        The policy's limits count from the start (``max_members=3`` means up to member 3 in all);
        the deadline counts from this call.
        """
        if pred.features is None:
            raise EdgekitError("this prediction cannot be refined (it holds no features)")
        return self._run(
            pred.features,
            pred.logits.copy(),
            dict(pred.activations),
            list(pred.member_ms),
            pred.members_run,
            pred.macs,
            pred.elapsed_ms,
            as_policy(policy),
            self.clock(),
        )

    def _run(  # the hot loop takes its state unpacked: no per-call objects to build
        self,
        features: np.ndarray,
        logits: np.ndarray,  # the running sum, updated in place
        activations: dict[int, np.ndarray],
        member_ms: list[float],
        k: int,  # members already run
        macs: int,
        elapsed_ms: float,  # by earlier calls for this input
        policy: Policy,
        start: float,
    ) -> Prediction:
        members = self.manifest.members
        stopped_by = "all"
        run_member, estimates, clock = self.runner.run_member, self.member_seconds, self.clock
        stop = None if policy.runs_all else policy.stop_reason  # nothing to ask: run them all
        quantized: QuantizedCache = {}
        now = clock()
        while k < len(members):
            entry = members[k]
            if stop is not None:
                reason = stop(k, entry.cumulative_macs, logits, now - start, estimates[k])
                if reason is not None:
                    stopped_by = reason
                    break
            member_logits, act = run_member(entry.index, features, activations, quantized)
            logits += member_logits
            if act is not None:
                activations[entry.index] = act
            k += 1
            macs = entry.cumulative_macs
            # a member's time is its whole step here (conversions and bookkeeping included):
            # that is what a deadline must predict
            end = clock()
            seconds = end - now
            member_ms.append(1000 * seconds)
            estimate = estimates[k - 1]
            estimates[k - 1] = seconds if estimate == 0 else 0.9 * estimate + 0.1 * seconds
            now = end
        return Prediction(
            logits,
            k,
            macs,
            elapsed_ms + 1000 * (clock() - start),
            member_ms,
            stopped_by,
            self.manifest.class_names,
            activations,
            features,
        )
