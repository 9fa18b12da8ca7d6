// Refreshes only the list of deliveries, and keeps open what the reader opened: the keys of
// opened <details> live in sessionStorage, so they also survive a full reload.
(function () {
  "use strict";
  const list = document.getElementById("received");
  if (!list) return;
  const storageKey = "inspector-open:" + location.pathname;
  let remembered = [];
  try {
    remembered = JSON.parse(sessionStorage.getItem(storageKey) || "[]");
  } catch (error) {
    // Unreadable: start with everything folded.
  }
  const opened = new Set(Array.isArray(remembered) ? remembered : []);

  function restore(root) {
    root.querySelectorAll("details[data-key]").forEach(function (details) {
      details.open = opened.has(details.dataset.key);
    });
  }

  list.addEventListener("toggle", function (event) {
    const key = event.target.dataset && event.target.dataset.key;
    if (!key) return;
    if (event.target.open) opened.add(key); else opened.delete(key);
    sessionStorage.setItem(storageKey, JSON.stringify(Array.from(opened)));
  }, true);

  async function refresh() {
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById("received");
      if (!fresh) return;
      restore(fresh);
      list.replaceChildren(...fresh.childNodes);
      list.dataset.refreshed = String(Number(list.dataset.refreshed || 0) + 1);
    } catch (error) {
      // The server is restarting or gone; try again at the next tick.
    }
  }

  restore(list);
  setInterval(refresh, 1000 * Number(list.dataset.refreshSeconds || 5));
})();
