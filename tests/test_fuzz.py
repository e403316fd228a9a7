"""The fuzzer: mutators do what they say, reproducibly, and a short fixed-seed round is clean."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fuzzing import mutate as mu
from tests.fuzzing import run as fuzz_run
from tests.fuzzing.run import (
    CORPUS,
    PDFUA_CORPUS,
    ROOT,
    Case,
    Config,
    Seed,
    case_input,
    classify,
    find_seeds,
    innermost_frame,
    plan_case,
    run_campaign,
)
from tests.pdfgen import make_pdf

CI_SEED = 7
CI_CASES = 60


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small generated PDF, uncompressed: plain dictionaries, content streams and xref table."""
    path = make_pdf(
        tmp_path_factory.mktemp("fuzz") / "s.pdf", "sample", 3, bookmarks=True, internal_link=True
    )
    data = mu.uncompressed_copy(path)
    assert data is not None
    return data


def _at(desc: str) -> int:
    return int(re.search(r" at (\d+)", desc).group(1))


def _new(desc: str) -> bytes:
    return desc.rsplit(" -> ", 1)[1].removesuffix(" (itself)").encode("latin-1")


def _run(op: mu.Operator, data: bytes, seed: int) -> tuple[bytes, str]:
    result = op(data, random.Random(seed))
    assert result is not None, f"{op.__name__} found nothing to change"
    out, desc = result
    assert out != data, f"{op.__name__} left the bytes as they were: {desc}"
    return out, desc


# ---------------------------------------------------------------------------- mutators


def test_uncompressed_copy_shows_dictionaries_and_content_operators(sample: bytes) -> None:
    assert b"/FlateDecode" not in sample
    assert mu.CONTENT_OP.search(sample) and b" Tj " in sample  # content streams in plain text
    assert re.search(rb"(?m)^xref$", sample) and b"/ObjStm" not in sample


@pytest.mark.parametrize("seed", range(5))
def test_flip_changes_bytes_in_place(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.flip_bytes, sample, seed)
    assert len(out) == len(sample)
    changed = sum(a != b for a, b in zip(out, sample, strict=True))
    assert changed == int(re.search(r"flip (\d+) bytes", desc).group(1))


@pytest.mark.parametrize("seed", range(5))
def test_truncate_keeps_a_prefix(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.truncate, sample, seed)
    assert len(out) < len(sample) and sample.startswith(out)
    assert desc == f"truncate to {len(out)} of {len(sample)} bytes"


@pytest.mark.parametrize("seed", range(5))
def test_duplicate_inserts_copies_of_a_chunk(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.duplicate_chunk, sample, seed)
    size, start, times, at = map(
        int,
        re.fullmatch(r"duplicate (\d+) bytes from (\d+) x(\d+) at (\d+)", desc).groups(),
    )
    chunk = sample[start : start + size]
    assert out == sample[:at] + chunk * times + sample[at:]


@pytest.mark.parametrize("op", [mu.huge_number, mu.negative_number])
@pytest.mark.parametrize("seed", range(4))
def test_number_replaced(sample: bytes, op: mu.Operator, seed: int) -> None:
    out, desc = _run(op, sample, seed)
    at, new = _at(desc), _new(desc)
    assert mu.NUMBER.match(sample, at), "the replaced text was a number token"
    assert out[at : at + len(new)] == new
    if op is mu.huge_number:
        assert new in mu.HUGE
    else:
        assert new.startswith(b"-")


@pytest.mark.parametrize("seed", range(12))
def test_drop_keyword_deletes_one_token(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.drop_keyword, sample, seed)
    word, at = re.fullmatch(r"drop (\S+) at (\d+)", desc).groups()
    kw = word.encode()
    assert sample[int(at) : int(at) + len(kw)] == kw
    assert out == sample[: int(at)] + sample[int(at) + len(kw) :]


def test_drop_keyword_reaches_every_keyword(sample: bytes) -> None:
    seen = {mu.drop_keyword(sample, random.Random(s))[1].split()[1] for s in range(200)}
    assert seen == set(mu.KEYWORDS)


@pytest.mark.parametrize("seed", range(8))
def test_xref_offset_changed(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.break_xref, sample, seed)
    at = int(re.search(r" at (\d+):", desc).group(1))
    old, new = re.search(r": (\d+) -> (\d+)$", desc).groups()
    assert int(sample[at : at + 20].split()[0]) == int(old)
    assert out[at : at + len(new)] == new.encode() and int(new) != int(old)


@pytest.mark.parametrize("seed", range(6))
def test_length_changed(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.break_length, sample, seed)
    at = _at(desc)
    before = mu.LENGTH.match(sample, at)
    after = mu.LENGTH.match(out, at)
    assert before is not None
    assert after is None or after.group(0) != before.group(0) or out[at:] != sample[at:]
    assert out[at:].startswith(b"/Length " + _new(desc))


