// What every page shares: the signed-in key, calls to the API, RFC 7807 problems shown as the API wrote them, small
// DOM helpers and a bar chart. No framework and no build step: the files are served as they are.

const keyItem = "dom.apiKey";

/** An answer the API refused, with its RFC 7807 problem (title, detail, and per-field errors for a 400). */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API with the tab's key; answers the parsed JSON (null for 204), throws ApiProblem for an error. */
export async function api(method, path, body) {
  const headers = { "X-Api-Key": sessionStorage.getItem(keyItem) || "" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiProblem(0, { title: "The engine did not answer.", detail: "Check the connection and try again: the same action is safe to repeat." });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not the engine's JSON (a proxy's error page, say): said as the status it came with.
    data = null;
  }
  if (!response.ok) {
    throw new ApiProblem(response.status, data || { title: `HTTP ${response.status} ${response.statusText}`.trim(), detail: "The answer was not the engine's; try again." });
  }
  return data;
}

/** Fetches a file the API makes (a CSV export) with the tab's key and hands it to the browser as a download. */
export async function download(path, fileName) {
  let response;
  try {
    response = await fetch(path, { headers: { "X-Api-Key": sessionStorage.getItem(keyItem) || "" } });
  } catch {
    throw new ApiProblem(0, { title: "The engine did not answer.", detail: "Check the connection and try again." });
  }
  if (!response.ok) {
    const text = await response.text();
    let problem = null;
    try {
      problem = JSON.parse(text);
    } catch {
      problem = null;
    }
    throw new ApiProblem(response.status, problem || { title: `HTTP ${response.status}` });
  }
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** Every order of the list under <c>query</c> (order-list parameters, without paging), newest first, page by page. */
export async function listAll(query) {
  const items = [];
  let path = `/api/v1/orders?${query}`;
  for (;;) {
    const page = await api("GET", path);
    items.push(...page.items);
    if (!page.next) {
      return items;
    }
    path = `/api/v1/orders?${query}&createdBefore=${encodeURIComponent(page.next)}&after=${encodeURIComponent(page.nextAfter)}`;
  }
}

/** The orders <c>orderIds</c> as the caller may see them, a hundred per call (none for none), in the order given. */
export async function lookUp(orderIds) {
  const calls = [];
  for (let i = 0; i < orderIds.length; i += 100) {
    calls.push(api("POST", "/api/v1/orders/lookup", { orderIds: orderIds.slice(i, i + 100) }));
  }
  return (await Promise.all(calls)).flatMap(answer => answer.items);
}

/** Creates an element: attributes (on… become listeners, "class" the class name) and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith("on")) {
      node.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      node.className = value;
    } else {
      node.setAttribute(name, value === true ? "" : value);
    }
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

/** Shows what went wrong in the page's message area: the problem's title, detail and field errors. */
export function showProblem(error) {
  const area = document.getElementById("message");
  const problem = error instanceof ApiProblem ? error.problem : { title: "Something went wrong in this page.", detail: String(error) };
  const fields = Object.entries(problem.errors || {}).map(([field, messages]) => el("li", {}, `${field}: ${messages.join(" ")}`));
  area.replaceChildren(el("div", { class: "problem", role: "alert" },
    el("strong", {}, problem.title), problem.detail ? ` ${problem.detail}` : "", fields.length ? el("ul", {}, fields) : ""));
}

/** An amount in its currency, with the currency's own decimals (none for the yen). */
export function money(amount, currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency, currencyDisplay: "code" }).format(amount);
}

let refreshTimer = null;

/**
 * Calls <c>refresh</c> every <c>?refresh=</c> seconds of the page's address (30 by default, 0 for never) while the tab is
 * shown, no request is on its way and <c>busy()</c> says the user is not in the middle of something. One timer per
 * page: a call replaces the one before. A refresh that fails is left for the next one (the Refresh button shows the
 * problem).
 */
export function refreshEvery(busy, refresh) {
  clearInterval(refreshTimer);
  const seconds = Number(new URLSearchParams(window.location.search).get("refresh") ?? 30);
  if (!(seconds > 0)) {
    return;
  }
  refreshTimer = setInterval(() => {
    if (!document.hidden && document.querySelector("button:disabled") === null && !busy()) {
      refresh().catch(() => {});
    }
  }, seconds * 1000);
}

