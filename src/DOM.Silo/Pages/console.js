// The operator console: KPIs with charts, the orders held for review (release or reject), and the order list by
// status and age, with an order's lines, risk reasons and history one click away.
import { api, el, act, signIn, showDone, age, dateTime, barChart, listAll, lookUp, money, byTender, refundText, refreshEvery, download, newEventId } from "./dom.js";

const statuses = ["heldForReview", "released", "partiallyShipped", "shipped", "delivered", "returned", "backordered", "cancelled", "rejected"];
const ageBuckets = ["under 1 h", "1–4 h", "4–24 h", "1–3 days", "3 days +"];
/** Why units are cancelled, as the engine takes it (CancelReason); the customer asking comes first. */
const cancelReasons = ["customerRequest", "outOfStock", "fraud", "duplicate", "priceError", "paymentFailed", "other"];
const creditReasons = ["lateDelivery", "damaged", "priceAdjustment", "serviceIssue", "other"];
const cycleTimeBuckets = ["under 1 day", "1–2 days", "2–3 days", "3–5 days", "5–7 days", "7 days +"];
let next = null; // where the next page of the order list starts, with the filter it was listed under
let shown = new URLSearchParams({ limit: "50" }).toString(); // the filter of the list on the screen
let listing = 0; // counts the list's reads: an answer to one overtaken by a later read (a refresh by a "More") is dropped

// Wired once, before signing in: a sign-in whose first load failed (the silo did not answer) is done again, and its
// controls must not then act twice (a "More" appending its page twice).
document.querySelector("#filter select").append(...statuses.map(s => el("option", { value: s }, s)));
const filter = document.getElementById("filter");
filter.addEventListener("submit", event => {
  event.preventDefault();
  act(filter.querySelector("button"), () => loadOrders("filter"));
});
const more = document.getElementById("more");
more.addEventListener("click", () => act(more, () => loadOrders("more")));
const refresh = document.getElementById("refresh");
refresh.addEventListener("click", () => act(refresh, loadAll));
const promotionForm = document.getElementById("promotion-form");
promotionForm.addEventListener("submit", event => {
  event.preventDefault();
  act(promotionForm.querySelector("button"), savePromotion);
});
// The orders waiting for a SKU, in the order its queue serves them, and a pass served now (after a goods receipt).
const backorderForm = document.getElementById("backorder-form");
backorderForm.addEventListener("submit", event => {
  event.preventDefault();
  act(backorderForm.querySelector("[data-command='show']"), () => showBackorders("GET"));
});
const serveButton = backorderForm.querySelector("[data-command='serve']");
serveButton.addEventListener("click", () => act(serveButton, () => showBackorders("POST")));
const ledgerForm = document.getElementById("ledger-form");
const today = new Date().toISOString().slice(0, 10);
ledgerForm.elements.from.value = today;
ledgerForm.elements.to.value = today;
ledgerForm.addEventListener("submit", event => {
  event.preventDefault();
  act(ledgerForm.querySelector("[data-command='show']"), showLedger);
});
const csvButton = ledgerForm.querySelector("[data-command='csv']");
csvButton.addEventListener("click", () => act(csvButton, async () => {
  const { from, to } = ledgerForm.elements;
  await download(`/api/v1/ledger?${new URLSearchParams({ from: from.value, to: to.value, format: "csv" })}`, `ledger-${from.value}-${to.value}.csv`);
}));
let signedIn = false;
signIn(["operator"], async () => {
  signedIn = true;
  await Promise.all([loadAll(), loadPromotions()]);
});

// Read again every few seconds (refreshEvery) once signed in, while the operator is not in the middle of something: a
// note typed (or the cursor in one) in the held orders, or more than the first page of the list shown (a refresh would
// fold it back to its first page).
refreshEvery(() => !signedIn
  || [...document.querySelectorAll("#held input")].some(input => input.value !== "" || input === document.activeElement)
  || document.querySelectorAll("#orders tbody tr").length > Number(new URLSearchParams(shown).get("limit") ?? 50), loadAll);

async function loadAll() {
  await Promise.all([loadStats(), loadHeld(), loadOrders("again")]);
}

