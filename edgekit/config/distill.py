"""B-DISTIL settings: the part of a recipe that shapes the rounds (docs/distill.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The objectives' behaviour lives in edgekit.distill.objectives (a registry keyed by these names;
# a test checks that the two agree).
ObjectiveName = Literal["logit", "kd", "hybrid", "independent"]
Connections = Literal["off", "on", "both"]
Score = Literal["calibrated", "kd"]
InitRounds = Literal["first", "all"]
Selection = Literal["split", "train"]
Step = Literal["search", "unit", "gated"]
KeepEpoch = Literal["sum", "own"]
OBJECTIVES: tuple[str, ...] = get_args(ObjectiveName)
CONNECTIONS: tuple[str, ...] = get_args(Connections)
SCORES: tuple[str, ...] = get_args(Score)
SELECTIONS: tuple[str, ...] = get_args(Selection)
STEPS: tuple[str, ...] = get_args(Step)
KEEP_EPOCHS: tuple[str, ...] = get_args(KeepEpoch)


@dataclass(frozen=True)
class DistillConfig:
    """How members are searched for, trained and accepted.

    ``budget`` caps the ensemble's cumulative MACs as a fraction of the teacher's; FIND-WL tries
    candidates (student spec x connection x objective) cheapest first and accepts the first whose
    held-out edge (relative drop of the running sum's held-out KD loss) reaches ``gamma_min``.
    The rounds stop at ``max_members``, at the MAC cap ``budget``, on a plateau of held-out
    gains, or (``stop_at_teacher``) when the held-out accuracy reaches the teacher's; the
    defaults keep the fixed member count (plateau and teacher tests off, no lookahead).
    """

    max_members: int = 4
    budget: float = 1.0
    objectives: tuple[ObjectiveName, ...] = ("logit", "hybrid", "independent")
    connections: Connections = (
        "on"  # on: connect from round 2 where the port fits; off: never; both: try each
    )
    gamma_min: float = 0.05
    eta: float = 1.0  # kd/hybrid adversary temperature (0 = uniform sample weights)
    logit_eta: float = 0.1  # logit game's temperature: 1/eta ~ the logit scale (~10); see docs
    beta: float = 1.0  # weight of the member's own KD term in the hybrid objective
    alpha_max: float = 2.0
    # How a member is added (scoring.py): "search" fits its step on the selection data (up to
    # alpha_max); "unit" adds it as trained: an independent member by the plain sum (RESCHED's),
    # a residual member at step 1 on the calibrated sum it was fitted to; "gated" adds it as
    # trained (member 1 too) unless the searched step, up to alpha_max times the unit one,
    # lowers the held-out loss by at least step_gain (relative): a step fitted on the data the
    # member trained on is kept only where it earns as much as a member must (gamma_min's 0.05)
    step: Step = "search"
    step_gain: float = 0.05
    # Which held-out loss keeps an independent member's epoch: "sum", the running sum's with the
    # member added (as FIND-WL scores it), or "own", the member's alone (as RESCHED's students
    # keep theirs: the member then is its paired twin). Residual members always use "sum"
    keep_epoch: KeepEpoch = "sum"
    score: Score = (
        "calibrated"  # held-out loss at the running sum's best scale ("kd": raw); see scoring.py
    )
    selection_fraction: float = 0.15
    # Where members are scored (edge, step, best epoch): "split" carves selection_fraction of the
    # training split off for it; "train" fits and scores members on the whole training split
    # (their target is the teacher's logits, not the labels). A carved part of a handful of
    # series decides by one or two series (issue 18), so sizing switches to "train" when the
    # part would hold fewer than min_selection series (0: never; pipelines/sizing.py).
    selection: Selection = "split"
    min_selection: int = 0
    patience: int = (
        0  # stop a candidate after this many epochs without a better held-out loss (0: off)
    )
    inits: int = 1  # train member 1's candidates from this many inits, keep the best held-out
    inits_rounds: InitRounds = "first"  # "all": every round's candidates get the inits
    # When the rounds stop (distill/stopping.py), besides max_members and budget (the MAC cap):
    plateau_gain: float = 0.0  # stop when plateau_rounds rounds in a row each raise F_t's
    plateau_rounds: int = 2  # held-out accuracy by less than this fraction (0: test off)
    stop_at_teacher: bool = False  # stop once F_t's held-out accuracy reaches the teacher's
    lookahead: int = 0  # FIND-WL: larger tiers also scored after the first passing one
    # RESCHED's k-th student from member k's init and seeds (common random numbers; seeds.py;
    # in one process: under torchrun a DDP student's augmentation draws differ by rank)
    paired_baselines: bool = False

    @property
    def calibrated(self) -> bool:
        return self.score == "calibrated"

    def __post_init__(self) -> None:
        from edgekit.errors import ConfigError

        bad = [o for o in self.objectives if o not in OBJECTIVES]
        checks = [
            (self.max_members >= 1, "max_members must be >= 1"),
            (self.inits >= 1, "inits must be >= 1"),
            (self.inits_rounds in ("first", "all"), "inits_rounds must be first or all"),
            (self.budget > 0, "budget must be > 0 (a fraction of the teacher's MACs)"),
            (
                bool(self.objectives) and not bad,
                f"objectives must be among {', '.join(OBJECTIVES)}",
            ),
            (
                self.connections in CONNECTIONS,
                f"connections must be one of {', '.join(CONNECTIONS)}",
            ),
            (self.gamma_min >= 0, "gamma_min must be >= 0"),
            (self.eta >= 0, "eta must be >= 0"),
            (self.logit_eta > 0, "logit_eta must be > 0"),
            (self.alpha_max > 0, "alpha_max must be > 0"),
            (self.step in STEPS, f"step must be one of {', '.join(STEPS)}"),
            (0 <= self.step_gain < 1, "step_gain must be in [0, 1) (a relative loss drop)"),
            (self.keep_epoch in KEEP_EPOCHS, f"keep_epoch must be one of {', '.join(KEEP_EPOCHS)}"),
            (self.score in SCORES, f"score must be one of {', '.join(SCORES)}"),
            (0 < self.selection_fraction < 1, "selection_fraction must be in (0, 1)"),
            (self.selection in SELECTIONS, f"selection must be one of {', '.join(SELECTIONS)}"),
            (self.min_selection >= 0, "min_selection must be >= 0 (0: never switch)"),
            (self.patience >= 0, "patience must be >= 0"),
            (0 <= self.plateau_gain < 1, "plateau_gain must be in [0, 1) (0: no plateau test)"),
            (self.plateau_rounds >= 1, "plateau_rounds must be >= 1"),
            (isinstance(self.stop_at_teacher, bool), "stop_at_teacher must be true or false"),
            (self.lookahead >= 0, "lookahead must be >= 0 (tiers scored past the first passing)"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"distill settings: {message} (got {self})")
