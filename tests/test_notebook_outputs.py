"""The notebooks' saved outputs are what a student reads first: they must come from the laptop run.

Every ``notebooks/*.ipynb`` is read as JSON (nothing is executed). A notebook fails when its saved
outputs came from a smoke run (``TFGAN_SMOKE=1``: a few steps, figures of noise), when a code cell
was never executed, when an output shows an error, a path of the machine it ran on, or
TensorFlow's C++ start-up messages (``tfgan``'s import silences those at their source).
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

#: The setup cell prints exactly this line (tfgan.run_mode()).
SETUP_LINE = re.compile(r"^tfgan \S+, mode: (smoke|laptop|paper)$", re.MULTILINE)
#: Paths of the machine a notebook ran on.
MACHINE_PATHS = ("/work/", "/home/", "/tmp/", "/root/", "/Users/", "/var/folders/", "site-packages",
                 "dist-packages", "C:\\")
#: TensorFlow / absl / CUDA start-up messages.
START_UP_NOISE = ("oneDNN custom operations", "TF_ENABLE_ONEDNN_OPTS", "absl", "cuda", "cuInit",
                  "cpu_feature_guard", "This TensorFlow binary is optimized")


def _code_cells(notebook):
    return [c for c in notebook["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def _texts(cell):
    """The text of every output of a code cell (streams, plain-text results, errors); not images."""
    for output in cell.get("outputs", []):
        if "text" in output:
            yield "".join(output["text"])
        for mime in ("text/plain", "text/html", "text/markdown"):
            if mime in output.get("data", {}):
                yield "".join(output["data"][mime])
        if output.get("output_type") == "error":
            yield f"{output.get('ename')}: {output.get('evalue')}\n" + "\n".join(output.get("traceback", []))


def problems(notebook) -> list[str]:
    """What is wrong with a notebook's saved outputs, one line each (empty when it is fine)."""
    cells = _code_cells(notebook)
    found = []
    if not cells:
        return ["no code cells"]
    setup = "\n".join(_texts(cells[0]))
    modes = SETUP_LINE.findall(setup)
    if modes != ["laptop"]:
        found.append(f"the setup cell's output must hold one line 'tfgan <version>, mode: laptop'; "
                     f"it holds modes {modes} in {setup.strip()[:200]!r}")
    for number, cell in enumerate(cells, 1):
        where = f"code cell {number} ({''.join(cell['source']).strip().splitlines()[0][:60]!r})"
        if cell.get("execution_count") is None:
            found.append(f"{where} was never executed")
        for text in _texts(cell):
            lower = text.lower()
            if "smoke" in lower:
                found.append(f"{where}: an output mentions smoke mode: {_line_with(text, 'smoke')!r}")
            for path in MACHINE_PATHS:
                if path.lower() in lower:
                    found.append(f"{where}: an output holds a machine path: {_line_with(text, path)!r}")
            noise = next((n for n in START_UP_NOISE if n.lower() in lower), None)
            if noise:
                found.append(f"{where}: an output holds TensorFlow start-up noise: {_line_with(text, noise)!r}")
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            found.append(f"{where}: saved with an error")
    return found


def _line_with(text, needle):
    return next((line.strip() for line in text.splitlines() if needle.lower() in line.lower()), "")[:160]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 10, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_outputs_come_from_the_laptop_run(path):
    found = problems(json.loads(path.read_text(encoding="utf-8")))
    assert not found, f"{path.name}: re-run it in laptop mode (see the README) and save it:\n  " + "\n  ".join(found)


def _notebook(setup_output, *cells):
    def code(source, outputs, count=1):
        return {"cell_type": "code", "source": [source], "execution_count": count, "outputs": outputs}

    def stream(text):
        return {"output_type": "stream", "name": "stdout", "text": [text]}

    return {"cells": [code("import tfgan", [stream(setup_output)])]
            + [code(src, [stream(out)] if out else [], count) for src, out, count in cells]}


def test_the_checks_catch_each_kind_of_problem():
    good = _notebook("tfgan 0.1.0, mode: laptop\n", ("x = 1", "step 3000: loss 0.1\n", 2))
    assert problems(good) == []
    bad = {
        "smoke setup": _notebook("tfgan 0.1.0, mode: smoke\n"),
        "two setup lines": _notebook("tfgan 0.1.0, mode: laptop\ntfgan 0.1.0, mode: laptop\n"),
        "old setup line": _notebook("tfgan 0.1.0, TensorFlow 2.21.0; smoke mode: False\n"),
        "smoke text": _notebook("tfgan 0.1.0, mode: laptop\n", ("y = 2", "(in smoke mode this is noise)\n", 2)),
        "path": _notebook("tfgan 0.1.0, mode: laptop\n", ("y = 2", "Wrote /tmp/tfgan_x/out.png\n", 2)),
        "site-packages": _notebook("tfgan 0.1.0, mode: laptop\n", ("y = 2", ".venv/lib/site-packages/x.py:3\n", 2)),
        "noise": _notebook("tfgan 0.1.0, mode: laptop\n", ("y = 2", "I0000 port.cc:153] oneDNN custom operations are on\n", 2)),
        "cuda": _notebook("tfgan 0.1.0, mode: laptop\n", ("y = 2", "failed call to cuInit: CUDA error\n", 2)),
        "not executed": _notebook("tfgan 0.1.0, mode: laptop\n", ("y = 2", "", None)),
    }
    for name, notebook in bad.items():
        assert problems(notebook), name
