"""The functions of the mutated packages whose mutants a recheck must run again: those whose source
differs between the recorded run's commit and the working tree, named as mutmut names their mutants
(`ino_study.endpoints.adsl.x_add_cr1_duration`, `ino_study.endpoints.labels.xǁLabelsǁvariable_in_text`).

mutmut derives a function's mutants, and their numbers, from that function's source, so a function
whose source is unchanged has the same mutants as in the recorded run. Its code can still behave
differently if what it calls changed; so every function of a module whose code outside its functions
changed (a constant, an import, a class attribute) counts as changed, and so does every function of a
new module. Sources are compared as syntax trees (`ast.dump`): comments, blank lines and a function's
place in the file do not count, a docstring does.

    python tests/mutation/changed_functions.py COMMIT    (from the project root: one name a line)
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGES = ("workflow/src/ino_study/statistics", "workflow/src/ino_study/endpoints")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def module_name(path: str) -> str:
    """workflow/src/ino_study/endpoints/adsl.py -> ino_study.endpoints.adsl"""
    return path.removeprefix("workflow/src/").removesuffix(".py").replace("/", ".")


def function_trees(source: str) -> tuple[dict[str, str], str]:
    """The module's functions and methods by mutmut's name for them (x_name, xǁClassǁname), each as its
    syntax tree; and the rest of the module (everything outside those functions) as one tree."""
    functions, rest = {}, []
    for node in ast.parse(source).body:
        if isinstance(node, FUNCTIONS):
            functions[f"x_{node.name}"] = ast.dump(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, FUNCTIONS):
                    functions[f"xǁ{node.name}ǁ{item.name}"] = ast.dump(item)
            outside = [item for item in node.body if not isinstance(item, FUNCTIONS)]
            rest.append(ast.dump(ast.ClassDef(node.name, node.bases, node.keywords, outside, node.decorator_list)))
        else:
            rest.append(ast.dump(node))
    return functions, "\n".join(rest)


def changed_functions(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The functions of the modules in `after` (module name -> source) whose mutants differ from, or may
    behave differently than, those of `before`: changed or new functions, and every function of a
    module that is new or whose code outside its functions changed."""
    changed = set()
    for module, source in after.items():
        functions, rest = function_trees(source)
        old_functions, old_rest = function_trees(before[module]) if module in before else ({}, None)
        whole_module = rest != old_rest
        changed |= {f"{module}.{name}" for name, tree in functions.items()
                    if whole_module or old_functions.get(name) != tree}
    return sorted(changed)


def sources_at(commit: str, root: Path) -> dict[str, str]:
    """Module name -> source of the packages' modules at `commit`."""
    listed = subprocess.run(["git", "-C", str(root), "ls-tree", "-r", "--name-only", commit, "--", *PACKAGES],
                            check=True, capture_output=True, text=True).stdout.split()
    return {module_name(path): subprocess.run(["git", "-C", str(root), "show", f"{commit}:{path}"], check=True,
                                              capture_output=True, text=True).stdout
            for path in listed if path.endswith(".py")}


def sources_now(root: Path) -> dict[str, str]:
    """Module name -> source of the packages' modules in the working tree."""
    return {module_name(path.relative_to(root).as_posix()): path.read_text(encoding="utf-8")
            for package in PACKAGES for path in sorted((root / package).rglob("*.py"))}


if __name__ == "__main__":
    project = Path(__file__).resolve().parents[2]
    print("\n".join(changed_functions(sources_at(sys.argv[1], project), sources_now(project))))
