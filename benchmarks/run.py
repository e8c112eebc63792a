"""The benchmarks of batch-uploader, as Markdown tables.

    .venv/bin/python -m benchmarks.run            # the full set (about 15 minutes)
    .venv/bin/python -m benchmarks.run --quick    # smaller files, fewer runs (under a minute)
    .venv/bin/python -m benchmarks.run --output BENCHMARKS-table.md --only 1,3

Each figure is the median of several runs, with their minimum and maximum. Every run is a
fresh process (see :mod:`benchmarks.worker`); the runs of the variants compared are
interleaved, so that a noisy moment of the machine does not fall on one variant only. Data is
generated into a temporary directory; requests go to the sandbox, served by a process of its
own on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from batch_uploader.vtex.settings import Settings

from . import data
from .measure import ROOT, Sample, SandboxProcess, Spread, listen_overflows, run_case

MIB = 1024.0


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes and numbers of runs."""

    quick: bool
    read_rows: int
    read_runs_csv: int
    read_runs_xlsx: int
    memory_rows: int  # 0: the case is skipped
    memory_runs: int
    upload_rows: int
    upload_runs: int
    concurrencies: tuple[int, ...]
    bare_concurrencies: tuple[int, ...]
    rate_rows: int
    rate_runs: int
    write_rows: int
    write_runs: int
    e2e_rows: int
    e2e_runs: int
    flaky_rows: int
    flaky_runs: int
    history_runs: int = 1_000  # runs of the journal read back, each of history_rows rows
    history_rows: int = 1_000
    history_repeats: int = 3
    e2e_rate: float = 200.0
    e2e_latency: float = 0.005
    latency: float = 0.02

    @classmethod
    def full(cls) -> Plan:
        return cls(
            quick=False,
            read_rows=100_000,
            read_runs_csv=5,
            read_runs_xlsx=3,
            memory_rows=1_000_000,
            memory_runs=2,
            upload_rows=2_000,
            upload_runs=3,
            concurrencies=(1, 4, 8, 16, 32),
            bare_concurrencies=(8, 16),
            rate_rows=2_000,
            rate_runs=3,
            write_rows=100_000,
            write_runs=3,
            e2e_rows=10_000,
            e2e_runs=2,
            flaky_rows=1_000,
            flaky_runs=3,
        )

    @classmethod
    def short(cls) -> Plan:
        return cls(
            quick=True,
            read_rows=10_000,
            read_runs_csv=2,
            read_runs_xlsx=1,
            memory_rows=0,
            memory_runs=0,
            upload_rows=200,
            upload_runs=1,
            concurrencies=(1, 4, 8, 16, 32),
            bare_concurrencies=(8, 16),
            rate_rows=300,
            rate_runs=1,
            write_rows=5_000,
            write_runs=1,
            e2e_rows=600,
            e2e_runs=1,
            flaky_rows=300,
            flaky_runs=1,
            history_runs=100,
            history_rows=200,
            history_repeats=1,
        )

    def with_runs(self, runs: int) -> Plan:
        """Every case run ``runs`` times (skipped cases stay skipped)."""
        return replace(
            self,
            read_runs_csv=runs,
            read_runs_xlsx=runs,
            memory_runs=runs if self.memory_rows else 0,
            upload_runs=runs,
            rate_runs=runs,
            write_runs=runs,
            e2e_runs=runs,
            flaky_runs=runs,
            history_repeats=runs,
        )


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    figure: str
    holds: bool | None  # None: see ``otherwise``
    otherwise: str = "not measured"


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Document:
    sections: list[Section] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def render(self, header: Sequence[str]) -> str:
        lines = [*header, ""]
        for section in self.sections:
            lines += [f"### {section.title}", "", *_table(section.headers, section.rows), ""]
            lines += [f"- {note}" for note in section.notes]
            if section.notes:
                lines.append("")
        lines += ["### Targets", ""]
        if not self.targets:
            return "\n".join([*lines, "No target among the cases run."]) + "\n"
        lines += _table(
            ["target", "measured", "holds"],
            [[t.name, t.figure, _verdict(t)] for t in self.targets],
        )
        return "\n".join(lines) + "\n"


