"""config/urls.py includes each app's pages; which page answers a path must not hang on the
order it includes them in, nor on the order within an app's urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, resolve, reverse
from django.urls.converters import IntConverter, SlugConverter, StringConverter

from charting import urls as charting_urls
from clinic import urls as clinic_urls
from clinic.api.http_errors import api_not_found
from config import urls as config_urls
from scheduling import urls as scheduling_urls

APPS = {"clinic": clinic_urls, "scheduling": scheduling_urls, "charting": charting_urls}
SAMPLES = {IntConverter: 7, StringConverter: "a-token", SlugConverter: "a-slug"}


def _pages() -> list[tuple[str, URLPattern]]:
    return [(app, p) for app, module in APPS.items() for p in module.urlpatterns]


def _last() -> list[URLPattern]:
    return [p for module in APPS.values() for p in getattr(module, "last_patterns", [])]


def _sample_path(pattern: URLPattern) -> str:
    converters = pattern.pattern.converters
    kwargs = {name: SAMPLES[type(converter)] for name, converter in converters.items()}
    return reverse(pattern.name, kwargs=kwargs)


def test_every_page_resolves_back_to_its_own_view():
    wrong = []
    for pattern in [p for _app, p in _pages()] + _last():
        path = _sample_path(pattern)
        match = resolve(path)
        if match.func is not pattern.callback or match.url_name != pattern.name:
            wrong.append(f"{path} ({pattern.name}) answered by {match.url_name}")
    assert wrong == []


def test_no_page_of_one_app_matches_a_path_of_another():
    overlaps = []
    for app, pattern in _pages():
        path = _sample_path(pattern).removeprefix("/")
        for other, candidate in _pages():
            if other != app and candidate.resolve(path) is not None:
                overlaps.append(f"/{path} ({app} {pattern.name}) also {other} {candidate.name}")
    assert overlaps == []


def test_the_catch_alls_are_included_after_everything_else():
    included = [p.urlconf_name for p in config_urls.urlpatterns if isinstance(p, URLResolver)]
    lasts = [module.last_patterns for module in APPS.values() if hasattr(module, "last_patterns")]
    assert included[-len(lasts) :] == lasts


def test_the_api_answers_every_path_under_api_and_no_other():
    assert resolve("/api/v1/me").namespace == "api-v1"
    assert resolve("/api/v1/no-such-thing").func is api_not_found
    assert resolve("/api/v2/").func is api_not_found
    for _app, pattern in _pages():
        assert resolve(_sample_path(pattern)).func is not api_not_found
