"""The rotation map's controls: week slider with dates, herd search, moves, labels, plot schedule.

One inline script (no library beyond Leaflet): every week's state travels
with the plots, so switching weeks restyles the layer without a request. The plots
are written into the page or fetched by view with their weeks (``/layers/plots?plan=…``,
one character a week: :func:`pasture.maps.rotation.compact_weeks`); the script decodes,
binds and restyles them whenever the layer has loaded.
"""

from __future__ import annotations

from typing import Any

import folium

from .page import FeatureLayer, RemoteFeatureLayer, script_json

__all__ = ["LABEL_LIMIT", "LABEL_ZOOM", "NOT_USED", "OUT_OF_SEASON", "RESTING", "WeekSelector"]

#: Week state codes in the rotation page's data (herd indices are >= 0).
RESTING, OUT_OF_SEASON, NOT_USED = -1, -2, -3

#: From this zoom on, the grazed plots of the week carry their herd's name on the map.
#: With ~1,000 herds (the village flocks) a label is drawn only where it collides with
#: none already drawn, at most :data:`LABEL_LIMIT` in view, so the district's view stays
#: legible and a closer zoom shows every grazed plot's herd. Display choices.
LABEL_ZOOM = 10

#: Most herd labels drawn at once, whatever the zoom (a display choice: beyond ~60 short
#: labels a 1200 × 800 map reads as text, not as a map).
LABEL_LIMIT = 60

