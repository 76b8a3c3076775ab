// Live preview for the item editor: shows the question exactly as students see it (stem and
// options), then the key and rationales, while the instructor types. Without JavaScript the
// "Preview" button renders the same preview on the server.
(function () {
  var form = document.querySelector("form.editor");
  var panel = document.getElementById("live-preview");
  if (!form || !panel) return;
  var letters = ["a", "b", "c", "d"];
  function val(id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; }
  function render() {
    var stem = panel.querySelector(".stem");
    var opts = panel.querySelector(".options");
    var rats = panel.querySelector(".rationales");
    var keyEl = form.querySelector("input[name=key]:checked");
    var key = keyEl ? keyEl.value : "";
    stem.textContent = val("stem") || "(the question appears here)";
    opts.textContent = "";
    rats.textContent = "";
    letters.forEach(function (l) {
      var L = l.toUpperCase();
      var li = document.createElement("li");
      var b = document.createElement("span");
      b.className = "letter";
      b.textContent = L + ".";
      li.appendChild(b);
      li.appendChild(document.createTextNode(" " + (val("option_" + l) || "…")));
      opts.appendChild(li);
      var r = document.createElement("li");
      if (L === key) r.className = "key";
      var s = document.createElement("strong");
      s.textContent = L + "." + (L === key ? " Correct." : "");
      r.appendChild(s);
      r.appendChild(document.createTextNode(" " + (val("rationale_" + l) || "…")));
      rats.appendChild(r);
    });
  }
  panel.hidden = false;
  form.addEventListener("input", render);
  form.addEventListener("change", render);
  render();
})();
