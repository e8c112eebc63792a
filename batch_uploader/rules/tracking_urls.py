"""Tracking URLs made from the courier's name: most carrier files have a tracking number and a
courier, but no link a shopper can follow.

A template is a web address with ``{trackingNumber}`` where the number goes. Couriers are
matched by name and aliases, ignoring case, accents, spaces and punctuation ("SEDEX",
"Sedex " and "sédex" are one courier). A row's own URL always wins; a template only fills an
empty one. Built-in templates can be overridden and extended from a TOML file::

    [couriers."Minha Transportadora"]
    url = "https://rastreio.example.com.br/{trackingNumber}"
    aliases = ["Minha Transp.", "MT"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from urllib.parse import quote, urlsplit

from ..errors import InputError
from ..files.columns import normalise
from ..messages import N_, Message
from ..models import TrackingUpdate
from .hints import Hint

PLACEHOLDER = "{trackingNumber}"


@dataclass(frozen=True, slots=True)
class Courier:
    """A courier's tracking page: its ``name``, the ``url`` template, the other names files
    give it, and where the pattern was taken from."""

    name: str
    url: str
    aliases: tuple[str, ...] = ()
    source: str = ""


_HUBGO = "https://github.com/meumouse/hubgo/blob/7d12706a/inc/Core/Providers_Registry.php"
# Each pattern is the carrier's public tracking page as a published integration links to it
# (``source``). Carriers whose pattern no two sources agree on (Total Express, Azul Cargo, J&T,
# Chilexpress, Andreani...) are left out: a wrong link is worse than none. Add them, or
# correct these, in a --url-templates file.
BUILT_IN: tuple[Courier, ...] = (
    Courier(
        "Correios",
        "https://rastreamento.correios.com.br/app/index.php?objetos={trackingNumber}",
        (
            "Sedex",
            "PAC",
            "Correios PAC",
            "Correios SEDEX",
            "PAC Correios",
            "SEDEX Correios",
            "Correios Sedex 10",
            "Sedex 10",
            "Carta Registrada",
        ),
        "https://github.com/rbardini/carteiro/blob/b100ddd0/app/src/main/java/com/rbardini/"
        "carteiro/ui/SROFragment.java",
    ),
    Courier(
        "Jadlog",
        "https://www.jadlog.com.br/siteInstitucional/tracking.jad?cte={trackingNumber}",
        ("Jad Log", "Jadlog Package", "Jadlog .Package", "Jadlog Expresso", "Jadlog .Com"),
        _HUBGO,
    ),
    Courier("Loggi", "https://www.loggi.com/rastreador/{trackingNumber}", (), _HUBGO),
    Courier(
        "DHL",
        "https://www.dhl.com/br-pt/home/tracking.html?tracking-id={trackingNumber}",
        ("DHL Express", "DHL eCommerce"),
        _HUBGO,
    ),
    Courier(
        "FedEx",
        "https://www.fedex.com/fedextrack/?tracknumbers={trackingNumber}",
        ("Fedex Express", "Federal Express"),
        _HUBGO,
    ),
    Courier(
        "UPS",
        "https://www.ups.com/track?loc=en_US&tracknum={trackingNumber}",
        ("United Parcel Service",),
        _HUBGO,
    ),
    Courier(
        "Correo Argentino",
        "https://www.correoargentino.com.ar/formularios/e-commerce?id={trackingNumber}",
        (),
        "https://github.com/Socialbits/Correo-Argentino-WooCommerce-con-mejoras/blob/5ca57b43/"
        "lib/constants.php",
    ),
    Courier(
        "OCA",
        "https://www1.oca.com.ar/OEPTrackingWeb/trackingenvio.asp?numero1={trackingNumber}",
        ("OCA ePak", "OCA e-Pak"),
        "https://github.com/kazeno/Oca-ePak/blob/125eb533/ocaepak.php",
    ),
    Courier(
        "Starken",
        "https://www.starken.cl/seguimiento?codigo={trackingNumber}",
        (),
        "https://github.com/SoftwareAgil/magento-2-starkenpro/blob/f5b74197/Model/Carrier.php",
    ),
    Courier(
        "Servientrega",
        "https://www.servientrega.com/wps/portal/Colombia/transacciones-personas/rastreo-envios/"
        "detalle?id={trackingNumber}",
        (),
        "https://github.com/common-repository/shipping-servientrega-woocommerce/blob/905dc11b/"
        "includes/class-shipping-servientrega-wc-plugin.php",
    ),
    Courier(
        "Coordinadora",
        "https://coordinadora.com/rastreo/rastreo-de-guia/detalle-de-rastreo-de-guia/"
        "?guia={trackingNumber}",
        ("Coordinadora Mercantil",),
        "https://github.com/flockstore/tracker-scrapper/blob/3c90d38f/docs/COORDINADORA.md",
    ),
)


class UrlTemplates:
    """Couriers by normalised name (their aliases too)."""

    def __init__(self, couriers: tuple[Courier, ...] = BUILT_IN) -> None:
        by_name: dict[str, Courier] = {}
        for courier in couriers:
            for name in (courier.name, *courier.aliases):
                by_name[normalise(name)] = courier
        self._by_name: Mapping[str, Courier] = MappingProxyType(by_name)
        self.couriers = couriers
        # The note of a URL made from a template, one per courier: rows share them.
        self._filled = {
            courier.name: Message(
                N_("trackingUrl from the {courier} template"), {"courier": courier.name}
            )
            for courier in couriers
        }

    @classmethod
    def load(cls, path: Path, base: tuple[Courier, ...] = BUILT_IN) -> UrlTemplates:
        """The ``base`` templates with those of the TOML file ``path`` over them (a courier of
        the file replaces a built-in one of the same name or alias)."""
        try:
            with path.open("rb") as handle:
                document = tomllib.load(handle)
        except OSError as error:
            raise InputError(f"{path}: cannot read the URL templates ({error.strerror})") from None
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: not valid TOML ({error})") from None
        table = document.get("couriers")
        if not isinstance(table, dict) or not table:
            raise InputError(
                f'{path}: no [couriers."Name"] table; each courier needs a url with {PLACEHOLDER}'
            )
        given = tuple(_courier(path, name, entry) for name, entry in table.items())
        replaced = {normalise(n) for courier in given for n in (courier.name, *courier.aliases)}
        kept = tuple(
            courier
            for courier in base
            if not {normalise(n) for n in (courier.name, *courier.aliases)} & replaced
        )
        return cls(kept + given)

    def find(self, courier: str) -> Courier | None:
        return self._by_name.get(normalise(courier))

    def fill(self, update: TrackingUpdate) -> tuple[TrackingUpdate, str | None]:
        """``update`` with its tracking URL made from its courier's template when it has none,
        and a note for the results saying what was done, in English (``None`` when nothing is
        to say)."""
        filled, note = self.fill_noting(update)
        return filled, None if note is None else note.text()

    def fill_noting(self, update: TrackingUpdate) -> tuple[TrackingUpdate, Message | None]:
        """What :meth:`fill` gives, the note as a message (see messages)."""
        if update.tracking_url or not update.courier:
            return update, None
        courier = self.find(update.courier)
        if courier is None:
            return update, _no_template(update.courier)
        url = courier.url.replace(PLACEHOLDER, quote(update.tracking_number, safe=""))
        # Built directly: dataclasses.replace() costs as much as the rest of a row's checks.
        filled = TrackingUpdate(
            update.order_id,
            update.invoice_number,
            update.tracking_number,
            url,
            update.courier,
            update.dispatched_date,
        )
        return filled, self._filled[courier.name]


@lru_cache(maxsize=256)
def _no_template(courier: str) -> Message:
    """The note of a row whose courier has no template: a file names a few couriers, over and
    over."""
    return Message(
        N_("no tracking URL: no template for courier {courier} ({hint})"),
        {"courier": repr(courier), "hint": Hint.URL_TEMPLATES},
    )


def _courier(path: Path, name: str, entry: object) -> Courier:
    where = f"{path}: courier {name!r}"
    if not isinstance(entry, dict):
        raise InputError(f'{where}: write it as [couriers."{name}"] with url = "..."')
    unknown = set(entry) - {"url", "aliases", "source"}
    if unknown:
        raise InputError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    url, aliases = entry.get("url"), entry.get("aliases", [])
    if not isinstance(url, str):
        raise InputError(f'{where}: needs url = "https://...{PLACEHOLDER}"')
    problem = template_problem(url)
    if problem:
        raise InputError(f"{where}: {problem}")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(f'{where}: aliases must be a list of names, as ["Sedex", "PAC"]')
    return Courier(name, url, tuple(aliases), str(entry.get("source", path)))


def template_problem(url: str) -> str | None:
    """What is wrong with a URL template, or ``None``."""
    if url.count(PLACEHOLDER) != 1:
        return f"the url {url!r} must hold {PLACEHOLDER} once"
    rest = url.replace(PLACEHOLDER, "")
    if "{" in rest or "}" in rest:
        return f"the url {url!r} has braces other than {PLACEHOLDER}"
    parts = urlsplit(url.replace(PLACEHOLDER, "X"))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"the url {url!r} is not an absolute web address (https://...)"
    return None


BUILT_IN_TEMPLATES = UrlTemplates()