async function loadStats() {
  const stats = await api("GET", "/api/v1/order-stats");
  const reliability = stats.delivered ? `${Math.round(100 * stats.deliveredOnTime / stats.delivered)} %` : "–";
  const found = stats.allocatedUnits - stats.rejectedUnits;
  const accuracy = stats.allocatedUnits ? `${(100 * found / stats.allocatedUnits).toFixed(1)} %` : "–";
  const returnRate = stats.shippedUnits ? `${(100 * stats.returnedUnits / stats.shippedUnits).toFixed(1)} %` : "–";
  const tile = (id, label, value) => el("div", { class: "tile", id }, el("span", { class: "value" }, value), el("span", {}, label));
  document.getElementById("tiles").replaceChildren(
    tile("kpi-open", "open orders", stats.open),
    tile("kpi-late", "open and late", stats.late),
    tile("kpi-held", "held for review", stats.byStatus.heldForReview),
    tile("kpi-reliability", `delivered on time (${stats.deliveredOnTime} of ${stats.delivered})`, reliability),
    tile("kpi-accuracy", `inventory accuracy (${found} of ${stats.allocatedUnits} units found)`, accuracy),
    tile("kpi-returns", `return rate (${stats.returnedUnits} of ${stats.shippedUnits} units came back)`, returnRate),
    tile("kpi-outstanding", "orders with money due", stats.outstandingOrders),
    tile("kpi-chargebacks", "orders charged back", stats.chargedBackOrders));
  document.getElementById("charts").replaceChildren(
    barChart("Orders by status", statuses.map(s => ({ label: s, value: stats.byStatus[s] }))),
    barChart("Open orders by age", ageBuckets.map((label, i) => ({ label, value: stats.openByAge[i] }))),
    barChart("Order cycle time (delivered orders)", cycleTimeBuckets.map((label, i) => ({ label, value: stats.deliveredByCycleTime[i] }))),
    // Absent from a silo of the build before (a rolling update): no chart rather than no KPIs.
    ...(stats.cancelledUnitsByReason ? [barChart("Units cancelled by reason", Object.entries(stats.cancelledUnitsByReason).map(([label, value]) => ({ label, value })))] : []),
    ...(stats.returnedUnitsByReason && Object.keys(stats.returnedUnitsByReason).length
      ? [barChart("Units returned by reason", Object.entries(stats.returnedUnitsByReason).map(([label, value]) => ({ label: label === "~other" ? "other reasons" : label, value })))] : []),
    ...(stats.creditsByReason ? [barChart("Credits by reason", Object.entries(stats.creditsByReason).map(([label, value]) => ({ label, value })))] : []));
}

