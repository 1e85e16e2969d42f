// Draws every <div data-chart="ID"> from the figure JSON in <script id="ID" type="application/json">.
// The data table beside each chart holds the same numbers; without JavaScript the tables remain.
// One script for every chart page; the figures come from rohstoff.core.charts (docs/charts.md).
(function () {
  "use strict";
  var PHONE = 480; // px: below this a chart's container is a phone's width (rohstoff.css)
  var LINE = 15; // px of one line of a category's name at plotly's 12 px font

  // A horizontal bar chart on a phone: each category's name above its bars, across the chart's
  // whole width, instead of in a left margin that left the bars a sliver and cut the axis title
  // off at the chart's edge (docs/charts.md, "On a phone").
  function namesAboveBars(el, figure) {
    var layout = figure.layout;
    var bars = figure.data.length > 0 && figure.data.every(function (t) {
      return t.type === "bar" && t.orientation === "h";
    });
    if (!bars || el.clientWidth >= PHONE) return;
    var names = [];
    figure.data.forEach(function (t) {
      (t.y || []).forEach(function (name) { if (names.indexOf(name) < 0) names.push(name); });
    });
    if (!names.length) return;
    var lines = Math.max.apply(null, names.map(function (n) { return String(n).split("<br>").length; }));
    var gap = lines * LINE + 10;
    var margin = Object.assign({l: 16, r: 16, t: 16, b: 40}, layout.margin, {l: 8});
    layout.height = (layout.height || 300) + names.length * gap;
    var band = (layout.height - margin.t - margin.b) / names.length;
    layout.margin = margin;
    layout.bargap = Math.min(0.8, gap / band);
    layout.yaxis = Object.assign({}, layout.yaxis, {showticklabels: false, automargin: false, type: "category"});
    // The name's foot sits on the top of its category's bars: half the band above its middle,
    // less the gap.
    var shift = band / 2 - (layout.bargap * band) / 2 + 2;
    layout.annotations = (layout.annotations || []).concat(names.map(function (name) {
      return {
        text: name, showarrow: false, align: "left",
        xref: "paper", x: 0, xanchor: "left",
        yref: "y", y: name, yanchor: "bottom", yshift: shift,
        font: {size: 12}
      };
    }));
  }

  // A name above a panel (the dashboards' one panel per material) starts at the chart's left
  // edge on a phone, not at the plot's, where the axis margin pushed a long name past the
  // chart's right edge.
  function namesFromEdge(el, figure) {
    var layout = figure.layout, margin = layout.margin || {};
    var plot = el.clientWidth - (margin.l || 0) - (margin.r || 0);
    if (el.clientWidth >= PHONE || !layout.annotations || !(margin.l > 16) || plot <= 0) return;
    layout.annotations.forEach(function (note) {
      if (note.xref === "paper" && note.xanchor === "left" && note.x === 0) {
        note.x = -(margin.l - 8) / plot;
      }
    });
  }

  // A heat map on a phone (the export-stop scenario): each row's name above its squares, in the
  // gap between rows, instead of in a left margin that cut a long name at the chart's edge and
  // left the squares a sliver.
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

  // Draws ``figure`` into ``el`` as this screen needs it. The one way every chart is drawn, also
  // the scenario's (agency/static/agency/scenario.js), whose figure htmx brings in an attribute.
  function plot(el, figure) {
    namesAboveBars(el, figure);
    namesAboveRows(el, figure);
    namesFromEdge(el, figure);
    // The stylesheet reserves a chart's room before it is drawn (.chart's min-height); once the
    // figure's height is known the box takes exactly that, so that a lower chart leaves no blank
    // band under it (docs/charts.md).
    if (figure.layout.height) el.style.minHeight = figure.layout.height + "px";
    return window.Plotly.newPlot(el, figure.data, figure.layout, {displayModeBar: false, responsive: true})
      .then(function () { el.setAttribute("data-chart-drawn", "true"); });
  }
  window.RohstoffCharts = {plot: plot};

  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (source) plot(el, JSON.parse(source.textContent));
    });
  }
  if (document.readyState !== "loading") draw(); else document.addEventListener("DOMContentLoaded", draw);
})();
