"""The step server: one process imports the pipeline's libraries once and runs each step in a fork.

    python -m ino_study.step_server SOCKET

Snakemake runs every step of a local run in a thread of its own process (profile
`force-use-threads`), so that pandas, lifelines and matplotlib are imported once per run rather than
once per job. Threads of one process take turns on one interpreter, though: a sensitivity scenario
held the interpreter the statistics step needed, and figures had to be drawn in worker processes
that each imported pandas and matplotlib again. The step server keeps the one-import property and
adds the second core: the Snakefile's `onstart` starts it (`start`), it listens on a Unix socket at
once and imports the libraries in the order the steps need them (`PRELOAD`), and each step sent to
it (`call`) runs in a child forked from it, which starts with every import done. The job's thread
waits for the child's answer: nothing, or the error and its traceback, which fail the job.

A run from the first step starts it earlier, while Snakemake reads the rules (`start(plan_later=True)`,
called by the Snakefile): it then imports what every step needs first (`BASE`) and learns at
`onstart` what the run's jobs need (`plan`); anything else that reads the Snakefile without running
it (a lint, a listing) leaves it to be stopped when Snakemake exits (`abandon`).

Only the Snakemake process that started the server sends steps to it (`running`); everywhere else
(a cluster job, a test calling a step, a fork of the server itself) `served` steps run in the
calling thread as before. The server exits at `stop` (the Snakefile's onsuccess/onerror), after
its children have finished; if Snakemake is gone (killed), it stops its children and exits within
half a second.

Hand-written (about 100 lines): the standard library's `socketserver.ForkingMixIn` forks and reaps
but cannot hold a step back until the modules it needs are imported, and `multiprocessing`'s fork
server imports everything before it serves anything (tried in an earlier session: more CPU and wall
time, README).
"""

from __future__ import annotations

import atexit
import functools
import gc
import importlib
import io
import os
import pickle
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

SOURCE_ROOT = Path(__file__).resolve().parents[1]  # workflow/src

#: What the server imports, by the kind of step that needs it, in the order a run needs them. It is
#: one process and does not fork while it imports, so between modules it forks a child for each
#: waiting step whose modules are all imported: the records step does not wait for lifelines, nor
#: the statistics for matplotlib, and no child imports again what the server is about to import.
PRELOAD = {
    "records": ("numpy", "pyarrow", "pandas", "pyarrow.parquet", "ino_study.outputs.io", "ino_study.records.read",
                "ino_study.records.clean", "ino_study.records.report", "ino_study.records.step", "ino_study.steps",
                "openpyxl", "pandas.io.excel._openpyxl"),
    "endpoints": ("ino_study.endpoints.derive",),
    "statistics": ("scipy.special", "scipy.optimize", "scipy.stats", "formulaic", "lifelines.utils", "lifelines",
                   "ino_study.statistics.survival_analysis", "ino_study.statistics.cox_fit",
                   "ino_study.statistics.transplant_analyses", "ino_study.statistics.proportional_hazards",
                   "ino_study.outputs.summary"),
    "figures": ("matplotlib", "matplotlib.text", "matplotlib.backend_bases", "matplotlib.figure",
                "ino_study.figures.step"),
    "tables": ("ino_study.tables.step", "docx"),
}
#: What every kind of step imports first: what the server imports while it waits for the run's plan
#: (`plan`: at once from `start`, or at `onstart` after `start(plan_later=True)`).
BASE = PRELOAD["records"][:3]
#: The `needs` of each kind of step (a key of PRELOAD).
RECORDS, ENDPOINTS, STATISTICS, FIGURES, TABLES = PRELOAD
MODULES = tuple(module for modules in PRELOAD.values() for module in modules)
#: What each rule's step needs, so that the server imports ahead only what the run's jobs will use
#: (a rerun of the figures alone does not import SciPy and lifelines beside its drawing). A rule not
#: listed here has everything imported for it (tests/test_step_server.py checks the list).
RULE_NEEDS = {
    "clean_records": RECORDS, "scenario_clean_records": RECORDS, "provenance": RECORDS,
    "derive_endpoints": ENDPOINTS, "compare_scenarios": ENDPOINTS,
    "survival_statistics": STATISTICS, "transplant_and_competing_risks": STATISTICS, "summarise": STATISTICS,
    "scenario_analysis": STATISTICS, "cohort_figures": FIGURES, "figures": FIGURES, "tables": TABLES,
}


def modules_for(rules: Iterable[str] | None) -> tuple[str, ...]:
    """The PRELOAD modules the steps of `rules` need, in PRELOAD order (all of them if None or if a
    rule is not in RULE_NEEDS)."""
    if rules is None:
        return MODULES
    rules = set(rules) - {"all"}
    if not rules <= set(RULE_NEEDS):
        return MODULES
    groups = {RULE_NEEDS[rule] for rule in rules}
    return tuple(module for group, modules in PRELOAD.items() if group in groups for module in modules)

