"""Every text of the pages is in the Indonesian catalogue, translated, not fuzzy, and compiled."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[3] / "services" / "web"
PO = WEB / "locale" / "id" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _ids(catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def test_every_indonesian_entry_is_translated_and_none_is_fuzzy() -> None:
    catalog = read_po(PO.open("rb"), locale="id")
    untranslated = [
        message.id
        for message in catalog
        if message.id
        and not (message.string if isinstance(message.string, str) else all(message.string or ()))
    ]
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not untranslated, f"untranslated in {PO.name}: {untranslated}"
    assert not fuzzy, f"fuzzy in {PO.name}: {fuzzy}"


def test_the_catalogue_holds_every_text_of_the_code_and_templates() -> None:
    # The same extraction as `make web-messages`.
    with (WEB / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, "translate": (2,)}
    in_code = {
        message if isinstance(message, str) else message[0]
        for _, _, message, *_ in extract_from_dir(str(WEB), method_map, options_map, keywords=keywords)
    }
    in_catalogue = _ids(read_po(PO.open("rb"), locale="id"))
    assert in_code - in_catalogue == set(), "new texts: run `make web-messages` and translate them"
    assert in_catalogue - in_code == set(), "texts no longer used: run `make web-messages`"


def test_the_compiled_catalogue_matches_the_translations() -> None:
    def entries(catalog) -> dict[object, object]:
        return {
            m.id if isinstance(m.id, str) else tuple(m.id): m.string
            if isinstance(m.string, str)
            else tuple(m.string)
            for m in catalog
            if m.id
        }

    source = entries(read_po(PO.open("rb"), locale="id"))
    compiled = entries(read_mo(MO.open("rb")))
    assert compiled == source, "run `make web-compile`"
