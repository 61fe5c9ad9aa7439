"""KWS-8: 8 real Speech Commands v0.02 words (down go left no right stop up yes)."""

from edgekit.config import DistillConfig, Recipe, TrainConfig

RECIPE = Recipe(
    task="kws8",
    teacher="dscnn-64x4",  # MLPerf Tiny's KWS model (~17 M MACs on 99 x 32)
    students=(
        "cnn1d-112",
        "dscnn-24x4",
        "dscnn-32x4",
    ),  # a temporal cnn1d-112 (18.9 %), then a dscnn-24x4 (19.4 %): 93.2 / 93.7 % over 3 seeds,
    # 0.2 under the teacher at 38.4 %, where two dscnn-24x4 reached 92.8 / 93.1
    # (benchmarks/distill14_kws8_mixed.md). dscnn-32x4 (30.7 %) never fits after member 1: it is
    # NO-RESCHED's oracle at the second prefix. Budgets under 18 %: one cnn1d-32 alone reaches
    # 92.7 % at 2.6 % (NO-RESCHED, 3 seeds, benchmarks/distill20_kws8_small_cnn.md); members
    # cnn1d-8,cnn1d-16,cnn1d-32 answer from 0.4 % on (85.5 / 89.8 / 90.8 / 91.6 % at 0.4 -
    # 4.6 %) but trail single students of equal MACs by 1.2-1.8 points from prefix 2 on
    teacher_train=TrainConfig(
        epochs=25,  # 3,600 clips: past ~25 epochs validation stops improving
        optimizer="adamw",  # DS-CNN with BatchNorm trains faster with Adam (MLPerf uses Adam)
        lr=3e-3,  # Adam's usual range for this model
        weight_decay=1e-4,  # mild regulariser for a small training set
        schedule="cosine",  # anneals without a hand-tuned step schedule
        augment=True,  # time shift + background noise: the standard KWS recipe, +2-4 points
        eval_batch_size=256,  # the teacher's activations on 99 x 32 are large
    ),
    student_train=TrainConfig(
        # Members trained like the teacher, for longer (issue 13; seed 0, one member distilled
        # alone on the validation bucket): dscnn-32x4 91.7 % at 20 epochs -> 93.6 % at 60;
        # dscnn-16x4 86.4 % (20, `levers`) -> 91.7 %; dscnn-24x4 92.9 % (60)
        epochs=60,  # distillation from a fixed teacher keeps improving with a long schedule
        optimizer="adamw",  # as the teacher
        lr=3e-2,  # tiny members underfit at 3e-3: dscnn-8x4 distilled alone on KWS-8 (seed 0,
        # validation bucket) reached 37.9 / 69.2 / 81.0 / 80.0 / 71.5 % at lr 3e-3 / 1e-2 / 3e-2 /
        # 6e-2 / 1e-1
        schedule="cosine",  # as the teacher
        augment=True,  # time shift + background noise, the teacher run on the same batch
        spec_freq_mask=4,  # SpecAugment: up to 4 of 32 mel channels masked, twice
        spec_time_mask=10,  # ... and up to 10 of 99 frames
    ),
    distill=DistillConfig(
        budget=0.4,  # the deployment target: within a point of the teacher at <= 40 % of it
        # Members distilled on their own (KD to the teacher), unconnected, fitted and scored on
        # the whole training bucket, as on DSA-19 (docs/distill.md): the seed-0 measurements
        # above are this setting
        objectives=("independent",),  # distilled on their own (reason above)
        connections="off",  # no previous member's features (reason above)
        selection="train",  # the whole training bucket fits and scores members (reason above)
        # FIND-WL also scores the next tier and keeps the most held-out edge per MAC: in round 2 a
        # second cnn1d-112 adds an edge of 0.06-0.09, the dscnn-24x4 0.18-0.22 (it errs elsewhere)
        lookahead=1,  # members of two kinds (reason above)
        # Members added as trained, by the plain sum: a step searched on the training bucket
        # weighted the dscnn-24x4 0.70-0.82 against the cnn1d-112's 1.05 (the 145 k-parameter
        # member fits training clips closer); summed 1 : 1, F_2 93.7 -> 93.9 %, +0.1 / +0.4 / +0.1
        # on seeds 0-2 (benchmarks/distill15_kws8_step.md)
        step="unit",  # the plain sum of independent members (reason above)
        # Each member keeps the epoch of its own lowest loss on the training bucket, as RESCHED's
        # students do, not the running sum's: F_2 93.74 / 94.44 / 93.86 % on seeds 0-2 (the
        # sum's epoch: 93.63 on seed 2); the members then are RESCHED's students of FIND-WL's
        # specs (benchmarks/distill16_kws8_keep_epoch.md)
        keep_epoch="own",  # the member's own held-out loss keeps its epoch (reason above)
    ),  # 3 seeds: distill13_kws8_default.md (dscnn-16x4), distill13_kws8_paired.md (2 x dscnn-24x4),
    # distill14_kws8_mixed.md (these members), distill15_kws8_step.md (this step),
    # distill16_kws8_keep_epoch.md (this epoch rule)
)
