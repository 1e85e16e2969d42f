// Draws every <div data-chart="ID"> from the figure JSON in <script id="ID" type="application/json">,
// on load and again after htmx swaps in a new scenario result (no page reload). The table beside
// each chart holds the same figures; without JavaScript the form loads the whole page instead.
(function () {
  "use strict";
  function draw(root) {
    if (!window.Plotly) return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {displayModeBar: false, responsive: true});
    });
  }
  if (document.readyState !== "loading") draw(); else document.addEventListener("DOMContentLoaded", function () { draw(); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
})();
