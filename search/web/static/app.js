// Optional improvements: every page works without this script.
(function () {
  "use strict";
  var box = document.querySelector(".searchbox input[type=search]");
  // "/" focuses the search box, as on many sites; Escape leaves it.
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing && box) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && document.activeElement === box) {
      box.blur();
    }
  });
  // An empty search box searches nothing: keep the user on the page instead of reloading it.
  var form = document.querySelector(".searchbox");
  if (form && box) {
    form.addEventListener("submit", function (event) {
      if (!box.value.trim()) {
        event.preventDefault();
        box.focus();
      }
    });
  }
})();
