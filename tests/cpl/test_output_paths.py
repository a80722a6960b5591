"""Every file a command writes where the user said: a path that cannot be written is one sentence and
exit 2, and nothing is written (or applied) half way.

A file path (`cpl template OUT`, `cpl template --layout sec`, `cpl extract show --content-out`, `smi
ingest --receipt-out`) must name a file in a directory that exists: a missing directory is refused,
never created, since it is most often a mistyped path. A directory option (`cpl extract approve
--out-dir`, `cpl publish --out-dir`) is made when missing, as the defaults under var/ are.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import openpyxl
import pytest

from tests.api.conftest import clean_workbook
from tests.cpl.conftest import CplRun
from tests.smi.commandline import MODELS, SmiRun, environment, iso, issued
from tests.smi.factories import cpl as extract_listing

LAYOUTS = [pytest.param((), id="own"), pytest.param(("--layout", "sec"), id="sec")]


def one_sentence(stderr: str) -> str:
    """The error, a sentence the console may have wrapped at its width (COLUMNS): its lines rejoined."""
    text = " ".join(stderr.split())
    assert text.endswith(".") and text.count(": ") <= 1 and "Traceback" not in text, stderr
    return text


def read_only_directory(tmp: Path) -> Path:
    """A directory no file can be created in: made read-only, or, for root (who may write anywhere else), sysfs."""
    if os.geteuid() != 0:
        directory = tmp / "read-only"
        directory.mkdir()
        directory.chmod(0o555)
        return directory
    sysfs = Path("/sys")
    try:
        tempfile.NamedTemporaryFile(dir=sysfs).close()
    except OSError:
        return sysfs
    pytest.skip("no directory here refuses a new file to root")


# --- cpl template ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_template_into_a_missing_directory_is_refused_and_creates_nothing(
    cpl: CplRun, layout: tuple[str, ...]
) -> None:
    target = cpl.tmp / "no-such-dir" / "form.xlsx"
    message = one_sentence(cpl("template", target, *layout, expect=2).stderr)
    assert message == f"Cannot write the template to {target}: the directory {target.parent} does not exist."
    assert not target.parent.exists()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_template_onto_a_directory_is_refused(cpl: CplRun, layout: tuple[str, ...]) -> None:
    target = cpl.tmp / "forms"
    target.mkdir()
    message = one_sentence(cpl("template", target, *layout, expect=2).stderr)
    assert message == f"Cannot write the template to {target}: it is a directory; give the file's name."
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_template_under_a_file_is_refused(cpl: CplRun, layout: tuple[str, ...]) -> None:
    above = cpl.tmp / "notes.txt"
    above.write_text("not a directory")
    target = above / "form.xlsx"
    message = one_sentence(cpl("template", target, *layout, expect=2).stderr)
    assert message == f"Cannot write the template to {target}: {above} is not a directory."


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_template_into_a_read_only_place_is_one_sentence_and_exit_2(cpl: CplRun, layout: tuple[str, ...]) -> None:
    target = read_only_directory(cpl.tmp) / "cpl-form.xlsx"
    message = one_sentence(cpl("template", target, *layout, expect=2).stderr)
    assert message.startswith(f"Cannot write the template to {target} (") and "Exception" not in message
    assert not target.exists()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_template_into_an_existing_directory_is_written_whole(cpl: CplRun, layout: tuple[str, ...]) -> None:
    target = cpl.tmp / "form.xlsx"
    result = cpl("template", target, *layout)
    assert result.stderr == "" and str(target) in result.stdout.replace("\n", "")
    assert openpyxl.load_workbook(target).sheetnames
    assert [p.name for p in cpl.tmp.iterdir() if p.name.startswith(".form.xlsx")] == []  # no temporary left


# --- cpl extract show --content-out, and the directory options ------------------------------------------


def prepared(cpl: CplRun) -> CplRun:
    """Parties, an approved submission and draft 1 prepared by alice."""
    cpl.parties()
    workbook = cpl.tmp / "acme.xlsx"
    workbook.write_bytes(clean_workbook(400))
    cpl("submit", workbook, "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    return cpl


def test_content_out_into_a_missing_directory_is_refused(cpl: CplRun) -> None:
    prepared(cpl)
    target = cpl.tmp / "missing" / "content.json"
    message = one_sentence(cpl("extract", "show", "1", "--content-out", target, expect=2).stderr)
    assert message == f"Cannot write the content to {target}: the directory {target.parent} does not exist."
    assert not target.parent.exists()


def test_content_out_onto_a_directory_is_refused_and_a_file_is_written(cpl: CplRun) -> None:
    prepared(cpl)
    message = one_sentence(cpl("extract", "show", "1", "--content-out", cpl.tmp, expect=2).stderr)
    assert message == f"Cannot write the content to {cpl.tmp}: it is a directory; give the file's name."
    target = cpl.tmp / "content.json"
    shown = cpl.json("extract", "show", "1", "--content-out", target)
    assert shown["content_out"] == str(target) and target.read_bytes().startswith(b'{"')


def test_the_extract_and_the_published_list_make_a_missing_out_dir(cpl: CplRun) -> None:
    prepared(cpl)
    extracts = cpl.tmp / "new" / "extracts"
    issued_file = Path(cpl.json("extract", "approve", "1", "--by", "bob", "--out-dir", extracts)["file"])
    assert issued_file.parent == extracts and issued_file.is_file()
    public = cpl.tmp / "new" / "public"
    published = cpl.json("publish", "--out-dir", public)
    assert published["files"] and all(Path(f).parent == public and Path(f).is_file() for f in published["files"])


# --- smi ingest --receipt-out ---------------------------------------------------------------------------


@pytest.fixture
def smi(tmp_path: Path) -> SmiRun:
    return SmiRun(tmp_path, environment(tmp_path, f"sqlite:///{tmp_path / 'smi.db'}"))


def test_a_receipt_into_a_missing_directory_is_refused_before_anything_is_applied(smi: SmiRun) -> None:
    extract = smi.signed("e1.p7m", extract_listing(1, MODELS, issued_at=issued(1)))
    target = smi.tmp / "no-such-dir" / "receipt.p7m"
    refused = smi("ingest", extract, "--received-at", iso(0), "--receipt-out", target, expect=2)
    assert one_sentence(refused.stderr) == (f"--receipt-out {target}: the directory {target.parent} does not exist.")
    assert not target.parent.exists()
    target.parent.mkdir()
    applied = smi.json("ingest", extract, "--received-at", iso(0), "--receipt-out", target)
    assert applied["result"] == "applied"  # not a repeat: the refused run applied nothing
    assert target.is_file()


def test_a_receipt_onto_a_directory_is_refused(smi: SmiRun) -> None:
    extract = smi.signed("e1.p7m", extract_listing(1, MODELS, issued_at=issued(1)))
    refused = smi("ingest", extract, "--received-at", iso(0), "--receipt-out", smi.tmp, expect=2)
    assert one_sentence(refused.stderr) == f"--receipt-out {smi.tmp} is a directory; give the file's name."
