// Draws every <div data-chart="ID"> from the figure JSON in <script id="ID" type="application/json">.
// The data table beside each chart holds the same numbers; without JavaScript the tables remain.
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {displayModeBar: false, responsive: true});
    });
  }
  if (document.readyState !== "loading") draw(); else document.addEventListener("DOMContentLoaded", draw);
})();