def _verdict(target: Target) -> str:
    if target.holds is None:
        return target.otherwise
    return "**yes**" if target.holds else "**no**"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _spread(values: Sequence[float], digits: int = 2) -> str:
    """``median (min-max)``; only the median for one run."""
    s = Spread.of(values)
    if s.runs == 1:
        return f"{s.median:.{digits}f}"
    return f"{s.median:.{digits}f} ({s.low:.{digits}f}-{s.high:.{digits}f})"


def _median(values: Sequence[float]) -> float:
    return Spread.of(values).median


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Runner:
    """Runs the cases of a plan in a temporary directory and collects the document."""

    def __init__(self, plan: Plan, workdir: Path, profile_dir: Path | None = None) -> None:
        self.plan = plan
        self.workdir = workdir
        self.document = Document()
        self.profile_dir = profile_dir

    def path(self, name: str) -> Path:
        """A fresh path in the work directory."""
        return self.workdir / f"{uuid.uuid4().hex[:12]}-{name}"

    def upload_params(self, path: Path, base_url: str, rate: float, **more: Any) -> dict[str, Any]:
        """The parameters of an upload of ``path`` at ``rate`` with 8 requests in flight, to
        a fresh results file and journal."""
        return {
            "path": str(path),
            "base_url": base_url,
            "results": str(self.path("results.csv")),
            "journal": str(self.path("journal.sqlite3")),
            "rate": rate,
            "concurrency": 8,
            **more,
        }

    def run(self, case: str, params: dict[str, Any], label: str) -> Sample:
        profile = None
        if self.profile_dir is not None and case not in ("idle",):
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            profile = self.profile_dir / f"{label.replace(' ', '_').replace('/', '-')}.prof"
        sample = run_case(case, params, self.workdir, profile=profile)
        _log(
            f"  {label}: {sample.wall:.3f} s, cpu {sample.cpu:.3f} s, "
            f"peak {sample.peak_rss_kib / MIB:.1f} MiB"
        )
        for stale in self.workdir.glob("*-results.csv"):
            stale.unlink()
        return sample

    def target(
        self, name: str, figure: str, holds: bool | None, otherwise: str = "not measured"
    ) -> None:
        self.document.targets.append(Target(name, figure, holds, otherwise))

    # Case 1 ------------------------------------------------------------------------------

    def reading(self) -> None:
        plan = self.plan
        rows = plan.read_rows
        _log(f"case 1: reading and validation of {rows:,} rows")
        section = Section(
            f"1. Reading and validation of {rows:,} rows",
            [
                "file",
                "variant",
                "time s",
                "rows/s",
                "peak RSS MiB",
                "time ÷ baseline",
                "RSS ÷ baseline",
            ],
        )
        for kind, baseline, runs in (
            ("csv", "pandas_csv", plan.read_runs_csv),
            ("xlsx", "pandas_xlsx", plan.read_runs_xlsx),
        ):
            path = self.workdir / f"carrier-{rows}.{kind}"
            started = time.perf_counter()
            (data.write_csv if kind == "csv" else data.write_xlsx)(path, rows)
            _log(f"  generated {path.name} in {time.perf_counter() - started:.1f} s")
            variants = [
                (baseline, _BASELINE_LABELS[baseline]),
                ("dry_run", "ours: dry run (`run(dry_run=True)`, results CSV written)"),
                ("read_validate", "ours: read + survey + check, no results file"),
                ("read_only", "ours: open + one pass over the rows (no validation)"),
                ("idle", "Python + `import batch_uploader`, nothing else (RSS floor)"),
            ]
            samples: dict[str, list[Sample]] = {case: [] for case, _ in variants}
            for run in range(runs):
                for case, _ in variants:
                    if case == "idle" and run > 0:
                        continue  # the floor does not vary: once is enough
                    params = {"path": str(path), "results": str(self.path("results.csv"))}
                    label = f"{kind} {case} {run + 1}/{runs}"
                    samples[case].append(self.run(case, params, label))
            base = samples[baseline]
            for case, label in variants:
                got = samples[case]
                if case != "idle":
                    self._check_rows(got, rows, label)
                walls = [s.wall for s in got]
                rss = [s.peak_rss_kib / MIB for s in got]
                section.rows.append(
                    [
                        kind.upper(),
                        label,
                        "-" if case == "idle" else _spread(walls, 3),
                        "-" if case == "idle" else f"{rows / _median(walls):,.0f}",
                        _spread(rss, 1),
                        "-" if case == "idle" else _ratio(got, base, "wall"),
                        _ratio(got, base, "rss"),
                    ]
                )
            ours = _median([s.wall for s in samples["dry_run"]])
            pure = _median([s.wall for s in samples["read_validate"]])
            theirs = _median([s.wall for s in base])
            if kind == "csv":
                # The targets are for reading and validation; the dry run also writes the
                # results file, shown beside.
                self.target(
                    "CSV read + validate within 2x of `pandas.read_csv(dtype=str)`",
                    f"read + validate {pure / theirs:.1f}x; the dry run, results file "
                    f"included, {ours / theirs:.1f}x ({rows:,} rows)",
                    pure <= 2 * theirs,
                )
            else:
                self.target(
                    "XLSX read + validate at least 4x faster than "
                    "`pandas.read_excel(engine='openpyxl')`",
                    f"read + validate {theirs / pure:.1f}x faster; the dry run, results file "
                    f"included, {theirs / ours:.1f}x faster ({rows:,} rows)",
                    theirs >= 4 * pure,
                )
            path.unlink()
        section.notes.append(
            "time: the operation alone, measured inside the worker process (interpreter start "
            "and imports excluded); peak RSS: the worker process's `VmHWM`, imports included."
        )
        self.document.sections.append(section)

    # Case 2 ------------------------------------------------------------------------------

    def memory(self) -> None:
        plan = self.plan
        if not plan.memory_rows:
            self.document.sections.append(
                Section(
                    "2. Memory of a 1,000,000-row CSV dry run", ["note"], [["skipped in --quick"]]
                )
            )
            self.target("1,000,000-row CSV dry run under 400 MiB peak RSS", "skipped", None)
            return
        rows = plan.memory_rows
        _log(f"case 2: memory of a {rows:,}-row CSV dry run")
        path = data.write_csv(self.workdir / f"carrier-{rows}.csv", rows)
        variants = [
            ("dry_run", "ours: dry run (`run(dry_run=True)`)"),
            ("pandas_csv", _BASELINE_LABELS["pandas_csv"] + " (reference)"),
        ]
        samples: dict[str, list[Sample]] = {case: [] for case, _ in variants}
        for run in range(plan.memory_runs):
            for case, _ in variants:
                params = {"path": str(path), "results": str(self.path("results.csv"))}
                samples[case].append(self.run(case, params, f"1M {case} {run + 1}"))
        section = Section(
            f"2. Memory of a {rows:,}-row CSV dry run",
            ["variant", "time s", "rows/s", "peak RSS MiB", "peak RSS (wait4 ru_maxrss) MiB"],
        )
        for case, label in variants:
            got = samples[case]
            self._check_rows(got, rows, label)
            walls = [s.wall for s in got]
            section.rows.append(
                [
                    label,
                    _spread(walls, 1),
                    f"{rows / _median(walls):,.0f}",
                    _spread([s.peak_rss_kib / MIB for s in got], 1),
                    _spread([s.maxrss_kib / MIB for s in got], 1),
                ]
            )
        peak = max(s.peak_rss_kib for s in samples["dry_run"]) / MIB
        self.target(
            f"{rows:,}-row CSV dry run under 400 MiB peak RSS",
            f"{peak:.0f} MiB (highest of {plan.memory_runs} runs)",
            peak < 400,
        )
        self.document.sections.append(section)
        path.unlink()

    # Case 3 ------------------------------------------------------------------------------

    def throughput(self) -> None:
        plan = self.plan
        rows = plan.upload_rows
        _log(f"case 3: upload throughput, {rows:,} rows, sandbox latency {plan.latency} s")
        path = data.write_csv(self.workdir / f"upload-{rows}.csv", rows)
        # (what, concurrency): the sequential loop, bare async httpx (the floor of the client's
        # CPU), and batch-uploader.
        variants: list[tuple[str, int]] = [
            ("sequential", 1),
            *(("bare_async", c) for c in plan.bare_concurrencies),
            *(("bare_aiohttp", c) for c in plan.bare_concurrencies),
            *(("upload", c) for c in plan.concurrencies),
        ]
        samples: dict[tuple[str, int], list[Sample]] = {v: [] for v in variants}
        server_cpu: dict[tuple[str, int], list[float]] = {v: [] for v in variants}
        overflows: dict[tuple[str, int], list[float]] = {v: [] for v in variants}
        for run in range(plan.upload_runs):
            with SandboxProcess("--latency", str(plan.latency)) as sandbox:
                for variant in variants:
                    case, concurrency = variant
                    params: dict[str, Any] = {
                        "path": str(path),
                        "base_url": sandbox.base_url,
                        "concurrency": concurrency,
                    }
                    if case == "upload":
                        params |= {
                            "results": str(self.path("results.csv")),
                            "journal": str(self.path("journal.sqlite3")),
                            "rate": 100_000,
                        }
                    label = f"{case} {concurrency} {run + 1}"
                    before, dropped = sandbox.cpu_seconds, listen_overflows()
                    samples[variant].append(self.run(case, params, label))
                    server_cpu[variant].append(sandbox.cpu_seconds - before)
                    overflows[variant].append(listen_overflows() - dropped)
        section = Section(
            f"3. Upload throughput, {rows:,} rows, sandbox latency {plan.latency * 1000:.0f} ms, "
            "no rate limit",
            [
                "client",
                "rows/s",
                "÷ sequential",
                "client CPU ms/row",
                "client CPU busy",
                "sandbox CPU ms/request",
                "sandbox CPU busy",
                "requests",
                "listen overflows",
            ],
        )
        sequential = _median([rows / s.wall for s in samples[("sequential", 1)]])
        best: tuple[float, int] = (0.0, 0)
        cpu: dict[tuple[str, int], float] = {}
        for variant in variants:
            case, concurrency = variant
            got = samples[variant]
            if case == "upload":
                label = f"ours, concurrency {concurrency}"
                requests = [float(s.extra["requests"]) for s in got]
                sent = [float(s.extra["counts"].get("sent", 0)) for s in got]
            else:
                label = {
                    "sequential": "sequential `httpx.Client` loop",
                    "bare_async": f"bare `httpx.AsyncClient`, {concurrency} tasks (no pacing, "
                    "retries, journal or results)",
                    "bare_aiohttp": f"the same over aiohttp (the upload's transport), "
                    f"{concurrency} tasks",
                }[case]
                requests = [float(sum(s.extra["statuses"].values())) for s in got]
                sent = [float(s.extra["statuses"].get("200", 0)) for s in got]
            if min(sent) != rows:
                raise RuntimeError(f"{label}: {sent} rows sent of {rows}")
            rates = [rows / s.wall for s in got]
            busy = [c / s.wall for c, s in zip(server_cpu[variant], got, strict=True)]
            cpu[variant] = _median([s.cpu / rows * 1000 for s in got])
            if case == "upload" and _median(rates) > best[0]:
                best = (_median(rates), concurrency)
            section.rows.append(
                [
                    label,
                    _spread(rates, 0),
                    f"{_median(rates) / sequential:.1f}x",
                    _spread([s.cpu / rows * 1000 for s in got], 2),
                    f"{_median([s.cpu / s.wall for s in got]):.0%}",
                    f"{_median(server_cpu[variant]) / _median(requests) * 1000:.2f}",
                    f"{_median(busy):.0%}",
                    f"{_median(requests):.0f}",
                    _spread(overflows[variant], 0),
                ]
            )
        section.notes += [
            "rows/s: rows ÷ the wall time of `batch_uploader.run` (reading, validation, journal "
            "and results file included) or of the loop (reading the CSV included).",
            "client CPU: user + system CPU time of the client process during that call; busy: "
            "CPU ÷ wall (100 % is one core). Sandbox CPU: its process's CPU time (from "
            "`/proc/PID/stat`) during the same call. The machine has 2 cores.",
            f"ideal at {plan.latency * 1000:.0f} ms latency: {1 / plan.latency:.0f} x concurrency "
            "rows/s. requests above the number of rows are retries.",
            "listen overflows: the kernel's `TcpExtListenOverflows` counter during the call: "
            "connections the sandbox's listening socket (backlog 128) could not queue; such a "
            "connection is reset and its request retried.",
        ]
        self.document.sections.append(section)
        best_rate, best_concurrency = best
        self.target(
            "upload ≥ 12x the sequential `httpx.Client` loop at the best concurrency",
            f"{best_rate / sequential:.1f}x at concurrency {best_concurrency} "
            f"({best_rate:,.0f} vs {sequential:,.0f} rows/s)",
            best_rate >= 12 * sequential,
        )
        ours = {c: cpu[("upload", c)] for c in plan.concurrencies}
        default = Settings().concurrency
        floors = "; ".join(
            f"bare httpx over aiohttp {cpu[('bare_aiohttp', c)]:.2f} ms at {c}, ours "
            f"{ours[c] / cpu[('bare_aiohttp', c)]:.2f}x that"
            for c in plan.bare_concurrencies
            if c in ours
        )
        self.target(
            f"client CPU < 1.2 ms per row at the default concurrency ({default})",
            f"{ours[default]:.2f} ms; from {min(ours.values()):.2f} to {max(ours.values()):.2f} "
            f"ms over concurrencies {min(ours)} to {max(ours)}; {floors}",
            ours[default] < 1.2,
        )
        path.unlink()

    # Case 4 ------------------------------------------------------------------------------

    def rate_fidelity(self) -> None:
        plan = self.plan
        rows = plan.rate_rows
        _log(f"case 4: rate fidelity, {rows:,} rows against a sandbox limited to 100/s")
        path = data.write_csv(self.workdir / f"rate-{rows}.csv", rows)
        rates = (100, 400)
        samples: dict[int, list[Sample]] = {r: [] for r in rates}
        for run in range(plan.rate_runs):
            for rate in rates:
                # A fresh sandbox per run: its token bucket starts full (burst 10).
                with SandboxProcess("--rate-limit", "100", "--burst", "10") as sandbox:
                    params = self.upload_params(path, sandbox.base_url, rate)
                    samples[rate].append(self.run("upload", params, f"rate {rate} {run + 1}"))
        section = Section(
            f"4. Rate fidelity, {rows:,} rows, sandbox limited to 100 requests/s (burst 10)",
            [
                "--rate",
                "rows sent",
                "time s",
                "report.achieved_rate /s",
                "report.requests",
                "report.throttled (429)",
                "429 share",
                "report.lowest_rate /s",
            ],
        )
        for rate in rates:
            got = samples[rate]
            lowest = [s.extra["lowest_rate"] for s in got]
            section.rows.append(
                [
                    str(rate),
                    _spread([float(s.extra["counts"].get("sent", 0)) for s in got], 0),
                    _spread([s.wall for s in got], 1),
                    _spread([s.extra["achieved_rate"] for s in got], 2),
                    _spread([float(s.extra["requests"]) for s in got], 0),
                    _spread([float(s.extra["throttled"]) for s in got], 0),
                    _spread([s.extra["throttled"] / s.extra["requests"] * 100 for s in got], 1)
                    + " %",
                    "never lowered"
                    if all(v is None for v in lowest)
                    else _spread([rate if v is None else float(v) for v in lowest], 1),
                ]
            )
        section.notes.append(
            "report.achieved_rate is report.requests ÷ report.elapsed (the whole run, reading "
            "the file included). Concurrency 8."
        )
        self.document.sections.append(section)
        at_100 = samples[100]
        achieved = _median([s.extra["achieved_rate"] for s in at_100])
        worst_share = max(s.extra["throttled"] / s.extra["requests"] for s in at_100)
        self.target(
            "`--rate 100` against a 100/s limit: ≥ 98/s achieved, 429s < 1 % of requests",
            f"{achieved:.2f}/s (median of {len(at_100)}), 429s at most {worst_share:.1%}",
            achieved >= 98 and worst_share < 0.01,
        )
        at_400 = samples[400]
        all_sent = all(s.extra["counts"].get("sent", 0) == rows for s in at_400)
        share = max(s.extra["throttled"] / s.extra["requests"] for s in at_400)
        lows = [s.extra["lowest_rate"] for s in at_400 if s.extra["lowest_rate"] is not None]
        self.target(
            "`--rate 400` against a 100/s limit: every row sent, 429s bounded",
            f"{'all' if all_sent else 'NOT all'} {rows:,} rows sent; 429s at most {share:.1%} "
            f"of requests; rate lowered to {min(lows, default=400):.0f}/s at the least",
            all_sent and share < 0.05,
        )
        path.unlink()

    # Case 5 ------------------------------------------------------------------------------

    def writing(self) -> None:
        plan = self.plan
        rows = plan.write_rows
        _log(f"case 5: writing {rows:,} results lines")
        section = Section(
            f"5. Writing {rows:,} results lines",
            ["format", "writer", "time s", "rows/s", "peak RSS MiB", "time ÷ floor"],
        )
        floors = {
            "csv": "floor: `csv.writer` given the 14 values ready-made",
            "xlsx": "floor: xlsxwriter (constant memory) `write_string` of ready-made values",
        }
        for kind in ("csv", "xlsx"):
            variants = [("write_results", "ours: batch_uploader's results writer"),
                        ("write_floor", floors[kind])]  # fmt: skip
            samples: dict[str, list[Sample]] = {case: [] for case, _ in variants}
            for run in range(plan.write_runs):
                for case, _ in variants:
                    params = {"rows": rows, "results": str(self.path(f"results.{kind}"))}
                    sample = self.run(case, params, f"{kind} {case} {run + 1}")
                    if sample.extra.get("unsupported"):
                        break
                    samples[case].append(sample)
            if not samples["write_results"]:
                section.rows.append([kind.upper(), "ours", "not built yet", "-", "-", "-"])
                self.target(f"{kind.upper()} results writing", "not built yet", None, "not built")
                continue
            for case, label in variants:
                got = samples[case]
                walls = [s.wall for s in got]
                section.rows.append(
                    [
                        kind.upper(),
                        label,
                        _spread(walls, 3),
                        f"{rows / _median(walls):,.0f}",
                        _spread([s.peak_rss_kib / MIB for s in got], 1),
                        _ratio(got, samples["write_floor"], "wall"),
                    ]
                )
        section.notes.append(
            "The outcomes (90 % sent, 5 % invalid, 3 % failed, 2 % skipped) are built before "
            "the clock starts: 1,000 distinct ones, written in turn. The XLSX time includes "
            "`finish()` (the summary sheet) and closing the workbook."
        )
        self.document.sections.append(section)

    # Case 6 ------------------------------------------------------------------------------

    def end_to_end(self) -> None:
        plan = self.plan
        rows, rate = plan.e2e_rows, plan.e2e_rate
        _log(f"case 6: end to end, {rows:,}-row XLSX at --rate {rate:.0f}")
        path = data.write_xlsx(self.workdir / f"e2e-{rows}.xlsx", rows)
        samples: list[Sample] = []
        with SandboxProcess("--latency", str(plan.e2e_latency)) as sandbox:
            for run in range(plan.e2e_runs):
                params = self.upload_params(path, sandbox.base_url, rate)
                samples.append(self.run("upload", params, f"e2e {run + 1}"))
        ideal = rows / rate
        section = Section(
            f"6. End to end: a {rows:,}-row XLSX at --rate {rate:.0f}, sandbox latency "
            f"{plan.e2e_latency * 1000:.0f} ms, no limit",
            [
                "rows sent",
                "ideal s (rows ÷ rate)",
                "`run()` wall s",
                "÷ ideal",
                "process wall s (start to exit)",
                "÷ ideal",
                "achieved rate /s",
                "client CPU ms/row",
            ],
        )
        sent = [float(s.extra["counts"].get("sent", 0)) for s in samples]
        section.rows.append(
            [
                _spread(sent, 0),
                f"{ideal:.1f}",
                _spread([s.wall for s in samples], 1),
                f"{_median([s.wall for s in samples]) / ideal:.3f}",
                _spread([s.process_wall for s in samples], 1),
                f"{_median([s.process_wall for s in samples]) / ideal:.3f}",
                _spread([s.extra["achieved_rate"] for s in samples], 1),
                _spread([s.cpu / rows * 1000 for s in samples], 2),
            ]
        )
        section.notes.append("Concurrency 8.")
        self.document.sections.append(section)
        wall = _median([s.wall for s in samples])
        self.target(
            f"end to end, {rows:,}-row XLSX at --rate {rate:.0f} (no numeric target)",
            f"{wall:.1f} s for an ideal {ideal:.1f} s ({wall / ideal:.3f}x); "
            f"{min(sent):.0f} rows sent",
            None if min(sent) == rows else False,
            "no target",
        )
        path.unlink()

    # Case 7 ------------------------------------------------------------------------------

    def flaky(self) -> None:
        plan = self.plan
        rows, rate = plan.flaky_rows, 200.0
        _log(f"case 7: {rows:,} rows at --rate {rate:.0f} through a flaky sandbox")
        path = data.write_csv(self.workdir / f"flaky-{rows}.csv", rows)
        # 10 % 503 without Retry-After, 3 % dropped connections, 2 % answers slower than the
        # timeout: none says anything about the account's rate.
        faults = ("--unavailable", "0.1", "--resets", "0.03", "--slow", "0.02",
                  "--slow-seconds", "2", "--seed", "7")  # fmt: skip
        variants = {"fault-free": (), "flaky": faults}
        samples: dict[str, list[Sample]] = {name: [] for name in variants}
        for run in range(plan.flaky_runs):
            for name, options in variants.items():
                with SandboxProcess(*options) as sandbox:
                    params = self.upload_params(path, sandbox.base_url, rate, timeout=1.0)
                    samples[name].append(self.run("upload", params, f"{name} {run + 1}"))
        section = Section(
            f"7. A flaky VTEX: {rows:,} rows at --rate {rate:.0f}, --timeout 1",
            ["sandbox", "rows sent", "time s", "÷ fault-free", "report.requests",
             "report.lowest_rate /s"],
        )  # fmt: skip
        base = _median([s.wall for s in samples["fault-free"]])
        for name, got in samples.items():
            lowest = [s.extra["lowest_rate"] for s in got]
            section.rows.append(
                [
                    name,
                    _spread([float(s.extra["counts"].get("sent", 0)) for s in got], 0),
                    _spread([s.wall for s in got], 1),
                    f"{_median([s.wall for s in got]) / base:.2f}x",
                    _spread([float(s.extra["requests"]) for s in got], 0),
                    "never lowered"
                    if all(v is None for v in lowest)
                    else _spread([rate if v is None else float(v) for v in lowest], 1),
                ]
            )
        section.notes.append(
            "flaky: 10 % of answers 503 without Retry-After, 3 % connections dropped, 2 % "
            "answers after 2 s (timeouts). Concurrency 8, the default retry policy."
        )
        self.document.sections.append(section)
        flaky = _median([s.wall for s in samples["flaky"]])
        sent = min(s.extra["counts"].get("sent", 0) for s in samples["flaky"])
        # A row may fail every attempt by chance (15 % of faults, 5 attempts): not the target.
        self.target(
            f"{rows:,} rows at --rate {rate:.0f} through a flaky VTEX: within 2x of fault-free",
            f"{flaky:.1f} s against {base:.1f} s ({flaky / base:.2f}x); {sent:,} rows sent",
            flaky <= 2 * base,
        )
        path.unlink()

    def _check_rows(self, samples: Sequence[Sample], rows: int, label: str) -> None:
        for sample in samples:
            if sample.extra.get("rows") != rows:
                raise RuntimeError(f"{label}: {sample.extra.get('rows')} rows instead of {rows}")

    # Case 8 ------------------------------------------------------------------------------

    def history(self) -> None:
        plan = self.plan
        runs, rows = plan.history_runs, plan.history_rows
        _log(f"case 8: the page's history over a journal of {runs:,} runs of {rows:,} rows")
        journal = self.path("journal.sqlite3")
        data.write_journal(journal, runs, rows)
        samples = [
            self.run("history", {"journal": str(journal)}, f"history {number + 1}")
            for number in range(plan.history_repeats)
        ]
        if any(sample.extra.get("found") != 5 for sample in samples):
            raise RuntimeError("history: the order asked for was not found in its 5 runs")
        section = Section(
            f"8. The page's history over a journal of {runs * rows:,} rows ({runs:,} runs)",
            ["question", "time ms"],
        )
        questions = [
            ("runs", f"the latest {samples[0].extra['shown']} runs, with their counts"),
            ("rows", f"a run's rows ({rows:,}), its failed ones alone, and its files"),
            ("order", "was this order sent? (every row of one order, in every run)"),
            ("inbox", "the first screen: an inbox's last night, rejected and waiting files"),
        ]
        for key, question in questions:
            times = [float(sample.extra[key]) * 1000 for sample in samples]
            section.rows.append([question, _spread(times, 1)])
        section.notes.append(
            "Each question is asked of the journal as the page asks it (`History`, in one "
            "process, the journal opened read-only each time). A run holds 95 % sent, 3 % "
            "refused and 2 % failed rows; the order asked for has rows in 5 runs."
        )
        self.document.sections.append(section)


