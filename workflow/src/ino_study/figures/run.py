"""Running a figure rule's step: which process draws which figures.

Matplotlib draws under the GIL, so threads would not help: the figures are dealt out
(`split_figures`) to worker processes (`python -m ino_study.figures.worker`), and with
`draw_in_this_thread` this thread draws the first share itself. In a local run the step runs in a
process forked from the step server (ino_study.step_server) and draws there. Otherwise the rules
draw in worker processes only: Snakemake runs every step in threads of its own process, so a step
drawing there would hold the interpreter the other steps need, and it would import matplotlib too.
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
    from ino_study import step_server
    from ino_study.figures.worker import start_worker, wait_for_worker
    from ino_study.steps import job_log

    # a step the step server runs is a process of its own, with matplotlib imported: it draws itself
    draw_in_this_thread = draw_in_this_thread or step_server.in_child()
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
        logger.info("%d figures written by %d process(es)%s", len(names), len(parts),
                    " (the first a child of the step server)" if step_server.in_child() else "")
