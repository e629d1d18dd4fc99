// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.requestSubmit();
  }
});

// Live bell: the unread count follows new notifications in every open tab.
// One tab per organisation holds the stream (a Web Lock elects it) and passes
// the count to the others (BroadcastChannel): a browser keeps only a few
// connections per site, and twenty tabs must not use them all up. A page
// leaving (or entering the back/forward cache) lets its stream go.
const bell = document.getElementById("bell");
if (bell && "EventSource" in window) {
  const showUnread = (count) => {
    const badge = document.getElementById("unread-count");
    if (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
  };
  const name = "luneo-live-" + (bell.dataset.org || "");
  const shared = "BroadcastChannel" in window && navigator.locks ? new BroadcastChannel(name) : null;
  if (shared) {
    shared.onmessage = (event) => showUnread(event.data.unread);
  }
  let release = null;
  const listen = () =>
    new Promise((done) => {
      const source = new EventSource("/api/v1/notifications/stream");
      source.addEventListener("unread", (event) => {
        const count = JSON.parse(event.data).unread;
        showUnread(count);
        if (shared) shared.postMessage({ unread: count });
      });
      release = () => {
        source.close();
        release = null;
        done();
      };
    });
  const start = () => (shared ? navigator.locks.request(name, listen) : listen());
  start();
  window.addEventListener("pagehide", () => {
    if (release) release();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) start();
  });
}

// Web push on this browser, from the notification settings page.
const pushBox = document.getElementById("push");
if (pushBox && "serviceWorker" in navigator && "PushManager" in window) {
  const status = pushBox.querySelector("[data-push-status]");
  const turnOn = document.getElementById("push-on");
  const turnOff = document.getElementById("push-off");
  const csrf = document.querySelector('input[name="csrf_token"]');
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.value : "" };
  const keyBytes = (text) => {
    const base64 = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  };
  const show = (subscription) => {
    turnOn.hidden = Boolean(subscription);
    turnOff.hidden = !subscription;
    status.textContent = subscription ? pushBox.dataset.onText : pushBox.dataset.offText;
  };
  navigator.serviceWorker.register("/sw.js").then(async (registration) => {
    show(await registration.pushManager.getSubscription());
    turnOn.addEventListener("click", async () => {
      try {
        const key = (await (await fetch("/api/v1/push/vapid-public-key")).json()).public_key;
        const subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(key),
        });
        const saved = await fetch("/api/v1/push/subscriptions", {
          method: "POST",
          headers,
          body: JSON.stringify(subscription),
        });
        if (!saved.ok) throw new Error(String(saved.status));
        show(subscription);
      } catch (_) {
        status.textContent = pushBox.dataset.errorText;
      }
    });
    turnOff.addEventListener("click", async () => {
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) {
        await fetch("/api/v1/push/subscriptions", {
          method: "DELETE",
          headers,
          body: JSON.stringify({ endpoint: subscription.endpoint }),
        });
        await subscription.unsubscribe();
      }
      show(null);
    });
  });
}

// A long select (the time zones) gets a filter field above it: typing
// narrows the options; without JavaScript the plain select works.
for (const select of document.querySelectorAll("select[data-filter]")) {
  const filter = document.createElement("input");
  filter.type = "search";
  filter.className = "select-filter";
  filter.setAttribute("aria-label", select.dataset.filter);
  filter.placeholder = select.dataset.filter;
  filter.setAttribute("aria-controls", select.id);
  select.before(filter);
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const group of select.querySelectorAll("optgroup")) {
      let shown = 0;
      for (const option of group.querySelectorAll("option")) {
        const text = (option.textContent + " " + option.value).toLowerCase();
        option.hidden = !option.selected && !words.every((w) => text.includes(w));
        if (!option.hidden) shown += 1;
      }
      group.hidden = shown === 0;
    }
  });
}

// The sidebar menu shows open on a wide screen (CSS does it without
// JavaScript); marking it open keeps its state true for assistive tech.
const menu = document.querySelector("details.menu");
if (menu && window.matchMedia("(min-width: 761px)").matches) menu.open = true;

