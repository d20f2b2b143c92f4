"""Report a check run: one line per check for people, JSON for machines, JUnit XML for CI."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from xml.etree import ElementTree

from taskmock._checks.lifecycle import ERROR, WARNING, Finding
from taskmock._checks.runner import CheckRun

__all__ = ["as_json", "as_junit", "human_lines"]


def _of(run: CheckRun, check: str, subject: str) -> list[Finding]:
    families = {"schema": {"schema", "poll"}, "lifecycle": _LIFECYCLE_RULES}
    rules = families.get(check, {check})
    return [f for f in run.findings if f.rule in rules and f.task_id == subject]


_LIFECYCLE_RULES = {
    "declared-state",
    "allowed-transition",
    "terminal-final",
    "progress-monotone",
    "timestamp-order",
    "timestamp-stable",
    "field-rule",
    "id-echo",
}


def _verdict(findings: list[Finding], strict: bool) -> str:
    if any(f.severity == ERROR for f in findings) or (strict and findings):
        return "FAIL"
    return "WARN" if findings else "PASS"


def human_lines(run: CheckRun, strict: bool = False) -> list[str]:
    """One line per check, then each finding indented under it."""
    lines = [f"taskmock check {run.api} at {run.base_url}"]
    for check, subject in run.checks:
        findings = _of(run, check, subject)
        extra = (
            f" ({run.polls.get(subject, 0)} polls, final {run.final_states.get(subject)!r})"
            if check == "lifecycle"
            else ""
        )
        lines.append(f"{_verdict(findings, strict)}  {check:<20} {subject}{extra}")
        for finding in findings:
            lines.append(f"      {finding}  expected {finding.expected!r}, got {finding.actual!r}")
    orphans = [f for f in run.findings if not any(f in _of(run, c, s) for c, s in run.checks)]
    for finding in orphans:
        lines.append(
            f"{'FAIL' if finding.severity == ERROR else 'WARN'}  {finding.rule:<20} {finding}"
        )
    lines += [f"note: {note}" for note in run.notes]
    errors = sum(f.severity == ERROR for f in run.findings)
    warnings = sum(f.severity == WARNING for f in run.findings)
    verdict = "not conformant" if run.failed(strict) else "conformant"
    lines.append(f"{verdict}: {errors} error(s), {warnings} warning(s), {run.requests} request(s)")
    return lines


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value


def as_json(run: CheckRun, strict: bool = False) -> str:
    """The run as a JSON document."""
    document = {
        "api": run.api,
        "base_url": run.base_url,
        "conformant": not run.failed(strict),
        "strict": strict,
        "requests": run.requests,
        "notes": run.notes,
        "checks": [
            {"check": c, "subject": s, "verdict": _verdict(_of(run, c, s), strict)}
            for c, s in run.checks
        ],
        "findings": [{k: _plain(v) for k, v in asdict(f).items()} for f in run.findings],
        "polls": run.polls,
        "final_states": {k: _plain(v) for k, v in run.final_states.items()},
    }
    return json.dumps(document, indent=2)


def as_junit(run: CheckRun, strict: bool = False) -> str:
    """The run as JUnit XML: a test case per check; errors (and warnings when strict) fail it."""
    suite = ElementTree.Element(
        "testsuite", name=f"taskmock check {run.api}", tests=str(len(run.checks))
    )
    failures = 0
    for check, subject in run.checks:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"taskmock.{run.api}.{check}", name=subject
        )
        findings = _of(run, check, subject)
        failing = [f for f in findings if f.severity == ERROR or strict]
        if failing:
            failures += 1
            failure = ElementTree.SubElement(
                case, "failure", message=f"{len(failing)} violation(s)"
            )
            failure.text = "\n".join(str(f) for f in failing)
        warnings = [f for f in findings if f not in failing]
        if warnings:
            ElementTree.SubElement(case, "system-out").text = "\n".join(str(f) for f in warnings)
    suite.set("failures", str(failures))
    return ElementTree.tostring(suite, encoding="unicode")
