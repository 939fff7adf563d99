"""Equation citations and links between the code, the README and the lectures.

One format everywhere: a lecture's equation is cited as ``lectures/05_evaluation.md, Eq. (7)``
(several: ``Eqs. (5)-(9)``, ``Eqs. (3) and (5)``). In Markdown the path may be a link,
``[lectures/05_evaluation.md](05_evaluation.md), Eq. (7)``, and in docstrings it may sit in
backticks. Inside a lecture, a bare ``Eq. (7)`` means that lecture's own equation. A lecture
numbers its display equations with ``\\tag{1}``, ``\\tag{2}``, ... in order. A paper's own
equations are spelled in lower case without parentheses and name the paper: ``the paper's eq. 4``,
``Ledig et al. 2017, eq. 4``, ``their eq. 4``. These tests fail on a citation of a lecture that does
not exist, of an equation number the lecture does not define, on any other spelling, and on links
to lecture files or sections that do not exist.
"""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = ROOT / "lectures"

# ``lectures/NN_topic.md, Eq. (K)`` with optional backticks or a Markdown link around the path,
# and one or more numbers: ``Eqs. (3)-(4)``, ``Eqs. (5), (6) and (9)``. Whitespace may wrap lines.
_PATH = r"\[?`{0,2}lectures/(?P<file>[0-9]{2}_[A-Za-z0-9_]+\.md)`{0,2}(?:\]\([^)\s]*\))?"
_NUMS = r"(?P<eqs>Eqs?\.\s+\(\d+\)(?:(?:\s*-\s*|,\s+|\s+and\s+)\(\d+\))*)"
CITATION = re.compile(_PATH + r",\s+" + _NUMS)
BARE = re.compile(_NUMS)  # ``Eq. (K)`` anywhere; inside a lecture, that lecture's own equation
TAG = re.compile(r"\\tag\{([^}]*)\}")
PATH_MENTION = re.compile(r"lectures/([0-9]{2}_[A-Za-z0-9_]+\.md)")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")

# Spellings that are neither the lecture format nor the paper format.
WRONG_SPELLINGS = [
    (re.compile(r"\bEqs?\.\s*\d"), "a lecture equation is 'Eq. (K)', a paper's is 'eq. K'"),
    (re.compile(r"\beqs?\.\s*\("), "a lecture equation is 'Eq. (K)' with a capital E"),
    (re.compile(r"\b[Ee]quations?\s+\(?\d"), "write 'Eq. (K)' for a lecture, 'eq. K' for a paper"),
    (re.compile(r"\b[Ee]qs?\.\s*\(?\d+\.\d"), "lectures number equations 1, 2, 3, not 10.3"),
    (re.compile(r"\b[Ll]ecture\s+[Ee]qs?\."), "cite as 'lectures/NN_topic.md, Eq. (K)'"),
    (re.compile(r"\b[Ll]ectures?\s+\d\d(?:'s|,)?\s+Eqs?\."), "cite as 'lectures/NN_topic.md, Eq. (K)'"),
    (re.compile(r"\bits\s+Eqs?\.\s*\("), "name the lecture: 'lectures/NN_topic.md, Eq. (K)'"),
]
# A paper's equation, lower case and no parentheses, after the paper's name or "paper"/"their".
PAPER_EQ = re.compile(r"\beqs?\.\s+\d")
PAPER_PREFIX = re.compile(
    r"(?:paper'?s?|their|et al\.(?:'s)?(?:,?\s+\(?\d{4}[a-z]?\)?)?(?:,\s+\"[^\"]*\")?,?)"
    r"[\s#:]*(?:\(|``)?\s*$"
)


def _numbers(eqs):
    """``Eqs. (3)-(5)`` -> [3, 5] (both ends of a range), ``Eqs. (1), (4) and (6)`` -> [1, 4, 6]."""
    return [int(n) for n in re.findall(r"\((\d+)\)", eqs)]


def lecture_tags(text):
    """Equation numbers a lecture defines, in order of appearance (strings, as written)."""
    return TAG.findall(text)


def tag_problems(text, name):
    tags = lecture_tags(text)
    want = [str(i) for i in range(1, len(tags) + 1)]
    if tags != want:
        return [f"{name}: equations are tagged {tags}, expected 1..{len(tags)} in order"]
    return []


def _line(text, pos):
    return text.count("\n", 0, pos) + 1


def _defined(lectures_dir):
    out = {}
    for path in sorted(Path(lectures_dir).glob("[0-9][0-9]_*.md")):
        out[path.name] = {int(t) for t in lecture_tags(path.read_text()) if t.isdigit()}
    return out


