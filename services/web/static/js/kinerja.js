/* Kinerja pages: small enhancements only; every form works without this file. */
(function () {
  "use strict";

  /* A form's submit button is disabled once pressed, so a double tap never sends it twice
     (the server refuses duplicates anyway). Coming back with the browser's back button re-enables it. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "");
    form.querySelectorAll("[data-prevent-double-click]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      form.querySelectorAll("[data-prevent-double-click]").forEach(function (button) {
        button.removeAttribute("aria-disabled");
      });
    });
  });

  /* The error summary takes the focus, so a screen reader announces it first. */
  function focusErrors(root) {
    var summary = (root || document).querySelector("[data-focus-on-load]");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
  document.addEventListener("htmx:afterSwap", function (event) { focusErrors(event.target); });

  /* Print buttons (posters, documents). */
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) { event.preventDefault(); window.print(); }
  });
})();
