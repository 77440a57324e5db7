/* Check-in at the door (templates/organiser/checkin.html).
 *
 * Reads personal check-in codes with the camera (the browser's BarcodeDetector where it reads
 * QR codes, else the vendored jsQR), recognises the date's codes from the SHA-256 digests the
 * server lists, queues each mark in localStorage and sends the queue whenever the network
 * is there. The server records a person once however often a mark arrives, so a mark is only
 * dropped from the queue once the server has answered it. The date's list and queue are
 * deleted when the date's presence window closes and at logout.
 */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) { return; }
  var texts = JSON.parse(document.getElementById("checkin-texts").textContent);
  var storeKey = root.dataset.storeKey;
  var STORE_PREFIX = "atelier-checkin:";
  var batchSize = parseInt(root.dataset.batch, 10);
  var answerBox = document.getElementById("checkin-answer");
  var pendingBox = document.getElementById("checkin-pending");
  var networkBox = document.getElementById("checkin-network");
  var cameraButton = document.getElementById("checkin-camera");
  var video = document.getElementById("checkin-video");
  var canvas = document.getElementById("checkin-canvas");
  var nameInput = document.getElementById("checkin-name");
  var foundList = document.getElementById("checkin-found");
  var refusedList = document.getElementById("checkin-refused");
  var state = load();
  var sending = false;
  var stream = null;
  var lastText = "";
  var lastSeenAt = 0;
  var SAME_CODE_PAUSE_MS = 3000;
  var RETRY_MS = 10000;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
  }

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      if (saved && saved.queue) { return saved; }
    } catch (ignored) { /* a damaged entry starts afresh */ }
    return { keep_until: null, people: [], queue: [] };
  }

  function save() {
    localStorage.setItem(storeKey, JSON.stringify(state));
    showPending();
  }

  function forgetExpired() {
    var now = Date.now();
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if (!key || key.indexOf(STORE_PREFIX) !== 0) { continue; }
      try {
        var entry = JSON.parse(localStorage.getItem(key));
        if (entry.keep_until && Date.parse(entry.keep_until) <= now) { localStorage.removeItem(key); }
      } catch (ignored) { localStorage.removeItem(key); }
    }
  }

  function forgetAll() {
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if (key && key.indexOf(STORE_PREFIX) === 0) { localStorage.removeItem(key); }
    }
  }

  function showPending() {
    var count = state.queue.length;
    var form = new Intl.PluralRules(root.dataset.language).select(count) === "one" ? "one" : "other";
    pendingBox.textContent = fill(texts.queued[form], { count: count });
  }

  function showNetwork() {
    networkBox.textContent = navigator.onLine ? texts.online : texts.offline;
  }

  function say(message, tone) {
    answerBox.textContent = message;
    answerBox.className = "checkin-answer " + (tone || "");
  }

  function localTime(when) {
    return new Date(when).toLocaleTimeString(root.dataset.language, { hour: "2-digit", minute: "2-digit" });
  }

  function localIso(date) {
    // The phone's own time with its offset: the server reads the moment, the journal shows it.
    var offset = -date.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    function two(n) { return (n < 10 ? "0" : "") + n; }
    var abs = Math.abs(offset);
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) +
      "T" + two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds()) +
      sign + two(Math.floor(abs / 60)) + ":" + two(abs % 60);
  }

  function sha256Hex(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      }).join("");
    });
  }

  function personById(id) {
    return state.people.filter(function (p) { return p.id === id; })[0];
  }

  function describe(answer, person) {
    var name = answer.first_name || (person && person.first_name) || "";
    var template = texts[answer.outcome] || texts.unknown;
    var where = [answer.group].concat((answer.dates || []).map(function (d) {
      return new Date(d).toLocaleDateString(root.dataset.language);
    })).filter(Boolean).join(", ");
    var time = answer.recorded_at ? localTime(answer.recorded_at) : "";
    return fill(template, { name: name, where: where, time: time });
  }

  function toneOf(outcome) {
    if (outcome === "present") { return "is-ok"; }
    if (outcome === "already_recorded") { return "is-known"; }
    return "is-refused";
  }

  /* ---- Marks ---------------------------------------------------------------------------- */

  function enqueue(mark, person) {
    state.queue.push(mark);
    if (person) { person.recorded_at = mark.marked_at; }
    save();
    send();
  }

  function markPerson(person) {
    if (person.recorded_at) {
      say(describe({ outcome: "already_recorded", recorded_at: person.recorded_at }, person), "is-known");
      return;
    }
    say(fill(texts.pending, { name: person.first_name }), "is-ok");
    enqueue({ registration: person.id, marked_at: localIso(new Date()) }, person);
  }

  function markCode(text) {
    sha256Hex(text).then(function (digest) {
      var person = state.people.filter(function (p) { return p.digest === digest; })[0];
      if (person) {
        if (person.recorded_at) {
          say(describe({ outcome: "already_recorded", recorded_at: person.recorded_at }, person), "is-known");
          return;
        }
        say(fill(texts.pending, { name: person.first_name }), "is-ok");
        enqueue({ code: text, holder: person.id, marked_at: localIso(new Date()) }, person);
      } else if (navigator.onLine) {
        // Not one of this date's: the server says whose it is (waiting list, another date…).
        enqueue({ code: text, marked_at: localIso(new Date()), ask: true }, null);
      } else {
        say(texts.unknown, "is-refused");
      }
    });
  }

  function refuse(person, message) {
    var item = document.createElement("li");
    item.textContent = (person ? person.first_name + " — " : "") + message;
    refusedList.insertBefore(item, refusedList.firstChild);
  }

  function answered(batch, answers, errors) {
    batch.forEach(function (mark, index) {
      var answer = answers[index] || { outcome: "invalid" };
      var person = personById(mark.registration || mark.holder || answer.registration);
      if (answer.outcome === "present" || answer.outcome === "already_recorded") {
        if (person) { person.recorded_at = answer.recorded_at; }
      } else {
        if (person) { person.recorded_at = null; }
        var why = Object.keys(errors).filter(function (field) {
          return field.indexOf("marks." + index + ".") === 0;
        }).map(function (field) { return errors[field].join(" "); }).join(" ");
        refuse(person, describe(answer, person) + (why ? " " + why : ""));
      }
      if (mark.ask || index === batch.length - 1) { say(describe(answer, person), toneOf(answer.outcome)); }
    });
  }

  function send() {
    if (sending || !state.queue.length) { showPending(); return; }
    sending = true;
    var batch = state.queue.slice(0, batchSize);
    var body = JSON.stringify({ marks: batch.map(function (m) {
      return m.code ? { code: m.code, marked_at: m.marked_at } : { registration: m.registration, marked_at: m.marked_at };
    }) });
    fetch(root.dataset.marksUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf, "Accept": "application/json" },
      body: body
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!json) { say(texts.expired, "is-refused"); return null; }
      return response.json().then(function (payload) {
        state.queue = state.queue.slice(batch.length);
        if (response.ok) {
          answered(batch, payload.answers || [], payload.errors || {});
        } else {
          // The whole date refused (called off, outside its window): every mark says why.
          batch.forEach(function (mark) {
            var person = personById(mark.registration || mark.holder) || null;
            refuse(person, payload.message);
          });
          say(payload.message, "is-refused");
        }
        save();
        return true;
      });
    }).catch(function () {
      showNetwork();  // no network: the queue waits
    }).then(function (sent) {
      sending = false;
      if (sent && state.queue.length) { send(); }
    });
  }

  function download() {
    fetch(root.dataset.codesUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (codes) {
        if (!codes) { return; }
        var waiting = {};
        state.queue.forEach(function (m) { waiting[m.registration || m.holder] = m.marked_at; });
        state.people = codes.people.map(function (p) {
          p.recorded_at = p.recorded_at || waiting[p.id] || null;
          return p;
        });
        state.keep_until = codes.keep_until;
        save();
        root.dataset.known = String(state.people.length);
      })
      .catch(function () { /* offline: the list kept from the last visit serves */ });
  }

  /* ---- Search by name ------------------------------------------------------------------- */

  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function search() {
    var wanted = folded(nameInput.value.trim());
    foundList.textContent = "";
    if (!wanted) { return; }
    state.people.filter(function (p) { return folded(p.first_name).indexOf(wanted) === 0; })
      .slice(0, 8)
      .forEach(function (person) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "checkin-big";
        button.textContent = fill(texts.mark, { name: person.first_name });
        button.addEventListener("click", function () { markPerson(person); search(); });
        item.appendChild(button);
        foundList.appendChild(item);
      });
  }

  /* ---- Camera --------------------------------------------------------------------------- */

  function reader() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) { return jsqrReader(); }
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function () {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }).catch(jsqrReader);
    }
    return jsqrReader();
  }

  function jsqrReader() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(); return; }
      var script = document.createElement("script");
      script.src = root.dataset.readerUrl;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    }).then(function () {
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function () {
        if (!video.videoWidth) { return Promise.resolve(null); }
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function scanWith(read) {
    if (!stream) { return; }
    read().then(function (text) {
      var now = Date.now();
      if (text && (text !== lastText || now - lastSeenAt > SAME_CODE_PAUSE_MS)) { markCode(text); }
      if (text) { lastText = text; lastSeenAt = now; }
    }).catch(function () { /* an unreadable frame: the next one may read */ })
      .then(function () { setTimeout(function () { scanWith(read); }, 150); });
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say(texts.no_camera, "is-refused"); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        cameraButton.textContent = texts.stop;
        return video.play().then(function () { return readerReady; }).then(scanWith);
      })
      .catch(function () { stopCamera(); say(texts.no_camera, "is-refused"); });
  }

  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    cameraButton.textContent = texts.scan;
  }

  /* ---- Start ---------------------------------------------------------------------------- */

  forgetExpired();
  state = load();
  // Chosen, and jsQR fetched if need be, while the network is there: scanning works without.
  var readerReady = reader();
  readerReady.catch(function () { /* reported when the camera starts */ });
  showNetwork();
  showPending();
  download();
  send();
  cameraButton.addEventListener("click", function () { if (stream) { stopCamera(); } else { startCamera(); } });
  nameInput.addEventListener("input", search);
  document.getElementById("checkin-search").addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("online", function () { showNetwork(); send(); download(); });
  window.addEventListener("offline", showNetwork);
  setInterval(function () { if (navigator.onLine) { send(); } }, RETRY_MS);
  // Logging out deletes the date's list and queue from this phone, as the server's
  // Clear-Site-Data header does where the browser honours it.
  document.querySelectorAll("form[action$='/logout']").forEach(function (form) {
    form.addEventListener("submit", forgetAll);
  });
}());
