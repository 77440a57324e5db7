"""Every message of the sources has an English and a Ukrainian translation, and the compiled
catalogues match their .po files."""

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "shared" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def source_msgids() -> set[str]:
    """Every msgid in the sources, extracted afresh as babel.cfg and `make messages` do."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    msgids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgids.add(message[0] if isinstance(message, tuple) else message)
    return msgids


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def test_the_sources_hold_the_pages_messages():
    msgids = source_msgids()

    assert "M'inscrire" in msgids  # from a template
    assert "Ce champ est obligatoire." in msgids  # from Python, through _l


@pytest.mark.parametrize("language", ["en", "uk"])
def test_every_msgid_has_a_translation(language):
    translations = catalogue(language)

    missing = []
    for msgid in sorted(source_msgids()):
        message = translations.get(msgid)
        strings = () if message is None else message.string
        strings = (strings,) if isinstance(strings, str) else strings
        if message is None or message.fuzzy or not strings or not all(strings):
            missing.append(msgid)

    assert missing == [], f"translate these in {language} (make messages): {missing}"


@pytest.mark.parametrize("language", ["en", "uk"])
def test_compiled_catalogue_is_not_stale(language):
    compiled = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    expected = BytesIO()
    write_mo(expected, catalogue(language), use_fuzzy=True)

    assert compiled.exists(), "run make, which compiles the catalogues"
    assert compiled.read_bytes() == expected.getvalue(), "stale .mo: run make to recompile it"
