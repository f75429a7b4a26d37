"use strict";
// The goblins UI: the run list (pages, search, children under their parents), a run (its
// timeline, what it waits for and why, its events), the workers. No inline script or style
// (the CSP forbids both): bars are placed through the CSSOM, which the CSP allows.
const $ = (id) => document.getElementById(id);
let current = null;
const PAGE = 500;  // events per page: a run of 20,000 events shows its first page at once
let loaded = [];   // the current run's events shown so far
let nextToken = "";  // where the next page starts ("": everything shown; refreshes fetch what is new)
let busy = false;
let desc = null;   // the current run's description (goblins.RunDescription), when fetched
let pages = [""];  // the list's page tokens: pages[i] starts page i+1
let listNext = "";

function esc(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
// Times as ISO 8601 in UTC: the same on every operator's screen, and sortable.
function iso(ts) { return ts ? new Date(ts * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : ""; }
function isoMs(ts) { return ts ? new Date(ts * 1000).toISOString() : ""; }
function clock(ts) { return new Date(ts * 1000).toISOString().slice(11, 23); }  // an event's time of day, to the ms
function now() { return Date.now() / 1000; }
function dur(s) {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${d}d ${String(h % 24).padStart(2, "0")}h`;
}
// A duration that counts to now while its run runs: refreshed every second by tick().
function since(start, end) {
  return end ? esc(dur(end - start)) : `<span class="since" data-since="${start}">${esc(dur(now() - start))}</span>`;
}
function tick() { document.querySelectorAll("[data-since]").forEach((el) => { el.textContent = dur(now() - Number(el.dataset.since)); }); }
function step(id) { return current && id.startsWith(current + "/") ? id.slice(current.length) : id; }

// A payload as collapsible JSON; "encrypted" is what the UI gets for a payload it holds no key for.
function jsonView(v, depth = 0) {
  if (v === "encrypted") return `<span class="enc" title="the UI holds no codec key for this payload">encrypted</span>`;
  if (v === null || typeof v !== "object") return `<code>${esc(JSON.stringify(v))}</code>`;
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  if (!entries.length) return `<code>${Array.isArray(v) ? "[]" : "{}"}</code>`;
  const label = Array.isArray(v) ? `[${entries.length} item${entries.length > 1 ? "s" : ""}]` : `{${entries.length} key${entries.length > 1 ? "s" : ""}}`;
  const open = depth === 0 && JSON.stringify(v).length <= 120 ? " open" : "";
  return `<details class="json"${open}><summary>${label}</summary><ul>` +
    entries.map(([k, x]) => `<li><span class="jk">${esc(k)}</span>: ${jsonView(x, depth + 1)}</li>`).join("") + "</ul></details>";
}
function trace(f) {
  return f && f.stack_trace ? `<details class="trace"><summary>stack trace</summary><pre class="mono">${esc(f.stack_trace)}</pre></details>` : "";
}
function failure(f) {
  if (!f) return "";
  let out = `<span class="ERROR">${esc(f.message)}</span>` + (f.non_retryable ? " (non-retryable)" : "");
  if (f.details !== null && f.details !== undefined) out += ` details ${jsonView(f.details)}`;
  return out + trace(f);
}

let csrf = "";  // the double-submit token: the UI's cookie, sent back in a header on every POST
let loggingIn = false;

async function session() {
  const resp = await fetch("/api/session");
  const data = await resp.json();
  csrf = data.csrf_token;
  $("server").textContent = data.server;
  $("logout").hidden = !data.logged_in;
  return data;
}
async function api(path, body, retried) {
  const opts = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify(body),
  };
  const resp = await fetch(path, opts);
  const data = await resp.json();
  if (resp.status === 403 && data.code === "csrf" && !retried) {  // the UI restarted: a new token
    await session();
    return api(path, body, true);
  }
  if (resp.status === 401 && data.code === "login") showLogin(data.error);
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}
function showLogin(why) {
  if (loggingIn) return;
  loggingIn = true;
  $("app").hidden = true;
  $("login").hidden = false;
  $("loginmsg").textContent = why || "";
  $("token").focus();
}
async function login(ev) {
  ev.preventDefault();
  try {
    await api("/api/login", {token: $("token").value});
  } catch (e) { $("loginmsg").textContent = e.message; return; }
  $("token").value = "";
  loggingIn = false;
  $("login").hidden = true;
  $("app").hidden = false;
  await session();
  route();
}
async function logout() {
  await api("/api/logout", {});
  location.reload();
}
function say(text, good) { const m = $("msg"); m.textContent = text; m.className = good ? "good" : "bad"; }

// ---- the list ----

function runRow(r, depth, orphan) {
  let note = orphan ? ` <span class="note">child of <a href="#" data-id="${esc(r.parent_run_id)}">${esc(r.parent_run_id)}</a></span>` : "";
  const attrs = Object.entries(r.search_attributes || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
  if (attrs) note += ` <span class="note attrs">${esc(attrs)}</span>`;
  return `<tr class="run${depth ? " child d" + Math.min(depth, 4) : ""}${r.run_id === current ? " on" : ""}" data-id="${esc(r.run_id)}" data-parent="${esc(r.parent_run_id || "")}">` +
    `<td class="mono">${depth ? "↳ " : ""}${esc(r.run_id)}${note}</td><td class="mono">${esc(r.workflow_id || "")}</td><td>${esc(r.workflow_name)}</td>` +
    `<td class="${esc(r.status)}">${esc(r.status)}</td><td class="mono">${iso(r.created_at)}</td>` +
    `<td>${since(r.created_at, r.finished_at || (r.status === "RUNNING" ? 0 : r.created_at))}</td></tr>`;
}
function nest(runs) {  // children right under their parent when both are on the page
  const byId = new Map(runs.map((r) => [r.run_id, r])), kids = new Map();
  for (const r of runs) if (r.parent_run_id && byId.has(r.parent_run_id)) {
    if (!kids.has(r.parent_run_id)) kids.set(r.parent_run_id, []);
    kids.get(r.parent_run_id).push(r);
  }
  const out = [];
  const walk = (r, depth) => { out.push(runRow(r, depth, depth === 0 && !!r.parent_run_id)); for (const k of kids.get(r.run_id) || []) walk(k, depth + 1); };
  for (const r of runs) if (!(r.parent_run_id && byId.has(r.parent_run_id))) walk(r, 0);
  return out.join("");
}
function searchQuery() {
  const q = new URLSearchParams({limit: $("limit").value || "50"});
  for (const [field, param] of [["status", "status"], ["name", "name"], ["runid", "run_id"], ["from", "from"], ["to", "to"], ["query", "query"]]) {
    const v = $(field).value.trim();
    if (v) q.set(param, v);
  }
  const token = pages[pages.length - 1];
  if (token) q.set("page_token", token);
  return q;
}
async function loadRuns() {
  try {
    const data = await api("/api/runs?" + searchQuery());
    listNext = data.next_page_token || "";
    $("runs").innerHTML = data.runs.length ? nest(data.runs) : `<tr><td colspan="6" class="note">no runs match</td></tr>`;
    $("pageno").textContent = `page ${pages.length}`;
    $("next").disabled = !listNext;
    $("prev").disabled = $("first").disabled = pages.length === 1;
  } catch (e) { $("runs").innerHTML = `<tr><td colspan="6" class="ERROR">${esc(e.message)}</td></tr>`; }
}
function search(ev) { if (ev) ev.preventDefault(); pages = [""]; loadRuns(); }

// ---- a run ----

function details(e) {  // e: a goblins.Event (envelope, failure, the kind's attributes)
  const out = [], a = e.attributes;
  if (e.step_id && e.name) out.push(`<b>${esc(e.name)}</b>` + (a.attempt ? ` attempt ${a.attempt}/${a.max_attempts || "∞"}` : ""));
  if (e.type === "WORKFLOW_SIGNALED") out.push(`signal <b>${esc(e.name)}</b>`);
  if (e.type === "UPDATE_ACCEPTED" || e.type === "UPDATE_COMPLETED") out.push(`update <b>${esc(e.name)}</b> <code>${esc(a.update_id)}</code>`);
  if (e.type === "MARKER_RECORDED") out.push(`patch <b>${esc(a.patch_id)}</b>` + (a.deprecated ? " (deprecated)" : ""));
  if (e.input !== null && e.input !== undefined) out.push(`input ${jsonView(e.input)}`);
  if (e.output !== null && e.output !== undefined) out.push(`output ${jsonView(e.output)}`);
  if (e.failure) out.push(failure(e.failure));
  if (a.reason) out.push(`<span class="ERROR">${esc(a.reason)}</span>`);
  if (a.retry_at) out.push(`retry at ${iso(a.retry_at)}`);
  if (a.fire_at) out.push(`fires at ${iso(a.fire_at)}`);
  if (a.child_run_id) out.push(`child <a href="#" data-id="${esc(a.child_run_id)}">${esc(a.child_run_id)}</a>`);
  if (a.continued_as) out.push(`continued as <a href="#" data-id="${esc(a.continued_as)}">${esc(a.continued_as)}</a>`);
  if (a.parent_run_id) out.push(`parent <a href="#" data-id="${esc(a.parent_run_id)}">${esc(a.parent_run_id)}</a>`);
  if (a.execution_timeout) out.push(`execution timeout ${a.execution_timeout}s`);
  if (a.reset_from_run_id) out.push(`reset from <a href="#" data-id="${esc(a.reset_from_run_id)}">${esc(a.reset_from_run_id)}</a> at step ${esc(a.reset_to_seq)}` + (a.reset_reason ? ` (${esc(a.reset_reason)})` : ""));
  if (a.reset_to_run_id) out.push(`reset to <a href="#" data-id="${esc(a.reset_to_run_id)}">${esc(a.reset_to_run_id)}</a>`);
  return out.join("<br>");
}
function row(e) {
  return `<tr><td>${e.seq}</td><td class="${e.type.endsWith("ERROR") || e.type.endsWith("FAILED") ? "ERROR" : ""}">${esc(e.type)}</td>` +
    `<td class="mono">${esc(step(e.step_id))}</td><td class="mono">${clock(e.time)}</td><td class="detail">${details(e)}</td></tr>`;
}
function summary(events, partial) {
  const last = events[events.length - 1];
  if (!last) return "";
  if (desc) {
    const end = desc.close_time;
    let out = `<span class="${esc(desc.status)}">${esc(desc.status)}</span> ` + (end ? `in ${since(desc.start_time, end)}` : `for ${since(desc.start_time, 0)} so far`);
    if (desc.continued_as) out += `, continued as <a href="#" data-id="${esc(desc.continued_as)}">${esc(desc.continued_as)}</a>`;
    return out + `, ${events.length}${partial ? "+" : ""} events`;
  }
  if (partial) return `${events.length} events shown, more to load below`;
  if (last.type === "WORKFLOW_TASK_FAILED")  // a bug in the workflow code: retried until fixed code runs it
    return `<span class="RUNNING">RUNNING</span>, its workflow task fails (retried with back-off): <span class="ERROR">${esc(last.failure.message)}</span>`;
  return `${events.length} events`;
}

// The timeline: one row per step (activity, timer, child), its attempts under it, signals as marks.
function steps(events) {
  const byStep = new Map(), order = [], marks = [];
  const add = (e, kind) => { const s = {kind, id: e.step_id, name: e.name, start: e.time, end: 0, outcome: "running", attempts: []}; byStep.set(e.step_id, s); order.push(s); return s; };
  for (const e of events) {
    const a = e.attributes || {}, s = byStep.get(e.step_id);
    switch (e.type) {
      case "ACTIVITY_SCHEDULED": add(e, "activity").max = (a.retry_policy && a.retry_policy.maximum_attempts) || 0; break;
      case "ACTIVITY_STARTED":
        if (s && a.async_token_hash && s.attempts.some((x) => x.n === a.attempt && !x.end)) break;  // went async: the same attempt
        if (s) s.attempts.push({n: a.attempt || s.attempts.length + 1, start: e.time, end: 0, outcome: "running"}); break;
      case "ACTIVITY_FINISHED_IN_ERROR":
      case "ACTIVITY_FINISHED_IN_SUCCESS": {
        if (!s) break;
        const ok = e.type === "ACTIVITY_FINISHED_IN_SUCCESS";
        let at = s.attempts.find((x) => !x.end);
        if (!at) { at = {n: a.attempt || s.attempts.length + 1, start: s.retryAt || s.start}; s.attempts.push(at); }
        at.end = e.time; at.outcome = ok ? "ok" : "failed"; at.failure = e.failure;
        if (!ok) s.lastFailure = e.failure;
        if (!ok && a.retry_at) { s.retryAt = a.retry_at; s.outcome = "retrying"; } else { s.end = e.time; s.outcome = ok ? "ok" : "failed"; }
        break;
      }
      case "TIMER_STARTED": add(e, "timer").fireAt = a.fire_at; break;
      case "TIMER_FIRED": if (s) { s.end = e.time; s.outcome = "ok"; } break;
      case "CHILD_WORKFLOW_STARTED": add(e, "child").child = a.child_run_id; break;
      case "CHILD_WORKFLOW_COMPLETED":
      case "CHILD_WORKFLOW_FAILED": {
        const c = s || add(e, "child");
        c.end = e.time; c.outcome = e.type === "CHILD_WORKFLOW_COMPLETED" ? "ok" : "failed"; c.lastFailure = e.failure;
        c.child = c.child || a.child_run_id;
        break;
      }
      case "WORKFLOW_SIGNALED": marks.push({kind: "signal", name: e.name, time: e.time}); break;
      case "WORKFLOW_TASK_FAILED": marks.push({kind: "task-failed", name: e.failure ? e.failure.message : "workflow task failed", time: e.time}); break;
      case "WORKFLOW_CANCEL_REQUESTED": marks.push({kind: "cancel", name: "cancel requested", time: e.time}); break;
    }
  }
  return {order, marks};
}
function bar(cls, start, end, title) {
  return `<div class="tltrack"><div class="tlbar ${cls}" data-s="${start}" data-e="${end}" title="${esc(title)}"></div></div>`;
}
function timeline(events) {
  if (!events.length) return "";
  const {order, marks} = steps(events);
  const t0 = events[0].time, last = events[events.length - 1];
  const ended = desc ? !!desc.close_time : last.type.startsWith("WORKFLOW_FINISHED");
  const t1 = Math.max(ended ? (desc && desc.close_time) || last.time : now(), t0 + 0.001);
  const status = desc ? desc.status : ended ? "ended" : "RUNNING";
  const out = [`<div class="tlaxis"><span class="mono">${isoMs(t0)}</span><span class="mono">${ended ? isoMs(t1) : "now"}</span></div>`,
    `<div class="tlrow run"><div class="tllabel">run <span class="${esc(status)}">${esc(status)}</span></div>` +
    bar(ended ? (desc && desc.failure ? "failed" : "ok") : "running", t0, t1, `${status}, ${dur(t1 - t0)}`) + "</div>"];
  for (const s of order) {
    const end = s.end || t1, what = s.kind === "timer" ? "timer" : s.kind;
    const tries = s.attempts.length > 1 ? ` <span class="note">${s.attempts.length} attempts${s.max ? " of " + s.max : ""}</span>` : "";
    const label = s.kind === "child" ? `child <b>${esc(s.name)}</b> <a href="#" data-id="${esc(s.child || "")}">${esc(s.child || "")}</a>`
      : s.kind === "timer" ? `timer <span class="note">${s.fireAt ? "fires " + iso(s.fireAt) : ""}</span>` : `activity <b>${esc(s.name)}</b>${tries}`;
    out.push(`<div class="tlstep ${what}" data-step="${esc(s.id)}"><div class="tlrow"><div class="tllabel">${label} <span class="mono note">${esc(step(s.id))}</span></div>` +
      bar(s.outcome, s.start, end, `${s.outcome}, ${dur(end - s.start)}`) + "</div>");
    if (s.attempts.length > 1) {
      for (const at of s.attempts) {
        out.push(`<div class="tlrow attempt"><div class="tllabel">attempt ${at.n} <span class="${at.outcome === "failed" ? "ERROR" : at.outcome === "ok" ? "COMPLETED" : "RUNNING"}">${esc(at.outcome)}</span></div>` +
          bar(at.outcome, at.start, at.end || t1, `attempt ${at.n}: ${at.outcome}`) + "</div>");
      }
    }
    if (s.lastFailure) out.push(`<div class="tlfail">${s.outcome === "ok" ? "last failure before it succeeded" : "last failure"}: ${failure(s.lastFailure)}</div>`);
    out.push("</div>");
  }
  for (const m of marks) {
    out.push(`<div class="tlrow mark ${m.kind}"><div class="tllabel">${m.kind === "signal" ? "signal <b>" + esc(m.name) + "</b>" : `<span class="ERROR">${esc(m.name)}</span>`}</div>` +
      bar(m.kind, m.time, m.time, `${m.kind} at ${isoMs(m.time)}`) + "</div>");
  }
  return `<div class="tl" data-t0="${t0}" data-t1="${t1}">${out.join("")}</div>`;
}
function placeBars() {  // positions through the CSSOM: the CSP refuses style attributes in markup
  for (const tl of document.querySelectorAll(".tl")) {
    const t0 = Number(tl.dataset.t0), span = Number(tl.dataset.t1) - t0;
    for (const b of tl.querySelectorAll(".tlbar")) {
      const s = (Number(b.dataset.s) - t0) / span, e = (Number(b.dataset.e) - t0) / span;
      b.style.left = `${Math.max(0, Math.min(s, 1)) * 100}%`;
      b.style.width = `${Math.max(0.6, Math.min(e, 1) * 100 - Math.max(0, s) * 100)}%`;
    }
  }
}
function drawTimeline() {
  $("timeline").innerHTML = timeline(loaded);
  $("timelinehead").hidden = !loaded.length;
  placeBars();
}

function pendingPanel(d) {
  const out = [];
  for (const a of d.pending_activities) {
    const tries = `attempt ${a.attempt}${a.max_attempts ? " of " + a.max_attempts : ""}`;
    let item = `<li class="pact">activity <b>${esc(a.name)}</b> <span class="mono note">${esc(step(a.step_id))}</span>: ${esc(a.state)}, ${tries}, scheduled ${iso(a.scheduled_time)}`;
    if (a.last_started_time) item += `, last started ${iso(a.last_started_time)}`;
    if (a.next_retry_time) item += `, next retry ${iso(a.next_retry_time)}`;
    if (a.last_heartbeat_time || (a.heartbeat_details !== null && a.heartbeat_details !== undefined))
      item += `<br>last heartbeat ${iso(a.last_heartbeat_time) || "(time unknown)"} ${jsonView(a.heartbeat_details)}`;
    if (a.last_failure) item += `<br>last failure: ${failure(a.last_failure)}`;
    out.push(item + "</li>");
  }
  for (const t of d.pending_timers) out.push(`<li>timer <span class="mono note">${esc(step(t.step_id))}</span> fires at ${iso(t.fire_time)}</li>`);
  for (const c of d.children) if (c.status === "RUNNING")
    out.push(`<li>child <b>${esc(c.name)}</b> <a href="#" data-id="${esc(c.run_id)}">${esc(c.run_id)}</a> <span class="RUNNING">RUNNING</span></li>`);
  if (d.signals_waited_for.length) out.push(`<li>signal${d.signals_waited_for.length > 1 ? "s" : ""} ${d.signals_waited_for.map((s) => `<b>${esc(s)}</b>`).join(", ")}</li>`);
  if (d.workflow_task_failure)
    out.push(`<li>its workflow task, failing since ${iso(d.workflow_task_failing_since)} (${d.workflow_task_failures} failures): ${failure(d.workflow_task_failure)}</li>`);
  if (d.cancel_requested) out.push(`<li>cancellation requested: the run is handling it</li>`);
  if (!out.length) out.push(`<li>a workflow task: the workflow's code to run its next step</li>`);
  const why = d.reasons.length ? `<p><b>Why it is not moving:</b></p><ul class="why">${d.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : "";
  return `<ul>${out.join("")}</ul>${why}`;
}
function showDescription(d) {
  const running = d.status === "RUNNING";
  $("banner").hidden = !d.reasons.length;
  $("banner").innerHTML = d.reasons.length ? `<b>This run is stuck.</b> ${d.reasons.map((r) => `<div>${esc(r)}</div>`).join("")}` : "";
  $("pending").hidden = !running;
  if (running) $("pendingbody").innerHTML = pendingPanel(d);
  $("times").innerHTML = `started ${iso(d.start_time)}` + (d.close_time ? `, ended ${iso(d.close_time)}` : "");
  const finished = [];
  if (d.status === "COMPLETED") finished.push(`<div class="panel"><h3>Result</h3>${jsonView(d.result)}</div>`);
  if (d.failure) finished.push(`<div class="panel"><h3>Failure</h3>${failure(d.failure)}</div>`);
  if (Object.keys(d.search_attributes || {}).length) finished.push(`<div class="panel"><h3>Search attributes</h3>${jsonView(d.search_attributes)}</div>`);
  if (d.memo) finished.push(`<div class="panel"><h3>Memo</h3>${jsonView(d.memo)}</div>`);
  $("outcome").innerHTML = finished.join("");
  $("summary").innerHTML = summary(loaded, !!nextToken);
}
async function loadDescription() {
  const id = current;
  try {
    const d = await api(`/api/runs/${encodeURIComponent(id)}/describe?run_id=${encodeURIComponent(id)}`);
    if (id !== current) return;
    desc = d;
    showDescription(d);
    drawTimeline();
  } catch (e) { if (id === current) $("pendingbody").textContent = e.message; }
}

async function loadRun(id) {  // a run picked: its first page and its description
  current = id; loaded = []; nextToken = ""; desc = null;
  if (location.hash !== "#run=" + encodeURIComponent(id)) history.replaceState(null, "", "#run=" + encodeURIComponent(id));
  show("runs");
  $("title").textContent = id;
  $("actions").hidden = $("runbar").hidden = $("eventsbox").hidden = false;
  $("hint").hidden = true;
  $("download").href = `/api/runs/${encodeURIComponent(id)}/history.json?run_id=${encodeURIComponent(id)}`;
  $("download").setAttribute("download", `${id}.history.json`);
  for (const el of ["events", "summary", "timeline", "outcome", "times"]) $(el).innerHTML = "";
  $("banner").hidden = $("pending").hidden = true;
  document.querySelectorAll("tr.run").forEach((tr) => tr.classList.toggle("on", tr.dataset.id === id));
  busy = false;
  await loadPage();
  await loadDescription();
}
async function loadPage() {  // the next page, or (all shown) the events recorded since
  if (!current || busy) return;
  busy = true;
  const id = current;
  const q = new URLSearchParams({page_size: PAGE, run_id: id});  // the run picked, not its chain's newest
  if (nextToken) q.set("page_token", nextToken);
  else if (loaded.length) q.set("after_seq", loaded[loaded.length - 1].seq);
  try {
    const data = await api(`/api/runs/${encodeURIComponent(id)}?` + q);
    if (id !== current) return;  // another run was picked meanwhile
    loaded.push(...data.events);
    const first = data.events[0];  // the run's start names its workflow id: the page's title
    if (first && first.seq === 1 && first.attributes.workflow_id) $("title").textContent = `${first.attributes.workflow_id} · ${id}`;
    nextToken = data.next_page_token || "";
    $("events").insertAdjacentHTML("beforeend", data.events.map(row).join(""));
    $("summary").innerHTML = summary(loaded, !!nextToken);
    $("more").hidden = !nextToken;
    if (data.events.length || !desc || !desc.close_time) drawTimeline();
  } catch (err) {
    if (id === current) $("events").innerHTML = `<tr><td colspan="5" class="ERROR">${esc(err.message)}</td></tr>`;
  } finally { if (id === current) busy = false; }
}
async function act(action) {
  if (!current) return;
  let body;
  if (action === "signal" || action === "query") {
    let args = [];
    try { args = $("sargs").value.trim() ? JSON.parse($("sargs").value) : []; } catch (e) { return say("arguments: " + e.message); }
    if (!Array.isArray(args)) return say('arguments must be a JSON array, e.g. ["ada"]');
    body = {name: $("sname").value.trim(), args};
  } else {
    if (action === "terminate" && !confirm("Terminate " + current + "? Its code will not run again.")) return;
    body = {reason: $("reason").value};
  }
  try {
    const data = await api(`/api/runs/${encodeURIComponent(current)}/${action}?run_id=${encodeURIComponent(current)}`, body);
    say(action === "query" ? "answer: " + JSON.stringify(data.result) : action + " sent", true);
    if (!nextToken) await loadPage();
  } catch (e) { say(e.message); }
}

// ---- workers ----

async function loadWorkers() {
  const slot = (n) => (n < 0 ? `<span class="note">unknown</span>` : String(n));
  try {
    const data = await api("/api/workers");
    $("workersnote").textContent = `${data.workers.length} connected (${data.transport})` + (data.missing ? `; not known here: ${data.missing}` : "");
    $("workers").innerHTML = data.workers.map((w) =>
      `<tr class="worker" data-id-worker="${esc(w.worker_id)}"><td class="mono">${esc(w.worker_id)}</td><td class="mono">${esc(w.task_queue)}</td><td class="mono">${esc(w.host)}</td>` +
      `<td>${w.workflows.map(esc).join("<br>")}</td><td>${w.activities.map(esc).join("<br>")}</td>` +
      `<td>${slot(w.tasks_in_flight)}</td><td>${slot(w.free_activity_slots)} / ${slot(w.free_workflow_slots)}</td></tr>`).join("") ||
      `<tr><td colspan="7" class="note">no worker is connected</td></tr>`;
    const limits = (q) => [q.max_concurrent ? `max_concurrent ${q.max_concurrent}` : "", q.rate_per_second ? `rate ${q.rate_per_second}/s` : "",
      q.max_per_key ? `max_per_key ${q.max_per_key}` : ""].filter(Boolean).join(", ") || "no limits";
    $("queues").innerHTML = (data.queues || []).map((q) =>
      `<tr class="queue"><td class="mono">${esc(q.name)}</td><td>${esc(limits(q))}</td><td>${q.in_flight}</td><td>${q.waiting}</td></tr>`).join("") ||
      `<tr><td colspan="4" class="note">no task queue has limits</td></tr>`;
  } catch (e) { $("workers").innerHTML = `<tr><td colspan="7" class="ERROR">${esc(e.message)}</td></tr>`; }
}

// ---- schedules ----

async function loadSchedules() {
  const utc = (t) => (t ? esc(t.slice(0, 19).replace("T", " ")) : "-");
  try {
    const data = await api("/api/schedules");
    $("schedules").innerHTML = data.schedules.map((s) => {
      const when = s.cron ? `cron <span class="mono">${esc(s.cron)}</span> ${esc(s.timezone)}` : `every ${s.every}s`;
      const last = s.recent_actions[0];
      const lastCell = last ? `<a href="#run=${encodeURIComponent(last.workflow_id)}" class="mono">${esc(last.workflow_id)}</a>` : "-";
      return `<tr class="schedule"><td class="mono">${esc(s.id)}</td><td>${esc(s.workflow_name)}</td><td>${when}</td>` +
        `<td>${esc(s.overlap)}</td><td>${s.paused ? "paused" + (s.note ? ": " + esc(s.note) : "") : "active"}</td>` +
        `<td>${s.actions} / ${s.skipped} / ${s.missed}</td><td class="mono">${utc(s.next_action_times[0])}</td><td>${lastCell}</td></tr>`;
    }).join("") || `<tr><td colspan="8" class="note">no schedule</td></tr>`;
  } catch (e) { $("schedules").innerHTML = `<tr><td colspan="8" class="ERROR">${esc(e.message)}</td></tr>`; }
}

// ---- views ----

function show(view) {
  $("listview").hidden = $("runview").hidden = view !== "runs";
  $("workersview").hidden = view !== "workers";
  $("schedulesview").hidden = view !== "schedules";
  $("navschedules").classList.toggle("on", view === "schedules");
  $("navruns").classList.toggle("on", view === "runs");
  $("navworkers").classList.toggle("on", view === "workers");
}
function route() {
  const h = location.hash;
  if (h === "#workers") { show("workers"); loadWorkers(); return; }
  if (h === "#schedules") { show("schedules"); loadSchedules(); return; }
  show("runs");
  loadRuns();
  if (h.startsWith("#run=")) loadRun(decodeURIComponent(h.slice(5)));  // a shared link
}

document.addEventListener("click", (ev) => {
  const target = ev.target.closest("[data-id]");
  if (target) { ev.preventDefault(); loadRun(target.dataset.id); }
});
for (const a of ["signal", "query", "cancel", "terminate"]) $(a).addEventListener("click", () => act(a));
for (const f of ["status", "limit"]) $(f).addEventListener("change", () => search());
$("search").addEventListener("submit", search);
$("next").addEventListener("click", () => { if (listNext) { pages.push(listNext); loadRuns(); } });
$("prev").addEventListener("click", () => { if (pages.length > 1) { pages.pop(); loadRuns(); } });
$("first").addEventListener("click", () => search());
$("where").textContent = location.host;
$("loginform").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
$("more").addEventListener("click", loadPage);
window.addEventListener("hashchange", route);  // a link, or a URL typed: loadRun's own changes fire none
setInterval(tick, 1000);
setInterval(() => {
  if (!$("auto").checked || loggingIn) return;
  if (!$("workersview").hidden) { loadWorkers(); return; }
  if (!$("schedulesview").hidden) { loadSchedules(); return; }
  loadRuns();
  if (current && !nextToken) loadPage();
  if (current && desc && !desc.close_time) loadDescription();
}, 2000);
session().then(route);
