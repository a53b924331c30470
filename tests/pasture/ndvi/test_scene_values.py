"""NDVI sanity at the catalogue's gate: values that cannot be NDVI are refused, saying why.

A 0–255 byte image, values of ±5 or NDVI × 10,000 without its scale would enter the
catalogue as NDVI and move capacity silently; check_scene refuses them and names the
scaling it assumed (docs/domain.md, "Satellite NDVI").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import pasture
from pasture.cli import EXIT_INVALID, main
from pasture.errors import InvalidInput
from pasture.ndvi.catalogue import register_scenes
from pasture.ndvi.scene_check import MIN_VALID_SHARE, NDVI_TOLERANCE, check_scene
from tests.pasture.ndvi.rasters import DISTRICT, write_modis, write_tif

SHAPE = (40, 50)


def _ndvi(seed: int = 0) -> np.ndarray:
    """Plausible NDVI: 0.05 .. 0.8."""
    return np.random.default_rng(seed).uniform(0.05, 0.8, SHAPE).astype("float32")


def test_plain_float_ndvi_is_accepted(tmp_path: Path) -> None:
    info = check_scene(write_tif(tmp_path / "ndvi_2021-06-10.tif", _ndvi()), region=DISTRICT)
    assert (info.scale, info.offset) == (1.0, 0.0)
    # lossy compression may overshoot 1 a little: within the tolerance it is still NDVI
    edge = np.full(SHAPE, 1.0 + NDVI_TOLERANCE / 2, dtype="float32")
    check_scene(write_tif(tmp_path / "ndvi_2021-06-26.tif", edge))


def test_byte_image_is_refused_naming_the_scaling_assumed(tmp_path: Path) -> None:
    byte_like = np.round(_ndvi() * 255).astype("float32")  # 0–255 stored as float
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", byte_like)
    with pytest.raises(InvalidInput) as caught:
        check_scene(path)
    message = str(caught.value)
    assert "ndvi_2021-06-10.tif" in message and "outside NDVI's [-1, 1]" in message
    assert "scale 1, offset 0" in message and "declares no scale or offset" in message
    assert "8-bit coding" in message and "gdal_edit.py -scale" in message
    assert "-a_nodata" in message


def test_values_of_five_are_refused(tmp_path: Path) -> None:
    wild = np.random.default_rng(3).uniform(-5, 5, SHAPE).astype("float32")
    with pytest.raises(InvalidInput, match=r"(?s)band 1: \d+% of the valid values.*-?4\.9\d*"):
        check_scene(write_tif(tmp_path / "ndvi_2021-06-10.tif", wild))


def test_scaled_integers_pass_with_their_declared_scale_only(tmp_path: Path) -> None:
    coded = np.round(_ndvi() * 10_000).astype("int16")
    declared = write_tif(tmp_path / "ndvi_2021-06-10.tif", coded, scales=(0.0001,))
    info = check_scene(declared)
    assert info.scale == pytest.approx(0.0001)
    bare = write_tif(tmp_path / "ndvi_2021-06-26.tif", coded)
    with pytest.raises(InvalidInput, match=r"(?s)declares no scale.*NDVI × 10,000.*0\.0001"):
        check_scene(bare)
    # a declared scale that is wrong is caught as well, and named as the file's
    wrong = write_tif(tmp_path / "ndvi_2021-07-12.tif", coded, scales=(0.01,))
    with pytest.raises(InvalidInput, match=r"scale 0\.01, offset 0, nodata none \(as the file"):
        check_scene(wrong)


def test_modis_raw_int16_is_accepted_after_its_product_scaling(tmp_path: Path) -> None:
    # raw 0..10500 with fill −3000 and a header scale of 10000 (meaning divide): the
    # MOD13Q1 scaling (× 0.0001, valid −2000..10000) applies, so every value is NDVI
    ndvi_path, _ = write_modis(tmp_path)
    info = check_scene(ndvi_path)
    assert info.sensor == "MODIS MOD13Q1" and info.dtype == "int16"
    # the same numbers under a name that is not MOD13Q1 are read as the header says
    renamed = tmp_path / "ndvi_2021-06-10.tif"
    renamed.write_bytes(ndvi_path.read_bytes())
    with pytest.raises(InvalidInput, match="outside NDVI's"):
        check_scene(renamed)


def test_a_scene_with_too_few_valid_pixels_is_refused(tmp_path: Path) -> None:
    data = np.full(SHAPE, np.nan, dtype="float32")
    data[0, :5] = 0.4  # 5 of 2,000 pixels: 0.25 %
    path = write_tif(tmp_path / "ndvi_2021-06-10.tif", data, nodata=float("nan"))
    assert 5 / data.size < MIN_VALID_SHARE
    with pytest.raises(InvalidInput, match=r"(?s)only 0\.2% of its pixels are valid.*nodata"):
        check_scene(path)
    assert check_scene(path, min_valid_share=0.001).width == SHAPE[1]
    # a fill value that is not declared as nodata is caught by the range instead
    filled = np.where(np.isnan(data), -3000, data).astype("float32")
    with pytest.raises(InvalidInput, match="outside NDVI's"):
        check_scene(write_tif(tmp_path / "ndvi_2021-06-26.tif", filled))
    declared = write_tif(tmp_path / "ndvi_2021-07-12.tif", filled, nodata=-3000)
    with pytest.raises(InvalidInput, match=r"only 0\.2% of its pixels are valid"):
        check_scene(declared)


def test_refused_values_register_nothing_on_either_store(store_url: str, tmp_path: Path) -> None:
    good = write_tif(tmp_path / "ndvi_2021-06-10.tif", _ndvi())
    byte_like = write_tif(tmp_path / "ndvi_2021-06-26.tif", np.round(_ndvi(1) * 255))
    with pasture.open_store(store_url) as store:
        register_scenes(store, [good], user="t")
        before = store.read_rows("scenes")
        with pytest.raises(InvalidInput, match=r"(?s)ndvi_2021-06-26\.tif.*scale 1, offset 0"):
            register_scenes(store, [good, byte_like], user="t")
        after = store.read_rows("scenes")
    assert len(before) == 1 and after["id"].tolist() == before["id"].tolist()
    result = CliRunner().invoke(main, ["ndvi", "add", str(byte_like), "--store", store_url])
    assert result.exit_code == EXIT_INVALID
    assert "outside NDVI's [-1, 1]" in result.output and "gdal_edit.py" in result.output
    with pasture.open_store(store_url) as store:
        assert store.read_rows("scenes")["id"].tolist() == before["id"].tolist()
