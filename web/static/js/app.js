// crn web app: the live feed and small composer helpers. Pages work without
// this module; it only adds what a server-rendered page cannot do alone.
// No inline scripts: the Content-Security-Policy forbids them.

const body = document.body;
const topicID = Number(body.dataset.topic || 0);
const userID = Number(body.dataset.user || 0);
const live = document.getElementById("live");

function announce(text) {
  if (live) live.textContent = text;
}

// fragment fetches server-rendered HTML the way htmx would, so handlers
// answer with a fragment instead of a whole page.
async function fragment(url, onMissing) {
  const res = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
  if (res.status === 404 && onMissing) onMissing();
  if (!res.ok) return null;
  const t = document.createElement("template");
  t.innerHTML = (await res.text()).trim();
  return t.content.firstElementChild;
}

function activate(el) {
  if (el && window.htmx) window.htmx.process(el);
}

// ---------------------------------------------------------------- live feed

const lastSeen = {}; // channel → last event id, to resume after a reconnect
let socket = null;
let backoff = 1000;

const onlineList = document.querySelector("[data-live-online]");

function channels() {
  const out = [];
  if (onlineList) out.push("presence");
  if (document.querySelector("[data-live-queue]")) out.push("moderation");
  if (topicID) out.push("topic:" + topicID);
  if (userID) out.push("user:" + userID);
  return out;
}

function connect() {
  const chans = channels();
  if (!chans.length || !("WebSocket" in window)) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(scheme + "//" + location.host + "/api/v1/ws");
  socket = ws;
  ws.addEventListener("open", () => {
    backoff = 1000;
    const since = {};
    for (const c of chans) if (lastSeen[c]) since[c] = lastSeen[c];
    ws.send(JSON.stringify({ type: "subscribe", ref: "pages", channels: chans, since }));
    if (topicID && userID) ws.send(JSON.stringify({ type: "presence", topic: topicID }));
  });
  ws.addEventListener("message", (m) => {
    let f;
    try {
      f = JSON.parse(m.data);
    } catch {
      return;
    }
    handle(f);
  });
  ws.addEventListener("close", (e) => {
    socket = null;
    delete body.dataset.live;
    if (e.code === 4001) return; // signed out: do not retry
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  });
}

function handle(f) {
  switch (f.type) {
    case "subscribed":
      // Tests and styles can tell the page is live.
      body.dataset.live = "connected";
      if (topicID) loadViewers();
      break;
    case "presence":
      if (f.scope === "topic:" + topicID) onViewer(f.user, f.joined);
      else if (f.scope === "online") onOnline(f.user, f.joined);
      break;
    case "event":
      if (f.id) lastSeen[f.channel] = f.id;
      onEvent(f.channel, f.event, f.data || {});
      break;
    case "typing":
      onTyping(f.user, f.joined);
      break;
    case "resync":
      if (f.channel === "topic:" + topicID) refreshLatest();
      break;
  }
}

function onEvent(channel, name, data) {
  if (channel.startsWith("topic:")) {
    if (name === "post.created") addPost(data.post_id);
    else if (name === "post.edited" || name === "post.deleted" || name === "post.restored") replacePost(data.post_id);
    else if (name === "reaction.added" || name === "reaction.removed") refreshReactions(data.post_id);
  } else if (channel === "moderation") {
    refreshQueue();
  } else if (channel.startsWith("user:") && name === "notification.created") {
    const n = (data.payload || {}).unread_count;
    setUnread(typeof n === "number" ? n : null);
    const menu = document.getElementById("notifications");
    if (menu && menu.open) refreshMenu();
  }
}

// showsEnd: new posts are appended only when the page shows the topic's end.
function showsEnd() {
  return !document.querySelector('.pager a[rel="next"]');
}

async function addPost(postID) {
  const list = document.getElementById("posts");
  if (!list || !postID || !showsEnd()) return;
  if (list.querySelector('[data-post-id="' + postID + '"]')) return;
  const el = await fragment("/p/" + postID);
  if (!el || list.querySelector('[data-post-id="' + postID + '"]')) return;
  el.classList.add("arrived");
  list.appendChild(el);
  activate(el);
  const who = el.querySelector(".post-author a");
  clearTyping(el.dataset.authorId);
  announce(body.dataset.newPosts + (who ? ": " + who.textContent : ""));
}

