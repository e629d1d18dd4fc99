// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.requestSubmit();
  }
});

// Live bell: the unread count follows new notifications in every open tab.
const bell = document.getElementById("bell");
if (bell && "EventSource" in window) {
  const source = new EventSource("/api/v1/notifications/stream");
  source.addEventListener("unread", (event) => {
    const count = JSON.parse(event.data).unread;
    const badge = document.getElementById("unread-count");
    if (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
  });
}
