"""The headings of the exports warehouses really get: carriers, freight hubs, ERPs and
marketplaces of Brazil and Spanish-speaking Latin America."""

from __future__ import annotations

import pytest

from batch_uploader.errors import InputError
from batch_uploader.files.columns import ALIASES, find_header, heading_words, normalise
from batch_uploader.files.reader import RawRow
from batch_uploader.models import Source

SOURCE = Source("carrier.xlsx")


def mapping_of(*headings: str, mapped: dict[str, str] | None = None) -> dict[str, str]:
    """Which heading feeds which field, for a header row of ``headings``."""
    columns = find_header([RawRow(1, list(headings))], SOURCE, headings=mapped)
    return {name: headings[index] for name, index in columns.indexes.items()}


# Each header row as the export writes it (the columns that matter and some around them).
EXPORTS = {
    "Correios, objects posted": (
        [
            "Data da Postagem",
            "Código do Objeto",
            "Serviço",
            "Nº da Nota Fiscal",
            "Nº do Pedido",
            "Destinatário",
            "CEP Destino",
        ],
        {
            "dispatchedDate": "Data da Postagem",
            "trackingNumber": "Código do Objeto",
            "invoiceNumber": "Nº da Nota Fiscal",
            "orderId": "Nº do Pedido",
        },
    ),
    "Jadlog, shipments": (
        [
            "Pedido",
            "Nota Fiscal",
            "Código de Rastreio",
            "Data Coleta",
            "Data Emissão",
            "Destinatário",
            "Status",
        ],
        {
            "orderId": "Pedido",
            "invoiceNumber": "Nota Fiscal",
            "trackingNumber": "Código de Rastreio",
            "dispatchedDate": "Data Coleta",
        },
    ),
    "Loggi, packages": (
        [
            "Número do Pedido",
            "Nota Fiscal",
            "Código de Rastreamento",
            "Data de Coleta",
            "Status do Pacote",
        ],
        {
            "orderId": "Número do Pedido",
            "invoiceNumber": "Nota Fiscal",
            "trackingNumber": "Código de Rastreamento",
            "dispatchedDate": "Data de Coleta",
        },
    ),
    "Total Express, collections": (
        ["Pedido", "NF", "Série NF", "AWB", "Data Coleta", "Destinatário", "Valor da NF"],
        {
            "orderId": "Pedido",
            "invoiceNumber": "NF",
            "trackingNumber": "AWB",
            "dispatchedDate": "Data Coleta",
        },
    ),
    "Intelipost, API names": (
        [
            "order_number",
            "invoice_number",
            "invoice_series",
            "tracking_code",
            "logistic_provider_name",
            "delivery_method_name",
            "shipped_date",
            "tracking_url",
        ],
        {
            "orderId": "order_number",
            "invoiceNumber": "invoice_number",
            "trackingNumber": "tracking_code",
            "courier": "logistic_provider_name",
            "dispatchedDate": "shipped_date",
            "trackingUrl": "tracking_url",
        },
    ),
    "Intelipost, dispatch report": (
        [
            "Número do Pedido",
            "Nota Fiscal",
            "Série da Nota Fiscal",
            "Código de Rastreio",
            "Transportadora",
            "Método de Envio",
            "Data de Despacho",
            "Data Prevista de Entrega",
        ],
        {
            "orderId": "Número do Pedido",
            "invoiceNumber": "Nota Fiscal",
            "trackingNumber": "Código de Rastreio",
            "courier": "Transportadora",
            "dispatchedDate": "Data de Despacho",
        },
    ),
    "Melhor Envio, labels": (
        [
            "Protocolo",
            "Pedido",
            "Nota Fiscal",
            "Rastreio",
            "Transportadora",
            "Serviço",
            "Postado em",
            "Valor do Frete",
        ],
        {
            "orderId": "Pedido",
            "invoiceNumber": "Nota Fiscal",
            "trackingNumber": "Rastreio",
            "courier": "Transportadora",
            "dispatchedDate": "Postado em",
        },
    ),
    "Frenet, shipments": (
        [
            "Nº Pedido",
            "Nota Fiscal",
            "Código de Rastreio",
            "Transportadora",
            "Serviço",
            "Data de Envio",
            "Prazo de Entrega",
        ],
        {
            "orderId": "Nº Pedido",
            "invoiceNumber": "Nota Fiscal",
            "trackingNumber": "Código de Rastreio",
            "courier": "Transportadora",
            "dispatchedDate": "Data de Envio",
        },
    ),
    "Bling, sales orders": (
        [
            "Número",
            "Número pedido loja",
            "Data",
            "Nota fiscal",
            "Transportador logístico",
            "Código de rastreamento",
            "Data de saída",
            "Valor total",
        ],
        {
            "orderId": "Número pedido loja",
            "invoiceNumber": "Nota fiscal",
            "courier": "Transportador logístico",
            "trackingNumber": "Código de rastreamento",
            "dispatchedDate": "Data de saída",
        },
    ),
    "Tiny, orders with only the store's number": (
        [
            "Número do pedido no e-commerce",
            "Número da nota",
            "Forma de envio",
            "Código de rastreamento",
            "Data de envio",
        ],
        {
            "orderId": "Número do pedido no e-commerce",
            "invoiceNumber": "Número da nota",
            "trackingNumber": "Código de rastreamento",
            "dispatchedDate": "Data de envio",
        },
    ),
    "Mercado Livre, sales": (
        [
            "N.º de venda",
            "Número do pedido",
            "Nota fiscal",
            "Forma de entrega",
            "Número de rastreamento",
            "Transportadora",
            "Data de envio",
        ],
        {
            "orderId": "Número do pedido",
            "invoiceNumber": "Nota fiscal",
            "trackingNumber": "Número de rastreamento",
            "courier": "Transportadora",
            "dispatchedDate": "Data de envio",
        },
    ),
    "Mexico, paquetería": (
        ["Número de pedido", "Factura", "Paquetería", "Número de guía", "Fecha de embarque"],
        {
            "orderId": "Número de pedido",
            "invoiceNumber": "Factura",
            "courier": "Paquetería",
            "trackingNumber": "Número de guía",
            "dispatchedDate": "Fecha de embarque",
        },
    ),
    "Colombia, transportadora": (
        ["Pedido", "N° Factura", "Transportadora", "Guía", "Fecha de despacho"],
        {
            "orderId": "Pedido",
            "invoiceNumber": "N° Factura",
            "courier": "Transportadora",
            "trackingNumber": "Guía",
            "dispatchedDate": "Fecha de despacho",
        },
    ),
    "Argentina, correo": (
        [
            "Nro. de pedido",
            "Nro. de comprobante",
            "Empresa de transporte",
            "Nro. de seguimiento",
            "Fecha de despacho",
        ],
        {
            "orderId": "Nro. de pedido",
            "invoiceNumber": "Nro. de comprobante",
            "courier": "Empresa de transporte",
            "trackingNumber": "Nro. de seguimiento",
            "dispatchedDate": "Fecha de despacho",
        },
    ),
    "Chile, courier": (
        ["N° de orden", "N° Boleta", "Courier", "N° de orden de transporte", "Fecha de retiro"],
        {
            "orderId": "N° de orden",
            "invoiceNumber": "N° Boleta",
            "courier": "Courier",
            "trackingNumber": "N° de orden de transporte",
            "dispatchedDate": "Fecha de retiro",
        },
    ),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_each_export_is_understood_without_a_mapping(export: str) -> None:
    headings, expected = EXPORTS[export]

    assert mapping_of(*headings) == expected


def test_every_built_in_heading_names_its_field() -> None:
    others = {"orderId": "Pedido", "invoiceNumber": "NF", "trackingNumber": "Rastreio"}
    wrong = {}
    for alias, field in ALIASES.items():
        headings = [alias, *(h for name, h in others.items() if name != field)]
        found = mapping_of(*headings)
        if found.get(field) != alias:
            wrong[alias] = (field, found)

    assert wrong == {}


@pytest.mark.parametrize(
    "heading",
    [
        "Valor da nota fiscal",  # an amount
        "Data de emissão da nota fiscal",  # a date
        "Chave de acesso da nota fiscal",  # the 44-digit key
        "Série da nota fiscal",
        "Status do código de rastreio",
        "Data prevista de envio",  # planned, not done
        "Data limite de expedição",
        "Fecha estimada de envío",
        "Peso do objeto postado",
        "Código de rastreio reverso",  # a return's parcel, not the order's
        "Código de rastreamento da devolução",
        "Número da NF de devolução",
    ],
)
def test_a_heading_naming_another_kind_of_value_names_no_field(heading: str) -> None:
    """Such a heading holds a field's words ("nota fiscal"), but its values are no invoice
    number: an amount, a date, a key. Alone, it is not taken for the field."""
    # The column it would be taken for is left out, so that nothing else takes the field.
    field = next((f for f, words in _OWN_WORDS.items() if heading_words(heading) & words), None)
    headings = [h for f, h in REQUIRED.items() if f != field]
    found = mapping_or_refusal(*headings, heading)
    assert found is None or heading not in found.values()


def mapping_or_refusal(*headings: str) -> dict[str, str] | None:
    """The mapping of ``headings``, or ``None`` when a required field has no column."""
    try:
        return mapping_of(*headings)
    except InputError as refused:
        if "cannot find the column" not in str(refused):
            raise
        return None


REQUIRED = {"orderId": "Pedido", "invoiceNumber": "NF", "trackingNumber": "Rastreio"}
# Words of the headings of each required field, by which the headings above would name it.
_OWN_WORDS = {
    "orderId": {"pedido"},
    "invoiceNumber": {"nota", "nf"},
    "trackingNumber": {"rastreio", "rastreamento", "codigo"},
}


def test_a_marketplaces_own_sale_number_is_no_vtex_order_id() -> None:
    # Mercado Livre's sale number names ML's sale, not the VTEX order: sending it would fail.
    with pytest.raises(InputError, match=r"cannot find the column\(s\) orderId"):
        mapping_of("N.º de venda", "Nota fiscal", "Número de rastreamento")


def test_an_erps_own_number_beside_the_stores_is_refused_as_two_order_ids() -> None:
    """Tiny writes its own order number and the store's: which one is VTEX's is for the person
    to say, once, with --map; the refusal says how."""
    with pytest.raises(InputError) as refused:
        mapping_of("Número do pedido", "Número do pedido no e-commerce", "NF", "Rastreio")

    assert str(refused.value) == (
        "carrier.xlsx: row 1: columns 'Número do pedido' and 'Número do pedido no e-commerce' "
        "both look like orderId; say which one to use with --map 'Heading=orderId' "
        "(or rename the other)"
    )


def test_a_mapped_heading_settles_two_columns_that_look_like_one_field() -> None:
    found = mapping_of(
        "Número do pedido",
        "Número do pedido no e-commerce",
        "NF",
        "Rastreio",
        mapped={normalise("Número do pedido no e-commerce"): "orderId"},
    )

    assert found["orderId"] == "Número do pedido no e-commerce"


def test_a_mapping_for_headings_a_file_does_not_have_leaves_the_built_in_ones() -> None:
    found = mapping_of("Pedido", "NF", "Rastreio", mapped={normalise("Ref"): "orderId"})

    assert found["orderId"] == "Pedido"
