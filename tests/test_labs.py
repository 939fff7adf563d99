"""The labs (labs/, nbgrader): solutions earn full marks, student versions leak nothing and earn
nothing, and a planted mistake costs exactly the points of the tests that cover it.

One module-scoped course in a temporary folder runs the same nbgrader commands as ``make labs``
and ``make grade`` (generate_assignment, autograde, generate_feedback, export) on three
"students": the instructor versions, the released student versions, and lab 1 with a sign error.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tfgan import checks

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
LAB_NAMES = sorted(p.name for p in (LABS / "source").iterdir() if p.is_dir())

# The planted mistake: a sign error in lab 1's non-saturating generator loss. Two tests use that
# function (its own, and the saturation measurement that differentiates it); no other does.
PLANTED_LAB = "01_gan_objectives"
PLANTED_FROM = "return float(np.mean(softplus(-np.asarray(fake_logits))))"
PLANTED_TO = "return float(-np.mean(softplus(-np.asarray(fake_logits))))"
PLANTED_COVERED = {"test_non_saturating_generator_loss", "test_saturation"}

REGIONS = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def _nbgrader(course, *args):
    """Run ``python -m nbgrader ARGS`` in the course folder, as the Makefile does."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # alembic, kernel
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TFGAN_SMOKE", "1")
    env.setdefault("TFGAN_OFFLINE", "1")
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _notebook(path):
    return json.loads(Path(path).read_text())


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A graded course: release made, three students autograded, feedback and grades.csv written."""
    course = tmp_path_factory.mktemp("course")
    shutil.copytree(LABS / "source", course / "source")
    shutil.copy(LABS / "nbgrader_config.py", course)
    _nbgrader(course, "generate_assignment", "*", "--force")
    for lab in LAB_NAMES:
        for student, folder in (("instructor", "source"), ("student", "release")):
            target = course / "submitted" / student / lab
            target.mkdir(parents=True)
            shutil.copy(course / folder / lab / f"{lab}.ipynb", target)
    planted = course / "submitted" / "planted" / PLANTED_LAB
    planted.mkdir(parents=True)
    text = (course / "source" / PLANTED_LAB / f"{PLANTED_LAB}.ipynb").read_text()
    assert text.count(json.dumps(PLANTED_FROM)[1:-1]) == 1, "the planted mistake's target line moved"
    (planted / f"{PLANTED_LAB}.ipynb").write_text(text.replace(json.dumps(PLANTED_FROM)[1:-1], json.dumps(PLANTED_TO)[1:-1]))
    _nbgrader(course, "autograde", "*")
    _nbgrader(course, "generate_feedback", "*")
    _nbgrader(course, "export", "--to", "grades.csv")
    return course


def _scores(course, student, lab):
    """{grade cell id: (auto score, max score)} of the autograded test cells."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission(lab, student).notebooks[0]
        return {g.name: (g.auto_score, g.max_score) for g in notebook.grades if g.name.startswith("test_")}


def test_sources_are_valid_labs():
    """Each lab: a time budget, learning objectives, solution cells, >= 8 autograded points with
    hidden tests, and written questions with a rubric."""
    assert len(LAB_NAMES) >= 6, LAB_NAMES
    for lab in LAB_NAMES:
        nb = _notebook(LABS / "source" / lab / f"{lab}.ipynb")
        text = "\n".join(_source(c) for c in nb["cells"])
        assert re.search(r"Time budget: (\d+) minutes", text), lab
        assert "Learning objectives" in text, lab
        tests = [c for c in nb["cells"] if _meta(c).get("grade") and not _meta(c).get("solution")]
        answers = [c for c in nb["cells"] if _meta(c).get("grade") and _meta(c).get("solution")]
        assert sum(_meta(c)["points"] for c in tests) >= 8, lab
        assert all("### BEGIN HIDDEN TESTS" in _source(c) for c in tests), lab
        assert answers and all("Rubric" in _source(c) for c in answers), lab
        # Long cells (those sized by STEPS) skip themselves under the autograder.
        assert "STEPS" not in text or "if grading():" in text, lab