_SCRIPT = """
(function (layer, map, D) {
    var current = D.start, focus = -1;
    var moves = L.layerGroup().addTo(map), labels = L.layerGroup().addTo(map);
    function colour(s) {
        if (s >= 0) return D.herds[s].c;
        return s === -1 ? D.colours.resting : (s === -2 ? D.colours.out : D.colours.unused);
    }
    // a fetched layer's week states come as one character a week (rotation.compact_weeks):
    // turned into numbers once per plot as the layer loads
    function decode(p) {
        if (typeof p.w !== "string") return;
        var w = new Array(p.w.length), idle = D.codes.idle, herds = D.codes.herds;
        for (var i = 0; i < p.w.length; i++) {
            var c = p.w.charAt(i), k = idle.indexOf(c);
            w[i] = k >= 0 ? -1 - k : p.h[herds.indexOf(c)];
        }
        p.w = w;
    }
    function herdsAt(p, i) {
        var s = p.w[i];
        if (s < 0) return [];
        return (p.m && p.m[String(i)]) || [s];
    }
    function style(f) {
        var s = Object.assign({}, D.base), p = f.properties, here = herdsAt(p, current);
        s.fillColor = colour(p.w[current]);
        if (p.w[current] === -3) s.fillOpacity = 0.25;
        if (here.length > 1) { s.color = D.herds[here[1]].c; s.weight = 3; s.dashArray = "4 3"; }
        if (focus >= 0 && here.indexOf(focus) >= 0) { s.color = "#000"; s.weight = 4; s.dashArray = null; }
        return s;
    }
    function stateText(p, i) {
        var s = p.w[i];
        if (s >= 0) return D.text.grazing.replace("{herd}", herdsAt(p, i).map(function (h) { return D.herds[h].n; }).join(", "));
        return s === -1 ? D.text.resting : (s === -2 ? D.text.out : D.text.unused);
    }
    function esc(t) { var d = document.createElement("div"); d.textContent = t; return d.innerHTML; }
    function schedule(p) {
        var rows = [], last = null;
        p.w.forEach(function (s, i) {
            var key = herdsAt(p, i).join(",") || String(s);
            if (last && last.key === key) { last.to = i; } else { last = {key: key, from: i, to: i}; rows.push(last); }
        });
        return rows.filter(function (r) { return r.key.charAt(0) !== "-"; }).map(function (r) {
            return "<tr><th>" + esc(D.starts[r.from] + " \\u2013 " + D.ends[r.to]) + "</th><td>" +
                esc(stateText(p, r.from)) + "</td></tr>";
        }).join("");
    }
    // one tooltip and one popup for the whole layer, filled for the plot under the
    // pointer: nothing to bind per plot when the layer (re)loads
    layer.bindTooltip(function (l) {
        var p = l.feature.properties;
        return esc(p.t) + "<br>" + esc(stateText(p, current));
    }, {sticky: true});
    layer.bindPopup(function (l) {
        var p = l.feature.properties, rows = schedule(p);
        return "<div class='pasture-popup'><b>" + esc(p.t) + "</b>" +
            (p.l ? "<br>" + esc(p.l) : "") + "<table>" +
            (rows || "<tr><td>" + esc(D.text.unused) + "</td></tr>") + "</table></div>";
    }, {maxWidth: 360});
    function bind() {
        // plots written into the page come with a tooltip of their own: the layer's shows
        layer.eachLayer(function (l) { l.unbindTooltip(); l.unbindPopup(); decode(l.feature.properties); });
    }
    function weekPlots(i, herd) {
        var out = [];
        layer.eachLayer(function (l) {
            var here = herdsAt(l.feature.properties, i);
            if (herd === undefined ? here.length : here.indexOf(herd) >= 0) out.push(l);
        });
        return out;
    }
    function drawMoves(i) {
        moves.clearLayers();
        if (i === 0) return;
        var before = {}, after = {};
        layer.eachLayer(function (l) {
            var p = l.feature.properties;
            if (!p.c) return;
            herdsAt(p, i - 1).forEach(function (h) { before[h] = p.c; });
            herdsAt(p, i).forEach(function (h) { after[h] = p.c; });
        });
        Object.keys(after).forEach(function (h) {
            var a = before[h], b = after[h];
            if (!a || (a[0] === b[0] && a[1] === b[1])) return;
            L.polyline([a, b], {color: D.herds[h].c, weight: 2.5, dashArray: "6 4",
                className: "pasture-move", interactive: false}).addTo(moves);
            L.circleMarker(b, {radius: 4, color: D.herds[h].c, fillOpacity: 1,
                className: "pasture-move-end", interactive: false}).addTo(moves);
        });
    }
    function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
    var measure = document.createElement("canvas").getContext("2d");
    measure.font = "11px system-ui, sans-serif";  // the labels' type (.pasture-herd-label)
    function drawLabels() {
        // the week's grazed plots in view, each with its herds' short names, where the label
        // collides with none drawn before it (the layer's order: largest plots first)
        labels.clearLayers();
        if (map.getZoom() < D.labelZoom) return;
        var view = map.getBounds(), placed = [];
        layer.eachLayer(function (l) {
            var p = l.feature.properties, here = herdsAt(p, current);
            if (placed.length >= D.labelLimit || !here.length || !p.c || !view.contains(p.c)) return;
            var names = here.map(function (h) { return D.herds[h].s || D.herds[h].n; });
            // one name and a count of the others: a plot shared by several herds named them all
            // in one line that ran past the map's edge (the plot's popup lists every herd)
            var text = names.length > 1 ? names[0] + " +" + (names.length - 1) : names[0];
            // half the label's box: its text, 3px of padding and 2px apart; a line of 11px type
            var at = map.latLngToContainerPoint(p.c), w = measure.measureText(text).width / 2 + 5, h = 9;
            // the whole label inside the map (its centre in view is not enough near an edge)
            var box = [at.x - w, at.y - h, at.x + w, at.y + h], el = map.getContainer();
            if (box[0] < 0 || box[1] < 0 || box[2] > el.clientWidth || box[3] > el.clientHeight) return;
            if (placed.some(function (b) { return overlaps(box, b); })) return;
            placed.push(box);
            L.tooltip({permanent: true, direction: "center", className: "pasture-herd-label"})
                .setLatLng(p.c).setContent(esc(text)).addTo(labels);
        });
    }
    var select, range, dates;
    function show(i) {
        current = Math.max(0, Math.min(D.weeks.length - 1, i));
        select.value = String(current);
        range.value = String(current);
        dates.textContent = D.weeks[current];
        layer.setStyle(style);
        drawMoves(current);
        drawLabels();
    }
    function frame(list) {
        if (!list.length) return;
        var b = L.latLngBounds([]);
        list.forEach(function (l) { b.extend(l.getBounds()); });
        map.fitBounds(b, {padding: [20, 20], maxZoom: 13});
    }
    function seek(herd, widen) {
        // the first week from this one the herd grazes, framed on its plots
        var i = current, n = D.weeks.length, k;
        for (k = 0; k < n && !weekPlots(i, herd).length; k++) i = (i + 1) % n;
        if (k === n && widen && D.extent) {
            // none of the plots fetched for this view: view the plan's plots, then look again
            layer.once("pasture:loaded", function () { if (focus === herd) seek(herd, false); });
            var e = D.extent;
            map.fitBounds([[e[1], e[0]], [e[3], e[2]]]);
            return;
        }
        show(i);
        frame(weekPlots(i, herd));
    }
    function findHerd(name) {
        for (var h = 0; h < D.herds.length; h++) if (D.herds[h].n === name) return h;
        return -1;
    }
    var control = L.control({position: "topright"});
    control.onAdd = function () {
        var div = L.DomUtil.create("div", "pasture-weeks leaflet-bar");
        var row = L.DomUtil.create("div", "pasture-week-row", div);
        var prev = L.DomUtil.create("button", "pasture-week-prev", row);
        prev.type = "button"; prev.textContent = "\\u25C0"; prev.title = D.text.previous;
        prev.setAttribute("aria-label", D.text.previous);
        range = L.DomUtil.create("input", "pasture-week-range", row);
        range.type = "range"; range.min = "0"; range.max = String(D.weeks.length - 1);
        range.setAttribute("aria-label", D.text.week);
        var next = L.DomUtil.create("button", "pasture-week-next", row);
        next.type = "button"; next.textContent = "\\u25B6"; next.title = D.text.next;
        next.setAttribute("aria-label", D.text.next);
        dates = L.DomUtil.create("div", "pasture-week-dates", div);
        select = L.DomUtil.create("select", "pasture-week-select", div);
        select.setAttribute("aria-label", D.text.week);
        D.weeks.forEach(function (w, i) {
            var o = document.createElement("option");
            o.value = String(i); o.textContent = w; select.appendChild(o);
        });
        var search = L.DomUtil.create("input", "pasture-herd-search", div);
        search.type = "search"; search.placeholder = D.text.search;
        search.setAttribute("aria-label", D.text.search);
        search.setAttribute("list", "pasture-herd-names");
        var list = L.DomUtil.create("datalist", "", div);
        list.id = "pasture-herd-names";
        D.herds.forEach(function (h) { var o = document.createElement("option"); o.value = h.n; list.appendChild(o); });
        L.DomEvent.on(prev, "click", function () { show(current - 1); });
        L.DomEvent.on(next, "click", function () { show(current + 1); });
        L.DomEvent.on(range, "input", function () { show(parseInt(range.value, 10)); });
        L.DomEvent.on(select, "change", function () { show(parseInt(select.value, 10)); });
        L.DomEvent.on(search, "change", function () {
            focus = findHerd(search.value);
            if (focus >= 0) { seek(focus, true); } else { layer.setStyle(style); }
        });
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
    };
    control.addTo(map);
    map.on("zoomend moveend", drawLabels);
    // a fetched layer (RemoteFeatureLayer) fills later, and again at each zoom
    var framed = !!D.framed;  // a map fetched by view opens framed on the week's plots
    function loaded() {
        bind();
        show(current);
        if (!framed && layer.getLayers().length) { framed = true; frame(weekPlots(current)); }
    }
    layer.on("pasture:loaded", loaded);
    loaded();
    window.pastureShowWeek = show;
    window.pastureRotation = {herdsAt: herdsAt, layer: layer, moves: moves, labels: labels, herds: D.herds,
        weeks: function () { return D.weeks.length; },
        current: function () { return current; }, frame: function () { frame(weekPlots(current)); }};
})"""


