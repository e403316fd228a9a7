/* dhrbuild serve: progressive enhancement only; every page works without it. */

/* The error summary takes the focus, so a screen reader reads it first (GOV.UK pattern). */
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
