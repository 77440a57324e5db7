"""Spreadsheets for organisers and funders: the roster and the dashboard as CSV and XLSX.

Every cell a participant could have typed is neutralised: a value starting with =, +, - or @
(or a tab or carriage return) would be run as a formula by a spreadsheet program, so it is
prefixed with an apostrophe and stays plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from services.registration.organiser.dashboard import Dashboard
from services.registration.organiser.evaluation_figures import (
    EvaluationFigures,
    QuestionFigures,
)
from services.registration.organiser.roster_lines import Roster
from shared.domain.evaluations import MIN_ANSWERS_SHOWN, RATING_SCALE
from shared.domain.registration_questions import answer_text
from shared.i18n import current_language, format_day
from shared.labels import role_label

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"  # what Excel expects in Belgium's French and Dutch settings
Cell = str | int | float | None


def neutralise(value: Cell) -> Cell:
    """A cell value that no spreadsheet program will evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def presence_label(present: bool | None) -> str:
    """How a presence mark reads in a spreadsheet."""
    if present is None:
        return ""
    return _("présent") if present else _("absent")


def yes_no(value: bool) -> str:
    """Oui or non, in the current language."""
    return _("oui") if value else _("non")


def roster_table(roster: Roster) -> tuple[list[str], list[list[Cell]]]:
    """The roster's header and rows: contact, role, presence on each date, completion, and
    the answer to each of the event's own questions."""
    language = current_language()
    header = [
        _("Nom"),
        _("Prénom"),
        _("E-mail"),
        _("Téléphone"),
        _("Organisation"),
        _("Fonction"),
        *[format_day(d.starts_at) for d in roster.dates],
        _("Formation complète"),
        *[question.text(language) for question in roster.questions],
    ]
    rows: list[list[Cell]] = []
    for line in roster.confirmed:
        person = line.registration
        rows.append(
            [
                person.last_name,
                person.first_name,
                person.email,
                person.phone or "",
                person.organisation or "",
                role_label(person.role),
                *[presence_label(line.presence.get(d.id)) for d in roster.dates],
                yes_no(line.completed),
                *[
                    answer_text(q, line.answers[q.id], language) if q.id in line.answers else ""
                    for q in roster.questions
                ],
            ]
        )
    return header, rows


def dashboard_table(dashboard: Dashboard) -> tuple[list[str], list[list[Cell]]]:
    """One row per group and date: the figures an activity report needs."""
    header = [
        _("Ville"),
        _("Groupe"),
        _("Places"),
        _("Confirmés"),
        _("Liste d'attente"),
        _("Places libres"),
        _("Date"),
        _("Présents"),
        _("Attendus"),
        _("Taux de présence"),
        _("Taux de formation complète"),
    ]
    rows: list[list[Cell]] = []
    for figures in dashboard.groups:
        group_cells: list[Cell] = [
            figures.group.town,
            figures.group.name,
            figures.group.capacity,
            figures.confirmed,
            figures.waitlisted,
            figures.places_left,
        ]
        for day in figures.dates or [None]:
            rows.append(
                [
                    *group_cells,
                    format_day(day.session_date.starts_at) if day else "",
                    day.present if day else None,
                    day.expected if day else None,
                    day.rate if day else None,
                    figures.completion_rate,
                ]
            )
    return header, rows


def evaluation_table(figures: EvaluationFigures) -> tuple[list[str], list[list[Cell]]]:
    """The evaluation's figures, the whole event first, then each group: one row per question
    (and per free text), or one saying the figures are hidden below the threshold."""
    header = [
        _("Groupe"),
        _("Invitations"),
        _("Réponses"),
        _("Taux de réponse"),
        _("Question"),
        _("Réponses à la question"),
        _("Moyenne"),
        *[str(value) for value in RATING_SCALE],
        _("Oui"),
        _("Non"),
        _("Texte"),
    ]
    rows: list[list[Cell]] = []
    for scope in (figures.overall, *figures.groups):
        name = f"{scope.group.name} · {scope.group.town}" if scope.group else _("Tout l'événement")
        cells: list[Cell] = [name, scope.invited, scope.shown_answers, scope.response_rate]
        if scope.hidden:
            hidden = _("Moins de %(num)d réponses : rien n'est montré.", num=MIN_ANSWERS_SHOWN)
            rows.append([*cells, hidden])
            continue
        for question in scope.questions:
            rows.extend([*cells, *line] for line in _question_lines(question))
    return header, rows


def _question_lines(figures: QuestionFigures) -> list[list[Cell]]:
    question = figures.question
    cells: list[Cell] = [question.text(current_language()), figures.answers]
    blank_ratings: list[Cell] = [None] * (1 + len(RATING_SCALE))
    if question.kind == "rating":
        return [[*cells, figures.average, *figures.distribution.values(), None, None, None]]
    if question.kind == "yes_no":
        return [[*cells, *blank_ratings, figures.yes, figures.no, None]]
    return [[*cells, *blank_ratings, None, None, text] for text in figures.texts or [None]]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so that Excel reads accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A one-sheet workbook with a bold, frozen header row."""
    return to_workbook([Sheet(title, header, list(rows))])


@dataclass(frozen=True)
class Sheet:
    """A sheet of a workbook: its table, under lines saying what it covers."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    preamble: Sequence[Sequence[Cell]] = ()


def to_workbook(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of these sheets, each header bold and frozen under its preamble."""
    # Imported with the first workbook, not with the app: openpyxl is about 15 MiB in every
    # process that loads it, and spreadsheets are asked for now and then.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in sheets:
        sheet = workbook.create_sheet(_sheet_title(table.title))
        for line in table.preamble:
            sheet.append([neutralise(cell) for cell in line])
        if table.preamble:
            sheet.append([])
        sheet.append([neutralise(cell) for cell in table.header])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([neutralise(cell) for cell in row])
        sheet.freeze_panes = f"A{header_row + 1}"
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 40)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in sheet names and cuts them at 31.
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)
    return cleaned[:31] or "Sheet"
