"""The TensorPix client against the taskmock fixture: real HTTP, virtual time, no sleeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.tensorpix_client import CANCELED, FINISHED, JobFailed, TensorPixClient
from taskmock.testing import Taskmock


@pytest.fixture
def client(taskmock: Taskmock) -> TensorPixClient:
    return TensorPixClient(
        taskmock.base_url("tensorpix"),
        taskmock.key("tensorpix"),
        sleep=taskmock.advance,
        now=lambda: taskmock.now,
    )


def test_enhance_wait_and_download(
    client: TensorPixClient, taskmock: Taskmock, tmp_path: Path
) -> None:
    job_id = client.enhance(input_video=8801, ml_models=[44])
    job = client.wait(job_id)
    saved = client.download(job, tmp_path / "out.mp4")
    assert job["status"] == FINISHED
    assert saved.read_bytes()[4:8] == b"ftyp"
    polls = [r for r in taskmock.requests if r.operation == "jobs_retrieve"]
    assert 3 <= len(polls) <= 12  # backoff: a few polls for a ~1-2 minute job, not one per second


def test_ten_minutes_in_the_queue_then_done(
    client: TensorPixClient, taskmock: Taskmock, tmp_path: Path
) -> None:
    job = taskmock.create("tensorpix", "slow-queue")
    taskmock.advance(600)  # ten minutes of virtual time
    assert job.state == FINISHED
    saved = client.download(client.job(job.id), tmp_path / "out.mp4")
    assert saved.stat().st_size > 0


def test_a_failed_job_raises(client: TensorPixClient, taskmock: Taskmock) -> None:
    job = taskmock.create("tensorpix", "failure")
    with pytest.raises(JobFailed, match="status -1"):
        client.wait(job.id)


def test_the_timeout_counts_virtual_time(taskmock: Taskmock) -> None:
    impatient = TensorPixClient(
        taskmock.base_url(),
        taskmock.key("tensorpix"),
        sleep=taskmock.advance,
        now=lambda: taskmock.now,
        timeout=60,
    )
    job = taskmock.create("tensorpix", "slow-queue")
    with pytest.raises(TimeoutError):
        impatient.wait(job.id)
    assert job.state == 0  # still In Queue: the client gave up, as it should


def test_cancel(client: TensorPixClient, taskmock: Taskmock) -> None:
    job = taskmock.create("tensorpix")
    client.cancel(job.id)
    assert job.state == CANCELED
    with pytest.raises(JobFailed):
        client.wait(job.id)


def test_the_client_honours_retry_after(client: TensorPixClient, taskmock: Taskmock) -> None:
    job = taskmock.create("tensorpix")
    taskmock.throttle("tensorpix", count=2, retry_after=7)
    client.wait(job.id)
    polls = [r for r in taskmock.requests if r.operation == "jobs_retrieve"]
    assert [r.status for r in polls[:3]] == [429, 429, 200]
    assert polls[1].time - polls[0].time >= 7  # it waited as long as it was told, in virtual time
    assert polls[2].time - polls[1].time >= 7