// Web vitals of a sample of page views (the share is in <meta name="luneo-vitals">):
// LCP, INP, CLS, FCP and TTFB, measured with PerformanceObserver and sent
// once, when the page is hidden, with navigator.sendBeacon. No cookie is set.
(() => {
  const meta = document.querySelector('meta[name="luneo-vitals"]');
  const rate = meta ? Number(meta.content) : 0;
  if (!(rate > 0) || Math.random() >= rate || !("PerformanceObserver" in window) || !navigator.sendBeacon) return;
  const id = "v" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  const values = {};
  const observe = (type, handle) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(handle)).observe({ type, buffered: true });
    } catch (_) {
      // Not supported by this browser: that metric is simply not sent.
    }
  };
  const nav = performance.getEntriesByType("navigation")[0];
  if (nav) values.TTFB = Math.max(0, nav.responseStart);
  observe("paint", (e) => { if (e.name === "first-contentful-paint") values.FCP = e.startTime; });
  observe("largest-contentful-paint", (e) => { values.LCP = e.startTime; });
  let cls = 0;
  observe("layout-shift", (e) => { if (!e.hadRecentInput) { cls += e.value; values.CLS = cls; } });
  observe("event", (e) => { if (e.interactionId) values.INP = Math.max(values.INP || 0, e.duration); });
  let sent = false;
  const send = () => {
    if (sent) return;
    sent = true;
    for (const [name, value] of Object.entries(values)) {
      const body = JSON.stringify({ name, value: Math.round(value * 1000) / 1000, id, page: location.pathname });
      navigator.sendBeacon("/api/v1/vitals", new Blob([body], { type: "application/json" }));
    }
  };
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") send(); });
  window.addEventListener("pagehide", send);
})();

// Live regions: a page whose heading names a stream (data-live-stream) is
// fetched again when the stream says something changed, and each of its
// [data-live] regions (by id) is swapped for the new one. Forms outside
// those regions, and what is typed in them, are left alone.
(() => {
  const marker = document.querySelector("[data-live-stream]");
  if (!marker || !("EventSource" in window) || !window.fetch) return;
  const source = new EventSource(marker.getAttribute("data-live-stream"));
  let busy = false;
  source.addEventListener("changed", async () => {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      // What the reader opened and where the keyboard is stay as they were.
      const open = [...document.querySelectorAll("[data-live] details[id][open]")].map((d) => d.id);
      const focused = document.activeElement && document.activeElement.id;
      document.querySelectorAll("[data-live][id]").forEach((region) => {
        const next = fresh.getElementById(region.id);
        if (next) region.innerHTML = next.innerHTML;
      });
      open.forEach((id) => { const d = document.getElementById(id); if (d) d.open = true; });
      if (focused && document.activeElement === document.body) {
        const again = document.getElementById(focused);
        if (again) again.focus();
      }
    } finally {
      busy = false;
    }
  });
  window.addEventListener("pagehide", () => source.close());
})();

// Help centre: while a customer types the subject of a new request, the
// articles that may answer it are offered under the field (the form works
// the same without them).
(() => {
  const box = document.querySelector("[data-suggest]");
  const field = box && document.getElementById(box.getAttribute("data-suggest-for"));
  if (!field || !window.fetch) return;
  let timer = null;
  let last = "";
  field.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = field.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 3) { box.replaceChildren(); return; }
      const response = await fetch(box.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q));
      if (!response.ok) return;
      const found = (await response.json()).data || [];
      if (!found.length) { box.replaceChildren(); return; }
      const title = document.createElement("p");
      title.textContent = box.getAttribute("data-suggest-title");
      const list = document.createElement("ul");
      for (const item of found) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = item.url;
        a.textContent = item.title;
        li.append(a);
        list.append(li);
      }
      box.replaceChildren(title, list);
    }, 250);
  });
})();
