// Luneo service worker: shows web push notifications and opens what they
// are about. The payload is {title, body, url, tag}, decrypted by the browser.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (_) {
    message = { title: event.data.text() };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "Luneo", {
      body: message.body || "",
      tag: message.tag,
      data: { url: message.url || "/dashboard/notifications" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/dashboard/notifications";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if (w.url === url && "focus" in w) return w.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
