"""Search through the web client: ranking, accents, filters, the plain form and the live fragment."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from french_ui import NBSP, NNBSP, fr
from webtools import HTMX


def hit_ids(client: FlaskClient, query: str) -> list[str]:
    """The item ids of the hits, in order."""
    page = client.get("/recherche?" + query, headers=HTMX).get_data(as_text=True)
    return re.findall(r'<h2 class="hit-title"><a href="/r/([a-z0-9-]+)"', page)


def test_title_matches_come_first(client: FlaskClient) -> None:
    ids = hit_ids(client, "q=tiers-lieu")
    assert ids[0] == "notion-tiers-lieu"
    assert "fiche-innovation-sociale" in ids  # a body match, ranked after


def test_search_ignores_accents_and_case(client: FlaskClient) -> None:
    with_accents = hit_ids(client, "q=coop%C3%A9ration")
    assert with_accents
    assert hit_ids(client, "q=COOPERATION") == with_accents
    assert hit_ids(client, "q=ecosysteme")  # "écosystème"


def test_prefix_search_as_you_type(client: FlaskClient) -> None:
    assert "notion-tiers-lieu" in hit_ids(client, "q=tier")


def test_filters_by_type_tag_and_dimension(client: FlaskClient) -> None:
    assert set(hit_ids(client, "q=cooperation&type=notion")) == {"notion-cooperation-territoriale"}
    tagged = hit_ids(client, "tag=cooperation")
    assert "posture-partir-des-besoins" in tagged and "structure-apes" in tagged
    assert "notion-tiers-lieu" not in tagged
    assert hit_ids(client, "dimension=dim-cooperation") == ["dim-cooperation", "activite-carte-ecosysteme"] or set(
        hit_ids(client, "dimension=dim-cooperation")) == {"dim-cooperation", "activite-carte-ecosysteme"}


def test_no_result_says_so(client: FlaskClient) -> None:
    page = client.get("/recherche?q=zzzzqqq").get_data(as_text=True)
    assert "Aucun résultat" in page


def test_plain_form_works_without_javascript(client: FlaskClient) -> None:
    response = client.get("/recherche?q=tiers-lieu&type=notion")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert re.search(r'<form id="recherche"[^>]*method="get" action="/recherche"', page)
    assert 'value="tiers-lieu"' in page and '<option value="notion" selected>' in page
    assert 'href="/r/notion-tiers-lieu"' in page


def test_live_search_is_debounced_and_replaces_the_results(client: FlaskClient) -> None:
    page = client.get("/recherche").get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms from:#q, search from:#q' in page
    assert 'hx-target="#resultats"' in page


def test_invalid_filter_is_a_readable_422(client: FlaskClient) -> None:
    response = client.get("/recherche?q=x&type=bidule", headers=HTMX)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<html" not in page and 'role="alert"' in page and "Type inconnu" in page


def test_tag_filter_matches_across_accents_and_pages_show_the_label(client: FlaskClient) -> None:
    plain = set(hit_ids(client, "tag=cooperation"))
    assert {"posture-partir-des-besoins", "structure-apes"} <= plain  # written "coopération" and "cooperation"
    assert set(hit_ids(client, "tag=Coop%C3%A9ration")) == plain
    page = client.get("/r/structure-apes").get_data(as_text=True)
    assert '<a href="/recherche?tag=cooperation">coopération</a>' in page
    form = client.get("/recherche?tag=coop%C3%A9ration").get_data(as_text=True)
    assert re.search(r'<option value="cooperation" selected>coopération \(\d+\)</option>', form)


def test_a_typo_finds_the_fiche_and_says_did_you_mean(real_client: FlaskClient) -> None:
    for typed, expected in [("cooperaton", "fiche-cooperation-territoriale"),
                            ("coperation", "fiche-cooperation-territoriale"),
                            ("accompagnment", "fiche-conditions-accompagnement"),
                            ("utilte", "fiche-utilite-sociale")]:
        page = real_client.get(f"/recherche?q={typed}").get_data(as_text=True)
        assert f'<a href="/r/{expected}"' in page, typed
        assert "Vouliez-vous dire" in page and fr(f"Aucun résultat pour « {typed} »") in page


def test_search_pages_through_every_hit_and_says_the_true_count(real_client: FlaskClient) -> None:
    first = real_client.get("/recherche?q=territoire").get_data(as_text=True)
    total = int(re.search(rf"(\d+){NBSP}résultats pour «{NNBSP}territoire{NNBSP}»", first).group(1))  # type: ignore[union-attr]
    assert total > 60
    pages = -(-total // 20)
    assert fr(f"page 1 sur {pages}") in first
    seen: list[str] = []
    for number in range(1, pages + 1):
        page = real_client.get(f"/recherche?q=territoire&page={number}", headers=HTMX).get_data(as_text=True)
        seen += re.findall(r'<h2 class="hit-title"><a href="/r/([a-z0-9-]+)"', page)
    assert len(seen) == total == len(set(seen))
    assert 'rel="next" href="/recherche?page=2&amp;q=territoire"' in first
    last = real_client.get(f"/recherche?q=territoire&page={pages + 5}").get_data(as_text=True)
    assert fr(f"page {pages} sur {pages}") in last  # out of range: the last page


def test_kept_results_and_filters_follow_the_language_and_the_choice(client: FlaskClient) -> None:
    """Result entries and the filter options are rendered once and kept: the next request with
    another language or another choice must still get its own."""
    french = client.get("/recherche?q=cooperation&type=notion").get_data(as_text=True)
    assert '<option value="notion" selected>' in french
    assert re.search(r'<span class="badge badge-notion">Notion</span>', french)
    english = client.get("/recherche?q=cooperation&type=notion",
                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in english
    assert re.search(r'<h2 class="hit-title"><a href="/r/notion-cooperation-territoriale" lang="fr">', english)
    assert '<label for="type">Type</label>' in english and "All types" in english
    other = client.get("/recherche?q=cooperation&type=fiche").get_data(as_text=True)
    assert '<option value="fiche" selected>' in other and '<option value="notion" selected>' not in other
    assert "<details class=\"filters-box\" open>" in other
    plain = client.get("/recherche?q=cooperation").get_data(as_text=True)
    assert " selected>" not in plain.split('id="tag"')[0].split('id="type"')[1]
    assert '<details class="filters-box">' in plain