async function loadHeld() {
  // The list is newest first: every held order is read, page by page, and the hundred that waited longest are shown,
  // oldest first (the newest hundred alone would leave the oldest with no way to decide on them).
  const held = await listAll("status=heldForReview&limit=500");
  const orders = await lookUp(held.slice(-100).reverse().map(o => o.orderId));
  const table = document.getElementById("held");
  table.querySelector("tbody").replaceChildren(...orders.map(order => {
    const note = el("input", { name: "note", placeholder: "note", "aria-label": `Note on the decision for ${order.orderId}`, maxlength: 500, size: 14 });
    // While one decision is on its way, neither can be clicked again.
    const decide = decision => event => act(event.currentTarget, async () => {
      const buttons = [...event.currentTarget.parentElement.querySelectorAll("button")];
      buttons.forEach(b => { b.disabled = true; });
      try {
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/review`, { decision, note: note.value.trim() || undefined });
        showDone(`${order.orderId} ${decision === "release" ? "released" : "rejected"}.`);
        await loadAll();
      } finally {
        buttons.forEach(b => { b.disabled = false; });
      }
    });
    return el("tr", { "data-order": order.orderId },
      el("td", {}, orderLink(order.orderId)),
      el("td", {}, order.channel),
      el("td", {}, order.customerId),
      el("td", { class: "number" }, `${order.total.toFixed(2)} ${order.currency}`),
      el("td", { class: "nowrap" }, age(order.createdAt)),
      el("td", {}, order.risk.reasons.join("; ")),
      el("td", { class: "actions" }, note,
        el("button", { type: "button", "data-decision": "release", onclick: decide("release") }, "Release"),
        el("button", { type: "button", "data-decision": "reject", onclick: decide("reject") }, "Reject")));
  }));
  table.querySelector("caption").textContent = orders.length
    ? `${held.length > orders.length ? `The ${orders.length} oldest of ${held.length}` : orders.length} order(s) wait for a decision, oldest first`
    : "No order is held.";
}

/** The order list: under the filter's fields ("filter", the Show button), its next page ("more"), or again under the
 * filter it is shown with ("again": a refresh, or after an action), whatever the fields say now. */
async function loadOrders(mode) {
  const form = document.getElementById("filter");
  const more = mode === "more" && next !== null;
  const query = new URLSearchParams(more ? next.filter : mode === "again" ? shown : "limit=50");
  if (mode === "filter") {
    for (const [name, value] of [["status", form.elements.status.value], ["channel", form.elements.channel.value.trim()], ["sku", form.elements.sku.value.trim()]]) {
      if (value) {
        query.set(name, value);
      }
    }
    for (const name of ["late", "outstanding", "chargedBack"]) {
      if (form.elements[name].checked) {
        query.set(name, "true");
      }
    }
  }
  const filter = query.toString();
  if (more) {
    query.set("createdBefore", next.createdBefore);
    query.set("after", next.after);
  }
  const read = ++listing;
  const page = await api("GET", `/api/v1/orders?${query}`);
  if (read !== listing) {
    return;
  }
  shown = filter;
  const body = document.querySelector("#orders tbody");
  const rows = page.items.map(order => el("tr", { "data-order": order.orderId },
    el("td", {}, orderLink(order.orderId), order.late ? el("span", { class: "badge late" }, "late") : ""),
    el("td", {}, order.channel),
    el("td", { class: "status" }, order.status),
    el("td", { class: "nowrap" }, dateTime(order.createdAt)),
    el("td", { class: "nowrap" }, age(order.createdAt)),
    el("td", { class: "nowrap" }, dateTime(order.promisedBy)),
    el("td", {}, order.locations.join(", ")),
    el("td", { class: "number" }, order.total.toFixed(2))));
  if (more) {
    body.append(...rows);
  } else {
    body.replaceChildren(...rows);
  }
  next = page.next ? { createdBefore: page.next, after: page.nextAfter, filter } : null;
  document.getElementById("more").hidden = next === null;
  document.querySelector("#orders caption").textContent = body.children.length ? `${body.children.length} order(s) shown, newest first` : "No order matches.";
}

function orderLink(orderId) {
  return el("a", { href: "#", "data-open": orderId, onclick: event => { event.preventDefault(); act(event.currentTarget, () => showOrder(orderId)); } }, orderId);
}

async function showOrder(orderId) {
  const [order, { items: messages }] = await Promise.all([
    api("GET", `/api/v1/orders/${encodeURIComponent(orderId)}`),
    api("GET", `/api/v1/orders/${encodeURIComponent(orderId)}/messages`),
  ]);
  const detail = document.getElementById("detail");
  // A line's price, and what each promotion took off it at intake; a bundle's part names its bundle. A line with units
  // not shipped yet has a form to cancel some of them (a customer who wants fewer); its cancel id is kept until the
  // engine took it, so a click after a lost answer cancels once.
  // Why a line's units were cancelled, as the engine recorded it ("2 customerRequest, 1 outOfStock"); units cancelled
  // with no record (by an earlier build) count as unspecified, as in the KPIs.
  const whyCancelled = line => {
    const byReason = new Map();
    for (const c of (order.cancellations ?? []).filter(c => c.lineId === line.lineId)) {
      byReason.set(c.reason ?? "unspecified", (byReason.get(c.reason ?? "unspecified") ?? 0) + c.quantity);
    }
    const unrecorded = line.cancelledQuantity - [...byReason.values()].reduce((sum, units) => sum + units, 0);
    if (byReason.size && unrecorded > 0) {
      byReason.set("unspecified", (byReason.get("unspecified") ?? 0) + unrecorded);
    }
    return byReason.size ? ` (${[...byReason].map(([reason, units]) => `${units} ${reason}`).join(", ")})` : "";
  };
  const unshipped = line => line.openQuantity + line.allocations
    .filter(a => !["rejected", "cancelled", "pickedUp", "delivered"].includes(a.status)).reduce((sum, a) => sum + a.quantity - a.shipped, 0);
  const cancelForm = line => {
    const left = unshipped(line);
    if (left === 0 || ["cancelled", "rejected"].includes(order.status)) {
      return "–";
    }
    const form = el("form", { class: "cancel-units", "data-cancel": newEventId() },
      el("input", { name: "quantity", type: "number", min: "1", max: String(left), value: "1", size: "3", required: "", "aria-label": `Units of ${line.lineId} to cancel` }),
      el("select", { name: "reason", "aria-label": `Why units of ${line.lineId} are cancelled` }, ...cancelReasons.map(r => el("option", { value: r }, r))),
      el("button", { type: "submit" }, "Cancel units"));
    form.addEventListener("submit", event => {
      event.preventDefault();
      act(form.querySelector("button"), async () => {
        const quantity = Number(form.elements.quantity.value);
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/cancel`, { lineId: line.lineId, quantity, cancelId: form.dataset.cancel, reason: form.elements.reason.value });
        showDone(`${order.orderId}: ${quantity} × ${line.sku} cancelled.`);
        await loadAll();
        await showOrder(order.orderId);
      });
    });
    return form;
  };
  const lines = order.lines.map(line => el("tr", { "data-line": line.lineId },
    el("td", {}, line.lineId),
    el("td", {}, line.sku, line.bundle ? el("span", { class: "bundle" }, ` (${line.bundle.perBundle} per ${line.bundle.sku}, line ${line.bundle.lineId})`) : ""),
    el("td", { class: "number" }, line.quantity),
    el("td", { class: "number" }, money(line.unitPrice, order.currency)),
    el("td", { class: "discounts" }, (line.discounts ?? []).map(d => `${d.name} −${money(d.amount, order.currency)}`).join("; ") || "–"),
    el("td", {}, line.status),
    el("td", {}, line.allocations.map(a => `${a.locationId}: ${a.quantity} ${a.status}${a.trackingNumber ? ` (${a.carrier} ${a.trackingNumber})` : ""}`).join("; ") || "–"),
    el("td", {}, line.cancelledQuantity > 0 ? `${line.cancelledQuantity} cancelled${whyCancelled(line)} ` : "", cancelForm(line))));
  // Returns, with what came back of each line and the refund.
  const returns = order.returns.map(r => el("tr", { "data-return": r.returnId },
    el("td", {}, r.returnId), el("td", {}, r.locationId), el("td", {}, r.status), el("td", { class: "nowrap" }, dateTime(r.createdAt)),
    el("td", {}, r.lines.map(l => `${l.quantity} × ${l.sku} (${l.reason})${r.status === "received" ? `: ${l.restocked} restocked, ${l.writtenOff} written off` : ""}`).join("; ")
      || "none: the delivery charge, refunded as the cancellation completed the withdrawal"),
    el("td", { class: "number" }, r.status === "received" ? refundText(r, order.currency) : "–",
      r.deliveryRefund > 0 ? ` (delivery ${money(r.deliveryRefund, order.currency)})` : "")));
  // The invoices, one per shipment, with what each captured from which payment.
  const invoices = order.invoices.map(i => el("tr", { "data-invoice": i.invoiceId },
    el("td", {}, i.invoiceId), el("td", { class: "nowrap" }, dateTime(i.at)), el("td", {}, i.locationId),
    el("td", {}, [...i.lines.map(l => `${l.quantity} × ${l.sku}`), ...(i.delivery ? [`delivery ${money(i.delivery.amount, order.currency)}`] : [])].join("; ")),
    el("td", { class: "number" }, byTender(i.total, i.tenders, order.currency)),
    el("td", { class: "number" }, i.lines.some(l => l.vatRate === null) || i.delivery?.vatRate === null ? "no rate" : `${money(i.vat, order.currency)}`)));
  // Money received for payments settled later (an invoice), chargebacks and their reversal.
  const payments = (order.paymentEvents ?? []).map(p => el("tr", { "data-payment": p.eventId },
    el("td", {}, p.eventId), el("td", { class: "nowrap" }, dateTime(p.at)), el("td", {}, { received: "received", chargeback: "chargeback", chargebackReversed: "chargeback reversed" }[p.type]),
    el("td", {}, p.method), el("td", { class: "number" }, money(p.amount, order.currency)), el("td", {}, p.reference ?? p.invoiceId ?? "")));
  const history = order.history.map(h => el("li", {}, `${dateTime(h.at)} ${h.event}${h.lineId ? ` ${h.lineId}` : ""}${h.detail ? `: ${h.detail}` : ""}`));
  // The exceptions an operator handles from here: a customer who calls to cancel, supply that came in for a backorder.
  // Cancel is offered while something is left to cancel (as OrderGrain.CancelUnshipped has it): units not allocated
  // yet, or allocated units not shipped or handed over. A shipped order has none, and the engine would refuse.
  const open = !["cancelled", "rejected"].includes(order.status) && order.lines.some(line => unshipped(line) > 0);
  // Why the order is cancelled, sent with the cancel (the KPIs count cancelled units by reason).
  const cancelReason = el("select", { id: "cancel-reason", "aria-label": "Why the order is cancelled" }, ...cancelReasons.map(r => el("option", { value: r }, r)));
  const command = (name, path, done) => el("button", {
    type: "button", "data-command": name,
    onclick: event => {
      // A cancellation is asked twice: the first click only arms the button.
      const button = event.currentTarget;
      if (name === "cancel" && button.dataset.armed !== "yes") {
        button.dataset.armed = "yes";
        button.textContent = "Click again to cancel the order";
        showDone(`Click it again to cancel ${order.orderId}; nothing has changed yet.`);
        return;
      }
      return act(button, async () => {
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/${path}`, name === "cancel" ? { reason: cancelReason.value } : undefined);
        showDone(`${order.orderId} ${done}.`);
        await loadAll();
        await showOrder(order.orderId);
      });
    },
  }, name === "cancel" ? "Cancel order" : "Retry backorders");
  // Money in for an invoice on account, a chargeback or its reversal, for one of the payments the invoices captured
  // from; the event id is kept until the engine took it, so a click after a lost answer records it once.
  const tenders = [...new Map(order.invoices.flatMap(i => i.tenders).map(t => [t.tender, t.method])).entries()];
  const paymentForm = tenders.length === 0 ? "" : el("form", { id: "payment-form", "data-event": newEventId() },
    el("label", {}, "Payment ", el("select", { name: "tender" }, ...tenders.map(([tender, method]) => el("option", { value: tender }, `${tender + 1}: ${method}`)))),
    el("label", {}, "Type ", el("select", { name: "type" },
      el("option", { value: "received" }, "money received"), el("option", { value: "chargeback" }, "chargeback"), el("option", { value: "chargebackReversed" }, "chargeback reversed"))),
    el("label", {}, "Amount ", el("input", { name: "amount", type: "number", step: "any", min: "0", size: "8", required: "" })),
    el("label", {}, "Reference ", el("input", { name: "reference", size: "16" })),
    el("button", { type: "submit" }, "Record payment"));
  if (paymentForm) {
    paymentForm.addEventListener("submit", event => {
      event.preventDefault();
      act(paymentForm.querySelector("button"), async () => {
        const f = paymentForm.elements;
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/payment-events`, {
          eventId: paymentForm.dataset.event, type: f.type.value, tender: Number(f.tender.value), amount: Number(f.amount.value),
          reference: f.reference.value.trim() === "" ? undefined : f.reference.value.trim(),
        });
        showDone(`${order.orderId}: ${f.type.selectedOptions[0].textContent} of ${money(Number(f.amount.value), order.currency)} recorded.`);
        await loadAll();
        await showOrder(order.orderId);
      });
    });
  }
  // Money given back without goods coming back (an appeasement), and, once invoices charged something, a form to give it
  // against a line the invoices charged or the order; its credit id is kept until the engine took it, so a click after a
  // lost answer credits once. The engine says why when it cannot (more than was charged and not given back yet).
  const credits = (order.credits ?? []).map(c => el("tr", { "data-credit": c.creditId },
    el("td", {}, c.creditId), el("td", { class: "nowrap" }, dateTime(c.at)), el("td", {}, c.lineId ?? "order"), el("td", {}, c.reason),
    el("td", { class: "number" }, byTender(c.amount, c.tenders, order.currency)), el("td", {}, c.note ?? "")));
  const invoicedLines = [...new Set(order.invoices.flatMap(i => i.lines.map(l => l.lineId)))];
  const creditForm = order.invoices.length === 0 ? "" : el("form", { id: "credit-form", "data-credit": newEventId() },
    el("label", {}, "For ", el("select", { name: "lineId" }, el("option", { value: "" }, "the order"), ...invoicedLines.map(l => el("option", { value: l }, `line ${l}`)))),
    el("label", {}, "Amount ", el("input", { name: "amount", type: "number", step: "any", min: "0", size: "8", required: "" })),
    el("label", {}, "Reason ", el("select", { name: "reason" }, ...creditReasons.map(r => el("option", { value: r }, r)))),
    el("label", {}, "Note ", el("input", { name: "note", size: "24", maxlength: "500" })),
    el("button", { type: "submit" }, "Give credit"));
  if (creditForm) {
    creditForm.addEventListener("submit", event => {
      event.preventDefault();
      act(creditForm.querySelector("button"), async () => {
        const f = creditForm.elements;
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/credits`, {
          creditId: creditForm.dataset.credit, lineId: f.lineId.value || undefined, amount: Number(f.amount.value), reason: f.reason.value,
          note: f.note.value.trim() === "" ? undefined : f.note.value.trim(),
        });
        showDone(`${order.orderId}: ${money(Number(f.amount.value), order.currency)} credited.`);
        await loadAll();
        await showOrder(order.orderId);
      });
    });
  }
  // Where the order goes, and, while nothing of it is packed for that address (as OrderRules.PackedForAddress has it), a
  // form to send what is left elsewhere; its change id is kept until the engine took it, so a click after a lost answer
  // changes it once. The engine says why when it cannot (no location reaches the address, the risk rules).
  const to = order.delivery.address;
  const where = order.delivery.method === "pickup"
    ? `Collected at ${order.delivery.pickupLocationId}`
    : `Ships to ${[to.street, [to.postalCode, to.city].filter(Boolean).join(" "), to.country].filter(Boolean).join(", ")} (${to.latitude}, ${to.longitude})`;
  const packed = order.lines.some(line => line.allocations.some(a => ["packed", "readyForPickup", "shipped"].includes(a.status) && a.quantity > a.shipped));
  const addressForm = order.delivery.method !== "ship" || !open || packed ? "" : el("form", { id: "address-form", "data-change": newEventId() },
    ...[["street", "Street", 24, "text"], ["postalCode", "Postal code", 8, "text"], ["city", "City", 14, "text"], ["country", "Country", 3, "text"],
      ["latitude", "Latitude", 8, "number"], ["longitude", "Longitude", 8, "number"]].map(([name, label, size, type]) =>
      el("label", {}, `${label} `, el("input", { name, type, size: String(size), value: to[name] ?? "", ...(type === "number" ? { step: "any", required: "" } : name === "country" ? { required: "" } : {}) }))),
    el("button", { type: "submit" }, "Change address"));
  if (addressForm) {
    addressForm.addEventListener("submit", event => {
      event.preventDefault();
      act(addressForm.querySelector("button"), async () => {
        const f = addressForm.elements;
        const text = name => f[name].value.trim() === "" ? undefined : f[name].value.trim();
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/address`, {
          changeId: addressForm.dataset.change,
          address: { street: text("street"), postalCode: text("postalCode"), city: text("city"), country: text("country")?.toUpperCase(), latitude: Number(f.latitude.value), longitude: Number(f.longitude.value) },
        });
        showDone(`${order.orderId} goes to the new address.`);
        await loadAll();
        await showOrder(order.orderId);
      });
    });
  }
  // A click & collect order's store, while nothing of it is on the old store's shelf, on its way there or packed for it (as
  // OrderGrain.ChangePickupStoreAsync has it): its change id kept until the engine took it.
  const atOldStore = order.lines.some(line => line.allocations.some(a => a.status === "readyForPickup"
    || (a.locationId !== order.delivery.pickupLocationId && (a.shipped > 0 || a.status === "packed") && !["cancelled", "rejected", "pickedUp"].includes(a.status))));
  const pickupForm = order.delivery.method !== "pickup" || !open || atOldStore ? "" : el("form", { id: "pickup-form", "data-change": newEventId() },
    el("label", {}, "Pickup store ", el("input", { name: "locationId", size: "16", required: "", value: order.delivery.pickupLocationId })),
    el("button", { type: "submit" }, "Change pickup store"));
  if (pickupForm) {
    pickupForm.addEventListener("submit", event => {
      event.preventDefault();
      act(pickupForm.querySelector("button"), async () => {
        const store = pickupForm.elements.locationId.value.trim();
        await api("POST", `/api/v1/orders/${encodeURIComponent(order.orderId)}/pickup-store`, { changeId: pickupForm.dataset.change, locationId: store });
        showDone(`${order.orderId} is collected at ${store}.`);
        await loadAll();
        await showOrder(order.orderId);
      });
    });
  }
  const actions = el("p", { class: "actions" },
    open ? cancelReason : "",
    open ? command("cancel", "cancel", "cancelled") : "",
    order.lines.some(l => l.status === "backordered") ? command("retry", "retry-backorders", "routed again where stock allows") : "");
  detail.replaceChildren(
    el("h2", {}, `Order ${order.orderId}`),
    el("p", {}, `${order.status} · ${order.channel} · customer ${order.customerId} · created ${dateTime(order.createdAt)} · promised by ${dateTime(order.promisedBy)}`,
      order.late ? el("span", { class: "badge late" }, "late") : "",
      ` · risk: ${order.risk.decision}${order.risk.reasons.length ? ` (${order.risk.reasons.join("; ")})` : ""}`,
      order.deliveryCharge > 0 ? ` · delivery ${money(order.deliveryCharge, order.currency)}` : "",
      order.captured > 0 ? ` · captured ${money(order.captured, order.currency)}` : "",
      order.refunded > 0 ? ` · refunded ${money(order.refunded, order.currency)}` : "",
      order.outstanding > 0 ? el("span", { class: "badge due" }, `due ${money(order.outstanding, order.currency)}`) : "",
      order.chargedBack > 0 ? el("span", { class: "badge late" }, `charged back ${money(order.chargedBack, order.currency)}`) : ""),
    el("p", { id: "delivery" }, where),
    addressForm,
    pickupForm,
    actions,
    el("table", { id: "lines" }, el("thead", {}, el("tr", {}, ["Line", "Article", "Units", "Price", "Promotions", "Status", "Where", "Cancel"].map(h => el("th", {}, h)))), el("tbody", {}, lines)),
    ...(invoices.length ? [el("h3", {}, "Invoices"), el("table", { id: "invoices" },
      el("thead", {}, el("tr", {}, ["Invoice", "Issued", "From", "Units", "Captured", "incl. VAT"].map(h => el("th", {}, h)))), el("tbody", {}, invoices))] : []),
    ...(payments.length || paymentForm ? [el("h3", {}, "Payments")] : []),
    ...(payments.length ? [el("table", { id: "payments" },
      el("thead", {}, el("tr", {}, ["Event", "Recorded", "Type", "Method", "Amount", "Reference"].map(h => el("th", {}, h)))), el("tbody", {}, payments))] : []),
    paymentForm,
    ...(credits.length || creditForm ? [el("h3", {}, "Credits")] : []),
    ...(credits.length ? [el("table", { id: "credits" },
      el("thead", {}, el("tr", {}, ["Credit", "Given", "For", "Reason", "Amount", "Note"].map(h => el("th", {}, h)))), el("tbody", {}, credits))] : []),
    creditForm,
    ...(returns.length ? [el("h3", {}, "Returns"), el("table", { id: "returns" },
      el("thead", {}, el("tr", {}, ["Return", "Where", "Status", "Registered", "Units", "Refund"].map(h => el("th", {}, h)))), el("tbody", {}, returns))] : []),
    ...(messages.length ? [el("h3", {}, "Messages to the customer"), el("ol", { id: "messages", class: "history" },
      ...messages.map(m => el("li", { "data-message": m.notificationId }, `${dateTime(m.at)} ${m.subject ?? m.type}${m.language ? ` (${m.language})` : ""}`,
        m.sent ? el("span", { class: "badge" }, "sent") : "")))] : []),
    el("h3", {}, "History"), el("ol", { class: "history" }, history));
  detail.hidden = false;
  detail.scrollIntoView();
}

