"""benchmarks/distill.py: what each variant means against the shipped recipes, and the
baselines a variant without its own borrows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.distill import (
    PREVIOUS_DEFAULT,
    RESCORED,
    SEEDED_FROM,
    VARIANTS,
    rescore_run,
    seed_run,
    variant_overrides,
    with_baselines,
)
from edgekit.config.overrides import apply_overrides
from edgekit.config.recipe import load_recipe


def resolved(task: str, variant: str) -> dict[str, Any]:
    return apply_overrides(load_recipe(task), variant_overrides(task, variant)).to_dict()


def test_the_dsa19_default_is_the_variant_it_was_chosen_as() -> None:
    # recipes/dsa19.py ships what augment-fitall-indep-noconn measured (benchmarks/distill.md),
    # each member's epoch kept by its own held-out loss since session 16 (the variant `own`),
    # the gated step in sessions 17-19 (`own-gated`), the plain sum since session 20
    # (`own-unit`); `own` keeps the searched step it ran
    assert variant_overrides("dsa19", "default") == []
    chosen = resolved("dsa19", "augment-fitall-indep-noconn")
    assert (chosen["distill"]["keep_epoch"], chosen["distill"]["step"]) == ("sum", "search")
    chosen["distill"]["keep_epoch"] = "own"
    own = resolved("dsa19", "own")
    assert own["distill"].pop("paired_baselines") is True
    own["distill"]["paired_baselines"] = False
    assert own == chosen
    chosen["distill"]["step"] = "unit"
    assert resolved("dsa19", "default") == chosen
    unit = resolved("dsa19", "own-unit")
    assert unit == {**chosen, "distill": {**chosen["distill"], "paired_baselines": True}}
    gated = resolved("dsa19", "own-gated")
    assert gated["distill"] == {**unit["distill"], "step": "gated"}
    for variant, gain in (("own-gated2", 0.02), ("own-gated0", 0.0)):
        assert resolved("dsa19", variant)["distill"] == {**gated["distill"], "step_gain": gain}
    assert chosen["distill"]["step_gain"] == 0.05


def test_variants_start_from_the_previous_default() -> None:
    previous = resolved("dsa19", "previous")
    assert previous["distill"]["objectives"] == ("logit", "hybrid", "independent")
    assert previous["distill"]["connections"] == "on"
    assert previous["distill"]["selection"] == "split"
    assert previous["student_train"]["sensor_rotation_deg"] == 0.0
    # a variant changes only what it names on top of that base
    logit = resolved("dsa19", "logit")
    assert logit["distill"]["objectives"] == ("logit",)
    assert logit["distill"]["connections"] == "on" and logit["distill"]["selection"] == "split"
    # tasks without a previous default run their variants on the recipe as shipped
    assert "synthetic" not in PREVIOUS_DEFAULT
    assert variant_overrides("synthetic", "logit") == VARIANTS["logit"]


# recipes/kws8.py before its 60-epoch augmented members: the KWS-8 variants were measured on it
KWS8_BEFORE = {
    "students": ("dscnn-8x4", "dscnn-16x4", "dscnn-32x4"),
    "epochs": 20,
    "augment": False,
    "masks": (0, 0),
    "distill": {
        "budget": 1.0,
        "objectives": ("logit", "hybrid", "independent"),
        "connections": "on",
        "selection": "split",
        "step": "search",  # the unit step shipped in session 15
    },
}


def test_kws8_variants_start_from_the_recipe_they_were_measured_on() -> None:
    previous = resolved("kws8", "previous")
    train = previous["student_train"]
    assert previous["students"] == KWS8_BEFORE["students"]
    assert train["epochs"] == KWS8_BEFORE["epochs"] and train["augment"] == KWS8_BEFORE["augment"]
    assert (train["spec_freq_mask"], train["spec_time_mask"]) == KWS8_BEFORE["masks"]
    assert {k: previous["distill"][k] for k in KWS8_BEFORE["distill"]} == KWS8_BEFORE["distill"]
    # ... and the default differs from it in exactly those fields
    default = resolved("kws8", "default")
    assert default["students"] != previous["students"]
    assert {
        k: v for k, v in default.items() if k not in ("students", "student_train", "distill")
    } == {k: v for k, v in previous.items() if k not in ("students", "student_train", "distill")}


def test_the_kws8_default_is_mixed_at_unit_step_and_older_defaults_keep_what_they_ran() -> None:
    # recipes/kws8.py ships `mixed` (cnn1d-112, then FIND-WL's lookahead takes a dscnn-24x4),
    # dscnn-32x4 listed for NO-RESCHED's oracle, members added at unit step since session 15,
    # each keeping the epoch of its own held-out loss since session 16; `mixed` pins session 14's
    # searched step, `unit` and `paired` session 15's epoch rule; `own` only adds paired baselines
    default, mixed = resolved("kws8", "default"), resolved("kws8", "mixed")
    assert default["students"] == ("cnn1d-112", "dscnn-24x4", "dscnn-32x4")
    assert default["distill"]["lookahead"] == 1 and default["distill"]["step"] == "unit"
    assert default["distill"]["keep_epoch"] == "own"
    paired = {**default["distill"], "paired_baselines": True}
    assert resolved("kws8", "own") == {**default, "distill": paired}
    paired["keep_epoch"] = "sum"
    assert mixed == {**default, "distill": {**paired, "step": "search"}}
    assert resolved("kws8", "paired") == resolved("kws8", "unit") == {**default, "distill": paired}
    # session 13's default (two dscnn-24x4), `wide` (the same members, no oracle candidate) and
    # session 12's (three dscnn-16x4) resolve to what they ran: FIND-WL without lookahead
    two, wide = resolved("kws8", "two-dscnn"), resolved("kws8", "wide")
    small_first, grow = resolved("kws8", "small-first"), resolved("kws8", "grow")
    assert two["students"] == ("dscnn-24x4", "dscnn-32x4") and wide["students"] == ("dscnn-24x4",)
    assert small_first["students"] == ("dscnn-16x4", "dscnn-24x4", "dscnn-32x4")
    for old in (two, wide, small_first, grow):
        assert old["distill"]["lookahead"] == 0 and old["distill"]["step"] == "search"
        assert old["distill"]["keep_epoch"] == "sum"
        assert {**old, "students": None, "distill": None} == {
            **default, "students": None, "distill": None,
        }  # fmt: skip
    assert {**wide["distill"], "paired_baselines": True} == two["distill"]
    assert grow["students"] == small_first["students"]
    assert grow["distill"] == {**small_first["distill"], "gamma_min": 0.2, "paired_baselines": True}
    assert {
        **small_first["distill"], "lookahead": 1, "step": "unit", "keep_epoch": "own",
    } == default["distill"]  # fmt: skip


def test_a_variant_without_baselines_borrows_the_reference_seed_by_seed() -> None:
    reference = [
        {"seed": 0, "baselines": {"resched": ["r0"]}},
        {"seed": 1, "baselines": {"resched": ["r1"]}},
    ]
    rows = [{"seed": 1, "baselines": {}}, {"seed": 0, "baselines": {"resched": ["own"]}}]
    got = with_baselines(rows, reference)
    assert got[0]["baselines"] == {"resched": ["r1"]}
    assert got[1]["baselines"] == {"resched": ["own"]}
    assert rows[0]["baselines"] == {}  # the caller's rows are not changed


def test_checks_skip_variants_when_no_run_trained_baselines() -> None:
    # a render of variants that never trained baselines (e.g. `--variants logit`) has no
    # RESCHED to compare with: no check lines for it, rather than a crash
    from benchmarks.distill import issue13_lines

    rows = [{"seed": 0, "baselines": {}, "rounds": []}]
    lines = issue13_lines({"logit": rows})
    assert not any("`logit`" in line for line in lines)


def test_a_variant_with_its_own_baselines_is_not_said_to_borrow_them() -> None:
    # baselines trained later (`edgekit baselines RUN`) on a variant outside BASELINE_VARIANTS
    # are its own: the report must not say they were borrowed from the reference variant
    from benchmarks.distill import BASELINE_VARIANTS, issue13_lines

    def row(acc: float) -> dict[str, object]:
        r = {"k": 1, "macs": 100, "val_accuracy": acc}
        return {
            "seed": 0, "teacher": {"val_accuracy": 0.9}, "seconds_this_call": 60.0,
            "rounds": [{"round": 1, "cumulative_macs": 100, "val_accuracy": 0.8, "teacher_fraction": 0.1}],
            "baselines": {"resched": [r], "no_resched": [r]},
        }  # fmt: skip

    own = "augment-fitall-indep-noconn"
    assert own not in BASELINE_VARIANTS
    lines = issue13_lines({own: [row(0.7)]})
    assert not any("no baselines of its own" in line for line in lines)
    assert any(
        f"`{own}` member 1 80.0 % vs RESCHED's member 1 70.0 % (+10.0)" in ln for ln in lines
    )
    borrowed = issue13_lines({"augment-fitall": [row(0.7)], own: [{**row(0.7), "baselines": {}}]})
    assert any(f"`{own}` has no baselines of its own" in line for line in borrowed)


def test_the_recurrent_variant_has_its_own_teacher_on_the_recipe_as_shipped(
    tmp_path: Path,
) -> None:
    from benchmarks.distill import run_name, teacher_dir, teacher_overrides

    recurrent = resolved("dsa19", "recurrent")
    assert recurrent["teacher"] == "lstm-64"
    assert recurrent["students"] == ("gru-8", "gru-16", "fastgrnn-32-r8")
    shipped = resolved("dsa19", "default")  # everything else as the shipped default
    assert recurrent["distill"].pop("keep_epoch") == "sum"  # as it ran (session 15)
    assert recurrent["distill"].pop("step") == "search"  # as it ran (sessions 13, 15)
    shipped["distill"].pop("keep_epoch")
    shipped["distill"].pop("step")
    for key in ("distill", "student_train", "teacher_train"):
        assert recurrent[key] == shipped[key]
    # KWS-8's recurrent runs (session 18) are the recipe as shipped but for the teacher's epochs
    kws8, kws8_shipped = resolved("kws8", "recurrent"), resolved("kws8", "default")
    assert kws8["teacher"] == "lstm-64"
    assert kws8["teacher_train"].pop("epochs") == 80
    assert kws8_shipped["teacher_train"].pop("epochs") == 25
    for key in ("distill", "student_train", "teacher_train"):
        assert kws8[key] == kws8_shipped[key], key
    # ... and its own teacher trains with those epochs (the first runs of session 18 imported a
    # teacher trained with the recipe's 25)
    assert teacher_overrides("kws8", "recurrent") == ["teacher=lstm-64", "teacher_train.epochs=80"]
    assert teacher_overrides("dsa19", "recurrent") == ["teacher=lstm-64"]
    own = teacher_dir(tmp_path, "dsa19", "p5p6", 0, "recurrent")
    assert own.name == f"{run_name('dsa19', 'p5p6', 0)}-lstm-64"
    assert teacher_dir(tmp_path, "dsa19", "p5p6", 0, "levers").name == run_name("dsa19", "p5p6", 0)


def test_paired_is_the_default_with_paired_baselines_seeded_from_its_runs(tmp_path: Path) -> None:
    paired, default = resolved("dsa19", "paired"), resolved("dsa19", "default")
    assert paired["distill"].pop("paired_baselines") is True
    assert default["distill"].pop("paired_baselines") is False
    assert paired["distill"].pop("keep_epoch") == "sum"  # the epoch rule it ran (session 15)
    assert default["distill"].pop("keep_epoch") == "own"
    assert paired["distill"].pop("step") == "search"  # the step it ran (session 16)
    assert default["distill"].pop("step") == "unit"
    assert paired == default  # the rest is the recipe as shipped: the members it would train
    for variant, sources in SEEDED_FROM.items():
        for task, source in sources.items():  # a seeded run resumes only from its own recipe
            seeded, ours = resolved(task, source), resolved(task, variant)
            seeded["distill"].pop("paired_baselines")
            ours["distill"].pop("paired_baselines")
            assert seeded == ours, (variant, task, source)
    source, out = tmp_path / "default-seed0", tmp_path / "paired-seed0"
    (source / "baselines" / "students").mkdir(parents=True)
    (source / "rounds").mkdir()
    for name in ("summary.json", "baselines.json", "config.json"):
        (source / name).write_text("{}")
    seed_run(source, out)
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "rounds", "summary.json"]
    (out / "rounds" / "mine").mkdir()
    seed_run(source, out)  # an existing run is never replaced
    assert (out / "rounds" / "mine").is_dir()
    unfinished, other = tmp_path / "unfinished", tmp_path / "other"
    unfinished.mkdir()
    seed_run(unfinished, other)
    assert not other.exists()


def test_rescored_variants_are_their_source_but_for_settings_and_rescore_candidates(
    tmp_path: Path,
) -> None:
    for variant, rescored in RESCORED.items():  # only the rescored settings differ
        settings = rescored.settings
        for task, source in rescored.sources.items():
            theirs, ours = resolved(task, source), resolved(task, variant)
            assert {k: theirs["distill"][k] for k in settings} != settings
            theirs = {**theirs, "distill": {**theirs["distill"], **settings}}
            assert theirs == ours, (variant, task, source)
    assert RESCORED["unit"].settings == {"step": "unit"}
    source, out = tmp_path / "mixed-seed0", tmp_path / "unit-seed0"
    candidate = source / "rounds" / "01" / "cnn1d-8-independent"
    (source / "members" / "01").mkdir(parents=True)
    (source / "teacher").mkdir()
    candidate.mkdir(parents=True)
    for name in ("best.pt", "checkpoint.pt", "metrics.jsonl", "score.json"):
        (candidate / name).write_text("x")
    for name in ("summary.json", "summary.md", "metrics.jsonl", "stopped.json", "plot.png"):
        (source / name).write_text("{}")
    (source / "teacher" / "summary.json").write_text("{}")
    (source / "baselines.json").write_text("{}")
    (source / "config.json").write_text('{"recipe": {"distill": {"step": "search"}}, "data": {}}')
    rescore_run(source, out, {"step": "unit"})
    assert sorted(p.name for p in out.iterdir()) == [
        "baselines.json", "config.json", "rounds", "teacher",
    ]  # fmt: skip
    kept = out / "rounds" / "01" / "cnn1d-8-independent"
    assert sorted(p.name for p in kept.iterdir()) == ["best.pt", "checkpoint.pt", "metrics.jsonl"]
    assert (out / "teacher" / "summary.json").exists()
    assert json.loads((out / "config.json").read_text())["recipe"]["distill"] == {"step": "unit"}
    later = source / "rounds" / "02" / "cnn1d-8-independent"  # a round trained again
    later.mkdir(parents=True)
    (later / "best.pt").write_text("x")
    rescore_run(source, tmp_path / "own-seed0", {"keep_epoch": "own"}, retrain_from=2)
    rounds = tmp_path / "own-seed0" / "rounds"
    assert sorted(p.name for p in rounds.iterdir()) == ["01"]
    assert (rounds / "01" / "cnn1d-8-independent" / "best.pt").exists()
    retrained = {v: r.retrain_from for v, r in RESCORED.items() if r.retrain_from is not None}
    assert retrained == {"own": 2}  # own's later rounds keep another epoch
    (source / "summary.json").unlink()  # an unfinished source is not copied
    rescore_run(source, tmp_path / "unfinished", {"step": "unit"})
    assert not (tmp_path / "unfinished").exists()


def test_members_only_runs_say_so_instead_of_nan_margins() -> None:
    from benchmarks.distill import acceptance

    rows = [
        {
            "seed": s, "teacher": {"val_accuracy": 0.9}, "baselines": {},
            "rounds": [{"val_accuracy": 0.8 + 0.01 * k, "teacher_fraction": 0.1 * k} for k in (1, 2)],
        }
        for s in (0, 1)
    ]  # fmt: skip
    lines = acceptance({"paired": rows})
    assert not any("nan" in line for line in lines)
    assert any("no baselines trained" in line for line in lines)
    assert any("final ensemble 82.0 %" in line for line in lines)


def test_acceptance_holds_each_task_and_fold_to_issue_13s_bars() -> None:
    from benchmarks.distill import Bars, acceptance

    def rows(final: float, share: float) -> list[dict[str, Any]]:
        return [
            {
                "seed": 0, "teacher": {"val_accuracy": 0.90}, "baselines": {},
                "rounds": [{"val_accuracy": final, "teacher_fraction": share}],
            }
        ]  # fmt: skip

    def final_line(task: str, fold: str, final: float, share: float) -> str:
        lines = acceptance({"v": rows(final, share)}, Bars.of(task, fold))
        return next(line for line in lines if "final ensemble" in line)

    # 0.8 under the teacher at 38 %: met for KWS-8 (1.0 at <= 40 %), not at 45 %
    assert "(met: within 1 point at <= 40 %)" in final_line("kws8", "official", 0.892, 0.38)
    assert "NOT met" in final_line("kws8", "official", 0.892, 0.45)
    # DSA-19: p5-p6 must reach the teacher; the rotated fold may stay 3 points under it
    assert "NOT met: at or above)" in final_line("dsa19", "p5p6", 0.892, 0.1)
    assert "(met: within 3 points)" in final_line("dsa19", "p1p2", 0.875, 0.1)
    assert "NOT met" in final_line("dsa19", "p1p2", 0.865, 0.1)
    # any other task keeps the first benchmark's bar
    assert "(met: within 1.5 points at <= 50 %)" in final_line("synthetic", "", 0.886, 0.5)


def test_a_variant_with_its_own_teacher_shows_its_macs_as_a_share_of_that_teacher() -> None:
    from benchmarks.distill import table

    def rows(spec: str, teacher_macs: int) -> list[dict[str, Any]]:
        teacher = {"spec": spec, "val_accuracy": 0.9, "macs": teacher_macs}
        one = {"chosen": "m", "val_accuracy": 0.8, "cumulative_macs": 100, "teacher_fraction": 0}
        return [{"seed": 0, "teacher": teacher, "rounds": [one], "baselines": {}}]

    # KWS-8's small-cnn (DS-CNN teacher, 17 M MACs) beside recurrent (its own LSTM, 2.4 M)
    lines = table("kws8", {"small-cnn": rows("dscnn", 10_000), "recurrent": rows("lstm", 1_000)})
    assert "| 1 | 80.0 ± 0.0 @ 1.0 % | 80.0 ± 0.0 @ 10.0 % |  |  |" in lines
