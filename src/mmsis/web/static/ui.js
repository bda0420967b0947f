// mmsis workspace: a wide table scrolls inside its box; when it does, the box can take the
// keyboard focus (arrow keys scroll it) and is announced by its table's caption (WCAG 2.1.1).
(function () {
  function mark(root) {
    (root || document).querySelectorAll(".table-scroll, .chart-box").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth;
      if (wide && !box.hasAttribute("tabindex")) {
        var cap = box.querySelector("caption, title");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (cap ? cap.textContent.trim() : "Wide content") + " (scrolls sideways)");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { mark(); });
  window.addEventListener("load", function () { mark(); });
  window.addEventListener("resize", function () { mark(); });
  document.addEventListener("htmx:afterSwap", function (e) { mark(e.target); });
})();
