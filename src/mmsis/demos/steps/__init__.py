"""The steps of `mmsis demo`: one module per step, each with ``run_demo(out_dir, country)``."""

__all__ = ["design", "evaluate", "forecast", "framework", "impact", "plan", "report", "routine",
           "survey"]
