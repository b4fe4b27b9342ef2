/* The employee app on the activity page: reports go into the phone's queue first (asn-queue.js),
   then to the server when there is a connection. Without this file the form posts as usual. */
(function () {
  "use strict";
  var Queue = window.KinerjaQueue;
  var form = document.querySelector("form[data-queue]");
  var list = document.querySelector("[data-queue-list]");
  var SYNC_TAG = "kinerja-asn-sync";
  var registration = null;
  var retryTimer = null;
  var attempts = 0;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/saya/sw.js", { scope: "/saya/" }).then(function (found) {
      registration = found;
    }, function () { /* the page still works; only the offline start is missing */ });
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "queue-changed") { render(); }
    });
  }
  if (!form || !list || !Queue || !window.indexedDB) { return; }

  var texts = list.dataset;
  var language = document.documentElement.lang;
  var csrfField = form.querySelector("input[name=csrf_token]");
  if (csrfField) { Queue.setMeta("csrf", csrfField.value); }

  /* A time-ordered UUIDv7 (RFC 9562): the millisecond (48 bits), version 7, the variant, random bits.
     Reporting, scoring and feedback key their activities on it: ids that grow with time are added at
     the end of those indexes, where random ones cost a page write each (session 33). */
  function timeOrderedId() {
    var bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) {
      crypto.getRandomValues(bytes);
    } else {  // very old browsers: the id only has to be unique to this employee's reports
      for (var r = 0; r < 16; r++) { bytes[r] = Math.floor(Math.random() * 256); }
    }
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) { bytes[i] = ms % 256; ms = Math.floor(ms / 256); }
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = "";
    for (var b = 0; b < 16; b++) { hex += (bytes[b] + 256).toString(16).slice(1); }
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  /* The moment on the phone's clock with its UTC offset, as reporting asks. */
  function localIso(d) {
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }
  /* '12,5' in Indonesian and '12.5' in English both become 12.5; reporting judges the rest. */
  function plainNumber(text) {
    text = text.replace(/\s/g, "");
    return language === "id" ? text.replace(/\./g, "").replace(",", ".") : text.replace(/,/g, "");
  }

  /* A camera photo is several megabytes: shrink it on the phone (longest side 1280 px, JPEG). */
  function resized(file) {
    return new Promise(function (resolve) {
      if (!file) { resolve(null); return; }
      var address = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () {
        var scale = Math.min(1, 1280 / Math.max(image.naturalWidth, image.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.naturalWidth * scale);
        canvas.height = Math.round(image.naturalHeight * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) { URL.revokeObjectURL(address); resolve(blob || file); }, "image/jpeg", 0.8);
      };
      image.onerror = function () { URL.revokeObjectURL(address); resolve(file); };
      image.src = address;
    });
  }

  function stateText(report) {
    if (report.state === "synced") { return [texts.synced, "tag--green"]; }
    if (report.state === "refused") { return [texts.refused, "tag--red"]; }
    if (report.state === "photo") { return [texts.photo, "tag--yellow"]; }
    return [texts.queued, "tag--grey"];
  }

  function render() {
    return Queue.all().then(function (reports) {
      list.textContent = "";
      list.closest("[data-queue-section]").hidden = reports.length === 0;
      reports.slice().reverse().slice(0, 30).forEach(function (report) {
        var item = document.createElement("li");
        item.setAttribute("data-activity-id", report.activity_id);
        item.setAttribute("data-state", report.state);
        var state = stateText(report);
        var tag = document.createElement("strong");
        tag.className = "tag " + state[1];
        tag.textContent = state[0];
        var title = document.createElement("span");
        title.textContent = " " + report.label + (report.item.quantity ? " · " + report.item.quantity : "");
        var note = document.createElement("span");
        note.className = "hint";
        note.textContent = report.item.description;
        item.appendChild(tag);
        item.appendChild(title);
        item.appendChild(document.createElement("br"));
        item.appendChild(note);
        var reason = report.state === "refused" ? (language === "id" ? report.reason_id : report.reason_en)
          : (language === "id" ? report.photo_reason_id : report.photo_reason_en);
        if (reason) {
          var why = document.createElement("span");
          why.className = "queue__reason";
          why.textContent = (report.state === "refused" ? texts.reason : texts.photoReason) + " " + reason;
          item.appendChild(why);
        }
        list.appendChild(item);
      });
    });
  }

  function announce(text) {
    var status = document.querySelector("[data-queue-status]");
    if (status) { status.textContent = text; }
  }

  /* Send now when there is a connection; else (and after a failure) try again with a growing wait. */
  function sync() {
    clearTimeout(retryTimer);
    if (registration && registration.sync) {
      registration.sync.register(SYNC_TAG).catch(function () { /* not allowed: the retries below do it */ });
    }
    return Queue.sync().then(function (state) {
      attempts = 0;
      return render().then(function () { if (state.pending) { retryTimer = setTimeout(sync, 1000); } });
    }, function (failure) {
      attempts += 1;
      if (failure && failure.reason === "csrf") { refreshToken(); }
      if (failure && failure.reason === "signin") { announce(texts.signin); }
      var wait = Math.min(300000, 2000 * Math.pow(2, attempts - 1)) * (0.75 + Math.random() / 2);
      retryTimer = setTimeout(sync, wait);
      return render();
    });
  }

  /* The token of this browser, read again from the page (e.g. after the visitor cookie changed). */
  function refreshToken() {
    fetch("/saya/kegiatan", { credentials: "same-origin" }).then(function (response) { return response.text(); })
      .then(function (page) {
        var match = /name="csrf_token" value="([^"]+)"/.exec(page);
        if (match) { Queue.setMeta("csrf", match[1]); }
      }).catch(function () { /* offline: the next try reads it */ });
  }

  function showErrors(errors) {
    form.querySelectorAll("[data-js-error]").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".form-group--error").forEach(function (node) { node.classList.remove("form-group--error"); });
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var field = form.querySelector("#" + name);
      var group = field.closest(".form-group");
      var message = document.createElement("p");
      message.className = "error-message";
      message.id = name + "-error";
      message.setAttribute("data-js-error", "");
      message.textContent = errors[name];
      group.classList.add("form-group--error");
      field.insertAdjacentElement("beforebegin", message);
      field.setAttribute("aria-describedby", message.id);
      first = first || field;
    });
    if (first) { first.focus(); }
  }

  var busy = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var indicator = form.elements.indicator;
    var note = form.elements.note.value.trim();
    var errors = {};
    if (!indicator.value) { errors.indicator = form.dataset.errorIndicator; }
    if (note.length < 3) { errors.note = form.dataset.errorNote; }
    showErrors(errors);
    if (Object.keys(errors).length) { release(); return; }
    busy = true;
    var item = {
      activity_id: timeOrderedId(),
      indicator_id: indicator.value,
      occurred_at: localIso(new Date()),
      description: note
    };
    var quantity = plainNumber(form.elements.quantity.value);
    if (quantity) { item.quantity = quantity; }
    ["latitude", "longitude"].forEach(function (axis) {
      var value = form.elements[axis].value.trim();
      if (value) { item[axis] = value; }
    });
    var file = form.elements.photo.files[0];
    resized(file).then(function (photo) {
      return Queue.add({
        activity_id: item.activity_id,
        item: item,
        label: indicator.options[indicator.selectedIndex].text,
        photo: photo,
        state: "queued",
        created_at: new Date().toISOString()
      });
    }).then(function () {
      form.reset();
      announce(navigator.onLine ? texts.saved : texts.savedOffline);
      return render();
    }).then(sync, function () { announce(texts.failed); }).then(function () { busy = false; release(); });
  });

  /* kinerja.js marks a submitted form busy for a real post; this form stays on the page. */
  function release() {
    form.removeAttribute("data-submitting");
    form.querySelectorAll("[aria-disabled]").forEach(function (button) { button.removeAttribute("aria-disabled"); });
  }

  var locate = document.querySelector("[data-locate]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
      }, function () { announce(texts.noLocation); }, { timeout: 15000, maximumAge: 60000 });
    });
  }

  window.addEventListener("online", function () { attempts = 0; sync(); });
  render().then(sync);
})();
