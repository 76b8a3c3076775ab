// After a failed submission, move keyboard and screen-reader focus to the error summary so that
// the first thing announced is what to correct. Pages work the same without it.
(function () {
  var summary = document.querySelector(".flash-error[role=alert]");
  if (!summary) return;
  summary.setAttribute("tabindex", "-1");
  summary.focus();
})();