async function replacePost(postID) {
  const old = document.querySelector('[data-post-id="' + postID + '"]');
  if (!old) return;
  // A 404: deleted, and this reader may not see deleted posts.
  const el = await fragment("/p/" + postID, () => old.remove());
  if (el) {
    old.replaceWith(el);
    activate(el);
  }
}

async function refreshReactions(postID) {
  const old = document.getElementById("reactions-" + postID);
  if (!old) return;
  const el = await fragment("/p/" + postID + "/reactions");
  if (el) {
    old.replaceWith(el);
    activate(el);
  }
}

async function refreshLatest() {
  // Too much was missed to replay: reload the page's posts.
  if (showsEnd()) location.reload();
}

function setUnread(n) {
  const badge = document.getElementById("notification-count");
  if (!badge) return;
  if (n === null) n = Number(badge.textContent || 0) + 1;
  badge.textContent = String(n);
  badge.classList.toggle("empty", n === 0);
}

async function refreshMenu() {
  const panel = document.getElementById("notification-menu");
  if (!panel) return;
  const res = await fetch("/notifications/menu", { headers: { "HX-Request": "true" }, credentials: "same-origin" });
  if (res.ok) panel.innerHTML = await res.text();
}

// ---------------------------------------------------------------- viewers

const viewers = new Map(); // user id → username
const viewersLine = document.getElementById("viewers");

function renderViewers() {
  if (!viewersLine) return;
  const names = [...viewers.entries()].filter(([id]) => id !== userID).map(([, name]) => name);
  viewersLine.textContent = names.length ? body.dataset.viewing + " " + names.join(", ") : "";
}

function onViewer(user, joined) {
  if (!user) return;
  if (joined) viewers.set(user.id, user.username);
  else viewers.delete(user.id);
  renderViewers();
}

async function loadViewers() {
  const res = await fetch("/api/v1/presence?channel=topic:" + topicID, { credentials: "same-origin" });
  if (!res.ok) return;
  const data = await res.json();
  for (const u of data.users || []) viewers.set(u.id, u.username);
  renderViewers();
}

// ---------------------------------------------------------------- who is online (home)

function onOnline(user, joined) {
  if (!onlineList || !user) return;
  const item = onlineList.querySelector('[data-user-id="' + user.id + '"]');
  if (joined && !item) {
    const li = document.createElement("li");
    li.dataset.userId = String(user.id);
    const a = document.createElement("a");
    a.href = "/u/" + encodeURIComponent(user.username);
    a.textContent = user.username;
    li.appendChild(a);
    onlineList.appendChild(li);
  } else if (!joined && item) {
    item.remove();
  }
  const none = document.getElementById("online-none");
  if (none) none.hidden = onlineList.children.length > 0;
}

// ---------------------------------------------------------------- typing

const typists = new Map(); // user id → {name, timer}
const typingLine = document.getElementById("typing");

function renderTyping() {
  if (!typingLine) return;
  const names = [...typists.values()].map((t) => t.name);
  typingLine.textContent = names.length ? names.join(", ") + " " + body.dataset.typing : "";
}

function onTyping(user, joined) {
  if (!user || user.id === userID) return;
  const cur = typists.get(user.id);
  if (cur) clearTimeout(cur.timer);
  if (joined) {
    // The server says when typing stops; the timer only covers a lost frame.
    typists.set(user.id, { name: user.username, timer: setTimeout(() => clearTyping(user.id), 8000) });
  } else {
    typists.delete(user.id);
  }
  renderTyping();
}

function clearTyping(id) {
  if (id && typists.has(Number(id))) {
    clearTimeout(typists.get(Number(id)).timer);
    typists.delete(Number(id));
    renderTyping();
  }
}

let lastTyping = 0;
document.addEventListener("input", (e) => {
  if (!(e.target instanceof HTMLTextAreaElement) || !e.target.closest("#composer")) return;
  const now = Date.now();
  if (socket && socket.readyState === WebSocket.OPEN && topicID && now - lastTyping > 3000) {
    lastTyping = now;
    socket.send(JSON.stringify({ type: "typing", topic: topicID }));
  }
});