class WeekSelector(folium.MacroElement):
    """Week slider, dates, herd search and plot schedule over a rotation plan's plot layer.

    ``data["herds"]`` lists each herd's label ``n`` (unique in the district), colour ``c``
    and, where shorter, ``s``: its name within its union, which the map's labels show.
    Each plot feature carries ``t`` (its label), ``w`` (its state per period:
    a herd index >= 0, :data:`RESTING`, :data:`OUT_OF_SEASON` or
    :data:`NOT_USED`; or, fetched, those as one character a period with ``h``, see
    :func:`pasture.maps.rotation.compact_weeks`), optionally ``m`` (``{period index: [herd indices]}``
    where several herds share a plot), ``c`` (``[lat, lon]`` of its centre,
    for moves and labels) and ``l`` (its load against the norm and capacity).
    ``window.pastureShowWeek(i)`` switches weeks from outside (tests, links).
    """

    _template = folium.template.Template(
        """
{% macro header(this, kwargs) %}
<style>
.pasture-weeks { background: #fff; padding: 4px 6px; max-width: min(22rem, calc(100vw - 60px)); }
.pasture-week-row { display: flex; gap: 4px; align-items: center; }
.pasture-week-range { flex: 1; min-width: 6rem; }
.pasture-week-dates { font-weight: bold; margin: 2px 0; }
.pasture-weeks select, .pasture-weeks input[type=search] { width: 100%; box-sizing: border-box; margin-top: 2px; }
.pasture-herd-label { background: rgba(255,255,255,.85); border: 0; box-shadow: none; padding: 0 3px;
  font: 11px/1.2 system-ui, sans-serif; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
{{ this.script }}({{ this.layer.get_name() }}, {{ this._parent.get_name() }}, {{ this.data_json }});
{% endmacro %}
"""
    )

    def __init__(self, layer: FeatureLayer | RemoteFeatureLayer, data: dict[str, Any]) -> None:
        super().__init__()
        self._name = "WeekSelector"
        self.layer = layer
        self.script = _SCRIPT
        self.data_json = script_json(data)