/** What a promotion takes off, in words. */
function takesOff(p) {
  const amount = value => p.currency ? money(value, p.currency) : value;
  switch (p.kind) {
    case "percentage": return `${p.percent} %`;
    case "amount": return `${amount(p.amount)} off each unit`;
    case "threshold": return `from ${amount(p.threshold)}: ${p.amount !== null ? amount(p.amount) : `${p.percent} %`} off`;
    default: return `buy ${p.buy} get ${p.get} ${p.percent === null || p.percent === 100 ? "free" : `at ${p.percent} % off`}`;
  }
}

async function loadPromotions() {
  const { promotions } = await api("GET", "/api/v1/promotions");
  const valid = p => p.validFrom || p.validTo ? `${p.validFrom ? dateTime(p.validFrom) : "…"} – ${p.validTo ? dateTime(p.validTo) : "…"}` : "always";
  const rows = promotions.map(p => el("tr", { "data-promotion": p.promotionId },
    el("td", {}, p.promotionId), el("td", {}, p.name), el("td", {}, takesOff(p)),
    el("td", {}, p.skus ? p.skus.join(", ") : "all"), el("td", {}, p.channels ? p.channels.join(", ") : "all"),
    el("td", {}, p.code ?? "–"), el("td", {}, valid(p)), el("td", { class: "number" }, `${p.priority}${p.exclusive ? " (exclusive)" : ""}`),
    el("td", {}, el("button", {
      type: "button", "data-command": "remove",
      onclick: event => act(event.currentTarget, async () => {
        await api("DELETE", `/api/v1/promotions/${encodeURIComponent(p.promotionId)}`);
        showDone(`Promotion ${p.promotionId} removed; orders taken in before keep their prices.`);
        await loadPromotions();
      }),
    }, "Remove"))));
  document.querySelector("#promotion-list tbody").replaceChildren(...rows);
  document.querySelector("#promotion-list caption").textContent = rows.length ? `${rows.length} promotion(s), applied to orders as they come in` : "No promotions.";
}

