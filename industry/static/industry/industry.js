// Demand pages: narrowing a list of checkboxes as the user types (the round form's materials).
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-filter-list]")) return;
    var list = document.querySelector(input.getAttribute("data-filter-list"));
    if (!list) return;
    var needle = input.value.trim().toLowerCase();
    list.querySelectorAll("[data-filter-text]").forEach(function (item) {
      var checked = item.querySelector("input:checked");
      item.hidden = needle !== "" && !checked && item.getAttribute("data-filter-text").indexOf(needle) === -1;
    });
  });
})();
