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

  /* A photo chosen for upload is made smaller on the phone first (longest side data-resize-to
     pixels, JPEG): quicker on a slow connection. Without this, the file is sent as it is. */
  document.addEventListener("change", function (event) {
    var input = event.target;
    var limit = input && input.getAttribute ? parseInt(input.getAttribute("data-resize-to"), 10) : 0;
    if (!limit || !input.files || !input.files[0] || !window.createImageBitmap || !window.DataTransfer) { return; }
    var original = input.files[0];
    createImageBitmap(original).then(function (bitmap) {
      var scale = Math.min(1, limit / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= original.size) { return; }
        var resized = new DataTransfer();
        resized.items.add(new File([blob], original.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
        input.files = resized.files;
      }, "image/jpeg", 0.8);
    }).catch(function () { /* not an image the browser can read: sent as it is */ });
  });

  /* Print buttons (posters, documents). */
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-print]") : null;
    if (target) { event.preventDefault(); window.print(); }
  });
})();