async function savePromotion() {
  const f = promotionForm.elements;
  const number = input => input.value === "" ? undefined : Number(input.value);
  const list = input => input.value.trim() === "" ? undefined : input.value.split(",").map(v => v.trim()).filter(v => v !== "");
  const text = input => input.value.trim() === "" ? undefined : input.value.trim();
  const time = input => input.value === "" ? undefined : new Date(input.value).toISOString();
  const id = f.promotionId.value.trim();
  const body = {
    name: f.name.value, kind: f.kind.value, percent: number(f.percent), amount: number(f.amount), threshold: number(f.threshold),
    buy: number(f.buy), get: number(f.get), currency: text(f.currency), skus: list(f.skus), channels: list(f.channels), code: text(f.code),
    validFrom: time(f.validFrom), validTo: time(f.validTo), priority: number(f.priority), exclusive: f.exclusive.checked || undefined,
  };
  await api("PUT", `/api/v1/promotions/${encodeURIComponent(id)}`, body);
  showDone(`Promotion ${id} saved: orders from now on are priced with it.`);
  await loadPromotions();
}

async function showBackorders(method) {
  const sku = backorderForm.elements.sku.value.trim();
  const path = `/api/v1/backorders/${encodeURIComponent(sku)}${method === "POST" ? "/serve" : ""}`;
  const { orders } = await api(method, path);
  const rows = orders.map((o, i) => el("tr", { "data-order": o.orderId },
    el("td", { class: "number" }, i + 1), el("td", {}, orderLink(o.orderId)), el("td", { class: "nowrap" }, dateTime(o.placedAt)),
    el("td", {}, o.priority ? "priority" : "")));
  document.querySelector("#backorder-queue tbody").replaceChildren(...rows);
  document.querySelector("#backorder-queue caption").textContent = `${orders.length} order${orders.length === 1 ? "" : "s"} waiting for ${sku}`;
  if (method === "POST") {
    showDone(`${sku}: the waiting orders were routed again, oldest first; ${orders.length} still wait.`);
    await loadAll();
  }
}

