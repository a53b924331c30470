"""``pasture ndvi fetch`` against a real STAC API on loopback: composites, faults, reruns.

The catalogue is built here with pystac from small COGs of known arrays
(:mod:`tests.pasture.ndvi.stac_scenes`) and served by uvicorn
(:mod:`tests.pasture.ndvi.stac_server`), so pystac-client, odc-stac and GDAL do real
HTTP, range requests included. References are computed with numpy from those arrays.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from click.testing import CliRunner

import pasture
from pasture.cli import EXIT_OK, main
from pasture.cli import common as cli_common
from pasture.errors import InvalidInput, NotFound
from pasture.ndvi.catalogue import list_scenes
from pasture.ndvi.composite import Period, max_value_composite, period_of, periods_between
from pasture.ndvi.fetch import composite_path, fetch_ndvi
from pasture.ndvi.stac import SOURCES, s2_offset_dn
from tests.pasture.ndvi import stac_scenes as scenes
from tests.pasture.ndvi.stac_server import StacServer

# Two 16-day periods of 2024 (day of year 145-160 and 161-176) and the one before them.
P1 = period_of(dt.date(2024, 6, 1))
P2 = period_of(dt.date(2024, 6, 12))
P0 = period_of(dt.date(2024, 5, 20))
TODAY = dt.date(2025, 1, 1)
FAST = {"retries": 2, "backoff_s": 0.01, "today": TODAY}


def _at(day: dt.date, hour: int = 6) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _district(store: pasture.Store) -> pasture.Store:
    okrug = gpd.GeoDataFrame(
        {"id": ["ok-a"], "name_kk": ["А"], "name_ru": ["А"], "name_en": ["A"]},
        geometry=[scenes.DISTRICT],
        crs=4326,
    )
    store.write("okrugs", okrug, user="tester")
    store.set_region(scenes.DISTRICT.buffer(0.1))
    return store


@pytest.fixture
def server(tmp_path: Path) -> Iterator[StacServer]:
    (tmp_path / "assets").mkdir()
    s = StacServer(tmp_path / "assets")
    with s.running():
        yield s


@pytest.fixture
def gpkg(tmp_path: Path) -> Iterator[pasture.Store]:
    with pasture.open_store(tmp_path / "district.gpkg", create=True) as s:
        yield _district(s)


def _two_periods(server: StacServer, source: str, rng: np.random.Generator) -> dict:
    """P1 with two scenes (S2: a baseline 05.10 and a 03.01), P2 with one, P0 one."""
    server.add_collection(scenes.COLLECTION[source])
    return {
        P0: [scenes.add_scene(server, source, _at(P0.start), rng)],
        P1: [
            scenes.add_scene(
                server, source, _at(P1.start + dt.timedelta(days=1)), rng,
                {"s2:processing_baseline": "05.10"},
            ),
            scenes.add_scene(
                server, source, _at(P1.start + dt.timedelta(days=6)), rng,
                {"s2:processing_baseline": "03.01"},
            ),
        ],
        P2: [scenes.add_scene(server, source, _at(P2.start + dt.timedelta(days=2)), rng)],
    }  # fmt: skip


def _reference(source: str, period_scenes: list, transform, shape) -> tuple[np.ndarray, float]:
    """Max-value composite and cloud share of a period, from the arrays written."""
    ndvis, has, masked = [], 0, 0
    for scene in period_scenes:
        ndvi, has_data, mask = scenes.reference_ndvi(source, scene)
        win = scenes.window(scene.transform, transform, shape)
        ndvis.append(ndvi[win])
        has += int(has_data[win].sum())
        masked += int((has_data & mask)[win].sum())
    stack = np.stack(ndvis)
    best = np.where(np.isnan(stack), -np.inf, stack).max(axis=0)
    return np.where(np.isfinite(best), best, np.nan), masked / has


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_composites_equal_the_reference_and_a_rerun_fetches_nothing(
    source: str, store: pasture.Store, server: StacServer, tmp_path: Path
) -> None:
    """Outcome of issue 19 item 1, on both store backends and for each source."""
    _district(store)
    written = _two_periods(server, source, np.random.default_rng(19))
    out = tmp_path / "ndvi"
    report = fetch_ndvi(
        store, source, P1.start + dt.timedelta(days=3), P2.start, out_dir=out, user="t",
        catalog=server.url, **FAST,
    )  # fmt: skip
    assert report.fetched == [composite_path(out, SOURCES[source], p) for p in (P1, P2)]
    assert server.range_requests > 0
    assert server.searches == 3  # P1's two items come on two pages, by the "next" link
    assert not any(name.startswith(written[P0][0].item_id) for name in server.asset_requests)
    shares = {}
    for period in (P1, P2):
        with rasterio.open(composite_path(out, SOURCES[source], period)) as cog:
            got, tags = cog.read(1), cog.tags()
            assert cog.crs.to_string() == scenes.CRS
            assert cog.transform.a == scenes.RESOLUTION[source]
            want, share = _reference(source, written[period], cog.transform, got.shape)
        np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
        assert np.isnan(want).sum() < want.size  # the check compares values, not only NaN
        assert float(tags["CLOUD_SHARE"]) == pytest.approx(share, abs=1e-6)
        shares[period] = share
        assert json.loads(tags["ITEMS"]) == [s.item_id for s in written[period]]
        assert (tags["PERIOD_START"], tags["PERIOD_END"], tags["CATALOG"]) == (
            period.start.isoformat(), period.end.isoformat(), server.url,
        )  # fmt: skip
    catalogue = list_scenes(store)
    assert [d.date() for d in catalogue["date"]] == [P1.start, P2.start]
    assert list(catalogue["path"]) == [str(p.resolve()) for p in report.fetched]
    sensor = {"sentinel-2-l2a": "Sentinel-2", "landsat-c2-l2": "Landsat"}
    assert set(catalogue["sensor"]) == {sensor.get(source, "MODIS MOD13Q1")}
    # the provenance is in the store's catalogue too, not only in the files' tags
    for period, row in zip((P1, P2), catalogue.itertuples(index=False), strict=True):
        assert list(row.items) == [s.item_id for s in written[period]]
        assert row.cloud_share == pytest.approx(shares[period], abs=1e-6)
        assert (row.catalog, row.collection) == (server.url, SOURCES[source].collection)
        assert (row.period_start.date(), row.period_end.date()) == (period.start, period.end)

    server.reset_counts()
    again = fetch_ndvi(
        store, source, P1.start, P2.end, out_dir=out, user="t", catalog=server.url, **FAST
    )
    assert (again.fetched, again.stored) == ([], [P1, P2])
    assert (sum(server.asset_requests.values()), server.searches) == (0, 0)
    assert len(list_scenes(store)) == 2


def test_a_truncated_asset_stops_the_run_and_a_rerun_completes_it(
    gpkg: pasture.Store, server: StacServer, tmp_path: Path
) -> None:
    """An interrupted run keeps the periods it finished; nothing of the failed one stays."""
    source = "sentinel-2-l2a"
    written = _two_periods(server, source, np.random.default_rng(3))
    bad = server.assets / written[P2][0].files["red"]
    whole = bad.read_bytes()
    bad.write_bytes(whole[: len(whole) // 3])
    out = tmp_path / "ndvi"
    out.mkdir()
    left_over = out / f"{composite_path(out, SOURCES[source], P0).name}.part"
    left_over.write_bytes(b"a killed run's unfinished file")
    with pytest.raises(InvalidInput) as caught:
        fetch_ndvi(
            gpkg, source, P1.start, P2.end, out_dir=out, user="t", catalog=server.url, **FAST
        )
    message = str(caught.value)
    assert P2.label in message and written[P2][0].files["red"] in message
    assert "truncated" in message
    assert sorted(p.name for p in out.iterdir()) == [composite_path(out, SOURCES[source], P1).name]
    assert [d.date() for d in list_scenes(gpkg)["date"]] == [P1.start]

    bad.write_bytes(whole)
    server.reset_counts()
    report = fetch_ndvi(
        gpkg, source, P1.start, P2.end, out_dir=out, user="t", catalog=server.url, **FAST
    )
    assert (report.stored, report.fetched) == ([P1], [composite_path(out, SOURCES[source], P2)])
    assert {n.split("_")[0] for n in server.asset_requests} == {written[P2][0].item_id}
    assert [d.date() for d in list_scenes(gpkg)["date"]] == [P1.start, P2.start]


def test_http_500_is_retried_a_bounded_number_of_times(
    gpkg: pasture.Store, server: StacServer, tmp_path: Path
) -> None:
    source = "sentinel-2-l2a"
    written = _two_periods(server, source, np.random.default_rng(5))
    flaky = written[P1][0].files["nir"]
    server.faults[flaky] = 2  # two 500 answers, then the file
    out = tmp_path / "ndvi"
    report = fetch_ndvi(
        gpkg, source, P1.start, P1.end, out_dir=out, user="t", catalog=server.url, **FAST
    )
    assert report.fetched == [composite_path(out, SOURCES[source], P1)]
    assert server.asset_requests[flaky] >= 3

    broken = written[P2][0].files["scl"]
    server.faults[broken] = -1  # always 500
    with pytest.raises(InvalidInput) as caught:
        fetch_ndvi(
            gpkg, source, P2.start, P2.end, out_dir=out, user="t", catalog=server.url, **FAST
        )
    assert "500" in str(caught.value) and broken in str(caught.value)
    assert server.asset_requests[broken] == 1 + FAST["retries"]
    assert sorted(p.name for p in out.iterdir()) == [composite_path(out, SOURCES[source], P1).name]
    assert [d.date() for d in list_scenes(gpkg)["date"]] == [P1.start]


def test_a_catalogue_without_the_collection_is_refused_before_anything_is_written(
    gpkg: pasture.Store, server: StacServer, tmp_path: Path
) -> None:
    server.add_collection("sentinel-1-grd")
    out = tmp_path / "ndvi"
    with pytest.raises(NotFound, match=r"no collection 'sentinel-2-l2a'.*sentinel-1-grd"):
        fetch_ndvi(
            gpkg, "sentinel-2-l2a", P1.start, P1.end, out_dir=out, user="t",
            catalog=server.url, **FAST,
        )  # fmt: skip
    assert list(out.iterdir()) == []
    assert list_scenes(gpkg).empty


def test_periods_without_scenes_or_not_over_are_not_written(
    gpkg: pasture.Store, server: StacServer, tmp_path: Path
) -> None:
    _two_periods(server, "modis-13q1", np.random.default_rng(7))
    later = period_of(P2.end + dt.timedelta(days=1))
    out = tmp_path / "ndvi"
    report = fetch_ndvi(
        gpkg, "modis-13q1", P2.start, later.end + dt.timedelta(days=20), out_dir=out,
        user="t", catalog=server.url, retries=0, today=later.end + dt.timedelta(days=1),
    )  # fmt: skip
    assert report.fetched == [composite_path(out, SOURCES["modis-13q1"], P2)]
    assert report.empty == [later]
    assert len(report.unfinished) == 2


def test_the_cli_fetches_on_a_dask_cluster_and_then_nothing(
    tmp_path: Path, server: StacServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distributed  # a dependency of the project: never skipped

    path = tmp_path / "district.gpkg"
    with pasture.open_store(path, create=True) as s:
        _district(s)
    written = _two_periods(server, "landsat-c2-l2", np.random.default_rng(11))
    args = [
        "ndvi", "fetch", "--store", str(path), "--source", "landsat-c2-l2",
        "--from", P1.start.isoformat(), "--to", P1.end.isoformat(),
        "--catalog", server.url, "--out", str(tmp_path / "ndvi"),
    ]  # fmt: skip
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0"
    ) as cluster:
        first = CliRunner().invoke(main, [*args, "--dask-scheduler", cluster.scheduler_address])
    assert first.exit_code == EXIT_OK, first.output
    assert "1 period(s) fetched" in first.output
    cog = composite_path(tmp_path / "ndvi", SOURCES["landsat-c2-l2"], P1)
    with rasterio.open(cog) as src:
        got = src.read(1)
        want, share = _reference("landsat-c2-l2", written[P1], src.transform, got.shape)
    np.testing.assert_allclose(got, want, atol=1e-6, rtol=0)
    monkeypatch.setattr(cli_common.out, "width", 200)  # a wide terminal: one line per scene
    listed = CliRunner().invoke(main, ["ndvi", "list", "--store", str(path)])
    assert listed.exit_code == EXIT_OK, listed.output
    row = next(line for line in listed.output.splitlines() if P1.start.isoformat() in line)
    cells = [c.strip() for c in row.split("│")]
    assert str(len(written[P1])) in cells and f"{share:.1%}" in cells, listed.output
    second = CliRunner().invoke(main, args)
    assert second.exit_code == EXIT_OK, second.output
    assert "0 period(s) fetched" in second.output and "1 already stored" in second.output


def test_unknown_source_and_bad_retries_are_refused(gpkg: pasture.Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown source 'sentinel-3'"):
        fetch_ndvi(gpkg, "sentinel-3", P1.start, P1.end, out_dir=tmp_path, user="t")
    with pytest.raises(InvalidInput, match="wait above 0"):
        fetch_ndvi(gpkg, "modis-13q1", P1.start, P1.end, out_dir=tmp_path, user="t", backoff_s=0)


def test_periods_start_each_year_on_1_january() -> None:
    assert period_of(dt.date(2024, 1, 16)) == Period(dt.date(2024, 1, 1), dt.date(2024, 1, 16))
    assert period_of(dt.date(2024, 1, 17)).start == dt.date(2024, 1, 17)
    # the last period of a year is cut at 31 December (day 353 onwards)
    assert period_of(dt.date(2023, 12, 31)) == Period(dt.date(2023, 12, 19), dt.date(2023, 12, 31))
    assert period_of(dt.date(2024, 12, 31)) == Period(dt.date(2024, 12, 18), dt.date(2024, 12, 31))
    spans = periods_between(dt.date(2023, 12, 25), dt.date(2024, 1, 20))
    assert [p.start for p in spans] == [
        dt.date(2023, 12, 19),
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 17),
    ]
    with pytest.raises(ValueError, match="1 to 366 days"):
        period_of(dt.date(2024, 1, 1), 0)


def test_the_composite_keeps_each_pixels_largest_valid_value() -> None:
    import xarray as xr

    nan = np.nan
    values = np.array([[[0.2, nan, nan]], [[0.5, 0.1, nan]], [[0.3, -0.4, nan]]], "float32")
    got = max_value_composite(xr.DataArray(values, dims=("time", "y", "x")))
    np.testing.assert_array_equal(got.values, np.array([[0.5, 0.1, nan]], "float32"))


def test_the_sentinel2_offset_follows_the_processing_baseline() -> None:
    class Item:
        def __init__(self, baseline: str | None, applied: bool | None = None) -> None:
            self.properties: dict = {} if baseline is None else {"s2:processing_baseline": baseline}
            if applied is not None:
                self.properties["earthsearch:boa_offset_applied"] = applied

    items = [Item("03.01"), Item("04.00"), Item("05.10"), Item(None), Item("05.10", True)]
    assert [s2_offset_dn(i) for i in items] == [0, -1000, -1000, 0, 0]
    assert s2_offset_dn(Item("05.10", False)) == -1000


def test_without_the_stac_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from pasture.ndvi.stac import require_stac

    monkeypatch.setitem(__import__("sys").modules, "pystac_client", None)
    with pytest.raises(ImportError, match=r"optional extra 'stac'.*jailym\[stac\]"):
        require_stac()


def test_the_cli_says_what_is_missing_and_exits_not_found(
    tmp_path: Path, server: StacServer
) -> None:
    from pasture.cli import EXIT_NOT_FOUND

    path = tmp_path / "district.gpkg"
    with pasture.open_store(path, create=True) as s:
        _district(s)
    server.add_collection("landsat-c2-l1")
    result = CliRunner().invoke(
        main,
        [
            "ndvi", "fetch", "--store", str(path), "--source", "landsat-c2-l2",
            "--from", "2024-06-01", "--to", "2024-06-10", "--catalog", server.url,
            "--out", str(tmp_path / "ndvi"),
        ],
    )  # fmt: skip
    assert result.exit_code == EXIT_NOT_FOUND, result.output
    assert "no collection 'landsat-c2-l2'" in result.output and "landsat-c2-l1" in result.output
    assert list((tmp_path / "ndvi").iterdir()) == []


def test_the_cli_offers_exactly_the_sources_there_are() -> None:
    from pasture.cli.ndvi import ndvi_fetch

    option = next(p for p in ndvi_fetch.params if p.name == "source")
    assert sorted(option.type.choices) == sorted(SOURCES)  # type: ignore[attr-defined]
