"""Kept answers (app/answer_cache.py): valid at the version they were read at, weighed, least
recently used first out."""

from __future__ import annotations

from app.answer_cache import AnswerCache


def test_an_answer_is_kept_for_its_question_at_its_version() -> None:
    cache: AnswerCache[str] = AnswerCache(100)
    assert cache.get("q", 7) is None
    cache.put("q", 7, "answer", 10)
    assert cache.get("q", 7) == "answer" and cache.get("other", 7) is None


def test_a_newer_version_drops_every_older_answer_and_an_older_one_is_not_kept() -> None:
    cache: AnswerCache[str] = AnswerCache(100)
    cache.put("q", 7, "old", 10)
    assert cache.get("q", 8) is None
    assert cache.get("q", 7) is None  # dropped when version 8 was asked about
    cache.put("q", 7, "late", 10)  # read before the view moved on: stale already
    assert cache.get("q", 8) is None
    cache.put("q", 8, "new", 10)
    assert cache.get("q", 8) == "new"


def test_the_least_recently_used_answers_go_first_when_the_weight_is_exceeded() -> None:
    cache: AnswerCache[str] = AnswerCache(30)
    for name in "abc":
        cache.put(name, 1, name.upper(), 10)
    assert cache.get("a", 1) == "A"  # a is now the most recently used
    cache.put("d", 1, "D", 10)
    assert [cache.get(name, 1) for name in "abcd"] == ["A", None, "C", "D"]
    cache.put("a", 1, "A2", 25)  # replacing an answer frees its old weight first
    assert cache.get("a", 1) == "A2" and cache.get("c", 1) is None and cache.get("d", 1) is None


def test_an_answer_heavier_than_the_whole_cache_is_not_kept() -> None:
    cache: AnswerCache[str] = AnswerCache(30)
    cache.put("small", 1, "s", 0)  # weighs at least 1
    cache.put("huge", 1, "h", 31)
    assert cache.get("huge", 1) is None and cache.get("small", 1) == "s"
