"""The language server's worker processes (nograd_lint.lsp_workers), without a server."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from nograd_lint.lsp_workers import JobFailed, WorkerDied, WorkerPool


def run(coroutine_function) -> object:
    async def main() -> object:
        pool = WorkerPool(size=2, grace_s=0.2)
        try:
            return await coroutine_function(pool)
        finally:
            pool.close()

    return asyncio.run(main())


def test_results_come_back_from_another_process() -> None:
    async def job(pool: WorkerPool) -> object:
        return await pool.run(os.getpid)

    assert run(job) != os.getpid()


def test_an_exception_is_one_line_and_the_worker_goes_on() -> None:
    async def job(pool: WorkerPool) -> object:
        with pytest.raises(JobFailed, match=r"^ValueError: invalid literal for int"):
            await pool.run(int, "x")
        first = await pool.run(os.getpid)
        return first, await pool.run(os.getpid)

    first, second = run(job)
    assert first == second  # the same worker, reused


@pytest.mark.skipif(sys.platform == "win32", reason="os.abort's exit status differs")
def test_a_crash_fails_its_own_job_only() -> None:
    async def job(pool: WorkerPool) -> object:
        with pytest.raises(WorkerDied, match="exit code -6"):
            await pool.run(os.abort)
        return await pool.run(int, "7")

    assert run(job) == 7


def test_a_cancelled_job_is_killed_after_the_grace() -> None:
    async def job(pool: WorkerPool) -> object:
        started = time.monotonic()
        sleepers = [asyncio.ensure_future(pool.run(time.sleep, 120)) for _ in range(2)]
        await asyncio.sleep(1)
        for sleeper in sleepers:
            sleeper.cancel()
        # Both workers were busy: this job can run only once a sleeper has been killed.
        result = await asyncio.wait_for(pool.run(int, "7"), timeout=30)
        return result, time.monotonic() - started

    result, seconds = run(job)
    assert result == 7 and seconds < 60


def test_jobs_beyond_the_pool_size_wait_their_turn() -> None:
    async def job(pool: WorkerPool) -> object:
        return await asyncio.gather(*(pool.run(int, str(n)) for n in range(5)))

    assert run(job) == [0, 1, 2, 3, 4]
