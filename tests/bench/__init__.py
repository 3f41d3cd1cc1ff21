"""newsbot's benchmark suite (issue 6): not part of the default test run, except its quick
mode (``test_bench_quick.py``), which only checks that every figure is produced and sane.

    python -m tests.bench [--quick] [--out FILE] [--only NAME ...]
    python tests/bench/run.py --quick

See ``tests/bench/README.md`` for what each benchmark measures and how.
"""
