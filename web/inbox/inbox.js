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
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf; // every write, a DELETE without a body too
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); }
      return r.json().then(function (j) {
        if (!r.ok) {
          // A validation error names the field (errors[0].param): the
          // playbook editor shows it.
          var err = new Error(j.error && j.error.message || r.statusText);
          err.param = j.errors && j.errors[0] && j.errors[0].param;
          throw err;
        }
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
    var u = el("span", "unread-n"), c = el("span", "count");
    u.id = "unread-team-" + tm.id;
    c.id = "count-team-" + tm.id;
    b.append(u, c);
    li.append(b);
    $(".views").append(li);
  });
  // loadList reloads the list (only the counts in the Playbooks view). A
  // response older than the latest request is dropped: the list after a
  // read mark must not be overwritten by one from before it.
  var listSeq = 0;
  function loadList() {
    loadCounts("awaiting", "count-", " awaiting a reply");
    loadCounts("unread", "unread-", " unread");
    if (state.view === "playbooks") return Promise.resolve();
    var seq = ++listSeq;
    return api("GET", listURL()).then(function (j) {
      if (seq === listSeq) { state.list = j.data; state.next = j.next; renderList(); }
    }).catch(showError);
  }
  // The counts beside the views: open conversations awaiting a reply, and
  // those with messages the agent has not read (which the tab title shows).
  function loadCounts(what, prefix, label) {
    api("GET", "/inbox/api/" + what).then(function (j) {
      Object.keys(j.data.teams || {}).forEach(function (id) { j.data["team-" + id] = j.data.teams[id]; });
      ["mine", "unassigned", "all"].concat(Object.keys(teamNames).map(function (id) { return "team-" + id; })).forEach(function (v) {
        var n = j.data[v] || 0, c = $("#" + prefix + v);
        c.replaceChildren();
        if (n) c.append(String(n), el("span", "sr", label));
      });
      if (what === "unread") document.title = (j.data.all ? "(" + j.data.all + ") " : "") + "Inbox · Driftwood";
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
      var li = el("li"), b = el("button", "item" + (c.id === state.current ? " active" : "") + (c.unread ? " unread" : "") + (c.awaitingReply ? " awaiting" : ""));
      b.dataset.id = c.id;
      b.setAttribute("aria-current", c.id === state.current ? "true" : "false");
      var top = el("div", "top");
      top.append(el("span", "avatar", (c.contactName || c.contactEmail || "?").charAt(0).toUpperCase()),
        el("strong", "name", c.contactName || c.contactEmail || "Visitor " + c.contactId));
      if (c.unread) {
        var n = el("span", "unread-n", String(c.unread));
        n.append(el("span", "sr", " unread"));
        top.append(n);
      }
      top.append(el("time", "", when(c.updatedAt)));
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
        if (id === state.current) { state.conv = j.data; state.side = side.data; renderConv(); markRead(); }
      });
    }).catch(function (e) {
      $("#conv").replaceChildren(el("div", "empty", e.message));
    });
  }
  // markRead marks the open conversation read up to its last message shown,
  // while the agent can see it (a tab in the background marks it on return).
  var marked = {};
  function markRead() {
    var c = state.conv, last = c && c.messages.length && c.messages[c.messages.length - 1].id;
    if (!last || document.visibilityState !== "visible" || marked[c.id] >= last) return;
    marked[c.id] = last;
    api("POST", "/inbox/api/conversations/" + c.id + "/read", { messageId: last }).then(loadList)
      .catch(function (e) { delete marked[c.id]; showError(e); }); // to be tried again at the next look
  }
  document.addEventListener("visibilitychange", markRead);
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
    var was = state.view;
    state.view = v;
    state.team = team || 0;
    document.querySelectorAll("[data-view]").forEach(function (x) {
      x.setAttribute("aria-pressed", String(x.dataset.view === v && Number(x.dataset.team || 0) === state.team));
    });
    var pb = v === "playbooks";
    ["#convs", "#search-form", ".statuses"].forEach(function (s) { $(s).hidden = pb; });
    $("#pbs").hidden = $("#pb-new").hidden = !pb;
    if (pb || was === "playbooks") {
      state.current = 0; state.conv = null; state.list = []; state.next = "";
      $("#results").hidden = true;
      $("#q").value = "";
      $("#conv").replaceChildren(el("div", "empty", pb ? "Pick a playbook, or make a new one." : "Pick a conversation on the left."));
    }
    if (pb) {
      $("#list-title").textContent = "Playbooks";
      $("#more").hidden = true;
      return loadPlaybooks();
    }
    return loadList();
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

  // Playbooks (admins only; the API refuses agents): the org's playbooks
  // listed, each edited as its JSON, with the field an error names shown
  // beside the editor, and a dry run of the saved version.
  var pbs = [];
  function loadPlaybooks() {
    return api("GET", "/inbox/api/playbooks?limit=200").then(function (j) {
      pbs = j.data;
      renderPlaybooks();
    }).catch(showError);
  }
  function renderPlaybooks() {
    var ul = $("#pbs"), cur = state.pb && state.pb.id;
    ul.replaceChildren();
    if (!pbs.length) ul.append(el("li", "none", "No playbooks yet."));
    pbs.forEach(function (p) {
      var li = el("li"), b = button("", "item" + (p.id === cur ? " active" : ""), function () { editPlaybook(p); });
      b.setAttribute("aria-current", String(p.id === cur));
      var top = el("div", "top"), bottom = el("div", "bottom");
      top.append(el("strong", "name", p.name), el("span", "badge " + (p.enabled ? "open" : "closed"), p.enabled ? "on" : "off"));
      bottom.append(el("span", "preview", "v" + p.version + (p.definition ? " · priority " + p.definition.priority + " · " +
        p.definition.steps.length + " steps" : " · no definition")));
      b.append(top, bottom);
      li.append(b);
      ul.append(li);
    });
  }
  var newPlaybook = { name: "New playbook", enabled: false, definition: { priority: 0,
    targeting: { urls: [{ match: "contains", value: "/pricing" }] },
    steps: [{ id: "hello", kind: "message", text: "Hi {{name|there}}! Any questions about our plans?", next: "end" },
      { id: "end", kind: "end" }] } };
  $("#pb-new").addEventListener("click", function () { editPlaybook(null); });
  function labeled(label, id, value, rows) {
    var l = el("label", "", label), ta = el("textarea");
    l.htmlFor = ta.id = id;
    ta.rows = rows;
    ta.spellcheck = false;
    ta.value = value;
    return [l, ta];
  }
  // editPlaybook shows p (null: a new one) in the editor.
  function editPlaybook(p) {
    state.pb = p;
    renderPlaybooks();
    var main = $("#conv"), head = el("header", "conv-head"), title = el("div", "title");
    title.append(el("h2", "", p ? p.name : "New playbook"));
    if (p) title.append(el("span", "badge " + (p.enabled ? "open" : "closed"), (p.enabled ? "on" : "off") + " · v" + p.version));
    var actions = el("div", "actions");
    head.append(title, actions);
    var form = el("form", "pb-edit"), ed = labeled("Playbook JSON", "pb-json",
      JSON.stringify(p ? { name: p.name, enabled: p.enabled, definition: p.definition } : newPlaybook, null, 2), 22);
    var ta = ed[1], err = el("p", "pb-error"), saved = el("p", "pb-saved");
    err.id = "pb-error";
    err.setAttribute("role", "alert");
    saved.setAttribute("role", "status");
    ta.setAttribute("aria-describedby", "pb-error pb-hint");
    var hint = el("p", "hint", "name, enabled and definition (priority, targeting, steps). Each save is a new version.");
    hint.id = "pb-hint";
    var row = el("div", "row");
    row.append(el("button", "btn primary", p ? "Save" : "Create"), saved);
    form.append(ed[0], ta, hint, err, row);
    function fail(e, what) {
      err.replaceChildren();
      if (e.param) err.append(el("code", "", e.param), " ");
      err.append(what + e.message);
      ta.setAttribute("aria-invalid", "true");
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      saved.textContent = "";
      var body;
      try { body = JSON.parse(ta.value); } catch (x) { return fail(x, "Not valid JSON: "); }
      if (!body || typeof body !== "object" || Array.isArray(body)) return fail({ message: "it must be a JSON object" }, "Not a playbook: ");
      (p ? api("PATCH", "/inbox/api/playbooks/" + p.id, body) : api("POST", "/inbox/api/playbooks", body)).then(function (j) {
        return loadPlaybooks().then(function () {
          editPlaybook(j.data);
          $(".pb-saved").textContent = "Saved as version " + j.data.version + ".";
        });
      }).catch(function (x) { fail(x, ""); });
    });
    var dry = el("section", "pb-dry");
    dry.setAttribute("aria-labelledby", "dry-title");
    var dh = el("h3", "", "Dry run"), vis = labeled("Visitor context (JSON)", "pb-visitor",
      JSON.stringify({ url: "https://example.com/pricing", country: "", attributes: {}, answers: [] }, null, 2), 8);
    dh.id = "dry-title";
    var out = el("div", "pb-out"), derr = el("p", "pb-error");
    out.setAttribute("aria-live", "polite");
    derr.setAttribute("role", "alert");
    var runB = button("Run dry run", "btn", function () {
      derr.textContent = "";
      var v;
      try { v = JSON.parse(vis[1].value); } catch (x) { derr.textContent = "Not valid JSON: " + x.message; return; }
      api("POST", "/inbox/api/playbooks/" + p.id + "/test", v).then(function (j) { showDryRun(out, j.data.dryRun); })
        .catch(function (x) { derr.textContent = (x.param ? x.param + ": " : "") + x.message; });
    });
    dry.append(dh, el("p", "hint", p ? "Runs the saved version for this visitor: page URL, referrer, country, attributes, answers in order."
      : "Create the playbook to try it."), vis[0], vis[1], runB, derr, out);
    runB.disabled = vis[1].disabled = !p;
    if (p) {
      var del = button("Delete", "btn", function () {
        if (del.textContent === "Delete") { del.textContent = "Really delete?"; return; }
        api("DELETE", "/inbox/api/playbooks/" + p.id).then(function () {
          state.pb = null;
          main.replaceChildren(el("div", "empty", "Playbook " + p.name + " deleted."));
          return loadPlaybooks();
        }).catch(showError);
      });
      actions.append(del);
    }
    var body = el("div", "pb");
    body.append(form, dry);
    main.replaceChildren(head, body);
  }
  // showDryRun lists the dry run's path step by step, as text.
  function showDryRun(out, r) {
    out.replaceChildren(el("p", "fires", r.fires ? "Fires." : "Does not fire: " + (r.failedRule ? r.failedRule.rule + ": " + r.failedRule.reason : "")));
    var ol = el("ol", "path");
    r.path.forEach(function (t) {
      var li = el("li");
      li.append(el("code", "", t.step), " " + t.kind);
      function line(s) { if (s) li.append(el("div", "", s)); }
      line(t.bot && "Bot: " + t.bot);
      line(t.buttons && "Buttons: " + t.buttons.join(" | "));
      line(t.answer != null && "Visitor: " + t.answer + (t.valid === false ? " (refused)" : ""));
      line(t.retry && "Bot: " + t.retry);
      line(t.attribute && "Sets " + t.attribute + " = " + t.value);
      line(t.goal && "Goal: " + t.goal);
      line(t.route && "Route: " + t.route);
      line(t.seconds && "Waits " + t.seconds + " s");
      ol.append(li);
    });
    out.append(ol);
    var dl = el("dl");
    function row(k, v) { if (v) dl.append(el("dt", "", k), el("dd", "", v)); }
    row("Goals met", r.goals.join(", "));
    row("Routed", r.route && r.route.description);
    row("Outcome", r.outcome);
    row("Notes", (r.notes || []).join(" "));
    out.append(dl);
  }

  var canned = [];
  api("GET", "/inbox/api/canned-replies").then(function (j) { canned = j.data; }).catch(showError);

  var m = /^#c(\d+)$/.exec(location.hash);
  loadList().then(function () { if (m) open(Number(m[1])); });
  connect();
})();
