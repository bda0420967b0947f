"""The steps of `mmsis demo`: one module per step, each with ``run_demo(out_dir, country)``."""
