"""Every text of the pages and every refusal of the services is in the one catalogue (shared/locale),
translated into Indonesian, not fuzzy, and compiled."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "shared" / "locale"
PO = LOCALE / "id" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _sources() -> list[Path]:
    """The directories `make web-messages` reads (MESSAGE_SOURCES in the Makefile)."""
    line = re.search(r"^MESSAGE_SOURCES := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert line, "MESSAGE_SOURCES is gone from the Makefile"
    return [ROOT / name for name in line.group(1).split()]


def _key(message_id: object, context: str | None) -> tuple[str | None, str]:
    text = message_id if isinstance(message_id, str) else message_id[0]  # type: ignore[index]
    return (context, text)


def _catalogue_keys(catalog) -> set[tuple[str | None, str]]:
    return {_key(message.id, message.context) for message in catalog if message.id}


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
    # The same extraction as `make web-messages` (its keywords are in babel.cfg).
    with (LOCALE / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    in_code = {
        _key(message, context)
        for source in _sources()
        for _, _, message, _, context in extract_from_dir(
            str(source), method_map, options_map, keywords=DEFAULT_KEYWORDS
        )
    }
    in_catalogue = _catalogue_keys(read_po(PO.open("rb"), locale="id"))
    assert in_code - in_catalogue == set(), "new texts: run `make web-messages` and translate them"
    assert in_catalogue - in_code == set(), "texts no longer used: run `make web-messages`"


#: Where a refusal's message, and a translated word's message and context, sit in the call.
MESSAGE_ARGUMENTS = {"Refusal": (1, None), "Term": (0, 1), "Phrase": (0, None)}


def _literal(call: ast.Call, index: int) -> str | None:
    argument = call.args[index] if len(call.args) > index else None
    return argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None


def test_every_refusal_writes_its_message_as_a_literal_translated_in_the_catalogue() -> None:
    # A message passed in a variable would never reach the catalogue and show in English only;
    # a literal one must be in the catalogue with its Indonesian (whatever Babel made of the call).
    catalog = read_po(PO.open("rb"), locale="id")
    hidden: list[str] = []
    untranslated: list[str] = []
    for source in _sources():
        for path in source.rglob("*.py"):
            if path == ROOT / "shared" / "refusals.py":
                continue  # the type itself, copying a refusal
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                if node.func.id not in MESSAGE_ARGUMENTS:
                    continue
                message_at, context_at = MESSAGE_ARGUMENTS[node.func.id]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                message = _literal(node, message_at)
                context = _literal(node, context_at) if context_at is not None else None
                if message is None or (context_at is not None and context is None):
                    hidden.append(where)
                    continue
                entry = catalog.get(message, context=context)
                if entry is None or not entry.string:
                    untranslated.append(f"{where}: {message!r}")
    assert not hidden, f"write the message as a literal in the call: {hidden}"
    assert not untranslated, f"run `make web-messages` and translate: {untranslated}"


def test_the_compiled_catalogue_matches_the_translations() -> None:
    def entries(catalog) -> dict[object, object]:
        return {
            (m.context, m.id if isinstance(m.id, str) else tuple(m.id)): m.string
            if isinstance(m.string, str)
            else tuple(m.string)
            for m in catalog
            if m.id
        }

    source = entries(read_po(PO.open("rb"), locale="id"))
    compiled = entries(read_mo(MO.open("rb")))
    assert compiled == source, "run `make web-compile`"