async function showLedger() {
  const { from, to } = ledgerForm.elements;
  const { entries } = await api("GET", `/api/v1/ledger?${new URLSearchParams({ from: from.value, to: to.value })}`);
  const kinds = ["invoice", "refund", "paymentReceived", "chargeback", "chargebackReversed"];
  const names = { invoice: "invoices", refund: "refunds", paymentReceived: "payments received", chargeback: "chargebacks", chargebackReversed: "chargebacks reversed" };
  const rows = kinds.flatMap(kind => {
    const ofKind = entries.filter(e => e.kind === kind);
    const currencies = [...new Set(ofKind.map(e => e.currency))];
    return currencies.map(currency => {
      const inCurrency = ofKind.filter(e => e.currency === currency);
      const sum = field => inCurrency.reduce((total, e) => total + e[field], 0);
      return el("tr", { "data-kind": kind }, el("td", {}, names[kind]), el("td", { class: "number" }, inCurrency.length),
        el("td", { class: "number" }, money(sum("amount"), currency)), el("td", { class: "number" }, money(sum("vat"), currency)));
    });
  });
  document.querySelector("#ledger-summary tbody").replaceChildren(...rows);
  document.querySelector("#ledger-summary caption").textContent = `${entries.length} ledger entries from ${from.value} to ${to.value}`;
}
