"""Read collections through QGIS's own OGC API - Features client, headless.

Run by tests/clients/test_qgis.py under Debian's /usr/bin/python3, which has QGIS 3.22's
Python bindings (scripts/ensure-qgis.sh), with QT_QPA_PLATFORM=offscreen; it imports
nothing of this project. Arguments: a provider URI template with ``{typename}`` and
``{token}``, the authentication (``uri``: the template's own user name and password;
``authcfg``: a Basic authentication configuration in a new QGIS authentication database,
what the Authentication tab's configurations store) and the collection ids. The token
comes from JAILYM_TOKEN. Prints one JSON document: QGIS's version and, per collection,
what QGIS made of it.
"""

import json
import os
import re
import sys
from typing import Any

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsAuthMethodConfig,
    QgsNetworkAccessManager,
    QgsNetworkRequestParameters,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant


def _basic_config(uri: str, token: str) -> str:
    """The URI with its user name and password moved into a Basic authentication config."""
    username = re.search(r"username='([^']*)'", uri)
    assert username, uri
    manager = QgsApplication.authManager()
    assert manager.setMasterPassword("qgis-probe", True), "no QGIS authentication database"
    config = QgsAuthMethodConfig("Basic")
    config.setName("jailym")
    config.setConfig("username", username[1])
    config.setConfig("password", token)
    assert manager.storeAuthenticationConfig(config), "the Basic configuration was not stored"
    uri = re.sub(r" ?(username|password)='[^']*'", "", uri)
    return f"{uri} authcfg={config.id()}"


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, QVariant) and value.isNull())


#: Every URL QGIS requested, in order (from any thread: the main manager relays them).
REQUESTED: list[str] = []


def _read(uri: str, cid: str) -> dict[str, Any]:
    start = len(REQUESTED)
    layer = QgsVectorLayer(uri.replace("{typename}", cid), cid, "OAPIF")
    out: dict[str, Any] = {"id": cid, "valid": layer.isValid()}
    if not layer.isValid():
        return out
    fields = layer.fields()
    filled = {f.name(): 0 for f in fields}
    sums = {f.name(): 0.0 for f in fields if f.isNumeric()}
    read, lon, lat = 0, [999.0, -999.0], [999.0, -999.0]
    for feature in layer.getFeatures():
        read += 1
        for name in filled:
            value = feature[name]
            if not _is_null(value):
                filled[name] += 1
                if name in sums:
                    sums[name] += float(value)
        centre = feature.geometry().boundingBox().center()
        lon = [min(lon[0], centre.x()), max(lon[1], centre.x())]
        lat = [min(lat[0], centre.y()), max(lat[1], centre.y())]
    QgsApplication.processEvents()  # the other threads' requests arrive queued
    out.update(
        count=layer.featureCount(),
        crs=layer.crs().authid(),
        fields={f.name(): [int(f.type()), f.typeName()] for f in fields},
        read=read,
        filled=filled,
        sums=sums,
        lon=lon,
        lat=lat,
        items_requests=[u for u in REQUESTED[start:] if f"/collections/{cid}/items" in u],
    )
    return out


def main() -> None:
    template, auth, *collections = sys.argv[1:]
    token = os.environ["JAILYM_TOKEN"]
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    # the overload of QGIS's own parameters (the first one, Qt's, is no longer emitted)
    QgsNetworkAccessManager.instance().requestAboutToBeCreated[QgsNetworkRequestParameters].connect(
        lambda request: REQUESTED.append(request.request().url().toString())
    )
    uri = template.replace("{token}", token)
    if auth == "authcfg":
        uri = _basic_config(uri, token)
    layers = [_read(uri, cid) for cid in collections]
    print(json.dumps({"version": Qgis.version(), "layers": layers}), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main()