F = TypeVar("F", bound=Callable[..., Any])

_STARTED: dict[str, Any] = {}  # in the Snakemake process that started the server: process, socket path
_IN_CHILD = False  # True in a child forked by the server


# ------------------------------------------------------------------------- the calling side


def running() -> bool:
    """True in the Snakemake process whose server is up: its steps go to the server."""
    return bool(_STARTED) and _STARTED["process"].poll() is None


def in_child() -> bool:
    """True in a step the server runs (a forked child)."""
    return _IN_CHILD


def child_environment() -> dict[str, str]:
    """This process's environment with workflow/src first on PYTHONPATH: what a new Python process
    (the step server, a figure worker) needs to import ino_study."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))}


def start(rules: Iterable[str] | None = None, *, plan_later: bool = False) -> bool:
    """Start the server (it imports while Snakemake goes on); False if one is already running.

    `rules`: the rules whose jobs this run will execute (its plan: what the server imports ahead,
    `modules_for`). `plan_later`: they are not known yet; `plan` tells them later."""
    if _STARTED:
        return False
    remove_stale_folders()
    folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
    path = os.path.join(folder, "server.sock")
    env = child_environment()
    errors = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "ino_study.step_server", path], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=errors, env=env)
    Path(folder, "server.pid").write_text(str(process.pid), encoding="ascii")
    _STARTED.update(process=process, path=path, folder=folder, errors=errors, cwd=os.getcwd(), used=False)
    atexit.unregister(abandon)  # registered once, however many runs this process starts
    atexit.register(abandon)
    if not plan_later:
        plan(rules)
    return True


def plan(rules: Iterable[str] | None) -> bool:
    """Tell the running server what the run's jobs need (`modules_for(rules)`), which it imports next;
    False if there is no server to tell: none, one that has failed, or one started in another working
    directory (its steps would write there), which is stopped."""
    if not _STARTED:
        return False
    if running() and _STARTED["cwd"] == os.getcwd():
        try:
            _STARTED["process"].stdin.write((",".join(modules_for(rules)) + "\n").encode())
            _STARTED["process"].stdin.flush()
            return True
        except OSError:  # it has just ended
            pass
    stop()
    return False


def abandon() -> None:
    """Stop a server that no step was sent to at once, without waiting for its imports (a run that
    did not start: a dry run, a lint, a run on a cluster, an error); one that ran steps as `stop`.
    Registered to run at exit too, where it does nothing after `stop`."""
    if _STARTED:
        _finish(kill=not _STARTED["used"])


def stop() -> None:
    """Close the server's input: it waits for its children and exits; we wait for it."""
    if _STARTED:
        _finish(kill=False)


