"""A tenant's event stream gets each new status of its own jobs, from any thread; a status
read from the database is no news; a stream that falls behind keeps the newest."""

from __future__ import annotations

import asyncio
import threading

from api import tenant_streams
from api.progress_view import ProgressView
from schemas.settings import load_settings
from tests.support.statuses import make_status


def test_each_tenant_follows_its_own_jobs_and_a_database_read_is_no_news() -> None:
    async def follow() -> tuple[list[str], list[str]]:
        view = ProgressView(load_settings())
        acme, globex = view.streams.subscribe("acme"), view.streams.subscribe("globex")
        view.hold(make_status("old", "completed"))  # read from the database: not sent
        put = threading.Thread(target=view.put, args=(make_status("new", "processing"),))
        put.start()  # the view's consumer thread puts what the topic brings
        put.join()
        other = make_status("theirs", "processing").model_copy(update={"tenant": "globex"})
        view.put(other)  # another tenant's job: only its own stream hears of it
        got = await asyncio.wait_for(acme.get(), 5)
        theirs = await asyncio.wait_for(globex.get(), 5)
        view.streams.unsubscribe("acme", acme)
        view.put(make_status("later", "processing"))
        await asyncio.sleep(0.05)
        assert acme.empty()
        return [got.job_id], [theirs.job_id]

    assert asyncio.run(follow()) == (["new"], ["theirs"])


def test_a_stream_that_falls_behind_keeps_the_newest() -> None:
    async def flood() -> tuple[str, int]:
        streams = tenant_streams.TenantStreams()
        queue = streams.subscribe("acme")
        for i in range(tenant_streams.SUBSCRIBER_QUEUE + 5):
            streams.offer(make_status(f"job-{i}", "processing"))
        await asyncio.sleep(0.05)  # the offers run on this loop
        return queue.get_nowait().job_id, queue.qsize() + 1

    assert asyncio.run(flood()) == ("job-5", tenant_streams.SUBSCRIBER_QUEUE)
