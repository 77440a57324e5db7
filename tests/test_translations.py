"""Every message of the sources has a translation in every language, the compiled catalogues
match their .po files, and no text a participant reads is written into a template untranslated."""

import html
import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "shared" / "translations"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
TRANSLATED = [language for language in LANGUAGES if language != DEFAULT_LANGUAGE]
# The organiser area's templates (organisers' and accounts' pages and their frame): the
# participants never read them.
ORGANISER_AREA = {"organiser", "accounts", "area"}
# Every template a participant reads: pages, emails, calendar pages, PDFs.
PARTICIPANT_TEMPLATES = [
    path
    for folder in (
        "services/registration/templates",
        "services/notifications/templates",
        "services/calendar/templates",
        "shared/templates",
    )
    for path in sorted((ROOT / folder).rglob("*.*"))
    if not ORGANISER_AREA & set(path.relative_to(ROOT).parts) and path.suffix in (".html", ".txt")
]
TAGS = re.compile(r"<[^>]*>", re.DOTALL)
STYLES = re.compile(r"<style.*?</style>", re.DOTALL)
# An attribute a macro writes into the tag it is called in: aria-invalid="true".
ATTRIBUTES = re.compile(r"[\w-]+=\"[^\"]*\"")
# Words that stay as they are in every language: the product, file formats, punctuation.
UNTRANSLATED_WORDS = {"Atelier", "CAI", "PDF", "CSV", "ICS", "JSON"}


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


def test_each_language_has_its_catalogue_and_no_other_is_left():
    catalogues = {path.name for path in TRANSLATIONS.iterdir() if path.is_dir()}

    assert catalogues == set(TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
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


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogue_is_not_stale(language):
    compiled = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    expected = BytesIO()
    write_mo(expected, catalogue(language), use_fuzzy=True)

    assert compiled.exists(), "run make, which compiles the catalogues"
    assert compiled.read_bytes() == expected.getvalue(), "stale .mo: run make to recompile it"


def untranslated_text(source: str) -> list[str]:
    """The words a template writes outside its tags and translation calls."""
    # The template's own text, with each Jinja tag or expression as a space.
    lexed = Environment(extensions=["jinja2.ext.i18n"]).lex(source)
    text = "".join(value if token == "data" else " " for _line, token, value in lexed)
    text = ATTRIBUTES.sub(" ", TAGS.sub(" ", STYLES.sub(" ", text)))
    words = re.findall(r"[^\W\d_]{2,}", html.unescape(text))
    return [word for word in words if word not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("template", PARTICIPANT_TEMPLATES, ids=lambda path: path.name)
def test_participant_templates_write_no_text_outside_translation(template):
    assert untranslated_text(template.read_text()) == []


def test_the_template_check_finds_a_word_written_as_it_is():
    assert untranslated_text('<p>{{ _("Bonjour") }} <strong>Merci</strong></p>') == ["Merci"]


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_name_no_value_their_message_does_not_give(language):
    """A translation that names a value its message does not give would fail as it is shown;
    one may leave a value out (Arabic says "two invitations" without the number)."""
    wrong = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        given = {name for text in ids for name in PLACEHOLDER.findall(text)}
        named = {name for text in strings for name in PLACEHOLDER.findall(text)}
        if named - given:
            wrong.append((ids[0], sorted(named - given)))
    assert wrong == []
