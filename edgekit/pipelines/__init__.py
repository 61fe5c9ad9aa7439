"""What the CLI, the demo and the benchmarks share: each user-facing job as one function.

``distill`` (and ``add_baselines``), ``train_teacher``, ``run_demo``, ``write_run_report``;
``edgekit.bench.bench_bundle`` measures a bundle. Import the module you need (they pull in
torch); this package itself stays light.
"""