_BASELINE_LABELS = {
    "pandas_csv": "baseline: `pandas.read_csv(path, dtype=str)`",
    "pandas_xlsx": "baseline: `pandas.read_excel(path, engine='openpyxl')`",
}


def _ratio(samples: Sequence[Sample], base: Sequence[Sample], what: str) -> str:
    def figure(sample: Sample) -> float:
        return sample.wall if what == "wall" else float(sample.peak_rss_kib)

    ratio = _median([figure(s) for s in samples]) / _median([figure(s) for s in base])
    return f"{ratio:.2f}x"


CASES: dict[str, Callable[[Runner], None]] = {
    "1": Runner.reading,
    "2": Runner.memory,
    "3": Runner.throughput,
    "4": Runner.rate_fidelity,
    "5": Runner.writing,
    "6": Runner.end_to_end,
    "7": Runner.flaky,
    "8": Runner.history,
}


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("batch-uploader", "httpx", "httpcore", "python-calamine", "tenacity",
                 "pandas", "openpyxl", "xlsxwriter", "numpy"):  # fmt: skip
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _revision() -> str:
    """The commit measured, and whether the work tree differed from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "batch_uploader"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head} (batch_uploader/ modified in the work tree)" if changed else head


def _code_digest() -> str:
    """A digest of batch_uploader's sources, to tell whether they changed during the run."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "batch_uploader").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description="Benchmarks of batch-uploader."
    )
    parser.add_argument("--quick", action="store_true", help="smaller files, fewer runs")
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    parser.add_argument("--runs", type=int, help="run every case this many times")
    parser.add_argument(
        "--only", default=",".join(CASES), help="the cases to run, as 1,3,6 (default: all)"
    )
    parser.add_argument(
        "--profile", type=Path, help="dump cProfile statistics of every measured run here"
    )
    args = parser.parse_args(argv)
    chosen = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; the cases are {', '.join(CASES)}")
    plan = Plan.short() if args.quick else Plan.full()
    if args.runs is not None:
        if args.runs < 1:
            parser.error("--runs must be at least 1")
        plan = plan.with_runs(args.runs)
    started, code = time.perf_counter(), _code_digest()
    with tempfile.TemporaryDirectory(prefix="batch-uploader-bench-") as tmp:
        runner = Runner(plan, Path(tmp), args.profile)
        for case in chosen:
            begun = time.perf_counter()
            CASES[case](runner)
            spent = time.perf_counter() - begun
            runner.document.sections[-1].notes.append(f"This case took {spent:.0f} s.")
            _log(f"case {case} took {spent:.0f} s")
    elapsed = time.perf_counter() - started
    cpus = len(os.sched_getaffinity(0))
    header = [
        f"## batch-uploader benchmarks ({'--quick' if plan.quick else 'full'})",
        "",
        f"Machine: {cpus} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.",
        f"Packages: {_versions()}.",
        f"Code measured: {_revision()}, sources digest {code}"
        + (
            "." if _code_digest() == code else " (WARNING: batch_uploader/ changed during the run)."
        ),
        f"Each figure: median (min-max) of the runs; the whole benchmark took {elapsed:.0f} s.",
    ]
    text = runner.document.render(header)
    print(text)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    _log(f"done in {elapsed:.0f} s (from {ROOT})")


if __name__ == "__main__":
    main()
