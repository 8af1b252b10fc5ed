"""A minimal faust app for the round-trip test: upper-cases ``<prefix>.echo.in`` into
``<prefix>.echo.out``. Run as ``python -m tests.integration.apps.faust_echo worker``."""

import os

import faust

prefix = os.environ["ECHO_PREFIX"]
app = faust.App(
    f"{prefix}-echo",
    broker=f"kafka://{os.environ['BULKFLOW_KAFKA_BOOTSTRAP']}",
    store="memory://",
    processing_guarantee="at_least_once",
    web_enabled=False,
    # the test's own folder, not the working directory (faust's default is ./<id>-data)
    datadir=os.environ["ECHO_DATADIR"],
)
source = app.topic(f"{prefix}.echo.in", value_type=bytes, value_serializer="raw")
sink = app.topic(f"{prefix}.echo.out", value_type=bytes, value_serializer="raw")


@app.agent(source)
async def echo(stream):  # type: ignore[no-untyped-def]
    async for event in stream.events():
        await sink.send(key=event.key, value=bytes(event.value).upper())


if __name__ == "__main__":
    app.main()
