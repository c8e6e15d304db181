// The workbench's little script: upload with progress, then live processing state. No build step.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const STATE_ZH = {received: "排队中", extracting: "提取中", checking: "检查中", done: "完成", failed: "失败",
                  receiving: "接收中", submitted: "已接收", refused: "被拒收"};
const DOC_ZH = {pending: "待提取", extracted: "已提取", unreadable: "无法读取"};
const VERDICT_ZH = {eligible: "符合条件", needs_review: "需人工复核", ineligible: "不符合条件"};

async function getJSON(url) {
  const r = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
  if (!r.ok) throw new Error(`${r.status}`);
  return r.json();
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

// --- upload: XHR for its progress events, then poll the upload, then the package ---------------
function setupUpload(form) {
  const bar = document.getElementById("upload-bar"), pct = document.getElementById("upload-pct");
  const msg = document.getElementById("upload-msg");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRF-Token", csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) {
        const p = Math.round((e.loaded / e.total) * 100);
        bar.value = p; pct.textContent = `${p}%`;
      }
    });
    xhr.addEventListener("load", () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status === 202) {
        bar.value = 100; pct.textContent = "100%";
        msg.textContent = "上传完成，正在接收和预审…";
        pollUpload(body.status_url);
      } else {
        msg.textContent = `上传失败：${typeof body.detail === "string" ? body.detail : xhr.status}`;
        msg.className = "error";
        form.querySelector("button").disabled = false;
      }
    });
    xhr.addEventListener("error", () => { msg.textContent = "网络错误，上传未完成"; msg.className = "error"; });
    document.getElementById("upload-status").hidden = false;
    form.querySelector("button").disabled = true;
    xhr.send(data);
  });
}

async function pollUpload(url) {
  const msg = document.getElementById("upload-msg");
  try {
    const up = await getJSON(url);
    if (up.state === "refused" || (up.state === "failed" && !up.package)) {
      msg.textContent = `未能接收：${up.error || ""}`; msg.className = "error"; return;
    }
    if (up.package) { showProgress(up.package); if (up.package.done || up.package.failed) return; }
  } catch (e) { msg.textContent = `查询进度失败（${e.message}），稍后重试…`; }
  setTimeout(() => pollUpload(url), 1000);
}

function showProgress(p) {
  document.getElementById("processing").hidden = false;
  document.getElementById("pkg-state").textContent = STATE_ZH[p.state] || p.state;
  document.getElementById("pkg-state").dataset.state = p.state;
  document.getElementById("pkg-count").textContent = p.total ? `（已提取 ${p.extracted}/${p.total} 个文件）` : "";
  const list = document.getElementById("pkg-docs");
  list.replaceChildren(...p.documents.map((d) => {
    const li = el("li", `${d.name}：${DOC_ZH[d.status] || d.status}`, `doc-${d.status}`);
    if (d.problem) li.title = d.problem;
    return li;
  }));
  const result = document.getElementById("pkg-result");
  if (p.done || p.failed) {
    result.replaceChildren();
    if (p.done) result.append(el("span", `预审完成：${VERDICT_ZH[p.verdict] || p.verdict} `));
    else result.append(el("span", `处理失败：${p.error || ""} `, "error"));
    const a = el("a", "查看报告"); a.href = `/packages/${p.package_id}`; a.id = "report-link";
    result.append(a);
  }
}

// --- a package page that is still processing reloads itself when it is done ------------------
function watchPackage(node) {
  const id = node.dataset.package;
  const tick = async () => {
    try {
      const p = await getJSON(`/api/packages/${id}/status`);
      node.textContent = STATE_ZH[p.state] || p.state;
      if (p.done || p.failed) { window.location.reload(); return; }
    } catch (_) { /* try again */ }
    setTimeout(tick, 1500);
  };
  tick();
}

// --- the package list: rows still in work advance live; a received upload becomes its package row ---------
function watchList() {
  const rows = [...document.querySelectorAll("tr[data-package][data-final=false]")];
  const uploads = [...document.querySelectorAll("tr[data-upload]")];
  if (!rows.length && !uploads.length) return;
  const tick = async () => {
    for (const tr of uploads) {
      try {
        const up = await getJSON(`/api/uploads/${tr.dataset.upload}`);
        if (up.state !== "receiving") { window.location.reload(); return; }
      } catch (_) { /* next time */ }
    }
    for (const tr of rows.filter((r) => r.dataset.final === "false")) {
      try {
        const p = await getJSON(`/api/packages/${tr.dataset.package}/status`);
        const cell = tr.querySelector(".live-state");
        cell.textContent = (STATE_ZH[p.state] || p.state) + (p.total && !p.done ? `（${p.extracted}/${p.total}）` : "");
        cell.className = `state-${p.state} live-state`;
        if (p.done || p.failed) {
          tr.dataset.final = "true";
          tr.querySelector(".live-verdict").textContent = p.verdict ? VERDICT_ZH[p.verdict] : (p.error || "—");
        }
      } catch (_) { /* next time */ }
    }
    if (uploads.length || rows.some((r) => r.dataset.final === "false")) setTimeout(tick, 2000);
  };
  setTimeout(tick, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  watchList();
  const form = document.getElementById("upload-form");
  if (form) setupUpload(form);
  const live = document.getElementById("live-state");
  if (live && live.dataset.final === "false") watchPackage(live);
});
