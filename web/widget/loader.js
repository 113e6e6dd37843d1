(function (cfg) {
  // Driftwood's widget loader: the only code a site's page runs. It
  // defines window.drift with Drift's API (replaying the calls Drift's
  // snippet queued), draws a launcher button, and loads the chat (an
  // iframe of Driftwood's own origin) only when the visitor opens it, the
  // page calls the API, or the visitor has a conversation going on.
  "use strict";
  var w = window, d = document, prev = w.drift;
  if (prev && prev.__driftwood) return;
  var queue = Array.isArray(prev) ? prev.slice() : [];
  var origin = new URL(cfg.base).origin;
  var handlers = {}, frame = null, frameReady = false, pending = [];
  var open = false, visible = true, ready = false, btn = null, badge = null;
  var openKey = "driftwood:" + cfg.embedId + ":open";
  var label = "Open chat" + (cfg.title ? ": " + cfg.title : "");

  function store(k, v) {
    try { if (v === undefined) return localStorage.getItem(k); if (v) localStorage.setItem(k, v); else localStorage.removeItem(k); } catch (e) { return null; }
  }
  function state() {
    var s = { chatOpen: open, sidebarOpen: open, widgetVisible: visible, isOnline: cfg.isOnline, teamAvailability: cfg.teamAvailability };
    s.data = Object.assign({}, s);
    return s;
  }
  function emit(name, payload) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try { name === "ready" ? fn(drift.api, payload) : fn(payload); } catch (e) { console.error(e); }
    });
  }
  function send(msg) {
    if (frameReady) frame.contentWindow.postMessage(msg, origin); else pending.push(msg);
  }

  function ensureFrame() {
    if (frame || !allowed) return;
    frame = d.createElement("iframe");
    var q = "?origin=" + encodeURIComponent(location.origin);
    if (store(openKey + ":reset")) { q += "&reset=1"; store(openKey + ":reset", ""); }
    frame.src = cfg.frameUrl + q;
    frame.title = cfg.title || "Chat";
    frame.id = "drift-widget-frame";
    frame.style.cssText = "position:fixed;bottom:92px;" + cfg.position + ":20px;width:380px;max-width:calc(100vw - 40px);" +
      "height:620px;max-height:calc(100vh - 116px);border:0;border-radius:16px;box-shadow:0 12px 48px rgba(15,23,42,.24);" +
      "z-index:2147483000;background:#fff;display:none;color-scheme:normal";
    d.body.appendChild(frame);
  }

  function setOpen(o, returnFocus) {
    if (!allowed) return;
    if (o) { ensureFrame(); setVisible(true); }
    if (open === o) return;
    open = o;
    frame.style.display = o ? "block" : "none";
    btn.setAttribute("aria-expanded", String(o));
    btn.setAttribute("aria-label", o ? "Close chat" : label);
    btn.firstChild.style.display = o ? "none" : "block";
    btn.lastChild.style.display = o ? "block" : "none";
    if (o) { badge.style.display = "none"; send({ type: "dw:open" }); frame.focus(); }
    else send({ type: "dw:closed" });
    emit(o ? "chatOpen" : "chatClose", state());
    emit(o ? "sidebarOpen" : "sidebarClose", state());
    if (!o && returnFocus) btn.focus();
  }
  function setVisible(v) {
    visible = v;
    if (btn) btn.style.display = v ? "flex" : "none";
    if (!v && open) setOpen(false);
  }

  w.addEventListener("message", function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    var m = e.data || {};
    if (m.type === "dw:ready") { frameReady = true; pending.splice(0).forEach(send); if (open) send({ type: "dw:open" }); }
    else if (m.type === "dw:close") setOpen(false, true);
    else if (m.type === "dw:conversation") store(openKey, m.open ? "1" : "");
    else if (m.type === "dw:unread" && !open) badge.style.display = "block";
    else if (m.type === "dw:proactive") setOpen(true);
    else if (m.type === "dw:event" && typeof m.name === "string") emit(m.name, m.payload);
  });

  var api = {
    openChat: function () { setOpen(true); },
    hideChat: function () { setOpen(false); },
    toggleChat: function () { setOpen(!open); },
    widget: { show: function () { setVisible(true); }, hide: function () { setVisible(false); } },
    sidebar: { open: function () { setOpen(true); }, close: function () { setOpen(false); }, toggle: function () { setOpen(!open); } },
    setUserAttributes: function (attrs) { ensureFrame(); send({ type: "dw:identify", attributes: attrs || {} }); },
    // Fires the playbook named, in the open chat.
    startInteraction: function (o) { setOpen(true); send({ type: "dw:interaction", interactionId: o && o.interactionId }); }
  };
  var drift = {
    __driftwood: true, invoked: true, init: true, api: api,
    SNIPPET_VERSION: prev && prev.SNIPPET_VERSION,
    load: function () {},
    identify: function (id, attrs, opts) {
      ensureFrame();
      send({ type: "dw:identify", externalId: id == null ? "" : String(id), attributes: attrs || {}, userJwt: (opts && opts.userJwt) || "" });
    },
    config: function () {},
    track: function () {},
    page: function () {},
    debug: function () {},
    ping: function () {},
    reset: function () {
      store(openKey, "");
      if (frame) send({ type: "dw:reset" }); else store(openKey + ":reset", "1");
    },
    show: function () { setVisible(true); },
    hide: function () { setVisible(false); },
    on: function (name, fn) {
      if (typeof fn !== "function") return;
      (handlers[name] = handlers[name] || []).push(fn);
      if (name === "ready" && ready) fn(api, state());
    },
    off: function (name, fn) { handlers[name] = (handlers[name] || []).filter(function (f) { return f !== fn; }); }
  };
  w.drift = w.driftt = drift;

  var allowed = cfg.allowed.indexOf(location.origin) >= 0;
  if (!allowed && console) console.error("Driftwood: " + location.origin + " may not embed widget " + cfg.embedId + "; add it to the widget's allowedOrigins.");

  function start() {
    if (allowed) {
      btn = d.createElement("button");
      btn.type = "button";
      btn.id = "drift-widget-launcher";
      btn.setAttribute("aria-label", label);
      btn.setAttribute("aria-expanded", "false");
      btn.style.cssText = "all:initial;box-sizing:border-box;position:fixed;bottom:20px;" + cfg.position + ":20px;width:60px;height:60px;" +
        "border-radius:50%;background:" + cfg.color + ";box-shadow:0 6px 20px rgba(15,23,42,.28);cursor:pointer;z-index:2147483000;" +
        "display:flex;align-items:center;justify-content:center;transition:transform .15s ease";
      // Fixed markup, no page or visitor text.
      btn.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" fill="#fff" aria-hidden="true"><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.7 3.2 6.3L4.5 22l4.1-2.2c1.1.3 2.2.5 3.4.5 5.5 0 10-3.9 10-8.6S17.5 3 12 3z"/></svg>' +
        '<span style="all:initial;position:absolute;top:2px;right:2px;width:14px;height:14px;border-radius:50%;background:#ef4444;border:2px solid #fff;display:none"></span>' +
        '<svg width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round" aria-hidden="true" style="display:none"><path d="M6 6l12 12M18 6L6 18"/></svg>';
      badge = btn.children[1];
      btn.addEventListener("click", function () { setOpen(!open, true); });
      btn.addEventListener("focus", function () { btn.style.outline = "3px solid " + cfg.color; btn.style.outlineOffset = "3px"; });
      btn.addEventListener("blur", function () { btn.style.outline = "none"; });
      btn.addEventListener("mouseenter", function () { btn.style.transform = "scale(1.06)"; });
      btn.addEventListener("mouseleave", function () { btn.style.transform = "none"; });
      d.addEventListener("keydown", function (e) { if (e.key === "Escape" && open) setOpen(false, true); });
      d.body.appendChild(btn);
      if (store(openKey)) ensureFrame(); // a conversation goes on
      if (cfg.playbooks) {
        var visits = Number(store(openKey + ":visits")) || 0;
        try { if (!sessionStorage.getItem(openKey + ":visit")) { sessionStorage.setItem(openKey + ":visit", "1"); store(openKey + ":visits", String(++visits)); } } catch (e) {}
        // A playbook may greet: the frame asks at each time on the page a
        // playbook's targeting waits for, and not before (nothing to load).
        (cfg.pageAsks || [0]).forEach(function (s) {
          var ask = function () { ensureFrame(); send({ type: "dw:page", url: location.href, referrer: d.referrer, visitCount: visits || 1, timeOnPage: s }); };
          if (s > 0) setTimeout(ask, s * 1000); else ask();
        });
      }
    }
    queue.forEach(function (args) {
      var fn = drift[args[0]];
      if (typeof fn === "function") fn.apply(drift, args.slice(1));
    });
    ready = true;
    emit("ready", state());
  }
  if (d.body) start(); else d.addEventListener("DOMContentLoaded", start);
})