def test_labs_cite_lecture_equations_that_exist():
    """Same format and checks as the notebooks (tests/test_citations.py): a bare ``Eq. (K)`` is an
    equation of the first lecture the lab names."""
    from test_citations import PATH_MENTION, citation_problems

    problems = []
    for lab in LAB_NAMES:
        cells = _notebook(LABS / "source" / lab / f"{lab}.ipynb")["cells"]
        own = PATH_MENTION.search("".join(_source(c) for c in cells)).group(1)
        for i, cell in enumerate(cells):
            problems += citation_problems(_source(cell), f"{lab} cell {i}", self_lecture=own)
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_release_leaks_nothing(course):
    """No solution code, hidden test, model answer or rubric reaches the student versions."""
    for lab in LAB_NAMES:
        source = _notebook(course / "source" / lab / f"{lab}.ipynb")
        release = _notebook(course / "release" / lab / f"{lab}.ipynb")
        released = "\n".join(_source(c) for c in release["cells"])
        for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "Model answer", "Rubric"):
            assert marker not in released, f"{lab}: {marker!r} in the release"
        visible = "\n".join(REGIONS.sub("", _source(c)) for c in source["cells"] if not _meta(c).get("solution"))
        for cell in source["cells"]:
            for _, region in REGIONS.findall(_source(cell)):
                for line in region.splitlines():
                    line = line.strip()
                    if len(line) > 20 and line not in visible:
                        assert line not in released, f"{lab}: solution/hidden line leaked: {line!r}"
        stubs = [c for c in release["cells"] if _meta(c).get("solution") and c["cell_type"] == "code"]
        assert stubs and all("raise NotImplementedError()" in _source(c) for c in stubs), lab


@pytest.mark.slow
def test_instructor_versions_earn_full_marks(course):
    for lab in LAB_NAMES:
        scores = _scores(course, "instructor", lab)
        assert scores and all(got == top for got, top in scores.values()), f"{lab}: {scores}"


@pytest.mark.slow
def test_graded_runs_skip_training(course):
    """Cells guarded by tfgan.checks.grading() printed that they skipped under the autograder."""
    guarded = 0
    for lab in LAB_NAMES:
        if "if grading():" not in (LABS / "source" / lab / f"{lab}.ipynb").read_text():
            continue
        guarded += 1
        graded = _notebook(course / "autograded" / "instructor" / lab / f"{lab}.ipynb")
        printed = "".join("".join(o.get("text", "")) for c in graded["cells"] for o in c.get("outputs", []))
        assert "Graded run:" in printed and "skipped" in printed, lab
    assert guarded >= 4


@pytest.mark.slow
def test_student_versions_fail_every_test(course):
    for lab in LAB_NAMES:
        scores = _scores(course, "student", lab)
        assert scores and all(got == 0 for got, _ in scores.values()), f"{lab}: {scores}"


@pytest.mark.slow
def test_planted_mistake_loses_exactly_its_tests(course):
    scores = _scores(course, "planted", PLANTED_LAB)
    lost = {name for name, (got, top) in scores.items() if got != top}
    assert lost == PLANTED_COVERED, scores
    total, top = sum(s for s, _ in scores.values()), sum(t for _, t in scores.values())
    assert top - total == sum(scores[name][1] for name in PLANTED_COVERED)
    # The visible check told the student what was expected and what was received.
    graded = _notebook(course / "autograded" / "planted" / PLANTED_LAB / f"{PLANTED_LAB}.ipynb")
    cell = next(c for c in graded["cells"] if _meta(c).get("grade_id") == "test_non_saturating_generator_loss")
    error = next(o for o in cell["outputs"] if o["output_type"] == "error")
    assert "expected 0.693147, received -0.693147" in error["evalue"], error["evalue"]


@pytest.mark.slow
def test_feedback_and_grades_csv(course):
    for student in ("instructor", "student"):
        for lab in LAB_NAMES:
            assert (course / "feedback" / student / lab / f"{lab}.html").exists(), (student, lab)
    with open(course / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    by_key = {(r["student_id"], r["assignment"]): r for r in rows}
    instructor = by_key[("instructor", PLANTED_LAB)]
    planted = by_key[("planted", PLANTED_LAB)]
    assert float(instructor["raw_score"]) - float(planted["raw_score"]) == 4.0, (instructor, planted)


def test_check_close_says_expected_and_received():
    checks.check_close("x", np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    with pytest.raises(AssertionError, match=r"loss: expected 1\.5, received -1\.5 \(max abs error 3"):
        checks.check_close("loss", -1.5, 1.5)
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), received shape \(3,\)"):
        checks.check_close("v", np.zeros(3), np.zeros(2))
    with pytest.raises(AssertionError, match="received None"):
        checks.check_close("f()", None, 1.0)
    with pytest.raises(AssertionError, match="at index \\(1,\\): expected 2, received 5"):
        checks.check_close("v", [1.0, 5.0, 3.0], [1.0, 2.0, 3.0])
    with pytest.raises(AssertionError, match="NaN"):
        checks.check_close("v", [np.nan], [0.0])


def test_grading_follows_nbgrader_env(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not checks.grading()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert checks.grading()
