"""README.md's table of what the Python suite covers, checked against the spec and the SDK.

The table is kept by hand; this keeps it honest: every operation in spec/operations/ has one
row, every helper it names exists in the pinned SDK and is called by a test here, an operation
it calls helperless really has no helper in the SDK, and *pending* marks exactly the operations
with a helper whose YAML is not in spec/operations/ yet.
"""

import re
from pathlib import Path

import qcloud_cos
from qcloud_cos.ai_recognition import AIRecognitionClient

import spec_answers

HERE = Path(__file__).resolve().parent
README = spec_answers.ROOT / "README.md"
SECTION = "### What the official Python SDK suite covers"


def table_rows():
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    rows = []
    for line in text.split(SECTION, 1)[1].splitlines():
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] in ("operation", "") or set(cells[0]) <= {"-"}:
            continue
        op, helpers, modes = cells
        rows.append((op, re.findall(r"`((?:ci|cos)_[a-z_]+)`", helpers), modes))
    return rows


def test_readme_python_table():
    rows = table_rows()
    ops = [op for op, _, _ in rows]
    assert len(ops) == len(set(ops)), "an operation has two rows"
    in_spec = set(spec_answers.operation_names())
    missing = in_spec - set(ops)
    assert not missing, f"README's Python table lacks {sorted(missing)}"

    sdk_source = "".join(
        p.read_text(encoding="utf-8") for p in Path(qcloud_cos.__file__).parent.glob("*.py")
    )
    tests = "".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_official_sdk*.py"))
    for op, helpers, modes in rows:
        if not helpers:
            # "no helper": the SDK's source never names this ci-process value.
            assert "no helper" in modes, op
            assert f'"{op}"' not in sdk_source and f"'{op}'" not in sdk_source, (
                f"{op} is listed without a helper, but the SDK names it"
            )
            continue
        pending = "pending" in modes
        assert pending == (op not in in_spec), (
            f"{op}: marked pending={pending}, but its YAML is "
            f"{'not ' if op not in in_spec else ''}in spec/operations/"
        )
        for helper in helpers:
            assert callable(getattr(AIRecognitionClient, helper, None)), f"the SDK has no {helper}"
            called = f".{helper}(" in tests or f".{helper}," in tests
            assert called, f"no test calls {helper} ({op})"