def citation_problems(text, where, lectures_dir=LECTURES, self_lecture=None):
    """Every problem with the equation citations in ``text`` (one string each, with a line number).

    ``self_lecture`` is the lecture file name when ``text`` is that lecture, so that a bare
    ``Eq. (K)`` is checked against its own equations; elsewhere a bare ``Eq. (K)`` is an error.
    """
    defined = _defined(lectures_dir)
    problems = []
    spans = []
    for m in CITATION.finditer(text):
        spans.append((m.start("eqs"), m.end("eqs")))
        name = m.group("file")
        if name not in defined:
            problems.append(f"{where}:{_line(text, m.start())}: no lecture {name!r} ({m.group(0)!r})")
            continue
        for n in _numbers(m.group("eqs")):
            if n not in defined[name]:
                problems.append(
                    f"{where}:{_line(text, m.start())}: {name} defines no Eq. ({n}) ({m.group(0)!r})"
                )
    for m in BARE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        at = f"{where}:{_line(text, m.start())}"
        if self_lecture is None:
            problems.append(f"{at}: {m.group(0)!r} names no lecture; write 'lectures/NN_topic.md, Eq. (K)'")
            continue
        for n in _numbers(m.group("eqs")):
            if n not in defined.get(self_lecture, set()):
                problems.append(f"{at}: {self_lecture} defines no Eq. ({n}) ({m.group(0)!r})")
    for pattern, hint in WRONG_SPELLINGS:
        for m in pattern.finditer(text):
            problems.append(f"{where}:{_line(text, m.start())}: {m.group(0)!r}: {hint}")
    for m in PAPER_EQ.finditer(text):
        before = text[max(0, m.start() - 120) : m.start()]
        if not PAPER_PREFIX.search(before):
            problems.append(
                f"{where}:{_line(text, m.start())}: {m.group(0)!r} without the paper it belongs to;"
                " write \"the paper's eq. K\" (or \"<Author> et al. YEAR, eq. K\"), or"
                " 'lectures/NN_topic.md, Eq. (K)' for a lecture"
            )
    for m in PATH_MENTION.finditer(text):
        if m.group(1) not in defined:
            problems.append(f"{where}:{_line(text, m.start())}: no lecture file lectures/{m.group(1)}")
    return problems


