"""Finding the header row of a table and mapping its headings to the request's fields."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from .. import message_codes
from ..errors import InputError, UsageError
from ..messages import N_, RunMessage
from ..models import FIELDS, REQUIRED_FIELDS, CellKind, Row, RowError, Source
from ..rules import row_codes
from ..rules.hints import Hint
from .reader import RawRow

# Headings a file may give each field, compared after `normalise` (accents, case, spaces and
# punctuation ignored), in English, Portuguese and Spanish.
_ALIASES = {
    "orderId": """
        order, order id, order number, order no, order nr, id order,
        pedido, id pedido, id do pedido, número pedido, número do pedido, nº pedido,
        no pedido, pedido vtex, código do pedido, código pedido, nº do pedido, n° pedido,
        n° do pedido, número pedido loja, número do pedido na loja, pedido loja,
        pedido na loja, pedido loja virtual, número pedido loja virtual, nº pedido loja,
        pedido e-commerce, pedido no e-commerce, número do pedido no e-commerce,
        número pedido e-commerce, nº pedido e-commerce,
        orden, id orden, número de orden, número orden, orden id, pedido/orden,
        número de pedido, nro pedido, nro de pedido, n° de pedido, id de pedido, id del pedido,
        nro orden, nro de orden, n° orden, n° de orden
    """,
    "invoiceNumber": """
        invoice, invoice number, invoice no, invoice nr, invoice id,
        nf, nf-e, nota, nota fiscal, número nf, número da nf, número nota fiscal,
        número da nota fiscal, nf número, número nf-e, número da nf-e, número da nota,
        número nota, nº nf, n° nf, nº da nf, nº nota fiscal, nº da nota fiscal, nº nf-e,
        n° nf-e,
        factura, número factura, número de factura, nro factura, factura número,
        nro de factura, n° factura, n° de factura, boleta, número de boleta, n° boleta,
        nro boleta, comprobante, número de comprobante, nro comprobante, nro de comprobante,
        n° comprobante
    """,
    "trackingNumber": """
        tracking, tracking number, tracking code, tracking no, tracking id, tracking nr, awb,
        awb number, air waybill,
        rastreio, código de rastreio, código rastreio, número de rastreio, rastreamento,
        código de rastreamento, código rastreamento, cód rastreio, cód de rastreio,
        cód rastreamento, cód de rastreamento, número de rastreamento, nº de rastreamento,
        nº rastreio, n° rastreio, objeto, código do objeto, cód objeto, nº do objeto,
        número do objeto, etiqueta,
        seguimiento, número de seguimiento, código de seguimiento, número seguimiento,
        nro de seguimiento, nro seguimiento, n° de seguimiento, n° seguimiento,
        guía, número de guía, n° guía, n° de guía, nro guía, nro de guía, no guía,
        rastreo, número de rastreo, código de rastreo,
        orden de transporte, número de orden de transporte, n° de orden de transporte, n° ot,
        nro ot
    """,
    "trackingUrl": """
        tracking url, tracking link, url, link, url de rastreio, link de rastreio,
        url rastreio, link rastreio, url de rastreamento, link de rastreamento,
        url de seguimiento, link de seguimiento, enlace de seguimiento
    """,
    "courier": """
        courier, carrier, shipping company, shipper, transportadora, transportista,
        paquetería, empresa de envío, mensajería, transportador, empresa transportadora,
        operador logístico, transportador logístico, nome da transportadora,
        logistic provider, logistic provider name, carrier name, courier name,
        empresa de transporte, empresa de mensajería, nombre de la paquetería
    """,
    "dispatchedDate": """
        dispatched date, dispatch date, dispatched, shipped date, ship date, shipping date,
        shipped at, shipped on, dispatched at,
        data de envio, data envio, data do envio, data de despacho, data despacho,
        data expedição, data de expedição, data da postagem, data postagem, data de postagem,
        postado em, data de coleta, data da coleta, data coleta, data de saída, data saída,
        data da saída,
        fecha de envío, fecha envío, fecha de despacho, fecha despacho, fecha de recolección,
        fecha de embarque, fecha embarque, fecha de salida, fecha salida, fecha de retiro,
        fecha de expedición, fecha de recogida
    """,
}

# How far down a file the header may stand (title lines and logos come first).
HEADER_SCAN_ROWS = 30
# Zero-width characters that ride along with copied text and are invisible in a cell.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# A row whose first filled cell starts so is a totals line under the data, not an order.
_TOTALS = ("total", "totais", "totales", "subtotal", "soma", "suma")
# A row read from bytes of a CSV file that changed since it was opened (see reader.PinnedFile).
FILE_CHANGED = RowError(
    row_codes.FILE_CHANGED,
    "",
    N_(
        "the file changed while it was being uploaded, from about this row on: nothing after it "
        "was sent; upload the file again once it is complete (rows already sent are skipped)"
    ),
)


@lru_cache(maxsize=4096)
def normalise(heading: str) -> str:
    """A heading reduced to lowercase letters and digits, without accents. Cached: a file
    names the same few couriers on every row."""
    decomposed = unicodedata.normalize("NFKD", heading)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def _normalised(aliases: Mapping[str, str]) -> dict[str, str]:
    return {
        normalise(alias): name
        for name, spelled in aliases.items()
        for alias in (name, *spelled.split(","))
    }


ALIASES: Mapping[str, str] = _normalised(_ALIASES)

# The headings of a file of tracking events (one line per event of a parcel).
_EVENT_ALIASES = {
    "orderId": _ALIASES["orderId"],
    "invoiceNumber": _ALIASES["invoiceNumber"],
    "date": """
        event date, date, data, data do evento, data evento, data da ocorrência,
        data ocorrência, data/hora, fecha, fecha del evento, fecha evento
    """,
    "city": "cidade, ciudad, município, municipio, localidade, localidad",
    "state": "uf, estado, state code, provincia, província, departamento, región",
    "description": """
        event, evento, description, descrição, descripción, ocorrência, status, situação,
        situación, detalhe, detalle
    """,
    "isDelivered": "delivered, entregue, entregado, finalizado, is delivered",
    "deliveredDate": """
        delivery date, delivered at, data de entrega, data entrega, fecha de entrega,
        fecha entrega
    """,
}


@dataclass(frozen=True, slots=True)
class Layout:
    """A kind of file: the fields its columns hold, the headings that name them, and the
    fields every row needs."""

    name: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str]


TRACKING = Layout("tracking numbers", FIELDS, REQUIRED_FIELDS, ALIASES)
EVENT_FIELDS = tuple(_EVENT_ALIASES)
EVENTS = Layout(
    "tracking events",
    EVENT_FIELDS,
    ("orderId", "invoiceNumber", "date", "description"),
    _normalised(_EVENT_ALIASES),
)


def _clean(cell: str) -> str:
    # Most cells are ASCII, which cannot hold a zero-width character (isascii() is O(1)).
    return cell.strip() if cell.isascii() else cell.translate(_INVISIBLE).strip()


def column_letter(index: int) -> str:
    """The spreadsheet letter of a zero-based column index (0 is A, 26 is AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column holds each field, found on the header row ``header_row``.

    ``labels`` names each field's column the way the person sees it: its letter and heading;
    ``headings`` are the header row's cells.
    """

    header_row: int
    indexes: Mapping[str, int]
    labels: Mapping[str, str]
    width: int | None = None
    headings: tuple[str, ...] = ()
    required: tuple[str, ...] = REQUIRED_FIELDS
    # The columns with a heading that feeds no field: index in the table to its label.
    unused: Mapping[int, str] = field(default_factory=dict)
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _pick: itemgetter[str] | None = field(init=False, repr=False, compare=False)
    _reach: int = field(init=False, repr=False, compare=False)
    _fields: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Picking a row's values is done for every row: prepare it once per table.
        names, positions = tuple(self.indexes), tuple(self.indexes.values())
        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_pick", itemgetter(*positions) if len(names) > 1 else None)
        object.__setattr__(self, "_reach", max(positions, default=-1) + 1)
        object.__setattr__(self, "_fields", dict(zip(positions, names, strict=True)))

    def values(self, raw: RawRow) -> dict[str, str]:
        """The values of the fields in ``raw``, trimmed, by field name (a field whose column
        the row does not reach is left out)."""
        cells = raw.cells
        if self._pick is not None and len(cells) >= self._reach:
            return {
                name: cell.strip() if cell.isascii() else cell.translate(_INVISIBLE).strip()
                for name, cell in zip(self._names, self._pick(cells), strict=True)
            }
        count = len(cells)
        return {name: _clean(cells[i]) for name, i in self.indexes.items() if i < count}

    def row(self, raw: RawRow, source: Source) -> Row:
        """The data row ``raw`` with its values picked out by field, surrounding spaces
        (non-breaking ones too) trimmed. When the header has a ``width``, a row with fewer
        cells, or with values beyond it, is marked: its cells may stand under wrong headings;
        so is a row read from bytes that changed since the file was opened."""
        cells = raw.cells
        count = len(cells)
        values = self.values(raw)
        kinds: dict[str, CellKind] = {}
        if raw.kinds:
            fields = self._fields
            kinds = {fields[i]: kind for i, kind in raw.kinds.items() if i in fields}
        problems: tuple[RowError, ...] = (FILE_CHANGED,) if raw.changed else ()
        width = self.width
        if width is not None and (
            count < width or (count > width and any(cell.strip() for cell in cells[width:]))
        ):
            problems += (
                RowError(
                    row_codes.WRONG_CELL_COUNT,
                    "",
                    N_(
                        "the row has {cells} cells where the header has {width}: a separator is "
                        "missing or extra, so its values may stand under the wrong headings; "
                        "correct the row"
                    ),
                    {"cells": count, "width": width},
                ),
            )
        return Row(source, raw.number, values, kinds, self.labels, problems, cells)


def find_header(
    rows: Iterable[RawRow],
    source: Source,
    first_column: int = 0,
    *,
    check_width: bool = False,
    headings: Mapping[str, str] | None = None,
    layout: Layout = TRACKING,
) -> ColumnMap:
    """Finds the first row, among the top of the table, whose headings name the required
    fields. Raises :class:`InputError` naming what was found when no row does. With
    ``check_width``, data rows must be as wide as the header. ``headings`` (from
    :func:`read_mapping`) name more headings, and win over the built-in ones; a heading
    mapped to ``""`` names no field."""
    known = {**layout.aliases, **(headings or {})}
    mapped = frozenset(headings or ())
    best: tuple[int, RawRow] | None = None
    for scanned, raw in enumerate(rows):
        if scanned >= HEADER_SCAN_ROWS:
            break
        if raw.is_blank():
            continue
        matches = _match(raw, source, known, layout, mapped)
        if all(name in matches for name in layout.required):
            used = set(matches.values())
            return ColumnMap(
                header_row=raw.number,
                indexes=matches,
                labels={name: _label(raw, first_column, i) for name, i in matches.items()},
                width=_last_heading(raw) + 1 if check_width else None,
                headings=tuple(raw.cells[: _last_heading(raw) + 1]),
                required=layout.required,
                unused={
                    i: _label(raw, first_column, i)
                    for i, cell in enumerate(raw.cells)
                    if cell.strip() and i not in used
                },
            )
        if best is None or len(matches) > best[0]:
            best = (len(matches), raw)
    raise InputError(_missing_header_message(source, best[1] if best else None, known, layout))


def is_totals_row(
    raw: RawRow, values: Mapping[str, str], required: tuple[str, ...] = REQUIRED_FIELDS
) -> bool:
    """Whether ``raw``, whose field ``values`` were picked out, is a totals line ("Total: 15",
    "Total geral;;;15") rather than data: it starts with such a word and lacks a required
    value (a courier named "Total Express" with an order, an invoice and a tracking number is
    data)."""
    if all(map(values.get, required)):
        return False
    first = next((cell for cell in raw.cells if cell.strip()), "")
    return normalise(first).startswith(_TOTALS)


def read_mapping(
    pairs: Iterable[str], file: Path | None = None, fields: tuple[str, ...] = FIELDS
) -> dict[str, str]:
    """More headings for the fields: ``HEADING=field`` pairs (from ``--map``) and a TOML file's
    ``[columns]`` table of ``"Heading" = "field"``; the pairs win. Keys are normalised."""
    given: dict[str, str] = {}
    if file is not None:
        try:
            table = tomllib.loads(file.read_text(encoding="utf-8")).get("columns", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise UsageError(
                RunMessage(
                    message_codes.MAPPING_NOT_TOML,
                    N_("{hint}: cannot be read as TOML ({reason})"),
                    {"file": str(file), "reason": str(error), "hint": Hint.MAPPING_FILE},
                )
            ) from None
        if not isinstance(table, dict):
            raise UsageError(
                RunMessage(
                    message_codes.MAPPING_NOT_TABLE,
                    N_("{hint}: [columns] must be a table of heading = field"),
                    {"file": str(file), "hint": Hint.MAPPING_FILE},
                )
            )
        given.update({str(k): str(v) for k, v in table.items()})
    for pair in pairs:
        heading, equals, name = pair.rpartition("=")
        if not equals or not heading.strip():
            raise UsageError(
                RunMessage(
                    message_codes.MALFORMED_MAP_PAIR,
                    N_("{hint}: write it as 'Heading in the file=orderId'"),
                    {"pair": pair, "hint": Hint.MAP_PAIR},
                )
            )
        given[heading] = name.strip()
    mapping = {}
    for heading, name in given.items():
        if name not in fields:
            raise UsageError(
                RunMessage(
                    message_codes.NOT_A_FIELD,
                    N_(
                        "heading {heading!r} is mapped to {field!r}, which is not a field; "
                        "the fields are {fields:, }"
                    ),
                    {"heading": heading, "field": name, "fields": fields},
                )
            )
        mapping[normalise(heading)] = name
    return mapping


def _label(raw: RawRow, first_column: int, index: int) -> str:
    """A column as a person finds it: its letter and heading (``column C 'Rastreio'``)."""
    return f"column {column_letter(first_column + index)} {raw.cells[index].strip()!r}"


def heading_words(heading: str) -> frozenset[str]:
    """The words of a heading, lowercase and without accents: ``Data de Postagem`` gives
    data, de, postagem."""
    decomposed = unicodedata.normalize("NFKD", heading)
    plain = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return frozenset(plain.casefold().split())


def _aliases_by_field(layout: Layout) -> dict[str, list[str]]:
    spelled = _EVENT_ALIASES if layout is EVENTS else _ALIASES
    return {name: [name, *spelled[name].split(",")] for name in layout.fields}


def telling_words(layout: Layout) -> Mapping[str, frozenset[str]]:
    """For each field of ``layout``, the words of its headings that no other field's headings
    use (``postagem`` for the dispatch date, not ``código``, which names orders and tracking
    numbers alike), of three letters or more."""
    known = _TELLING.get(layout.name)
    if known is None:
        known = _TELLING[layout.name] = _telling_words(layout)
    return known


_TELLING: dict[str, Mapping[str, frozenset[str]]] = {}


def _telling_words(layout: Layout) -> Mapping[str, frozenset[str]]:
    words = _vocabulary(layout)
    return {
        name: frozenset(
            word
            for word in own
            if len(word) > 2
            and word not in _GENERIC_WORDS
            and not any(word in words[other] for other in words if other != name)
        )
        for name, own in words.items()
    }


# Words of headings that name no field in particular: a code, a number, a time of day.
_GENERIC_WORDS = frozenset(
    {"cod", "code", "codigo", "nro", "numero", "number", "del", "hora", "vtex"}
)


def _last_heading(raw: RawRow) -> int:
    return max(index for index, cell in enumerate(raw.cells) if cell.strip())


def _match(
    raw: RawRow,
    source: Source,
    known: Mapping[str, str],
    layout: Layout = TRACKING,
    mapped: frozenset[str] = frozenset(),
) -> dict[str, int]:
    """The columns of ``raw`` that name a field: by a heading the person mapped (``mapped``, in
    ``known``) first, so that a mapping settles two columns that look like one field; then by
    their whole heading; then, for the fields left, by their words (see :func:`_by_words`)."""
    matches: dict[str, int] = {}
    by_mapping: set[str] = set()
    # Columns mapped to no field (""): a person said they hold none, whatever their heading.
    ignored: set[int] = set()
    for index, heading in enumerate(raw.cells):
        if (key := normalise(heading)) in mapped:
            field_name = known[key]
            if not field_name:
                ignored.add(index)
                continue
            if field_name in matches:
                _refuse_both(raw, source, matches[field_name], index, field_name)
            matches[field_name] = index
            by_mapping.add(field_name)
    for index, heading in enumerate(raw.cells):
        key = normalise(heading)
        known_name = known.get(key)
        if not known_name or key in mapped or known_name in by_mapping:
            continue
        if known_name in matches:
            _refuse_both(raw, source, matches[known_name], index, known_name)
        matches[known_name] = index
    used = set(matches.values()) | ignored
    by_words: dict[str, int] = {}
    for index, heading in enumerate(raw.cells):
        if index in used or not heading.strip():
            continue
        name = _by_words(heading, layout)
        if name is None or name in matches:
            continue  # a field a whole heading names keeps that column
        if name in by_words:
            _refuse_both(raw, source, by_words[name], index, name)
        by_words[name] = index
    return matches | by_words


def _refuse_both(raw: RawRow, source: Source, first: int, second: int, name: str) -> None:
    raise InputError(
        RunMessage(
            message_codes.TWO_COLUMNS_ONE_FIELD,
            N_(
                "{source}: row {row}: columns {first!r} and {second!r} both look like {field}; "
                "{hint} (or rename the other)"
            ),
            {
                "source": str(source),
                "row": raw.number,
                "first": raw.cells[first].strip(),
                "second": raw.cells[second].strip(),
                "field": name,
                "hint": Hint.MAP_CHOOSE,
            },
        )
    )


# Words that tie others together and tell nothing: left out when headings are matched by words.
_LINKING_WORDS = frozenset(
    {"de", "do", "da", "dos", "das", "del", "la", "el", "los", "las", "of", "the", "e", "y", "a"}
)


def _by_words(heading: str, layout: Layout) -> str | None:
    """The field a heading names by its words: the field of the longest heading of two words or
    more that it holds every word of (``Data de postagem do objeto`` holds ``data postagem``).
    A single word is no proof (``Data do pedido`` is no order id), and a heading holding as
    long a heading of another field names none."""
    words = heading_words(heading) - _LINKING_WORDS
    if words & _LINK_WORDS and "trackingUrl" in layout.fields:
        # "Link da nota fiscal" is a link, not an invoice number: a link names a link or nothing.
        name = _by_words_among(words, layout, "trackingUrl")
    else:
        name = _by_words_among(words, layout)
    if name is not None and (words & _OTHER_VALUE_WORDS) - _vocabulary(layout)[name]:
        return None  # "Valor da nota fiscal" is an amount, "Data prevista de envio" a plan
    return name


# Words saying that a column holds another value than the field its other words name: an
# amount, a key, a weight, a status, a date that is planned or of something else, the parcel
# of a return rather than of the order.
_OTHER_VALUE_WORDS = heading_words(
    """
    valor value total amount preco precio price frete flete custo costo cost serie series
    chave key acesso peso weight quantidade qtd cantidad quantity qty cep cpf cnpj rut rfc
    status situacao estado emissao emision issued issue data fecha date hora time prevista
    previsto previsao estimada estimado estimated expected prazo plazo limite deadline
    reverso reversa devolucao devolucion return
    """
)


def _vocabulary(layout: Layout) -> Mapping[str, frozenset[str]]:
    known = _VOCABULARY.get(layout.name)
    if known is None:
        known = _VOCABULARY[layout.name] = {
            name: frozenset().union(*(heading_words(alias) for alias in aliases))
            for name, aliases in _aliases_by_field(layout).items()
        }
    return known


_VOCABULARY: dict[str, Mapping[str, frozenset[str]]] = {}


_LINK_WORDS = frozenset({"link", "url", "enlace"})


def _by_words_among(words: frozenset[str], layout: Layout, only: str | None = None) -> str | None:
    best: tuple[int, str | None] = (1, None)
    for alias_words, name in _word_aliases(layout):
        if (only and name != only) or len(alias_words) < best[0] or not alias_words <= words:
            continue
        if len(alias_words) > best[0]:
            best = (len(alias_words), name)
        elif best[1] is not None and best[1] != name:
            return None  # as long a heading of two fields: neither
        else:
            best = (len(alias_words), name)
    return best[1]


def _word_aliases(layout: Layout) -> list[tuple[frozenset[str], str]]:
    found = _WORD_ALIASES.get(layout.name)
    if found is None:
        found = _WORD_ALIASES[layout.name] = [
            (words, name)
            for name, aliases in _aliases_by_field(layout).items()
            for alias in aliases
            if len(words := heading_words(alias) - _LINKING_WORDS) >= 2
        ]
    return found


_WORD_ALIASES: dict[str, list[tuple[frozenset[str], str]]] = {}


def _missing_header_message(
    source: Source, candidate: RawRow | None, known: Mapping[str, str], layout: Layout
) -> RunMessage:
    required = layout.required
    if candidate is None:
        return RunMessage(
            message_codes.EMPTY_TABLE_TOP,
            N_("{source}: no header row found: the top of the table is empty"),
            {"source": str(source)},
        )
    found = _match(candidate, source, known, layout)
    missing = tuple(name for name in required if name not in found)
    headings = tuple(cell.strip() for cell in candidate.cells if cell.strip())
    accepted = "; ".join(
        f"{name}: {', '.join(repr(a) for a in _examples(name))}" for name in missing
    )
    used = set(found.values())
    # Each a sentence of its own, after the message's last.
    likely = tuple(
        RunMessage(
            message_codes.HEADING_MAY_BE_FIELD,
            N_("{heading!r} may be the {field}: {hint}."),
            {"heading": cell.strip(), "field": name, "hint": Hint.MAP_USES},
        )
        for name in missing
        for index, cell in enumerate(candidate.cells)
        if index not in used and heading_words(cell) & telling_words(layout).get(name, frozenset())
    )
    garbled = any("\ufffd" in heading for heading in headings)
    return RunMessage(
        message_codes.HEADER_NOT_FOUND,
        _HEADER_NOT_FOUND[bool(likely), garbled],
        {
            "source": str(source),
            "missing": missing,
            "row": candidate.number,
            "headings": headings,
            "accepted": accepted,
            "likely": likely,
            "garbled": garbled,
            "hint": Hint.MAP_NAME,
        },
    )


# Why no header row was found, by whether unused columns may be the fields missing (each
# named in a sentence of its own) and whether the headings hold bytes that are not text.
_HEADER_NOT_FOUND = {
    (False, False): N_(
        "{source}: cannot find the column(s) {missing:, }. Headings on row {row}: "
        "{headings!r:, }. Rename the columns to names batch-uploader knows ({accepted}, ...), "
        "or {hint}."
    ),
    (True, False): N_(
        "{source}: cannot find the column(s) {missing:, }. Headings on row {row}: "
        "{headings!r:, }. Rename the columns to names batch-uploader knows ({accepted}, ...), "
        "or {hint}. {likely: }"
    ),
    (False, True): N_(
        "{source}: cannot find the column(s) {missing:, }. Headings on row {row}: "
        "{headings!r:, }. Rename the columns to names batch-uploader knows ({accepted}, ...), "
        "or {hint}. Its headings hold bytes that are not text in the file's encoding (shown as "
        "\ufffd): save the file again as 'CSV UTF-8'."
    ),
    (True, True): N_(
        "{source}: cannot find the column(s) {missing:, }. Headings on row {row}: "
        "{headings!r:, }. Rename the columns to names batch-uploader knows ({accepted}, ...), "
        "or {hint}. {likely: } Its headings hold bytes that are not text in the file's encoding "
        "(shown as \ufffd): save the file again as 'CSV UTF-8'."
    ),
}


def _examples(name: str) -> tuple[str, ...]:
    examples = {
        "orderId": ("orderId", "Pedido", "Orden"),
        "invoiceNumber": ("invoiceNumber", "Nota Fiscal", "Factura"),
        "trackingNumber": ("trackingNumber", "Rastreio", "Número de seguimiento"),
        "date": ("date", "Data do evento", "Fecha"),
        "description": ("description", "Ocorrência", "Evento"),
    }
    return examples.get(name, (name,))