/** An amount with what of it falls to each payment: "EUR 20.00 (card EUR 15.00, giftCard EUR 5.00)". */
export function byTender(amount, tenders, currency) {
  const parts = (tenders || []).map(t => `${t.method} ${money(t.amount, currency)}`);
  return `${money(amount, currency)}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** A received return's refund, with what goes back to each payment. */
export function refundText(received, currency) {
  return byTender(received.refund, received.tenders, currency);
}

/** Shows that an action worked. */
export function showDone(text) {
  document.getElementById("message").replaceChildren(el("div", { class: "done", role: "status" }, text));
}

export function clearMessage() {
  document.getElementById("message").replaceChildren();
}

/** Runs an action from a button: the button is disabled meanwhile, a failure is shown, never thrown. */
export async function act(button, action) {
  button.disabled = true;
  try {
    await action();
  } catch (error) {
    showProblem(error);
  } finally {
    button.disabled = false;
  }
}

/**
 * An idempotency key for an action, kept until the action succeeds: a click after a lost answer repeats the same
 * event, which the engine answers once. Works outside a secure context too (a plain-HTTP address on a LAN).
 */
export function newEventId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "web-" + Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Signs the page in: with the key in the tab's session storage, or by the form in the header. Calls
 * <c>ready(caller)</c> with the key's role and scope when the role is one of <c>roles</c>.
 */
export function signIn(roles, ready) {
  const form = document.getElementById("sign-in");
  const who = document.getElementById("who");
  const main = document.querySelector("main");

  async function check() {
    try {
      const caller = await api("GET", "/api/v1/me");
      if (!roles.includes(caller.role)) {
        throw new ApiProblem(403, { title: "This page is not for this key.", detail: `It is for ${roles.join(" or ")} keys; this one is a ${caller.role} key.` });
      }
      form.hidden = true;
      who.hidden = false;
      who.querySelector("span").textContent = caller.scope ? `${caller.role} · ${caller.scope}` : caller.role;
      main.hidden = false;
      clearMessage();
      // The sign-in button the keyboard was on is hidden now: the page's heading takes the focus.
      const heading = document.querySelector("h1");
      heading.tabIndex = -1;
      heading.focus();
      await ready(caller);
    } catch (error) {
      // A key refused, or one of another role, is forgotten; a silo that did not answer (or answered 429 or 5xx)
      // keeps it, and the sign-in form takes it again.
      if (error instanceof ApiProblem && [401, 403].includes(error.status)) {
        sessionStorage.removeItem(keyItem);
      }
      form.hidden = false;
      who.hidden = true;
      main.hidden = true;
      showProblem(error);
    }
  }

  form.addEventListener("submit", event => {
    event.preventDefault();
    sessionStorage.setItem(keyItem, form.elements.key.value.trim());
    form.reset();
    check();
  });
  who.querySelector("button").addEventListener("click", () => {
    sessionStorage.removeItem(keyItem);
    location.reload();
  });
  if (sessionStorage.getItem(keyItem)) {
    check();
  } else {
    main.hidden = true;
  }
}

/** "3 h 5 min", "2 d 4 h": how long ago <c>since</c> was, at <c>now</c>. */
export function age(since, now = new Date()) {
  const minutes = Math.max(0, Math.floor((now - new Date(since)) / 60000));
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function dateTime(value) {
  return new Date(value).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

/** A horizontal bar chart (SVG) of <c>bars</c>: [{ label, value }], with each value written at its bar's end. */
export function barChart(title, bars) {
  const ns = "http://www.w3.org/2000/svg";
  const rowHeight = 22, labelWidth = 130, barWidth = 220, width = labelWidth + barWidth + 50;
  const max = Math.max(1, ...bars.map(b => b.value));
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${bars.length * rowHeight}`);
  svg.setAttribute("width", width);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title}: ${bars.map(b => `${b.label} ${b.value}`).join(", ")}`);
  bars.forEach((bar, i) => {
    const y = i * rowHeight;
    const text = (x, content, anchor) => {
      const node = document.createElementNS(ns, "text");
      node.setAttribute("x", x);
      node.setAttribute("y", y + 15);
      node.setAttribute("text-anchor", anchor);
      node.textContent = content;
      svg.append(node);
    };
    text(labelWidth - 8, bar.label, "end");
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", labelWidth);
    rect.setAttribute("y", y + 4);
    rect.setAttribute("height", rowHeight - 8);
    rect.setAttribute("width", Math.round(barWidth * bar.value / max));
    rect.setAttribute("class", "bar");
    rect.dataset.label = bar.label;
    rect.dataset.value = bar.value;
    svg.append(rect);
    text(labelWidth + Math.round(barWidth * bar.value / max) + 6, String(bar.value), "start");
  });
  return el("figure", { class: "chart" }, el("figcaption", {}, title), svg);
}
