"""The page a map lives in: Leaflet assets (CDN, inline or served), language, and map elements.

Offline assets
--------------
folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs and bundles
none of them. Our pages need only Leaflet (1.9.3, the version folium 0.20
pins): legends, popups, the week selector and the layer switcher are plain
Leaflet and a few lines of inline JavaScript. Leaflet itself comes from the
``XStatic-Leaflet`` package on PyPI (Leaflet's ``dist`` folder as package
data), so no JavaScript is vendored into this repository and no npm step is
needed. :class:`Assets` chooses how a page gets it:

``Assets.cdn()``
    ``<script src>`` links to jsDelivr (the default, like folium's).
``Assets.inline()``
    Leaflet's JS and CSS are written into the page, its images as ``data:``
    URIs: one self-contained file that renders from ``file://`` with no
    network (tests, notebooks exported as HTML, e-mailed maps). ~160 kB more.
``Assets.served(base_url)``
    Links to a local copy, e.g. ``/static/leaflet/`` that the API mounts from
    :func:`leaflet_asset_dir` with ``StaticFiles``: offline and cached once.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template

__all__ = [
    "LEAFLET_VERSION",
    "Assets",
    "DataAttribution",
    "leaflet_asset_dir",
]

#: Leaflet version of the CDN links; XStatic-Leaflet ships the same version.
LEAFLET_VERSION = "1.9.3"

_CDN = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/"


def leaflet_asset_dir() -> Path:
    """Folder with ``leaflet.js``, ``leaflet.css`` and ``images/`` (from XStatic-Leaflet)."""
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "offline map assets need Leaflet from the XStatic-Leaflet package: pip install XStatic-Leaflet"
        ) from exc
    return Path(xleaflet.BASE_DIR)


@dataclass(frozen=True)
class Assets:
    """Where a page loads Leaflet from: ``cdn``, ``inline`` or ``served`` under a base URL."""

    mode: Literal["cdn", "inline", "served"] = "cdn"
    base_url: str = _CDN

    @classmethod
    def cdn(cls) -> Assets:
        """Links to Leaflet on jsDelivr (needs the internet)."""
        return cls("cdn", _CDN)

    @classmethod
    def inline(cls) -> Assets:
        """Leaflet written into the page: renders offline from ``file://``."""
        return cls("inline", "")

    @classmethod
    def served(cls, base_url: str) -> Assets:
        """Links to a local copy of :func:`leaflet_asset_dir` served at ``base_url``."""
        return cls("served", base_url if base_url.endswith("/") else base_url + "/")

    @property
    def offline(self) -> bool:
        """Whether a page with these assets renders without the internet."""
        return self.mode != "cdn"


@cache
def _inline_css() -> str:
    folder = leaflet_asset_dir()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((folder / "images").glob("*.png")):
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image.name})", f"url(data:image/png;base64,{data})")
    return css


@cache
def _inline_js() -> str:
    js = (leaflet_asset_dir() / "leaflet.js").read_text(encoding="utf-8")
    # the source map comment points at a file the page does not have
    return js.replace("//# sourceMappingURL=leaflet.js.map", "").replace("</", "<\\/")


class PageFigure(Figure):
    """branca's Figure with the page language in ``<html lang>`` and a ``<title>``."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="{{ this.lang }}">\n'
        "<head>\n"
        '<meta charset="utf-8" />\n'
        "{% if this.title %}<title>{{ this.title|e }}</title>{% endif %}\n"
        "    {{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        "    {{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>\n"
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</html>\n"
    )

    def __init__(self, *, lang: str, title: str) -> None:
        super().__init__(title=title)
        self.lang = lang


class PastureMap(folium.Map):
    """A folium Map whose page loads only Leaflet, from where :class:`Assets` says."""

    def __init__(self, *, assets: Assets, lang: str, title: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.assets = assets
        # instance lists: folium's add_js_link mutates the class-level defaults
        if assets.mode == "inline":
            self.default_js: list[tuple[str, str]] = []
            self.default_css: list[tuple[str, str]] = []
        else:
            self.default_js = [("leaflet", assets.base_url + "leaflet.js")]
            self.default_css = [("leaflet_css", assets.base_url + "leaflet.css")]
        page = PageFigure(lang=lang, title=title)
        page.add_child(self)
        if assets.mode == "inline":
            page.header.add_child(Element(f"<style>{_inline_css()}</style>"), name="leaflet_css")
            page.header.add_child(Element(f"<script>{_inline_js()}</script>"), name="leaflet")


def script_json(value: Any) -> str:
    """JSON for a ``<script>`` block: UTF-8 text kept (smaller pages), ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def esc(value: Any) -> str:
    """HTML-escaped text of a value (names come from users: never trust them as HTML)."""
    return html.escape("" if value is None else str(value), quote=True)


