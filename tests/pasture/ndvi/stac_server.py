"""A minimal STAC API over a catalogue built with pystac, served on 127.0.0.1 by uvicorn.

Landing page with conformance classes, ``/collections``, ``/collections/{id}``, ``/search``
(GET and POST: collections, bbox, datetime, limit, paging by a ``next`` link), and the COG
assets from a folder through starlette's FileResponse, which answers HTTP Range requests.
The server counts what it was asked (searches, asset requests, Range headers) and can
answer 500 to an asset a number of times, so tests see what a client really did.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pystac
import uvicorn
from shapely.geometry import box, mapping
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

CONFORMS_TO = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


GEOJSON = "application/geo+json"


class StacServer:
    """The catalogue, its HTTP app and what it was asked."""

    def __init__(self, assets: Path) -> None:
        self.assets = assets
        self.collections: dict[str, pystac.Collection] = {}
        self.items: list[pystac.Item] = []
        self.faults: dict[str, int] = {}  # asset file → 500 answers left (-1: always)
        self.page_cap = 1  # items per page at most, whatever the limit: clients must page
        self.page_cap = 1  # items per page at most, whatever the limit: clients must page
        self.asset_requests: Counter[str] = Counter()
        self.range_requests = 0
        self.bytes_asked = 0  # bytes of the assets the clients asked for (ranges or whole files)
        self.searches = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)  # clients queue until uvicorn accepts: no wait for start-up
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def reset_counts(self) -> None:
        self.asset_requests.clear()
        self.range_requests = 0
        self.bytes_asked = 0
        self.searches = 0

    def add_collection(self, collection_id: str) -> None:
        extent = pystac.Extent(
            pystac.SpatialExtent([[-180.0, -90.0, 180.0, 90.0]]),
            pystac.TemporalExtent([[dt.datetime(2000, 1, 1, tzinfo=dt.UTC), None]]),
        )
        self.collections[collection_id] = pystac.Collection(
            collection_id, f"test collection {collection_id}", extent, license="CC0-1.0"
        )

    def add_item(
        self,
        collection_id: str,
        item_id: str,
        when: dt.datetime,
        bbox: tuple[float, float, float, float],
        assets: dict[str, str],
        properties: dict[str, Any] | None = None,
    ) -> pystac.Item:
        """An item whose assets are files of the assets folder, served by this server."""
        item = pystac.Item(item_id, mapping(box(*bbox)), list(bbox), when, dict(properties or {}))
        item.collection_id = collection_id
        for name, filename in assets.items():
            item.add_asset(
                name,
                pystac.Asset(f"{self.url}/assets/{filename}", media_type=pystac.MediaType.COG),
            )
        self.items.append(item)
        return item

    # --- the API -------------------------------------------------------------------------

    def _landing(self, request: Request) -> Response:
        return JSONResponse(
            {
                "type": "Catalog",
                "id": "test",
                "stac_version": "1.0.0",
                "description": "test STAC API",
                "conformsTo": CONFORMS_TO,
                "links": [
                    {"rel": "self", "href": f"{self.url}/"},
                    {"rel": "root", "href": f"{self.url}/"},
                    {"rel": "data", "href": f"{self.url}/collections"},
                    {"rel": "conformance", "href": f"{self.url}/conformance"},
                    {
                        "rel": "search",
                        "href": f"{self.url}/search",
                        "type": GEOJSON,
                        "method": "GET",
                    },
                    {
                        "rel": "search",
                        "href": f"{self.url}/search",
                        "type": GEOJSON,
                        "method": "POST",
                    },
                ],
            }
        )

    def _conformance(self, request: Request) -> Response:
        return JSONResponse({"conformsTo": CONFORMS_TO})

    def _collection_dict(self, collection: pystac.Collection) -> dict[str, Any]:
        data = collection.to_dict(include_self_link=False, transform_hrefs=False)
        data["links"] = [
            {"rel": "self", "href": f"{self.url}/collections/{collection.id}"},
            {"rel": "root", "href": f"{self.url}/"},
            {"rel": "items", "href": f"{self.url}/collections/{collection.id}/items"},
        ]
        return data

    def _collections(self, request: Request) -> Response:
        return JSONResponse(
            {
                "collections": [self._collection_dict(c) for c in self.collections.values()],
                "links": [{"rel": "self", "href": f"{self.url}/collections"}],
            }
        )

    def _collection(self, request: Request) -> Response:
        collection = self.collections.get(request.path_params["cid"])
        if collection is None:
            return JSONResponse({"code": "NotFound", "description": "no such collection"}, 404)
        return JSONResponse(self._collection_dict(collection))

    async def _search(self, request: Request) -> Response:
        self.searches += 1
        if request.method == "POST":
            body = await request.json()
        else:
            q = request.query_params
            body = {k: q[k] for k in ("datetime", "limit", "token") if k in q}
            if "collections" in q:
                body["collections"] = q["collections"].split(",")
            if "bbox" in q:
                body["bbox"] = [float(v) for v in q["bbox"].split(",")]
        found = [it for it in self.items if _matches(it, body)]
        start = int(body.get("token") or 0)
        limit = min(int(body.get("limit") or 10), self.page_cap)
        page = found[start : start + limit]
        links: list[dict[str, Any]] = []
        if start + limit < len(found):
            token = str(start + limit)
            if request.method == "POST":
                links.append(
                    {
                        "rel": "next",
                        "href": f"{self.url}/search",
                        "method": "POST",
                        "body": {**body, "token": token},
                    }
                )
            else:
                query = {**dict(request.query_params), "token": token}
                links.append({"rel": "next", "href": f"{self.url}/search?{urlencode(query)}"})
        features = [it.to_dict(include_self_link=False, transform_hrefs=False) for it in page]
        return JSONResponse(
            {"type": "FeatureCollection", "features": features, "links": links},
            media_type="application/geo+json",
        )

    def _asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.asset_requests[name] += 1
        if "range" in request.headers:
            self.range_requests += 1
        left = self.faults.get(name, 0)
        if left != 0:
            self.faults[name] = left - 1 if left > 0 else left
            return Response("injected failure", status_code=500)
        path = self.assets / name
        if not path.is_file():
            return Response("no such asset", status_code=404)
        if request.method == "GET":
            self.bytes_asked += _asked(request.headers.get("range"), path.stat().st_size)
        return FileResponse(path, media_type="image/tiff")

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self._landing),
                Route("/conformance", self._conformance),
                Route("/collections", self._collections),
                Route("/collections/{cid}", self._collection),
                Route("/search", self._search, methods=["GET", "POST"]),
                Route("/assets/{name}", self._asset, methods=["GET", "HEAD"]),
            ]
        )

    @contextmanager
    def running(self) -> Iterator[StacServer]:
        """Serve in a thread until the block ends."""
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [self._sock]})
        thread.start()
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join()
            self._sock.close()


def _asked(header: str | None, size: int) -> int:
    """Bytes a GET asks for: the sum of its ranges (``bytes=a-b,c-``), else the whole file."""
    if not header or not header.startswith("bytes="):
        return size
    total = 0
    for part in header.removeprefix("bytes=").split(","):
        first, _, last = part.strip().partition("-")
        if not first:  # a suffix range: the last N bytes
            total += min(int(last), size)
            continue
        end = min(int(last), size - 1) if last else size - 1
        total += max(end - int(first) + 1, 0)
    return total


def _matches(item: pystac.Item, body: dict[str, Any]) -> bool:
    """Does the item pass the search's collections, bbox and datetime filters?"""
    if "collections" in body and item.collection_id not in body["collections"]:
        return False
    if (
        "bbox" in body
        and item.bbox is not None
        and not box(*body["bbox"]).intersects(box(*item.bbox))
    ):
        return False
    if "datetime" in body and item.datetime is not None:
        text = str(body["datetime"])
        lo, _, hi = text.partition("/")
        if not hi:
            hi = lo
        if lo not in ("", "..") and item.datetime < dt.datetime.fromisoformat(lo):
            return False
        if hi not in ("", "..") and item.datetime > dt.datetime.fromisoformat(hi):
            return False
    return True
