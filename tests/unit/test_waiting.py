"""The suite's one wait (tests/support/waiting.py)."""

from __future__ import annotations

import itertools

import pytest

from tests.support.waiting import wait_until


def test_the_first_truthy_answer_is_returned() -> None:
    answers = iter([None, 0, "", "found", "later"])
    assert wait_until(lambda: next(answers), "an answer", 5, every_s=0) == "found"


def test_it_gives_up_naming_what_it_waited_for_and_the_last_answer() -> None:
    with pytest.raises(AssertionError, match=r"after 0.05s waiting for the moon \(0\)"):
        wait_until(lambda: 0, "the moon", 0.05, every_s=0.01)


def test_only_the_named_exceptions_mean_not_yet() -> None:
    calls = itertools.count()

    def flaky() -> int:
        if next(calls) < 2:
            raise ConnectionError("restarting")
        return 7

    assert wait_until(flaky, "the API", 5, every_s=0, ignoring=(ConnectionError,)) == 7

    def broken() -> int:
        raise KeyError("x")

    with pytest.raises(KeyError):
        wait_until(broken, "a key", 5, every_s=0, ignoring=(ConnectionError,))
    with pytest.raises(AssertionError, match=r"ConnectionError\('down'\)"):
        wait_until(
            lambda: (_ for _ in ()).throw(ConnectionError("down")),
            "the API",
            0.05,
            every_s=0.01,
            ignoring=(ConnectionError,),
        )