class FeatureLayer(folium.map.Layer):
    """A GeoJSON layer with per-feature styles, tooltips and popups prepared in Python.

    Each feature's properties hold ``k`` (a key of ``styles``), ``t`` (tooltip
    text, HTML-escaped) and ``p`` (popup values, HTML-escaped, in the order of
    ``popup_labels``). Compared with ``folium.GeoJson``, the data is written
    once as UTF-8 JSON, styles are looked up rather than listed per feature
    id, and every user-supplied text is escaped before it reaches
    ``innerHTML``. Points are drawn as circle markers of ``point_radius``.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
/* pasture-layer: {{ this.role }} */
var {{ this.get_name() }}_data = {{ this.data_json }};
var {{ this.get_name() }}_styles = {{ this.styles_json }};
var {{ this.get_name() }}_labels = {{ this.labels_json }};
var {{ this.get_name() }} = L.geoJson({{ this.get_name() }}_data, {
    style: function (f) {
        return {{ this.get_name() }}_styles[f.properties.k] || {{ this.get_name() }}_styles[""];
    },
    pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: {{ this.point_radius }}});
    },
    onEachFeature: function (f, layer) {
        if (f.properties.t) { layer.bindTooltip(f.properties.t, {sticky: true}); }
        if (f.properties.p) {
            layer.bindPopup(function () {
                var labels = {{ this.get_name() }}_labels, rows = "";
                for (var i = 0; i < labels.length; i++) {
                    if (f.properties.p[i] !== null && f.properties.p[i] !== "") {
                        rows += "<tr><th>" + labels[i] + "</th><td>" + f.properties.p[i] + "</td></tr>";
                    }
                }
                return '<table class="pasture-popup">' + rows + "</table>";
            }, {maxWidth: 360});
        }
    }
});
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
"""
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        name: str,
        role: str,
        styles: dict[str, dict[str, Any]],
        popup_labels: list[str] | None = None,
        point_radius: float = 5.0,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "FeatureLayer"
        self.role = role
        self.data = data
        self.data_json = script_json(data)
        self.styles_json = script_json(styles)
        self.labels_json = script_json([esc(label) for label in popup_labels or []])
        self.point_radius = float(point_radius)


#: A fetched layer asks for its view widened to a grid 2**SNAP_LEVELS finer than the
#: zoom's tiles: with 2, at most 64 px beyond each edge of the view.
SNAP_LEVELS = 2


