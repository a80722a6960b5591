"""BouncyCastle, the second independent CMS implementation: tests/signing/bc/CmsTool.java.

Compiled once per test session with `javac` against Debian's jars (libbcprov-java,
libbcpkix-java and the libbcutil-java they bring, installed by scripts/ensure-system-packages.sh)
and run with `java`. Signing and verifying each take one JVM for a whole batch of files, so a
corpus costs one start-up, not one per file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

SOURCE: Final = Path(__file__).resolve().parent / "bc" / "CmsTool.java"
JAR_DIRECTORY: Final = Path("/usr/share/java")
#: bcpkix needs bcutil since BouncyCastle 1.69 (Debian's libbcpkix-java depends on libbcutil-java).
JARS: Final = tuple(JAR_DIRECTORY / name for name in ("bcprov.jar", "bcpkix.jar", "bcutil.jar"))
ACCEPTED: Final = "accepted"
REFUSED: Final = "refused"


class BouncyCastleUnavailable(Exception):
    """java, javac or the BouncyCastle jars are missing, or CmsTool.java does not compile."""


@dataclass(frozen=True)
class BcResult:
    """What BouncyCastle made of one file: its verdict and what it saw on the way."""

    name: str
    verdict: str
    reason: str | None
    signers: int
    content_type: str | None
    digest: str | None
    signature: str | None
    signed_attributes: tuple[str, ...] | None
    key: str | None
    digital_signature: bool | None
    content_sha256: str | None

    @property
    def accepted(self) -> bool:
        return self.verdict == ACCEPTED

    @classmethod
    def from_json(cls, line: str) -> BcResult:
        fields: dict[str, Any] = json.loads(line)
        attributes = fields.pop("signed_attributes")
        return cls(signed_attributes=None if attributes is None else tuple(attributes), **fields)


@dataclass(frozen=True)
class SignJob:
    """One file for BouncyCastle to sign (its CMSSignedDataGenerator, default signed attributes)."""

    out: str
    content: bytes
    cert: Path
    key: Path
    chain: Sequence[Path] = ()
    detached: bool = False
    keyid: bool = False
    algorithm: str = "SHA256withECDSA"
    ber: bool = False


class BouncyCastle:
    """CmsTool, compiled into ``classes``."""

    def __init__(self, classes: Path) -> None:
        self.classes = classes

    @classmethod
    def compile(cls, directory: Path) -> BouncyCastle:
        missing = [str(jar) for jar in JARS if not jar.exists()]
        missing += [tool for tool in ("java", "javac") if shutil.which(tool) is None]
        if missing:
            raise BouncyCastleUnavailable(
                f"BouncyCastle interop needs {', '.join(missing)}: run scripts/ensure-system-packages.sh "
                "(Debian packages libbcprov-java and libbcpkix-java, and a JDK)."
            )
        directory.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["javac", "-nowarn", "-d", str(directory), "-cp", cls._jars(), str(SOURCE)], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise BouncyCastleUnavailable(f"CmsTool.java does not compile against BouncyCastle:\n{result.stderr}")
        return cls(directory)

    @staticmethod
    def _jars() -> str:
        return ":".join(str(jar) for jar in JARS)

    def _run(self, *arguments: str) -> str:
        result = subprocess.run(
            ["java", "-cp", f"{self.classes}:{self._jars()}", "CmsTool", *arguments],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise AssertionError(f"CmsTool {arguments[0]} failed:\n{result.stderr}")
        return result.stdout

    def sign_all(self, jobs: Sequence[SignJob], directory: Path) -> dict[str, bytes]:
        """Sign every job in one JVM; the DER (or BER) files by ``out`` name."""
        directory.mkdir(parents=True, exist_ok=True)
        lines = []
        for job in jobs:
            source = directory / f"{job.out}.content"
            source.write_bytes(job.content)
            arguments = ["--cert", str(job.cert), "--key", str(job.key), "--in", str(source)]
            arguments += ["--out", str(directory / job.out), "--algorithm", job.algorithm]
            for ca in job.chain:
                arguments += ["--chain", str(ca)]
            arguments += [
                flag for flag, on in (("--detached", job.detached), ("--keyid", job.keyid), ("--ber", job.ber)) if on
            ]
            lines.append("\t".join(arguments))
        jobs_file = directory / "sign-jobs.tsv"
        jobs_file.write_text("\n".join(lines) + "\n")
        self._run("sign", "--jobs", str(jobs_file))
        return {job.out: (directory / job.out).read_bytes() for job in jobs}

    def sign(self, job: SignJob, directory: Path) -> bytes:
        return self.sign_all([job], directory)[job.out]

    def verify_all(
        self,
        files: Mapping[str, tuple[bytes, bytes | None]],
        directory: Path,
        *,
        cas: Sequence[Path],
        crls: Sequence[Path] = (),
    ) -> dict[str, BcResult]:
        """Verify every ``name: (signed, detached content or None)`` in one JVM, trusting only ``cas``."""
        directory.mkdir(parents=True, exist_ok=True)
        lines = []
        for index, (name, (signed, content)) in enumerate(files.items()):
            signed_path = directory / f"{index}.p7m"
            signed_path.write_bytes(signed)
            content_path = ""
            if content is not None:
                (directory / f"{index}.content").write_bytes(content)
                content_path = str(directory / f"{index}.content")
            lines.append(f"{name}\t{signed_path}\t{content_path}")
        jobs_file = directory / "verify-jobs.tsv"
        jobs_file.write_text("\n".join(lines) + "\n")
        arguments = ["verify", "--jobs", str(jobs_file)]
        for ca in cas:
            arguments += ["--ca", str(ca)]
        for crl in crls:
            arguments += ["--crl", str(crl)]
        results = [BcResult.from_json(line) for line in self._run(*arguments).splitlines() if line.strip()]
        return {result.name: result for result in results}

    def verify(
        self,
        signed: bytes,
        directory: Path,
        *,
        cas: Sequence[Path],
        content: bytes | None = None,
        crls: Sequence[Path] = (),
    ) -> BcResult:
        return self.verify_all({"file": (signed, content)}, directory, cas=cas, crls=crls)["file"]