def _slug(heading):
    """GitHub's anchor for a Markdown heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def _anchors(path):
    return {_slug(line.lstrip("#")) for line in path.read_text().splitlines() if line.startswith("#")}


def link_problems(text, where, base):
    """Relative Markdown links into lectures/ must name an existing file and heading."""
    problems = []
    for m in MD_LINK.finditer(text):
        target = m.group(1)
        if "://" in target or target.startswith("#") or target.startswith("mailto:"):
            continue
        file, _, anchor = target.partition("#")
        path = (base / file).resolve()
        if path.parent != LECTURES.resolve() or path.suffix != ".md":
            continue
        if not path.exists():
            problems.append(f"{where}:{_line(text, m.start())}: link to missing {target}")
        elif anchor and anchor not in _anchors(path):
            problems.append(f"{where}:{_line(text, m.start())}: {path.name} has no section #{anchor}")
    return problems


def _lectures():
    return sorted(LECTURES.glob("[0-9][0-9]_*.md"))


# --- the checker itself -----------------------------------------------------------------------


def _fake_lectures(tmp_path):
    (tmp_path / "05_evaluation.md").write_text(
        "# 05\n\n## 2. Scores\n\n$$ a = b \\tag{1} $$\n\n$$ c = d \\tag{2} $$\n\nBy Eq. (2), ...\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    "text",
    [
        "See lectures/05_evaluation.md, Eq. (2).",
        "See ``lectures/05_evaluation.md``, Eqs. (1)-(2).",
        "See [lectures/05_evaluation.md](05_evaluation.md), Eqs. (1) and (2).",
        "Wrapped: lectures/05_evaluation.md,\n    Eq. (1), in a docstring.",
        "Ledig et al. 2017, eq. 4, and the paper's eq. 3; their eq. 5 (Wang et al. 2004, eq. 13).",
        'Mao et al. 2017, "Least Squares GANs", eq. 2; # the paper\'s\n#: eq. 5 in a comment',
    ],
)
def test_checker_accepts_the_formats(tmp_path, text):
    assert citation_problems(text, "fake", _fake_lectures(tmp_path)) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("lectures/05_evaluation.md, Eq. (7)", "defines no Eq. (7)"),
        ("lectures/05_evaluation.md, Eqs. (1)-(3)", "defines no Eq. (3)"),
        ("lectures/05_evaluation.md, Eqs. (2) and (9)", "defines no Eq. (9)"),
        ("lectures/06_missing.md, Eq. (1)", "no lecture '06_missing.md'"),
        ("see lectures/07_nothing.md", "no lecture file"),
        ("the Gram matrix (Eq. (1))", "names no lecture"),
        ("lectures/05_evaluation.md, Eq. 2", "'Eq. (K)'"),
        ("lectures/05_evaluation.md, eq. (2)", "capital E"),
        ("as in eq. 2 above", "without the paper"),
        ("(lecture eq. 10.3)", "not 10.3"),
        ("lecture 05, Eq. (2)", "cite as"),
        ("Equation 5 with a rescaling", "'Eq. (K)' for a lecture"),
    ],
)
def test_checker_rejects_wrong_citations(tmp_path, text, message):
    problems = citation_problems(text, "fake", _fake_lectures(tmp_path))
    assert any(message in p for p in problems), problems


def test_checker_reads_a_lectures_own_equations(tmp_path):
    lectures = _fake_lectures(tmp_path)
    assert citation_problems("By Eq. (2)", "fake", lectures, self_lecture="05_evaluation.md") == []
    problems = citation_problems("By Eq. (3)", "fake", lectures, self_lecture="05_evaluation.md")
    assert problems == ["fake:1: 05_evaluation.md defines no Eq. (3) ('Eq. (3)')"]


def test_checker_wants_equations_numbered_in_order():
    assert tag_problems("\\tag{1} \\tag{2}", "x") == []
    assert tag_problems("\\tag{1} \\tag{3}", "x")
    assert tag_problems("\\tag{10.1} \\tag{10.2}", "x")


def test_checker_finds_missing_link_targets(tmp_path):
    assert link_problems("[x](06_style_transfer.md#2-the-feature-spaces)", "f", LECTURES) == []
    assert link_problems("[x](../lectures/01_gan.md)", "f", LECTURES / "sub") == []
    assert link_problems("[x](06_style_transfer.md#9-weights-that-work-offline)", "f", LECTURES)
    assert link_problems("[x](lectures/99_none.md)", "f", ROOT)


# --- the repository -----------------------------------------------------------------------------


def test_lectures_number_their_equations_in_order():
    problems = []
    for path in _lectures():
        problems += tag_problems(path.read_text(), path.name)
    assert problems == [], "\n".join(problems)


def test_lectures_and_notebooks_number_alike():
    lectures = {p.name[:2] for p in _lectures()}
    notebooks = {p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert lectures == notebooks


def test_citations_in_lectures():
    problems = []
    for path in _lectures():
        text = path.read_text()
        problems += citation_problems(text, f"lectures/{path.name}", self_lecture=path.name)
        problems += link_problems(text, f"lectures/{path.name}", LECTURES)
    assert problems == [], "\n".join(problems)


def test_citations_in_the_library():
    problems = []
    for path in sorted((ROOT / "tfgan").rglob("*.py")):
        problems += citation_problems(path.read_text(), str(path.relative_to(ROOT)))
    assert problems == [], "\n".join(problems)


def test_citations_in_the_tests():
    """A test module whose docstring names a lecture may cite its equations as bare ``Eq. (K)``."""
    problems = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        if path.name == Path(__file__).name:  # its own examples are wrong on purpose
            continue
        text = path.read_text()
        doc = ast.get_docstring(ast.parse(text)) or ""
        own = PATH_MENTION.search(doc)
        problems += citation_problems(
            text, str(path.relative_to(ROOT)), self_lecture=own.group(1) if own else None
        )
    assert problems == [], "\n".join(problems)


def test_citations_and_links_in_the_readmes():
    problems = []
    for path in [ROOT / "README.md", *sorted(ROOT.glob("*/README.md"))]:
        text = path.read_text()
        where = str(path.relative_to(ROOT))
        problems += citation_problems(text, where) + link_problems(text, where, path.parent)
    assert problems == [], "\n".join(problems)


def test_course_map_rows_match_their_lectures():
    """Row N of the README's course map links lecture NN and notebook NN."""
    rows = re.findall(r"^\| (\d+) \| \[lectures/(\d\d)_[^|]*\| \[notebooks/(\d\d)_", (ROOT / "README.md").read_text(), re.M)
    assert len(rows) == len(_lectures())
    for number, lecture, notebook in rows:
        assert int(number) == int(lecture) == int(notebook), (number, lecture, notebook)


def notebook_problems(notebooks=ROOT / "notebooks"):
    """Citations and lecture links in the notebooks' Markdown and code.

    A notebook follows the lecture its first cell links to, and a bare ``Eq. (K)`` in it means that
    lecture's equation, as inside the lecture itself. ``python tests/test_citations.py`` lists them.
    """
    problems = []
    for path in sorted(Path(notebooks).glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        first = PATH_MENTION.search("".join(cells[0]["source"])) if cells else None
        own = first.group(1) if first else None
        for i, cell in enumerate(cells):
            text = "".join(cell["source"])
            where = f"{path.name} cell {i}"
            problems += citation_problems(text, where, self_lecture=own)
            problems += link_problems(text, where, path.parent)
    return problems


def test_citations_and_links_in_the_notebooks():
    assert notebook_problems() == []


if __name__ == "__main__":
    print("\n".join(notebook_problems()) or "no problems")
