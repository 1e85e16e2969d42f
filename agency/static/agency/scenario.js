// Draws every <div data-figure="JSON"> (a plotly figure in the attribute: htmx inserts no script
// element, so the figure cannot travel in a <script type="application/json">),
// on load and again after htmx swaps in a new scenario result (no page reload). Drawing itself,
// with what a phone needs, is charts.js's (RohstoffCharts.plot, docs/charts.md). The table beside
// each chart holds the same figures; without JavaScript the form loads the whole page instead.
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly || !window.RohstoffCharts) return;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      window.RohstoffCharts.plot(el, JSON.parse(el.getAttribute("data-figure")));
    });
  }
  if (document.readyState !== "loading") draw(); else document.addEventListener("DOMContentLoaded", draw);
  // An outerHTML swap replaces the target: draw again once the new content has settled.
  document.addEventListener("htmx:afterSettle", function () { draw(); });
})();
