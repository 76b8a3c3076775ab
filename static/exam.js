// Counts the remaining exam time down once a second. The server owns the clock: this only
// updates the display, and the page works (and the deadline is enforced) without it.
(function () {
  var el = document.getElementById("timer");
  if (!el) return;
  var left = parseInt(el.getAttribute("data-remaining"), 10);
  if (isNaN(left)) return;
  var end = Date.now() + left * 1000;
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    el.textContent = (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(sec);
    if (s <= 300) el.className = "low";
    if (s > 0) setTimeout(tick, 1000);
    // Time is up: ask the server again; it closes the exam and shows the result.
    else setTimeout(function () { window.location.reload(); }, 1500);
  }
  tick();
})();