@pytest.mark.parametrize("seed", range(10))
def test_name_gets_bytes_that_are_not_utf8(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.non_utf8_name, sample, seed)
    inserted = desc.rsplit("insert ", 1)[1].encode().decode("unicode_escape").encode("latin-1")
    raw = bytes.fromhex(inserted.replace(b"#", b"").decode()) if b"#" in inserted else inserted
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert len(out) == len(sample) + len(inserted) and inserted in out
    at = _at(desc)
    assert sample[at : at + 1] == b"/" and out[at : at + 1] == b"/"


@pytest.mark.parametrize("seed", range(6))
def test_delete_key_removes_the_entry(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.delete_key, sample, seed)
    key = re.match(r"delete /(\w+)", desc).group(1).encode()
    pattern = re.compile(rb"/" + key + rb"(?![A-Za-z0-9#])")
    assert len(pattern.findall(out)) == len(pattern.findall(sample)) - 1
    assert len(out) < len(sample)


@pytest.mark.parametrize("seed", range(6))
def test_replace_value_gives_a_wrong_value(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.replace_value, sample, seed)
    key = re.match(r"/(\w+)", desc).group(1).encode()
    new = _new(desc)
    assert new in mu.WRONG_VALUES
    assert out[_at(desc) :].startswith(b"/" + key + b" " + new)


@pytest.mark.parametrize("seed", range(6))
def test_reference_points_elsewhere(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.retarget_reference, sample, seed)
    at, new = _at(desc), _new(desc)
    assert mu.REF.match(sample, at)
    assert out[at:].startswith(new) and not sample[at:].startswith(new)


@pytest.mark.parametrize("seed", range(6))
def test_cycle_points_an_entry_at_its_own_object(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.make_cycle, sample, seed)
    at, new = _at(desc), _new(desc)
    headers = [h for h in mu.OBJ_HEADER.finditer(sample) if h.start() < at]
    owner = headers[-1]
    assert new == owner.group(1) + b" " + owner.group(2) + b" R"
    assert new in out[at : at + 60]


@pytest.mark.parametrize("seed", range(9))
def test_content_operator_deleted_repeated_or_swapped(sample: bytes, seed: int) -> None:
    out, desc = _run(mu.content_operator, sample, seed)
    op, at, kind = re.match(r"content operator (\S+) at (\d+): (\w+)", desc).groups()
    at_i, opb = int(at), op.encode()
    assert sample[at_i : at_i + len(opb)] == opb
    if kind == "delete":
        assert out == sample[:at_i] + sample[at_i + len(opb) :]
    elif kind == "repeat":
        assert out[at_i:].startswith(opb + b"\n" + opb)
    else:
        assert out[at_i:].startswith(_new(desc))


def test_operators_that_find_nothing_say_so() -> None:
    rng = random.Random(1)
    for op in (mu.huge_number, mu.drop_keyword, mu.break_xref, mu.break_length, mu.delete_key):
        assert op(b"nothing of PDF here", rng) is None


@pytest.mark.skipif(not mu.HAVE_ATHERIS, reason="atheris is not installed")
def test_libfuzzer_mutator_is_deterministic_under_a_seed(sample: bytes) -> None:
    first = [mu.libfuzzer_mutate(sample, seed, 2) for seed in (1, 2, 3)]
    again = [mu.libfuzzer_mutate(sample, seed, 2) for seed in (1, 2, 3)]
    assert first == again
    assert len(set(first)) == 3 and sample not in first


@pytest.mark.parametrize("variant", ["original", "uncompressed"])
def test_mutate_is_reproducible_from_its_seed(sample: bytes, variant: str) -> None:
    runs = [mu.mutate(sample, random.Random(f"x:{n}"), variant=variant) for n in range(20)]
    again = [mu.mutate(sample, random.Random(f"x:{n}"), variant=variant) for n in range(20)]
    assert runs == again
    assert all(out != sample and desc for out, desc in runs)
    assert len({out for out, _ in runs}) == 20


def test_a_case_is_reproducible_from_seed_and_number(tmp_path: Path) -> None:
    files = []
    for n in range(3):
        files.append(make_pdf(tmp_path / f"s{n}.pdf", f"s{n}", n + 1))
    seeds = [Seed(p, p.name, p.stat().st_size) for p in files]
    for number in range(12):
        a, b = plan_case(5, number, seeds), plan_case(5, number, seeds)
        assert a == b
        assert case_input(a) == case_input(b)
    assert len({plan_case(5, n, seeds).target for n in range(40)}) == 3


# ---------------------------------------------------------------------------- classification


