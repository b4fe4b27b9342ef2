/* The employee app's service worker (served as /saya/sw.js, scope /saya/). The web process puts
   CACHE, PRECACHE, APP_START, SYNC_TAG and QUEUE_SCRIPT above this line. */
/* global CACHE, PRECACHE, APP_START, SYNC_TAG, QUEUE_SCRIPT, KinerjaQueue */
"use strict";
importScripts(QUEUE_SCRIPT);

/* The activity page is kept only when it is the page itself (not the sign-in page it may redirect to). */
function keepPage(cache, request, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    return cache.put(request, response.clone());
  }
  return Promise.resolve();
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE).then(function () {
      return fetch(APP_START, { credentials: "same-origin" }).then(function (response) {
        return keepPage(cache, APP_START, response);
      }, function () { /* offline while installing: the page is kept at its next visit */ });
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("kinerja-asn-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    /* Pages: the network first (they show live data), the kept copy when there is no network. */
    event.respondWith(fetch(request).then(function (response) {
      var copy = response.clone();
      event.waitUntil(caches.open(CACHE).then(function (cache) { return keepPage(cache, request, copy); }));
      return response;
    }, function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true }).then(function (kept) {
          return kept || cache.match(APP_START);
        });
      }).then(function (kept) { return kept || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    /* Static files have their version in the address: the kept copy never goes stale. */
    event.respondWith(caches.match(request).then(function (kept) {
      return kept || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.put(request, copy); }));
        }
        return response;
      });
    }));
  }
});

function tellPages() {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (pages) {
    pages.forEach(function (page) { page.postMessage({ type: "queue-changed" }); });
  });
}

/* Background Sync: the browser wakes the worker when the connection returns, even with the app closed.
   A rejection asks the browser to try again later. */
self.addEventListener("sync", function (event) {
  if (event.tag === SYNC_TAG) {
    event.waitUntil(KinerjaQueue.sync().then(function (state) {
      return tellPages().then(function () {
        if (state.pending) { throw new Error("reports still waiting"); }
      });
    }));
  }
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "sync") {
    event.waitUntil(KinerjaQueue.sync().then(tellPages, tellPages));
  }
});
