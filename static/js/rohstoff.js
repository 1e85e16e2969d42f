// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    // Mobile navigation toggle.
    var toggle = document.querySelector("[data-nav-toggle]");
    var sidebar = document.getElementById("sidebar");
    if (toggle && sidebar) {
      toggle.addEventListener("click", function () {
        var open = sidebar.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    // Confirm destructive actions: <form data-confirm="..."> or a submit button with it; with
    // data-confirm-if="selector" on the form, only when something in the form matches it.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var source = event.submitter && event.submitter.hasAttribute("data-confirm") ? event.submitter : form;
      var message = source.getAttribute && source.getAttribute("data-confirm");
      var condition = form.getAttribute && form.getAttribute("data-confirm-if");
      if (condition && !form.querySelector(condition)) return;
      if (message && !window.confirm(message)) event.preventDefault();
    }, true);
    // The error summary (templates/forms/error_summary.html): focused when the page loads, so
    // that screen readers read it first; its links move the focus to the field they name.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest && event.target.closest("a[href^='#']");
        var field = link && document.getElementById(link.getAttribute("href").slice(1));
        if (!field) return;
        event.preventDefault();
        var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
        var label = legend || document.querySelector("label[for='" + field.id + "']") || field;
        label.scrollIntoView();
        field.focus({ preventScroll: true });
      });
    }
    // A figure table under its chart, <details class="more" open data-fold-on-phone>: open on a
    // wider screen (the stylesheet hides its summary there) and folded on a phone, where its chart
    // shows the same numbers and its cards pushed the rest of the page thousands of pixels down
    // (docs/tables.md). Without this script it stays open. A table its reader opened stays open
    // when the phone turns (data-unfolded, set by a click on its summary, keyboard included).
    var phone = window.matchMedia("(max-width: 480px)");
    function foldOnPhone() {
      document.querySelectorAll("details[data-fold-on-phone]").forEach(function (el) {
        el.open = !phone.matches || el.hasAttribute("data-unfolded");
      });
    }
    foldOnPhone();
    phone.addEventListener("change", foldOnPhone);
    document.addEventListener("click", function (event) {
      var summary = event.target.closest && event.target.closest("details[data-fold-on-phone] > summary");
      if (summary) summary.parentElement.toggleAttribute("data-unfolded", !summary.parentElement.open);
    });
    // Countdowns: <time data-countdown datetime="ISO">; updates the text once a minute.
    function renderCountdowns() {
      document.querySelectorAll("[data-countdown]").forEach(function (el) {
        var end = new Date(el.getAttribute("datetime"));
        var ms = end - new Date();
        var lang = document.documentElement.lang || "de";
        var de = lang.indexOf("de") === 0;
        if (ms <= 0) { el.textContent = de ? "abgelaufen" : "closed"; return; }
        var min = Math.floor(ms / 60000), d = Math.floor(min / 1440), h = Math.floor((min % 1440) / 60), m = min % 60;
        var parts = [];
        if (d) parts.push(d + (de ? (d === 1 ? " Tag" : " Tage") : (d === 1 ? " day" : " days")));
        if (d || h) parts.push(h + (de ? " Std." : " h"));
        if (!d) parts.push(m + (de ? " Min." : " min"));
        el.textContent = (de ? "noch " : "") + parts.join(" ") + (de ? "" : " left");
      });
    }
    renderCountdowns();
    window.setInterval(renderCountdowns, 60000);
  });
})();
