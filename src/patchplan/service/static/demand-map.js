// The providers' live-demand map: the published cells' shapes (GeoJSON from
// /api/demand, no personal data), coloured by hours a week. No tiles: the
// service's content security policy keeps every request on this server.
(function () {
  "use strict";
  function colour(hours, top) {
    var t = top > 0 ? Math.min(1, hours / top) : 0;
    var stops = [[255, 255, 204], [253, 141, 60], [189, 0, 38]];
    var i = t < 0.5 ? 0 : 1, u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
    var c = stops[i].map(function (a, k) { return Math.round(a + (stops[i + 1][k] - a) * u); });
    return "rgb(" + c.join(",") + ")";
  }
  function draw(el, data) {
    var map = L.map(el, { attributionControl: true });
    map.attributionControl.addAttribution("Boundaries: ONS, OS (OGL)");
    var units = {};
    (data.geojson.features || []).forEach(function (f) {
      if (!f.geometry) { return; }
      var p = f.properties || {};
      var key = p.level + ":" + p.unit;
      if (!units[key]) { units[key] = { geometry: f.geometry, name: p.unit_name, hours: 0, district: p.level === "district" }; }
      units[key].hours += Number(p.hours_week) || 0;
    });
    var list = Object.keys(units).map(function (k) { return units[k]; });
    var top = Math.max.apply(null, list.map(function (u) { return u.hours; }).concat([1]));
    var layer = L.geoJSON(list.map(function (u) {
      return { type: "Feature", geometry: u.geometry, properties: { name: u.name, hours: u.hours, district: u.district } };
    }), {
      style: function (f) {
        return { color: "#555", weight: f.properties.district ? 2 : 1, fillColor: colour(f.properties.hours, top),
                 fillOpacity: f.properties.district ? 0.35 : 0.7 };
      },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name + ": " + f.properties.hours.toFixed(1) + " h a week"); }
    }).addTo(map);
    if (list.length) { map.fitBounds(layer.getBounds()); } else { map.setView([51.8, 0.6], 9); }
    el.setAttribute("data-drawn", String(list.length));
  }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("demand-map");
    if (!el || typeof L === "undefined") { return; }
    fetch(el.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { draw(el, data); })
      .catch(function () { el.textContent = "The map could not be loaded."; });
  });
})();