// ---------------------------------------------------------------- composer

document.addEventListener("click", (e) => {
  const mention = e.target.closest("[data-mention]");
  if (mention) {
    const form = mention.closest("form");
    const area = form && form.querySelector("textarea");
    if (area) {
      area.value = area.value.replace(/@[\p{L}\p{N}_.-]*$/u, "@" + mention.dataset.mention + " ");
      area.focus();
      const box = mention.closest(".suggestions");
      if (box) box.textContent = "";
    }
    return;
  }
  const reply = e.target.closest("[data-reply-to]");
  if (reply) {
    const form = document.getElementById("composer");
    if (!form) return;
    form.querySelector('input[name="reply_to"]').value = reply.dataset.replyTo;
    const area = form.querySelector("textarea");
    if (area) {
      e.preventDefault();
      area.focus();
      area.scrollIntoView({ block: "center" });
    }
  }
});

// ---------------------------------------------------------------- review queue

let queueTimer = null;
function refreshQueue() {
  // Several events arrive together when a moderator acts: refetch once.
  clearTimeout(queueTimer);
  queueTimer = setTimeout(async () => {
    const old = document.getElementById("queue");
    if (!old) return;
    const el = await fragment(location.pathname + location.search);
    if (!el) return;
    const cur = document.activeElement && document.activeElement.closest("[data-review-item]");
    old.replaceWith(el);
    activate(el);
    if (cur && document.getElementById(cur.id)) document.getElementById(cur.id).focus();
  }, 300);
}

// After an action the list comes back: keep the keyboard on the next item.
document.addEventListener("htmx:afterSettle", () => {
  const first = document.querySelector("#queue [data-review-item]");
  if (first && (document.activeElement === body || !document.activeElement)) first.focus();
});

// j/k move between queue items; a letter clicks the current item's button
// that carries it as data-shortcut.
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || !document.getElementById("queue")) return;
  if (e.target.closest("input, textarea, select, [contenteditable]")) return;
  const items = [...document.querySelectorAll("[data-review-item]")];
  if (!items.length) return;
  const cur = document.activeElement && document.activeElement.closest("[data-review-item]");
  let i = items.indexOf(cur);
  if (e.key === "j" || e.key === "k") {
    i = e.key === "j" ? Math.min(i + 1, items.length - 1) : Math.max(i - 1, 0);
    items[i].focus();
    items[i].scrollIntoView({ block: "nearest" });
    e.preventDefault();
    return;
  }
  const target = cur || items[0];
  const button = target.querySelector('[data-shortcut="' + e.key + '"]');
  if (button) {
    e.preventDefault();
    button.click();
  }
});

// Move keyboard focus to the first unread post when the page opens there.
const unread = document.getElementById("unread");
if (unread && !location.hash) unread.scrollIntoView({ block: "start" });

connect();

// ---------------------------------------------------------------- uploads

// Upload forms (data-upload) are plain multipart posts; with this module
// they go through XMLHttpRequest so their <progress> shows how far the file
// is. The server answers like htmx: HX-Redirect on success, an alert
// fragment for #flash on failure.
for (const form of document.querySelectorAll("form[data-upload]")) {
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const bar = form.querySelector("progress");
    const button = form.querySelector('button[type="submit"]');
    const flash = document.getElementById("flash");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("X-CSRF-Token", form.querySelector('input[name="csrf"]').value);
    xhr.upload.addEventListener("progress", (p) => {
      if (bar && p.lengthComputable) bar.value = Math.round((100 * p.loaded) / p.total);
    });
    const done = () => {
      if (button) button.disabled = false;
      if (bar) bar.hidden = true;
    };
    xhr.addEventListener("load", () => {
      const to = xhr.getResponseHeader("HX-Redirect");
      if (xhr.status < 300 && to) {
        location.assign(to);
        return;
      }
      done();
      // The server rendered (and escaped) the message fragment.
      if (flash) flash.innerHTML = xhr.responseText;
    });
    xhr.addEventListener("error", () => {
      done();
      if (flash) flash.textContent = form.dataset.failed || "";
    });
    if (button) button.disabled = true;
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
    xhr.send(new FormData(form));
  });
}