def _finish(kill: bool) -> None:
    process = _STARTED["process"]
    try:
        if kill:
            process.kill()
        process.stdin.close()
        process.wait(timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
    if process.returncode != 0 and not kill:  # it failed (say, a library would not import): the steps ran here
        print(f"The step server ended with exit code {process.returncode}; steps after that ran in "
              f"Snakemake's process.\n{_server_error()}", file=sys.stderr)
    _STARTED["errors"].close()
    shutil.rmtree(_STARTED["folder"], ignore_errors=True)
    _STARTED.clear()


#: The server's folder (in the temporary directory): its socket and its pid (`server.pid`).
FOLDER_PREFIX = "ino-steps-"


def remove_stale_folders() -> None:
    """Remove the folders of servers that are gone: kill -9 of a run's whole process group (as a
    power cut would) leaves no process to remove its own. A folder without a readable pid, or whose
    process is alive or not ours to signal, is left alone."""
    for folder in Path(tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            os.kill(int((folder / "server.pid").read_text(encoding="ascii")), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (OSError, ValueError):  # a server still starting, another user's folder
            continue


def _server_error() -> str:
    errors = _STARTED.get("errors")
    if errors is None:
        return ""
    errors.seek(0)
    return errors.read()[-3000:]


def _connect(path: str, wait_s: float = 120.0) -> socket.socket:
    """A connection to the server; it listens from its first instant, so this waits only for that."""
    deadline = time.monotonic() + wait_s
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if not running() or time.monotonic() > deadline:
                raise RuntimeError(f"the step server is not running:\n{_server_error()}") from None
            time.sleep(0.01)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack("!Q", len(payload)) + payload)


def _receive(stream: Any) -> bytes | None:
    header = stream.read(8)
    if len(header) < 8:
        return None
    return stream.read(struct.unpack("!Q", header)[0])


#: How much lower a background step's CPU priority is (nice value): the steps the figures wait for
#: get the cores first, the others (scenarios, tables, summary) the time left over.
BACKGROUND_NICE = 10


def call(function: Callable[..., Any], *args: Any, needs: str | None = None, background: bool = False,
         **kwargs: Any) -> None:
    """Run `function(*args, **kwargs)` (a module-level step) in a child of the server; raise its error.

    `needs`: the key of PRELOAD whose modules must be imported before the child is forked (None:
    every module); `background`:
    the child runs at a lower CPU priority (BACKGROUND_NICE)."""
    from ino_study.outputs import staging

    job = {
        "module": function.__module__, "name": function.__qualname__,
        "args": plain(args), "kwargs": plain(kwargs), "nice": BACKGROUND_NICE if background else 0,
        "needs": PRELOAD.get(needs or "", MODULES),
        "partial_dir": None if staging.PARTIAL_DIR is None else str(staging.PARTIAL_DIR),
    }
    _STARTED["used"] = True
    with _connect(_STARTED["path"]) as sock:
        _send(sock, pickle.dumps(job))
        with sock.makefile("rb") as stream:
            answer = _receive(stream)
    if answer is None:
        raise RuntimeError(f"{job['name']}: the step's process ended without an answer (killed?)")
    error = pickle.loads(answer)
    if error:
        raise RuntimeError(f"{job['name']} failed in the step server:\n{error}")


def served(function: F | None = None, *, needs: str | None = None, background: bool = False) -> Any:
    """A step that runs in the step server when this process started one, else right here.

    `needs`: what it imports (RECORDS, ENDPOINTS, ...); `background=True` for steps no figure waits
    for (see `call`)."""
    if function is None:
        return functools.partial(served, needs=needs, background=background)

    @functools.wraps(function)
    def step(*args: Any, **kwargs: Any) -> Any:
        if running():
            return call(step, *args, needs=needs, background=background, **kwargs)
        return function(*args, **kwargs)

    step.needs, step.background = needs, background  # type: ignore[attr-defined]
    return step


class Paths(list):
    """A rule's input, output or log as plain strings, by position and by name (as Snakemake's own)."""

    def __init__(self, named: Any) -> None:
        super().__init__(plain(list(named)))
        for name, value in named.items():
            setattr(self, name, plain(value))

    def items(self):
        return list(vars(self).items())


def plain(value: Any) -> Any:
    """`value` with Snakemake's file lists and paths made plain lists and strings, so that it pickles
    without the rule and workflow objects they refer to."""
    if hasattr(value, "_names") and hasattr(value, "items"):  # snakemake.io.Namedlist
        return Paths(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------ the server


def _run_child(connection: socket.socket, job: dict[str, Any]) -> None:
    """In the forked child: run the step, answer '' or the traceback, exit without Python's teardown."""
    global _IN_CHILD
    _IN_CHILD = True
    gc.enable()
    error = ""
    try:
        from ino_study.outputs import staging

        staging.PARTIAL_DIR = None if job["partial_dir"] is None else Path(job["partial_dir"])
        os.nice(job["nice"])
        function = getattr(importlib.import_module(job["module"]), job["name"])
        function(*job["args"], **job["kwargs"])
    except BaseException:  # every failure goes back to the job, which fails with it
        error = traceback.format_exc()
    try:
        _send(connection, pickle.dumps(error))
    finally:
        os._exit(0)


class _Server:
    """The listening socket, the steps waiting for their imports and the children running steps."""

    def __init__(self, path: str) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(128)  # from here on steps can connect; they wait while we import
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.selector.register(sys.stdin, selectors.EVENT_READ)
        # what the run's steps will need, imported when no waiting step needs more: BASE until the
        # run's plan comes (`read_plan`)
        self.ahead: tuple[str, ...] = BASE
        self.plans = b""  # what has been read of the plan lines `plan` writes to our input
        self.imported: set[str] = set()
        self.warmed: set[Callable[[], None]] = set()  # the warm-ups done (WARM_UPS)
        self.waiting: list[tuple[socket.socket, dict[str, Any]]] = []
        self.children: set[int] = set()

    def serve(self, timeout: float) -> bool:
        """Take new steps, fork those whose imports are done, reap; False once the run is over."""
        for key, _ in self.selector.select(timeout):
            if key.fileobj is self.listener:
                connection, _ = self.listener.accept()
                with connection.makefile("rb") as stream:
                    job = pickle.loads(_receive(stream) or b"")
                self.waiting.append((connection, job))
            elif not self.read_plan():  # input closed (`stop`): the run is over
                return False
        for connection, job in [item for item in self.waiting if set(item[1]["needs"]) <= self.imported]:
            self.waiting.remove((connection, job))
            gc.freeze()  # what is imported so far: the child's collections do not walk it (see main)
            pid = os.fork()
            if pid == 0:
                self.listener.close()
                _run_child(connection, job)
            connection.close()
            self.children.add(pid)
        for pid in list(self.children):
            if os.waitpid(pid, os.WNOHANG)[0]:
                self.children.discard(pid)
        return True

    def read_plan(self) -> bool:
        """Read our input: each complete line is a plan (`plan`), the modules to import ahead from now
        on; False once the input is closed."""
        data = sys.stdin.buffer.read1(4096)
        *lines, self.plans = (self.plans + data).split(b"\n")
        for line in lines:
            self.ahead = tuple(filter(None, line.decode().split(",")))
        return bool(data)

    def finish(self, stop_children: bool) -> None:
        """Wait for the children (after killing them if their run is gone)."""
        for pid in self.children:
            if stop_children:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _next_import(server: _Server) -> str | None:
    """What to import next: a module a waiting step needs, the steps the figures wait for first (a
    rerun of the figures alone does not wait for SciPy); else the next module of `server.ahead` (what
    the run's steps will need); None when there is nothing left to import."""
    for background in (0, BACKGROUND_NICE):
        missing = [module for _, job in server.waiting if job["nice"] == background for module in job["needs"]
                   if module not in server.imported]
        if missing:
            return min(missing, key=MODULES.index)
    return next((module for module in server.ahead if module not in server.imported), None)


def main() -> None:
    # Python's recipe for a process that forks without exec (the gc module's documentation): no
    # collections in the server, `gc.freeze()` before each fork, collections again in the child. A
    # child's collections then skip the 330,000 objects that importing pandas, SciPy, lifelines and
    # matplotlib made (drawing the 15 default figures: 0.4-0.5 s of collections -> 0.13 s), and do
    # not write to their pages (a write copies the page the child shares with the server).
    gc.disable()
    path, parent = sys.argv[1], os.getppid()
    server = _Server(path)
    serving = True
    while serving:
        module = _next_import(server)
        if module is None:
            serving = server.serve(0.5)  # only waiting now; a step that needs more is imported for
            if os.getppid() != parent:
                break
            continue
        importlib.import_module(module)  # with what it imports itself, marked below
        server.imported |= {name for name in MODULES if name in sys.modules}
        for group, warm_ups in WARM_UPS.items():
            for warm_up in warm_ups:
                if warm_up not in server.warmed and set(PRELOAD[group]) <= server.imported:
                    warm_up()
                    server.warmed.add(warm_up)
        serving = server.serve(0)
    server.finish(stop_children=os.getppid() != parent)  # Snakemake killed: its steps are incomplete
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)  # for when no `stop` will
    # every step is answered: skip the interpreter's teardown of pandas, lifelines and matplotlib
    # (about half a second that `stop`, and so the end of the run, would wait for)
    sys.stderr.flush()
    os._exit(0)


def _warm_up_tables() -> None:
    """What every step would otherwise do for itself at its first Parquet file: import the rest of
    pyarrow that reading one pulls in (its dataset and conversion modules, 16 of them), by writing a
    small table into memory and reading it back."""
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame({"x": [1.0], "y": ["a"]}).to_parquet(buffer)
    pd.read_parquet(io.BytesIO(buffer.getvalue()))


def _warm_up_drawing() -> None:
    """What every drawing child would otherwise do for itself at its first figure: load the font and
    the PNG and SVG writers (by drawing a small figure into memory)."""
    from matplotlib.figure import Figure

    from ino_study.figures.theme import FONT_FAMILY, SAVE_OPTIONS

    figure = Figure(figsize=(1, 1), dpi=50)
    figure.add_subplot().text(0.5, 0.5, "0123 warm-up", family=FONT_FAMILY)
    for fmt in ("png", "svg"):
        figure.savefig(io.BytesIO(), format=fmt, **SAVE_OPTIONS.get(fmt, {}))


#: Run once each in the server when a PRELOAD group's modules are all imported, before any step of
#: that kind is forked. The Parquet warm-up waits for the endpoints group (the records step, which
#: starts first and reads no Parquet file, does not wait for it), or comes with the drawing one in a
#: rerun of the figures alone.
WARM_UPS = {ENDPOINTS: (_warm_up_tables,), FIGURES: (_warm_up_tables, _warm_up_drawing)}


if __name__ == "__main__":
    # run the module's own copy (ino_study.step_server, not __main__), the one the steps import
    from ino_study.step_server import main as serve

    serve()
