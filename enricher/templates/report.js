(function () {
  "use strict";
  var form = document.getElementById("filters");
  var status = document.getElementById("f-status");
  var kind = document.getElementById("f-kind");
  var query = document.getElementById("f-q");
  var shown = document.getElementById("shown");
  var cards = Array.prototype.slice.call(document.querySelectorAll(".link"));
  var sections = Array.prototype.slice.call(document.querySelectorAll(".digest"));
  var texts = null;
  function apply() {
    var s = status.value, k = kind.value, q = query.value.trim().toLowerCase();
    if (q && texts === null) {
      texts = cards.map(function (card) { return card.textContent.toLowerCase(); });
    }
    var count = 0;
    cards.forEach(function (card, i) {
      var d = card.dataset;
      var keep = (!s || d.status === s || (s === "not-ok" && d.status !== "ok")) &&
        (!k || d.kind === k) && (!q || texts[i].indexOf(q) !== -1);
      card.hidden = !keep;
      if (keep) { count += 1; }
    });
    var filtering = Boolean(s || k || q);
    sections.forEach(function (section) {
      section.hidden = filtering && !section.querySelector(".link:not([hidden])");
    });
    shown.textContent = count + " of " + cards.length + " links shown";
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
