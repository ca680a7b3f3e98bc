"""The offline gazetteer: names in several languages and spellings, biggest first, narrowed by country."""

from __future__ import annotations

import pytest

from services.geocoding import OfflineGazetteer, normalise


@pytest.fixture(scope="module")
def gazetteer() -> OfflineGazetteer:
    return OfflineGazetteer()


def labels(gazetteer: OfflineGazetteer, query: str) -> list[str]:
    return [place.label for place in gazetteer.lookup(query)]


def test_the_biggest_place_of_a_name_comes_first(gazetteer: OfflineGazetteer) -> None:
    assert labels(gazetteer, "Amsterdam")[:2] == ["Amsterdam, The Netherlands", "Amsterdam, United States"]


def test_alternate_names_and_accents(gazetteer: OfflineGazetteer) -> None:
    assert labels(gazetteer, "Den Haag")[0] == "The Hague, The Netherlands"
    assert labels(gazetteer, "'s-Gravenhage")[0] == "The Hague, The Netherlands"
    assert labels(gazetteer, "munchen")[0] == "Munich, Germany"
    assert labels(gazetteer, "SAO PAULO")[0] == "São Paulo, Brazil"


def test_a_country_after_a_comma_narrows_it_down(gazetteer: OfflineGazetteer) -> None:
    assert labels(gazetteer, "Amsterdam, US") == ["Amsterdam, United States"]
    assert labels(gazetteer, "amsterdam, united") == ["Amsterdam, United States"]


def test_coordinates_come_with_the_match(gazetteer: OfflineGazetteer) -> None:
    oslo = gazetteer.lookup("Oslo")[0]
    assert oslo.latitude == pytest.approx(59.91, abs=0.05) and oslo.longitude == pytest.approx(
        10.75, abs=0.05
    )


def test_a_prefix_finds_places_and_nonsense_finds_none(gazetteer: OfflineGazetteer) -> None:
    assert "Lisbon, Portugal" in labels(gazetteer, "Lisb")
    assert len(gazetteer.lookup("a")) == 5
    assert labels(gazetteer, "Xyzzyq") == []
    assert labels(gazetteer, "") == [] and labels(gazetteer, "x" * 2000) == []


def test_normalise() -> None:
    assert normalise("  São   Paulo!") == "sao paulo"


async def test_nominatim_unreachable_gives_no_matches() -> None:
    from services.geocoding import NominatimGeocoder

    geocoder = NominatimGeocoder(domain="127.0.0.1:9")  # nothing listens there: a GeopyError inside
    geocoder._geocode.swallow_exceptions = False
    geocoder._geocode.max_retries = 0
    assert await geocoder.search("Oslo") == []
