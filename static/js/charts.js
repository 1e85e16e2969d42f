// Draws every <div data-chart="ID"> from the figure JSON in <script id="ID" type="application/json">.
// The data table beside each chart holds the same numbers; without JavaScript the tables remain.
// One script for every chart page; the figures come from rohstoff.core.charts (docs/charts.md).
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {displayModeBar: false, responsive: true})
        .then(function () { el.setAttribute("data-chart-drawn", "true"); });
    });
  }
  if (document.readyState !== "loading") draw(); else document.addEventListener("DOMContentLoaded", draw);
})();
