// The agent inbox: lists the org's conversations, shows one, and follows
// the org's events over SSE so that what colleagues and visitors do shows
// at once. Every user text goes into the page as textContent, never HTML.
(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var me = boot.me, csrf = boot.csrf, users = {};
  boot.users.forEach(function (u) { users[u.id] = u; });
  var state = { view: "all", team: 0, status: "open", list: [], next: "", current: 0, conv: null, lastEventId: "", q: "" };
  var $ = function (s) { return document.querySelector(s); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function when(ms) {
    var d = new Date(ms), now = new Date();
    return d.toDateString() === now.toDateString()
      ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
      : d.toLocaleDateString([], { month: "short", day: "numeric" });
  }
  function userName(id) { return users[id] ? users[id].name : "User " + id; }

  function api(method, path, body) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = csrf;
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); }
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error && j.error.message || r.statusText);
        return j;
      });
    });
  }

  // upload posts a message with files: the JSON in a "message" field.
  function upload(path, msg, list) {
    var fd = new FormData();
    fd.append("message", JSON.stringify(msg));
    list.forEach(function (f) { fd.append("file", f, f.name); });
    return fetch(path, { method: "POST", body: fd, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf } })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) throw new Error(j.error && j.error.message || r.statusText);
          return j;
        });
      });
  }

  // The list.
  var titles = { mine: "Assigned to me", unassigned: "Unassigned", all: "All conversations" };
  function listURL(cursor) {
    return "/inbox/api/conversations?view=" + state.view + (state.view === "team" ? "&team=" + state.team : "") +
      "&status=" + state.status + (cursor ? "&cursor=" + cursor : "");
  }
  // The agent's teams, as views below All.
  var teamNames = {};
  (boot.teams || []).forEach(function (tm) {
    teamNames[tm.id] = tm.name;
    var li = el("li"), b = el("button", "", tm.name + " ");
    b.dataset.view = "team";
    b.dataset.team = tm.id;
    b.setAttribute("aria-pressed", "false");
    var c = el("span", "count");
    c.id = "count-team-" + tm.id;
    b.append(c);
    li.append(b);
    $(".views").append(li);
  });
  function loadList() {
    loadAwaiting();
    return api("GET", listURL()).then(function (j) {
      state.list = j.data; state.next = j.next; renderList();
    }).catch(showError);
  }
  // The counts beside the views: open conversations awaiting a reply.
  function loadAwaiting() {
    api("GET", "/inbox/api/awaiting").then(function (j) {
      Object.keys(j.data.teams || {}).forEach(function (id) { j.data["team-" + id] = j.data.teams[id]; });
      ["mine", "unassigned", "all"].concat(Object.keys(teamNames).map(function (id) { return "team-" + id; })).forEach(function (v) {
        var n = j.data[v] || 0, c = $("#count-" + v);
        c.replaceChildren();
        if (n) c.append(String(n), el("span", "sr", " awaiting a reply"));
      });
      document.title = (j.data.all ? "(" + j.data.all + ") " : "") + "Inbox · Driftwood";
    }).catch(showError);
  }
  function loadMore() {
    api("GET", listURL(state.next)).then(function (j) {
      state.list = state.list.concat(j.data); state.next = j.next; renderList();
    }).catch(showError);
  }
  function renderList() {
    var ul = $("#convs");
    ul.replaceChildren();
    $("#list-title").textContent = state.view === "team" ? "Team " + teamNames[state.team] : titles[state.view];
    if (!state.list.length) ul.append(el("li", "none", "No " + state.status + " conversations here."));
    state.list.forEach(function (c) {
      var li = el("li"), b = el("button", "item" + (c.id === state.current ? " active" : "") + (c.awaitingReply ? " unread" : ""));
      b.dataset.id = c.id;
      b.setAttribute("aria-current", c.id === state.current ? "true" : "false");
      var top = el("div", "top");
      top.append(el("span", "avatar", (c.contactName || c.contactEmail || "?").charAt(0).toUpperCase()),
        el("strong", "name", c.contactName || c.contactEmail || "Visitor " + c.contactId), el("time", "", when(c.updatedAt)));
      var bottom = el("div", "bottom");
      bottom.append(el("span", "preview", c.preview || "No messages yet"));
      if (c.assigneeId) bottom.append(el("span", "who", userName(c.assigneeId)));
      b.append(top, bottom);
      b.addEventListener("click", function () { open(c.id); });
      li.append(b);
      ul.append(li);
    });
    $("#more").hidden = !state.next || !$("#results").hidden;
  }

  // Search: the org's messages by their words and contacts by name and
  // email, shown in place of the list while the box holds words.
  var searchTimer = 0;
  function searchURL(q, kind, cursor) {
    return "/inbox/api/search?q=" + encodeURIComponent(q) + "&kind=" + kind + (cursor ? "&cursor=" + cursor : "");
  }
  function runSearch() {
    var q = $("#q").value.trim(), res = $("#results");
    state.q = q;
    var searching = /[\p{L}\p{N}]/u.test(q);
    res.hidden = !searching;
    $("#convs").hidden = searching;
    $("#more").hidden = searching || !state.next;
    if (!searching) return Promise.resolve();
    return Promise.all([api("GET", searchURL(q, "contacts")), api("GET", searchURL(q, "messages"))]).then(function (r) {
      if (q !== state.q) return;
      res.replaceChildren();
      var total = r[0].data.length + r[1].data.length;
      res.append(el("p", "sr", total ? total + (r[0].next || r[1].next ? "+" : "") + " results" : "Nothing found"));
      res.firstChild.setAttribute("role", "status");
      hitList(res, "Contacts", r[0], q, "contacts");
      hitList(res, "Messages", r[1], q, "messages");
    }).catch(showError);
  }
  function hitList(res, title, page, q, kind) {
    var h = el("h2", "", title), ul = el("ul", "hits");
    h.id = "hits-" + kind;
    ul.setAttribute("aria-labelledby", h.id);
    res.append(h, ul);
    function add(p) {
      if (!ul.children.length && !p.data.length) ul.append(el("li", "none", "No " + kind + " match “" + q + "”."));
      p.data.forEach(function (hit) {
        var li = el("li"), b = el("button", "item hit"), name = hit.contactName || hit.contactEmail || "Visitor " + hit.contactId;
        b.type = "button";
        var top = el("div", "top");
        top.append(el("span", "avatar", name.charAt(0).toUpperCase()), el("strong", "name", name), el("time", "", when(hit.createdAt)));
        var bottom = el("div", "bottom");
        if (kind === "messages") bottom.append(el("span", "preview", (hit.type === "private_note" ? "Note: " : "") + hit.text));
        else bottom.append(el("span", "preview", hit.contactEmail + (hit.conversationId ? "" : " · no conversation")));
        b.append(top, bottom);
        b.disabled = !hit.conversationId;
        b.addEventListener("click", function () { open(hit.conversationId); });
        li.append(b);
        ul.append(li);
      });
      var more = res.querySelector(".more[data-kind=" + kind + "]");
      if (more) more.remove();
      if (p.next) {
        more = button("More " + kind, "more", function () {
          api("GET", searchURL(q, kind, p.next)).then(add).catch(showError);
        });
        more.dataset.kind = kind;
        ul.after(more);
      }
    }
    add(page);
  }
  $("#q").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  $("#search-form").addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(searchTimer); runSearch(); });
  $("#q").addEventListener("keydown", function (e) {
    if (e.key === "Escape") { $("#q").value = ""; runSearch(); $("#q").blur(); }
  });

  // One conversation.
  function open(id) {
    state.current = id;
    history.replaceState(null, "", "#c" + id);
    renderList();
    return loadConv();
  }
  function loadConv() {
    var id = state.current;
    if (!id) return Promise.resolve();
    return api("GET", "/inbox/api/conversations/" + id).then(function (j) {
      return api("GET", "/inbox/api/contacts/" + j.data.contact.id).then(function (side) {
        if (id === state.current) { state.conv = j.data; state.side = side.data; renderConv(); }
      });
    }).catch(function (e) {
      $("#conv").replaceChildren(el("div", "empty", e.message));
    });
  }
  function button(label, cls, fn) {
    var b = el("button", cls, label);
    b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }
  function renderConv() {
    var c = state.conv, main = $("#conv");
    var keep = main.querySelector("textarea"), draft = keep ? keep.value : "", hadFocus = keep && document.activeElement === keep;
    var noteMode = main.querySelector(".composer.note") != null;
    var keptFiles = main.querySelector("#files"), keptChosen = main.querySelector(".chosen");
    var head = el("header", "conv-head");
    var title = el("div", "title");
    title.append(el("h2", "", c.contact.name || c.contact.email || "Visitor " + c.contact.id),
      el("span", "badge " + c.status, c.status));
    var actions = el("div", "actions");
    var sel = el("select", "assign");
    sel.setAttribute("aria-label", "Assignee");
    sel.append(new Option("Unassigned", "0"));
    Object.keys(users).forEach(function (k) {
      var u = users[k];
      if (!u.bot) sel.append(new Option(u.name + (u.availability === "AVAILABLE" ? "" : " (away)"), String(u.id)));
    });
    sel.value = String(c.assigneeId || 0);
    sel.addEventListener("change", function () { assign(Number(sel.value)); });
    actions.append(sel);
    if (c.assigneeId !== me.id) actions.append(button("Assign to me", "btn", function () { assign(me.id); }));
    if (c.status !== "pending") actions.append(button("Mark pending", "btn", function () { setStatus("pending"); }));
    if (c.status === "closed") actions.append(button("Reopen", "btn primary", function () { setStatus("open"); }));
    else actions.append(button("Close", "btn primary", function () { setStatus("closed"); }));
    head.append(title, actions);

    var log = el("ol", "log");
    log.setAttribute("aria-live", "polite");
    c.messages.forEach(function (m) {
      if (m.type === "edit") return;
      var mine = m.author.type === "user", note = m.type === "private_note" || m.type === "private_prompt";
      var li = el("li", "msg " + (mine ? (m.author.bot ? "bot" : "agent") : "visitor") + (note ? " note" : ""));
      var meta = el("div", "meta");
      var who = mine ? (m.author.bot ? "Bot" : userName(m.author.id)) : (c.contact.name || c.contact.email || "Visitor");
      meta.append(el("span", "", who + (note ? " · private note" : "")), el("time", "", when(m.createdAt)));
      var bubble = el("div", "bubble", m.text);
      (m.attachments || []).forEach(function (a) {
        var link = el("a", "file", "📎 " + a.fileName);
        link.href = a.url;
        bubble.append(el("br"), link);
      });
      if (m.buttons && m.buttons.length) {
        var bs = el("div", "buttons");
        m.buttons.forEach(function (b) { bs.append(el("span", "chip", b.label)); });
        bubble.append(bs);
      }
      li.append(meta, bubble);
      log.append(li);
    });

    var form = el("form", "composer" + (noteMode ? " note" : ""));
    var tabs = el("div", "tabs");
    var replyTab = button("Reply", noteMode ? "" : "on", function () { form.classList.remove("note"); replyTab.className = "on"; noteTab.className = ""; ta.placeholder = "Reply to the visitor…"; ta.focus(); });
    var noteTab = button("Private note", noteMode ? "on" : "", function () { form.classList.add("note"); noteTab.className = "on"; replyTab.className = ""; ta.placeholder = "A note only agents see…"; ta.focus(); });
    tabs.append(replyTab, noteTab);
    var ta = el("textarea");
    ta.name = "body";
    ta.rows = 3;
    ta.setAttribute("aria-label", "Message");
    ta.placeholder = noteMode ? "A note only agents see…" : "Reply to the visitor…";
    ta.value = draft;
    // Canned replies: "/" and a shortcut lists the matches; Tab or Enter
    // puts the first one in.
    var picker = el("ul", "canned");
    picker.hidden = true;
    function matches() {
      var m = /^\s*\/(\S*)$/.exec(ta.value);
      return m ? canned.filter(function (r) { return r.shortcut.indexOf(m[1].toLowerCase()) === 0; }) : [];
    }
    function pick(r) { ta.value = r.body; picker.hidden = true; ta.focus(); }
    ta.addEventListener("input", function () {
      tellTyping(form, ta);
      var ms = matches();
      picker.replaceChildren();
      ms.slice(0, 8).forEach(function (r) {
        var li = el("li"), b = button("", "", function () { pick(r); });
        b.append(el("strong", "", "/" + r.shortcut), el("span", "", " " + r.body));
        li.append(b);
        picker.append(li);
      });
      picker.hidden = !ms.length;
    });
    ta.addEventListener("keydown", function (e) {
      var ms = matches();
      if ((e.key === "Enter" || e.key === "Tab") && ms.length) { e.preventDefault(); pick(ms[0]); return; }
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
      if (e.key === "Escape") { picker.hidden = true; ta.blur(); }
    });
    // Files: at most 10, 10 MB together (the API's rules, checked here first).
    // Files chosen survive re-renders: the same input moves along.
    var keep = keptFiles && keptFiles.files.length && state.conv.id === Number(keptFiles.dataset.conv);
    var files = keep ? keptFiles : el("input"), attach = el("label", "attach", "Attach files"), chosen = el("span", "chosen");
    if (keep) chosen.textContent = keptChosen.textContent;
    files.dataset.conv = c.id;
    files.type = "file";
    files.multiple = true;
    files.className = "sr";
    files.id = "files";
    attach.htmlFor = "files";
    chosen.setAttribute("aria-live", "polite");
    files.addEventListener("change", function () {
      chosen.textContent = Array.prototype.map.call(files.files, function (f) { return f.name; }).join(", ");
    });
    var row = el("div", "row");
    row.append(el("small", "", "Enter to send · Shift+Enter for a new line · / for canned replies"), files, attach, chosen,
      el("button", "btn primary send", "Send"));
    form.append(tabs, picker, ta, row);
    form.addEventListener("submit", function (e) { e.preventDefault(); send(); });
    function send() {
      var text = ta.value, list = Array.prototype.slice.call(files.files || []);
      if (!text.trim() && !list.length) return;
      var msg = { body: text, type: form.classList.contains("note") ? "private_note" : "chat" };
      var size = list.reduce(function (n, f) { return n + f.size; }, 0);
      if (list.length > 10 || size > 10 << 20) { showError("At most 10 files, 10 MB together"); return; }
      ta.value = "";
      var done = list.length ? upload("/inbox/api/conversations/" + c.id + "/messages", msg, list)
        : api("POST", "/inbox/api/conversations/" + c.id + "/messages", msg);
      done.then(function () { files.value = ""; chosen.textContent = ""; return loadConv(); })
        .catch(function (e) { ta.value = text; showError(e); });
    }

    var side = sidebar(c);

    var typing = el("p", "typing");
    typing.id = "typing";
    typing.setAttribute("role", "status");
    var body = el("div", "conv-body"), thread = el("div", "thread");
    thread.append(log, typing, form);
    body.append(thread, side);
    main.replaceChildren(head, body);
    log.scrollTop = log.scrollHeight;
    if (hadFocus) ta.focus();
    showTyping();
  }
  // The contact sidebar: its attributes (editable), its account, its other
  // conversations and its timeline. An open edit form survives the
  // re-renders that live events cause.
  function sidebar(c) {
    var old = document.querySelector("aside.contact");
    if (old && old.dataset.contact === String(c.contact.id) && old.querySelector("form.edit:not([hidden])")) return old;
    var info = state.side && state.side.id === c.contact.id ? state.side : { attributes: c.contact.attributes, conversations: [], timeline: [] };
    var attrs = info.attributes || {};
    var side = el("aside", "contact");
    side.dataset.contact = c.contact.id;
    side.setAttribute("aria-label", "Contact");
    var head = el("div", "side-head"), edit = button("Edit", "link", function () {
      form.hidden = !form.hidden;
      edit.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").focus();
    });
    edit.setAttribute("aria-expanded", "false");
    edit.setAttribute("aria-controls", "contact-edit");
    head.append(el("h3", "", "Contact"), edit);
    var dl = el("dl");
    var editable = [];
    Object.keys(attrs).sort().forEach(function (k) {
      var v = attrs[k];
      // Drift's bookkeeping attributes and empty values say nothing to an agent.
      if (k.charAt(0) === "_" || v == null || v === "" || (typeof v === "object" && !Object.keys(v).length)) return;
      if (typeof v !== "object" && k !== "start_date" && k !== "last_active" && k !== "externalId") editable.push(k);
      if (typeof v === "object") v = JSON.stringify(v);
      if (k === "start_date" || k === "last_active") v = new Date(Number(v)).toLocaleString();
      dl.append(el("dt", "", k), el("dd", "", String(v)));
    });
    editable = ["name", "email"].concat(editable.filter(function (k) { return k !== "name" && k !== "email"; }));
    var form = el("form", "edit");
    form.id = "contact-edit";
    form.hidden = true;
    form.setAttribute("aria-label", "Edit contact");
    var inputs = {};
    function field(label, value) {
      var l = el("label", "", label), i = el("input");
      i.name = label;
      i.value = value == null ? "" : String(value);
      l.append(i);
      form.append(l);
      return i;
    }
    editable.forEach(function (k) { inputs[k] = field(k, attrs[k]); });
    var newKey = field("New attribute", ""), newVal = field("Its value", "");
    var row = el("div", "row");
    row.append(el("button", "btn primary", "Save"), button("Cancel", "btn", function () { form.hidden = true; edit.setAttribute("aria-expanded", "false"); edit.focus(); }));
    form.append(row);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var patch = {}, n = 0;
      function asTyped(orig, v) {
        if (typeof orig === "number" && v.trim() !== "" && !isNaN(Number(v))) return Number(v);
        if (typeof orig === "boolean" && (v === "true" || v === "false")) return v === "true";
        return v;
      }
      Object.keys(inputs).forEach(function (k) {
        var v = inputs[k].value;
        if (v !== (attrs[k] == null ? "" : String(attrs[k]))) { patch[k] = asTyped(attrs[k], v); n++; }
      });
      if (newKey.value.trim()) { patch[newKey.value.trim()] = newVal.value; n++; }
      if (!n) { form.hidden = true; return; }
      api("PATCH", "/inbox/api/contacts/" + c.contact.id, { attributes: patch }).then(function () {
        form.hidden = true;
        return loadConv();
      }).catch(showError);
    });
    side.append(head, dl, form);
    if (info.account) {
      side.append(el("h3", "", "Account"));
      var a = el("dl");
      a.append(el("dt", "", "name"), el("dd", "", info.account.name || info.account.domain),
        el("dt", "", "domain"), el("dd", "", info.account.domain), el("dt", "", "owner"), el("dd", "", userName(info.account.ownerId)));
      side.append(a);
    }
    var others = (info.conversations || []).filter(function (x) { return x.id !== c.id; });
    if (others.length) {
      side.append(el("h3", "", "Other conversations"));
      var ul = el("ul", "others");
      others.forEach(function (x) {
        var li = el("li"), b = button("", "other", function () { open(x.id); });
        b.append(el("span", "badge " + x.status, x.status), el("span", "", " " + (x.preview || "No messages yet")), el("time", "", when(x.updatedAt)));
        li.append(b);
        ul.append(li);
      });
      side.append(ul);
    }
    if (info.timeline && info.timeline.length) {
      side.append(el("h3", "", "Timeline"));
      var ol = el("ol", "timeline");
      info.timeline.forEach(function (ev) {
        var li = el("li");
        li.append(el("span", "", ev.event), el("time", "", when(ev.createdAt)));
        ol.append(li);
      });
      side.append(ol);
    }
    return side;
  }

  // Who else is typing in the open conversation: the visitor, or another
  // agent; forgotten after 6 seconds without news or at their message.
  var typers = {};
  function showTyping() {
    var p = $("#typing");
    if (!p || !state.conv) return;
    var names = Object.keys(typers).filter(function (k) { return typers[k].conv === state.current; })
      .map(function (k) { return typers[k].name; });
    p.textContent = names.length ? names.join(", ") + (names.length > 1 ? " are" : " is") + " typing…" : "";
  }
  function typed(d) {
    var a = d.author || {};
    if (a.type === "user" && a.id === me.id) return;
    var key = a.type + a.id;
    var name = a.type === "user" ? userName(a.id) : (state.conv && state.conv.id === d.conversationId
      ? state.conv.contact.name || state.conv.contact.email || "The visitor" : "The visitor");
    if (typers[key]) clearTimeout(typers[key].timer);
    typers[key] = { conv: d.conversationId, name: name, timer: setTimeout(function () { delete typers[key]; showTyping(); }, 6000) };
    showTyping();
  }
  function stoppedTyping(d) {
    var a = d.author || {}, key = a.type + a.id;
    if (typers[key]) { clearTimeout(typers[key].timer); delete typers[key]; showTyping(); }
  }
  // The agent's own typing, told at most every 3 seconds (replies only:
  // a private note is not for the visitor to see coming).
  var typingSent = 0;
  function tellTyping(form, ta) {
    if (form.classList.contains("note") || !ta.value.trim() || ta.value.charAt(0) === "/" || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    api("POST", "/inbox/api/conversations/" + state.current + "/typing", {}).catch(function () {});
  }
  function assign(uid) {
    api("POST", "/inbox/api/conversations/" + state.current + "/assign", { userId: uid }).then(refresh).catch(showError);
  }
  function setStatus(s) {
    api("POST", "/inbox/api/conversations/" + state.current + "/status", { status: s }).then(refresh).catch(showError);
  }
  function refresh() { loadList(); return loadConv(); }

  function showError(e) {
    var p = $("#live");
    p.textContent = "⚠ " + (e && e.message || e);
    p.className = "live bad";
  }

  // Realtime: the org's events over SSE. EventSource resumes by itself with
  // Last-Event-ID; when it gives up (the server was down), a new one is made
  // with the last id seen in the URL, so nothing is missed either way.
  var pending = 0;
  function schedule(conv) {
    if (conv && conv === state.current) pending |= 2;
    pending |= 1;
    if (schedule.t) return;
    schedule.t = setTimeout(function () {
      var p = pending; pending = 0; schedule.t = 0;
      if (p & 1) loadList();
      if (p & 2) loadConv();
    }, 100);
  }
  function connect() {
    var url = "/inbox/api/events" + (state.lastEventId ? "?lastEventId=" + encodeURIComponent(state.lastEventId) : "");
    var es = new EventSource(url);
    es.onopen = function () { $("#live").textContent = "● Live"; $("#live").className = "live ok"; };
    es.onerror = function () {
      $("#live").textContent = "Reconnecting…"; $("#live").className = "live bad";
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(function () {
          // A 401 closes the stream: the session ended.
          fetch("/inbox/api/conversations?view=mine&status=open", { credentials: "same-origin" }).then(function (r) {
            if (r.status === 401) location.href = "/login"; else { connect(); refresh(); }
          }, function () { setTimeout(connect, 1000); });
        }, 1000);
      }
    };
    ["new_conversation", "new_message", "conversation_status_updated", "conversation_participant_added",
      "conversation_participant_removed", "user_availability_updated", "contact_updated", "conversation_typing"].forEach(function (t) {
      es.addEventListener(t, function (e) {
        state.lastEventId = e.lastEventId;
        var d = JSON.parse(e.data).data || {};
        if (t === "conversation_typing") { typed(d); return; }
        if (t === "new_message" && d.author) stoppedTyping(d);
        if (t === "user_availability_updated") {
          if (users[d.userId]) users[d.userId].availability = d.availability;
          if (state.conv) renderConv();
          return;
        }
        schedule(d.conversationId || (t === "new_conversation" ? d.id : 0));
        if (t === "contact_updated" && state.conv && state.conv.contact.id === (d.endUserId || d.id)) schedule(state.current);
      });
    });
  }

  // Controls.
  document.querySelectorAll("[data-view]").forEach(function (b) {
    b.addEventListener("click", function () { setView(b.dataset.view, Number(b.dataset.team || 0)); });
  });
  function setView(v, team) {
    state.view = v;
    state.team = team || 0;
    document.querySelectorAll("[data-view]").forEach(function (x) {
      x.setAttribute("aria-pressed", String(x.dataset.view === v && Number(x.dataset.team || 0) === state.team));
    });
    loadList();
  }
  document.querySelectorAll("[data-status]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.status = b.dataset.status;
      document.querySelectorAll("[data-status]").forEach(function (x) { x.setAttribute("aria-pressed", String(x === b)); });
      loadList();
    });
  });
  $("#more").addEventListener("click", loadMore);
  $("#avail").addEventListener("change", function (e) {
    var a = e.target.checked ? "AVAILABLE" : "OFFLINE";
    api("POST", "/inbox/api/availability", { availability: a }).then(function (j) {
      $("#avail-label").textContent = j.data.availability === "AVAILABLE" ? "Available" : "Away";
    }).catch(showError);
  });
  var help = $("#help");
  $("#help-open").addEventListener("click", function () { help.hidden = false; $("#help-close").focus(); });
  $("#help-close").addEventListener("click", function () { help.hidden = true; });
  document.addEventListener("keydown", function (e) {
    var t = e.target.tagName;
    if (e.key === "Escape") help.hidden = true;
    if (t === "TEXTAREA" || t === "INPUT" || t === "SELECT" || e.ctrlKey || e.metaKey || e.altKey) return;
    var i = state.list.findIndex(function (c) { return c.id === state.current; });
    var composer = document.querySelector(".composer");
    var act = {
      "?": function () { help.hidden = !help.hidden; },
      "/": function () { $("#q").focus(); },
      "j": function () { if (state.list[i + 1]) open(state.list[i + 1].id); },
      "k": function () { if (i > 0) open(state.list[i - 1].id); },
      "r": function () { if (composer) composer.querySelector(".tabs button").click(); },
      "n": function () { if (composer) composer.querySelectorAll(".tabs button")[1].click(); },
      "a": function () { if (state.current) assign(me.id); },
      "c": function () { if (state.current) setStatus("closed"); },
      "o": function () { if (state.current) setStatus("open"); },
      "p": function () { if (state.current) setStatus("pending"); },
      "1": function () { setView("mine"); }, "2": function () { setView("unassigned"); }, "3": function () { setView("all"); }
    }[e.key];
    if (act) { e.preventDefault(); act(); }
  });

  var canned = [];
  api("GET", "/inbox/api/canned-replies").then(function (j) { canned = j.data; }).catch(showError);

  var m = /^#c(\d+)$/.exec(location.hash);
  loadList().then(function () { if (m) open(Number(m[1])); });
  connect();
})();
