/* The employee app's queue of activity reports in IndexedDB, used by the page and the service worker.
   Each report keeps its client-generated activity_id from the moment it is saved: reporting answers a
   resend with the same id as a duplicate, so a retry never makes a second activity. States:
   queued (not sent yet), photo (accepted, its photo still to upload), synced, refused (with reason). */
(function (scope) {
  "use strict";
  var DB_NAME = "kinerja-asn";
  var SYNC_URL = "/saya/kegiatan/sinkron";
  var BATCH = 50;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("reports")) { db.createObjectStore("reports", { keyPath: "activity_id" }); }
        if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta", { keyPath: "key" }); }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  /* One transaction; resolves once it is committed (a report is on the phone before we say so). */
  function run(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(store, mode);
        var request = work(transaction.objectStore(store));
        var result;
        if (request) { request.onsuccess = function () { result = request.result; }; }
        transaction.oncomplete = function () { db.close(); resolve(result); };
        transaction.onerror = transaction.onabort = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function SyncFailed(reason) { this.reason = reason; }

  var Queue = {
    add: function (report) { return run("reports", "readwrite", function (store) { return store.add(report); }); },
    put: function (report) { return run("reports", "readwrite", function (store) { return store.put(report); }); },
    all: function () {
      return run("reports", "readonly", function (store) { return store.getAll(); }).then(function (reports) {
        return (reports || []).sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
      });
    },
    setMeta: function (key, value) {
      return run("meta", "readwrite", function (store) { return store.put({ key: key, value: value }); });
    },
    meta: function (key) {
      return run("meta", "readonly", function (store) { return store.get(key); }).then(function (row) {
        return row ? row.value : null;
      });
    },
    SyncFailed: SyncFailed
  };

  function post(url, body, headers) {
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        /* A redirect is the sign-in page: the session ended. Keep everything and try again later. */
        if (response.type === "opaqueredirect") { throw new SyncFailed("signin"); }
        return response;
      }, function () { throw new SyncFailed("offline"); });
  }

  function sendReports(reports) {
    return Queue.meta("csrf").then(function (csrf) {
      var body = JSON.stringify({ items: reports.map(function (report) { return report.item; }) });
      return post(SYNC_URL, body, { "Content-Type": "application/json", "X-CSRF-Token": csrf || "" });
    }).then(function (response) {
      if (!response.ok) { throw new SyncFailed(response.status === 403 ? "csrf" : "server"); }
      return response.json();
    }).then(function (answer) {
      var byId = {};
      answer.items.forEach(function (outcome) { byId[outcome.activity_id] = outcome; });
      return reports.reduce(function (done, report) {
        var outcome = byId[report.activity_id];
        if (!outcome) { return done; }
        if (outcome.outcome === "rejected") {
          /* Refused for good (the same content would be refused again): never resent. */
          report.state = "refused";
          report.reason_id = outcome.message_id;
          report.reason_en = outcome.message_en;
          report.photo = null;
        } else {
          report.state = report.photo ? "photo" : "synced";
        }
        report.updated_at = new Date().toISOString();
        return done.then(function () { return Queue.put(report); });
      }, Promise.resolve());
    });
  }

  function sendPhoto(report) {
    return Queue.meta("csrf").then(function (csrf) {
      var form = new FormData();
      form.append("csrf_token", csrf || "");
      form.append("photo", report.photo, report.activity_id + ".jpg");
      return post("/saya/kegiatan/" + encodeURIComponent(report.activity_id) + "/bukti", form, {});
    }).then(function (response) {
      if (response.ok || (response.status >= 400 && response.status < 500 && response.status !== 403 && response.status !== 429)) {
        return (response.ok ? Promise.resolve(null) : response.json().catch(function () { return {}; })).then(function (answer) {
          if (answer && answer.error) {
            report.photo_reason_id = answer.error.message_id || answer.error.message;
            report.photo_reason_en = answer.error.message_en || answer.error.message;
          }
          report.state = "synced";
          report.photo = null;
          report.updated_at = new Date().toISOString();
          return Queue.put(report);
        });
      }
      throw new SyncFailed(response.status === 403 ? "csrf" : "server");
    });
  }

  function syncOnce() {
    return Queue.all().then(function (reports) {
      var waiting = reports.filter(function (report) { return report.state === "queued"; }).slice(0, BATCH);
      return waiting.length ? sendReports(waiting) : null;
    }).then(function () { return Queue.all(); }).then(function (reports) {
      return reports.filter(function (report) { return report.state === "photo"; }).reduce(function (done, report) {
        return done.then(function () { return sendPhoto(report); });
      }, Promise.resolve());
    }).then(function () { return Queue.all(); }).then(function (reports) {
      return { pending: reports.some(function (r) { return r.state === "queued" || r.state === "photo"; }) };
    });
  }

  /* One sync at a time across the page and the worker (Web Locks where the browser has them). */
  Queue.sync = function () {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request("kinerja-asn-sync", function () { return syncOnce(); });
    }
    return syncOnce();
  };

  scope.KinerjaQueue = Queue;
})(self);
