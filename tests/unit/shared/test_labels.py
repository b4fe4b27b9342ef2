"""A labelled enum's member is its code, and carries its names in Indonesian and English."""

from __future__ import annotations

from shared.labels import LabelledEnum
from shared.refusals import Label


class Colour(LabelledEnum):
    RED = "red", "Merah", "Red"
    PLAIN = "plain"


def test_a_member_is_its_code_and_is_found_by_it() -> None:
    assert isinstance(Colour.RED, str)
    assert Colour.RED.value == "red"
    assert Colour("red") is Colour.RED
    assert f"{Colour.RED}" == "red"


def test_a_member_carries_both_labels_and_falls_back_to_its_code() -> None:
    assert (Colour.RED.label_id, Colour.RED.label_en) == ("Merah", "Red")
    assert Colour.RED.label == Label(en="Red", id="Merah")
    assert (Colour.PLAIN.label_id, Colour.PLAIN.label_en) == ("plain", "plain")
