// The viewer's time zone, for times the server renders (render.py reads the cookie).
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  var now = document.cookie.split("; ").find(function (c) { return c.indexOf("tz=") === 0; });
  if (now !== "tz=" + zone) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    if (now === undefined && document.querySelector("[data-times]")) { location.reload(); }
  }
})();
// A button or form with data-confirm asks first (deleting a schedule, say).
document.addEventListener("submit", function (event) {
  var text = event.target.getAttribute("data-confirm");
  if (text && !window.confirm(text)) { event.preventDefault(); }
}, true);
