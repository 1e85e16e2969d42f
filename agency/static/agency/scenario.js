// Draws every <div data-figure="JSON"> (a plotly figure in the attribute: htmx inserts no script
// element, so the figure cannot travel in a <script type="application/json">),
// on load and again after htmx swaps in a new scenario result (no page reload). The table beside
// each chart holds the same figures; without JavaScript the form loads the whole page instead.
(function () {
  "use strict";
  var PHONE = 480; // px: below this a chart's container is a phone's width (rohstoff.css)
  var LINE = 15; // px of one line of a name at plotly's 12 px font

  // The heat map on a phone: each material's name above its row of squares, across the chart's
  // width, instead of in a left margin that cut a long name at the chart's edge and left the
  // squares a sliver (docs/charts.md, "On a phone"). The gap between rows holds the name.
  function namesAboveRows(el, figure) {
    var layout = figure.layout, trace = figure.data[0];
    if (el.clientWidth >= PHONE || !trace || trace.type !== "heatmap" || !(trace.y || []).length) return;
    var names = trace.y, gap = LINE + 6;
    var margin = Object.assign({t: 16, b: 60}, layout.margin, {l: 8});
    var band = (layout.height - margin.t - margin.b) / names.length + gap;
    layout.height += names.length * gap;
    layout.margin = margin;
    trace.ygap = gap;
    layout.yaxis = Object.assign({}, layout.yaxis, {showticklabels: false, ticks: "", automargin: false, type: "category"});
    // The name's foot sits on its squares: half a band above the row's middle, less half the gap.
    layout.annotations = (layout.annotations || []).concat(names.map(function (name) {
      return {
        text: name, showarrow: false, align: "left",
        xref: "paper", x: 0, xanchor: "left",
        yref: "y", y: name, yanchor: "bottom", yshift: (band - gap) / 2 + 1,
        font: {size: 12}
      };
    }));
  }

  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var figure = JSON.parse(el.getAttribute("data-figure"));
      namesAboveRows(el, figure);
      // The box takes the figure's height once known (the stylesheet reserves 22rem before).
      if (figure.layout.height) el.style.minHeight = figure.layout.height + "px";
      window.Plotly.newPlot(el, figure.data, figure.layout, {displayModeBar: false, responsive: true})
        .then(function () { el.setAttribute("data-chart-drawn", "true"); });
    });
  }
  if (document.readyState !== "loading") draw(); else document.addEventListener("DOMContentLoaded", draw);
  // An outerHTML swap replaces the target: draw again once the new content has settled.
  document.addEventListener("htmx:afterSettle", function () { draw(); });
})();
