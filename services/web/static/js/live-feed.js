/* The rater's team feed, live: the page's list receives each new or decided activity as the
   server renders it (the web process relays reporting's feed; EventSource resumes after a lost
   connection with the last id it got). Without this file the page lists recent activity and has
   a refresh link. */
(function () {
  "use strict";
  var list = document.querySelector("[data-live-feed]");
  if (!list || !window.EventSource) { return; }
  var status = document.getElementById("feed-status");

  function say(attribute) {
    if (status) { status.textContent = status.getAttribute(attribute) || ""; }
  }

  var source = new EventSource(list.getAttribute("data-live-feed"));
  source.addEventListener("open", function () { say("data-live-text"); });
  source.addEventListener("error", function () { say("data-waiting-text"); });
  source.addEventListener("activity", function (event) {
    var template = document.createElement("template");
    template.innerHTML = event.data.trim();
    var item = template.content.firstElementChild;
    if (!item || !item.id) { return; }
    var shown = document.getElementById(item.id);
    if (shown) {
      shown.replaceWith(item);
    } else {
      list.insertBefore(item, list.firstElementChild);
    }
    var empty = document.getElementById("feed-empty");
    if (empty) { empty.remove(); }
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