def test_innermost_frame_of_a_traceback_and_of_a_faulthandler_dump() -> None:
    tb = (
        "Traceback (most recent call last):\n"
        '  File "/x/dhrbuild/cli.py", line 83, in _run\n'
        '  File "/x/dhrbuild/describe.py", line 244, in _placements\n'
        '  File "/x/site-packages/pikepdf/_methods.py", line 9, in index\n'
        "pikepdf._core.QpdfRuntimeError: boom\n"
    )
    assert innermost_frame(tb) == "dhrbuild/describe.py:244 in _placements"
    dump = (
        "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n"
        '  File "/x/site-packages/pypdfium2/raw.py", line 5 in FPDF_LoadPage\n'
        '  File "/x/dhrbuild/preview.py", line 12 in render\n'
        '  File "/x/dhrbuild/cli.py", line 40 in main\n'
    )
    assert innermost_frame(dump) == "dhrbuild/preview.py:12 in render"


def test_leftover_temporary_file_is_a_defect(tmp_path: Path) -> None:
    seed = Seed(tmp_path / "s.pdf", "s.pdf", 1)
    case = Case(1, 0, "assemble", seed, "original")
    folder, meta = tmp_path / "case", tmp_path / "meta"
    (folder / "dist").mkdir(parents=True)
    meta.mkdir()
    (meta / "result.json").write_text('{"exit": 4}')
    (meta / "stderr").write_text("error: /x/fuzzed.pdf: not a readable PDF\n")
    verdict = classify(case, folder, meta, 0, False)
    assert verdict.outcome == "assemble: refused (exit 4)" and not verdict.defects
    (folder / "dist" / ".out.pdf.1a2b3c4d.tmp").write_bytes(b"")
    verdict = classify(case, folder, meta, 0, False)
    assert [d[0] for d in verdict.defects] == ["leftover-temp"]
    (folder / "dist" / ".out.pdf.1a2b3c4d.tmp").unlink()
    (folder / "tmp" / "dhrbuild-convert-x").mkdir(parents=True)  # the build's system temp dir
    verdict = classify(case, folder, meta, 0, False)
    assert [d[0] for d in verdict.defects] == ["leftover-temp"]
    (folder / "tmp" / "dhrbuild-convert-x").rmdir()
    (meta / "stderr").write_text("error: nothing here is a file\n")
    assert [d[0] for d in classify(case, folder, meta, 0, False).defects] == ["unnamed-error"]


def test_runner_sees_an_abort_a_hang_and_a_leftover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "a.pdf", "a", 1)

    def fake_cli(argv: list[str]) -> int:  # runs in the forked child, in the case's folder
        number = Path.cwd().name
        if number == "case-0":
            os.abort()
        if number == "case-1":
            time.sleep(30)
        Path("dist").mkdir(exist_ok=True)
        Path("dist/.out.pdf.deadbeef.tmp").write_bytes(b"")
        print("error: fuzzed.pdf: not a PDF", file=sys.stderr)
        return 4

    monkeypatch.setattr(fuzz_run, "_run_cli", fake_cli)
    config = Config(
        seed=1,
        seconds=None,
        cases=3,
        workers=2,
        timeout=4,
        findings=tmp_path / "findings",
        corpus=corpus,
        pdfua=tmp_path / "none",
        quiet=True,
    )
    began = time.monotonic()
    summary = run_campaign(config)
    assert time.monotonic() - began < 20
    kinds = {d.kind: d for d in summary.defects.values()}
    assert set(kinds) == {"signal", "hang", "leftover-temp"}, summary.report()
    assert "SIGABRT" in kinds["signal"].title
    hang_txt = Path(kinds["hang"].reproducers[0]).with_suffix(".txt").read_text()
    assert "fake_cli" in hang_txt  # the stack dumped before the kill says where it hung
    for d in kinds.values():
        assert Path(d.reproducers[0], "fuzzed.pdf").is_file()
    assert (summary.findings / "summary.json").is_file()


# ---------------------------------------------------------------------------- the CI round


def _seeds_present() -> bool:
    return bool(find_seeds(CORPUS, PDFUA_CORPUS, 3_000_000))


@pytest.mark.timeout(240)
def test_fixed_seed_round_finds_no_defect(tmp_path: Path) -> None:
    if not _seeds_present():
        pytest.skip(f"corpora not found at {CORPUS} or {PDFUA_CORPUS}; set DHRBUILD_CORPUS")
    config = Config(
        seed=CI_SEED, seconds=None, cases=CI_CASES, workers=1, findings=tmp_path, quiet=True
    )
    summary = run_campaign(config)
    assert summary.cases == CI_CASES
    details = []
    for d in summary.defects.values():
        first = Path(d.reproducers[0]) if d.reproducers else None
        txt = first.with_suffix(".txt") if first else None
        details.append(txt.read_text(encoding="utf-8") if txt and txt.exists() else d.title)
    if summary.defects:
        pytest.fail(summary.report() + "\n\n" + "\n\n".join(details), pytrace=False)


@pytest.mark.timeout(240)
def test_corpus_census_short_mode_passes() -> None:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"shared corpus not found at {CORPUS}; set DHRBUILD_CORPUS")
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "corpus_census.py"), "--short"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=230,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
