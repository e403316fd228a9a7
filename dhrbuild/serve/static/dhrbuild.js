/* dhrbuild serve: progressive enhancement only; every page works without it. */

/* The error summary takes the focus, so a screen reader reads it first (GOV.UK pattern). */
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});

/* --- Submission page: say that the pack is being made, and send the form only once. --- */
document.addEventListener("DOMContentLoaded", function () {
  var forms = document.querySelectorAll("form.dhr-pack-form");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-dhr-sent") === "yes") { event.preventDefault(); return; }
      form.setAttribute("data-dhr-sent", "yes");
      var status = form.querySelector("[data-dhr-pack-status]");
      if (status) {
        status.textContent = "Making the pack: this takes about 10 to 20 seconds. Keep this page open.";
      }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.setAttribute("aria-disabled", "true"); button.textContent = "Making the pack…"; }
    });
  });
});

/* --- Build page: follow the running build (the page's Refresh button does it without this). --- */
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("build-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var list = document.getElementById("build-steps");
  var now = document.getElementById("build-now");
  var hint = document.getElementById("build-progress-hint");
  if (hint) { hint.textContent = "This page follows the build and shows what came of it when it ends."; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) {
        if (status.state !== "running") { window.location.reload(); return; }
        for (var i = list.children.length; i < status.steps.length; i++) {
          var item = document.createElement("li");
          item.textContent = status.steps[i];
          list.appendChild(item);
        }
        if (now && now.textContent !== status.text) { now.textContent = status.text; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
});
