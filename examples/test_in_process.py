"""The README's "In-process and ASGI" examples, run as written: no server, virtual time."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

import taskmock
from taskmock.testing import Taskmock

JOB = {"ml_models": [44], "input_video": 8801}
TOKEN = {"Authorization": "Token 3f9c2b7e"}


def test_a_plain_httpx_client_needs_no_server() -> None:
    transport = taskmock.httpx_transport()  # every API, manual clock, seed 0
    client = httpx.Client(transport=transport, base_url="https://backend.tensorpix.ai")
    job = client.post("/api/jobs/", json=JOB, headers=TOKEN).json()
    client.post("/__taskmock/clock/advance", json={"seconds": 600})  # ten virtual minutes
    done = client.get(f"/api/jobs/{job['id']}/", headers=TOKEN).json()
    video = client.get(done["output_video"]["file"])  # a link back to the same host
    client.close()
    assert done["status"] == 2
    assert video.content[4:8] == b"ftyp"


class SomeSDK:
    """Stands in for a vendor SDK built on httpx that accepts the client it should use."""

    def __init__(self, base_url: str, api_key: str, http_client: httpx.Client) -> None:
        self.http = http_client
        self.base_url = base_url
        self.headers = {"Authorization": f"Token {api_key}"}

    def enhance(self, **job: Any) -> Any:
        return self.http.post(f"{self.base_url}/api/jobs/", json=job, headers=self.headers).json()

    def job(self, job_id: int) -> Any:
        return self.http.get(f"{self.base_url}/api/jobs/{job_id}/", headers=self.headers).json()


def test_an_sdk_takes_the_transport_through_its_http_client() -> None:
    transport = taskmock.httpx_transport()
    sdk = SomeSDK(
        base_url="https://backend.tensorpix.ai",
        api_key="3f9c2b7e",
        http_client=httpx.Client(transport=transport),
    )
    mock = Taskmock(transport.mock, "https://backend.tensorpix.ai")  # the fixture's test handle
    job = sdk.enhance(**JOB)
    task = mock.task("tensorpix", job["id"])
    mock.run_to_end(task)
    assert sdk.job(job["id"])["status"] == task.state == 2


def test_an_async_client_too() -> None:
    async def main() -> int:
        transport = taskmock.httpx_transport()
        async with httpx.AsyncClient(transport=transport, base_url="https://x.test") as client:
            job = (await client.post("/api/jobs/", json=JOB, headers=TOKEN)).json()
            await client.post("/__taskmock/clock/advance", json={"seconds": 600})
            done = await client.get(f"/api/jobs/{job['id']}/", headers=TOKEN)
            return int(done.json()["status"])

    assert asyncio.run(main()) == 2
