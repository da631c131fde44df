// Tangkal: progressive enhancement only. Every page works without this file; with it, countdowns keep
// running, the queue refreshes itself, and the clarification preview follows the typing.
(function () {
  "use strict";
  var body = document.body;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, body.dataset.group || ".");
  }

  // The same words and shape as the server's `format::time_left`.
  function timeLeft(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var hours = Math.floor(minutes / 60);
    var span = hours === 0
      ? fill(body.dataset.timeMinutes, { m: minutes })
      : fill(body.dataset.timeHoursMinutes, { h: group(hours), m: minutes % 60 });
    return fill(seconds >= 0 ? body.dataset.timeLeft : body.dataset.timeOver, { d: span });
  }

  // A drill's clock runs faster than the wall clock from the drill's start (the server's `DrillMode`).
  function clockNow() {
    var wall = Date.now() / 1000;
    var start = Number(body.dataset.clockStart);
    var speed = Number(body.dataset.clockSpeed);
    return start && speed ? start + (wall - start) * speed : wall;
  }

  function tick() {
    var now = clockNow();
    document.querySelectorAll("time.countdown[data-due]").forEach(function (el) {
      var left = Number(el.dataset.due) - now;
      var text = timeLeft(left);
      if (el.textContent !== text) { el.textContent = text; }
    });
  }

  function refreshQueue(region) {
    var seconds = Number(region.dataset.refreshSeconds) || 30;
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(region.dataset.refresh, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null) { region.innerHTML = html; tick(); }
        })
        .catch(function () { /* the next round tries again */ });
    }, seconds * 1000);
  }

  // Posts the editor's fields with action=preview and shows the server's rendering: the same Markdown
  // rules and sanitising as the published page.
  function livePreview(form) {
    var target = document.getElementById("preview");
    if (!target) { return; }
    var timer = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var data = new URLSearchParams(new FormData(form));
        data.set("action", "preview");
        data.set("fragment", "1");
        fetch(form.action, { method: "POST", credentials: "same-origin", body: data })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) { if (html !== null) { target.innerHTML = html; } })
          .catch(function () {});
      }, 600);
    });
  }

  tick();
  // A drill's minute passes in a second or so: its countdowns move every second.
  setInterval(tick, body.dataset.clockSpeed ? 1000 : 15000);
  document.querySelectorAll("[data-refresh]").forEach(refreshQueue);
  document.querySelectorAll("form[data-preview-form]").forEach(livePreview);
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
