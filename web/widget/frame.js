// Driftwood's chat frame: the conversation a visitor sees, in an iframe of
// Driftwood's origin (or full page at /chat/{embedId}). It holds the
// visitor's session token, posts with fetch and follows the visitor's event
// stream (server-sent events read with fetch, so the token travels in a
// header), resuming after any drop from the last event id it handled.
// Every text from the server or the visitor is rendered with textContent.
"use strict";
(() => {
  const cfg = JSON.parse(document.getElementById("dw-config").textContent);
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const host = params.get("origin"); // the embedding page; frame-ancestors made sure it may
  const embedded = host && window.parent !== window;
  const key = (k) => "driftwood:" + cfg.embedId + ":" + k;
  const store = (k, v) => {
    try {
      if (v === undefined) return localStorage.getItem(key(k));
      if (v === null) localStorage.removeItem(key(k)); else localStorage.setItem(key(k), v);
    } catch (e) { return null; }
  };
  if (params.get("reset")) { store("session", null); store("email", null); }

  let token = store("session");
  let conv = null;
  let lastEventId = null;
  let online = cfg.isOnline;
  let email = store("email") || "";
  let streamCtl = null;
  let isOpen = !embedded;
  let awayShown = false;
  let queuePosition = 0; // the conversation's place in the routing queue shown, 0: none
  const places = new Map(); // conversation id -> its place in the queue, as last told
  const rows = new Map(); // message id -> row

  const log = $("dw-log"), input = $("dw-input"), compose = $("dw-compose"), emailForm = $("dw-email"), file = $("dw-file");
  document.documentElement.style.setProperty("--dw-accent", cfg.settings.themeColor);

  const toHost = (msg) => { if (embedded) window.parent.postMessage(msg, host); };
  const emit = (name, payload) => toHost({ type: "dw:event", name, payload });

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function call(method, path, body) {
    const headers = {};
    if (token) headers.Authorization = "Bearer " + token;
    let payload = body;
    if (body && !(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const r = await fetch(cfg.base + "/widget/v1/" + cfg.embedId + path, { method, headers, body: payload, cache: "no-store" });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) {
      const err = new Error((j.error && j.error.message) || "request failed: " + r.status);
      err.status = r.status;
      throw err;
    }
    return j;
  }

  async function session() {
    if (!token) {
      const j = await call("POST", "/sessions", {});
      token = j.data.token;
      store("session", token);
    }
    await resume();
  }

  // resume follows an offline email's link (/chat/ID?conversation=…&until=…&sig=…):
  // the session becomes that conversation's visitor's, once.
  async function resume() {
    const q = new URLSearchParams(location.search);
    if (!q.get("conversation") || !q.get("sig")) return;
    history.replaceState(null, "", location.pathname);
    await call("POST", "/resume", { conversationId: q.get("conversation"), until: q.get("until"), sig: q.get("sig") }).catch(() => {});
  }

  // Loading: the session, the latest conversation, then the stream.
  let loading = null;
  function load() {
    loading = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await session();
          const s = (await call("GET", "/conversation")).data;
          render(s);
          lastEventId = s.lastEventId;
          follow();
          return;
        } catch (e) {
          if (e.status === 401) { token = null; store("session", null); continue; }
          if (e.status === 403 || e.status === 404 || attempt > 20) { notice("The chat is not available here."); throw e; }
          await sleep(Math.min(500 * 2 ** attempt, 5000));
        }
      }
    })();
    return loading;
  }

  function render(s) {
    online = s.isOnline;
    $("dw-status-text").textContent = online ? "We typically reply in a few minutes" : "We're away right now";
    $("dw-status").classList.toggle("dw-away", !online);
    const agents = $("dw-agents");
    agents.replaceChildren(...(s.agents || []).map(avatar));
    log.replaceChildren();
    rows.clear();
    conv = s.conversation;
    const first = (s.messages || [])[0];
    if (!first || !first.author.bot) greet(); // a playbook's bot greets instead
    (s.messages || []).forEach(add);
    if (conv && conv.status === "closed") closedNote();
    if (conv) places.set(conv.id, conv.queuePosition || 0);
    showQueue();
    toHost({ type: "dw:conversation", open: !!conv && conv.status !== "closed" });
    updateEmailForm();
  }

  function greet() {
    const text = online ? cfg.settings.onlineGreeting : cfg.settings.offlineGreeting;
    if (!text) return;
    const row = el("div", "dw-msg dw-them dw-greeting");
    row.append(el("div", "dw-bubble", text));
    log.append(row);
    emit(online ? "welcomeMessage:open" : "awayMessage:open", {});
  }

  function avatar(a) {
    if (a.avatarUrl && /^https?:/.test(a.avatarUrl)) {
      const img = el("img", "dw-avatar");
      img.src = a.avatarUrl;
      img.alt = "";
      return img;
    }
    const initials = (a.name || "?").split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
    return el("span", "dw-avatar", initials);
  }

  function notice(text) {
    const p = el("p", "dw-note", text);
    log.append(p);
    scroll();
  }
  function closedNote() { notice("This conversation was closed. Write to start a new one."); }
  function scroll() { log.scrollTop = log.scrollHeight; }

  // add shows a message once, in id order.
  function add(m) {
    if (m.type === "edit") return edit(m);
    if (rows.has(m.id)) return;
    const mine = m.author.type === "contact";
    const row = el("div", "dw-msg " + (mine ? "dw-me" : "dw-them"));
    row.dataset.id = m.id;
    const body = el("div", "dw-body");
    if (!mine) {
      row.append(avatar(m.author));
      body.append(el("span", "dw-name", m.author.name || (m.author.bot ? "Bot" : "Agent")));
    }
    const bubble = el("div", "dw-bubble", m.text);
    if (m.text) body.append(bubble);
    (m.attachments || []).forEach((a) => body.append(attachment(a)));
    if (m.buttons && m.buttons.length && !mine) body.append(buttons(m));
    // An offer lives while it is the newest message (or its booking is on).
    if (picker && m.id > picker.id && !picker.booking) { picker.box.remove(); picker = null; }
    if (m.meeting && !mine && ![...rows.keys()].some((id) => id > m.id)) body.append(slotPicker(m));
    const time = el("time", "dw-time", new Date(m.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    body.append(time);
    row.append(body);
    let before = null;
    for (const [id, r] of rows) if (id > m.id && (!before || id < Number(before.dataset.id))) before = r;
    log.insertBefore(row, before);
    rows.set(m.id, row);
    scroll();
    if (!mine) {
      $("dw-typing").hidden = true;
      emit("message", { conversationId: m.conversationId, messageId: m.id, author: m.author, createdAt: m.createdAt });
      if (isOpen && document.visibilityState === "visible") read(m); else toHost({ type: "dw:unread" });
    }
  }

  function edit(m) {
    const row = rows.get(m.editedMessageId);
    if (!row) return;
    const bubble = row.querySelector(".dw-bubble");
    if (m.editType === "delete") { row.remove(); rows.delete(m.editedMessageId); return; }
    if ((m.editType === "replace" || m.editType === "replace_body") && bubble) bubble.textContent = m.text;
    if (m.editType === "replace" || m.editType === "replace_buttons") {
      const old = row.querySelector(".dw-buttons");
      if (old) old.remove();
      if (m.buttons && m.buttons.length) row.querySelector(".dw-body").insertBefore(buttons({ ...m, id: m.editedMessageId }), row.querySelector(".dw-time"));
    }
  }

  function buttons(m) {
    const box = el("div", "dw-buttons");
    m.buttons.forEach((b) => {
      const btn = el("button", "dw-choice", b.label);
      btn.type = "button";
      btn.addEventListener("click", async () => {
        box.querySelectorAll("button").forEach((x) => (x.disabled = true));
        try {
          const j = await call("POST", "/messages", { conversationId: m.conversationId, button: { messageId: m.id, value: b.value } });
          add(j.data.message);
          emit("message:sent", { conversationId: m.conversationId, messageId: j.data.message.id });
        } catch (e) {
          box.querySelectorAll("button").forEach((x) => (x.disabled = false));
          notice(e.message);
        }
      });
      box.append(btn);
    });
    return box;
  }

  // A bot's meeting offer: the agent's free slots, in the visitor's time
  // zone, as buttons grouped by day (a few days); a pick books the slot.
  // Taken meanwhile by another visitor: a note and the fresh slots.
  const zone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; } })();
  const slotDays = 3, slotsPerDay = 8;
  let picker = null; // {id, box}: the live offer's picker
  function slotPicker(m) {
    const box = el("div", "dw-slots");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Free times to book a meeting, in your time zone (" + zone + ")");
    picker = { id: m.id, box };
    showSlots(m, box, "");
    return box;
  }
  async function showSlots(m, box, note) {
    box.replaceChildren(el("p", "dw-slots-note", note || "Looking for free times…"));
    let slots;
    try {
      const q = new URLSearchParams({ agentId: m.meeting.agentId, meetingType: m.meeting.meetingType, timeZone: zone });
      slots = (await call("GET", "/meetings/slots?" + q)).data.slots;
    } catch (e) {
      box.replaceChildren(el("p", "dw-slots-note", e.message));
      return;
    }
    const days = new Map();
    for (const s of slots) {
      const [day, time] = s.label.split(", ");
      if (!days.has(day)) { if (days.size === slotDays) break; days.set(day, []); }
      if (days.get(day).length < slotsPerDay) days.get(day).push({ ...s, time });
    }
    box.replaceChildren();
    if (note) box.append(el("p", "dw-slots-note", note));
    if (!days.size) box.append(el("p", "dw-slots-note", "No free times right now."));
    for (const [day, list] of days) {
      const group = el("div", "dw-day");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", day);
      const times = el("div", "dw-times");
      for (const s of list) {
        const b = el("button", "dw-slot", s.time);
        b.type = "button";
        b.setAttribute("aria-label", "Book " + s.label);
        b.dataset.start = s.slotStart;
        b.addEventListener("click", () => book(m, box, s));
        times.append(b);
      }
      group.append(el("p", "dw-day-name", day), times);
      box.append(group);
    }
    box.append(el("p", "dw-slots-note", "Times in " + zone));
    // The times arrive after the offer, the newest message while it
    // lives: the log scrolls on to show them, from the offer's text.
    const row = box.closest(".dw-msg");
    if (picker && picker.box === box && row) log.scrollTop += row.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
  }
  async function book(m, box, s) {
    box.querySelectorAll("button").forEach((b) => (b.disabled = true));
    if (picker && picker.box === box) picker.booking = true; // its confirmation may come first
    try {
      const j = await call("POST", "/meetings", { agentId: m.meeting.agentId, meetingType: m.meeting.meetingType, slotStart: s.slotStart,
        timeZone: zone, conversationId: m.conversationId });
      if (picker && picker.box === box) picker = null; // the booking stays shown under the offer
      box.replaceChildren(el("p", "dw-slots-note dw-booked", "Booked: " + s.label));
      emit("scheduling:meetingBooked", { conversationId: m.conversationId, teamMember: { id: m.meeting.agentId }, slotStart: s.slotStart, meeting: j.data });
    } catch (e) {
      if (picker && picker.box === box) picker.booking = false;
      if (e.status === 409) return showSlots(m, box, "That time was just taken. Here are the times still free:");
      box.querySelectorAll("button").forEach((b) => (b.disabled = false));
      notice(e.message);
    }
  }

  // attachment shows a file; its bytes need the session, so they are
  // fetched with it and shown from a blob.
  function attachment(a) {
    const link = el("button", "dw-file", a.fileName);
    link.type = "button";
    const fetchBlob = async () => {
      const r = await fetch(cfg.base + "/widget/v1/" + cfg.embedId + "/attachments/" + a.id, { headers: { Authorization: "Bearer " + token } });
      if (!r.ok) throw new Error("download failed");
      return URL.createObjectURL(await r.blob());
    };
    if (/^image\//.test(a.mimeType) && a.id) {
      const img = el("img", "dw-image");
      img.alt = a.fileName;
      fetchBlob().then((u) => (img.src = u)).catch(() => img.replaceWith(link));
      return img;
    }
    link.addEventListener("click", async () => {
      const u = await fetchBlob();
      const dl = el("a");
      dl.href = u;
      dl.download = a.fileName;
      dl.click();
    });
    return link;
  }

  let readTimer = 0;
  function read(m) {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => call("POST", "/read", { conversationId: m.conversationId, messageId: m.id }).catch(() => {}), 300);
  }

  // follow reads the visitor's stream for as long as the frame lives,
  // reconnecting after any drop with the last event id it handled.
  async function follow() {
    if (streamCtl) streamCtl.abort();
    const ctl = (streamCtl = new AbortController());
    let delay = 250;
    while (!ctl.signal.aborted) {
      try {
        const headers = { Authorization: "Bearer " + token, Accept: "text/event-stream" };
        if (lastEventId) headers["Last-Event-ID"] = lastEventId;
        const r = await fetch(cfg.base + "/widget/v1/" + cfg.embedId + "/stream", { headers, signal: ctl.signal, cache: "no-store" });
        if (!r.ok || !r.body) throw new Error("stream: " + r.status);
        delay = 250;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, "\n");
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            handle(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }

  function handle(block) {
    let id = null, event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line[0] === ":") continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? "" : line.slice(i + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "id") id = value;
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) {
      const d = JSON.parse(data.join("\n"));
      if (event === "message") {
        if (!conv || d.conversationId === conv.id) add(d);
      } else if (event === "typing" && conv && d.conversationId === conv.id) {
        const t = $("dw-typing");
        t.hidden = false;
        t.setAttribute("aria-label", (d.author.name || "An agent") + " is typing");
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => (t.hidden = true), 6000);
        scroll();
      } else if (event === "queue") {
        // It may come before the answer that starts the conversation.
        for (const q of d) places.set(q.conversationId, q.position);
        showQueue();
      } else if (event === "conversation" && conv && d.id === conv.id && conv.status !== d.status) {
        conv.status = d.status;
        if (d.status === "closed") closedNote();
        showQueue();
        toHost({ type: "dw:conversation", open: d.status !== "closed" });
      }
    }
    if (id !== null) lastEventId = id;
  }

  // playbook asks whether a playbook greets the visitor (trigger page,
  // open or interaction) and shows its conversation when one starts.
  let page = { url: host || location.href, referrer: "", visitCount: 1, timeOnPage: 0 };
  let pageCall = Promise.resolve(); // the page's own ask goes first
  async function playbook(trigger, extra) {
    await loading;
    const j = await call("POST", "/playbook", { trigger, url: page.url, referrer: page.referrer, visitCount: page.visitCount,
      timeOnPage: page.timeOnPage, ...extra });
    document.documentElement.dataset.playbook = trigger + (j.data.started ? ":started" : ":none"); // for people and tests
    if (!j.data.started) return false;
    await load();
    emit("conversation:playbookFired", { playbookId: j.data.playbookId, conversationId: j.data.conversation.id });
    return true;
  }

  // showQueue shows the conversation's place while it waits for an agent,
  // and offers the email form meanwhile (the reply can go there).
  function showQueue() {
    const n = (conv && conv.status !== "closed" && places.get(conv.id)) || 0;
    queuePosition = n;
    const q = $("dw-queue");
    q.hidden = !n;
    q.textContent = n ? "You are number " + n + " in the queue" : "";
    updateEmailForm();
  }

  function updateEmailForm() {
    const askFirst = cfg.settings.askForEmail && !email && (!conv || conv.status === "closed");
    const askAway = !online && awayShown && !email;
    const askWaiting = queuePosition > 0 && !email;
    emailForm.hidden = !(askFirst || askAway || askWaiting);
    compose.hidden = askFirst;
    $("dw-email-label").textContent = askFirst ? "Your email, to start the chat" : "Your email, so we can reply";
  }

  emailForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = $("dw-email-input").value.trim();
    if (!value) return;
    const wasFirst = compose.hidden;
    try {
      if (!wasFirst) await call("POST", "/email", { email: value });
      email = value;
      store("email", value);
      emit("emailCapture", { data: { email: value }, email: value });
      updateEmailForm();
      if (!wasFirst) notice("Thanks! We'll reply to " + value + ".");
      input.focus();
    } catch (err) {
      notice(err.message);
    }
  });

  async function send(text, files) {
    await loading;
    const startNew = !conv || conv.status === "closed";
    const body = { body: text };
    if (!startNew) body.conversationId = conv.id;
    else if (email) body.email = email;
    let payload = body;
    if (files && files.length) {
      payload = new FormData();
      payload.append("message", JSON.stringify(body));
      for (const f of files) payload.append("file", f, f.name);
    }
    const j = await call("POST", "/messages", payload);
    if (j.data.conversation) {
      const first = !conv;
      if (conv) { rows.forEach((r) => r.remove()); rows.clear(); }
      conv = j.data.conversation;
      emit("startConversation", { conversationId: conv.id, inboxId: conv.inboxId });
      if (first) emit("conversation:firstInteraction", { conversationId: conv.id });
      toHost({ type: "dw:conversation", open: true });
      showQueue();
    }
    add(j.data.message);
    emit("message:sent", { conversationId: conv.id, messageId: j.data.message.id });
    if (!online && !awayShown) {
      awayShown = true;
      const row = el("div", "dw-msg dw-them dw-greeting");
      row.append(el("div", "dw-bubble", cfg.settings.awayMessage));
      log.append(row);
      scroll();
      emit("awayMessage:open", {});
      updateEmailForm();
    }
  }

  compose.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    const files = file.files;
    if (!text && !files.length) return;
    $("dw-send").disabled = true;
    try {
      await send(text, files);
      input.value = "";
      file.value = "";
      resize();
    } catch (err) {
      notice(err.message);
    } finally {
      $("dw-send").disabled = false;
      input.focus();
    }
  });
  file.addEventListener("change", () => { if (file.files.length) compose.requestSubmit(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit(); }
  });
  // The visitor's typing, told at most every 3 seconds.
  let typingTimer = 0, typingSent = 0;
  input.addEventListener("input", () => {
    if (!conv || conv.status === "closed" || !input.value.trim() || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    call("POST", "/typing", { conversationId: conv.id }).catch(() => {});
  });
  const resize = () => { input.style.height = "auto"; input.style.height = Math.min(input.scrollHeight, 120) + "px"; };
  input.addEventListener("input", resize);

  const close = () => { toHost({ type: "dw:close" }); };
  if ($("dw-close")) $("dw-close").addEventListener("click", close);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && embedded) close(); });

  async function identify(m) {
    await loading;
    const j = await call("POST", "/identify", { externalId: m.externalId || "", attributes: m.attributes || {}, userJwt: m.userJwt || "" });
    if (j.data.verified) await load(); // the visitor now sees their contact's conversations
  }

  window.addEventListener("message", (e) => {
    if (!embedded || e.source !== window.parent || e.origin !== host) return;
    const m = e.data || {};
    if (m.type === "dw:open") {
      isOpen = true;
      setTimeout(() => input.focus(), 0);
      const last = [...rows.keys()].pop();
      if (last) read({ conversationId: conv && conv.id, id: last });
      pageCall.then(() => { if (!conv || conv.status === "closed") return playbook("open"); }).catch(() => {});
    } else if (m.type === "dw:closed") isOpen = false;
    else if (m.type === "dw:identify") identify(m).catch(() => {});
    else if (m.type === "dw:page") {
      page = { url: String(m.url || ""), referrer: String(m.referrer || ""), visitCount: Number(m.visitCount) || 1,
        timeOnPage: Math.max(0, Math.floor(Number(m.timeOnPage) || 0)) };
      pageCall = pageCall.then(() => playbook("page")).then((started) => { if (started) toHost({ type: "dw:proactive" }); }).catch(() => {});
    } else if (m.type === "dw:interaction") playbook("interaction", { interactionId: m.interactionId }).catch((e) => notice(e.message));
    else if (m.type === "dw:reset") {
      store("session", null);
      store("email", null);
      token = null;
      email = "";
      load().catch(() => {});
    }
  });

  load().catch(() => {});
  if (!embedded && params.get("playbookId")) playbook("interaction", { interactionId: params.get("playbookId") }).catch(() => {});
  toHost({ type: "dw:ready" });
  if (!embedded) input.focus();
})();
