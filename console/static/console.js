// agentry console: the little behaviour the pages need. Loaded from the
// console's own origin (the Content-Security-Policy allows nothing else);
// every page works without it.
"use strict";
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  // Buttons that ask before a destructive change.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-confirm]");
    if (b && !window.confirm(b.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });

  // Copy buttons.
  document.querySelectorAll("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      var text = el.value !== undefined ? el.value : el.textContent;
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(function () { b.textContent = "Copied"; });
      }
    });
  });

  // The approval queue's "select all".
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="item"]').forEach(function (c) { c.checked = all.checked; });
    });
  }

  // The record form: validated as you type by the server's own validator
  // (POST /console/validate), at most one request in flight.
  var form = document.getElementById("record-form");
  if (!form) { return; }
  var out = document.getElementById("validation");
  var timer = null, busy = false, again = false;
  function show(res) {
    form.querySelectorAll(".field-error[data-field]").forEach(function (p) {
      var f = p.getAttribute("data-field");
      p.textContent = (res.fields && res.fields[f]) || "";
    });
    out.textContent = "";
    out.className = "validation" + (res.ok ? " ok" : "");
    if (res.ok) {
      out.textContent = "The server accepts this record.";
      return;
    }
    Object.keys(res.fields || {}).forEach(function (k) {
      var p = document.createElement("p");
      var s = document.createElement("strong");
      s.textContent = k;
      p.appendChild(s);
      p.appendChild(document.createTextNode(": " + res.fields[k]));
      out.appendChild(p);
    });
    if (!res.fields) { out.textContent = res.message || "The record is not valid."; }
  }
  function check() {
    if (busy) { again = true; return; }
    busy = true;
    var body = new URLSearchParams(new FormData(form));
    body.delete("csrf");
    fetch(form.getAttribute("data-validate"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (res) { if (res) { show(res); } })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; check(); }
      });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
})();
