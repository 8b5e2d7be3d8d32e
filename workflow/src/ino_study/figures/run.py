"""Running a figure rule's step: which process draws which figures.

Matplotlib draws under the GIL, so threads would not help: the figures are dealt out
(`split_figures`) to worker processes (`python -m ino_study.figures.worker`), and with
`draw_in_this_thread` this thread draws the first share itself. The rules draw in worker processes
only: Snakemake runs every step in threads of its own process, so a step drawing there would hold
the interpreter the data and statistics steps need, and that process would import matplotlib too.
Each figure is drawn by the same code whichever process draws it, so the files are identical
(tests/test_figures.py). Importing this module does not import matplotlib.
"""

from __future__ import annotations

from typing import Any, Mapping

from ino_study.figures.catalogue import figure_names, rule_figure_names, split_figures


def make_figures(adam: Any, stats: Any, config: Mapping[str, Any], output: Any, log: str, threads: int = 1,
                 rule: str | None = None, draw_in_this_thread: bool = True) -> None:
    """Draw and save the figures of `rule` (every figure if None) in `threads` processes.

    `adam`/`stats`: the paths of the analysis datasets and statistics tables (the rule's input;
    `stats` may lack the tables these figures do not need); `output`: the rule's output paths."""
    from ino_study.figures.worker import start_worker, wait_for_worker
    from ino_study.steps import job_log

    comparisons = config.get("comparisons", ())
    names = figure_names(comparisons) if rule is None else rule_figure_names(comparisons, rule)
    parts = split_figures(names, threads)
    in_workers = parts[1:] if draw_in_this_thread else parts
    with job_log(log) as logger:
        workers = [start_worker(part, adam, stats, config, output) for part in in_workers]
        try:
            if draw_in_this_thread:
                from ino_study.figures.step import read_and_draw

                read_and_draw(adam, stats, config, output, logger, only=parts[0])
        finally:
            problems = [wait_for_worker(worker, logger) for worker in workers]
        failed = [problem for problem in problems if problem]
        if failed:
            raise RuntimeError("figures: a worker process failed:\n" + "\n".join(failed))
        logger.info("%d figures written by %d process(es)", len(names), len(parts))
