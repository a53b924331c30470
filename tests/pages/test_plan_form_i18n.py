"""The new-plan form explains every parameter in Kazakh, Russian and English."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from markupsafe import escape

import pasture
from grazing_models.rotation import RotationParams
from pasture.i18n import catalogue_path
from pasture.planning import PlanningParams
from pasture_api.main import create_app
from pasture_api.pages.plan_form import DOC_CONTEXT, attribute_docs, plain
from pasture_api.settings import Settings
from pasture_api.users import create_demo_users

from .conftest import session_cookie

MODELS = (RotationParams, PlanningParams)


def _descriptions() -> dict[str, str]:
    return {f"{m.__name__}.{n}": d for m in MODELS for n, d in attribute_docs(m).items()}


def _catalogue(lang: str) -> dict[str, str]:
    with catalogue_path(lang).open("rb") as f:
        return {
            str(m.id): str(m.string) for m in read_po(f, locale=lang) if m.context == DOC_CONTEXT
        }


def test_every_parameter_is_described_and_translated() -> None:
    docs = _descriptions()
    for model in MODELS:  # a field without a description would show none
        assert set(model.model_fields) <= {k.split(".", 1)[1] for k in docs if model.__name__ in k}
    for lang in ("kk", "ru"):
        known = _catalogue(lang)
        # a docstring changed without its translations shows English: name the field
        missing = sorted(k for k, d in docs.items() if not known.get(d))
        assert missing == [], f"{lang}: no translation of {missing}"
        untranslated = sorted(k for k, d in docs.items() if known[d] == d)
        assert untranslated == [], f"{lang}: {untranslated}"
    assert set(docs.values()) <= set(_catalogue("en"))


def test_descriptions_are_plain_text() -> None:
    assert (
        plain("``None`` keeps :data:`DEFAULT_X` and may *eat*")
        == "None keeps DEFAULT_X and may eat"
    )
    for text in _descriptions().values():
        assert "``" not in text and ":data:" not in text


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on an empty store with the demo accounts: the form needs no data."""
    path = tmp_path_factory.mktemp("plan-form") / "store.gpkg"
    with pasture.open_store(path) as store:
        create_demo_users(store, "demo")
    config = Settings(  # type: ignore[call-arg]
        _env_file=None, store=str(path), basemap_url="", secret_key="form-test-" + "k" * 32
    )
    with TestClient(create_app(config)) as c:
        yield c


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("ru", "половину взять, половину оставить"),
        ("kk", "жартысын ал, жартысын қалдыр"),
        ("en", "take half, leave half"),
    ],
)
def test_the_form_explains_the_parameters_in_the_pages_language(
    client: TestClient, lang: str, said: str
) -> None:
    session_cookie(client, "akimat")
    page = client.get("/pages/plans/new", params={"lang": lang})
    assert page.status_code == 200
    assert said in page.text
    known = _catalogue(lang)
    for doc in _descriptions().values():  # every description, in this language
        shown = known.get(doc) or doc
        assert str(escape(shown)) in page.text  # as the template escapes it