class RemoteFeatureLayer(folium.map.Layer):
    """A :class:`FeatureLayer` whose features the page fetches for the current view.

    On every ``moveend`` (and when switched on) the page asks ``url`` with
    ``bbox=west,south,east,north&zoom=z`` appended and redraws the layer from
    the answer (GeoJSON with ``k``/``t`` properties as in :class:`FeatureLayer`)
    on a canvas. A click asks ``url``'s path + ``/<feature id>`` for the popup
    values (``{"p": [...]}``, escaped HTML in the order of ``popup_labels``). When drawn, the map container carries
    ``data-layer-<role>="<count>"`` (tests and benchmarks wait for it); when the
    answer holds fewer plots than matched, ``note`` is shown in a box on the
    map. A failed request sets ``data-layer-<role>-error``. After each redraw the layer
    fires ``pasture:loaded`` (the rotation map's week selector restyles then).

    With ``extent`` (west, south, east, north) the page asks for the whole extent and
    again only when the zoom changes, so every feature is at hand for scripts that go
    through all of them (the week selector's moves and herd search). ``canvas=False``
    draws SVG paths (with the styles' ``className``); ``tooltips=False`` leaves the
    tooltips to another script (one that escapes the plain ``t`` itself).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
/* pasture-remote-layer: {{ this.role }} */
var {{ this.get_name() }} = (function (map) {
    var styles = {{ this.styles_json }}, labels = {{ this.labels_json }};
    var url = {{ this.url_json }}, role = {{ this.role_json }}, seq = 0, note = null;
    // canvas: thousands of polygons draw in one bitmap instead of as many SVG nodes
    var renderer = {{ this.canvas_json }} ? L.canvas({padding: 0.3, tolerance: 2}) : L.svg();
    var extent = {{ this.extent_json }};
    var layer = L.geoJson(null, {
        renderer: renderer,
        style: function (f) { return styles[f.properties.k] || styles[""]; },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 5}); }
    });
    // one tooltip and one popup for the whole layer (the hovered or clicked plot fills
    // them): no objects and listeners per plot, so adding thousands of plots stays cheap
    if ({{ this.tooltips_json }}) {
        layer.bindTooltip(function (lyr) { return lyr.feature.properties.t || ""; }, {sticky: true});
        layer.on("tooltipopen", function (e) {
            if (!e.tooltip._source.feature.properties.t) { layer.closeTooltip(); }
        });
    }
    if (labels.length) {
        // popups are fetched on click: the layer stays small
        layer.bindPopup(function (lyr) {
            var box = document.createElement("div"), f = lyr.feature;
            box.textContent = "…";
            if (f.id === undefined) { return box; }
            var q = url.split("?");
            fetch(q[0] + "/" + encodeURIComponent(f.id) + "?" + (q[1] || ""),
                  {credentials: "same-origin"})
                .then(function (r) { return r.json(); })
                .then(function (d) {
                    var rows = "";
                    for (var i = 0; i < labels.length; i++) {
                        var v = (d.p || [])[i];
                        if (v !== null && v !== undefined && v !== "") {
                            rows += "<tr><th>" + labels[i] + "</th><td>" + v + "</td></tr>";
                        }
                    }
                    box.innerHTML = '<table class="pasture-popup">' + rows + "</table>";
                    layer.getPopup().update();
                });
            return box;
        }, {maxWidth: 360});
    }
    function showNote(text) {
        if (!note) {
            note = L.control({position: "topleft"});
            note.onAdd = function () { return L.DomUtil.create("div", "pasture-note"); };
        }
        if (text) {
            note.addTo(map);
            note.getContainer().textContent = text;
        } else if (note.getContainer()) {
            note.remove();
        }
    }
    // the view's box widened to a grid of quarter tiles of its zoom (64 px): a view that
    // moved a few pixels (a resize while the page settles, a small pan) asks for the same
    // URL, which is then not asked again (and is one the server and the browser have
    // answered before). Whole tiles widened a view by up to 256 px a side (at zoom 5,
    // 11 degrees): plots far off screen then took the places of plots in view.
    function snapped(b, zoom) {
        var step = 360 / Math.pow(2, zoom + {{ this.snap_json }});
        function down(v, lo) { return Math.max(lo, Math.floor(v / step) * step); }
        function up(v, hi) { return Math.min(hi, Math.ceil(v / step) * step); }
        return [down(b.getWest(), -180), down(b.getSouth(), -90),
                up(b.getEast(), 180), up(b.getNorth(), 90)];
    }
    var asked = null;
    function load() {
        if (!map.hasLayer(layer)) { return; }
        var zoom = map.getZoom();
        var box = (extent || snapped(map.getBounds(), zoom)).map(
            function (v) { return v.toFixed(5); });
        var q = url + (url.indexOf("?") < 0 ? "?" : "&") + "bbox=" + box.join(",") +
            "&zoom=" + zoom;
        if (q === asked) { return; }
        asked = q;
        var mine = ++seq, t0 = performance.now();
        fetch(q, {credentials: "same-origin", headers: {"Accept": "application/geo+json"}})
            .then(function (r) {
                if (!r.ok) { throw new Error("HTTP " + r.status); }
                return r.json();
            })
            .then(function (fc) {
                if (mine !== seq) { return; }
                var t1 = performance.now();
                layer.clearLayers();
                layer.addData(fc);
                map.getContainer().setAttribute("data-layer-" + role + "-ms",
                    Math.round(t1 - t0) + "+" + Math.round(performance.now() - t1));
                showNote(fc.numberReturned < fc.numberMatched ? {{ this.note_json }} : "");
                map.getContainer().setAttribute("data-layer-" + role, String(fc.numberReturned));
                layer.fire("pasture:loaded");
            })
            .catch(function (e) {
                if (mine === seq) { asked = null; }  // asked again at the next move
                map.getContainer().setAttribute("data-layer-" + role + "-error", String(e));
            });
    }
    map.on(extent ? "zoomend" : "moveend", load);
    layer.on("add", load);
    // switched off and on again: draw what is in view now, even if it was asked before
    layer.on("remove", function () { asked = null; });
    return layer;
})({{ this._parent.get_name() }});
{% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
{% endmacro %}
"""
    )

    def __init__(
        self,
        url: str,
        *,
        name: str,
        role: str,
        styles: dict[str, dict[str, Any]],
        popup_labels: list[str] | None = None,
        note: str = "",
        show: bool = True,
        extent: tuple[float, float, float, float] | None = None,
        canvas: bool = True,
        tooltips: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RemoteFeatureLayer"
        self.extent_json = script_json(list(extent) if extent else None)
        self.snap_json = script_json(SNAP_LEVELS)
        self.canvas_json = script_json(canvas)
        self.tooltips_json = script_json(tooltips)
        self.role = role
        self.url_json = script_json(url)
        self.role_json = script_json(role)
        self.note_json = script_json(note)
        self.styles_json = script_json(styles)
        self.labels_json = script_json([esc(label) for label in popup_labels or []])


class Legend(MacroElement):
    """A legend box in a map corner: sections of coloured swatches with translated labels.

    ``sections`` is a list of ``(title, [(colour, label, kind), ...])`` with
    ``kind`` one of ``fill``, ``line``, ``point`` or ``outline``; or an
    ``(title, html)`` pair with ready, escaped HTML (the NDVI ramp).
    """

    _template = Template(
        """
{% macro header(this, kwargs) %}
<style>
.pasture-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 0 6px rgba(0,0,0,0.3); font: 12px/1.35 system-ui, sans-serif; max-height: 60vh;
  overflow-y: auto; }
.pasture-legend h4 { margin: 4px 0 2px; font-size: 12px; }
.pasture-legend i { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  vertical-align: middle; border: 1px solid #555; }
.pasture-legend i.line { height: 0; border-width: 2px 0 0 0; }
.pasture-legend i.point { width: 9px; height: 9px; border-radius: 50%; }
.pasture-legend i.outline { background: transparent !important; border-width: 2px; }
.pasture-note { background: rgba(255,255,255,0.92); padding: 4px 8px; border-radius: 4px;
  font: 12px/1.35 system-ui, sans-serif; }
.pasture-popup th { text-align: left; padding-right: 8px; vertical-align: top; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
{{ this.get_name() }}.onAdd = function (map) {
    var div = L.DomUtil.create("div", "pasture-legend");
    div.innerHTML = {{ this.html_json }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(
        self,
        sections: list[tuple[str, list[tuple[str, str, str]] | str]],
        *,
        title: str,
        position: str = "bottomright",
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        self.html = legend_html(sections, title=title)
        self.html_json = script_json(self.html)


def legend_html(sections: list[tuple[str, list[tuple[str, str, str]] | str]], *, title: str) -> str:
    """The legend's inner HTML (all labels escaped)."""
    parts = [f'<div class="pasture-legend-body" aria-label="{esc(title)}">']
    for heading, entries in sections:
        parts.append(f"<h4>{esc(heading)}</h4>")
        if isinstance(entries, str):
            parts.append(entries)
            continue
        for colour, label, kind in entries:
            css = (
                f"border-color:{esc(colour)}"
                if kind in ("line", "outline")
                else f"background:{esc(colour)}"
            )
            parts.append(f'<div><i class="{esc(kind)}" style="{css}"></i>{esc(label)}</div>')
    parts.append("</div>")
    return "".join(parts)


class DataAttribution(MacroElement):
    """Where the drawn data come from, in the map's attribution corner (beside the basemap's).

    ``text`` is plain text (escaped here); a page without a basemap still credits its data.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text_json }});
{% endmacro %}
"""
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "DataAttribution"
        self.text_json = script_json(esc(text))
