// Accessibility repairs for Swagger UI (third-party, rendered by React after load): name the
// controls it leaves unnamed and make its scrolling code samples reachable by keyboard.
(function () {
  "use strict";
  function repair(root) {
    root.querySelectorAll(".parameters-col_description select:not([aria-label])").forEach(function (select) {
      var row = select.closest("tr");
      var name = row && row.getAttribute("data-param-name");
      select.setAttribute("aria-label", name ? name : "value");
    });
    root.querySelectorAll("select:not([aria-label]):not([id])").forEach(function (select) {
      var label = select.closest("label");
      if (!label) select.setAttribute("aria-label", select.className || "option");
    });
    root.querySelectorAll(".example, .highlight-code pre, .microlight").forEach(function (block) {
      if (!block.hasAttribute("tabindex")) {
        block.setAttribute("tabindex", "0");
        block.setAttribute("role", "region");
        block.setAttribute("aria-label", "example");
      }
    });
  }
  var target = document.getElementById("swagger-ui");
  if (!target) return;
  new MutationObserver(function () { repair(target); }).observe(target, { childList: true, subtree: true });
})();
