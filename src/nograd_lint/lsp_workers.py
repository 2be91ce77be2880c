"""Analyses in child processes, for the language server.

A Python thread cannot be stopped, and the analysis of a large buffer takes seconds: run in
threads, analyses of versions the editor has already moved past would queue ahead of every
other buffer. A process can be killed. Each worker process runs one job at a time; a job whose
caller gives up (a newer version arrived) gets a short grace to finish, since a new worker
costs an interpreter start, and is then killed. A worker that dies, killed or crashed in a
native parser, fails its own job only: the server and the other buffers carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import multiprocessing
import os
import sys
import threading
from collections import deque
from multiprocessing.connection import Connection
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class WorkerDied(Exception):
    """The worker process ended while it ran the job: killed, or crashed."""


class JobFailed(Exception):
    """The job raised an exception; the message names it."""


def _serve(connection: Connection) -> None:
    """A worker's main loop: run each job sent and send back its result or its exception."""
    _keep_off_stdout()
    _warm_up()
    while True:
        try:
            function, args = connection.recv()
        except (EOFError, OSError):
            return  # the server is gone
        try:
            reply: tuple[bool, Any] = (True, function(*args))
        except Exception as error:
            reply = (False, f"{type(error).__name__}: {error}")
        try:
            connection.send(reply)
        except (OSError, ValueError):
            return
        except Exception as error:  # a result that cannot be pickled is a bug of ours
            connection.send((False, f"{type(error).__name__}: {error}"))


def _keep_off_stdout() -> None:
    """The server's stdout carries the protocol: a stray print in a worker would corrupt it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = sys.stderr


def _warm_up() -> None:
    """Import the analysis while the worker is idle, not when the first buffer waits for it.
    If that fails, each job will fail with the reason, which the server then logs."""
    with contextlib.suppress(ImportError):
        from . import api, fix  # noqa: F401


class _Worker:
    """One child process and the server's end of the pipe to it."""

    def __init__(self, context: Any) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child,), daemon=True, name="nograd-lint-worker"
        )
        self.process.start()
        child.close()

    def call(self, function: Callable[..., Any], args: tuple) -> tuple[bool, Any]:
        """Run one job; blocks, so the pool calls it from a thread of its own."""
        try:
            self.connection.send((function, args))
            return self.connection.recv()
        except (EOFError, OSError) as error:
            self.process.join(timeout=5)
            raise WorkerDied(
                f"the analysis process ended (exit code {self.process.exitcode})"
            ) from error

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()

    def close(self) -> None:
        """Release what is left of a worker that ended (or that no job is using)."""
        self.kill()
        self.process.join(timeout=5)
        self.connection.close()


class WorkerPool:
    """At most ``size`` worker processes; ``run`` awaits a free one, so ``size`` buffers are
    analysed in parallel and one more waits only for the first of them to finish."""

    def __init__(self, size: int, grace_s: float = 0.5) -> None:
        self.size = max(size, 1)
        self.grace_s = grace_s
        # "spawn" everywhere: forking a process that runs threads (the server does) is unsafe.
        self._context = multiprocessing.get_context("spawn")
        self._workers: set[_Worker] = set()
        self._idle: list[_Worker] = []
        self._waiting: deque[asyncio.Future[_Worker]] = deque()
        self._closed = False

    def warm(self) -> None:
        """Have an idle worker ready, so that the next job does not wait for a process start."""
        if not self._closed and not self._idle and len(self._workers) < self.size:
            with contextlib.suppress(WorkerDied):  # the job that needs it will say why
                self._idle.append(self._start())

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker. Cancelling the caller stops the job: it gets
        ``grace_s`` to finish, then its worker is killed. Raises :class:`WorkerDied` and
        :class:`JobFailed`."""
        worker = await self._acquire()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[bool, Any]] = loop.create_future()
        done.add_done_callback(lambda _: self._job_ended(worker, done))
        threading.Thread(
            target=self._call_in_thread,
            args=(loop, done, worker, function, args),
            daemon=True,  # a job still running never holds up the server's exit
            name="nograd-lint-job",
        ).start()
        try:
            ok, value = await asyncio.shield(done)
        except asyncio.CancelledError:
            loop.call_later(self.grace_s, self._stop, worker, done)
            raise
        if not ok:
            raise JobFailed(value)
        return value

    def close(self) -> None:
        """Kill every worker, busy or idle: the server is exiting, and no job outlives it."""
        self._closed = True
        for worker in list(self._workers):
            worker.kill()
        for worker in self._idle:
            worker.close()
        self._idle.clear()
        for waiter in self._waiting:
            waiter.cancel()

    # -- bookkeeping, all on the event loop ---------------------------------------------------

    def _start(self) -> _Worker:
        try:
            worker = _Worker(self._context)
        except OSError as error:  # out of processes or memory: say so in the job's failure
            raise WorkerDied(f"cannot start an analysis process: {error}") from error
        self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.close()
        self._workers.discard(worker)

    async def _acquire(self) -> _Worker:
        if self._closed:
            raise WorkerDied("the server is shutting down")
        if self._idle or len(self._workers) < self.size:
            worker = self._idle.pop() if self._idle else self._start()
            self.warm()  # a spare for the next buffer: starting one takes a second or so
            return worker
        waiter: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # handed over just as the caller gave up
            raise

    def _job_ended(self, worker: _Worker, done: asyncio.Future) -> None:
        if done.cancelled() or done.exception() is not None or not worker.process.is_alive():
            self._retire(worker)
            if not self._closed and (self._waiting or not self._idle):
                with contextlib.suppress(WorkerDied):
                    self._release(self._start())  # for the next job in line, or as the spare
        else:
            self._release(worker)

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            self._retire(worker)
        elif not self._hand_over(worker):
            self._idle.append(worker)

    def _hand_over(self, worker: _Worker) -> bool:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return True
        return False

    @staticmethod
    def _stop(worker: _Worker, done: asyncio.Future) -> None:
        if not done.done():
            worker.kill()  # its thread then sees the pipe close and ends the job

    @staticmethod
    def _call_in_thread(
        loop: asyncio.AbstractEventLoop,
        done: asyncio.Future,
        worker: _Worker,
        function: Callable[..., Any],
        args: tuple,
    ) -> None:
        try:
            settle = functools.partial(_settle, done, worker.call(function, args), None)
        except WorkerDied as error:
            settle = functools.partial(_settle, done, None, error)
        with contextlib.suppress(RuntimeError):  # the loop has closed: the server is exiting
            loop.call_soon_threadsafe(settle)


def _settle(done: asyncio.Future, reply: Any, error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(reply)
    else:
        done.set_exception(error)
