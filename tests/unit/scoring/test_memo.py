"""The bounded memory the views and reads remember their values in."""

from services.scoring.service_layer.memo import Memo


def test_a_kept_value_is_returned_and_found_by_its_key() -> None:
    memo: Memo[str, int] = Memo(3)
    assert memo.keep("a", 1) == 1
    assert memo.get("a") == 1
    assert memo.get("b") is None


def test_a_full_memory_is_emptied_before_the_next_value_is_kept() -> None:
    memo: Memo[int, int] = Memo(3)
    for key in range(3):
        memo.keep(key, key * 10)
    assert len(memo) == 3
    memo.keep(3, 30)
    assert dict(memo) == {3: 30}


def test_keeping_a_key_again_replaces_its_value_without_growing() -> None:
    memo: Memo[str, int] = Memo(2)
    memo.keep("a", 1)
    memo.keep("a", 2)
    assert dict(memo) == {"a": 2}
